//! Outbound WebSockets: the simulated Asterisk connects out to an application's WebSocket
//! server (`websocket_client.conf` + an `outbound_websocket` in `ari.conf`), the way
//! Asterisk 22 does it as recorded in `asterisk-traces/outbound-ws`:
//!
//! - the upgrade is `GET <url path>` with `Authorization: Basic` (the client credentials)
//!   and `Sec-WebSocket-Protocol: ari`; the first frame is `ApplicationRegistered`;
//! - events of the applications go to that socket, and `RESTRequest` frames on it run with
//!   the rights of the local ARI user;
//! - persistent: the applications stay registered while the socket is down and their
//!   events queue (without limit), replayed on reconnect before `ApplicationRegistered`;
//!   a closed socket reconnects at once, a refused upgrade or connection is retried every
//!   `reconnect_interval`, forever;
//! - per call: nothing connects at first; each channel entering `Stasis(app)` opens its
//!   own socket for the application `app:<channel name>`, gets `StasisStart` once it is
//!   open, and the socket closes a while after `StasisEnd`, without
//!   `ApplicationUnregistered`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::http::User;
use crate::hub::{Hub, Kind, Outgoing};
use crate::world::{Shared, lock};
use crate::wsrest::{Answerer, Connection, Rest};

/// `connection_type` of a `websocket_client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectionType {
    /// One socket for the configuration's applications, kept up for good.
    #[default]
    Persistent,
    /// `per_call_config`: a socket per channel entering `Stasis(app)`.
    PerCall,
}

/// An `outbound_websocket` and its `websocket_client`.
#[derive(Clone)]
pub struct OutboundConfig {
    /// `ws://` or `wss://` URL of the application's server.
    pub url: String,
    /// Sent as `Authorization: Basic` on the upgrade (none when empty).
    pub username: String,
    /// The password sent with `username`.
    pub password: String,
    /// Applications the connection serves (`apps=`).
    pub apps: Vec<String>,
    /// One persistent connection, or one per call.
    pub connection_type: ConnectionType,
    /// Wait between failed connection attempts (Asterisk's default: 1 s).
    pub reconnect_interval: Duration,
    /// Per call: attempts before giving up (Asterisk's default: 4); persistent
    /// connections retry forever.
    pub reconnect_attempts: u32,
    /// The `local_ari_user` whose rights requests over the socket get (default: the
    /// simulator's read-write user).
    pub local_ari_user: Option<String>,
    /// Per call: from the socket opening to `StasisStart` (Asterisk: about 500 ms).
    pub per_call_start_delay: Duration,
    /// Per call: from `StasisEnd` to closing the socket (Asterisk: about 3.5 s).
    pub per_call_close_delay: Duration,
}

impl std::fmt::Debug for OutboundConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundConfig")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("apps", &self.apps)
            .field("connection_type", &self.connection_type)
            .field("reconnect_interval", &self.reconnect_interval)
            .field("reconnect_attempts", &self.reconnect_attempts)
            .field("local_ari_user", &self.local_ari_user)
            .finish_non_exhaustive()
    }
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            url: String::new(),
            username: String::new(),
            password: String::new(),
            apps: Vec::new(),
            connection_type: ConnectionType::Persistent,
            reconnect_interval: Duration::from_secs(1),
            reconnect_attempts: 4,
            local_ari_user: None,
            per_call_start_delay: Duration::from_millis(500),
            per_call_close_delay: Duration::from_millis(3500),
        }
    }
}

impl OutboundConfig {
    /// A persistent connection to `url` for `apps`, with Asterisk's default timings.
    pub fn new<I, S>(url: &str, apps: I) -> OutboundConfig
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        OutboundConfig {
            url: url.to_owned(),
            apps: apps.into_iter().map(Into::into).collect(),
            ..OutboundConfig::default()
        }
    }
    /// The `websocket_client`'s `username` and `password`.
    pub fn credentials(mut self, username: &str, password: &str) -> Self {
        self.username = username.to_owned();
        self.password = password.to_owned();
        self
    }
    /// One connection per call (`connection_type=per_call_config`) instead of one
    /// persistent connection.
    pub fn per_call(mut self) -> Self {
        self.connection_type = ConnectionType::PerCall;
        self
    }
    /// How long to wait before connecting again after a failure.
    pub fn reconnect_interval(mut self, interval: Duration) -> Self {
        self.reconnect_interval = interval;
        self
    }
    /// The `ari.conf` user whose rights the connection's requests run with.
    pub fn local_ari_user(mut self, name: &str) -> Self {
        self.local_ari_user = Some(name.to_owned());
        self
    }
    /// Per-call timings: socket open -> `StasisStart`, `StasisEnd` -> close.
    pub fn per_call_delays(mut self, start: Duration, close: Duration) -> Self {
        self.per_call_start_delay = start;
        self.per_call_close_delay = close;
        self
    }
}

