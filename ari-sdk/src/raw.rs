//! The escape hatch: any path under `/ari`, JSON in and out, same auth and errors.

use std::future::IntoFuture;

use crate::runtime::{
    Bytes, Call, Method, OperationInfo, Pending, decode_binary, decode_json_or_null,
};
use crate::{Client, Result};

/// Requests the generated API does not (yet) describe, e.g. an operation a newer
/// Asterisk has: `client.raw().get("channels").await?`.
#[derive(Debug, Clone)]
pub struct Raw {
    client: Client,
}

impl Client {
    /// Untyped requests; see [`Raw`].
    pub fn raw(&self) -> Raw {
        Raw {
            client: self.clone(),
        }
    }
}

impl Raw {
    /// `path` is relative to the ARI root (`channels/123/answer`); each `/`-separated
    /// segment is percent-encoded, so put parameters in [`RawRequest::query`], not the path.
    pub fn get(&self, path: &str) -> RawRequest {
        self.request(Method::Get, path)
    }
    /// A `POST` to `path` (see [`get`](Self::get)).
    pub fn post(&self, path: &str) -> RawRequest {
        self.request(Method::Post, path)
    }
    /// A `PUT` to `path` (see [`get`](Self::get)).
    pub fn put(&self, path: &str) -> RawRequest {
        self.request(Method::Put, path)
    }
    /// A `DELETE` of `path` (see [`get`](Self::get)).
    pub fn delete(&self, path: &str) -> RawRequest {
        self.request(Method::Delete, path)
    }
    /// A request with any method to `path` (see [`get`](Self::get)).
    pub fn request(&self, method: Method, path: &str) -> RawRequest {
        RawRequest {
            call: Call::raw(&self.client, method, path, decode_json_or_null),
        }
    }

    /// A request of an operation from the table ([`crate::operations::OPERATIONS`]),
    /// for tools that choose the operation at run time: the path is the operation's with
    /// `path_values` (`("channelId", "123")`) in place of its parameters, and errors name
    /// the operation and know its documented statuses, as a typed call's do. Add the
    /// other parameters with [`RawRequest::query`] and [`RawRequest::body_field`].
    pub fn operation(
        &self,
        operation: &'static OperationInfo,
        path_values: &[(&str, &str)],
    ) -> RawRequest {
        RawRequest {
            call: Call::for_operation(&self.client, operation, path_values, decode_json_or_null),
        }
    }
}

/// An untyped request; `.await` gives the JSON answer (`Null` for an empty body).
#[must_use = "a request builder does nothing until it is awaited"]
#[derive(Debug)]
pub struct RawRequest {
    call: Call<serde_json::Value>,
}

impl RawRequest {
    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.call.query_owned(name, value.into());
        self
    }
    /// Adds a member to the JSON body object.
    pub fn body_field(mut self, name: &str, value: serde_json::Value) -> Self {
        self.call.body_owned(name, value);
        self
    }
    /// Time allowed for this request alone, instead of the client's timeout.
    pub fn request_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.call.set_timeout(timeout);
        self
    }
    /// Sends the request; the same as `.await`: the answer's JSON, or the error with
    /// Asterisk's status and message.
    pub async fn send(self) -> Result<serde_json::Value> {
        self.call.send().await
    }
    /// Sends the request and returns the JSON with the status and `Location` header.
    pub async fn send_full(self) -> Result<crate::Response<serde_json::Value>> {
        self.call.send_full().await
    }
    /// Sends the request and returns the answer's bytes as received, for answers that
    /// are not JSON (a recording's file from `recordings.getStoredFile`).
    pub async fn send_bytes(self) -> Result<Bytes> {
        self.call.with_decoder(decode_binary).send().await
    }
}

impl IntoFuture for RawRequest {
    type Output = Result<serde_json::Value>;
    type IntoFuture = Pending<serde_json::Value>;
    fn into_future(self) -> Self::IntoFuture {
        self.call.into_future()
    }
}
