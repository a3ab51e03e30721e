//! What a session is asked to do: the transport, how it is attached to the call, timing.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::format::AudioFormat;
use crate::transport::websocket::MediaListener;
use crate::wire::ws_control::ControlFormat;

/// How audio travels between Asterisk and the application.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MediaTransport {
    /// RTP over UDP (`encapsulation=rtp`, `transport=udp`): Asterisk sends RTP to a UDP port
    /// the library binds, and takes RTP back. Works with every Asterisk that has ARI's
    /// `externalMedia` (16 and later).
    Rtp,
    /// AudioSocket over TCP (`encapsulation=audiosocket`, `transport=tcp`): Asterisk
    /// connects to a TCP port the library binds. Carries signed linear audio only.
    AudioSocket,
    /// WebSocket, the application connecting to Asterisk's HTTP server at
    /// `/media/<connection id>` (`transport=websocket`, `connection_type=server`; Asterisk
    /// 22.6 and later with `chan_websocket`). Nothing to configure on Asterisk.
    WebSocket,
    /// WebSocket, Asterisk connecting to the application (`connection_type=client`):
    /// `connection` names a `websocket_client.conf` entry whose `uri` points at
    /// `listener`. One listener serves any number of sessions.
    WebSocketClient {
        /// The `websocket_client.conf` connection id.
        connection: String,
        /// Where Asterisk's connections arrive.
        listener: MediaListener,
    },
}

impl MediaTransport {
    /// The name used in logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            MediaTransport::Rtp => "rtp",
            MediaTransport::AudioSocket => "audiosocket",
            MediaTransport::WebSocket => "websocket",
            MediaTransport::WebSocketClient { .. } => "websocket-client",
        }
    }
}

/// How the media channel is attached to the call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attach {
    /// A new mixing bridge holds the call and the media channel: the application hears the
    /// caller and the caller hears the application. The bridge is destroyed with the
    /// session.
    Bridge,
    /// The media channel joins an existing bridge (a conference): the application hears
    /// the mix and is heard by everyone. The bridge is left alone at the end.
    ExistingBridge(String),
    /// A snoop channel on the call is bridged with the media channel: the call stays where
    /// it is (in its own bridge, playing prompts); the application hears what `spy` says
    /// (`in`: the caller, `out`: what the caller hears, `both`) and what it sends is
    /// whispered `whisper`-wards (`none` to stay silent).
    Snoop {
        /// `in`, `out`, `both` or `none`.
        spy: String,
        /// `in`, `out`, `both` or `none`.
        whisper: String,
    },
    /// Nothing: the media channel waits in the application for you to bridge it
    /// ([`MediaSession::media_channel_id`](super::MediaSession::media_channel_id)).
    Detached,
}

/// Everything a session is opened with (the builder's state).
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub app: String,
    pub channel_id: String,
    pub transport: MediaTransport,
    pub format: AudioFormat,
    pub attach: Attach,
    pub bind: Option<SocketAddr>,
    pub advertise: Option<IpAddr>,
    pub frame: Duration,
    pub send_buffer: Duration,
    pub connect_timeout: Duration,
    pub control_format: ControlFormat,
    pub receive_buffer: usize,
    /// The media channel's id; a fresh UUID when unset. The bridge and snoop channel the
    /// session makes are named after it.
    pub media_id: Option<String>,
}

// Defaults, in one place: the builder's docs name them, and tests/tests/doc_figures.rs
// checks the figures the README and RELIABILITY.md state against them.
/// Audio per frame sent ([`MediaSessionBuilder::frame`](crate::MediaSessionBuilder::frame)).
pub const DEFAULT_FRAME: Duration = Duration::from_millis(20);
/// Audio [`AudioSender::send`](crate::AudioSender::send) queues before it waits.
pub const DEFAULT_SEND_BUFFER: Duration = Duration::from_secs(1);
/// How long each setup step of a session may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Received items held for a slow reader (10 s of 20 ms frames).
pub const DEFAULT_RECEIVE_BUFFER: usize = 500;
