//! Rust names for wire names: methods, fields, types, enum variants, handles.

use heck::{ToSnakeCase, ToUpperCamelCase};

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// snake_case identifier text for a wire name (`channelId` -> `channel_id`); keywords come
/// back as `r#move`, or with a trailing `_` where Rust forbids a raw identifier.
/// `None` when nothing identifier-like is left.
pub fn snake_ident(wire: &str) -> Option<String> {
    let mut s = wire.to_snake_case();
    s.retain(|c| c.is_ascii_alphanumeric() || c == '_');
    if s.is_empty() {
        return None;
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    Some(escape(s))
}

fn escape(s: String) -> String {
    if NOT_RAW.contains(&s.as_str()) {
        format!("{s}_")
    } else if is_keyword(&s) {
        format!("r#{s}")
    } else {
        s
    }
}

/// UpperCamelCase, keeping only identifier characters.
pub fn upper_camel(wire: &str) -> String {
    let mut s = wire.to_upper_camel_case();
    s.retain(|c| c.is_ascii_alphanumeric());
    s
}

/// The Rust type name for a model name; models already are UpperCamel (`RTPstat` stays).
pub fn type_ident_of(name: &str) -> Option<String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok && !is_keyword(name) {
        Some(name.to_owned())
    } else {
        None
    }
}

/// A readable variant name for an allowed value: `Dialing Offhook` -> `DialingOffhook`,
/// `NOT_INUSE` -> `NotInuse`, `*` -> `Star`, `#` -> `Hash`, `3` -> `V3`.
pub fn variant_name(value: &str) -> String {
    let mut words = String::new();
    for c in value.chars() {
        if c.is_ascii_alphanumeric() {
            words.push(c);
        } else if let Some(name) = symbol_name(c) {
            if !value.chars().any(|c| c.is_ascii_alphanumeric()) {
                words.push(' ');
                words.push_str(name);
                words.push(' ');
            } else {
                words.push(' ');
            }
        } else {
            words.push(' ');
        }
    }
    // All-caps words read better as words: NOT_INUSE -> NotInuse.
    let lowered = if words.chars().any(|c| c.is_ascii_lowercase()) {
        words
    } else {
        words.to_ascii_lowercase()
    };
    let mut name = upper_camel(&lowered);
    if name.is_empty() {
        name = "Empty".to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    if name == "Self" || name == "Other" {
        name.push_str("Value");
    }
    name
}

fn symbol_name(c: char) -> Option<&'static str> {
    Some(match c {
        '*' => "star",
        '#' => "hash",
        '+' => "plus",
        '-' => "minus",
        '@' => "at",
        '!' => "bang",
        '&' => "and",
        '%' => "percent",
        '.' => "dot",
        '/' => "slash",
        _ => return None,
    })
}

/// Distinct variant names for a list of values (a clash gets a numeric suffix).
pub fn variant_names(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        let base = variant_name(v);
        let mut name = base.clone();
        let mut n = 2;
        while out.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        out.push(name);
    }
    out
}

/// Names a handle after its id prefix: `/channels/{channelId}` -> `Channel`,
/// `/recordings/live/{recordingName}` -> `LiveRecording`.
pub fn handle_name(prefix: &str) -> String {
    // Where the general rule reads badly, ARI's own terms win.
    match prefix {
        "/asterisk/logging/{logChannelName}" => return "LogChannel".to_owned(),
        "/asterisk/config/dynamic/{configClass}/{objectType}/{id}" => {
            return "ConfigObject".to_owned();
        }
        _ => {}
    }
    let literals: Vec<&str> = prefix
        .split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .collect();
    let Some(last) = literals.last() else {
        return "Root".to_owned();
    };
    if let Some(single) = singular(last) {
        return upper_camel(&single);
    }
    // `live` of `recordings` -> LiveRecording.
    match literals.len().checked_sub(2).map(|i| literals[i]) {
        Some(outer) => upper_camel(&format!(
            "{last}_{}",
            singular(outer).unwrap_or(outer.to_owned())
        )),
        None => upper_camel(last),
    }
}

/// The singular of a plural English resource name; `None` when it does not look plural.
fn singular(word: &str) -> Option<String> {
    if let Some(stem) = word.strip_suffix("ies") {
        Some(format!("{stem}y"))
    } else if let Some(stem) = word.strip_suffix("xes") {
        Some(format!("{stem}x"))
    } else if word.ends_with("ss") {
        None
    } else {
        word.strip_suffix('s').map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_are_readable() {
        assert_eq!(variant_name("Dialing Offhook"), "DialingOffhook");
        assert_eq!(variant_name("NOT_INUSE"), "NotInuse");
        assert_eq!(variant_name("Pre-ring"), "PreRing");
        assert_eq!(variant_name("*"), "Star");
        assert_eq!(variant_name("#"), "Hash");
        assert_eq!(variant_name("3"), "V3");
        assert_eq!(variant_name(""), "Empty");
        assert_eq!(variant_name("Other"), "OtherValue");
        assert_eq!(
            variant_names(&["up".into(), "Up".into()]),
            vec!["Up", "Up2"]
        );
    }

    #[test]
    fn keywords_are_escaped() {
        assert_eq!(snake_ident("move").unwrap(), "r#move");
        assert_eq!(snake_ident("type").unwrap(), "r#type");
        assert_eq!(snake_ident("self").unwrap(), "self_");
        assert_eq!(snake_ident("channelId").unwrap(), "channel_id");
        assert_eq!(snake_ident("sendDTMF").unwrap(), "send_dtmf");
        assert_eq!(snake_ident("***"), None);
    }

    #[test]
    fn handles_are_named_after_their_prefix() {
        assert_eq!(handle_name("/channels/{channelId}"), "Channel");
        assert_eq!(handle_name("/deviceStates/{deviceName}"), "DeviceState");
        assert_eq!(handle_name("/mailboxes/{mailboxName}"), "Mailbox");
        assert_eq!(
            handle_name("/recordings/live/{recordingName}"),
            "LiveRecording"
        );
        assert_eq!(
            handle_name("/recordings/stored/{recordingName}"),
            "StoredRecording"
        );
        assert_eq!(handle_name("/asterisk/modules/{moduleName}"), "Module");
        assert_eq!(
            handle_name("/asterisk/logging/{logChannelName}"),
            "LogChannel"
        );
        assert_eq!(handle_name("/events/user/{eventName}"), "UserEvent");
        assert_eq!(handle_name("/endpoints/{tech}/{resource}"), "Endpoint");
    }
}
