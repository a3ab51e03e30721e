//! WebSocket (Asterisk's chan_websocket): the application connects to Asterisk's
//! `/media/<connection id>`, or Asterisk connects to the application's [`MediaListener`].
//!
//! Audio travels in binary frames in the channel's native format (for `slin`/`slin16`
//! Asterisk writes its host byte order, little-endian on every platform it ships on);
//! control commands and events travel in text frames (see [`crate::wire::ws_control`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::frame::{AudioFrame, EndReason};
use crate::link::{Inbound, Link, Outbound, TaskSet, TransportStats};
use crate::wire::ws_control::{ControlEvent, ControlFormat, MediaStart, parse_event};

const TRANSPORT: &str = "websocket";
/// The subprotocol Asterisk's `/media` endpoint registers (and its docs configure for
/// `websocket_client.conf`).
const SUBPROTOCOL: &str = "media";
/// Room for bursts between the link task and the session.
const INBOUND_CAPACITY: usize = 256;
const OUTBOUND_CAPACITY: usize = 64;
/// How long a closing handshake may take before the link gives up on the far end.
const CLOSE_WAIT: Duration = Duration::from_secs(2);
/// How long Asterisk gets to upgrade and send `MEDIA_START` on a listener connection.
const FIRST_FRAME_WAIT: Duration = Duration::from_secs(10);
/// How long a listener connection nobody expects (yet) is kept: the session may register
/// its channel id just after Asterisk connects.
#[cfg(not(test))]
const UNCLAIMED_GRACE: Duration = Duration::from_secs(5);
#[cfg(test)]
const UNCLAIMED_GRACE: Duration = Duration::from_millis(300);

/// Connects to Asterisk's `ws(s)://host:port/media/<connection id>` (externalMedia with
/// `connection_type=server`). Returns once the upgrade is done; `MEDIA_START` arrives as
/// the first [`Inbound::Control`]. `control` is the format asked for in `transport_data`;
/// the link follows `MEDIA_START`'s shape if it differs.
pub(crate) async fn connect(
    url: &str,
    format: AudioFormat,
    control: ControlFormat,
    timeout: Duration,
) -> Result<Link, MediaError> {
    let mut request = url
        .into_client_request()
        .map_err(|e| MediaError::Invalid(format!("media WebSocket URL {url:?}: {e}")))?;
    // Asterisk accepts no subprotocol too (it has only one), but asking for it is what
    // its docs describe and keeps working if another is ever registered.
    request.headers_mut().insert(
        SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(SUBPROTOCOL),
    );
    let handshake = tokio_tungstenite::connect_async_with_config(request, None, true);
    let (ws, _response) = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| MediaError::Timeout {
            transport: TRANSPORT,
            what: "the media WebSocket handshake",
            after: timeout,
        })?
        .map_err(|e| ws_error(format!("connecting to {url}"), e))?;
    Ok(spawn_link(ws, format, control, None))
}

/// A WebSocket server Asterisk connects to (externalMedia with `connection_type=client`
/// and `external_host` naming a `websocket_client.conf` entry whose `uri` is
/// [`MediaListener::url`]). One listener serves any number of sessions: each connection
/// is handed to the session expecting the channel id its `MEDIA_START` names.
///
/// Cheap to clone; accepting stops when the last clone (and every session waiting on
/// it) is dropped. Plain `ws://` only; Asterisk's credentials, if configured, are not
/// checked.
#[derive(Clone, Debug)]
pub struct MediaListener {
    inner: Arc<ListenerInner>,
}

#[derive(Debug)]
struct ListenerInner {
    local_addr: SocketAddr,
    routes: Arc<Mutex<Routes>>,
    accept_task: tokio::task::JoinHandle<()>,
}

impl Drop for ListenerInner {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

/// Who waits for which channel, and connections that arrived before their session.
#[derive(Debug, Default)]
struct Routes {
    next_token: u64,
    expected: HashMap<String, (u64, oneshot::Sender<Accepted>)>,
    unclaimed: HashMap<String, (u64, Accepted)>,
}

impl Routes {
    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }
}

/// A listener connection that sent its `MEDIA_START`.
struct Accepted {
    ws: WebSocketStream<TcpStream>,
    start: MediaStart,
    control: ControlFormat,
}

