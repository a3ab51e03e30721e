//! Requests over HTTP: one request per operation on a pooled connection, at most
//! `max_connections` at once, sent again when it provably never left.

use std::borrow::Cow;
use std::time::Instant;

use super::http1::{Direct, Failure};
use super::{Answer, Request};
use crate::client::{Auth, ClientBuilder};
use crate::error::{Error, Result};
use crate::runtime::encode_query;

/// A client's HTTP side.
pub(crate) struct Http {
    client: reqwest::Client,
    /// The ARI root without a trailing slash, e.g. `http://127.0.0.1:8088/ari`.
    base: url::Url,
    /// One permit per HTTP connection the client may use at once: a request holds one
    /// from sending to the end of its answer, others queue.
    connections: tokio::sync::Semaphore,
    max_connections: usize,
    /// HTTP/1.1 done by the requesting task, for plain `http://` without a proxy.
    direct: Option<Direct>,
}

impl Http {
    /// The HTTP side the builder describes: its base URL checked, its pool set up.
    pub(crate) fn new(builder: &ClientBuilder) -> Result<Http> {
        let invalid = |reason: String| Error::InvalidArgument {
            operation: "Client::builder".to_owned(),
            argument: "base_url".to_owned(),
            reason,
        };
        let base = ari_root(&builder.base_url).map_err(invalid)?;
        let client = reqwest::Client::builder()
            .timeout(builder.timeout)
            .connect_timeout(builder.connect_timeout)
            .pool_max_idle_per_host(builder.max_connections)
            .pool_idle_timeout(builder.idle_timeout)
            .user_agent(builder.user_agent.as_str())
            .danger_accept_invalid_certs(builder.accept_invalid_certs)
            .build()
            .map_err(|e| invalid(format!("cannot set up HTTP: {}", e.without_url())))?;
        let direct = Direct::for_base(
            &base,
            &builder.user_agent,
            builder.connect_timeout,
            builder.idle_timeout,
            builder.max_connections,
        );
        Ok(Http {
            client,
            base,
            connections: tokio::sync::Semaphore::new(builder.max_connections),
            max_connections: builder.max_connections,
            direct,
        })
    }

    /// The ARI root.
    pub(crate) fn base(&self) -> &url::Url {
        &self.base
    }

    /// The URL path of `rel` (`/channels`, `/events`) under the ARI root. A base URL
    /// without a path has the path `/`, which must not double the slash.
    pub(crate) fn path_of(&self, rel: &str) -> String {
        format!("{}{rel}", self.base.path().trim_end_matches('/'))
    }

    /// The URL of `rel` under the ARI root, without a query.
    pub(crate) fn url_of(&self, rel: &str) -> url::Url {
        let mut url = self.base.clone();
        url.set_path(&self.path_of(rel));
        url
    }

