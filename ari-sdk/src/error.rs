//! The SDK's one error type.

use std::time::Duration;

/// Result of every SDK call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) use crate::defaults::ERROR_QUOTE_LIMIT as QUOTE_LIMIT;

/// Everything that can go wrong talking to Asterisk. Never carries credentials.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Asterisk answered with a non-success HTTP status.
    #[error(transparent)]
    Status(Box<StatusError>),
    /// The request never got an answer: connection refused or reset, TLS, DNS, ...
    /// `sent` says whether it may have reached the server: `false` when it certainly did
    /// not (the connection could not be opened, no connection became free in time, a
    /// kept-alive connection was closed before the request was written), so sending it
    /// again is safe; `true` when the connection failed after the request was written.
    #[error("{operation}: transport failure: {message}; {}", sent_text(*sent))]
    Transport {
        /// The operation, e.g. `channels.originate` (`raw` for [`Client::raw`](crate::Client::raw)).
        operation: String,
        /// What failed, as the HTTP stack says it (credentials removed).
        message: String,
        /// Whether the request may have reached Asterisk (see above).
        sent: bool,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The WebSocket carrying the request (the [`Transport::WebSocket`](crate::Transport)
    /// transport) went away before the answer came. `sent` says whether the request had
    /// been written: if it had, Asterisk may have executed it (check before retrying a
    /// request that is not idempotent); if not, it certainly did not run.
    #[error("{operation}: the WebSocket connection was lost ({reason}); {}", sent_text(*sent))]
    ConnectionLost {
        /// The operation, e.g. `channels.originate` (`raw` for [`Client::raw`](crate::Client::raw)).
        operation: String,
        /// Why the connection ended.
        reason: String,
        /// Whether the request had been written to the socket.
        sent: bool,
    },
    /// A request got no answer within its time limit (the client's, or the request's
    /// own). Asterisk may have carried it out.
    #[error("{operation}: no answer within {timeout:?}")]
    Timeout {
        /// The operation, e.g. `channels.originate` (`raw` for [`Client::raw`](crate::Client::raw)).
        operation: String,
        /// The limit that ran out.
        timeout: Duration,
    },
    /// A wait for something to happen (an event, a playback's end, a digit) ran out of
    /// time; no request is pending. Distinct from [`Error::Timeout`].
    #[error("{what}: did not happen within {timeout:?}")]
    WaitTimedOut {
        /// What was waited for, e.g. `PlaybackFinished of playback 1700000000.12`.
        what: String,
        /// The limit that ran out.
        timeout: Duration,
    },
    /// The answer arrived but does not match the expected type.
    #[error(
        "{operation}: cannot decode the response{}: {reason}; body: {body}",
        at_path(path)
    )]
    Decode {
        /// The operation, e.g. `channels.originate` (`raw` for [`Client::raw`](crate::Client::raw)).
        operation: String,
        /// Where in the JSON the mismatch is, e.g. `dialplan.priority`; empty for the root.
        path: String,
        /// What serde reported.
        reason: String,
        /// The offending body, cut to 1 KiB.
        body: String,
    },
    /// A WebSocket frame that is not a valid event.
    #[error(transparent)]
    Event(Box<EventDecodeError>),
    /// A slow consumer: this many items were dropped at this point of the stream.
    #[error("the consumer fell behind: {missed} items were dropped here")]
    Lagged {
        /// How many items were dropped.
        missed: u64,
    },
    /// A wait or a per-resource stream needs an open event connection (`client.events(..).connect()`).
    #[error("{what}: no event connection is open on this client")]
    NoEventConnection {
        /// What needed the connection.
        what: String,
    },
    /// What was waited for cannot happen any more: its resource went away.
    #[error("{what}: ended by {event}")]
    Gone {
        /// What was waited for.
        what: String,
        /// The event that ended it, e.g. `StasisEnd` or `ChannelDestroyed`.
        event: String,
    },
    /// What was waited for failed (a recording failed, an originated channel was destroyed).
    #[error("{what}: {reason}")]
    Failed {
        /// What was waited for.
        what: String,
        /// Why it failed, e.g. the hang-up cause or the media that could not be played.
        reason: String,
    },
    /// The connected Asterisk is older than the operation (only with
    /// [`ClientBuilder::refuse_unsupported_operations`](crate::ClientBuilder::refuse_unsupported_operations)).
    #[error("{operation} is not available on Asterisk {server_version} (it came with {})", since.join(", "))]
    Unsupported {
        /// The operation, e.g. `channels.originate` (`raw` for [`Client::raw`](crate::Client::raw)).
        operation: String,
        /// The connected server's version, as `GET /asterisk/info` reports it.
        server_version: String,
        /// The first version of each release line that has the operation.
        since: Vec<String>,
    },
    /// A bad argument: caught before any request was sent, or (`base_url`) a client
    /// whose base URL cannot be ARI's, as the server's answer shows.
    #[error("{operation}: invalid argument `{argument}`: {reason}")]
    InvalidArgument {
        /// The operation, e.g. `channels.originate` (`raw` for [`Client::raw`](crate::Client::raw)).
        operation: String,
        /// The parameter or setting at fault.
        argument: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn sent_text(sent: bool) -> &'static str {
    if sent {
        "the request had been sent and may have been executed"
    } else {
        "the request was never sent"
    }
}

