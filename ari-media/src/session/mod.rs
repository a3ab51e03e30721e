//! A media session: one external media channel attached to one call.

mod options;
mod pacer;
mod run;
mod setup;

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use ari_sdk::Client;
use tokio::sync::{mpsc, oneshot};

pub use options::{
    Attach, DEFAULT_CONNECT_TIMEOUT, DEFAULT_FRAME, DEFAULT_RECEIVE_BUFFER, DEFAULT_SEND_BUFFER,
    MediaTransport,
};
pub use pacer::AudioSender;
pub(crate) use pacer::PacingCounters;

use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::frame::{EndReason, MediaEvent};
use crate::link::TransportStats;
use crate::stats::MediaStats;
use crate::wire::ws_control::{Command, ControlFormat};
use options::Options;

/// Audio to and from one call, through an external media channel.
///
/// Open it with [`MediaSession::builder`] (any channel) or [`MediaSession::for_call`];
/// read what the call says with [`next`](Self::next) (or as a `Stream`), talk with
/// [`sender`](Self::sender). The stream ends (`None`) when the call or the media channel
/// ends, or the transport closes; [`end_reason`](Self::end_reason) says which. An `Err`
/// item is not the end: it reports something dropped (a malformed packet).
///
/// Dropping the session hangs the media channel up and removes what it made (bridge,
/// snoop channel, sockets) on a task of the tokio runtime; [`close`](Self::close) does the
/// same and waits for it. Close before the runtime shuts down (the end of `main`): a
/// runtime that stops ends that task, and what it had not removed stays on Asterisk.
///
/// ```no_run
/// # async fn demo(client: ari_sdk::Client, channel_id: &str) -> Result<(), ari_media::MediaError> {
/// use ari_media::{AudioFormat, MediaEvent, MediaSession, MediaTransport};
/// let mut media = MediaSession::builder(&client, "hello", channel_id)
///     .transport(MediaTransport::Rtp)
///     .format(AudioFormat::Slin16)
///     .open()
///     .await?;
/// let talk = media.sender();
/// while let Some(item) = media.next().await {
///     if let Ok(MediaEvent::Audio(frame)) = item {
///         talk.send(&frame.payload).await?; // an echo
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct MediaSession {
    media_id: String,
    channel_id: String,
    bridge_id: Option<String>,
    format: AudioFormat,
    transport: &'static str,
    items: mpsc::Receiver<Result<MediaEvent, MediaError>>,
    sender: AudioSender,
    commands: mpsc::Sender<Command>,
    end: Arc<Mutex<Option<EndReason>>>,
    stats: Arc<TransportStats>,
    pacing: Arc<PacingCounters>,
    /// Dropped or fired: the session task takes everything down.
    close: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for MediaSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSession")
            .field("media_channel", &self.media_id)
            .field("channel", &self.channel_id)
            .field("bridge", &self.bridge_id)
            .field("format", &self.format)
            .field("transport", &self.transport)
            .finish()
    }
}

impl MediaSession {
    /// A session for channel `channel_id`, which is in Stasis application `app` (the media
    /// channel enters the same application; the client must have an event connection
    /// for it, e.g. the one that handed you the call).
    pub fn builder(
        client: &Client,
        app: impl Into<String>,
        channel_id: impl Into<String>,
    ) -> MediaSessionBuilder {
        MediaSessionBuilder {
            client: client.clone(),
            options: Options {
                app: app.into(),
                channel_id: channel_id.into(),
                transport: MediaTransport::Rtp,
                format: AudioFormat::Slin,
                attach: Attach::Bridge,
                bind: None,
                advertise: None,
                frame: options::DEFAULT_FRAME,
                send_buffer: options::DEFAULT_SEND_BUFFER,
                connect_timeout: options::DEFAULT_CONNECT_TIMEOUT,
                control_format: ControlFormat::Plain,
                receive_buffer: options::DEFAULT_RECEIVE_BUFFER,
                media_id: None,
            },
        }
    }

    /// A session for a call (its client, application and channel).
    pub fn for_call(call: &ari_sdk::Call) -> MediaSessionBuilder {
        Self::builder(call.client(), call.application(), call.id())
    }

    /// The next item: audio, a digit, a control event; an `Err` reports something dropped
    /// and the session goes on; `None` is the end.
    pub async fn next(&mut self) -> Option<Result<MediaEvent, MediaError>> {
        self.items.recv().await
    }

    /// A handle to send audio with (clone it for another task).
    pub fn sender(&self) -> AudioSender {
        self.sender.clone()
    }

    /// Sends a WebSocket control command (`MARK_MEDIA`, `FLUSH_MEDIA`, `GET_STATUS`, ...);
    /// other transports have no control channel and refuse it.
    pub async fn command(&self, command: Command) -> Result<(), MediaError> {
        if !self.transport.starts_with("websocket") {
            return Err(MediaError::Invalid(format!(
                "control commands need the WebSocket transport; this session uses {}",
                self.transport
            )));
        }
        self.commands
            .send(command)
            .await
            .map_err(|_| MediaError::Closed)
    }

