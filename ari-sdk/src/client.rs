//! The client: its carrier (see [`crate::transport`]), credentials and settings.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::defaults::{DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_RESOURCE_BUFFER};
use crate::error::{Error, Result};
use crate::transport::Carrier;
use crate::transport::http::Http;
use crate::transport::websocket::Link;

/// How requests authenticate. Never printed: `Debug` shows only the kind.
#[derive(Clone)]
pub(crate) enum Auth {
    /// HTTP Basic, the `Authorization` header.
    Basic { user: String, password: String },
    /// `?api_key=user:password` on every request.
    ApiKey { user: String, password: String },
}

impl Auth {
    /// The `Authorization` header's value (`Basic dXNlcjpwYXNz`), for HTTP Basic.
    pub(crate) fn basic_header(&self) -> Option<String> {
        use base64::Engine as _;
        match self {
            Auth::Basic { user, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
            Auth::ApiKey { .. } => None,
        }
    }

    /// Masks the password (and the api_key form of it) in text from other libraries.
    pub(crate) fn redact(&self, text: &str) -> String {
        match self {
            Auth::Basic { password, .. } | Auth::ApiKey { password, .. }
                if !password.is_empty() =>
            {
                let encoded = crate::runtime::encode_query(password);
                text.replace(password.as_str(), "<redacted>")
                    .replace(&encoded, "<redacted>")
            }
            _ => text.to_owned(),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Basic { .. } => f.write_str("Basic(<redacted>)"),
            Auth::ApiKey { .. } => f.write_str("ApiKey(<redacted>)"),
        }
    }
}

/// A connection to one Asterisk's ARI. Cheap to clone: clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// What carries the requests: chosen once, when the client is built.
    pub(crate) carrier: Carrier,
    /// For HTTP requests and the event WebSocket.
    pub(crate) auth: Option<Auth>,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    /// Per-resource event subscriptions, one registry per release line, fed by this
    /// client's event connections of that line.
    /// Shared with the clients made by [`Client::with_relay`].
    pub(crate) registries: Arc<crate::event_stream::Registries>,
    /// Refuse operations the server's version predates.
    pub(crate) refuse_unsupported: bool,
    /// The server's version, once asked.
    pub(crate) server_version: std::sync::OnceLock<crate::AsteriskVersion>,
    /// TLS certificate checks off (REST and WebSocket alike).
    pub(crate) accept_invalid_certificates: bool,
    /// Where REST-over-WebSocket requests wait for the event connection that carries them.
    pub(crate) link: Link,
}

/// A client's settings besides its carrier.
pub(crate) struct Settings {
    pub(crate) auth: Option<Auth>,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) refuse_unsupported: bool,
    pub(crate) accept_invalid_certificates: bool,
    /// Capacity of each per-resource stream.
    pub(crate) resource_buffer: usize,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Client");
        match &self.inner.carrier {
            Carrier::Outbound(outbound) => debug.field("outbound_connection_from", &outbound.peer),
            Carrier::Relay(relayed) => debug.field("relay", relayed),
            Carrier::Http(http) | Carrier::EventSocket(http) => {
                debug.field("base_url", &http.base().as_str())
            }
        };
        debug
            .field("auth", &self.inner.auth)
            .field("transport", &self.transport())
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

impl Client {
    /// The one constructor: every client, built or handed out by an outbound server.
    pub(crate) fn new(carrier: Carrier, settings: Settings) -> Client {
        let registries = Arc::new(crate::event_stream::Registries::new(
            settings.resource_buffer,
        ));
        Client::with_registries(carrier, settings, registries)
    }

