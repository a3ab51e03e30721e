//! Opening the event WebSocket: URL, authentication, and what a refusal means.

use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Error as WsError};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::client::Auth;
use crate::error::quote_body;
use crate::runtime::encode_query;
use crate::transport::relay::FeedItem;
use crate::transport::websocket::{Live, Outgoing, Reply};
use crate::{Client, Error, StatusError};

/// Asterisk's event WebSocket, as opened or accepted.
pub(crate) type WebSocket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Where a connection task reads frames from: a WebSocket, or a relay's feed.
pub(crate) enum Socket {
    /// Read here by the connection task; written by it and by callers through `live`.
    WebSocket {
        reader: SplitStream<WebSocket>,
        live: Arc<Live>,
    },
    Relay {
        feed: crate::transport::relay::Feed,
        /// A ping was sent: a feed has no pings, so the next read answers it at once.
        pong_due: bool,
    },
}

impl Socket {
    pub(crate) fn web_socket(socket: WebSocket) -> Socket {
        let (sink, reader) = socket.split();
        Socket::WebSocket {
            reader,
            live: Arc::new(Live::new(sink)),
        }
    }

    /// Where callers write their requests, for a WebSocket.
    pub(crate) fn live(&self) -> Option<Arc<Live>> {
        match self {
            Socket::WebSocket { live, .. } => Some(live.clone()),
            Socket::Relay { .. } => None,
        }
    }

    /// The next frame; `None` when the peer is gone.
    pub(crate) async fn next(&mut self) -> Option<Result<Frame, WsError>> {
        match self {
            Socket::WebSocket { reader, .. } => reader.next().await,
            Socket::Relay { feed, pong_due } => {
                if std::mem::take(pong_due) {
                    return Some(Ok(Frame::Pong(Vec::new().into())));
                }
                Some(Ok(match feed.items.recv().await? {
                    FeedItem::Frame(text) => Frame::Text(text.into()),
                    FeedItem::Lost(reason) => {
                        Frame::Close(Some(tungstenite::protocol::CloseFrame {
                            code: tungstenite::protocol::frame::coding::CloseCode::Away,
                            reason: reason.into(),
                        }))
                    }
                }))
            }
        }
    }

    /// Sends a ping (a feed answers it itself).
    pub(crate) async fn ping(&mut self) -> Result<(), WsError> {
        match self {
            Socket::WebSocket { live, .. } => live.write(Frame::Ping(Vec::new().into())).await,
            Socket::Relay { pong_due, .. } => {
                *pong_due = true;
                Ok(())
            }
        }
    }

    /// Writes a request that waited for this socket. A feed carries no requests (a
    /// relayed client sends them through its relay), so one is failed unsent.
    pub(crate) async fn write_queued(&mut self, outgoing: Outgoing) -> Result<(), WsError> {
        let Outgoing {
            request_id,
            frame,
            reply,
        } = outgoing;
        let (reply, reason) = match self {
            Socket::WebSocket { live, .. } => match live.admit(request_id, reply) {
                Ok(()) => return live.write(Frame::Text(frame.into())).await,
                Err(reply) => (reply, "the event connection closed"),
            },
            Socket::Relay { .. } => (reply, "a relay's event feed carries no requests"),
        };
        let _ = reply.send(Reply::Lost {
            sent: false,
            reason: reason.to_owned(),
        });
        Ok(())
    }

    /// Completes the request a `RESTResponse` frame answers (see [`Live::complete`]).
    pub(crate) fn complete(&self, frame: &tungstenite::Utf8Bytes) -> bool {
        match self {
            Socket::WebSocket { live, .. } => live.complete(frame),
            Socket::Relay { .. } => false,
        }
    }

    /// The socket is gone: fails the requests written to it.
    pub(crate) fn fail_in_flight(&self, reason: &str) {
        if let Socket::WebSocket { live, .. } = self {
            live.fail_all(reason);
        }
    }

    /// Closes it cleanly (a feed: stops reading it).
    pub(crate) async fn close(&mut self) {
        match self {
            Socket::WebSocket { live, .. } => live.close().await,
            Socket::Relay { feed, .. } => feed.items.close(),
        }
    }
}

/// How errors name the connection.
pub(crate) const OPERATION: &str = "events.eventWebsocket";

/// What the connection asks for.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) apps: Vec<String>,
    pub(crate) subscribe_all: bool,
}

