//! The application as the WebSocket server Asterisk connects to: one listener, many
//! sessions, connections routed by the channel id of their `MEDIA_START`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::link::Link;
use crate::wire::ws_control::{ControlEvent, ControlFormat, MediaStart, parse_event};

use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;

use super::*;

/// A WebSocket server Asterisk connects to (externalMedia with `connection_type=client`
/// and `external_host` naming a `websocket_client.conf` entry whose `uri` is
/// [`MediaListener::url`]). One listener serves any number of sessions: each connection
/// is handed to the session expecting the channel id its `MEDIA_START` names.
///
/// Cheap to clone; accepting stops when the last clone (and every session waiting on
/// it) is dropped. Plain `ws://` only. Bind it with
/// [`bind_with_basic_auth`](Self::bind_with_basic_auth) and the `username`/`password` of
/// the `websocket_client.conf` entry, so that only Asterisk can hand the application
/// audio: without credentials, anyone who reaches the port and names a media channel id
/// could.
#[derive(Clone, Debug)]
pub struct MediaListener {
    pub(super) inner: Arc<ListenerInner>,
}

#[derive(Debug)]
pub(super) struct ListenerInner {
    local_addr: SocketAddr,
    pub(super) routes: Arc<Mutex<Routes>>,
    accept_task: tokio::task::JoinHandle<()>,
}

impl Drop for ListenerInner {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

/// Who waits for which channel, and connections that arrived before their session.
#[derive(Debug, Default)]
pub(super) struct Routes {
    next_token: u64,
    pub(super) expected: HashMap<String, (u64, oneshot::Sender<Accepted>)>,
    unclaimed: HashMap<String, (u64, Accepted)>,
}

impl Routes {
    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }
}

/// A listener connection that sent its `MEDIA_START`.
pub(super) struct Accepted {
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

/// The expected `Authorization` header; never printed.
#[derive(Clone)]
struct Credentials(Arc<str>);

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

impl MediaListener {
    /// Listens on `addr` (port 0 picks a free port), accepting any connection that
    /// upgrades (see [`bind_with_basic_auth`](Self::bind_with_basic_auth)).
    pub async fn bind(addr: SocketAddr) -> Result<MediaListener, MediaError> {
        Self::listen(addr, None).await
    }

    /// Listens on `addr`, refusing (401) connections that do not carry HTTP Basic
    /// credentials `username`/`password` (those of the `websocket_client.conf` entry).
    pub async fn bind_with_basic_auth(
        addr: SocketAddr,
        username: &str,
        password: &str,
    ) -> Result<MediaListener, MediaError> {
        use base64::Engine;
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        Self::listen(addr, Some(Credentials(format!("Basic {token}").into()))).await
    }

    async fn listen(
        addr: SocketAddr,
        required: Option<Credentials>,
    ) -> Result<MediaListener, MediaError> {
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
        let accept_task = tokio::spawn(accept_loop(listener, Arc::clone(&routes), required));
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
                    what: "Asterisk's media WebSocket connection (is the websocket_client.conf entry's uri the listener's url()?)",
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
pub(super) fn lock(routes: &Mutex<Routes>) -> std::sync::MutexGuard<'_, Routes> {
    routes
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn accept_loop(
    listener: TcpListener,
    routes: Arc<Mutex<Routes>>,
    required: Option<Credentials>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(
                    stream,
                    peer,
                    Arc::clone(&routes),
                    required.clone(),
                ));
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
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    routes: Arc<Mutex<Routes>>,
    required: Option<Credentials>,
) {
    let accepted = match tokio::time::timeout(FIRST_FRAME_WAIT, upgrade(stream, required)).await {
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

/// Refuses a connection without the required credentials (401), then echoes the first
/// subprotocol Asterisk offers (`protocols` of websocket_client.conf, normally `media`);
/// Asterisk accepts a reply without one too.
// The error type is tungstenite's callback signature, not ours to shrink.
#[allow(clippy::result_large_err)]
fn check_and_echo(
    request: &Request,
    mut response: Response,
    required: Option<&Credentials>,
) -> Result<Response, ErrorResponse> {
    if let Some(Credentials(expected)) = required {
        let given = request.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
        if given != Some(expected.as_bytes()) {
            let mut refusal = ErrorResponse::new(Some("wrong or missing credentials".into()));
            *refusal.status_mut() = StatusCode::UNAUTHORIZED;
            return Err(refusal);
        }
    }
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

async fn upgrade(stream: TcpStream, required: Option<Credentials>) -> Result<Accepted, String> {
    // tungstenite's callback signature, not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| {
        check_and_echo(request, response, required.as_ref())
    };
    let mut ws = tokio_tungstenite::accept_hdr_async(stream, callback)
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
