//! A fake ARI server for event-stream tests: REST and the event WebSocket on one port.
//!
//! It records every upgrade attempt (query and headers) and REST request, checks the
//! credentials (`hey`/`peekaboo`, Basic or `api_key`), and hands each accepted event
//! connection to the test as a [`Conn`] that the test scripts: send frames, ping, close,
//! go silent, and see when the client closed.
//!
//! Why a third server double (used by `event_stream.rs`, `ws_transport.rs` and the burst
//! test of `faults.rs`): those tests are about the client's side of one WebSocket, frame
//! by frame, which neither of the other two can script. wiremock speaks HTTP only, no
//! WebSocket upgrade. ari-sim sends only the well-formed events its simulated world
//! causes, in its order, and answers `RESTRequest` frames itself; its control API drops
//! connections but cannot send a chosen frame (an unknown type, a binary or bad frame, an
//! event before the REST answer that caused it, 100,000 events in a burst), go silent
//! (no pongs), refuse upgrades on demand, show the upgrade request's headers and query,
//! or hand the test the client's text frames to answer as it likes. Tests that need a
//! behaving Asterisk use ari-sim; tests of exact HTTP requests use wiremock.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

pub const USER: &str = "hey";
pub const PASSWORD: &str = "peekaboo";
/// `base64("hey:peekaboo")`.
pub const BASIC_HEADER: &str = "Basic aGV5OnBlZWthYm9v";

/// One upgrade request to `/ari/events`, accepted or refused.
#[derive(Debug, Clone)]
pub struct Upgrade {
    /// The query string as sent (not decoded).
    pub query: String,
    pub headers: HeaderMap,
    pub accepted: bool,
}

/// One REST request (path without the `/ari` prefix).
#[derive(Debug, Clone)]
pub struct RestCall {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
}

/// Frames a test wants sent when a REST request arrives, before it is answered.
type Hook = Box<dyn Fn(&RestCall) -> Vec<String> + Send + Sync>;

enum Command {
    Text(String),
    Binary(Vec<u8>),
    Ping,
    Close,
    Silent,
}

struct Shared {
    refuse: AtomicBool,
    upgrades: Mutex<Vec<Upgrade>>,
    rest: Mutex<Vec<RestCall>>,
    /// Command senders of every accepted connection, for frames sent by REST hooks.
    open: Mutex<Vec<mpsc::UnboundedSender<Command>>>,
    accepted: mpsc::UnboundedSender<Conn>,
    channel_state: Mutex<String>,
    hook: Mutex<Option<Hook>>,
}

pub struct FakeAri {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    accepted: tokio::sync::Mutex<mpsc::UnboundedReceiver<Conn>>,
}

/// The server side of one accepted event connection.
pub struct Conn {
    commands: mpsc::UnboundedSender<Command>,
    client_closed: watch::Receiver<bool>,
    /// Text frames the client sent (RESTRequest messages).
    received: mpsc::UnboundedReceiver<String>,
}

impl FakeAri {
    pub async fn start() -> FakeAri {
        let (accepted_tx, accepted_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            refuse: AtomicBool::new(false),
            upgrades: Mutex::default(),
            rest: Mutex::default(),
            open: Mutex::default(),
            accepted: accepted_tx,
            channel_state: Mutex::new("Ring".to_owned()),
            hook: Mutex::default(),
        });
        let app = Router::new()
            .route("/ari/events", get(events))
            .route("/ari/channels", post(originate))
            .route("/ari/channels/{id}", get(get_channel))
            .route("/ari/channels/{id}/play", post(play))
            .route("/ari/channels/{id}/record", post(record))
            .fallback(any(not_found))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeAri {
            addr,
            shared,
            accepted: tokio::sync::Mutex::new(accepted_rx),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/ari", self.addr)
    }

    /// A client with the right Basic credentials.
    pub fn client(&self) -> ari_sdk::Client {
        ari_sdk::Client::builder(self.base_url())
            .basic_auth(USER, PASSWORD)
            .build()
            .expect("client builds")
    }

    /// From now on every upgrade is answered 401, whatever the credentials.
    pub fn refuse_all(&self, refuse: bool) {
        self.shared.refuse.store(refuse, Ordering::SeqCst);
    }

    pub fn upgrades(&self) -> Vec<Upgrade> {
        lock(&self.shared.upgrades).clone()
    }

    pub fn rest_calls(&self) -> Vec<RestCall> {
        lock(&self.shared.rest).clone()
    }

    /// The state `GET /channels/{id}` reports (default `Ring`).
    pub fn set_channel_state(&self, state: &str) {
        *lock(&self.shared.channel_state) = state.to_owned();
    }

    /// For each REST request, `hook` gives text frames to send on every open event
    /// connection before the request is answered.
    pub fn on_rest(&self, hook: impl Fn(&RestCall) -> Vec<String> + Send + Sync + 'static) {
        *lock(&self.shared.hook) = Some(Box::new(hook));
    }

    /// The next accepted event connection, in order of acceptance.
    pub async fn connection(&self) -> Conn {
        let next = async { self.accepted.lock().await.recv().await };
        tokio::time::timeout(Duration::from_secs(2), next)
            .await
            .expect("an event connection within 2 s")
            .expect("server running")
    }
}

