//! Outbound WebSocket applications (Asterisk 20.15 / 21.10 / 22.5 and later): Asterisk
//! connects *to* the application, so the application needs no access to Asterisk's HTTP
//! port.
//!
//! The application listens with an [`OutboundServer`]; each connection Asterisk opens
//! becomes an [`AsteriskConnection`]: the same [`EventStream`] as `client.events(..)` gives,
//! and a [`Client`] whose requests travel back over that connection (REST over the
//! WebSocket). Asterisk's side is configured in `websocket_client.conf` (the URL, `protocols=ari`,
//! the credentials this server checks) and `ari.conf` (`type=outbound_websocket`, the
//! applications, and the local ARI user whose rights the requests get).
//!
//! The server speaks plain `ws://`: keep it on loopback beside Asterisk (the default), or
//! put a TLS terminator in front of it when Asterisk runs elsewhere (`uri=wss://...`).
//!
//! Both of Asterisk's connection types work:
//! - `persistent`: one connection per Asterisk. Its first event is
//!   `ApplicationRegistered`; after a reconnect Asterisk first replays the events it queued.
//!   A reconnect is a new [`AsteriskConnection`] with the same [`asterisk_id`](AsteriskConnection::asterisk_id).
//! - `per_call_config`: one connection per call, the application named
//!   `<app>:<channel name>`; Asterisk closes it after the call leaves the application.
//!
//! ```no_run
//! # async fn demo() -> ari_sdk::Result<()> {
//! use ari_sdk::OutboundServer;
//!
//! let mut server = OutboundServer::builder()
//!     .basic_auth("asterisk", "secret")
//!     .bind("127.0.0.1:9099")
//!     .await?;
//! while let Some(mut connection) = server.accept().await {
//!     println!("{} connected for {}", connection.asterisk_id(), connection.application());
//!     let client = connection.client().clone();
//!     tokio::spawn(async move {
//!         while let Some(Ok(event)) = connection.events().next_event().await {
//!             if let ari_sdk::Event::StasisStart(start) = event {
//!                 let _ = client.channel(&start.channel.id).answer().await;
//!             }
//!         }
//!     });
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use futures_util::StreamExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::handshake::server::{
    Callback, ErrorResponse, Request, Response,
};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::event_stream::EventStream;
use crate::runtime::LineEvent;
use crate::{Client, Error, Result};

/// How errors name the server.
const OPERATION: &str = "server.OutboundServer";

/// The WebSocket subprotocol Asterisk's outbound connections ask for.
const SUBPROTOCOL: &str = "ari";

/// Listens for Asterisk's outbound WebSocket connections. Dropping it stops listening;
/// connections already handed out keep running.
///
/// `E` is a release line's `Event`: use a line's name for it, `ari_sdk::OutboundServer`
/// (the root line's) or `ari_sdk::asterisk_NN::OutboundServer`.
pub struct OutboundServer<E: LineEvent> {
    local_addr: SocketAddr,
    incoming: mpsc::Receiver<AsteriskConnection<E>>,
    shared: Arc<Shared>,
    listener: tokio::task::JoinHandle<()>,
}

/// What the listener task and the server handle share.
struct Shared {
    /// The newest connection of each Asterisk, for [`OutboundServer::client_for`].
    clients: Mutex<HashMap<String, Client>>,
    rejected: AtomicU64,
}

impl Shared {
    fn clients(&self) -> std::sync::MutexGuard<'_, HashMap<String, Client>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<E: LineEvent> fmt::Debug for OutboundServer<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundServer")
            .field("local_addr", &self.local_addr)
            .field("connected", &self.connected())
            .finish()
    }
}

impl<E: LineEvent> Drop for OutboundServer<E> {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl<E: LineEvent> OutboundServer<E> {
    /// Starts configuring a server. It needs [`basic_auth`](OutboundServerBuilder::basic_auth)
    /// (or an explicit [`danger_accept_any_credentials`](OutboundServerBuilder::danger_accept_any_credentials)).
    pub fn builder() -> OutboundServerBuilder<E> {
        OutboundServerBuilder {
            line: std::marker::PhantomData,
            credentials: None,
            accept_any_credentials: false,
            allow_non_loopback: false,
            timeout: crate::DEFAULT_REQUEST_TIMEOUT,
            first_event_timeout: crate::DEFAULT_FIRST_EVENT_TIMEOUT,
            handshake_timeout: crate::DEFAULT_HANDSHAKE_TIMEOUT,
            buffer: crate::DEFAULT_EVENT_BUFFER,
        }
    }

