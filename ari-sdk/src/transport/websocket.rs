//! REST over the event WebSocket (Asterisk 20.14 / 21.9 / 22.4 and later): each request is a
//! `RESTRequest` frame on the event connection, completed by the `RESTResponse` event that
//! carries the same `request_id`.
//!
//! A caller writes its request to the socket itself ([`Live`], the socket's writing half
//! under a lock) and waits for the connection task, which reads every frame, to hand it
//! the answer: one hand-off per request. While the connection task reconnects there is no
//! socket to write to, and requests wait in its queue ([`Link`]) until the next one opens.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as Frame, Utf8Bytes};

use super::{Answer, Request};
use crate::event_stream::connection::WebSocket;
use crate::runtime::Body;
use crate::runtime::json_scan::{find_member, member_value};
use crate::{Error, Result};

/// A request handed to the connection task (no socket was open when it was made).
pub(crate) struct Outgoing {
    pub(crate) request_id: String,
    pub(crate) frame: String,
    pub(crate) reply: oneshot::Sender<Reply>,
}

/// How a request ended, as the connection task saw it.
pub(crate) enum Reply {
    Answer(Answer),
    /// The socket went away; `sent` says whether the frame had been written.
    Lost {
        sent: bool,
        reason: String,
    },
}

/// An open socket of a connection task: its writing half, which callers and the task
/// (pings, close) share, and the requests written to it that wait for an answer.
pub(crate) struct Live {
    sink: tokio::sync::Mutex<SplitSink<WebSocket, Frame>>,
    /// `None` once the socket is gone: nothing more can be answered on it.
    in_flight: Mutex<Option<InFlight>>,
}

impl Live {
    pub(crate) fn new(sink: SplitSink<WebSocket, Frame>) -> Live {
        Live {
            sink: tokio::sync::Mutex::new(sink),
            in_flight: Mutex::new(Some(InFlight::default())),
        }
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, Option<InFlight>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the answer to `request_id`; gives `reply` back when the socket is gone.
    pub(crate) fn admit(
        &self,
        request_id: String,
        reply: oneshot::Sender<Reply>,
    ) -> std::result::Result<(), oneshot::Sender<Reply>> {
        match self.in_flight().as_mut() {
            Some(in_flight) => {
                in_flight.insert(request_id, reply);
                Ok(())
            }
            None => Err(reply),
        }
    }

    /// Writes one frame (a request, a ping). A caller cancelled mid-write leaves the whole
    /// frame in the socket's buffer, which the next write sends first.
    pub(crate) async fn write(&self, frame: Frame) -> std::result::Result<(), WsError> {
        self.sink.lock().await.send(frame).await
    }

    pub(crate) async fn close(&self) {
        let _ = self.sink.lock().await.close().await;
    }

    /// See [`InFlight::complete`].
    pub(crate) fn complete(&self, frame: &Utf8Bytes) -> bool {
        self.in_flight()
            .as_mut()
            .is_some_and(|in_flight| in_flight.complete(frame))
    }

    /// The socket is gone: fails what waits on it, and refuses what comes later.
    pub(crate) fn fail_all(&self, reason: &str) {
        if let Some(mut in_flight) = self.in_flight().take() {
            in_flight.fail_all(reason);
        }
    }
}

/// One connection task, as requests see it.
struct Attached {
    /// The number of its `attach`.
    generation: u64,
    /// Where requests wait while it has no socket.
    queue: mpsc::UnboundedSender<Outgoing>,
    /// Its socket, while one is open.
    live: Option<Arc<Live>>,
}

/// The client's end: where requests go while an event connection runs.
#[derive(Default)]
pub(crate) struct Link {
    next_id: AtomicU64,
    /// The open connection tasks, oldest first: requests go to the newest, and to the one
    /// before when it closes.
    attached: Mutex<Vec<Attached>>,
    generations: AtomicU64,
}

/// A connection task's end of the [`Link`].
pub(crate) struct Requests {
    generation: u64,
    pub(crate) receiver: mpsc::UnboundedReceiver<Outgoing>,
}

impl Link {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Attached>> {
        self.attached.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called by a connection task when it starts: from now on requests go to it.
    pub(crate) fn attach(&self) -> Requests {
        let (queue, receiver) = mpsc::unbounded_channel();
        let generation = self.generations.fetch_add(1, Ordering::Relaxed);
        self.lock().push(Attached {
            generation,
            queue,
            live: None,
        });
        Requests {
            generation,
            receiver,
        }
    }