    /// The media channel's id.
    pub fn media_channel_id(&self) -> &str {
        &self.media_id
    }

    /// The call's channel id.
    pub fn channel_id(&self) -> &str {
        &self.channel_id
    }

    /// The bridge holding the call and the media channel, when the session made or joined one.
    pub fn bridge_id(&self) -> Option<&str> {
        self.bridge_id.as_deref()
    }

    /// The audio format.
    pub fn format(&self) -> AudioFormat {
        self.format
    }

    /// Why the stream ended; `None` while it goes on.
    pub fn end_reason(&self) -> Option<EndReason> {
        self.end.lock().ok()?.clone()
    }

    /// Counters so far.
    pub fn stats(&self) -> MediaStats {
        MediaStats::read(&self.stats, &self.pacing, self.sender.queued_frames())
    }

    /// Ends the session and waits until the media channel is hung up and what the
    /// session made is gone.
    pub async fn close(mut self) {
        if let Some(close) = self.close.take() {
            let _ = close.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl futures_core::Stream for MediaSession {
    type Item = Result<MediaEvent, MediaError>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().items.poll_recv(cx)
    }
}

/// Options of a [`MediaSession`]; [`open`](Self::open) creates it.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `open` is awaited"]
pub struct MediaSessionBuilder {
    client: Client,
    options: Options,
}

impl MediaSessionBuilder {
    /// The transport; [`MediaTransport::Rtp`] by default.
    pub fn transport(mut self, transport: MediaTransport) -> Self {
        self.options.transport = transport;
        self
    }

    /// The audio format; `slin` (8 kHz signed linear, which every transport carries both
    /// ways) by default. `slin16` suits speech engines over AudioSocket and WebSocket; over
    /// RTP, Asterisk 22.10.1 sends `slin16` but drops what the application sends back in
    /// it (received, never reaching the call), so use `slin`, `ulaw` or `alaw` there.
    pub fn format(mut self, format: AudioFormat) -> Self {
        self.options.format = format;
        self
    }

    /// How the media channel meets the call; [`Attach::Bridge`] by default.
    pub fn attach(mut self, attach: Attach) -> Self {
        self.options.attach = attach;
        self
    }

    /// Where RTP and AudioSocket listen. By default: port 0 (any free port) on the local
    /// address the system uses to reach Asterisk's host.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.options.bind = Some(addr);
        self
    }

    /// The address Asterisk is told to send to, when it is not the bound one (NAT, a
    /// container): the port stays the bound one.
    pub fn advertise(mut self, addr: IpAddr) -> Self {
        self.options.advertise = Some(addr);
        self
    }

    /// Audio per frame sent; [`DEFAULT_FRAME`](crate::DEFAULT_FRAME) by default.
    pub fn frame(mut self, frame: Duration) -> Self {
        self.options.frame = frame;
        self
    }

    /// How much audio [`AudioSender::send`] queues before it waits;
    /// [`DEFAULT_SEND_BUFFER`](crate::DEFAULT_SEND_BUFFER) by default.
    pub fn send_buffer(mut self, buffer: Duration) -> Self {
        self.options.send_buffer = buffer;
        self
    }

    /// How long each setup step may take (Asterisk connecting, the media channel
    /// entering the application); [`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT)
    /// by default.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = timeout;
        self
    }

    /// The WebSocket control message format; plain by default. JSON needs Asterisk 22.8,
    /// 20.18 or later.
    pub fn control_format(mut self, format: ControlFormat) -> Self {
        self.options.control_format = format;
        self
    }

    /// Items held for a reader that falls behind
    /// ([`DEFAULT_RECEIVE_BUFFER`](crate::DEFAULT_RECEIVE_BUFFER) by default); past that, audio frames that do not fit are dropped and counted
    /// ([`MediaStats::dropped_for_slow_reader`](crate::MediaStats)); digits and control
    /// events always wait for room.
    pub fn receive_buffer(mut self, items: usize) -> Self {
        self.options.receive_buffer = items.max(1);
        self
    }

    /// The media channel's id (a fresh UUID by default); the bridge and snoop channel the
    /// session makes are `<id>-bridge` and `<id>-snoop`.
    pub fn media_channel_id(mut self, id: impl Into<String>) -> Self {
        self.options.media_id = Some(id.into());
        self
    }

    /// Creates the media channel, connects the transport, attaches it to the call and
    /// starts the session. On failure nothing is left behind on Asterisk.
    pub async fn open(self) -> Result<MediaSession, MediaError> {
        run::open(self.client, self.options).await
    }
}
