//! The cluster's [`Relay`]: requests go over NATS to the node that has the resource (or to
//! any node that runs the application, for creates and whole-system questions), events come
//! from the instance's hub.

use std::sync::Arc;

use ari_sdk::relay::{Feed, Relay, RelayAnswer, RelayFuture, RelayRequest};
use async_nats::HeaderMap;
use async_nats::client::RequestErrorKind;
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::hub::Hub;
use super::route;
use crate::creates;
use crate::protocol::{headers, subject};

/// Bytes of a query value sent as they are (RFC 3986's unreserved characters).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Where a relay sends what it does not know the node of.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    /// The whole cluster: known resources to their node, the rest to any node.
    Cluster,
    /// Everything to this node.
    Node(String),
}

pub(crate) struct ClusterRelay {
    pub(crate) hub: Arc<Hub>,
    pub(crate) apps: Vec<String>,
    pub(crate) scope: Scope,
    /// The NATS server, without credentials, for `Debug`.
    pub(crate) server: String,
}

impl ClusterRelay {
    /// The subject a request goes to.
    fn route(&self, path: &str, query: &[(String, String)]) -> String {
        if let Scope::Node(node) = &self.scope {
            return subject::command(node);
        }
        if let Some((kind, id)) = route::addressed(path) {
            if let Some(node) = self.hub.node_of(kind, &id) {
                return subject::command(&node);
            }
        }
        // A create (or a resource this instance has not seen): any node running the
        // application the request names, or the instance's first.
        let app = query
            .iter()
            .find(|(name, _)| name == "app")
            .map(|(_, app)| app.as_str())
            .filter(|app| self.apps.iter().any(|a| a == app))
            .unwrap_or_else(|| self.apps.first().map(String::as_str).unwrap_or_default());
        subject::create(app)
    }

    async fn send_request(&self, request: RelayRequest<'_>) -> ari_sdk::Result<RelayAnswer> {
        let mut query = request.query;
        let names = query.iter().map(|(name, _)| name.as_str());
        if let Some(parameter) = creates::id_to_choose(request.method, request.path, names) {
            query.push((parameter.to_owned(), route::new_id()));
        }
        let target = self.route(request.path, &query);
        let mut header_map = HeaderMap::new();
        header_map.insert(headers::METHOD, request.method);
        header_map.insert(headers::PATH, request.path);
        let encoded_query = encode_query(&query);
        if !query.is_empty() {
            header_map.insert(headers::QUERY, encoded_query.as_str());
        }
        header_map.insert(headers::INSTANCE, self.hub.instance.as_str());
        if request.binary {
            header_map.insert(headers::BINARY, "true");
        }
        let payload = match request.body {
            Some(body) => Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
            None => Bytes::new(),
        };
        let nats_request = async_nats::Request::new()
            .headers(header_map)
            .payload(payload)
            .timeout(Some(request.timeout));
        let reply = self
            .hub
            .nats
            .send_request(target.clone(), nats_request)
            .await
            .map_err(|error| match error.kind() {
                RequestErrorKind::TimedOut => ari_sdk::Error::Timeout {
                    operation: request.operation.to_owned(),
                    timeout: request.timeout,
                },
                RequestErrorKind::NoResponders => transport_error(
                    request.operation,
                    format!("no proxy serves {target} (no responders)"),
                    false,
                ),
                _ => transport_error(
                    request.operation,
                    format!("NATS request on {target} failed: {error}"),
                    true,
                ),
            })?;
        let reply_headers = reply.headers.unwrap_or_default();
        let header = |name: &str| {
            reply_headers
                .get(name)
                .map(|value| value.as_str().to_owned())
        };
        if let Some(failure) = header(headers::FAILURE) {
            let reason = header(headers::REASON).unwrap_or_else(|| failure.clone());
            return Err(transport_error(
                request.operation,
                format!("the proxy on {target} failed it ({failure}): {reason}"),
                failure == "sent",
            ));
        }
        let status = header(headers::STATUS)
            .and_then(|status| status.parse::<u16>().ok())
            .ok_or_else(|| {
                transport_error(
                    request.operation,
                    format!("the answer on {target} has no {} header", headers::STATUS),
                    true,
                )
            })?;
        if let (Some(node), true) = (header(headers::NODE), (200..300).contains(&status)) {
            let made = creates::created_by(request.method, request.path, Some(&encoded_query));
            for (kind, id) in made {
                self.hub.learn_node(kind, &id, &node);
            }
        }
        Ok(RelayAnswer {
            status,
            location: header(headers::LOCATION),
            body: reply.payload,
        })
    }
}

fn encode_query(query: &[(String, String)]) -> String {
    let mut encoded = String::new();
    for (name, value) in query {
        if !encoded.is_empty() {
            encoded.push('&');
        }
        encoded.extend(utf8_percent_encode(name, QUERY_VALUE));
        encoded.push('=');
        encoded.extend(utf8_percent_encode(value, QUERY_VALUE));
    }
    encoded
}

fn transport_error(operation: &str, message: String, sent: bool) -> ari_sdk::Error {
    ari_sdk::Error::Transport {
        operation: operation.to_owned(),
        message,
        sent,
        source: None,
    }
}

impl Relay for ClusterRelay {
    fn send<'a>(&'a self, request: RelayRequest<'a>) -> RelayFuture<'a, RelayAnswer> {
        Box::pin(self.send_request(request))
    }

    fn events<'a>(&'a self, apps: &'a [String], _subscribe_all: bool) -> RelayFuture<'a, Feed> {
        Box::pin(async move {
            if *self.hub.fenced.borrow() {
                return Err(ari_sdk::Error::InvalidArgument {
                    operation: "events.eventWebsocket".to_owned(),
                    argument: "cluster".to_owned(),
                    reason: format!(
                        "instance {} was taken over by another (it missed its heartbeats); start a new one",
                        self.hub.instance
                    ),
                });
            }
            if let Some(app) = apps.iter().find(|app| !self.apps.contains(app)) {
                return Err(ari_sdk::Error::InvalidArgument {
                    operation: "events.eventWebsocket".to_owned(),
                    argument: "app".to_owned(),
                    reason: format!(
                        "this cluster instance was built for {:?}, not `{app}`: list it in Cluster::builder",
                        self.apps
                    ),
                });
            }
            Ok(self.hub.open_feed(apps))
        })
    }

    fn describe(&self) -> String {
        match &self.scope {
            Scope::Cluster => format!("cluster at {} as {}", self.server, self.hub.instance),
            Scope::Node(node) => format!(
                "node {node} of the cluster at {} as {}",
                self.server, self.hub.instance
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_percent_encoded() {
        let query = vec![
            ("endpoint".to_owned(), "PJSIP/100".to_owned()),
            ("app".to_owned(), "a b".to_owned()),
        ];
        assert_eq!(encode_query(&query), "endpoint=PJSIP%2F100&app=a%20b");
    }
}