    /// Called by a connection task when a socket opens (`Some`) or goes (`None`).
    pub(crate) fn set_live(&self, requests: &Requests, live: Option<Arc<Live>>) {
        if let Some(attached) = self
            .lock()
            .iter_mut()
            .find(|a| a.generation == requests.generation)
        {
            attached.live = live;
        }
    }

    /// Called by a connection task when it ends for good: requests go to the newest of
    /// the others again.
    pub(crate) fn detach(&self, requests: &Requests) {
        self.lock().retain(|a| a.generation != requests.generation);
    }

    pub(crate) fn is_attached(&self) -> bool {
        self.lock().iter().any(|a| !a.queue.is_closed())
    }

    /// The newest connection task's queue, and its socket while one is open.
    fn newest(&self) -> Option<(mpsc::UnboundedSender<Outgoing>, Option<Arc<Live>>)> {
        let attached = self.lock();
        let newest = attached.iter().rev().find(|a| !a.queue.is_closed())?;
        Some((newest.queue.clone(), newest.live.clone()))
    }

    fn next_request_id(&self) -> String {
        self.next_id.fetch_add(1, Ordering::Relaxed).to_string()
    }
}

/// Fails whatever is still queued for a connection task that is ending: never written.
pub(crate) fn fail_unsent(requests: &mut Requests, reason: &str) {
    requests.receiver.close();
    while let Ok(outgoing) = requests.receiver.try_recv() {
        let _ = outgoing.reply.send(Reply::Lost {
            sent: false,
            reason: reason.to_owned(),
        });
    }
}

/// Requests written to the current socket and not answered yet.
#[derive(Default)]
pub(crate) struct InFlight {
    waiting: HashMap<String, oneshot::Sender<Reply>>,
}

impl InFlight {
    pub(crate) fn insert(&mut self, request_id: String, reply: oneshot::Sender<Reply>) {
        // Callers that timed out left their entries behind; sweep them once in a while so
        // a connection that loses answers cannot grow without bound.
        if self.waiting.len() >= 1024 && self.waiting.len().is_power_of_two() {
            self.waiting.retain(|_, waiter| !waiter.is_closed());
        }
        self.waiting.insert(request_id, reply);
    }

    /// Completes the request a `RESTResponse` frame answers. Returns false when the frame
    /// is not a `RESTResponse` (it is then an ordinary event).
    ///
    /// Nothing is decoded here, on the task every request of the socket goes through: the
    /// routing members are found lexically and the frame itself, shared, is the answer's
    /// body, which the waiting caller decodes straight from it.
    pub(crate) fn complete(&mut self, frame: &Utf8Bytes) -> bool {
        // Nothing in flight on this socket (every HTTP-transport client): no answer can be
        // ours, so ordinary events skip the scan.
        if self.waiting.is_empty() {
            return false;
        }
        let Some(response) = RestResponse::find(frame.as_str()) else {
            return false;
        };
        let Some(waiter) = self.waiting.remove(response.request_id) else {
            tracing::debug!(request_id = %response.request_id, "a RESTResponse nobody waits for (timed out, or another client's)");
            return true;
        };
        let body = match response.body {
            Some(literal) => Body::in_frame(Bytes::from(frame.clone()), literal),
            None => Body::empty(),
        };
        let _ = waiter.send(Reply::Answer(Answer {
            status: response.status,
            location: None,
            body,
        }));
        true
    }

