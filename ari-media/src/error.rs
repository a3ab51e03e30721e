//! The media library's error type.

use crate::format::ALL_FORMATS;

/// What can go wrong with a media session. A stream item that is an `Err` is not the end:
/// the session goes on (a malformed packet is dropped and reported); the stream ends with
/// `None`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// A format this library cannot frame or convert.
    #[error("unsupported audio format {0:?}; supported: {supported}", supported = supported_formats())]
    UnsupportedFormat(String),
    /// A format the chosen transport cannot carry (G.711 over AudioSocket).
    #[error("{transport} cannot carry {format}; it carries {carries}")]
    FormatNotCarried {
        /// The transport's name.
        transport: &'static str,
        /// The format asked for.
        format: crate::AudioFormat,
        /// What it carries instead.
        carries: &'static str,
    },
    /// A request to Asterisk failed (creating the media channel, bridging, hanging up).
    #[error("{step}: {source}")]
    Ari {
        /// What the session was doing.
        step: &'static str,
        /// The SDK's error.
        #[source]
        source: ari_sdk::Error,
    },
    /// Bytes from the far end that do not follow the transport's format: dropped, the
    /// session goes on.
    #[error("{transport}: malformed {what}: {detail}")]
    Malformed {
        /// `rtp`, `audiosocket` or `websocket`.
        transport: &'static str,
        /// What was malformed (a packet, a frame, a control message).
        what: &'static str,
        /// What exactly is wrong, with the offending bytes or text quoted (cut short).
        detail: String,
    },
    /// A socket failed (bind, connect, read, write).
    #[error("{transport}: {context}: {source}")]
    Io {
        /// `rtp`, `audiosocket` or `websocket`.
        transport: &'static str,
        /// What the library was doing.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The far end did not do its part in time (connect, first packet, answer).
    #[error("{transport}: timed out after {after:?} waiting for {what}")]
    Timeout {
        /// `rtp`, `audiosocket` or `websocket`.
        transport: &'static str,
        /// What the library waited for.
        what: &'static str,
        /// How long it waited.
        after: std::time::Duration,
    },
    /// Asterisk reported an error on the media connection (an AudioSocket error frame, a
    /// WebSocket `ERROR` event).
    #[error("{transport}: Asterisk reported an error: {message}")]
    Remote {
        /// `audiosocket` or `websocket`.
        transport: &'static str,
        /// Asterisk's text, or the error code it sent.
        message: String,
    },
    /// Audio that cannot be read or converted (a WAV file that is not one, a rate the
    /// resampler does not do).
    #[error("{0}")]
    Audio(String),
    /// The session was configured in a way that cannot work (named before any request).
    #[error("invalid media session settings: {0}")]
    Invalid(String),
    /// The session has ended: nothing more can be sent.
    #[error("the media session has ended")]
    Closed,
}

fn supported_formats() -> String {
    let names: Vec<&str> = ALL_FORMATS.iter().map(|f| f.asterisk_name()).collect();
    names.join(", ")
}
