//! Event frames -> the generated `Event` enum, in one pass for known types.
//!
//! The type is found by a lexical pass that borrows it from the frame (Asterisk usually
//! writes `type` first, but not always: `ChannelVarset` and `ChannelHangupRequest` start
//! with other members), then the whole text is decoded once, straight into the right struct.
//! Only frames that pass cannot read (escapes in a key or in the type, not an object, no
//! type) and types the spec does not list take the path through `serde_json::Value`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::json_scan::find_member;
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
    /// The frame's `type`, e.g. a type a newer Asterisk added.
    pub type_name: String,
    /// `application`, empty when absent.
    pub application: String,
    /// `timestamp`, when present and readable.
    pub timestamp: Option<Timestamp>,
    /// `asterisk_id`, when present.
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