#[derive(Default)]
struct Stats {
    attempts: AtomicU64,
    opened: AtomicU64,
    open_now: AtomicU64,
}

struct Inner {
    id: u64,
    config: Arc<OutboundConfig>,
    stop: watch::Sender<bool>,
    stats: Arc<Stats>,
    stopped: AtomicBool,
}

/// A running outbound configuration; [`stop`](Self::stop) ends it (so does stopping the
/// simulator). Dropping the handle does not.
#[derive(Clone)]
pub struct OutboundHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for OutboundHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundHandle")
            .field("id", &self.inner.id)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl OutboundHandle {
    /// The id `/sim/outbound` endpoints know it by.
    pub fn id(&self) -> u64 {
        self.inner.id
    }
    /// The configuration this connection was started with.
    pub fn config(&self) -> &OutboundConfig {
        &self.inner.config
    }
    /// Closes its sockets (a persistent one says `ApplicationUnregistered` first, as
    /// Asterisk does when the configuration goes away) and stops reconnecting.
    pub fn stop(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
        let _ = self.inner.stop.send(true);
    }
    /// Whether [`stop`](Self::stop) was called.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }
    /// Upgrade requests sent so far (refused ones included).
    pub fn attempts(&self) -> u64 {
        self.inner.stats.attempts.load(Ordering::SeqCst)
    }
    /// Sockets opened so far.
    pub fn connections(&self) -> u64 {
        self.inner.stats.opened.load(Ordering::SeqCst)
    }
    /// Sockets open now.
    pub fn open_sockets(&self) -> u64 {
        self.inner.stats.open_now.load(Ordering::SeqCst)
    }

    /// Waits until a socket is open (true) or `timeout` passes (false).
    pub async fn wait_open(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.open_sockets() == 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }
}

/// What a per-call application needs when a channel enters it.
pub(crate) struct PerCallEntry {
    config: Arc<OutboundConfig>,
    rest: Rest,
    user: User,
    stats: Arc<Stats>,
    stop: watch::Receiver<bool>,
}

/// A channel waiting in `Stasis(app)` for its per-call socket.
pub(crate) struct PerCallStart {
    pub entry: Arc<PerCallEntry>,
    pub channel_id: String,
    pub channel_name: String,
    pub app: String,
    pub args: Vec<String>,
}

/// Starts an outbound configuration.
pub(crate) fn start(
    id: u64,
    config: OutboundConfig,
    rest: Rest,
    user: User,
    world: Shared,
    hub: Hub,
) -> Result<OutboundHandle, String> {
    let scheme = config.url.split_once("://").map(|(s, _)| s);
    if !matches!(scheme, Some("ws" | "wss")) {
        return Err(format!("not a ws:// or wss:// URL: {}", config.url));
    }
    if config.url.parse::<axum::http::Uri>().is_err() {
        return Err(format!("invalid URL: {}", config.url));
    }
    if config.apps.is_empty() || config.apps.iter().any(|a| a.trim().is_empty()) {
        return Err("an outbound connection needs at least one application".to_owned());
    }
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| "outbound connections run on a tokio runtime: start them inside one")?;
    let config = Arc::new(config);
    let (stop, stop_rx) = watch::channel(false);
    let stats = Arc::new(Stats::default());
    let handle = OutboundHandle {
        inner: Arc::new(Inner {
            id,
            config: config.clone(),
            stop,
            stats: stats.clone(),
            stopped: AtomicBool::new(false),
        }),
    };
    match config.connection_type {
        ConnectionType::Persistent => {
            tokio::spawn(run_persistent(
                config, rest, user, world, hub, stats, stop_rx,
            ));
        }
        ConnectionType::PerCall => {
            let entry = Arc::new(PerCallEntry {
                config: config.clone(),
                rest,
                user,
                stats,
                stop: stop_rx.clone(),
            });
            for app in &config.apps {
                hub.add_per_call(app, entry.clone());
            }
            let mut stop_rx = stop_rx;
            runtime.spawn(async move {
                let _ = stop_rx.wait_for(|stopped| *stopped).await;
                hub.remove_per_call(&entry);
            });
        }
    }
    Ok(handle)
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One upgrade attempt, with the headers Asterisk sends, in its order.
async fn connect(config: &OutboundConfig, stats: &Stats) -> Result<Socket, String> {
    stats.attempts.fetch_add(1, Ordering::SeqCst);
    let attempt = async {
        if config.url.starts_with("wss://") {
            connect_tls(config).await
        } else {
            connect_plain(config).await
        }
    };
    tokio::time::timeout(CONNECT_TIMEOUT, attempt)
        .await
        .unwrap_or_else(|_| Err("connection timed out".to_owned()))
}