impl Conn {
    pub fn send(&self, text: impl Into<String>) {
        let _ = self.commands.send(Command::Text(text.into()));
    }
    pub fn send_binary(&self, data: &[u8]) {
        let _ = self.commands.send(Command::Binary(data.to_vec()));
    }
    pub fn ping(&self) {
        let _ = self.commands.send(Command::Ping);
    }
    /// Sends a close frame and drops the socket.
    pub fn close(&self) {
        let _ = self.commands.send(Command::Close);
    }
    /// Stops reading and writing but keeps the TCP connection: pings go unanswered.
    pub fn go_silent(&self) {
        let _ = self.commands.send(Command::Silent);
    }
    /// The next text frame the client sent, within 2 s.
    pub async fn received(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(2), self.received.recv())
            .await
            .expect("a frame from the client within 2 s")
            .expect("connection open")
    }
    /// Whether the client closed the connection (close frame or end of the socket)
    /// within `limit`.
    pub async fn closed_by_client(&mut self, limit: Duration) -> bool {
        let closed = self.client_closed.wait_for(|closed| *closed);
        matches!(tokio::time::timeout(limit, closed).await, Ok(Ok(_)))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn authorized(headers: &HeaderMap, query: &HashMap<String, String>) -> bool {
    let basic = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(BASIC_HEADER);
    let key = query.get("api_key").map(String::as_str) == Some("hey:peekaboo");
    basic || key
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"message": "Authentication required"})),
    )
        .into_response()
}

async fn events(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let accepted = !shared.refuse.load(Ordering::SeqCst) && authorized(&headers, &query);
    lock(&shared.upgrades).push(Upgrade {
        query: raw.unwrap_or_default(),
        headers,
        accepted,
    });
    if !accepted {
        return unauthorized();
    }
    upgrade.on_upgrade(move |socket| async move {
        let (commands, rx) = mpsc::unbounded_channel();
        let (closed_tx, client_closed) = watch::channel(false);
        let (received_tx, received) = mpsc::unbounded_channel();
        lock(&shared.open).push(commands.clone());
        let _ = shared.accepted.send(Conn {
            commands,
            client_closed,
            received,
        });
        serve(socket, rx, closed_tx, received_tx).await;
    })
}

async fn serve(
    mut socket: WebSocket,
    mut commands: mpsc::UnboundedReceiver<Command>,
    client_closed: watch::Sender<bool>,
    received: mpsc::UnboundedSender<String>,
) {
    loop {
        tokio::select! {
            command = commands.recv() => {
                let message = match command {
                    Some(Command::Text(text)) => Message::Text(text.into()),
                    Some(Command::Binary(data)) => Message::Binary(Bytes::from(data)),
                    Some(Command::Ping) => Message::Ping(Bytes::from_static(b"fake")),
                    Some(Command::Close) => {
                        let _ = socket.send(Message::Close(None)).await;
                        return;
                    }
                    Some(Command::Silent) | None => {
                        // Hold the socket unread until the test's runtime ends.
                        std::future::pending::<()>().await;
                        return;
                    }
                };
                if socket.send(message).await.is_err() {
                    let _ = client_closed.send(true);
                    return;
                }
            }
            message = socket.recv() => match message {
                Some(Ok(Message::Close(_)) | Err(_)) | None => {
                    let _ = client_closed.send(true);
                    return;
                }
                Some(Ok(Message::Text(text))) => {
                    let _ = received.send(text.as_str().to_owned());
                }
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Records a REST request and sends the frames the test's hook gives for it.
fn rest(shared: &Shared, method: &Method, uri: &Uri, query: HashMap<String, String>) {
    let call = RestCall {
        method: method.to_string(),
        path: uri.path().trim_start_matches("/ari").to_owned(),
        query,
    };
    let frames = lock(&shared.hook).as_ref().map(|h| h(&call));
    lock(&shared.rest).push(call);
    for frame in frames.unwrap_or_default() {
        for conn in lock(&shared.open).iter() {
            let _ = conn.send(Command::Text(frame.clone()));
        }
    }
}

/// A channel as Asterisk 22 writes it (shape from the walkthrough trace).
pub fn channel_json(id: &str, state: &str) -> Value {
    json!({
        "id": id,
        "name": format!("PJSIP/{id}"),
        "state": state,
        "protocol_id": "",
        "caller": {"name": "", "number": ""},
        "connected": {"name": "", "number": ""},
        "accountcode": "",
        "dialplan": {"context": "default", "exten": "7000", "priority": 2,
                     "app_name": "Stasis", "app_data": "hello,world"},
        "creationtime": "2026-11-27T10:36:17.719+0000",
        "language": "en"
    })
}

async fn originate(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers, &query) {
        return unauthorized();
    }
    let id = query
        .get("channelId")
        .cloned()
        .unwrap_or_else(|| "1795775777.0".to_owned());
    rest(&shared, &method, &uri, query);
    axum::Json(channel_json(&id, "Down")).into_response()
}

async fn get_channel(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers, &query) {
        return unauthorized();
    }
    rest(&shared, &method, &uri, query);
    let state = lock(&shared.channel_state).clone();
    axum::Json(channel_json(&id, &state)).into_response()
}

async fn play(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers, &query) {
        return unauthorized();
    }
    let playback = json!({
        "id": query.get("playbackId").cloned().unwrap_or_else(|| "4f088edc-967f-4e2d-be76-5637db9e894d".to_owned()),
        "media_uri": query.get("media").cloned().unwrap_or_default(),
        "target_uri": format!("channel:{id}"),
        "language": "en",
        "state": "queued"
    });
    rest(&shared, &method, &uri, query);
    (StatusCode::CREATED, axum::Json(playback)).into_response()
}

async fn record(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers, &query) {
        return unauthorized();
    }
    let recording = json!({
        "name": query.get("name").cloned().unwrap_or_default(),
        "format": query.get("format").cloned().unwrap_or_default(),
        "state": "queued",
        "target_uri": format!("channel:{id}")
    });
    rest(&shared, &method, &uri, query);
    (StatusCode::CREATED, axum::Json(recording)).into_response()
}

async fn not_found(method: Method, uri: Uri) -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"message": format!("fake ARI has no {method} {}", uri.path())})),
    )
        .into_response()
}