fn url(client: &Client, target: &Target) -> Result<url::Url, Error> {
    let inner = &client.inner;
    let http = inner.carrier.http().ok_or_else(|| {
        invalid(
            "client",
            "an outbound connection's client has no URL".to_owned(),
        )
    })?;
    let mut url = http.url_of("/events");
    let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
    url.set_scheme(scheme)
        .map_err(|_| invalid("base_url", "cannot become a WebSocket URL".to_owned()))?;
    let apps: Vec<String> = target.apps.iter().map(|a| encode_query(a)).collect();
    let mut query = format!("app={}", apps.join(","));
    if target.subscribe_all {
        query.push_str("&subscribeAll=true");
    }
    if let Some(Auth::ApiKey { user, password }) = &inner.auth {
        query.push_str(&format!(
            "&api_key={}",
            encode_query(&format!("{user}:{password}"))
        ));
    }
    url.set_query(Some(&query));
    Ok(url)
}

fn invalid(argument: &str, reason: String) -> Error {
    Error::InvalidArgument {
        operation: OPERATION.to_owned(),
        argument: argument.to_owned(),
        reason,
    }
}

/// Checks the application list before any connection is tried.
pub(crate) fn validate(target: &Target) -> Result<(), Error> {
    if target.apps.is_empty() {
        return Err(invalid(
            "app",
            "at least one application name is needed".to_owned(),
        ));
    }
    if let Some(app) = target.apps.iter().find(|a| a.is_empty() || a.contains(',')) {
        return Err(invalid(
            "app",
            format!("`{app}` is not an application name (empty, or holds a comma)"),
        ));
    }
    Ok(())
}

/// Opens one connection. Errors say whether retrying can help ([`is_permanent`]).
pub(crate) async fn open(client: &Client, target: &Target) -> Result<Socket, Error> {
    if let Some(relayed) = client.inner.carrier.relay() {
        let feed = relayed
            .relay
            .events(&target.apps, target.subscribe_all)
            .await?;
        return Ok(Socket::Relay {
            feed,
            pong_due: false,
        });
    }
    let url = url(client, target)?;
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| transport(client, format!("bad request: {e}")))?;
    if let Some(header) = client.inner.auth.as_ref().and_then(Auth::basic_header) {
        let mut value = HeaderValue::from_str(&header).map_err(|_| {
            invalid(
                "basic_auth",
                "credentials cannot be sent in a header".to_owned(),
            )
        })?;
        value.set_sensitive(true);
        request.headers_mut().insert("Authorization", value);
    }
    let connector = super::tls::connector(client.inner.accept_invalid_certificates)
        .map_err(|e| transport(client, format!("TLS setup: {e}")))?;
    let connect =
        tokio_tungstenite::connect_async_tls_with_config(request, None, false, Some(connector));
    match tokio::time::timeout(client.inner.connect_timeout, connect).await {
        Err(_) => Err(Error::Timeout {
            operation: OPERATION.to_owned(),
            timeout: client.inner.connect_timeout,
        }),
        Ok(Ok((socket, _response))) => Ok(Socket::web_socket(socket)),
        Ok(Err(WsError::Http(response))) => {
            let status = response.status().as_u16();
            let body = response.body().as_deref().unwrap_or_default();
            if let Some(error) = client.not_ari(OPERATION, status, body) {
                return Err(error);
            }
            let message = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .or_else(|| v.get("error"))
                        .and_then(|m| m.as_str())
                        .map(str::to_owned)
                });
            Err(Error::Status(Box::new(StatusError {
                operation: OPERATION.to_owned(),
                method: "GET".to_owned(),
                path: url.path().to_owned(),
                status,
                message,
                body: quote_body(body),
                documented: false,
            })))
        }
        Ok(Err(error)) => Err(transport(client, describe(&error))),
    }
}

/// tungstenite's own words, without the URL (it may hold an api_key).
fn describe(error: &WsError) -> String {
    match error {
        WsError::Io(e) => format!("I/O: {e}"),
        WsError::Tls(e) => format!("TLS: {e}"),
        WsError::Url(_) => "the URL cannot be used for a WebSocket".to_owned(),
        WsError::Protocol(e) => format!("WebSocket protocol: {e}"),
        other => other.to_string(),
    }
}

fn transport(client: &Client, message: String) -> Error {
    Error::Transport {
        operation: OPERATION.to_owned(),
        message: client.redact(&message),
        // Connecting or accepting: no request was written.
        sent: false,
        source: None,
    }
}

/// Refusals that retrying cannot fix: bad credentials, a read-only user, a bad request.
pub(crate) fn is_permanent(error: &Error) -> bool {
    matches!(error.status(), Some(400 | 401 | 403 | 404 | 405))
        || matches!(error, Error::InvalidArgument { .. })
}

pub(crate) use tungstenite::Message as Frame;