    /// The address the server listens on (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The next connection Asterisk opened, once its first event has arrived (that event
    /// names the Asterisk and the application; it is also the first event of the stream).
    /// `None` once the server stopped listening.
    pub async fn accept(&mut self) -> Option<AsteriskConnection<E>> {
        self.incoming.recv().await
    }

    /// The client of the newest open connection from this Asterisk (`asterisk_id`, the
    /// `entity_id` of its `asterisk.conf`), to send requests back over the right one when
    /// several Asterisk servers connect.
    pub fn client_for(&self, asterisk_id: &str) -> Option<Client> {
        self.shared
            .clients()
            .get(asterisk_id)
            .filter(|client| client.inner.link.is_attached())
            .cloned()
    }

    /// The `asterisk_id`s with an open connection, sorted.
    pub fn connected(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .shared
            .clients()
            .iter()
            .filter(|(_, client)| client.inner.link.is_attached())
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// Upgrade requests refused so far (bad or missing credentials, no `ari` subprotocol).
    pub fn rejected_connections(&self) -> u64 {
        self.shared.rejected.load(Ordering::Relaxed)
    }
}

/// Configures an [`OutboundServer`].
pub struct OutboundServerBuilder<E> {
    line: std::marker::PhantomData<fn() -> E>,
    credentials: Option<(String, String)>,
    accept_any_credentials: bool,
    allow_non_loopback: bool,
    timeout: Duration,
    first_event_timeout: Duration,
    handshake_timeout: Duration,
    buffer: usize,
}

impl<E> fmt::Debug for OutboundServerBuilder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundServerBuilder")
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "Basic(<redacted>)"),
            )
            .field("accept_any_credentials", &self.accept_any_credentials)
            .field("allow_non_loopback", &self.allow_non_loopback)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<E: LineEvent> OutboundServerBuilder<E> {
    /// The `username` and `password` of Asterisk's `websocket_client.conf` entry: an upgrade
    /// without them is refused with 401 before any WebSocket opens (accepting and then
    /// closing would make Asterisk reconnect in a tight loop).
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }
    /// Accepts connections without checking credentials. Anyone who can reach the port
    /// then drives the application: for tests on loopback only.
    pub fn danger_accept_any_credentials(mut self, accept: bool) -> Self {
        self.accept_any_credentials = accept;
        self
    }
    /// Allows binding to an address other than loopback. Off by default: Asterisk usually
    /// runs on the same host, and a wider bind exposes the application's port.
    pub fn allow_non_loopback(mut self, allow: bool) -> Self {
        self.allow_non_loopback = allow;
        self
    }
    /// Time allowed for each request sent back over a connection (default
    /// [`DEFAULT_REQUEST_TIMEOUT`](crate::DEFAULT_REQUEST_TIMEOUT)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// How long an open connection may stay silent before its first event; a connection
    /// without one is closed (default [`DEFAULT_FIRST_EVENT_TIMEOUT`](crate::DEFAULT_FIRST_EVENT_TIMEOUT); per-call connections see their StasisStart
    /// about half a second after opening).
    pub fn first_event_timeout(mut self, timeout: Duration) -> Self {
        self.first_event_timeout = timeout;
        self
    }
    /// Items each connection's event stream holds for a slow consumer (default
    /// [`DEFAULT_EVENT_BUFFER`](crate::DEFAULT_EVENT_BUFFER)).
    pub fn buffer(mut self, items: usize) -> Self {
        self.buffer = items.max(1);
        self
    }

    /// Binds and starts listening, e.g. `.bind("127.0.0.1:9099")` (port 0 picks a free one).
    pub async fn bind(self, address: impl tokio::net::ToSocketAddrs) -> Result<OutboundServer<E>> {
        if self.credentials.is_none() && !self.accept_any_credentials {
            return Err(invalid(
                "basic_auth",
                "set the credentials Asterisk's websocket_client sends (or, for tests, danger_accept_any_credentials)".to_owned(),
            ));
        }
        let listener = TcpListener::bind(address)
            .await
            .map_err(|e| transport(format!("cannot listen: {e}")))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| transport(format!("cannot read the bound address: {e}")))?;
        if !local_addr.ip().is_loopback() && !self.allow_non_loopback {
            return Err(invalid(
                "address",
                format!(
                    "{local_addr} is not a loopback address; call allow_non_loopback(true) to listen on it"
                ),
            ));
        }
        let shared = Arc::new(Shared {
            clients: Mutex::default(),
            rejected: AtomicU64::new(0),
        });
        let (sender, incoming) = mpsc::channel(64);
        let listener = tokio::spawn(listen(listener, Arc::new(self), shared.clone(), sender));
        tracing::info!(%local_addr, "listening for Asterisk's outbound WebSocket connections");
        Ok(OutboundServer {
            local_addr,
            incoming,
            shared,
            listener,
        })
    }
}

