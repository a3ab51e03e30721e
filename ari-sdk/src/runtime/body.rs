//! An answer's body as it arrived: bytes (HTTP, relays) or, over the WebSocket transport,
//! still inside its `RESTResponse` frame as a JSON string, and decoded from there.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use bytes::Bytes;
use serde::de::{self, DeserializeOwned, Deserializer as _};

/// The body of an answer, handed to the operation's [`Decoder`](super::Decoder).
pub struct Body(Form);

enum Form {
    Bytes(Bytes),
    /// `frame[literal]` is a JSON string literal, quotes included, whose text is the body.
    InFrame {
        frame: Bytes,
        literal: Range<usize>,
    },
}

impl Body {
    /// No body (a `204`).
    pub fn empty() -> Body {
        Body(Form::Bytes(Bytes::new()))
    }

    /// The body `frame[literal]` carries as a JSON string (`"{\"id\":...}"`). The frame is
    /// shared, not copied.
    pub(crate) fn in_frame(frame: Bytes, literal: Range<usize>) -> Body {
        Body(Form::InFrame { frame, literal })
    }

    /// Whether the body has no bytes.
    pub fn is_empty(&self) -> bool {
        match &self.0 {
            Form::Bytes(bytes) => bytes.is_empty(),
            Form::InFrame { literal, .. } => literal.len() <= 2,
        }
    }

    /// The body's bytes. A body still in its frame is unescaped into a copy: for error
    /// messages, raw answers and the second, path-tracking pass of a failed decode.
    pub fn to_bytes(&self) -> Bytes {
        match &self.0 {
            Form::Bytes(bytes) => bytes.clone(),
            Form::InFrame { frame, literal } => {
                serde_json::from_slice::<String>(&frame[literal.clone()])
                    .map(Bytes::from)
                    // The frame's scan found a whole string literal, so this cannot fail;
                    // should it, the escaped text still says what came.
                    .unwrap_or_else(|_| frame.slice(literal.clone()))
            }
        }
    }

    /// Decodes the body as JSON. A body in its frame is read from the frame: the string's
    /// text is parsed where the JSON reader unescapes it, without a copy of its own.
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match &self.0 {
            Form::Bytes(bytes) => serde_json::from_slice(bytes),
            Form::InFrame { frame, literal } => {
                let mut reader = serde_json::Deserializer::from_slice(&frame[literal.clone()]);
                let value = reader.deserialize_str(JsonInString(PhantomData))?;
                reader.end()?;
                Ok(value)
            }
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body(Form::Bytes(bytes))
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Form::Bytes(bytes) => f.debug_tuple("Body").field(bytes).finish(),
            Form::InFrame { frame, literal } => f
                .debug_tuple("Body::InFrame")
                .field(&frame.slice(literal.clone()))
                .finish(),
        }
    }
}

/// Visits a JSON string and decodes its text as JSON of type `T`.
struct JsonInString<T>(PhantomData<T>);

impl<T: DeserializeOwned> de::Visitor<'_> for JsonInString<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string holding JSON")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        serde_json::from_str(text).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_frame(frame: &str, key: &str) -> Body {
        let value = crate::runtime::json_scan::member_value(frame, key).expect("member");
        let start = value.as_ptr() as usize - frame.as_ptr() as usize;
        Body::in_frame(
            Bytes::copy_from_slice(frame.as_bytes()),
            start..start + value.len(),
        )
    }

    #[test]
    fn a_body_in_its_frame_decodes_like_the_same_bytes() {
        let frame = r#"{"type":"RESTResponse","message_body":"{\"id\":\"a\\\"b\",\"n\":[1,2],\"u\":\"\u00e9\"}","application":"x"}"#;
        let body = in_frame(frame, "message_body");
        let plain = Body::from(body.to_bytes());
        assert_eq!(
            &body.to_bytes()[..],
            r#"{"id":"a\"b","n":[1,2],"u":"é"}"#.as_bytes()
        );
        let decoded: serde_json::Value = body.decode().unwrap();
        assert_eq!(decoded, plain.decode::<serde_json::Value>().unwrap());
        assert_eq!(decoded["id"], "a\"b");
        assert_eq!(decoded["u"], "é");
        assert!(!body.is_empty());
    }

    #[test]
    fn bad_json_in_the_string_is_an_error() {
        let body = in_frame(r#"{"message_body":"{\"id\":"}"#, "message_body");
        assert!(body.decode::<serde_json::Value>().is_err());
        assert_eq!(&body.to_bytes()[..], br#"{"id":"#);
        let empty = in_frame(r#"{"message_body":""}"#, "message_body");
        assert!(empty.is_empty());
        assert!(Body::empty().is_empty());
    }
}
