//! The `DeriveIden` enums a migration names its tables and columns with: one enum a table,
//! variants in column order, every SeaORM name turned into a valid, unique identifier.

use crate::case::{snake_case, upper_camel_case};
use crate::model::Schema;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use std::collections::{BTreeMap, BTreeSet};

/// The `DeriveIden` enums a migration needs: one per table, with a variant per column used.
///
/// Any name SeaORM accepts gets an enum or variant name of its own: a name with nothing to
/// make an identifier of (`名前`) gets a generic one, and one that would clash with another
/// (`user_id` and `userId`), with `Self` or with a name the file uses (`Index`, `Change`) gets a
/// number. `#[sea_orm(iden = "...")]` keeps the real name wherever the two differ.
#[derive(Default)]
pub(super) struct Idens {
    tables: BTreeMap<String, Vec<String>>,
    /// Each table's columns in the order the entities (then the old schema) list them: the
    /// variants follow it.
    order: BTreeMap<String, Vec<String>>,
    pub(super) enum_values: BTreeMap<String, Vec<String>>,
    enum_names: BTreeMap<String, Ident>,
    /// The enum names given so far, to keep the next one unique without a scan.
    enums_taken: BTreeSet<String>,
    variant_names: BTreeMap<(String, String), Ident>,
    /// Each table's variant names given so far.
    variants_taken: BTreeMap<String, BTreeSet<String>>,
    /// Whether a column is written with a `sea_orm_migration::schema` function.
    pub(super) schema_helpers: bool,
    /// The tables this migration changes, once known or guessed: each gets its enum, and a
    /// table it only points at (a foreign key's target) is named by its string. `None` while
    /// a first pass over the changes finds them ([`Idens::changed_tables`]).
    changed: Option<BTreeSet<String>>,
    /// The tables named other than as a reference: what the changes change.
    named: BTreeSet<String>,
    /// The tables asked about as references, whose naming depended on `changed`.
    referenced: BTreeSet<String>,
}

/// Names a generated file uses (imports, prelude types, the migration itself): no enum may
/// take them.
const RESERVED: &[&str] = &[
    "Alias",
    "Change",
    "ColumnDef",
    "ColumnType",
    "DbBackend",
    "DbErr",
    "DeriveIden",
    "DeriveMigrationName",
    "Expr",
    "Fit",
    "ForeignKey",
    "ForeignKeyAction",
    "Index",
    "Migration",
    "MigrationTrait",
    "None",
    "Ok",
    "Online",
    "Option",
    "Result",
    "SchemaManager",
    "Self",
    "Some",
    "StringLen",
    "Table",
    "When",
];

impl Idens {
    /// Names for a migration that changes `changed` (see [`Idens::changed_tables`]).
    pub(super) fn for_changed(changed: BTreeSet<String>) -> Self {
        Idens {
            changed: Some(changed),
            ..Idens::default()
        }
    }

    /// The tables named so far other than as a reference: after a pass over a migration's
    /// changes, the tables it changes.
    pub(super) fn changed_tables(self) -> BTreeSet<String> {
        self.named
    }

    /// Whether the pass named every referenced table as it would have knowing the tables the
    /// changes change: then a pass made with a guess is the pass made knowing them.
    pub(super) fn guessed_right(&self) -> bool {
        let guess = self.changed.as_ref().expect("a pass with a guess");
        self.referenced
            .iter()
            .all(|table| guess.contains(table) == self.named.contains(table))
    }

