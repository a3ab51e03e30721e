//! The proxy's two links to its Asterisk: REST requests (reqwest) and the event WebSocket
//! (tokio-tungstenite). Credentials go in an `Authorization` header, never in a URL, so
//! no error or log line can carry them.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::config::AsteriskTarget;

/// What stays unencoded in a path segment or a query value.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query value.
pub(crate) fn encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// Asterisk's answer to one request.
#[derive(Debug)]
pub(crate) struct HttpReply {
    pub status: u16,
    pub location: Option<String>,
    pub body: Bytes,
}

/// A request that got no answer.
#[derive(Debug)]
pub(crate) enum SendFailure {
    /// It never reached Asterisk: it did not run.
    Unsent(String),
    /// The link broke after it was sent: it may have run.
    Sent(String),
}

impl SendFailure {
    pub fn kind(&self) -> &'static str {
        match self {
            SendFailure::Unsent(_) => "unsent",
            SendFailure::Sent(_) => "sent",
        }
    }
    pub fn reason(&self) -> &str {
        match self {
            SendFailure::Unsent(r) | SendFailure::Sent(r) => r,
        }
    }
}

pub(crate) type EventSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Clone)]
pub(crate) struct Asterisk {
    http: reqwest::Client,
    /// Requests in flight at most, each on a connection of its own: Asterisk refuses HTTP
    /// sessions beyond its `sessionlimit` (100 by default), which WebSockets and other
    /// clients share; the SDK's own default bound is used.
    connections: std::sync::Arc<tokio::sync::Semaphore>,
    base_url: String,
    authorization: String,
}