fn basic(config: &OutboundConfig) -> Option<String> {
    if config.username.is_empty() {
        return None;
    }
    let pair = format!("{}:{}", config.username, config.password);
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

/// `ws://`: the upgrade by hand, because Asterisk keeps a socket whose server picked no
/// subprotocol (tungstenite's client would refuse it).
async fn connect_plain(config: &OutboundConfig) -> Result<Socket, String> {
    let uri: axum::http::Uri = config.url.parse().map_err(|e| format!("{e}"))?;
    let host = uri.host().ok_or("URL without a host")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| e.to_string())?;
    let key = tokio_tungstenite::tungstenite::handshake::client::generate_key();
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nSec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nHost: {host}:{port}\r\n"
    );
    if let Some(auth) = basic(config) {
        request.push_str(&format!("Authorization: {auth}\r\n"));
    }
    request.push_str(&format!(
        "Sec-WebSocket-Protocol: ari\r\nSec-WebSocket-Key: {key}\r\n\r\n"
    ));
    tcp.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    // Byte by byte up to the blank line: what follows belongs to the WebSocket.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err("upgrade response too long".to_owned());
        }
        let byte = tcp.read_u8().await.map_err(|e| e.to_string())?;
        head.push(byte);
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or("not an HTTP response")?;
    if status != 101 {
        return Err(format!("upgrade answered {status}"));
    }
    let accept = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("sec-websocket-accept"))
        .map(|(_, value)| value.trim().to_owned());
    if accept.as_deref() != Some(derive_accept_key(key.as_bytes()).as_str()) {
        return Err("bad Sec-WebSocket-Accept".to_owned());
    }
    Ok(WebSocketStream::from_raw_socket(MaybeTlsStream::Plain(tcp), Role::Client, None).await)
}

async fn connect_tls(config: &OutboundConfig) -> Result<Socket, String> {
    let mut request = config
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| e.to_string())?;
    let headers = request.headers_mut();
    if let Some(auth) = basic(config) {
        if let Ok(value) = auth.parse() {
            headers.insert("Authorization", value);
        }
    }
    headers.insert(
        "Sec-WebSocket-Protocol",
        axum::http::HeaderValue::from_static("ari"),
    );
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(format!("upgrade answered {}", response.status().as_u16()))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Why a socket's service ended.
enum End {
    /// The server closed it, or it broke: connect again at once.
    Lost,
    /// The handle (or the simulator) stopped.
    Stopped,
    /// A per-call socket closed after its channel's `StasisEnd`.
    Finished,
}

/// Serves one open socket: first what queued while it was down, then `after_flush`, then
/// events and requests until it ends.
struct Service<'a> {
    rest: &'a Rest,
    world: &'a Shared,
    hub: &'a Hub,
    connection: u64,
    user: &'a User,
    app: &'a str,
    /// Per call: the channel whose `StasisEnd` starts the countdown to closing.
    per_call: Option<(&'a str, Duration)>,
    /// Frames for the peer when the handle stops (`ApplicationUnregistered`).
    on_stop: Vec<String>,
}

