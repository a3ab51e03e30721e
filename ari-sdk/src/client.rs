//! The client: base URL, credentials, HTTP connection pool.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};

/// How requests authenticate. Never printed: `Debug` shows only the kind.
#[derive(Clone)]
pub(crate) enum Auth {
    /// HTTP Basic, the `Authorization` header.
    Basic { user: String, password: String },
    /// `?api_key=user:password` on every request.
    ApiKey { user: String, password: String },
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
    pub(crate) http: reqwest::Client,
    /// The ARI root without a trailing slash, e.g. `http://127.0.0.1:8088/ari`.
    pub(crate) base: url::Url,
    pub(crate) auth: Option<Auth>,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    /// Per-resource event subscriptions, one registry per release line, fed by this
    /// client's event connections of that line.
    pub(crate) registries: crate::event_stream::Registries,
    /// Refuse operations the server's version predates.
    pub(crate) refuse_unsupported: bool,
    /// The server's version, once asked.
    pub(crate) server_version: std::sync::OnceLock<crate::AsteriskVersion>,
    /// TLS certificate checks off (REST and WebSocket alike).
    pub(crate) accept_invalid_certificates: bool,
    /// How REST requests travel.
    pub(crate) transport: crate::Transport,
    /// Where requests go with [`crate::Transport::WebSocket`].
    pub(crate) link: crate::ws_rest::Link,
    /// Set for the client of a connection Asterisk opened to an
    /// [`OutboundServer`](crate::server::OutboundServer): it has no HTTP side.
    pub(crate) outbound_peer: Option<std::net::SocketAddr>,
    /// One permit per HTTP connection the client may use at once: a request holds one
    /// from sending to the end of its answer, others queue.
    pub(crate) connections: tokio::sync::Semaphore,
    pub(crate) max_connections: usize,
}

/// HTTP connections a client uses at most by default: well below Asterisk's default
/// `sessionlimit` of 100 (http.conf), which event WebSockets and other clients share.
pub const DEFAULT_MAX_CONNECTIONS: usize = 32;

/// How long an unused HTTP connection is kept by default: under Asterisk's default
/// `session_keep_alive` of 15 s, so the client gives up an idle connection before the
/// server closes it under a new request.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Events each per-resource stream (a call's, a watched playback's) holds by default for
/// a consumer that falls behind.
pub const DEFAULT_RESOURCE_BUFFER: usize = 256;

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Client");
        match self.inner.outbound_peer {
            Some(peer) => debug.field("outbound_connection_from", &peer),
            None => debug.field("base_url", &self.inner.base.as_str()),
        };
        debug
            .field("auth", &self.inner.auth)
            .field("transport", &self.inner.transport)
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

impl Inner {
    /// The URL path of `rel` (`/channels`, `/events`) under the ARI root. A base URL
    /// without a path has the path `/`, which must not double the slash.
    pub(crate) fn path_of(&self, rel: &str) -> String {
        format!("{}{rel}", self.base.path().trim_end_matches('/'))
    }
}