    /// The socket is gone: every request written to it may or may not have run.
    pub(crate) fn fail_all(&mut self, reason: &str) {
        for (_, waiter) in self.waiting.drain() {
            let _ = waiter.send(Reply::Lost {
                sent: true,
                reason: reason.to_owned(),
            });
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.waiting.len()
    }
}

/// What routes a `RESTResponse` frame to its caller, found without decoding the frame.
struct RestResponse<'a> {
    request_id: &'a str,
    status: u16,
    /// Where `message_body`'s string literal is in the frame, quotes included.
    body: Option<Range<usize>>,
}

impl<'a> RestResponse<'a> {
    /// `None` when the frame is not a `RESTResponse`, or one the scan cannot read (no
    /// `request_id` without escapes, no numeric `status_code`, a `message_body` that is
    /// not a string): such a frame goes on as an ordinary event.
    fn find(frame: &'a str) -> Option<RestResponse<'a>> {
        // A cheap test first: almost every frame is an ordinary event.
        if !frame.contains("RESTResponse") || find_member(frame, "type")? != "RESTResponse" {
            return None;
        }
        let request_id = find_member(frame, "request_id")?;
        let status = member_value(frame, "status_code")?.parse().ok()?;
        let body = match member_value(frame, "message_body") {
            None | Some("null") => None,
            Some(literal) if literal.starts_with('"') => {
                let start = literal.as_ptr() as usize - frame.as_ptr() as usize;
                Some(start..start + literal.len())
            }
            Some(_) => return None,
        };
        Some(RestResponse {
            request_id,
            status,
            body,
        })
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    transaction_id: &'a str,
    request_id: &'a str,
    method: &'static str,
    /// Relative to `/ari/`: a leading slash makes Asterisk answer 405.
    uri: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    query_strings: Vec<QueryParameter<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_body: Option<String>,
}

#[derive(Serialize)]
struct QueryParameter<'a> {
    name: &'a str,
    value: &'a str,
}

/// The operation that sets an application's event filter.
const FILTER_OPERATION: &str = "applications.filter";
/// The message type of an answer over the WebSocket.
const ANSWER_TYPE: &str = "RESTResponse";

/// An event filter that still lets this transport's answers through. Asterisk sends each
/// `RESTResponse` through the application's event filter like an event: an `allowed` list
/// without it swallows every later answer on the connection (requests time out), and so
/// does a `disallowed` entry for it, which is refused here.
fn let_answers_through(
    body: &serde_json::Map<String, serde_json::Value>,
) -> std::result::Result<serde_json::Map<String, serde_json::Value>, String> {
    let names_answers = |entries: &[serde_json::Value]| {
        entries
            .iter()
            .any(|e| e.get("type").and_then(|t| t.as_str()) == Some(ANSWER_TYPE))
    };
    let list = |name: &str| body.get(name).and_then(|l| l.as_array());
    if list("disallowed").is_some_and(|l| names_answers(l)) {
        return Err(format!(
            "`disallowed` names `{ANSWER_TYPE}`: over the WebSocket transport Asterisk sends \
             its answers through the event filter, so no request on the connection would \
             be answered (send this filter over HTTP)"
        ));
    }
    let mut body = body.clone();
    if let Some(serde_json::Value::Array(allowed)) = body.get_mut("allowed")
        && !allowed.is_empty()
        && !names_answers(allowed)
    {
        allowed.push(serde_json::json!({ "type": ANSWER_TYPE }));
    }
    Ok(body)
}

/// Sends one request over the event connection and waits for its answer.
pub(crate) async fn send(link: &Link, request: &Request<'_>) -> Result<Answer> {
    let operation = request.operation;
    let request_id = link.next_request_id();
    let message_body = match request.body {
        Some(body) if operation == FILTER_OPERATION => {
            let body = let_answers_through(body).map_err(|reason| Error::InvalidArgument {
                operation: operation.to_owned(),
                argument: "filter".to_owned(),
                reason,
            })?;
            Some(serde_json::to_string(&body).unwrap_or_default())
        }
        // Without a body Asterisk reads a whole-body parameter as JSON `null` over this
        // transport (`applications.filter`: 400 "Invalid format definition"), where HTTP
        // reads none (the filter: both lists cleared): the empty object means the latter.
        None if request.whole_body => Some("{}".to_owned()),
        _ => request.body_text()?,
    };
    let frame = serde_json::to_string(&WireRequest {
        kind: "RESTRequest",
        transaction_id: &request_id,
        request_id: &request_id,
        method: request.method.as_str(),
        uri: request.path.trim_start_matches('/'),
        query_strings: request
            .query
            .iter()
            .map(|(name, value)| QueryParameter { name, value })
            .collect(),
        content_type: message_body.as_ref().map(|_| "application/json"),
        message_body,
    })
    .map_err(|e| Error::InvalidArgument {
        operation: operation.to_owned(),
        argument: "request".to_owned(),
        reason: e.to_string(),
    })?;
    let no_connection = || Error::NoEventConnection {
        what: format!("{operation} over the WebSocket transport"),
    };
    let timeout = request.timeout;
    let timed_out = || Error::Timeout {
        operation: operation.to_owned(),
        timeout,
    };
    // The request's time counts from here, writing included: a server that stops
    // reading blocks the write, and the caller still gets its answer in time.
    let deadline = tokio::time::Instant::now() + timeout;
    let (queue, live) = link.newest().ok_or_else(no_connection)?;
    let (reply, answer) = oneshot::channel();
    let unsent = match live {
        Some(live) => match live.admit(request_id.clone(), reply) {
            Ok(()) => {
                let written =
                    tokio::time::timeout_at(deadline, live.write(Frame::Text(frame.into())))
                        .await
                        .map_err(|_| timed_out())?;
                if let Err(e) = written {
                    return Err(Error::ConnectionLost {
                        operation: operation.to_owned(),
                        reason: format!("sending the request failed: {e}"),
                        sent: true,
                    });
                }
                None
            }
            // The socket went just now: the connection task writes the request when
            // it has opened the next one.
            Err(reply) => Some((frame, reply)),
        },
        None => Some((frame, reply)),
    };
    if let Some((frame, reply)) = unsent {
        queue
            .send(Outgoing {
                request_id,
                frame,
                reply,
            })
            .map_err(|_| no_connection())?;
    }
    match tokio::time::timeout_at(deadline, answer).await {
        Ok(Ok(Reply::Answer(answer))) => Ok(answer),
        Ok(Ok(Reply::Lost { sent, reason })) => Err(Error::ConnectionLost {
            operation: operation.to_owned(),
            reason,
            sent,
        }),
        // The connection task ended without a word: assume the worst.
        Ok(Err(_)) => Err(Error::ConnectionLost {
            operation: operation.to_owned(),
            reason: "the event connection ended".to_owned(),
            sent: true,
        }),
        Err(_) => Err(timed_out()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_filter_keeps_letting_answers_through() {
        let body = |v: serde_json::Value| v.as_object().unwrap().clone();
        let allowed = let_answers_through(&body(serde_json::json!({
            "allowed": [{"type": "StasisStart"}]
        })))
        .unwrap();
        assert_eq!(
            serde_json::Value::Object(allowed),
            serde_json::json!({"allowed": [{"type": "StasisStart"}, {"type": "RESTResponse"}]})
        );
        // Nothing to add to an empty list (everything passes) or one that has it.
        for kept in [
            serde_json::json!({}),
            serde_json::json!({"allowed": []}),
            serde_json::json!({"allowed": [{"type": "RESTResponse"}], "disallowed": []}),
        ] {
            let out = let_answers_through(&body(kept.clone())).unwrap();
            assert_eq!(serde_json::Value::Object(out), kept);
        }
        let refused = let_answers_through(&body(
            serde_json::json!({"disallowed": [{"type": "RESTResponse"}]}),
        ))
        .unwrap_err();
        assert!(refused.contains("over HTTP"), "{refused}");
    }

    fn waiter(in_flight: &mut InFlight, id: &str) -> oneshot::Receiver<Reply> {
        let (sender, receiver) = oneshot::channel();
        in_flight.insert(id.to_owned(), sender);
        receiver
    }

    #[test]
    fn a_response_completes_the_request_with_its_id_only() {
        let mut in_flight = InFlight::default();
        let mut first = waiter(&mut in_flight, "1");
        let mut second = waiter(&mut in_flight, "2");
        let frame = r#"{"type":"RESTResponse","transaction_id":"2","request_id":"2","status_code":404,"reason_phrase":"Not Found","uri":"channels/nope","content_type":"application/json","message_body":"{\"message\":\"Channel not found\"}","application":"hello"}"#;
        assert!(in_flight.complete(&frame.into()));
        match second.try_recv() {
            Ok(Reply::Answer(answer)) => {
                assert_eq!(answer.status, 404);
                assert_eq!(
                    &answer.body.to_bytes()[..],
                    br#"{"message":"Channel not found"}"#
                );
            }
            _ => panic!("request 2 was not completed"),
        }
        assert!(first.try_recv().is_err(), "request 1 must still wait");
        assert_eq!(in_flight.len(), 1);
    }

    #[test]
    fn a_204_has_an_empty_body_and_other_events_pass_through() {
        let mut in_flight = InFlight::default();
        let mut request = waiter(&mut in_flight, "4");
        assert!(
            !in_flight.complete(&r#"{"type":"StasisStart","application":"RESTResponse"}"#.into())
        );
        assert!(in_flight.complete(
            &r#"{"request_id":"4","type":"RESTResponse","status_code":204,"reason_phrase":"No Content","uri":"bridges/wsb"}"#.into()
        ));
        match request.try_recv() {
            Ok(Reply::Answer(answer)) => {
                assert_eq!(answer.status, 204);
                assert!(answer.body.is_empty());
            }
            _ => panic!("request 4 was not completed"),
        }
    }

    #[test]
    fn losing_the_socket_fails_written_and_queued_requests_differently() {
        let mut in_flight = InFlight::default();
        let mut written = waiter(&mut in_flight, "7");
        in_flight.fail_all("reset");
        assert!(matches!(
            written.try_recv(),
            Ok(Reply::Lost { sent: true, .. })
        ));

        let link = Link::default();
        let mut requests = link.attach();
        let (reply, mut queued) = oneshot::channel();
        let (queue, live) = link.newest().expect("attached");
        assert!(live.is_none(), "no socket is open yet");
        assert!(
            queue
                .send(Outgoing {
                    request_id: "8".into(),
                    frame: String::new(),
                    reply,
                })
                .is_ok()
        );
        fail_unsent(&mut requests, "stream closed");
        link.detach(&requests);
        assert!(matches!(
            queued.try_recv(),
            Ok(Reply::Lost { sent: false, .. })
        ));
        assert!(!link.is_attached());
    }

    #[test]
    fn requests_are_relative_with_decoded_query_values() {
        let frame = serde_json::to_value(WireRequest {
            kind: "RESTRequest",
            transaction_id: "3",
            request_id: "3",
            method: "POST",
            uri: "/channels".trim_start_matches('/'),
            query_strings: vec![QueryParameter {
                name: "endpoint",
                value: "Local/7000@default",
            }],
            content_type: None,
            message_body: None,
        })
        .unwrap();
        assert_eq!(frame["uri"], "channels");
        assert_eq!(frame["query_strings"][0]["value"], "Local/7000@default");
        assert!(frame.get("message_body").is_none());
    }
}
