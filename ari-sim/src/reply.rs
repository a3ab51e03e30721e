//! What an operation answers.

use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Empty,
    Json(Value),
    Bytes {
        data: Vec<u8>,
        content_type: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Body,
    pub location: Option<String>,
}

impl Reply {
    pub fn json(status: u16, value: Value) -> Reply {
        Reply {
            status,
            body: Body::Json(value),
            location: None,
        }
    }
    pub fn ok<T: serde::Serialize>(value: &T) -> Reply {
        Reply::json(200, crate::world::to_value(value))
    }
    /// `201 Created` with a `Location` header, as play and record answer.
    pub fn created<T: serde::Serialize>(value: &T, location: String) -> Reply {
        Reply {
            status: 201,
            body: Body::Json(crate::world::to_value(value)),
            location: Some(location),
        }
    }
    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            body: Body::Empty,
            location: None,
        }
    }
    /// Asterisk's error body: `{"message": "..."}`.
    pub fn error(status: u16, message: &str) -> Reply {
        Reply::json(status, json!({ "message": message }))
    }
    pub fn bytes(data: Vec<u8>, content_type: &'static str) -> Reply {
        Reply {
            status: 200,
            body: Body::Bytes { data, content_type },
            location: None,
        }
    }
}

/// Handlers return `Err(reply)` for errors so `?` reads naturally.
pub type Result<T = Reply> = std::result::Result<T, Reply>;