impl Service<'_> {
    async fn run(
        &self,
        socket: Socket,
        queue: &mut mpsc::UnboundedReceiver<Outgoing>,
        after_flush: Vec<String>,
        stop: &mut watch::Receiver<bool>,
        stats: &Stats,
    ) -> End {
        stats.opened.fetch_add(1, Ordering::SeqCst);
        stats.open_now.fetch_add(1, Ordering::SeqCst);
        let end = self.serve(socket, queue, after_flush, stop).await;
        stats.open_now.fetch_sub(1, Ordering::SeqCst);
        end
    }

    async fn serve(
        &self,
        socket: Socket,
        queue: &mut mpsc::UnboundedReceiver<Outgoing>,
        after_flush: Vec<String>,
        stop: &mut watch::Receiver<bool>,
    ) -> End {
        let (mut sink, mut stream) = socket.split();
        let mut backlog = Vec::new();
        while let Ok(item) = queue.try_recv() {
            if let Outgoing::Text(text) = item {
                backlog.push(text);
            }
        }
        let mut close_at = None;
        for text in backlog.into_iter().chain(after_flush) {
            self.watch_for_end(&text, &mut close_at);
            if sink.send(Message::text(text)).await.is_err() {
                return End::Lost;
            }
        }
        let answerer = Answerer::start(Connection {
            rest: self.rest.clone(),
            world: self.world.clone(),
            hub: self.hub.clone(),
            id: self.connection,
            user: self.user.clone(),
            app: self.app.to_owned(),
        });
        // Per call: a channel gone without a `StasisEnd` here (hung up before it entered,
        // a restart) still closes its socket, as Asterisk's fail-safe does.
        let mut check = tokio::time::interval(Duration::from_millis(500));
        let end = loop {
            let closing = async {
                match close_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                item = queue.recv() => match item {
                    Some(Outgoing::Text(text)) => {
                        self.watch_for_end(&text, &mut close_at);
                        if sink.send(Message::text(text)).await.is_err() {
                            break End::Lost;
                        }
                    }
                    // Dropped sockets (fault injection, restart): connect again.
                    Some(Outgoing::Close) => {
                        let _ = sink.close().await;
                        break End::Lost;
                    }
                    None => break End::Stopped,
                },
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Text(text))) => answerer.answer(text.as_str()),
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                        let _ = sink.close().await;
                        break End::Lost;
                    }
                    Some(Ok(_)) => {}
                },
                () = stopped(stop) => {
                    for text in &self.on_stop {
                        let _ = sink.send(Message::text(text.clone())).await;
                    }
                    let _ = sink.close().await;
                    break End::Stopped;
                }
                _ = check.tick(), if self.per_call.is_some() && close_at.is_none() => {
                    if let Some((channel, delay)) = self.per_call {
                        let gone = !lock(self.world).channels.contains_key(channel);
                        if gone {
                            close_at = Some(tokio::time::Instant::now() + delay);
                        }
                    }
                }
                () = closing => {
                    let _ = sink.close().await;
                    break End::Finished;
                }
            }
        };
        drop(answerer);
        end
    }

    /// Per call: a `StasisEnd` of the socket's channel schedules the close.
    fn watch_for_end(&self, text: &str, close_at: &mut Option<tokio::time::Instant>) {
        let Some((channel, delay)) = self.per_call else {
            return;
        };
        if close_at.is_some() || !text.starts_with(r#"{"type":"StasisEnd""#) {
            return;
        }
        let about_it = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| Some(v.get("channel")?.get("id")?.as_str()? == channel))
            .unwrap_or(false);
        if about_it {
            *close_at = Some(tokio::time::Instant::now() + delay);
        }
    }
}

/// Returns once the handle stops.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Waits `interval`, or returns false when stopped first.
async fn pause(interval: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    // A zero interval would spin; Asterisk's smallest is a millisecond.
    let interval = interval.max(Duration::from_millis(1));
    tokio::select! {
        () = tokio::time::sleep(interval) => true,
        () = stopped(stop) => false,
    }
}

/// Connects, or gives up when stopped (None).
async fn attempt(
    config: &OutboundConfig,
    stats: &Stats,
    stop: &mut watch::Receiver<bool>,
) -> Option<Result<Socket, String>> {
    if *stop.borrow() {
        return None;
    }
    tokio::select! {
        result = connect(config, stats) => Some(result),
        () = stopped(stop) => None,
    }
}

