//! Audio in and out of Asterisk calls.
//!
//! `channels.externalMedia` makes Asterisk create a channel that carries a call's audio to
//! or from your program, over RTP, AudioSocket or WebSocket. This crate creates that
//! channel, attaches it to the call, speaks the transport, paces what you send at real
//! time and cleans everything up when the session ends.

pub mod codec;
mod error;
mod format;
mod frame;
mod link;
mod transport;
pub mod wire;

pub use error::MediaError;
pub use format::{ALL_FORMATS, AudioFormat};
pub use frame::{AudioFrame, EndReason, MediaEvent};
