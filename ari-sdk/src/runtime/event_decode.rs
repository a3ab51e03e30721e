//! Event frames -> the generated `Event` enum, in one pass for known types.
//!
//! The type is found by a lexical pass that borrows it from the frame (Asterisk usually
//! writes `type` first, but not always: `ChannelVarset` and `ChannelHangupRequest` start
//! with other members), then the whole text is decoded once, straight into the right struct.
//! Only frames that pass cannot read (escapes in a key or in the type, not an object, no
//! type) and types the spec does not list take the path through `serde_json::Value`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Timestamp;
use crate::error::{Error, EventDecodeError, quote_body};

/// Implemented by the generated `Event` enum.
pub trait EventSet: Sized {
    /// The key naming the type (`type`).
    const DISCRIMINATOR: &'static str;
    /// Decodes a frame of a known type; `None` for a type the spec does not list.
    fn decode_known(type_name: &str, json: &str) -> Option<Result<Self, PayloadError>>;
    fn unknown(event: UnknownEvent) -> Self;
}

/// An event type the spec does not list, with the raw JSON kept.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UnknownEvent {
    pub type_name: String,
    /// `application`, empty when absent.
    pub application: String,
    pub timestamp: Option<Timestamp>,
    pub asterisk_id: Option<String>,
    /// The whole frame.
    pub raw: serde_json::Value,
}

/// Where and why a payload does not match its struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError {
    pub path: String,
    pub message: String,
}

/// Decodes a payload, naming the JSON path of a mismatch (found on a second, slower
/// pass only when the first fails).
pub fn decode_payload<T: DeserializeOwned>(json: &str) -> Result<T, PayloadError> {
    match serde_json::from_str(json) {
        Ok(value) => Ok(value),
        Err(first) => {
            let mut de = serde_json::Deserializer::from_str(json);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Ok(_) => Err(PayloadError {
                    path: String::new(),
                    message: first.to_string(),
                }),
                Err(e) => {
                    let path = e.path().to_string();
                    Err(PayloadError {
                        path: if path == "." { String::new() } else { path },
                        message: e.into_inner().to_string(),
                    })
                }
            }
        }
    }
}

/// The index just past the JSON whitespace at `i`.
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// For the string whose opening quote is at `i`: the index of its closing quote, and
/// whether it holds escapes.
fn string_end(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        j += b.get(j..)?.iter().position(|&c| c == b'"' || c == b'\\')?;
        if b[j] == b'"' {
            return Some((j, escaped));
        }
        escaped = true;
        j += 2;
    }
}

/// The index just past the value starting at `i`, found lexically: strings and nesting are
/// followed, nothing is checked or built (the typed pass that follows checks everything).
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i).map(|(end, _)| end + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => j = string_end(b, j)?.0,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let len = b[i..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(b.len() - i);
            (len > 0).then_some(i + len)
        }
    }
}

/// The text of the top-level string member `key` (`"type": "Name"`), borrowed from the
/// frame: the members before it are skipped over without being decoded and those after it
/// are not read, so finding the type allocates nothing whatever the key order. `None` when
/// the text is not an object, the member is missing or not a string, or a key or the
/// value holds escapes: the caller then takes the general path.
fn find_member<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    loop {
        i = skip_ws(b, i + 1);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (name_end, name_escaped) = string_end(b, i)?;
        let is_key = &b[i + 1..name_end] == key.as_bytes();
        if name_escaped {
            return None;
        }
        i = skip_ws(b, name_end + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        if is_key {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let (end, escaped) = string_end(b, i)?;
            // Both ends are ASCII quotes, so the slice falls on character boundaries.
            return (!escaped).then(|| &text[i + 1..end]);
        }
        i = skip_ws(b, skip_value(b, i)?);
        if b.get(i) != Some(&b',') {
            return None;
        }
    }
}

