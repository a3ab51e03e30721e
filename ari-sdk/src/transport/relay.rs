//! Carriers from outside the SDK: a [`Relay`] carries a client's requests and events some
//! other way than Asterisk's own HTTP and WebSocket (a message bus between many Asterisk
//! servers and many application instances, say: the `ari-cluster` crate's cluster client is
//! one). The client on top is the same [`Client`]: every generated operation, handles, wait
//! helpers, `client.events(..)` and `client.calls(..)` work unchanged.
//!
//! A relay answers two things: one request at a time ([`Relay::send`]), and an event feed
//! for a list of applications ([`Relay::events`]): text frames exactly as Asterisk's event
//! WebSocket sends them, in order. When a feed ends, the event stream reports
//! `Disconnected` and asks the relay for a new feed, with backoff, like a WebSocket.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::{Answer, Carrier, Request};
use crate::client::Settings;
use crate::{Client, Result};

/// A future a relay returns.
pub type RelayFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// Carries a client's requests and events; see the [module](self).
///
/// Errors are the SDK's own: [`Error::Transport`](crate::Error::Transport) with `sent: false`
/// for a request that certainly did not run, `sent: true` or
/// [`Error::Timeout`](crate::Error::Timeout) for one that may have.
pub trait Relay: Send + Sync + 'static {
    /// Carries one request and returns Asterisk's answer (any status).
    fn send<'a>(&'a self, request: RelayRequest<'a>) -> RelayFuture<'a, RelayAnswer>;

    /// Opens an event feed for `apps` (and every event of the system with `subscribe_all`).
    fn events<'a>(&'a self, apps: &'a [String], subscribe_all: bool) -> RelayFuture<'a, Feed>;

    /// How `Debug` output and logs name what the relay reaches, without credentials.
    fn describe(&self) -> String;
}

/// One request for a relay to carry.
#[derive(Debug)]
#[non_exhaustive]
pub struct RelayRequest<'a> {
    /// How errors and logs name it, e.g. `channels.originate`.
    pub operation: &'a str,
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: &'static str,
    /// Under the ARI root, leading slash, segments percent-encoded: `/channels/abc/answer`.
    pub path: &'a str,
    /// Query parameters, not yet encoded; lists are comma-joined already.
    pub query: Vec<(String, String)>,
    /// The JSON body, when the operation has one.
    pub body: Option<&'a serde_json::Map<String, serde_json::Value>>,
    /// How long the caller waits for the answer.
    pub timeout: Duration,
    /// The answer is a file (a stored recording's), not JSON.
    pub binary: bool,
}

/// Asterisk's answer to a relayed request.
#[derive(Debug, Clone)]
pub struct RelayAnswer {
    /// The HTTP status Asterisk answered with.
    pub status: u16,
    /// Its `Location` header, when it sent one.
    pub location: Option<String>,
    /// The body as Asterisk sent it.
    pub body: Bytes,
}

/// What a feed carries.
#[derive(Debug)]
pub enum FeedItem {
    /// One event frame, as Asterisk's WebSocket sends it.
    Frame(String),
    /// The feed broke; the stream reports `Disconnected` with this reason and reconnects.
    Lost(String),
}

/// An event feed: frames in order, until the sending side is dropped or sends
/// [`FeedItem::Lost`].
#[derive(Debug)]
pub struct Feed {
    pub(crate) items: mpsc::Receiver<FeedItem>,
}

impl Feed {
    /// A feed and the sender that fills it; `capacity` frames wait for the event stream
    /// before `send` waits (back-pressure on the relay, not loss).
    pub fn channel(capacity: usize) -> (mpsc::Sender<FeedItem>, Feed) {
        let (sender, items) = mpsc::channel(capacity.max(1));
        (sender, Feed { items })
    }
}

/// What a relayed client keeps of its relay.
pub(crate) struct Relayed {
    pub(crate) relay: Arc<dyn Relay>,
}

impl Relayed {
    pub(crate) async fn send(&self, request: &Request<'_>) -> Result<Answer> {
        let relay_request = RelayRequest {
            operation: request.operation,
            method: request.method.as_str(),
            path: request.path,
            query: request
                .query
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect(),
            body: request.body,
            timeout: request.timeout,
            binary: request.binary,
        };
        let answer = self.relay.send(relay_request).await?;
        Ok(Answer {
            status: answer.status,
            location: answer.location,
            body: answer.body.into(),
        })
    }
}

impl fmt::Debug for Relayed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.relay.describe())
    }
}

impl Client {
    /// A client whose requests and events a [`Relay`] carries. `timeout` bounds each
    /// request, as [`ClientBuilder::timeout`](crate::ClientBuilder::timeout) does;
    /// `resource_buffer` is each per-resource stream's capacity
    /// ([`DEFAULT_RESOURCE_BUFFER`](crate::DEFAULT_RESOURCE_BUFFER) is the usual choice).
    pub fn over_relay(relay: Arc<dyn Relay>, timeout: Duration, resource_buffer: usize) -> Client {
        let settings = Settings {
            auth: None,
            timeout,
            connect_timeout: timeout,
            refuse_unsupported: false,
            accept_invalid_certificates: false,
            resource_buffer: resource_buffer.max(1),
        };
        Client::new(Carrier::Relay(Relayed { relay }), settings)
    }

    /// A client whose requests `relay` carries and whose per-resource streams, waits and
    /// calls are this client's: what this client's event connections deliver, the new one
    /// sees (say, a relay that sends every request to one server of several, beside the
    /// client that holds the event connections). Open event connections on this client,
    /// not on the new one.
    pub fn with_relay(&self, relay: Arc<dyn Relay>) -> Client {
        let inner = &self.inner;
        let settings = Settings {
            auth: None,
            timeout: inner.timeout,
            connect_timeout: inner.connect_timeout,
            refuse_unsupported: inner.refuse_unsupported,
            accept_invalid_certificates: inner.accept_invalid_certificates,
            resource_buffer: 1,
        };
        Client::with_registries(
            Carrier::Relay(Relayed { relay }),
            settings,
            inner.registries.clone(),
        )
    }
}