fn at_path(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at `{path}`")
    }
}

/// A non-success HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} ({method} {path}): HTTP {status}{}{}", message_text(message), undocumented(operation, *documented))]
pub struct StatusError {
    /// e.g. `channels.answer`, or `raw` for [`crate::Client::raw`] requests.
    pub operation: String,
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The request path, without the query string.
    pub path: String,
    /// The HTTP status, e.g. `404`.
    pub status: u16,
    /// Asterisk's explanation: the `message` member of the body (or `error`, which some
    /// 500 answers use instead).
    pub message: Option<String>,
    /// The body as received, cut to 1 KiB.
    pub body: String,
    /// Whether the spec lists this status for the operation.
    pub documented: bool,
}

fn message_text(message: &Option<String>) -> String {
    message
        .as_deref()
        .map_or(String::new(), |m| format!(": {m}"))
}

/// The note for a status the spec does not list; raw requests have no spec to list any.
fn undocumented(operation: &str, documented: bool) -> &'static str {
    if documented || operation.starts_with("raw ") {
        ""
    } else {
        " (a status the spec does not list for this operation)"
    }
}

/// A WebSocket frame that could not be decoded into an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot decode event{}{}: {message}; frame: {frame}",
    type_text(event_type),
    at_path(field)
)]
pub struct EventDecodeError {
    /// The frame's `type`, when it has one.
    pub event_type: Option<String>,
    /// Where in the JSON the mismatch is, e.g. `channel.state`; empty when unknown.
    pub field: String,
    /// What serde reported.
    pub message: String,
    /// The frame text, cut to 1 KiB.
    pub frame: String,
}

fn type_text(t: &Option<String>) -> String {
    t.as_deref().map_or(String::new(), |t| format!(" `{t}`"))
}