/// Decodes one WebSocket text frame.
pub fn decode_event<E: EventSet>(text: &str) -> Result<E, Error> {
    let fail = |event_type: Option<&str>, field: String, message: String| {
        Error::Event(Box::new(EventDecodeError {
            event_type: event_type.map(str::to_owned),
            field,
            message,
            frame: quote_body(text.as_bytes()),
        }))
    };
    if let Some(type_name) = find_member(text, E::DISCRIMINATOR) {
        match E::decode_known(type_name, text) {
            Some(Ok(event)) => return Ok(event),
            Some(Err(e)) => return Err(fail(Some(type_name), e.path, e.message)),
            None => {}
        }
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| fail(None, String::new(), format!("not JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| fail(None, String::new(), "not a JSON object".to_owned()))?;
    let type_name = match object.get(E::DISCRIMINATOR) {
        Some(serde_json::Value::String(t)) => t.clone(),
        Some(_) => {
            return Err(fail(
                None,
                E::DISCRIMINATOR.to_owned(),
                "not a string".to_owned(),
            ));
        }
        None => {
            return Err(fail(
                None,
                E::DISCRIMINATOR.to_owned(),
                "missing".to_owned(),
            ));
        }
    };
    match E::decode_known(&type_name, text) {
        Some(Ok(event)) => Ok(event),
        Some(Err(e)) => Err(fail(Some(&type_name), e.path, e.message)),
        None => {
            let text_of = |k: &str| object.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            Ok(E::unknown(UnknownEvent {
                application: text_of("application").unwrap_or_default(),
                timestamp: text_of("timestamp").and_then(|t| Timestamp::parse(&t).ok()),
                asterisk_id: text_of("asterisk_id"),
                type_name,
                raw: value,
            }))
        }
    }
}

/// `Deserialize` for the generated `Event`: the same rules as [`decode_event`].
pub fn deserialize_event<'de, D: serde::Deserializer<'de>, E: EventSet>(
    deserializer: D,
) -> Result<E, D::Error> {
    let raw: Box<serde_json::value::RawValue> = serde::Deserialize::deserialize(deserializer)?;
    decode_event(raw.get()).map_err(serde::de::Error::custom)
}

/// Serializes an event struct with its type member first, as Asterisk writes it.
pub fn serialize_tagged<S: serde::Serializer, T: Serialize>(
    serializer: S,
    key: &str,
    type_name: &str,
    event: &T,
) -> Result<S::Ok, S::Error> {
    use serde::ser::{Error as _, SerializeMap};
    let value = serde_json::to_value(event).map_err(S::Error::custom)?;
    let serde_json::Value::Object(fields) = value else {
        return Err(S::Error::custom("an event must serialize to an object"));
    };
    let mut map = serializer.serialize_map(Some(fields.len() + 1))?;
    map.serialize_entry(key, type_name)?;
    for (k, v) in &fields {
        if k != key {
            map.serialize_entry(k, v)?;
        }
    }
    map.end()
}

#[cfg(test)]
mod tests {
    use super::find_member;

    #[test]
    fn find_member_reads_the_type_wherever_it_is() {
        assert_eq!(
            find_member(r#"{"type":"StasisStart","x":1}"#, "type"),
            Some("StasisStart")
        );
        assert_eq!(
            find_member(" {\n \"type\" : \"Dial\" }", "type"),
            Some("Dial")
        );
        assert_eq!(
            find_member(r#"{"x":1,"type":"Dial"}"#, "type"),
            Some("Dial")
        );
        // Members before it are skipped whole: nested objects and arrays, strings holding
        // quotes, brackets and the key itself, literals.
        let later = r#"{"channel":{"type":"no","x":[1,{"y":"}"}]},"v":"a\"type\":\"no\"]","n":-1.5e3,"t":true,"z":null,"type":"ChannelVarset"}"#;
        assert_eq!(find_member(later, "type"), Some("ChannelVarset"));
        assert_eq!(find_member(r#"{"types":"Dial"}"#, "type"), None);
        assert_eq!(find_member(r#"{"x":{"type":"Dial"}}"#, "type"), None);
        assert_eq!(find_member(r#"{"type":"Di\u0061l"}"#, "type"), None);
        assert_eq!(find_member(r#"{"\u0074ype":"Dial"}"#, "type"), None);
        assert_eq!(find_member(r#"{"type":3}"#, "type"), None);
        assert_eq!(find_member(r#"{"type":"#, "type"), None);
        assert_eq!(find_member(r#"{"x":[1,2"#, "type"), None);
        assert_eq!(find_member(r#"["type","Dial"]"#, "type"), None);
        assert_eq!(find_member("", "type"), None);
    }
}