async fn run_persistent(
    config: Arc<OutboundConfig>,
    rest: Rest,
    user: User,
    world: Shared,
    hub: Hub,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
) {
    let apps = config.apps.clone();
    let fresh: Vec<bool> = apps.iter().map(|a| !hub.is_registered(a)).collect();
    let (registration, mut queue) = hub.register_as(Kind::Outbound, apps.clone(), false);
    let connection = registration.id;
    // Registered now; said on the socket once it opens (it queues like any event).
    for (app, fresh) in apps.iter().zip(fresh) {
        if fresh {
            hub.send_to(connection, hub.app_event("ApplicationRegistered", app));
        }
    }
    let service = Service {
        rest: &rest,
        world: &world,
        hub: &hub,
        connection,
        user: &user,
        app: apps.first().map_or("", String::as_str),
        per_call: None,
        on_stop: apps
            .iter()
            .map(|a| hub.app_event("ApplicationUnregistered", a))
            .collect(),
    };
    let mut first = true;
    loop {
        let Some(result) = attempt(&config, &stats, &mut stop).await else {
            break;
        };
        match result {
            Ok(socket) => {
                let mut after_flush = Vec::new();
                if !first {
                    hub.reclaim(connection, &apps);
                    after_flush = apps
                        .iter()
                        .map(|a| hub.app_event("ApplicationRegistered", a))
                        .collect();
                }
                first = false;
                match service
                    .run(socket, &mut queue, after_flush, &mut stop, &stats)
                    .await
                {
                    End::Lost => {}
                    End::Stopped | End::Finished => break,
                }
            }
            Err(reason) => {
                tracing::debug!(url = %config.url, %reason, "outbound connection failed");
                if !pause(config.reconnect_interval, &mut stop).await {
                    break;
                }
            }
        }
    }
    drop(registration);
}

/// A channel entered a per-call application: its own socket, then `StasisStart`.
pub(crate) async fn run_per_call(world: Shared, start: PerCallStart) {
    let entry = start.entry.clone();
    let config = entry.config.clone();
    let mut stop = entry.stop.clone();
    let hub = lock(&world).hub.clone();
    let app = format!("{}:{}", start.app, start.channel_name);
    let (registration, mut queue) = hub.register_as(Kind::Outbound, vec![app.clone()], false);
    let connection = registration.id;
    hub.send_to(connection, hub.app_event("ApplicationRegistered", &app));
    let service = Service {
        rest: &entry.rest,
        world: &world,
        hub: &hub,
        connection,
        user: &entry.user,
        app: &app,
        per_call: Some((&start.channel_id, config.per_call_close_delay)),
        on_stop: Vec::new(),
    };
    let mut started = false;
    let mut first = true;
    'session: loop {
        // Each (re)connection gets `reconnect_attempts` tries.
        let mut socket = None;
        for tries in 0..config.reconnect_attempts.max(1) {
            if tries > 0 && !pause(config.reconnect_interval, &mut stop).await {
                break 'session;
            }
            match attempt(&config, &entry.stats, &mut stop).await {
                None => break 'session,
                Some(Ok(open)) => {
                    socket = Some(open);
                    break;
                }
                Some(Err(reason)) => {
                    tracing::debug!(url = %config.url, %reason, "per-call connection failed");
                }
            }
        }
        let Some(socket) = socket else {
            // Asterisk gives up: the channel goes back to its dialplan.
            lock(&world).per_call_failed(&start.channel_id, started);
            break;
        };
        let mut after_flush = Vec::new();
        if !first {
            hub.reclaim(connection, std::slice::from_ref(&app));
            after_flush.push(hub.app_event("ApplicationRegistered", &app));
        }
        first = false;
        if !started {
            started = true;
            let world = world.clone();
            let delay = config.per_call_start_delay;
            let (id, app, args) = (start.channel_id.clone(), app.clone(), start.args.clone());
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                lock(&world).per_call_connected(&id, &app, args);
            });
        }
        match service
            .run(socket, &mut queue, after_flush, &mut stop, &entry.stats)
            .await
        {
            End::Lost if lock(&world).channels.contains_key(&start.channel_id) => {}
            End::Lost | End::Stopped | End::Finished => break,
        }
    }
    drop(registration);
}