impl std::fmt::Debug for Accepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accepted")
            .field("start", &self.start)
            .field("control", &self.control)
            .finish_non_exhaustive()
    }
}

impl MediaListener {
    /// Listens on `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr) -> Result<MediaListener, MediaError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| MediaError::Io {
                transport: TRANSPORT,
                context: format!("binding the media listener on {addr}"),
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| MediaError::Io {
            transport: TRANSPORT,
            context: "reading the media listener's address".to_owned(),
            source,
        })?;
        let routes = Arc::new(Mutex::new(Routes::default()));
        let accept_task = tokio::spawn(accept_loop(listener, Arc::clone(&routes)));
        Ok(MediaListener {
            inner: Arc::new(ListenerInner {
                local_addr,
                routes,
                accept_task,
            }),
        })
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// `ws://<local address>/`, for `websocket_client.conf`'s `uri` (a listener bound to
    /// an unspecified address needs the host's reachable address there instead).
    pub fn url(&self) -> String {
        format!("ws://{}/", self.inner.local_addr)
    }

    /// Registers a session waiting for Asterisk's connection for the media channel
    /// `channel_id`. Register before `externalMedia`; a connection that came first is
    /// still handed over within the grace period.
    pub(crate) fn expect(&self, channel_id: &str, format: AudioFormat) -> PendingMedia {
        let (sender, receiver) = oneshot::channel();
        let mut routes = lock(&self.inner.routes);
        let token = routes.token();
        if let Some((_, early)) = routes.unclaimed.remove(channel_id) {
            // Cannot fail: the receiver is right here.
            let _ = sender.send(early);
        } else {
            routes
                .expected
                .insert(channel_id.to_owned(), (token, sender));
        }
        PendingMedia {
            listener: self.clone(),
            channel_id: channel_id.to_owned(),
            format,
            token,
            receiver,
        }
    }
}

/// A session's claim on the listener connection for one media channel.
#[derive(Debug)]
pub(crate) struct PendingMedia {
    listener: MediaListener,
    channel_id: String,
    format: AudioFormat,
    token: u64,
    receiver: oneshot::Receiver<Accepted>,
}

impl PendingMedia {
    /// Waits up to `timeout` for Asterisk to connect and send `MEDIA_START` (which the
    /// link reports as its first [`Inbound::Control`]).
    pub(crate) async fn established(mut self, timeout: Duration) -> Result<Link, MediaError> {
        let accepted = match tokio::time::timeout(timeout, &mut self.receiver).await {
            Err(_) => {
                return Err(MediaError::Timeout {
                    transport: TRANSPORT,
                    what: "Asterisk's media WebSocket connection",
                    after: timeout,
                });
            }
            // Only a second `expect` for the same channel id takes the sender away.
            Ok(Err(_)) => {
                return Err(MediaError::Invalid(format!(
                    "another session expects media channel {}",
                    self.channel_id
                )));
            }
            Ok(Ok(accepted)) => accepted,
        };
        if !accepted
            .start
            .format
            .eq_ignore_ascii_case(self.format.asterisk_name())
        {
            tracing::warn!(
                channel_id = %self.channel_id,
                expected = %self.format,
                got = %accepted.start.format,
                "media WebSocket carries another format than the session's"
            );
        }
        let first = ControlEvent::MediaStart(accepted.start);
        Ok(spawn_link(
            accepted.ws,
            self.format,
            accepted.control,
            Some(first),
        ))
    }
}

impl Drop for PendingMedia {
    fn drop(&mut self) {
        let mut routes = lock(&self.listener.inner.routes);
        if routes
            .expected
            .get(&self.channel_id)
            .is_some_and(|(token, _)| *token == self.token)
        {
            routes.expected.remove(&self.channel_id);
        }
    }
}