    /// A client whose per-resource event streams are `registries` (another client's).
    pub(crate) fn with_registries(
        carrier: Carrier,
        settings: Settings,
        registries: Arc<crate::event_stream::Registries>,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                carrier,
                auth: settings.auth,
                timeout: settings.timeout,
                connect_timeout: settings.connect_timeout,
                registries,
                refuse_unsupported: settings.refuse_unsupported,
                server_version: std::sync::OnceLock::new(),
                accept_invalid_certificates: settings.accept_invalid_certificates,
                link: Link::default(),
            }),
        }
    }

    /// Starts configuring a client for the ARI root, e.g. `http://127.0.0.1:8088/ari`
    /// (a trailing slash is fine). Asterisk serves ARI under `/ari` (after http.conf's
    /// `prefix`, if one is set): when a base URL without it is answered with Asterisk's
    /// "not found" page, requests and the event connection fail with
    /// [`Error::InvalidArgument`] naming `base_url` and the likely cause.
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            auth: None,
            timeout: crate::DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: crate::DEFAULT_CONNECT_TIMEOUT,
            refuse_unsupported: false,
            user_agent: concat!("ari-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            accept_invalid_certs: false,
            transport: crate::Transport::Http,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            resource_buffer: DEFAULT_RESOURCE_BUFFER,
        }
    }

    /// How this client carries REST requests.
    pub fn transport(&self) -> crate::Transport {
        self.inner.carrier.transport()
    }

    /// The ARI root this client talks to, without a trailing slash. `None` for the client
    /// of a connection Asterisk opened to an
    /// [`OutboundServer`](crate::server::OutboundServer): it reaches Asterisk only over
    /// that connection, at no URL of its own.
    pub fn base_url(&self) -> Option<&str> {
        Some(self.inner.carrier.http()?.base().as_str())
    }

    /// The server's Asterisk version, from `GET /asterisk/info` (asked once, then cached).
    pub async fn server_version(&self) -> Result<crate::AsteriskVersion> {
        if let Some(version) = self.inner.server_version.get() {
            return Ok(*version);
        }
        // Through `raw`, which is never refused, so this cannot recurse.
        let info = self
            .raw()
            .get("asterisk/info")
            .query("only", "system")
            .await?;
        let text = info["system"]["version"].as_str().unwrap_or_default();
        let version: crate::AsteriskVersion =
            text.parse()
                .map_err(|e: crate::VersionError| Error::Decode {
                    operation: "asterisk.getInfo".to_owned(),
                    path: "system.version".to_owned(),
                    reason: e.to_string(),
                    body: crate::error::quote_body(info.to_string().as_bytes()),
                })?;
        let _ = self.inner.server_version.set(version);
        Ok(version)
    }

    /// The error for an HTTP answer that cannot have come from ARI (see
    /// [`Http::not_ari`](crate::transport::http::Http::not_ari)); `None` without an HTTP side.
    pub(crate) fn not_ari(&self, operation: &str, status: u16, body: &[u8]) -> Option<Error> {
        let http = self.inner.carrier.http()?;
        http.not_ari(operation, status, body, self.inner.auth.as_ref())
    }

    /// Masks the password (and the api_key form of it) in text from other libraries.
    pub(crate) fn redact(&self, text: &str) -> String {
        match &self.inner.auth {
            Some(auth) => auth.redact(text),
            None => text.to_owned(),
        }
    }

    /// Where the connection Asterisk opened came from, for an outbound connection's client.
    pub(crate) fn outbound_peer(&self) -> Option<std::net::SocketAddr> {
        Some(self.inner.carrier.outbound()?.peer)
    }
}