    /// Sends one request; an answer that cannot be ARI's is an error (see [`Http::not_ari`]).
    pub(crate) async fn send(&self, auth: Option<&Auth>, request: &Request<'_>) -> Result<Answer> {
        let Request {
            operation,
            path,
            query,
            timeout,
            ..
        } = *request;
        let mut url = self.url_of(path);
        let mut pairs: Vec<(&str, Cow<'_, str>)> = query
            .iter()
            .map(|(k, v)| (k.as_ref(), Cow::Borrowed(v.as_str())))
            .collect();
        if let Some(Auth::ApiKey { user, password }) = auth {
            pairs.push(("api_key", Cow::Owned(format!("{user}:{password}"))));
        }
        if !pairs.is_empty() {
            let text: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}={}", encode_query(k), encode_query(v)))
                .collect();
            url.set_query(Some(&text.join("&")));
        }
        let deadline = Instant::now() + timeout;
        let timed_out = || Error::Timeout {
            operation: operation.to_owned(),
            timeout,
        };
        let transport = |e: reqwest::Error, sent: bool| -> Error {
            if e.is_timeout() {
                return timed_out();
            }
            // Without the URL: it may hold an api_key.
            let e = e.without_url();
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(": ");
                message.push_str(&s.to_string());
                source = s.source();
            }
            Error::Transport {
                operation: operation.to_owned(),
                message,
                sent,
                source: Some(Box::new(e)),
            }
        };
        // A connection of the client's own, or a wait for one (never more than allowed).
        let _connection =
            match tokio::time::timeout_at(deadline.into(), self.connections.acquire()).await {
                Ok(Ok(permit)) => permit,
                _ => {
                    return Err(Error::Transport {
                        operation: operation.to_owned(),
                        message: format!(
                            "none of the client's {} HTTP connections became free within \
                             {timeout:?} (ClientBuilder::max_connections)",
                            self.max_connections
                        ),
                        sent: false,
                        source: None,
                    });
                }
            };
        let (status, location, body) = match &self.direct {
            Some(direct) => {
                let target = &url[url::Position::BeforePath..];
                self.send_direct(direct, request, target, auth, deadline)
                    .await?
            }
            None => {
                self.send_reqwest(request, url, auth, deadline, transport, timed_out)
                    .await?
            }
        };
        if let Some(error) = self.not_ari(operation, status, &body, auth) {
            return Err(error);
        }
        Ok(Answer {
            status,
            location,
            body: body.into(),
        })
    }

    /// One request through reqwest (TLS, proxies): the status, `Location` and body.
    async fn send_reqwest(
        &self,
        request: &Request<'_>,
        url: url::Url,
        auth: Option<&Auth>,
        deadline: Instant,
        transport: impl Fn(reqwest::Error, bool) -> Error,
        timed_out: impl Fn() -> Error,
    ) -> Result<(u16, Option<String>, bytes::Bytes)> {
        let Request { method, body, .. } = *request;
        let mut retries = 0;
        let response = loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(timed_out());
            }
            let mut outgoing = self
                .client
                .request(method.to_reqwest(), url.clone())
                .timeout(remaining);
            if let Some(Auth::Basic { user, password }) = auth {
                outgoing = outgoing.basic_auth(user, Some(password));
            }
            if let Some(body) = body {
                outgoing = outgoing.json(body);
            }
            match outgoing.send().await {
                Ok(response) => break response,
                // A kept-alive connection the server had closed: the request never left, so
                // sending it again cannot run it twice.
                Err(e) if never_written(&e) && retries < NEVER_WRITTEN_RETRIES => {
                    retries += 1;
                    tracing::debug!(retries, error = %e.without_url(), "request not written; sending again");
                }
                Err(e) => {
                    let sent = !(e.is_connect() || never_written(&e));
                    return Err(transport(e, sent));
                }
            }
        };
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(|e| transport(e, true))?;
        // hyper hands the connection back to its pool from a task of its own once the answer
        // is read: give that task its turn before the next request may take this permit, so
        // the next request finds the connection idle instead of opening one more.
        for _ in 0..POOL_RETURN_YIELDS {
            tokio::task::yield_now().await;
        }
        Ok((status, location, body))
    }

    /// One request on the direct HTTP/1.1 path: the status, `Location` and body.
    async fn send_direct(
        &self,
        direct: &Direct,
        request: &Request<'_>,
        target: &str,
        auth: Option<&Auth>,
        deadline: Instant,
    ) -> Result<(u16, Option<String>, bytes::Bytes)> {
        let operation = request.operation;
        let authorization = auth.and_then(Auth::basic_header);
        let body = request.body_text()?.map(String::into_bytes);
        let failed =
            |message: String, sent: bool, source: Option<std::io::Error>| Error::Transport {
                operation: operation.to_owned(),
                message,
                sent,
                source: source.map(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
            };
        let mut retries = 0;
        loop {
            let sending = direct.send(
                request.method.as_str(),
                target,
                authorization.as_deref(),
                body.as_deref(),
            );
            match tokio::time::timeout_at(deadline.into(), sending).await {
                Err(_) => {
                    return Err(Error::Timeout {
                        operation: operation.to_owned(),
                        timeout: request.timeout,
                    });
                }
                Ok(Ok(reply)) => return Ok((reply.status, reply.location, reply.body)),
                // A kept-alive connection the server had closed: nothing left, so sending
                // again cannot run it twice.
                Ok(Err(Failure::NotWritten(e))) if retries < NEVER_WRITTEN_RETRIES => {
                    retries += 1;
                    tracing::debug!(retries, error = %e, "request not written; sending again");
                }
                Ok(Err(Failure::NotWritten(e))) => {
                    return Err(failed(
                        format!("error sending request: {e}"),
                        false,
                        Some(e),
                    ));
                }
                Ok(Err(Failure::Connect(e))) => {
                    return Err(failed(
                        format!("error sending request: client error (Connect): {e}"),
                        false,
                        Some(e),
                    ));
                }
                Ok(Err(Failure::Lost(reason))) => {
                    return Err(failed(
                        format!("error sending request: {reason}"),
                        true,
                        None,
                    ));
                }
            }
        }
    }

    /// The error for an HTTP answer that cannot have come from ARI: a 404 whose body is
    /// not ARI's JSON (Asterisk's HTTP server answers an HTML page for paths outside ARI,
    /// ARI itself a JSON object with `message`). Its likely cause is the base URL, so the
    /// error names it instead of passing for an ordinary "not found" that a caller might
    /// take for a resource already gone.
    pub(crate) fn not_ari(
        &self,
        operation: &str,
        status: u16,
        body: &[u8],
        auth: Option<&Auth>,
    ) -> Option<Error> {
        // Only a 404 can be a wrong URL: other answers are never parsed here (a success
        // body is decoded once, by its operation).
        if status != 404 {
            return None;
        }
        if serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| v.is_object()) {
            return None;
        }
        let base = self.base.as_str().trim_end_matches('/');
        let has_ari = self.base.path().trim_end_matches('/').ends_with("/ari");
        // A WebSocket refusal may arrive without its body: then only a missing `/ari` says
        // enough.
        if has_ari && body.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        // A proxy's page may echo the URL, `api_key` included.
        let redact = |text: String| auth.map_or_else(|| text.clone(), |auth| auth.redact(&text));
        let page = body_kind(body);
        if has_ari {
            // Asterisk's HTTP server answers before res_ari is loaded (while it starts)
            // and when ARI is disabled: nothing ran, and a later try may succeed.
            return Some(Error::Transport {
                operation: operation.to_owned(),
                message: redact(format!(
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
            reason: redact(format!(
                "the server answered {status} with a body that is not ARI's ({page}): the \
                 base URL `{base}` has no `/ari` path: Asterisk serves ARI under /ari (try \
                 `{base}/ari`)"
            )),
        })
    }
}

/// The ARI root a base URL names, without a trailing slash; the reason when it names none.
fn ari_root(text: &str) -> std::result::Result<url::Url, String> {
    let mut base = url::Url::parse(text.trim())
        .map_err(|e| format!("`{}` is not a URL: {e}", crate::runtime::redact_url(text)))?;
    if !matches!(base.scheme(), "http" | "https") {
        return Err(format!("scheme `{}` is not http or https", base.scheme()));
    }
    if !base.username().is_empty() || base.password().is_some() {
        return Err("credentials in the URL: use basic_auth() or api_key() instead".to_owned());
    }
    if base.query().is_some() || base.fragment().is_some() {
        return Err("the ARI root must not have a query or fragment".to_owned());
    }
    let path = base.path().trim_end_matches('/').to_owned();
    base.set_path(&path);
    Ok(base)
}

/// Turns given to hyper's pool to take a used connection back.
const POOL_RETURN_YIELDS: usize = 2;

/// How many times a request that provably never left is sent again.
const NEVER_WRITTEN_RETRIES: u32 = crate::UNSENT_REQUEST_RETRIES;

/// Whether the request failed before any of it was written: hyper cancels a request
/// whose pooled connection turned out closed before the request went out.
fn never_written(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        if let Some(hyper) = s.downcast_ref::<hyper::Error>() {
            return hyper.is_canceled();
        }
        source = s.source();
    }
    false
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ari_root_loses_its_trailing_slashes_and_nothing_else() {
        let root = ari_root(" http://host:8088/ari// ").unwrap();
        assert_eq!(root.as_str(), "http://host:8088/ari");
        assert_eq!(ari_root("https://host").unwrap().path(), "/");
    }

    #[test]
    fn a_base_url_with_credentials_query_or_other_scheme_is_refused() {
        for bad in [
            "ws://host/ari",
            "http://user:secret@host/ari",
            "http://host/ari?api_key=a:b",
            "http://host/ari#top",
            "not a url",
        ] {
            let reason = ari_root(bad).expect_err(bad);
            assert!(!reason.contains("secret"), "{reason}");
        }
    }
}