/// A poisoned lock only means another task panicked mid-update of plain maps: go on.
fn lock(routes: &Mutex<Routes>) -> std::sync::MutexGuard<'_, Routes> {
    routes
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn accept_loop(listener: TcpListener, routes: Arc<Mutex<Routes>>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, peer, Arc::clone(&routes)));
            }
            Err(error) => {
                // Usually out of file descriptors: back off instead of spinning.
                tracing::warn!(%error, "media listener: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Upgrades one connection, reads its `MEDIA_START` and hands it to its session.
async fn serve_connection(stream: TcpStream, peer: SocketAddr, routes: Arc<Mutex<Routes>>) {
    let accepted = match tokio::time::timeout(FIRST_FRAME_WAIT, upgrade(stream)).await {
        Ok(Ok(accepted)) => accepted,
        Ok(Err(reason)) => {
            tracing::warn!(%peer, %reason, "media listener: connection dropped");
            return;
        }
        Err(_) => {
            tracing::warn!(%peer, "media listener: no MEDIA_START in time; connection dropped");
            return;
        }
    };
    let channel_id = accepted.start.channel_id.clone();
    let token = {
        let mut routes = lock(&routes);
        let accepted = match routes.expected.remove(&channel_id) {
            Some((_, sender)) => match sender.send(accepted) {
                Ok(()) => return,
                // The session gave up between registering and now.
                Err(accepted) => accepted,
            },
            None => accepted,
        };
        let token = routes.token();
        if let Some((_, replaced)) = routes
            .unclaimed
            .insert(channel_id.clone(), (token, accepted))
        {
            tracing::warn!(%peer, %channel_id, "media listener: second connection for a channel; the first is dropped");
            drop(replaced);
        }
        token
    };
    tokio::time::sleep(UNCLAIMED_GRACE).await;
    let stale = {
        let mut routes = lock(&routes);
        match routes.unclaimed.get(&channel_id) {
            Some((t, _)) if *t == token => routes.unclaimed.remove(&channel_id),
            _ => None,
        }
    };
    if let Some((_, mut stale)) = stale {
        tracing::warn!(%peer, %channel_id, "media listener: no session expects this media channel; closing");
        let frame = CloseFrame {
            code: CloseCode::Policy,
            reason: "no session expects this media channel".into(),
        };
        let _ = tokio::time::timeout(CLOSE_WAIT, stale.ws.close(Some(frame))).await;
    }
}

/// Echoes the first subprotocol Asterisk offers (`protocols` of websocket_client.conf,
/// normally `media`); Asterisk accepts a reply without one too.
// The error type is tungstenite's callback signature, not ours to shrink.
#[allow(clippy::result_large_err)]
fn echo_protocol(request: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    let offered = request
        .headers()
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').map(str::trim).find(|p| !p.is_empty()))
        .and_then(|first| HeaderValue::from_str(first).ok());
    if let Some(protocol) = offered {
        response
            .headers_mut()
            .insert(SEC_WEBSOCKET_PROTOCOL, protocol);
    }
    Ok(response)
}

async fn upgrade(stream: TcpStream) -> Result<Accepted, String> {
    let mut ws = tokio_tungstenite::accept_hdr_async(stream, echo_protocol)
        .await
        .map_err(|e| format!("WebSocket upgrade failed: {e}"))?;
    loop {
        let message = match ws.next().await {
            Some(Ok(message)) => message,
            Some(Err(e)) => return Err(format!("read failed before MEDIA_START: {e}")),
            None => return Err("closed before MEDIA_START".to_owned()),
        };
        match message {
            Message::Text(text) => {
                let text = text.as_str();
                return match parse_event(text) {
                    Ok(ControlEvent::MediaStart(start)) => Ok(Accepted {
                        ws,
                        start,
                        control: shape_of(text),
                    }),
                    Ok(other) => Err(format!(
                        "first control message is {}, not MEDIA_START",
                        other.name()
                    )),
                    Err(detail) => Err(detail),
                };
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            Message::Binary(_) => return Err("audio before MEDIA_START".to_owned()),
            Message::Close(_) => return Err("closed before MEDIA_START".to_owned()),
        }
    }
}

/// The control format a message was written in.
fn shape_of(text: &str) -> ControlFormat {
    if text.trim_start().starts_with('{') {
        ControlFormat::Json
    } else {
        ControlFormat::Plain
    }
}

fn ws_error(context: String, error: WsError) -> MediaError {
    let source = match error {
        WsError::Io(source) => source,
        other => std::io::Error::other(other.to_string()),
    };
    MediaError::Io {
        transport: TRANSPORT,
        context,
        source,
    }
}

fn spawn_link<S>(
    ws: WebSocketStream<S>,
    format: AudioFormat,
    control: ControlFormat,
    first: Option<ControlEvent>,
) -> Link
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (inbound_tx, inbound) = mpsc::channel(INBOUND_CAPACITY);
    let (outbound, outbound_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let (may_send_tx, may_send) = watch::channel(true);
    let stats = Arc::new(TransportStats::default());
    let state = LinkState {
        format,
        control,
        inbound: inbound_tx,
        may_send: may_send_tx,
        stats: Arc::clone(&stats),
    };
    let mut tasks = TaskSet::default();
    tasks.push(tokio::spawn(run_link(ws, outbound_rx, state, first)));
    Link {
        inbound,
        outbound,
        may_send,
        stats,
        tasks,
    }
}

struct LinkState {
    format: AudioFormat,
    control: ControlFormat,
    inbound: mpsc::Sender<Inbound>,
    may_send: watch::Sender<bool>,
    stats: Arc<TransportStats>,
}

/// What the far end's message means for the link.
enum Next {
    Continue,
    /// The far end said goodbye; its reason.
    Closing(String),
    /// The session is gone: stop without reporting.
    Stop,
}

impl LinkState {
    async fn report(&self, item: Inbound) -> bool {
        self.inbound.send(item).await.is_ok()
    }

    async fn received(&mut self, message: Message) -> Next {
        let delivered = match message {
            Message::Binary(payload) => {
                if payload.is_empty() {
                    return Next::Continue;
                }
                add(&self.stats.frames_in, 1);
                add(&self.stats.bytes_in, payload.len());
                self.report(Inbound::Audio(AudioFrame {
                    format: self.format,
                    payload,
                    sequence: None,
                    timestamp: None,
                    received_at: Instant::now(),
                }))
                .await
            }
            Message::Text(text) => self.control_text(text.as_str()).await,
            Message::Close(frame) => {
                let reason = match frame {
                    Some(frame) if frame.reason.is_empty() => format!("closed ({})", frame.code),
                    Some(frame) => format!("closed ({}): {}", frame.code, frame.reason),
                    None => "closed".to_owned(),
                };
                return Next::Closing(reason);
            }
            // tungstenite queues the pong itself; it goes out with the next write or read.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => true,
        };
        if delivered {
            Next::Continue
        } else {
            Next::Stop
        }
    }

    async fn control_text(&mut self, text: &str) -> bool {
        match parse_event(text) {
            Ok(ControlEvent::DtmfEnd { digit }) => self.report(Inbound::Dtmf(digit)).await,
            Ok(event) => {
                match &event {
                    // Flow control first, so the session sees the new state with the event.
                    ControlEvent::MediaXoff => {
                        self.may_send.send_replace(false);
                    }
                    ControlEvent::MediaXon => {
                        self.may_send.send_replace(true);
                    }
                    ControlEvent::MediaStart(_) => self.control = shape_of(text),
                    _ => {}
                }
                self.report(Inbound::Control(event)).await
            }
            Err(detail) => {
                add(&self.stats.malformed, 1);
                self.report(Inbound::Problem(MediaError::Malformed {
                    transport: TRANSPORT,
                    what: "control message",
                    detail,
                }))
                .await
            }
        }
    }
}

fn add(counter: &AtomicU64, n: usize) {
    counter.fetch_add(n as u64, Ordering::Relaxed);
}

async fn run_link<S>(
    mut ws: WebSocketStream<S>,
    mut outbound: mpsc::Receiver<Outbound>,
    mut state: LinkState,
    first: Option<ControlEvent>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if let Some(event) = first
        && !state.report(Inbound::Control(event)).await
    {
        return;
    }
    // Set once either side starts closing; the link then only waits for the far end.
    let mut closing_since: Option<tokio::time::Instant> = None;
    let reason = loop {
        let deadline = closing_since.map(|since| since + CLOSE_WAIT);
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(message)) => match state.received(message).await {
                    Next::Continue => {}
                    Next::Stop => return,
                    Next::Closing(reason) => break drain(&mut ws, reason).await,
                },
                Some(Err(WsError::ConnectionClosed)) | None => {
                    break "connection closed".to_owned();
                }
                Some(Err(error)) => break format!("connection failed: {error}"),
            },
            item = outbound.recv(), if closing_since.is_none() => {
                let sent = match item {
                    Some(Outbound::Audio(payload)) => {
                        let len = payload.len();
                        let sent = ws.send(Message::Binary(payload)).await;
                        if sent.is_ok() {
                            add(&state.stats.frames_out, 1);
                            add(&state.stats.bytes_out, len);
                        }
                        sent
                    }
                    Some(Outbound::Command(command)) => {
                        ws.send(Message::text(command.to_text(state.control))).await
                    }
                    Some(Outbound::Close) => {
                        closing_since = Some(tokio::time::Instant::now());
                        let frame = CloseFrame {
                            code: CloseCode::Normal,
                            reason: "".into(),
                        };
                        ws.close(Some(frame)).await
                    }
                    // The session dropped its link: leave without ceremony.
                    None => {
                        let _ = ws.close(None).await;
                        return;
                    }
                };
                if let Err(error) = sent {
                    break format!("sending failed: {error}");
                }
            },
            _ = sleep_until(deadline), if deadline.is_some() => {
                break "closed; Asterisk did not answer the close in time".to_owned();
            }
        }
    };
    state
        .report(Inbound::Ended(EndReason::TransportClosed(reason)))
        .await;
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// After the far end's close frame: let tungstenite send the reply and see the socket
/// end, briefly.
async fn drain<S>(ws: &mut WebSocketStream<S>, reason: String) -> String
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ws_control::{Command, DriverStatus};
    use bytes::Bytes;

    const WAIT: Duration = Duration::from_secs(5);

    async fn next(link: &mut Link) -> Inbound {
        tokio::time::timeout(WAIT, link.inbound.recv())
            .await
            .expect("link item in time")
            .expect("link still open")
    }

    async fn next_message<S>(ws: &mut WebSocketStream<S>) -> Message
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        loop {
            let message = tokio::time::timeout(WAIT, ws.next())
                .await
                .expect("message in time")
                .expect("stream open")
                .expect("read ok");
            if !matches!(message, Message::Ping(_) | Message::Pong(_)) {
                return message;
            }
        }
    }

    fn start_text(channel_id: &str, json: bool) -> String {
        let start = MediaStart {
            connection_id: "conn-1".into(),
            channel: "WebSocket/conn-1/0x1234".into(),
            channel_id: channel_id.into(),
            format: "slin16".into(),
            optimal_frame_size: 640,
            ptime: 20,
            ..Default::default()
        };
        let format = if json {
            ControlFormat::Json
        } else {
            ControlFormat::Plain
        };
        ControlEvent::MediaStart(start).to_text(format, channel_id)
    }

    /// Asterisk's side of `/media/<id>`: checks the path and subprotocol, then plays a
    /// script and returns what the application sent.
    #[tokio::test]
    async fn connecting_to_asterisk_carries_audio_control_and_close() {
        let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let asterisk = tokio::spawn(async move {
            let (stream, _) = server.accept().await.unwrap();
            // tungstenite's callback signature.
            #[allow(clippy::result_large_err)]
            let check = |request: &Request, mut response: Response| {
                assert_eq!(request.uri().path(), "/media/conn-1");
                let protocol = request.headers().get(SEC_WEBSOCKET_PROTOCOL).cloned();
                assert_eq!(
                    protocol.as_ref().and_then(|p| p.to_str().ok()),
                    Some("media")
                );
                response
                    .headers_mut()
                    .insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("media"));
                Ok(response)
            };
            let mut ws = tokio_tungstenite::accept_hdr_async(stream, check)
                .await
                .unwrap();
            ws.send(Message::text(start_text("chan-1", false)))
                .await
                .unwrap();
            ws.send(Message::Binary(Bytes::from(vec![7u8; 640])))
                .await
                .unwrap();
            ws.send(Message::text("DTMF_END digit:5 channel_id:chan-1"))
                .await
                .unwrap();
            ws.send(Message::text("MEDIA_XOFF")).await.unwrap();
            // The application answers XOFF's check with audio and a command.
            let audio = next_message(&mut ws).await;
            let command = next_message(&mut ws).await;
            ws.send(Message::text("MEDIA_XON")).await.unwrap();
            ws.send(Message::text("this is not control")).await.unwrap();
            ws.send(Message::Ping(Bytes::from_static(b"hi")))
                .await
                .unwrap();
            ws.send(Message::Binary(Bytes::from(vec![8u8; 640])))
                .await
                .unwrap();
            let frame = CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            };
            ws.close(Some(frame)).await.unwrap();
            // Read until the socket ends so the close handshake completes.
            let mut pong = false;
            while let Some(Ok(message)) = ws.next().await {
                pong |= matches!(message, Message::Pong(_));
            }
            (audio, command, pong)
        });

        let url = format!("ws://{addr}/media/conn-1");
        let mut link = connect(&url, AudioFormat::Slin16, ControlFormat::Plain, WAIT)
            .await
            .unwrap();
        let Inbound::Control(ControlEvent::MediaStart(start)) = next(&mut link).await else {
            panic!("MEDIA_START first");
        };
        assert_eq!(start.channel_id, "chan-1");
        let Inbound::Audio(frame) = next(&mut link).await else {
            panic!("audio");
        };
        assert_eq!(
            (frame.format, frame.payload.len()),
            (AudioFormat::Slin16, 640)
        );
        assert_eq!((frame.sequence, frame.timestamp), (None, None));
        assert!(matches!(next(&mut link).await, Inbound::Dtmf('5')));
        assert!(matches!(
            next(&mut link).await,
            Inbound::Control(ControlEvent::MediaXoff)
        ));
        assert!(!*link.may_send.borrow());

        link.outbound
            .send(Outbound::Audio(Bytes::from(vec![1u8; 640])))
            .await
            .unwrap();
        let mark = Command::MarkMedia { id: "m1".into() };
        link.outbound.send(Outbound::Command(mark)).await.unwrap();

        assert!(matches!(
            next(&mut link).await,
            Inbound::Control(ControlEvent::MediaXon)
        ));
        assert!(*link.may_send.borrow());
        let Inbound::Problem(MediaError::Malformed {
            transport, detail, ..
        }) = next(&mut link).await
        else {
            panic!("a problem for the garbage text");
        };
        assert_eq!(transport, "websocket");
        assert!(detail.contains("this is not control"), "{detail}");
        assert!(matches!(next(&mut link).await, Inbound::Audio(_)));
        let Inbound::Ended(EndReason::TransportClosed(reason)) = next(&mut link).await else {
            panic!("ended");
        };
        assert!(reason.contains("bye"), "{reason}");
        assert!(
            link.inbound.recv().await.is_none(),
            "Ended is the last item"
        );

        let (audio, command, pong) = asterisk.await.unwrap();
        assert_eq!(audio, Message::Binary(Bytes::from(vec![1u8; 640])));
        assert_eq!(command, Message::text("MARK_MEDIA m1"));
        assert!(pong, "ping answered");
        let stats = &link.stats;
        assert_eq!(stats.frames_in.load(Ordering::Relaxed), 2);
        assert_eq!(stats.bytes_in.load(Ordering::Relaxed), 1280);
        assert_eq!(stats.frames_out.load(Ordering::Relaxed), 1);
        assert_eq!(stats.malformed.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn connect_reports_refusals_and_timeouts() {
        let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        // Accepts TCP but never answers the upgrade.
        let _hold = tokio::spawn(async move {
            let (_stream, _) = server.accept().await.unwrap();
            tokio::time::sleep(WAIT).await;
        });
        let url = format!("ws://{addr}/media/x");
        let error = connect(
            &url,
            AudioFormat::Ulaw,
            ControlFormat::Plain,
            Duration::from_millis(200),
        )
        .await
        .err()
        .unwrap();
        assert!(matches!(error, MediaError::Timeout { .. }), "{error}");
        let error = connect("not a url", AudioFormat::Ulaw, ControlFormat::Plain, WAIT)
            .await
            .err()
            .unwrap();
        assert!(matches!(error, MediaError::Invalid(_)), "{error}");
    }

    /// Asterisk's side of `connection_type=client`: connects, offers `media`, sends
    /// `MEDIA_START` and one audio frame.
    async fn fake_asterisk_client(
        url: String,
        channel_id: &str,
        json: bool,
        fill: u8,
    ) -> WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>> {
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("media"));
        let (mut ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(
            response
                .headers()
                .get(SEC_WEBSOCKET_PROTOCOL)
                .and_then(|p| p.to_str().ok()),
            Some("media")
        );
        ws.send(Message::text(start_text(channel_id, json)))
            .await
            .unwrap();
        ws.send(Message::Binary(Bytes::from(vec![fill; 640])))
            .await
            .unwrap();
        ws
    }

    #[tokio::test]
    async fn listener_routes_connections_by_channel_id() {
        let listener = MediaListener::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(listener.url(), format!("ws://{}/", listener.local_addr()));
        let pending_a = listener.expect("chan-a", AudioFormat::Slin16);
        let pending_b = listener.expect("chan-b", AudioFormat::Slin16);

        let (mut asterisk_b, mut asterisk_a, mut stranger) = tokio::join!(
            fake_asterisk_client(listener.url(), "chan-b", true, 2),
            fake_asterisk_client(listener.url(), "chan-a", false, 1),
            fake_asterisk_client(listener.url(), "nobody", false, 3),
        );
        let (link_a, link_b) =
            tokio::join!(pending_a.established(WAIT), pending_b.established(WAIT));
        let (mut link_a, mut link_b) = (link_a.unwrap(), link_b.unwrap());

        for (link, channel_id, fill) in [(&mut link_a, "chan-a", 1u8), (&mut link_b, "chan-b", 2u8)]
        {
            let Inbound::Control(ControlEvent::MediaStart(start)) = next(link).await else {
                panic!("MEDIA_START first");
            };
            assert_eq!(start.channel_id, channel_id);
            let Inbound::Audio(frame) = next(link).await else {
                panic!("audio");
            };
            assert_eq!(frame.payload, Bytes::from(vec![fill; 640]));
            link.outbound
                .send(Outbound::Command(Command::GetStatus))
                .await
                .unwrap();
        }
        // Each connection gets commands in the format its MEDIA_START was written in.
        assert_eq!(
            next_message(&mut asterisk_a).await,
            Message::text("GET_STATUS")
        );
        assert_eq!(
            next_message(&mut asterisk_b).await,
            Message::text(r#"{"command":"GET_STATUS"}"#)
        );

        let status = ControlEvent::Status(DriverStatus::default());
        let text = status.to_text(ControlFormat::Json, "chan-b");
        asterisk_b.send(Message::text(text)).await.unwrap();
        assert!(matches!(
            next(&mut link_b).await,
            Inbound::Control(ControlEvent::Status(_))
        ));

        // The application says goodbye: Asterisk sees a close frame; the link ends.
        link_a.outbound.send(Outbound::Close).await.unwrap();
        let Message::Close(Some(frame)) = next_message(&mut asterisk_a).await else {
            panic!("close frame");
        };
        assert_eq!(frame.code, CloseCode::Normal);
        while let Some(Ok(_)) = asterisk_a.next().await {}
        assert!(matches!(next(&mut link_a).await, Inbound::Ended(_)));

        // Nobody expects "nobody": closed after the grace period.
        let Message::Close(Some(frame)) = next_message(&mut stranger).await else {
            panic!("stranger closed");
        };
        assert_eq!(frame.code, CloseCode::Policy);
    }

    #[tokio::test]
    async fn listener_hands_over_a_connection_that_came_before_its_session() {
        let listener = MediaListener::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let _asterisk = fake_asterisk_client(listener.url(), "chan-late", false, 4).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut link = listener
            .expect("chan-late", AudioFormat::Slin16)
            .established(WAIT)
            .await
            .unwrap();
        assert!(matches!(
            next(&mut link).await,
            Inbound::Control(ControlEvent::MediaStart(_))
        ));
        assert!(matches!(next(&mut link).await, Inbound::Audio(_)));

        let error = listener
            .expect("never", AudioFormat::Slin16)
            .established(Duration::from_millis(50))
            .await
            .err()
            .unwrap();
        assert!(matches!(error, MediaError::Timeout { .. }), "{error}");
        assert!(
            lock(&listener.inner.routes).expected.is_empty(),
            "a dropped claim is removed"
        );
    }
}
