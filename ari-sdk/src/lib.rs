//! # ari-sdk: a typed async client for the Asterisk REST Interface
//!
//! The whole REST surface, the models and the events are generated at build time from
//! Asterisk's own api-docs (`api-docs/22` by default, or the folder named by the
//! `ARI_API_DOCS` environment variable), so a new Asterisk means a rebuild, not hand edits.
//!
//! ```no_run
//! # async fn demo() -> ari_sdk::Result<()> {
//! use ari_sdk::Client;
//!
//! let client = Client::builder("http://127.0.0.1:8088/ari").basic_auth("hey", "peekaboo").build()?;
//! // Required parameters are positional, optional ones are builder methods; `.await` sends.
//! let channel = client.channels().originate("Local/7000@default").app("hello").await?;
//! // Handles address one resource by id.
//! client.channel(&channel.id).answer().await?;
//! let playback = client.channel(&channel.id).play(["sound:hello-world"]).lang("en").await?;
//! println!("playback {} is {}", playback.id, playback.state);
//! client.channel(&channel.id).hangup().await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Decoding rule for fields the spec marks required
//!
//! Real servers omit some fields their spec marks required (older Asterisk sends channels
//! without `protocol_id`, `language` or `channelvars`). So:
//! - optional fields are `Option<T>`;
//! - required strings, numbers, booleans, lists, maps and free JSON default to their empty
//!   value (`""`, `0`, `false`, `[]`, `{}`, `null`) when absent;
//! - required timestamps are `Option<Timestamp>` as well: older servers omit some (a bridge's
//!   `creationtime`), and no stand-in time would be true;
//! - required models and enums must be present: without them the value is not meaningful,
//!   and decoding fails with an error naming the field.
//!
//! Unknown fields are ignored; enum values the spec does not list decode as `Other(..)`;
//! unknown event types decode as [`Event::Other`].

mod client;
mod error;
mod event_stream;
mod raw;
mod response;
#[doc(hidden)]
pub mod runtime;
mod timestamp;
mod watch;

pub use client::{Client, ClientBuilder};
pub use error::{Error, EventDecodeError, Result, StatusError};
pub use event_stream::{EventStream, EventsBuilder, Item, ResourceEvents};
pub use raw::{Raw, RawRequest};
pub use response::Response;
pub use runtime::{Method, OperationInfo, UnknownEvent};
pub use timestamp::{Timestamp, TimestampError};
pub use watch::Watched;

/// The client generated from the Asterisk 22 api-docs (or from `ARI_API_DOCS`).
pub mod asterisk_22 {
    include!(concat!(env!("OUT_DIR"), "/asterisk_22/mod.rs"));
}

pub use asterisk_22::events::*;
pub use asterisk_22::models::*;
pub use asterisk_22::*;

/// Decodes one event WebSocket text frame.
///
/// Known types decode into their own variant; an unknown type gives [`Event::Other`]
/// with the raw JSON; a known type whose payload does not match is an
/// [`Error::Event`] naming the type and the field, with the frame text.
pub fn decode_event(frame: &str) -> Result<Event> {
    runtime::decode_event(frame)
}
