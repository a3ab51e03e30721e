//! Rust names for wire names: methods, fields, types, enum variants, handles.

use crate::emit::reserved;

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// The words of a name: split at every character that is not a letter or digit, after a
/// lower-case letter (or digits following one) that an upper-case letter follows
/// (`channelId`), and before the last capital of a run when a lower-case letter follows it
/// (`RTPStat` -> `RTP`, `Stat`). The rules of the `heck` crate, which the generator used
/// before (the same words for 300,000 names tried, all of api-docs among them): written
/// here so that ari-sim's copy of ari-codegen, built for the target, adds no runtime crate
/// that otherwise only ari-sdk's build script uses (see `tests/tests/shared_features.rs`).
fn words(name: &str) -> Vec<&str> {
    #[derive(Clone, Copy, PartialEq)]
    enum Case {
        Lower,
        Upper,
    }
    let mut words = Vec::new();
    for part in name.split(|c: char| !c.is_alphanumeric()) {
        let mut start = 0;
        // The case of the last cased letter since `start`.
        let mut last_case = None;
        let mut chars = part.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let Some(&(next_at, next)) = chars.peek() else {
                words.push(&part[start..]);
                break;
            };
            let case = if c.is_lowercase() {
                Some(Case::Lower)
            } else if c.is_uppercase() {
                Some(Case::Upper)
            } else {
                last_case
            };
            if case == Some(Case::Lower) && next.is_uppercase() {
                words.push(&part[start..next_at]);
                start = next_at;
                last_case = None;
            } else if last_case == Some(Case::Upper) && c.is_uppercase() && next.is_lowercase() {
                words.push(&part[start..at]);
                start = at;
                last_case = None;
            } else {
                last_case = case;
            }
        }
    }
    words
}

/// `snake_case` of any name: its [`words`] in lower case, joined by `_`.
fn snake_case(name: &str) -> String {
    let lower: Vec<String> = words(name).iter().map(|w| w.to_lowercase()).collect();
    lower.join("_")
}

/// `UpperCamelCase` of any name: its [`words`], each capitalized, joined.
fn upper_camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in words(name) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(&chars.as_str().to_lowercase());
        }
    }
    out
}

pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// snake_case identifier text for a wire name (`channelId` -> `channel_id`); keywords come
/// back as `r#move`, or with a trailing `_` where Rust forbids a raw identifier.
/// `None` when nothing identifier-like is left.
pub fn snake_ident(wire: &str) -> Option<String> {
    let mut s = snake_case(wire);
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

/// Why a spec name that becomes Rust items cannot (a declaration file's stem becomes a
/// module, a `Client` method and a type; a nickname a method and a builder type); `None`
/// when it can. Such names must start with an ASCII letter and hold only ASCII letters,
/// digits, `_` and `-`, and must not turn into `self`, `Self`, `super` or `crate`, which no
/// identifier may be, not even a raw one.
pub fn item_name_problem(wire: &str) -> Option<String> {
    if let Some(problem) = word_problem(wire) {
        return Some(problem);
    }
    let snake = snake_case(wire);
    let camel = upper_camel(wire);
    [snake, camel]
        .into_iter()
        .find(|form| NOT_RAW.contains(&form.as_str()))
        .map(|form| format!("it becomes `{form}`, a Rust keyword no identifier may be"))
}

/// Why a literal segment of a path template is not acceptable; `None` when it is. Dot
/// segments are resolved away by every URL parser (the request would go elsewhere), and
/// handles are named after literals, so literals follow the rule of [`item_name_problem`]
/// for characters.
pub fn path_literal_problem(segment: &str) -> Option<String> {
    if segment == "." || segment == ".." {
        return Some(format!(
            "`{segment}` is a dot segment, which URL parsers resolve away"
        ));
    }
    word_problem(segment)
}

fn word_problem(wire: &str) -> Option<String> {
    let Some(first) = wire.chars().next() else {
        return Some("it is empty".to_owned());
    };
    if !first.is_ascii_alphabetic() {
        return Some(format!("it starts with `{first}`, not an ASCII letter"));
    }
    wire.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        .map(|c| format!("`{c}` is not an ASCII letter, digit, `_` or `-`"))
}

/// The module (and file stem) of a resource, for a name [`item_name_problem`] accepts:
/// `deviceStates` -> `device_states`; a keyword or a name generated paths need
/// ([`reserved::MODULES`]) gets `_resource`.
pub fn module_name(resource: &str) -> String {
    let mut name = snake_case(resource);
    name.retain(|c| c.is_ascii_alphanumeric() || c == '_');
    if reserved::MODULES.contains(&name.as_str()) || is_keyword(&name) {
        name.push_str("_resource");
    }
    name
}

/// The request builder type of an operation: `originate` -> `Originate`; a nickname that
/// repeats the resource's accessor type (`Channels` in `channels`) or a prelude type the
/// module uses ([`reserved::PRELUDE_TYPES`]) gets `Request`.
pub fn builder_name(resource: &str, nickname: &str) -> String {
    let name = upper_camel(nickname);
    if name == upper_camel(resource) || reserved::PRELUDE_TYPES.contains(&name.as_str()) {
        format!("{name}Request")
    } else {
        name
    }
}

/// UpperCamelCase, keeping only identifier characters.
pub fn upper_camel(wire: &str) -> String {
    let mut s = upper_camel_case(wire);
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
    fn words_split_like_heck() {
        let cases = [
            ("channelId", "channel_id", "ChannelId"),
            ("RTPstat", "rt_pstat", "RtPstat"),
            ("RTPStat", "rtp_stat", "RtpStat"),
            ("deviceStates", "device_states", "DeviceStates"),
            ("Dialing Offhook", "dialing_offhook", "DialingOffhook"),
            ("ABC", "abc", "Abc"),
            ("aB9c", "a_b9c", "AB9c"),
            ("a9B", "a9_b", "A9B"),
            ("9aB", "9a_b", "9aB"),
            ("-__x--y_", "x_y", "XY"),
            ("snake_case-kebab", "snake_case_kebab", "SnakeCaseKebab"),
            ("", "", ""),
        ];
        for (name, snake, camel) in cases {
            assert_eq!(snake_case(name), snake, "{name}");
            assert_eq!(upper_camel_case(name), camel, "{name}");
        }
    }

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
    fn item_names_start_with_a_letter_and_are_no_forbidden_keyword() {
        for ok in [
            "channels",
            "deviceStates",
            "getChannelVar",
            "move",
            "type",
            "a-b",
            "x1",
        ] {
            assert_eq!(item_name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "-",
            "_",
            "\u{e9}",
            "123",
            "1a",
            "%2F",
            "a.b",
            "a b",
            "caf\u{e9}",
        ] {
            assert!(item_name_problem(bad).is_some(), "{bad}");
        }
        for keyword in ["self", "Self", "SELF", "super", "crate"] {
            let problem = item_name_problem(keyword).expect(keyword);
            assert!(problem.contains("keyword"), "{keyword}: {problem}");
        }
    }

    #[test]
    fn path_literals_are_words_and_never_dot_segments() {
        assert_eq!(path_literal_problem("rtp_statistics"), None);
        assert_eq!(path_literal_problem("externalMedia"), None);
        for bad in [".", "..", "_", "123s", "\u{e9}", "a.b"] {
            assert!(path_literal_problem(bad).is_some(), "{bad}");
        }
        assert!(path_literal_problem("..").unwrap().contains("dot segment"));
    }

    #[test]
    fn modules_avoid_fixed_modules_and_keywords() {
        assert_eq!(module_name("deviceStates"), "device_states");
        assert_eq!(module_name("events"), "events_resource");
        assert_eq!(module_name("type"), "type_resource");
        assert_eq!(module_name("move"), "move_resource");
    }

    #[test]
    fn builders_and_setters_avoid_their_own_names() {
        assert_eq!(builder_name("channels", "originate"), "Originate");
        assert_eq!(builder_name("channels", "channels"), "ChannelsRequest");
        assert_eq!(builder_name("things", "vec"), "VecRequest");
        assert_eq!(module_name("std"), "std_resource");
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
