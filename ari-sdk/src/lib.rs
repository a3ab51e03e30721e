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

mod call;
mod client;
mod error;
mod event_stream;
mod raw;
mod response;
#[doc(hidden)]
pub mod runtime;
pub mod server;
mod timestamp;
mod transport;
mod version;
mod watch;
// The event connection's code names REST over the WebSocket by its old module path.
use transport::websocket as ws_rest;

pub use call::{
    Call, CallEnded, Calls, CallsBuilder, CallsItem, CollectDigits, Digits, DigitsEnd, Menu,
    MenuChoice, Play, Played, Record, Recorded,
};
pub use client::{Client, ClientBuilder, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS};
pub use error::{Error, EventDecodeError, Result, StatusError};
pub use event_stream::{EventStream, EventsBuilder, Item, ResourceEvents};
pub use raw::{Raw, RawRequest};
pub use response::Response;
pub use runtime::{IntoStrings, MEDIA_SCHEMES};
pub use runtime::{Method, OperationInfo, UnknownEvent};
pub use timestamp::{Timestamp, TimestampError};
pub use transport::Transport;
pub use version::{AsteriskVersion, VersionError, supports};
pub use watch::Watched;

/// Declares the module of one release line, generated when its feature is enabled.
macro_rules! release_line {
    ($feature:literal, $module:ident, $file:literal, $doc:literal) => {
        #[cfg(feature = $feature)]
        #[doc = $doc]
        pub mod $module {
            include!(concat!(env!("OUT_DIR"), $file));
        }
    };
}

release_line!(
    "asterisk-18",
    asterisk_18,
    "/asterisk_18/mod.rs",
    "The client generated from the Asterisk 18 api-docs."
);
release_line!(
    "asterisk-20",
    asterisk_20,
    "/asterisk_20/mod.rs",
    "The client generated from the Asterisk 20 api-docs."
);
release_line!(
    "asterisk-21",
    asterisk_21,
    "/asterisk_21/mod.rs",
    "The client generated from the Asterisk 21 api-docs."
);
release_line!(
    "asterisk-22",
    asterisk_22,
    "/asterisk_22/mod.rs",
    "The client generated from the Asterisk 22 api-docs."
);
release_line!(
    "asterisk-23",
    asterisk_23,
    "/asterisk_23/mod.rs",
    "The client generated from the Asterisk 23 api-docs."
);

/// The crate root speaks the newest enabled line (build.rs picks it).
macro_rules! primary {
    ($cfg:ident, $module:ident) => {
        #[cfg($cfg)]
        pub use $module::{events::*, models::*, *};
    };
}

primary!(ari_primary_18, asterisk_18);
primary!(ari_primary_20, asterisk_20);
primary!(ari_primary_21, asterisk_21);
primary!(ari_primary_22, asterisk_22);
primary!(ari_primary_23, asterisk_23);

/// Decodes one event WebSocket text frame.
///
/// Known types decode into their own variant; an unknown type gives [`Event::Other`]
/// with the raw JSON; a known type whose payload does not match is an
/// [`Error::Event`] naming the type and the field, with the frame text.
pub fn decode_event(frame: &str) -> Result<Event> {
    runtime::decode_event(frame)
}