fn invalid(argument: &str, reason: String) -> Error {
    Error::InvalidArgument {
        operation: OPERATION.to_owned(),
        argument: argument.to_owned(),
        reason,
    }
}

fn transport(message: String) -> Error {
    Error::Transport {
        operation: OPERATION.to_owned(),
        message,
        // Connecting or accepting: no request was written.
        sent: false,
        source: None,
    }
}

async fn listen<E: LineEvent>(
    listener: TcpListener,
    settings: Arc<OutboundServerBuilder<E>>,
    shared: Arc<Shared>,
    sender: mpsc::Sender<AsteriskConnection<E>>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if sender.is_closed() {
            return;
        }
        let settings = settings.clone();
        let shared = shared.clone();
        let sender = sender.clone();
        tokio::spawn(async move {
            match open(stream, peer, &settings, &shared).await {
                Ok(connection) => {
                    let _ = sender.send(connection).await;
                }
                Err(reason) => tracing::warn!(%peer, %reason, "outbound connection not accepted"),
            }
        });
    }
}

/// Upgrade, authentication, first event: a connection ready to hand out.
async fn open<E: LineEvent>(
    stream: TcpStream,
    peer: SocketAddr,
    settings: &OutboundServerBuilder<E>,
    shared: &Shared,
) -> std::result::Result<AsteriskConnection<E>, String> {
    let handshake =
        tokio_tungstenite::accept_hdr_async(MaybeTlsStream::Plain(stream), UpgradeCheck(settings));
    let mut socket = match tokio::time::timeout(settings.handshake_timeout, handshake).await {
        Err(_) => return Err("no complete upgrade request in time".to_owned()),
        Ok(Err(tungstenite::Error::Http(response))) => {
            shared.rejected.fetch_add(1, Ordering::Relaxed);
            return Err(format!("refused: HTTP {}", response.status()));
        }
        Ok(Err(error)) => return Err(format!("WebSocket handshake failed: {error}")),
        Ok(Ok(socket)) => socket,
    };
    let first =
        match tokio::time::timeout(settings.first_event_timeout, first_text(&mut socket)).await {
            Err(_) => {
                let _ = socket.close(None).await;
                return Err(format!(
                    "no event within {:?} of opening",
                    settings.first_event_timeout
                ));
            }
            Ok(None) => return Err("closed before its first event".to_owned()),
            Ok(Some(text)) => text,
        };
    let identity: Identity = serde_json::from_str(&first).unwrap_or_default();
    let client = crate::transport::outbound::client(peer, settings.timeout);
    let first_events = match crate::runtime::decode_event::<E>(&first) {
        Ok(event) => vec![event],
        Err(error) => {
            tracing::warn!(%error, "the first frame of an outbound connection is not an event");
            Vec::new()
        }
    };
    let events = EventStream::start_outbound(
        client.clone(),
        settings.buffer,
        identity.application.clone(),
        socket,
        first_events,
    );
    tracing::info!(%peer, asterisk_id = %identity.asterisk_id, application = %identity.application, "Asterisk connected");
    shared
        .clients()
        .insert(identity.asterisk_id.clone(), client.clone());
    Ok(AsteriskConnection {
        client,
        events,
        asterisk_id: identity.asterisk_id,
        application: identity.application,
        peer,
    })
}

/// Who sent the first event.
#[derive(serde::Deserialize, Default)]
struct Identity {
    #[serde(default)]
    asterisk_id: String,
    #[serde(default)]
    application: String,
}

