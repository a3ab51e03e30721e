//! Audio in and out of Asterisk calls.
//!
//! `channels.externalMedia` makes Asterisk create a channel that carries a call's audio to
//! or from your program, over RTP, AudioSocket or WebSocket. A [`MediaSession`] creates that
//! channel, attaches it to the call, speaks the transport, paces what you send at real
//! time and cleans everything up when it ends: one API over the three transports.
//!
//! - [`MediaSession`]: open one per call; read [`MediaEvent`]s, talk with an
//!   [`AudioSender`].
//! - [`codec`]: G.711 and linear PCM, 8 <-> 16 kHz, WAV files, tones, level and tone
//!   detection.
//! - [`wire`]: the transports' formats without sockets (RTP, AudioSocket, the WebSocket
//!   control protocol).
//!
//! The media channel enters your Stasis application like any channel; it is created as
//! the SDK creates resources, its events subscribed before the request leaves, so a
//! `calls()` stream does not hand it to you as a new call.

pub mod codec;
mod error;
mod format;
mod frame;
mod link;
mod session;
mod stats;
mod transport;
pub mod wire;

pub use error::MediaError;
pub use format::{ALL_FORMATS, AudioFormat};
pub use frame::{AudioFrame, EndReason, MediaEvent};
pub use session::{
    Attach, AudioSender, DEFAULT_CONNECT_TIMEOUT, DEFAULT_FRAME, DEFAULT_RECEIVE_BUFFER,
    DEFAULT_SEND_BUFFER, MediaSession, MediaSessionBuilder, MediaTransport,
};
pub use stats::MediaStats;
pub use transport::websocket::MediaListener;
pub use wire::ws_control::{Command, ControlEvent, ControlFormat};
