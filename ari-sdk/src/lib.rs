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
//! ## Where to start
//!
//! The [`guide`] teaches the SDK chapter by chapter, from [getting started](guide::getting_started)
//! to [testing with the simulator](guide::testing); its examples run in the project's tests.
//! The reference is the rest of this page: [`Client`] and its builder, the [`Event`] enum and
//! one struct per event type, the models ([`Channel`], [`Bridge`], [`Playback`], ...), the
//! handles ([`ChannelHandle`], [`BridgeHandle`], ...) and one module per ARI resource
//! ([`channels`], [`bridges`], ...) with a request builder per operation. Each generated item
//! carries our own description of what it does, the events that follow, what each error
//! status means, and the HTTP method, path and since-versions. Every default the SDK applies
//! is a `DEFAULT_*` constant here ([`DEFAULT_REQUEST_TIMEOUT`], [`DEFAULT_EVENT_BUFFER`], ...).
//!
//! ## Release lines and the crate root
//!
//! Each enabled line feature (`asterisk-18` ... `asterisk-23`) compiles a complete module,
//! `ari_sdk::asterisk_NN`: models, events, operations, handles, and the runtime parts that
//! read that line's events (event connections, per-resource streams, waits, calls and IVR
//! helpers), reached through `client.asterisk_NN()`. The crate root re-exports one line: the
//! only enabled one, or the one a `root-NN` feature chooses. Several lines without a choice,
//! or two choices, are a build error naming the features, so enabling another line anywhere in
//! a dependency tree never changes what `ari_sdk::Channel` means. [`generic`] holds the
//! runtime types over any line's `Event`.
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

// Every public item has our own text, and every link in it resolves (CI builds the docs with
// warnings as errors as well).
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod client;
mod defaults;
mod error;
mod event_stream;
pub mod generic;
pub mod guide;
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

pub use client::{Client, ClientBuilder};
pub use defaults::*;
pub use error::{Error, EventDecodeError, Result, StatusError};
pub use raw::{Raw, RawRequest};
pub use response::Response;
pub use runtime::{BodyShape, Method, OperationInfo, ParamInfo, ParamLocation, UnknownEvent};
pub use runtime::{IntoStrings, MEDIA_SCHEMES};
pub use timestamp::{Timestamp, TimestampError};
pub use transport::Transport;
pub use transport::relay;
pub use version::{AsteriskVersion, VersionError, supports};

/// The parts of the runtime that read one line's events (calls, IVR helpers, waits on
/// what requests create), written once in `src/line/` and compiled into the module of each
/// line whose spec has what they read (the generator checks, see `CALLS_UNSUPPORTED`):
/// there, `super::` is that line, so each line gets them with its own types.
macro_rules! line_runtime {
    () => {
        /// Calls: a channel in your Stasis application, with its own event stream opened
        /// at the moment its `StasisStart` arrived, a signal for its end, and IVR building
        /// blocks (prompts with barge-in, digit collection, menus, recording).
        ///
        /// One task per call is the pattern:
        ///
        /// ```no_run
        /// # async fn demo(client: ari_sdk::Client) -> ari_sdk::Result<()> {
        /// let mut calls = client.calls(["hello"]).connect().await?;
        /// while let Some(call) = calls.next().await {
        ///     let mut call = match call {
        ///         Ok(call) => call,
        ///         Err(error) => { eprintln!("{error}"); continue }   // a bad frame or lag: go on
        ///     };
        ///     tokio::spawn(async move {
        ///         call.channel().answer().await?;
        ///         call.play("sound:hello-world").await?;
        ///         call.channel().hangup().await
        ///     });
        /// }
        /// # Ok(())
        /// # }
        /// ```
        pub mod call {
            include!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/line/call.rs"));
        }
        mod waits {
            include!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/line/waits.rs"));
        }
        #[doc(inline)]
        pub use call::{
            Call, CallEnded, Calls, CallsBuilder, CallsItem, CollectDigits, Digits, DigitsEnd,
            Menu, MenuChoice, Played, Prompt, Record, Recorded,
        };
    };
}

pub(crate) use line_runtime;

// The modules of the enabled release lines, and the crate root's re-export of the root
// line (build.rs writes both from its list of lines and the enabled features).
include!(concat!(env!("OUT_DIR"), "/lines.rs"));

/// Decodes one event WebSocket text frame into the root line's [`Event`].
///
/// Known types decode into their own variant; an unknown type gives [`Event::Other`]
/// with the raw JSON; a known type whose payload does not match is an
/// [`Error::Event`] naming the type and the field, with the frame text.
pub fn decode_event(frame: &str) -> Result<Event> {
    runtime::decode_event(frame)
}
