//! One request: built by generated code, sent by [`Call::send_full`], which hands it to
//! the client's carrier ([`crate::transport`]) and turns the answer into a value or error.

use std::borrow::Cow;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::encode::encode_segment;
use super::{Body, Method, OperationInfo, Seg};
use crate::error::{Error, Result, StatusError, quote_body};
use crate::event_stream::ResourceEvents;
use crate::transport::Request;
use crate::{Client, Response};

/// The future of a request builder.
pub type Pending<T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

/// Turns a success body into the operation's value: (operation name, body).
pub type Decoder<T> = fn(&str, Body) -> Result<T>;

/// A request being built.
pub struct Call<T> {
    client: Client,
    operation: Cow<'static, str>,
    method: Method,
    documented_errors: &'static [u16],
    /// The operation's `since` list (empty for raw requests).
    since: &'static [&'static str],
    path: String,
    query: Vec<(Cow<'static, str>, String)>,
    body: Option<serde_json::Map<String, serde_json::Value>>,
    /// The first bad argument; reported when sent, before any I/O.
    invalid: Option<Error>,
    decode: Decoder<T>,
    /// The id of the resource this call creates, for [`Call::send_watched`].
    watch: Option<crate::watch::WatchId>,
    /// The id of the channel or bridge that media of this call plays to or records.
    watch_target: Option<String>,
    /// Overrides the client's timeout for this request.
    timeout: Option<Duration>,
    /// The answer is a file (`binary`): over HTTP whenever the client has an HTTP side.
    binary: bool,
    /// A parameter of the operation is the whole body ([`super::BodyShape::Whole`]).
    whole_body: bool,
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Call<T> {
    /// A call of a generated operation.
    pub fn new(
        client: &Client,
        op: &'static OperationInfo,
        segments: &[Seg<'_>],
        decode: Decoder<T>,
    ) -> Self {
        let mut call = Call {
            client: client.clone(),
            operation: Cow::Borrowed(op.name),
            method: op.method,
            documented_errors: op.error_statuses,
            since: op.since,
            path: String::new(),
            query: Vec::new(),
            body: None,
            invalid: None,
            decode,
            watch: None,
            watch_target: None,
            timeout: None,
            binary: op.response == "binary",
            whole_body: op
                .params
                .iter()
                .any(|p| p.body_shape == super::BodyShape::Whole),
        };
        for segment in segments {
            call.path.push('/');
            match segment {
                Seg::Lit(text) => call.path.push_str(text),
                Seg::Id(name, value) => match encode_segment(value) {
                    Ok(encoded) => call.path.push_str(&encoded),
                    Err(reason) => call.reject(name, reason.to_owned()),
                },
            }
        }
        call
    }

    /// A call of [`crate::Raw`]: the path is split on `/` and each segment encoded.
    pub(crate) fn raw(client: &Client, method: Method, path: &str, decode: Decoder<T>) -> Self {
        let mut call = Call {
            client: client.clone(),
            operation: Cow::Owned(format!(
                "raw {} {}",
                method.as_str(),
                path.chars().take(200).collect::<String>()
            )),
            method,
            documented_errors: &[],
            since: &[],
            path: String::new(),
            query: Vec::new(),
            body: None,
            invalid: None,
            decode,
            watch: None,
            watch_target: None,
            timeout: None,
            // Raw requests decode JSON: never a file.
            binary: false,
            whole_body: false,
        };
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            call.path.push('/');
            match encode_segment(segment) {
                Ok(encoded) => call.path.push_str(&encoded),
                Err(reason) => call.reject("path", reason.to_owned()),
            }
        }
        call
    }

    /// A call of an operation from the table with its path parameters given by name
    /// ([`crate::Raw::operation`]): a missing one is reported when sent.
    pub(crate) fn for_operation(
        client: &Client,
        op: &'static OperationInfo,
        path_values: &[(&str, &str)],
        decode: Decoder<T>,
    ) -> Self {
        let mut segments = Vec::new();
        let mut missing = None;
        for segment in op.path.split('/').filter(|s| !s.is_empty()) {
            let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                segments.push(Seg::Lit(segment));
                continue;
            };
            let name = op
                .params
                .iter()
                .map(|p| p.name)
                .find(|p| *p == name)
                .unwrap_or("path");
            match path_values.iter().find(|(given, _)| *given == name) {
                Some((_, value)) => segments.push(Seg::Id(name, value)),
                None => {
                    missing.get_or_insert(name);
                    segments.push(Seg::Lit(segment));
                }
            }
        }
        let mut call = Call::new(client, op, &segments, decode);
        if let Some(name) = missing {
            call.reject(name, "required path parameter not given".to_owned());
        }
        call
    }

    /// The same call with another decoder for its answer.
    pub(crate) fn with_decoder<U>(self, decode: Decoder<U>) -> Call<U> {
        Call {
            client: self.client,
            operation: self.operation,
            method: self.method,
            documented_errors: self.documented_errors,
            since: self.since,
            path: self.path,
            query: self.query,
            body: self.body,
            invalid: self.invalid,
            decode,
            watch: self.watch,
            watch_target: self.watch_target,
            timeout: self.timeout,
            binary: self.binary,
            whole_body: self.whole_body,
        }
    }

    fn reject(&mut self, argument: &str, reason: String) {
        if self.invalid.is_none() {
            self.invalid = Some(Error::InvalidArgument {
                operation: self.operation.to_string(),
                argument: argument.to_owned(),
                reason,
            });
        }
    }

    /// Time allowed for this request alone, instead of the client's timeout.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = Some(timeout);
    }

    pub fn query(&mut self, name: &'static str, value: impl super::QueryValue) {
        self.query.push((Cow::Borrowed(name), value.to_query()));
    }

    pub(crate) fn query_owned(&mut self, name: &str, value: String) {
        self.query.push((Cow::Owned(name.to_owned()), value));
    }

    /// `allowMultiple`: one comma-joined value; an empty list sends nothing.
    pub fn query_list<V: super::QueryValue>(
        &mut self,
        name: &'static str,
        values: impl IntoIterator<Item = V>,
    ) {
        let joined: Vec<String> = values.into_iter().map(|v| v.to_query()).collect();
        if !joined.is_empty() {
            self.query.push((Cow::Borrowed(name), joined.join(",")));
        }
    }

    /// A structured value in the query string, as JSON text.
    pub fn query_json(&mut self, name: &'static str, value: impl serde::Serialize) {
        match serde_json::to_string(&value) {
            Ok(text) => self.query.push((Cow::Borrowed(name), text)),
            Err(e) => self.reject(name, e.to_string()),
        }
    }

    /// A string map in the query string, as JSON text.
    pub fn query_map(
        &mut self,
        name: &'static str,
        entries: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) {
        let map: serde_json::Map<String, serde_json::Value> = entries
            .into_iter()
            .map(|(k, v)| (k.into(), serde_json::Value::String(v.into())))
            .collect();
        self.query_json(name, map);
    }

    /// A member of the JSON body object.
    pub fn body(&mut self, name: &'static str, value: impl serde::Serialize) {
        match serde_json::to_value(&value) {
            Ok(value) => self.body_owned(name, value),
            Err(e) => self.reject(name, e.to_string()),
        }
    }

    pub(crate) fn body_owned(&mut self, name: &str, value: serde_json::Value) {
        self.body
            .get_or_insert_with(Default::default)
            .insert(name.to_owned(), value);
    }

    /// A string map in the body: `variables` -> `{"variables": {"k": "v"}}`.
    pub fn body_map(
        &mut self,
        name: &'static str,
        entries: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) {
        let map: serde_json::Map<String, serde_json::Value> = entries
            .into_iter()
            .map(|(k, v)| (k.into(), serde_json::Value::String(v.into())))
            .collect();
        self.body_owned(name, serde_json::Value::Object(map));
    }

    /// A parameter whose value is the body itself (`applications.filter`): its members
    /// become the body's. Anything but a JSON object is rejected before sending.
    pub fn body_whole(&mut self, name: &'static str, value: impl serde::Serialize) {
        match serde_json::to_value(&value) {
            Ok(serde_json::Value::Object(members)) => {
                let body = self.body.get_or_insert_with(Default::default);
                body.extend(members);
            }
            Ok(other) => self.reject(
                name,
                format!(
                    "must be a JSON object (Asterisk reads it as the whole body), not `{}`",
                    other.to_string().chars().take(80).collect::<String>()
                ),
            ),
            Err(e) => self.reject(name, e.to_string()),
        }
    }

    /// A string map whose entries are the body's own members (`bridges.create`'s
    /// `variables`, as Asterisk reads them).
    pub fn body_map_whole(
        &mut self,
        entries: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) {
        let body = self.body.get_or_insert_with(Default::default);
        for (k, v) in entries {
            body.insert(k.into(), serde_json::Value::String(v.into()));
        }
    }

    /// A string map sent as a list of pairs: `fields` ->
    /// `{"fields": [{"attribute": "k", "value": "v"}]}`.
    pub fn body_attribute_list(
        &mut self,
        name: &'static str,
        entries: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) {
        let pairs: Vec<serde_json::Value> = entries
            .into_iter()
            .map(|(k, v)| {
                let mut pair = serde_json::Map::new();
                pair.insert("attribute".to_owned(), serde_json::Value::String(k.into()));
                pair.insert("value".to_owned(), serde_json::Value::String(v.into()));
                serde_json::Value::Object(pair)
            })
            .collect();
        self.body_owned(name, serde_json::Value::Array(pairs));
    }

    /// Rejects a number outside the spec's range before sending.
    pub fn check_range(
        &mut self,
        name: &'static str,
        value: f64,
        min: Option<f64>,
        max: Option<f64>,
    ) {
        if min.is_some_and(|min| value < min) || max.is_some_and(|max| value > max) {
            let bound = |b: Option<f64>| b.map_or("unbounded".to_owned(), |b| b.to_string());
            self.reject(
                name,
                format!(
                    "{value} is outside the allowed range {} to {}",
                    bound(min),
                    bound(max)
                ),
            );
        }
    }

    /// Rejects media URIs without a scheme Asterisk plays (see [`super::MEDIA_SCHEMES`]).
    pub fn check_media(&mut self, name: &'static str, values: &[String]) {
        if let Some(reason) = super::media::media_problem(values) {
            self.reject(name, reason);
        }
    }

    /// Names where the id of the created resource comes from.
    pub fn watch(&mut self, id: crate::watch::WatchId) {
        self.watch = Some(id);
    }

    /// Names the channel or bridge the created media belongs to.
    pub fn watch_target(&mut self, id: String) {
        self.watch_target = Some(id);
    }

    /// Subscribes to the created resource's events (when an event connection is open),
    /// then sends: the events that follow the answer cannot be missed.
    /// `kind` is the created resource's kind, `target` the kind of the resource named by
    /// [`watch_target`](Self::watch_target).
    pub async fn send_watched<K: super::LineKind>(
        mut self,
        kind: K,
        target: Option<K>,
    ) -> Result<crate::watch::Watched<T, K::Event>> {
        use crate::watch::WatchId;
        let id = match self.watch.take() {
            Some(WatchId::Path(id)) => id,
            Some(WatchId::Query(name)) => match self.query.iter().find(|(k, _)| k == name) {
                Some((_, value)) => value.clone(),
                // Without an event connection there is nothing to subscribe, and the
                // request goes out exactly as the caller built it.
                None if !self.client.inner.registries.of::<K::Event>().is_connected() => {
                    String::new()
                }
                None => {
                    let id = crate::watch::new_id();
                    self.query.push((Cow::Borrowed(name), id.clone()));
                    id
                }
            },
            None => String::new(),
        };
        let events = ResourceEvents::subscribe_claiming(&self.client, kind, id.clone());
        let target = match (target, self.watch_target.take()) {
            (Some(target), Some(id)) => Some(ResourceEvents::subscribe(&self.client, target, id)),
            _ => None,
        };
        let client = self.client.clone();
        let value = self.send().await?;
        Ok(crate::watch::Watched::new(
            value, client, kind, id, events, target,
        ))
    }

    /// Sends and decodes.
    pub async fn send(self) -> Result<T> {
        self.send_full().await.map(|r| r.value)
    }

    /// Sends and decodes, keeping the status and `Location` header.
    pub async fn send_full(self) -> Result<Response<T>> {
        if let Some(error) = self.invalid {
            return Err(error);
        }
        if self.client.inner.refuse_unsupported && !self.since.is_empty() {
            let version = self.client.server_version().await?;
            if !crate::supports(self.since, version) {
                return Err(Error::Unsupported {
                    operation: self.operation.to_string(),
                    server_version: version.to_string(),
                    since: self.since.iter().map(|s| s.to_string()).collect(),
                });
            }
        }
        let span = tracing::debug_span!(
            "ari.request",
            operation = %self.operation,
            method = self.method.as_str(),
            path = %self.path,
        );
        async move {
            let started = Instant::now();
            let request = Request {
                operation: &self.operation,
                method: self.method,
                path: &self.path,
                query: &self.query,
                body: self.body.as_ref(),
                timeout: self.timeout.unwrap_or(self.client.inner.timeout),
                binary: self.binary,
                whole_body: self.whole_body,
            };
            let answer = self.client.send(&request).await;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            let answer = match answer {
                Ok(answer) => answer,
                Err(error) => {
                    tracing::debug!(elapsed_ms, error = %error, "request failed");
                    return Err(error);
                }
            };
            tracing::debug!(status = answer.status, elapsed_ms, "response");
            if !(200..300).contains(&answer.status) {
                return Err(status_error(
                    &self.operation,
                    self.method,
                    &self.path,
                    answer.status,
                    &answer.body.to_bytes(),
                    self.documented_errors,
                ));
            }
            let value = (self.decode)(&self.operation, answer.body)?;
            Ok(Response {
                value,
                status: answer.status,
                location: answer.location,
            })
        }
        .instrument(span)
        .await
    }
}