impl Client {
    /// Starts configuring a client for the ARI root, e.g. `http://127.0.0.1:8088/ari`
    /// (a trailing slash is fine). Asterisk serves ARI under `/ari` (after http.conf's
    /// `prefix`, if one is set): when a base URL without it is answered with Asterisk's
    /// "not found" page, requests and the event connection fail with
    /// [`Error::InvalidArgument`] naming `base_url` and the likely cause.
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            auth: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
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
        self.inner.transport
    }

    /// The ARI root this client talks to.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
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

    /// The client of a connection Asterisk opened to an outbound server: requests travel
    /// over that connection, never over HTTP.
    pub(crate) fn outbound(
        peer: std::net::SocketAddr,
        timeout: Duration,
        http: reqwest::Client,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                http,
                // Never used for a request: the transport is the connection.
                base: url::Url::parse("http://outbound.invalid/ari").expect("a valid URL"),
                auth: None,
                timeout,
                connect_timeout: timeout,
                registries: crate::event_stream::Registries::new(DEFAULT_RESOURCE_BUFFER),
                refuse_unsupported: false,
                server_version: std::sync::OnceLock::new(),
                accept_invalid_certificates: false,
                transport: crate::Transport::WebSocket,
                link: Default::default(),
                outbound_peer: Some(peer),
                connections: tokio::sync::Semaphore::new(DEFAULT_MAX_CONNECTIONS),
                max_connections: DEFAULT_MAX_CONNECTIONS,
            }),
        }
    }

    /// The error for an HTTP answer that cannot have come from ARI: a 404 whose body is
    /// not ARI's JSON (Asterisk's HTTP server answers an HTML page for paths outside ARI,
    /// ARI itself a JSON object with `message`). Its likely cause is the base URL, so the
    /// error names it instead of passing for an ordinary "not found" that a caller might
    /// take for a resource already gone.
    pub(crate) fn not_ari(&self, operation: &str, status: u16, body: &[u8]) -> Option<Error> {
        let ari_body =
            serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| v.is_object());
        if status != 404 || ari_body {
            return None;
        }
        let base = self.inner.base.as_str().trim_end_matches('/');
        let has_ari = self
            .inner
            .base
            .path()
            .trim_end_matches('/')
            .ends_with("/ari");
        // A WebSocket refusal may arrive without its body: then only a missing `/ari` says
        // enough.
        if has_ari && body.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let page = body_kind(body);
        if has_ari {
            // Asterisk's HTTP server answers before res_ari is loaded (while it starts)
            // and when ARI is disabled: nothing ran, and a later try may succeed.
            return Some(Error::Transport {
                operation: operation.to_owned(),
                message: self.redact(&format!(
                    "the server answered {status} with a body that is not ARI's ({page}): \
                     nothing serves ARI at `{base}` (yet): Asterisk may still be starting, \
                     or ARI is not enabled (`enabled = yes` in ari.conf and http.conf), or \
                     the URL lacks http.conf's `prefix`"
                )),
                sent: false,
                source: None,
            });
        }
        Some(Error::InvalidArgument {
            operation: operation.to_owned(),
            argument: "base_url".to_owned(),
            // A proxy's page may echo the URL, `api_key` included.
            reason: self.redact(&format!(
                "the server answered {status} with a body that is not ARI's ({page}): the \
                 base URL `{base}` has no `/ari` path: Asterisk serves ARI under /ari (try \
                 `{base}/ari`)"
            )),
        })
    }

    /// Masks the password (and the api_key form of it) in text from other libraries.
    pub(crate) fn redact(&self, text: &str) -> String {
        match &self.inner.auth {
            Some(Auth::Basic { password, .. } | Auth::ApiKey { password, .. })
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

/// Configures a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    auth: Option<Auth>,
    timeout: Duration,
    connect_timeout: Duration,
    refuse_unsupported: bool,
    user_agent: String,
    accept_invalid_certs: bool,
    transport: crate::Transport,
    max_connections: usize,
    idle_timeout: Duration,
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
    /// Time allowed for a whole request, answer included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Time allowed to open a connection (default 10 s).
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
    /// connection of its own (default [`DEFAULT_MAX_CONNECTIONS`], at least 1); more
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
    /// [`DEFAULT_IDLE_TIMEOUT`]). Keep it under Asterisk's `session_keep_alive` (http.conf,
    /// default 15 s), after which Asterisk closes idle connections itself.
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = idle;
        self
    }

    /// Events each per-resource stream holds (a call's, a watched playback's, a handle's
    /// `events()`) for a consumer that falls behind, before it drops the oldest and
    /// reports [`Error::Lagged`](crate::Error::Lagged) (default
    /// [`DEFAULT_RESOURCE_BUFFER`], at least 1).
    pub fn resource_buffer(mut self, items: usize) -> Self {
        self.resource_buffer = items.max(1);
        self
    }

    pub fn build(self) -> Result<Client> {
        if self.accept_invalid_certs {
            tracing::warn!("TLS certificate verification is OFF for this ARI client");
        }
        let invalid = |reason: String| Error::InvalidArgument {
            operation: "Client::builder".to_owned(),
            argument: "base_url".to_owned(),
            reason,
        };
        let mut base = url::Url::parse(self.base_url.trim()).map_err(|e| {
            invalid(format!(
                "`{}` is not a URL: {e}",
                crate::runtime::redact_url(&self.base_url)
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "scheme `{}` is not http or https",
                base.scheme()
            )));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(invalid(
                "credentials in the URL: use basic_auth() or api_key() instead".to_owned(),
            ));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(invalid(
                "the ARI root must not have a query or fragment".to_owned(),
            ));
        }
        let path = base.path().trim_end_matches('/').to_owned();
        base.set_path(&path);
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .pool_max_idle_per_host(self.max_connections)
            .pool_idle_timeout(self.idle_timeout)
            .user_agent(self.user_agent)
            .danger_accept_invalid_certs(self.accept_invalid_certs)
            .build()
            .map_err(|e| invalid(format!("cannot set up HTTP: {}", e.without_url())))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                auth: self.auth,
                timeout: self.timeout,
                connect_timeout: self.connect_timeout,
                registries: crate::event_stream::Registries::new(self.resource_buffer),
                refuse_unsupported: self.refuse_unsupported,
                server_version: std::sync::OnceLock::new(),
                accept_invalid_certificates: self.accept_invalid_certs,
                transport: self.transport,
                link: Default::default(),
                outbound_peer: None,
                connections: tokio::sync::Semaphore::new(self.max_connections),
                max_connections: self.max_connections,
            }),
        })
    }
}

/// A few words on a body, for errors: an HTML page's title, the start of other text.
fn body_kind(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return "an empty body".to_owned();
    }
    let lower = text.to_ascii_lowercase();
    let title = lower.find("<title>").and_then(|start| {
        let start = start + "<title>".len();
        let end = start + lower[start..].find("</title>")?;
        Some(text[start..end].trim())
    });
    if let Some(title) = title.filter(|t| !t.is_empty()) {
        let title: String = title.chars().take(80).collect();
        return format!("an HTML page titled `{title}`");
    }
    let mut start: String = text.chars().take(60).collect();
    if start.len() < text.len() {
        start.push_str("...");
    }
    format!("`{start}`")
}