/// Configures a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) base_url: String,
    auth: Option<Auth>,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    refuse_unsupported: bool,
    pub(crate) user_agent: String,
    pub(crate) accept_invalid_certs: bool,
    transport: crate::Transport,
    pub(crate) max_connections: usize,
    pub(crate) idle_timeout: Duration,
    resource_buffer: usize,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &crate::runtime::redact_url(&self.base_url))
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// HTTP Basic authentication (an `ari.conf` user).
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(Auth::Basic {
            user: user.into(),
            password: password.into(),
        });
        self
    }
    /// `?api_key=user:password` authentication, for setups that cannot send headers.
    pub fn api_key(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(Auth::ApiKey {
            user: user.into(),
            password: password.into(),
        });
        self
    }
    /// Time allowed for a whole request, answer included (default
    /// [`DEFAULT_REQUEST_TIMEOUT`](crate::DEFAULT_REQUEST_TIMEOUT)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Time allowed to open a connection (default
    /// [`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT)).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Before sending, refuse an operation the connected server's version predates (the
    /// version is read once from `GET /asterisk/info`), with [`Error::Unsupported`].
    pub fn refuse_unsupported_operations(mut self, refuse: bool) -> Self {
        self.refuse_unsupported = refuse;
        self
    }
    /// The `User-Agent` header of every request (default `ari-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }
    /// Turns TLS certificate verification off. For a lab Asterisk with a self-signed
    /// certificate only: anyone on the path can then read the credentials.
    pub fn danger_accept_invalid_certificates(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// How REST requests travel (default [`Transport::Http`](crate::Transport::Http)).
    /// With [`Transport::WebSocket`](crate::Transport::WebSocket) every operation is sent
    /// over the event connection, which must then be open.
    pub fn transport(mut self, transport: crate::Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The most HTTP requests the client has in flight to the server at once, each on a
    /// connection of its own (default [`DEFAULT_MAX_CONNECTIONS`](crate::DEFAULT_MAX_CONNECTIONS), at least 1); more
    /// requests wait for a free one instead of failing, and idle connections beyond this
    /// many are closed. (A connection still being handed back to the pool when the next
    /// request starts can make the count of open connections briefly a little higher.)
    /// Asterisk serves at most `sessionlimit` HTTP sessions (http.conf, default 100,
    /// event WebSockets and every other client included) and closes connections beyond
    /// it, so keep the sum over your clients well below it. The wait for a connection
    /// counts toward the request's timeout; running out of time there is an
    /// [`Error::Transport`](crate::Error::Transport) with `sent: false`.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// How long an unused HTTP connection is kept for the next request (default
    /// [`DEFAULT_IDLE_TIMEOUT`](crate::DEFAULT_IDLE_TIMEOUT)). Keep it under Asterisk's `session_keep_alive` (http.conf,
    /// default 15 s), after which Asterisk closes idle connections itself.
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = idle;
        self
    }

    /// Events each per-resource stream holds (a call's, a watched playback's, a handle's
    /// `events()`) for a consumer that falls behind; past that, newer events are dropped
    /// and an [`Error::Lagged`](crate::Error::Lagged) item takes their place (default
    /// [`DEFAULT_RESOURCE_BUFFER`](crate::DEFAULT_RESOURCE_BUFFER), at least 1).
    pub fn resource_buffer(mut self, items: usize) -> Self {
        self.resource_buffer = items.max(1);
        self
    }

    /// Makes the client. Nothing is sent yet: a wrong URL or credentials show on the first
    /// request. Fails with [`Error::InvalidArgument`] naming `base_url` when the base URL is not
    /// an `http`/`https` URL, carries credentials (use [`basic_auth`](Self::basic_auth)), a
    /// query or a fragment.
    pub fn build(self) -> Result<Client> {
        if self.accept_invalid_certs {
            tracing::warn!("TLS certificate verification is OFF for this ARI client");
        }
        let http = Http::new(&self)?;
        let carrier = match self.transport {
            crate::Transport::Http => Carrier::Http(http),
            crate::Transport::WebSocket => Carrier::EventSocket(http),
            crate::Transport::Relay => {
                return Err(Error::InvalidArgument {
                    operation: "client.build".to_owned(),
                    argument: "transport".to_owned(),
                    reason: "a relayed client is made with Client::over_relay, not a builder"
                        .to_owned(),
                });
            }
        };
        let settings = Settings {
            auth: self.auth,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            refuse_unsupported: self.refuse_unsupported,
            accept_invalid_certificates: self.accept_invalid_certs,
            resource_buffer: self.resource_buffer,
        };
        Ok(Client::new(carrier, settings))
    }
}
