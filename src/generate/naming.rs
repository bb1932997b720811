//! Migration names: `mYYYYMMDD_HHMMSS_slug`, unique among the registered ones.

use crate::error::{Error, Result};

/// `mYYYYMMDD_HHMMSS_<slug>`, later than every registered migration so the order holds even
/// when the clock is behind.
pub(super) fn module_name(
    now: &chrono::NaiveDateTime,
    message: &str,
    registered: &[String],
) -> Result<String> {
    let slug = slug(message);
    if slug.is_empty() {
        return Err(Error::InvalidArgument {
            flag: "-m",
            value: message.to_owned(),
            reason: "the message needs at least one letter or digit; it names the migration".into(),
        });
    }
    let mut at = *now;
    loop {
        let stamp = at.format("%Y%m%d_%H%M%S").to_string();
        let name = format!("m{stamp}_{slug}");
        let later = registered
            .iter()
            .all(|r| r.get(..16).is_none_or(|p| p < &name[..16]));
        if later {
            return Ok(name);
        }
        at += chrono::Duration::seconds(1);
    }
}

pub(crate) fn slug(message: &str) -> String {
    let mut out = String::new();
    for c in message.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let mut out: String = out.trim_end_matches('_').chars().take(48).collect();
    while out.ends_with('_') {
        out.pop();
    }
    out
}