impl Error {
    /// The HTTP status, when Asterisk answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status(e) => Some(e.status),
            _ => None,
        }
    }
    /// Asterisk's own explanation of an error status.
    pub fn asterisk_message(&self) -> Option<&str> {
        match self {
            Error::Status(e) => e.message.as_deref(),
            _ => None,
        }
    }
    /// 404: the channel, bridge, playback, ... does not exist (any more).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
    /// 409: the resource is in the wrong state (e.g. a channel not in a Stasis application).
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }
    /// 400: Asterisk rejected a parameter.
    pub fn is_bad_request(&self) -> bool {
        self.status() == Some(400)
    }
    /// 401 or 403: wrong credentials, or a read-only user writing.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }
    /// 5xx: Asterisk failed.
    pub fn is_server_error(&self) -> bool {
        self.status().is_some_and(|s| s >= 500)
    }
    /// A request that got no answer in time ([`Error::Timeout`]); not a wait that ran
    /// out ([`is_wait_timeout`](Self::is_wait_timeout)).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }
    /// A wait that ran out of time ([`Error::WaitTimedOut`]).
    pub fn is_wait_timeout(&self) -> bool {
        matches!(self, Error::WaitTimedOut { .. })
    }
    /// "The caller left": true for every shape in which a resource going away shows up.
    /// - [`Error::Gone`]: a wait ended because its channel or bridge went away (hang-up,
    ///   `StasisEnd`), including a playback that finished `failed` because its channel left;
    /// - 404 from a request addressed to one channel, bridge, playback or recording by id
    ///   (`/channels/{id}/...`): it no longer exists;
    /// - 409 "... not in Stasis application" from such a request: it left the application
    ///   (as a channel that is hanging up has). Other conflicts (a recording name in use,
    ///   a playback id taken) are not "gone".
    ///
    /// A 404 from a request that names no resource by id (a wrong base URL, say) is not
    /// "gone".
    pub fn is_gone(&self) -> bool {
        match self {
            Error::Gone { .. } => true,
            Error::Status(e) => {
                addresses_one_resource(&e.path)
                    && (e.status == 404 || (e.status == 409 && left_stasis(e.message.as_deref())))
            }
            _ => false,
        }
    }
    /// Whether Asterisk may have carried out the request although no answer arrived: a
    /// timeout, or a connection lost after the request was written. False for errors
    /// raised before anything was sent, and for answers (which say what happened).
    pub fn may_have_executed(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Transport { sent, .. } | Error::ConnectionLost { sent, .. } => *sent,
            _ => false,
        }
    }
    /// Whether the spec lists this error status for the operation (`None` when not a status).
    pub fn is_documented_status(&self) -> Option<bool> {
        match self {
            Error::Status(e) => Some(e.documented),
            _ => None,
        }
    }
}

/// Asterisk's 409 for a channel or bridge that is no longer in the application.
fn left_stasis(message: Option<&str>) -> bool {
    message.is_some_and(|m| m.contains("not in Stasis"))
}

/// Collections whose members come and go with calls.
const CALL_RESOURCES: [&str; 4] = ["channels", "bridges", "playbacks", "recordings"];

/// Whether a request path addresses one member of [`CALL_RESOURCES`] by id
/// (`/ari/channels/{id}/answer`), not a collection (`/ari/channels`).
fn addresses_one_resource(path: &str) -> bool {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    segments
        .by_ref()
        .find(|s| CALL_RESOURCES.contains(s))
        .is_some()
        && segments.any(|s| s != "live" && s != "stored")
}

/// Cuts text to at most [`QUOTE_LIMIT`] bytes on a character boundary.
pub(crate) fn quote_body(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= QUOTE_LIMIT {
        return text.into_owned();
    }
    let mut end = QUOTE_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes in all)", &text[..end], bytes.len())
}

#[cfg(test)]
mod gone_tests {
    use super::{Error, StatusError};

    fn status(status: u16, path: &str, message: &str) -> Error {
        Error::Status(Box::new(StatusError {
            operation: "test".to_owned(),
            method: "POST".to_owned(),
            path: path.to_owned(),
            status,
            message: Some(message.to_owned()),
            body: String::new(),
            documented: true,
        }))
    }

    #[test]
    fn every_shape_of_a_departed_resource_is_gone_and_nothing_else() {
        assert!(status(404, "/channels/c1/answer", "Channel not found").is_gone());
        assert!(status(404, "/recordings/live/r1/stop", "Recording not found").is_gone());
        assert!(
            status(
                409,
                "/channels/c1/play",
                "Channel not in Stasis application"
            )
            .is_gone()
        );
        assert!(
            status(
                409,
                "/bridges/b1/addChannel",
                "Bridge not in Stasis application"
            )
            .is_gone()
        );
        let wait = Error::Gone {
            what: "playback p1".to_owned(),
            event: "StasisEnd".to_owned(),
        };
        assert!(wait.is_gone());

        assert!(!status(409, "/channels/c1/record", "Recording 'x' already exists").is_gone());
        assert!(
            !status(404, "/channels", "Not found").is_gone(),
            "a collection"
        );
        assert!(
            !status(404, "/", "Not found").is_gone(),
            "no resource at all"
        );
        assert!(!status(400, "/channels/c1/dtmf", "DTMF is required").is_gone());
        let timeout = Error::WaitTimedOut {
            what: "x".to_owned(),
            timeout: std::time::Duration::from_secs(1),
        };
        assert!(!timeout.is_gone() && timeout.is_wait_timeout() && !timeout.is_timeout());
    }
}
