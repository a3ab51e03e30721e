//! What a media session delivers: audio frames, digits, control events.

use std::time::Instant;

use bytes::Bytes;

use crate::format::AudioFormat;
use crate::wire::ws_control::ControlEvent;

/// One frame of audio from Asterisk: usually one frame interval (20 ms), but Asterisk may
/// send shorter ones over AudioSocket and WebSocket, so count samples
/// ([`sample_count`](Self::sample_count)), not frames, to measure time. Audio that arrived
/// while the session was being opened is delivered too (its `received_at` may precede the
/// moment `open` returned).
///
/// `payload` is in the session's [`AudioFormat`]; for `slin` and `slin16` the samples are
/// always little-endian 16-bit, whatever the transport carried (RTP's L16 is big-endian on
/// the wire and is swapped on receipt), so [`AudioFrame::samples`] is the same for every
/// transport.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFrame {
    /// The session's format.
    pub format: AudioFormat,
    /// The audio bytes.
    pub payload: Bytes,
    /// The RTP sequence number (RTP only).
    pub sequence: Option<u16>,
    /// The RTP timestamp, in samples (RTP only).
    pub timestamp: Option<u32>,
    /// When the library received it.
    pub received_at: Instant,
}

impl AudioFrame {
    /// The frame as 16-bit linear samples (G.711 is expanded).
    pub fn samples(&self) -> Vec<i16> {
        crate::codec::to_linear(self.format, &self.payload)
    }

    /// Samples in the frame.
    pub fn sample_count(&self) -> usize {
        self.payload.len() / self.format.bytes_per_sample()
    }
}

/// An item of a media session's stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// Audio from the call.
    Audio(AudioFrame),
    /// A DTMF digit the caller pressed (AudioSocket and WebSocket report them; RTP carries
    /// them as RFC 4733 events, which Asterisk's `UnicastRTP` channel does not send).
    Dtmf(char),
    /// A control event of the WebSocket transport (marks processed, buffering done,
    /// status): flow control (`MEDIA_XOFF`/`MEDIA_XON`) is handled by the library and also
    /// reported here.
    Control(ControlEvent),
}

/// Why a media session's stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// The call the session was attached to ended.
    CallEnded,
    /// The media channel was hung up (by Asterisk, by another request).
    MediaChannelEnded,
    /// The far end of the transport hung up or closed the connection.
    TransportClosed(String),
    /// The application closed the session.
    Closed,
}
