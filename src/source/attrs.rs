//! `#[sea_orm(...)]` and `#[derive(...)]` read as SeaORM's macros read them.

/// The keys of an item's `#[sea_orm(...)]` attributes: flags (`primary_key`) and literal
/// values (`column_type = "Text"`, `default_value = 0`), in the order written.
#[derive(Default)]
pub(super) struct SeaOrm {
    entries: Vec<(String, Option<syn::Lit>)>,
}

impl SeaOrm {
    /// `Err` names a key whose value is not a literal: something only the compiler can read.
    pub fn of(attrs: &[syn::Attribute]) -> Result<SeaOrm, String> {
        let mut out = SeaOrm::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("sea_orm")) {
            attr.parse_nested_meta(|meta| {
                let key = meta
                    .path
                    .get_ident()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                if meta.input.peek(syn::Token![=]) {
                    let value: syn::Lit = meta.value()?.parse()?;
                    out.entries.push((key, Some(value)));
                } else if meta.input.is_empty() || meta.input.peek(syn::Token![,]) {
                    out.entries.push((key, None));
                } else {
                    return Err(meta.error(format!("`{key}` takes a value tidemark cannot read")));
                }
                Ok(())
            })
            .map_err(|err| format!("#[sea_orm(...)] {err}"))?;
        }
        Ok(out)
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// The last value given for `key` (SeaORM's parsers let a later one win).
    pub fn lit(&self, key: &str) -> Option<&syn::Lit> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_ref())
    }

    pub fn str(&self, key: &str) -> Option<String> {
        match self.lit(key)? {
            syn::Lit::Str(s) => Some(s.value()),
            _ => None,
        }
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.lit(key)? {
            syn::Lit::Bool(b) => Some(b.value),
            _ => None,
        }
    }
}

/// Whether `#[derive(...)]` names one of `names` (by the path's last segment). Read from the
/// tokens: it runs for every struct and enum of the crate.
pub(super) fn derives_any(attrs: &[syn::Attribute], names: &[&str]) -> bool {
    attrs.iter().any(|attr| {
        let syn::Meta::List(list) = &attr.meta else {
            return false;
        };
        if !list.path.is_ident("derive") {
            return false;
        }
        let mut last: Option<proc_macro2::Ident> = None;
        let named = |ident: &Option<proc_macro2::Ident>| {
            ident
                .as_ref()
                .is_some_and(|i| names.iter().any(|name| i == name))
        };
        for token in list.tokens.clone() {
            match token {
                proc_macro2::TokenTree::Ident(ident) => last = Some(ident),
                proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => {
                    if named(&last) {
                        return true;
                    }
                    last = None;
                }
                _ => {}
            }
        }
        named(&last)
    })
}