impl Asterisk {
    pub fn new(target: &AsteriskTarget, timeout: Duration) -> crate::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(ari_sdk::DEFAULT_MAX_CONNECTIONS)
            .pool_idle_timeout(ari_sdk::DEFAULT_IDLE_TIMEOUT)
            .build()
            .map_err(|e| crate::ClusterError::Config(format!("HTTP client: {e}")))?;
        let pair = format!("{}:{}", target.user, target.password);
        Ok(Asterisk {
            http,
            connections: std::sync::Arc::new(tokio::sync::Semaphore::new(
                ari_sdk::DEFAULT_MAX_CONNECTIONS,
            )),
            base_url: target.base_url.trim_end_matches('/').to_owned(),
            authorization: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ),
        })
    }

    /// Runs one request; `path` is under the ARI root and already percent-encoded.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Bytes,
    ) -> Result<HttpReply, SendFailure> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| SendFailure::Unsent(format!("bad method {method:?}")))?;
        let mut url = format!("{}{}", self.base_url, path);
        if let Some(query) = query.filter(|q| !q.is_empty()) {
            url.push('?');
            url.push_str(query);
        }
        let mut request = self
            .http
            .request(method, url)
            .header(reqwest::header::AUTHORIZATION, &self.authorization);
        if !body.is_empty() {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let _connection = self
            .connections
            .acquire()
            .await
            .map_err(|_| SendFailure::Unsent("the proxy is stopping".to_owned()))?;
        let response = request.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .bytes()
            .await
            .map_err(|e| SendFailure::Sent(e.without_url().to_string()))?;
        Ok(HttpReply {
            status,
            location,
            body,
        })
    }

    /// Whether the channel exists: `Ok(false)` only when Asterisk says 404.
    pub async fn channel_exists(&self, id: &str) -> Result<bool, SendFailure> {
        self.exists(crate::protocol::kind::CHANNEL, id).await
    }

    /// Whether an ownable resource exists: `Ok(false)` only when Asterisk says 404.
    pub async fn exists(&self, kind: &str, id: &str) -> Result<bool, SendFailure> {
        use crate::protocol::kind;
        let collection = match kind {
            kind::CHANNEL => "/channels",
            kind::BRIDGE => "/bridges",
            kind::PLAYBACK => "/playbacks",
            kind::RECORDING => "/recordings/live",
            _ => return Err(SendFailure::Unsent(format!("unknown kind {kind}"))),
        };
        let path = format!("{collection}/{}", encode(id));
        let reply = self.request("GET", &path, None, Bytes::new()).await?;
        match reply.status {
            200..=299 => Ok(true),
            404 => Ok(false),
            other => Err(SendFailure::Sent(format!("GET {kind}: status {other}"))),
        }
    }

    /// The channels Asterisk has now (`GET /channels`).
    pub async fn channels(&self) -> Result<Vec<serde_json::Value>, SendFailure> {
        let reply = self.request("GET", "/channels", None, Bytes::new()).await?;
        if reply.status != 200 {
            return Err(SendFailure::Sent(format!(
                "GET channels: status {}",
                reply.status
            )));
        }
        serde_json::from_slice(&reply.body)
            .map_err(|e| SendFailure::Sent(format!("GET channels: {e}")))
    }

    /// The channel (`GET /channels/{id}`), `Ok(None)` when Asterisk says 404.
    pub async fn channel(&self, id: &str) -> Result<Option<serde_json::Value>, SendFailure> {
        let path = format!("/channels/{}", encode(id));
        let reply = self.request("GET", &path, None, Bytes::new()).await?;
        match reply.status {
            200 => serde_json::from_slice(&reply.body)
                .map(Some)
                .map_err(|e| SendFailure::Sent(format!("GET channel: {e}"))),
            404 => Ok(None),
            other => Err(SendFailure::Sent(format!("GET channel: status {other}"))),
        }
    }

    /// Whether Asterisk refuses these credentials (401/403 to `GET /asterisk/ping`); `false`
    /// when it accepts them or cannot be reached now (it may come later).
    pub async fn refuses_credentials(&self) -> Option<u16> {
        let reply = self
            .request("GET", "/asterisk/ping", None, Bytes::new())
            .await
            .ok()?;
        matches!(reply.status, 401 | 403).then_some(reply.status)
    }

    /// `system.version` of `GET /asterisk/info`.
    pub async fn version(&self) -> Option<String> {
        let reply = self
            .request("GET", "/asterisk/info", None, Bytes::new())
            .await
            .ok()?;
        if reply.status != 200 {
            return None;
        }
        let info: serde_json::Value = serde_json::from_slice(&reply.body).ok()?;
        info.pointer("/system/version")?.as_str().map(str::to_owned)
    }

    /// Opens the event WebSocket for `apps`.
    pub async fn connect_events(&self, apps: &[String]) -> Result<EventSocket, String> {
        let ws_base = if let Some(rest) = self.base_url.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.base_url.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            return Err("the ARI URL is neither http nor https".into());
        };
        let apps: Vec<String> = apps.iter().map(|a| encode(a)).collect();
        let url = format!("{ws_base}/events?app={}&subscribeAll=false", apps.join(","));
        let mut request = url.into_client_request().map_err(|e| e.to_string())?;
        let value = self
            .authorization
            .parse()
            .map_err(|_| "bad credentials for a header".to_owned())?;
        request.headers_mut().insert("Authorization", value);
        let connect = tokio_tungstenite::connect_async(request);
        match tokio::time::timeout(Duration::from_secs(10), connect).await {
            Ok(Ok((socket, _response))) => Ok(socket),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".into()),
        }
    }
}

/// Connect failures (and requests reqwest could not even build) did not run; anything
/// later may have.
fn classify(error: reqwest::Error) -> SendFailure {
    let unsent = error.is_connect() || error.is_builder();
    let reason = error.without_url().to_string();
    if unsent {
        SendFailure::Unsent(reason)
    } else {
        SendFailure::Sent(reason)
    }
}

/// The Stasis application a channel is in, by its dialplan position (`app_name`
/// `Stasis`, `app_data` `app,args...`); `None` when it is elsewhere.
pub(crate) fn stasis_app(channel: &serde_json::Value) -> Option<&str> {
    let dialplan = channel.get("dialplan")?;
    let app_name = dialplan.get("app_name")?.as_str()?;
    if !app_name.eq_ignore_ascii_case("Stasis") {
        return None;
    }
    let data = dialplan.get("app_data")?.as_str()?;
    Some(data.split(',').next().unwrap_or("").trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_encoded_as_one_segment() {
        assert_eq!(encode("1733.42"), "1733.42");
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn the_stasis_app_comes_from_the_dialplan_position() {
        let at = |name: &str, data: &str| serde_json::json!({"dialplan": {"app_name": name, "app_data": data}});
        assert_eq!(stasis_app(&at("Stasis", "my.app,x,y")), Some("my.app"));
        assert_eq!(stasis_app(&at("Stasis", "")), Some(""));
        assert_eq!(stasis_app(&at("Wait", "5")), None);
        assert_eq!(stasis_app(&serde_json::json!({})), None);
    }
}
