//! The hand-written runtime the generated code calls. Not a stable API: generated code
//! only describes requests (method, path, parameters, response type) and hands them here.

mod body;
mod call;
mod encode;
mod enums;
mod event_decode;
pub(crate) mod json_scan;
mod line;
mod media;
mod strings;

pub use crate::watch::WatchId;
pub use body::Body;
pub use bytes::Bytes;
pub use call::{
    Call, Decoder, Pending, decode_binary, decode_json, decode_json_or_null, decode_void,
};
pub(crate) use encode::encode_query;
pub use encode::{QueryValue, Seg, redact_url};
pub use enums::deserialize_wire_str;
pub(crate) use enums::wire_enum_impls;
pub use event_decode::{
    EventSet, PayloadError, UnknownEvent, decode_event, decode_payload, deserialize_event,
    serialize_tagged,
};
pub use line::{LineEvent, LineKind};
pub use media::MEDIA_SCHEMES;
pub use strings::IntoStrings;

/// One row of the generated operation table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationInfo {
    /// Declaration name, e.g. `channels`.
    pub resource: &'static str,
    /// The spec's nickname, e.g. `originate`.
    pub nickname: &'static str,
    /// `channels.originate`: how errors and logs name the operation.
    pub name: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// Path template, e.g. `/channels/{channelId}/play`.
    pub path: &'static str,
    /// Asterisk versions that introduced it, one per release line.
    pub since: &'static [&'static str],
    /// Error statuses the spec lists.
    pub error_statuses: &'static [u16],
    /// The event WebSocket rather than a REST call.
    pub websocket: bool,
    /// The response type as the spec names it: `Channel`, `List[Bridge]`, `void`, `binary`.
    pub response: &'static str,
    /// Its parameters, in the spec's order.
    pub params: &'static [ParamInfo],
    /// What it does, in one sentence (the SDK's text, `api-docs/text`).
    pub summary: &'static str,
    /// More about it, Markdown; empty when there is nothing more.
    pub details: &'static str,
    /// What each documented error status means for it: `(status, text)`.
    pub statuses: &'static [(u16, &'static str)],
    /// The event types that follow it, in the order they come.
    pub events: &'static [&'static str],
}

/// One parameter of an [`OperationInfo`]: what a tool needs to ask for it and check it
/// before sending (the `ari` command line builds its flags from these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamInfo {
    /// The spec's name, e.g. `channelId`.
    pub name: &'static str,
    /// Where it goes in the request.
    pub location: ParamLocation,
    /// The type as the spec names it: `string`, `int`, `long`, `double`, `boolean`,
    /// `object`, `containers` (a string map), `List[string]`, ...
    pub ty: &'static str,
    /// A request without it is refused (by the spec or, where the SDK knows better, by
    /// Asterisk).
    pub required: bool,
    /// Several values, sent comma-joined.
    pub multiple: bool,
    /// The values accepted, when the spec lists them; empty otherwise.
    pub allowed: &'static [&'static str],
    /// What each allowed value means: `(value, text)`.
    pub value_text: &'static [(&'static str, &'static str)],
    /// The default as the spec writes it.
    pub default: Option<&'static str>,
    /// The smallest number accepted.
    pub min: Option<i64>,
    /// The largest number accepted.
    pub max: Option<i64>,
    /// Its values are media URIs (`sound:hello-world`).
    pub media_uris: bool,
    /// How a body parameter is laid out in the body.
    pub body_shape: BodyShape,
    /// What it means (the SDK's text); empty when there is none.
    pub text: &'static str,
}

/// Where a parameter goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamLocation {
    /// A segment of the path: `/channels/{channelId}`.
    Path,
    /// The query string.
    Query,
    /// The JSON body.
    Body,
}

/// How a body parameter's value is laid out in the JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyShape {
    /// A member named after the parameter: `{"variables": {"k": "v"}}`.
    Member,
    /// The value's own members are the body's: `{"allowed": [...]}` for
    /// `applications.filter`.
    Whole,
    /// A string map sent as a list of pairs:
    /// `{"fields": [{"attribute": "k", "value": "v"}]}`.
    AttributeList,
}

/// HTTP methods ARI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: reads, changes nothing.
    Get,
    /// `POST`: creates or acts (originate, play, answer).
    Post,
    /// `PUT`: sets (a variable, a filter, a device state).
    Put,
    /// `DELETE`: removes or stops (hang up, destroy, stop a playback).
    Delete,
    /// `PATCH` (no ARI operation uses it today).
    Patch,
    /// `HEAD` (no ARI operation uses it today).
    Head,
}

impl Method {
    /// The method as HTTP writes it, e.g. `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Head => "HEAD",
        }
    }
    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
            Method::Patch => reqwest::Method::PATCH,
            Method::Head => reqwest::Method::HEAD,
        }
    }
}
