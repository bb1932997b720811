//! `snake_case` and `UpperCamelCase` exactly as `heck` converts them, which is how SeaORM's
//! macros name columns and `DeriveIden` variants.
//!
//! A schema of 1,000 tables converts tens of thousands of names, and heck writes each through
//! `fmt` one `char` at a time; an ASCII name (nearly every Rust identifier) is split into the
//! same words here on bytes. Anything else goes to heck itself. A property test holds the two
//! to the same output.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// `heck::ToSnakeCase`.
pub fn snake_case(s: &str) -> String {
    if !s.is_ascii() {
        return s.to_snake_case();
    }
    let mut out = String::with_capacity(s.len() + 4);
    for (i, word) in words(s).enumerate() {
        if i > 0 {
            out.push('_');
        }
        out.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    }
    out
}

/// `heck::ToUpperCamelCase`.
pub fn upper_camel_case(s: &str) -> String {
    if !s.is_ascii() {
        return s.to_upper_camel_case();
    }
    let mut out = String::with_capacity(s.len());
    for word in words(s) {
        let mut bytes = word.bytes();
        if let Some(first) = bytes.next() {
            out.push(char::from(first.to_ascii_uppercase()));
            out.extend(bytes.map(|b| char::from(b.to_ascii_lowercase())));
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Boundary,
    Lowercase,
    Uppercase,
}

/// heck's word split, on an ASCII string: pieces between non-alphanumeric characters, each
/// cut before an upper-case letter that follows a lower-case one (`createdAt`) and before the
/// last capital of a run followed by a lower-case letter (`HTTPServer`); digits continue the
/// case they follow.
fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .flat_map(|piece| {
            let bytes = piece.as_bytes();
            let mut cuts = Vec::new();
            let mut start = 0;
            let mut mode = Mode::Boundary;
            for i in 0..bytes.len() {
                let c = bytes[i];
                let Some(&next) = bytes.get(i + 1) else {
                    cuts.push(&piece[start..]);
                    break;
                };
                let next_mode = if c.is_ascii_lowercase() {
                    Mode::Lowercase
                } else if c.is_ascii_uppercase() {
                    Mode::Uppercase
                } else {
                    mode
                };
                if next_mode == Mode::Lowercase && next.is_ascii_uppercase() {
                    cuts.push(&piece[start..=i]);
                    start = i + 1;
                    mode = Mode::Boundary;
                } else if mode == Mode::Uppercase
                    && c.is_ascii_uppercase()
                    && next.is_ascii_lowercase()
                {
                    cuts.push(&piece[start..i]);
                    start = i;
                    mode = Mode::Boundary;
                } else {
                    mode = next_mode;
                }
            }
            cuts
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_as_heck_names_them() {
        for (name, snake, camel) in [
            ("created_at", "created_at", "CreatedAt"),
            ("CreatedAt", "created_at", "CreatedAt"),
            ("col_0", "col_0", "Col0"),
            ("Col0", "col0", "Col0"),
            ("HTTPServer", "http_server", "HttpServer"),
            ("__a__b_", "a_b", "AB"),
            ("r#type", "r_type", "RType"),
            ("", "", ""),
            ("Straße", "straße", "Straße"),
        ] {
            assert_eq!(snake_case(name), snake, "snake of {name:?}");
            assert_eq!(upper_camel_case(name), camel, "camel of {name:?}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_heck(s in "[a-zA-Z0-9_#$ -]{0,24}|\\PC{0,12}") {
            prop_assert_eq!(snake_case(&s), s.to_snake_case());
            prop_assert_eq!(upper_camel_case(&s), s.to_upper_camel_case());
        }
    }
}