async fn first_text(
    socket: &mut tokio_tungstenite::WebSocketStream<MaybeTlsStream<TcpStream>>,
) -> Option<String> {
    while let Some(frame) = socket.next().await {
        match frame.ok()? {
            Message::Text(text) => return Some(text.as_str().to_owned()),
            Message::Close(_) => return None,
            _ => {}
        }
    }
    None
}

/// Refuses the upgrade unless it carries the credentials and offers the `ari` subprotocol.
struct UpgradeCheck<'a, E>(&'a OutboundServerBuilder<E>);

impl<E> Callback for UpgradeCheck<'_, E> {
    fn on_request(
        self,
        request: &Request,
        response: Response,
    ) -> std::result::Result<Response, ErrorResponse> {
        check_upgrade(self.0, request, response).map_err(|refusal| *refusal)
    }
}

fn check_upgrade<E>(
    settings: &OutboundServerBuilder<E>,
    request: &Request,
    mut response: Response,
) -> std::result::Result<Response, Box<ErrorResponse>> {
    if let Some((user, password)) = &settings.credentials {
        let presented = request
            .headers()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Basic "))
            .and_then(|token| {
                base64::engine::general_purpose::STANDARD
                    .decode(token.trim())
                    .ok()
            });
        let expected = format!("{user}:{password}");
        if !presented.is_some_and(|p| same_bytes(&p, expected.as_bytes())) {
            return Err(refusal(
                StatusCode::UNAUTHORIZED,
                "wrong or missing credentials",
            ));
        }
    }
    let offers_ari = request
        .headers()
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|protocol| protocol.trim().eq_ignore_ascii_case(SUBPROTOCOL));
    if !offers_ari {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "the `ari` WebSocket subprotocol is required",
        ));
    }
    response.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    Ok(response)
}

fn refusal(status: StatusCode, reason: &str) -> Box<ErrorResponse> {
    let mut response = ErrorResponse::new(Some(format!("{{\"message\":\"{reason}\"}}")));
    *response.status_mut() = status;
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static("Basic realm=\"ari\""),
        );
    }
    Box::new(response)
}

/// Compares without stopping at the first difference, so timing tells nothing of where.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One connection Asterisk opened: its events and a client that answers over it.
pub struct AsteriskConnection<E: LineEvent> {
    client: Client,
    events: EventStream<E>,
    asterisk_id: String,
    application: String,
    peer: SocketAddr,
}

impl<E: LineEvent> fmt::Debug for AsteriskConnection<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsteriskConnection")
            .field("asterisk_id", &self.asterisk_id)
            .field("application", &self.application)
            .field("peer", &self.peer)
            .finish()
    }
}

impl<E: LineEvent> AsteriskConnection<E> {
    /// The Asterisk that connected (its `entity_id`), from the first event.
    pub fn asterisk_id(&self) -> &str {
        &self.asterisk_id
    }
    /// The application of the first event: the configured name for `persistent`
    /// connections, `<app>:<channel name>` for `per_call_config` ones.
    pub fn application(&self) -> &str {
        &self.application
    }
    /// Where the connection came from.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }
    /// A client whose requests travel over this connection (with the rights of the
    /// `local_ari_user` Asterisk's `ari.conf` names for it).
    pub fn client(&self) -> &Client {
        &self.client
    }
    /// The connection's events, starting with the first one. The stream ends when
    /// Asterisk closes the connection (it opens a new one to reconnect).
    pub fn events(&mut self) -> &mut EventStream<E> {
        &mut self.events
    }
    /// The client and the event stream, to move into different tasks.
    pub fn into_parts(self) -> (Client, EventStream<E>) {
        (self.client, self.events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_compare_equal_and_others_not() {
        assert!(same_bytes(b"asterisk:secret", b"asterisk:secret"));
        assert!(!same_bytes(b"asterisk:secreT", b"asterisk:secret"));
        assert!(!same_bytes(b"asterisk:secret!", b"asterisk:secret"));
        assert!(!same_bytes(b"", b"x"));
    }

    #[test]
    fn the_builder_never_shows_the_password() {
        let builder = OutboundServer::<crate::Event>::builder().basic_auth("asterisk", "hunter2");
        assert!(!format!("{builder:?}").contains("hunter2"));
    }
}
