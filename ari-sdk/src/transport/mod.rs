//! How a request travels. A client picks its [`Carrier`] once, when it is built: HTTP,
//! REST over its event WebSocket, or the connection Asterisk opened to an outbound server.
//! The request path ([`crate::runtime::Call`]) prepares a [`Request`], hands it to
//! [`Client::send`] and gets an [`Answer`] back, whatever carried it.

pub(crate) mod http;
mod http1;
pub(crate) mod outbound;
pub mod relay;
pub(crate) mod websocket;

use std::borrow::Cow;
use std::time::Duration;

use crate::runtime::{Body, Method};
use crate::{Client, Result};

/// How a [`Client`] carries its REST requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// One HTTP request per operation (every Asterisk version). The default.
    #[default]
    Http,
    /// `RESTRequest` messages on the open event connection, answered by `RESTResponse`
    /// events (Asterisk 20.14, 21.9, 22.4 and later): one socket, no HTTP handshake per
    /// request, requests and events in one ordered stream. Needs an open event connection
    /// ([`Client::events`]); requests made while it reconnects wait for it, within the
    /// request timeout.
    WebSocket,
    /// A [`relay::Relay`] from outside the SDK carries requests and events
    /// ([`Client::over_relay`]).
    Relay,
}

/// What carries a client's requests.
pub(crate) enum Carrier {
    /// Every request over HTTP.
    Http(http::Http),
    /// Requests over the client's event connection ([`websocket`]); files over HTTP.
    EventSocket(http::Http),
    /// Requests over the connection Asterisk opened; there is no HTTP side.
    Outbound(outbound::Outbound),
    /// Requests and events through a [`relay::Relay`]; there is no HTTP side.
    Relay(relay::Relayed),
}

impl Carrier {
    /// The [`Transport`] users see.
    pub(crate) fn transport(&self) -> Transport {
        match self {
            Carrier::Http(_) => Transport::Http,
            Carrier::EventSocket(_) | Carrier::Outbound(_) => Transport::WebSocket,
            Carrier::Relay(_) => Transport::Relay,
        }
    }

    /// The HTTP side, which every client has but an outbound connection's.
    pub(crate) fn http(&self) -> Option<&http::Http> {
        match self {
            Carrier::Http(http) | Carrier::EventSocket(http) => Some(http),
            Carrier::Outbound(_) | Carrier::Relay(_) => None,
        }
    }

    /// Where the outbound connection came from, for an outbound connection's client.
    pub(crate) fn outbound(&self) -> Option<&outbound::Outbound> {
        match self {
            Carrier::Outbound(outbound) => Some(outbound),
            Carrier::Http(_) | Carrier::EventSocket(_) | Carrier::Relay(_) => None,
        }
    }

    /// The relay, for a relayed client.
    pub(crate) fn relay(&self) -> Option<&relay::Relayed> {
        match self {
            Carrier::Relay(relayed) => Some(relayed),
            _ => None,
        }
    }
}

/// One request, ready to travel: path and query values not yet encoded for a carrier.
pub(crate) struct Request<'a> {
    /// How errors and logs name it, e.g. `channels.originate`.
    pub(crate) operation: &'a str,
    pub(crate) method: Method,
    /// Under the ARI root, with a leading slash and encoded segments: `/channels/abc`.
    pub(crate) path: &'a str,
    pub(crate) query: &'a [(Cow<'static, str>, String)],
    pub(crate) body: Option<&'a serde_json::Map<String, serde_json::Value>>,
    pub(crate) timeout: Duration,
    /// The answer is a file (a recording's).
    pub(crate) binary: bool,
    /// A parameter is the whole body (`applications.filter`'s `filter`): without it, HTTP
    /// sends no body and Asterisk reads none, but over the WebSocket every handler reads a
    /// missing `message_body` as JSON `null`, so the empty object is sent there instead.
    pub(crate) whole_body: bool,
}

impl Request<'_> {
    /// The JSON body's text, if the request has one.
    pub(crate) fn body_text(&self) -> Result<Option<String>> {
        self.body
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| crate::Error::InvalidArgument {
                operation: self.operation.to_owned(),
                argument: "body".to_owned(),
                reason: e.to_string(),
            })
    }
}

/// What came back for one request, whatever carried it. Only ARI's answers: an HTTP
/// answer that cannot be ARI's is an error already.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) body: Body,
}

impl Client {
    /// Sends one request with the client's carrier and waits for its answer.
    pub(crate) async fn send(&self, request: &Request<'_>) -> Result<Answer> {
        let inner = &self.inner;
        match &inner.carrier {
            Carrier::Http(http) => http.send(inner.auth.as_ref(), request).await,
            // Asterisk sends files over HTTP only; its WebSocket answers 406 "Use HTTP GET".
            Carrier::EventSocket(http) if request.binary => {
                http.send(inner.auth.as_ref(), request).await
            }
            Carrier::EventSocket(_) | Carrier::Outbound(_) => {
                websocket::send(&inner.link, request).await
            }
            Carrier::Relay(relayed) => relayed.send(request).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transport_users_see_follows_the_carrier() {
        let http = Client::builder("http://127.0.0.1:8088/ari/")
            .build()
            .unwrap();
        assert_eq!(http.transport(), Transport::Http);
        assert_eq!(http.base_url(), Some("http://127.0.0.1:8088/ari"));

        let socket = Client::builder("http://127.0.0.1:8088/ari")
            .transport(Transport::WebSocket)
            .build()
            .unwrap();
        assert_eq!(socket.transport(), Transport::WebSocket);
        // Files still need the HTTP side.
        assert!(socket.inner.carrier.http().is_some());
    }

    #[test]
    fn an_outbound_connections_client_has_no_url() {
        let peer: std::net::SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let client = outbound::client(peer, Duration::from_secs(5));
        assert_eq!(client.transport(), Transport::WebSocket);
        assert_eq!(client.base_url(), None);
        assert_eq!(client.outbound_peer(), Some(peer));
        let debug = format!("{client:?}");
        assert!(
            debug.contains("127.0.0.1:40000") && !debug.contains("base_url"),
            "{debug}"
        );
    }
}