impl<T: Send + 'static> IntoFuture for Call<T> {
    type Output = Result<T>;
    type IntoFuture = Pending<T>;
    fn into_future(self) -> Pending<T> {
        Box::pin(self.send())
    }
}

fn status_error(
    operation: &str,
    method: Method,
    path: &str,
    status: u16,
    body: &[u8],
    documented: &[u16],
) -> Error {
    // Asterisk says why in `message`; some 500s use `error` instead; a few answers
    // (406 over the WebSocket) are a line of plain text.
    let message = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => ["message", "error"]
            .iter()
            .find_map(|k| v.get(k).and_then(|m| m.as_str()).map(str::to_owned)),
        Err(_) => plain_text_reason(body),
    };
    Error::Status(Box::new(StatusError {
        operation: operation.to_owned(),
        method: method.as_str().to_owned(),
        path: path.to_owned(),
        status,
        message,
        body: quote_body(body),
        documented: documented.contains(&status),
    }))
}

/// A short plain-text body (not HTML, one line) as the reason of an error status.
fn plain_text_reason(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let plain = !text.is_empty() && text.len() <= 200 && !text.contains(['<', '\n']);
    plain.then(|| text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// JSON body -> `T`, naming the JSON path of a mismatch.
pub fn decode_json<T: DeserializeOwned>(operation: &str, body: Body) -> Result<T> {
    // Path tracking costs on every body; only a failed decode pays for it, in a second pass.
    if let Ok(value) = body.decode() {
        return Ok(value);
    }
    let body = body.to_bytes();
    let fail = |path: String, reason: String| Error::Decode {
        operation: operation.to_owned(),
        path: if path == "." { String::new() } else { path },
        reason,
        body: quote_body(&body),
    };
    let mut de = serde_json::Deserializer::from_slice(&body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        fail(path, e.into_inner().to_string())
    })?;
    de.end().map_err(|e| fail(String::new(), e.to_string()))?;
    Ok(value)
}

/// Like [`decode_json`], but an empty body is `null` (raw requests answered `204`).
pub fn decode_json_or_null(operation: &str, body: Body) -> Result<serde_json::Value> {
    if body.is_empty() || body.to_bytes().iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Null);
    }
    decode_json(operation, body)
}

/// `void` operations: whatever the body, there is no value.
pub fn decode_void(_operation: &str, _body: Body) -> Result<()> {
    Ok(())
}

/// `binary` operations (a recording's file): the bytes as received.
pub fn decode_binary(_operation: &str, body: Body) -> Result<Bytes> {
    Ok(body.to_bytes())
}