    /// A table a foreign key (or its parents check) points at: its enum when the migration
    /// changes the table too, else its name as a string, so that a table named only there
    /// costs no enum of its own.
    pub(super) fn referenced_table(&mut self, table: &str) -> TokenStream {
        self.referenced.insert(table.to_owned());
        match &self.changed {
            Some(changed) if changed.contains(table) => self.table_enum(table),
            _ => quote!(#table),
        }
    }

    /// A column of a [`Idens::referenced_table`], named the same way.
    pub(super) fn referenced_column(&mut self, table: &str, column: &str) -> TokenStream {
        self.referenced.insert(table.to_owned());
        match &self.changed {
            Some(changed) if changed.contains(table) => self.column_variant(table, column),
            _ => quote!(#column),
        }
    }

    pub(super) fn table(&mut self, table: &str) -> TokenStream {
        self.name(table);
        self.table_enum(table)
    }

    pub(super) fn column(&mut self, table: &str, column: &str) -> TokenStream {
        self.name(table);
        self.column_variant(table, column)
    }

    fn name(&mut self, table: &str) {
        if !self.named.contains(table) {
            self.named.insert(table.to_owned());
        }
    }

    fn table_enum(&mut self, table: &str) -> TokenStream {
        self.tables.entry(table.to_owned()).or_default();
        let e = self.enum_ident(table);
        quote!(#e::Table)
    }

    fn column_variant(&mut self, table: &str, column: &str) -> TokenStream {
        let columns = self.tables.entry(table.to_owned()).or_default();
        if !columns.iter().any(|c| c == column) {
            columns.push(column.to_owned());
        }
        let e = self.enum_ident(table);
        let v = self.variant_ident(table, column);
        quote!(#e::#v)
    }

    fn enum_ident(&mut self, table: &str) -> Ident {
        if let Some(ident) = self.enum_names.get(table) {
            return ident.clone();
        }
        let taken = &self.enums_taken;
        let ident = unique(&camel_ident(table, "Table"), |name| {
            RESERVED.contains(&name) || taken.contains(name)
        });
        self.enums_taken.insert(ident.to_string());
        self.enum_names.insert(table.to_owned(), ident.clone());
        ident
    }

    fn variant_ident(&mut self, table: &str, column: &str) -> Ident {
        let key = (table.to_owned(), column.to_owned());
        if let Some(ident) = self.variant_names.get(&key) {
            return ident.clone();
        }
        let taken = self.variants_taken.entry(table.to_owned()).or_default();
        let ident = unique(&camel_ident(column, "Column"), |name| {
            name == "Table" || name == "Self" || taken.contains(name)
        });
        taken.insert(ident.to_string());
        self.variant_names.insert(key, ident.clone());
        ident
    }

    pub(super) fn render(&self) -> TokenStream {
        let mut out = TokenStream::new();
        for (table, columns) in &self.tables {
            let order = self.order.get(table);
            let position = |c: &String| order.and_then(|o| o.iter().position(|x| x == c));
            let mut columns = columns.clone();
            columns.sort_by_key(|c| position(c).unwrap_or(usize::MAX));
            let e = &self.enum_names[table];
            let table_attr =
                (snake_case(&e.to_string()) != *table).then(|| quote!(#[sea_orm(iden = #table)]));
            let names: Vec<String> = columns
                .iter()
                .map(|c| self.variant_names[&(table.clone(), c.clone())].to_string())
                .collect();
            let allow = repeats_enum_name(&e.to_string(), &names)
                .then(|| quote!(#[allow(clippy::enum_variant_names)]));
            let variants = columns.iter().map(|c| {
                let v = &self.variant_names[&(table.clone(), c.clone())];
                let attr =
                    (snake_case(&v.to_string()) != *c).then(|| quote!(#[sea_orm(iden = #c)]));
                quote!(#attr #v)
            });
            out.extend(quote! {
                #[derive(DeriveIden)]
                #allow
                enum #e {
                    #table_attr
                    Table,
                    #(#variants),*
                }
            });
        }
        out
    }
}

/// Whether clippy's `enum_variant_names` flags the enum (`Event { Table, EventId }`): from
/// three variants on, a variant that ends with the enum's name, or starts with it followed by
/// a word that is not a number. A column named after its table is common, so such an enum
/// says it means it.
fn repeats_enum_name(name: &str, columns: &[String]) -> bool {
    let starts = |variant: &str| {
        let mut rest = variant.strip_prefix(name).unwrap_or_default().chars();
        variant.starts_with(name)
            && rest.next().is_some_and(|c| !c.is_lowercase())
            && rest.next().is_some_and(|c| !c.is_numeric())
    };
    // `Table`, the first variant, is one of the three.
    columns.len() >= 2 && columns.iter().any(|v| v.ends_with(name) || starts(v))
}

/// `name` in UpperCamelCase, of ASCII letters and digits only; `fallback` when nothing is
/// left, or in front of a leading digit.
pub(super) fn camel_ident(name: &str, fallback: &str) -> String {
    let camel: String = upper_camel_case(name)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if camel.is_empty() {
        fallback.to_owned()
    } else if camel.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{fallback}{camel}")
    } else {
        camel
    }
}

/// `base`, or `base` with the first number from 2 that makes it free.
pub(super) fn unique(base: &str, taken: impl Fn(&str) -> bool) -> Ident {
    let name = if taken(base) {
        (2..)
            .map(|n| format!("{base}{n}"))
            .find(|candidate| !taken(candidate))
            .expect("a free name")
    } else {
        base.to_owned()
    };
    Ident::new(&name, Span::call_site())
}

impl Idens {
    /// Enum columns spell out their values; they come from the schema the code runs towards.
    pub(super) fn set_enums(&mut self, schema: &Schema) {
        for table in schema.tables.values() {
            let order = self.order.entry(table.name.clone()).or_default();
            for column in &table.columns {
                if !order.contains(&column.name) {
                    order.push(column.name.clone());
                }
            }
        }
        self.enum_values = schema
            .enums
            .iter()
            .map(|(k, v)| (k.clone(), v.values.clone()))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::repeats_enum_name;

    fn columns(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn names_clippy_flags_are_told_apart() {
        assert!(repeats_enum_name("Event", &columns(&["Id", "EventId"])));
        assert!(repeats_enum_name("Tag", &columns(&["Id", "Tag"])));
        assert!(repeats_enum_name("Post", &columns(&["Id", "RePost"])));
        // Two variants with `Table`: under clippy's threshold of three.
        assert!(!repeats_enum_name("Event", &columns(&["EventId"])));
        // A number after the name, or a lowercase letter (one word), is not flagged.
        assert!(!repeats_enum_name("Event", &columns(&["Id", "Event2"])));
        assert!(!repeats_enum_name("Event", &columns(&["Id", "Eventful"])));
        assert!(!repeats_enum_name("Event", &columns(&["Id", "Name"])));
    }
}
