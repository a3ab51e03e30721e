//! REST over the event WebSocket: a `RESTRequest` text frame runs like the same HTTP
//! request (routing, checks, state changes, the connection user's rights) and is answered
//! on that socket with a `RESTResponse`, the way Asterisk 22 does it, quirks included:
//! a `uri` with a leading slash lands on the API root (`405 Invalid method`), a query in
//! the `uri` counts, a form body becomes parameters, a frame that is not JSON gets a bare
//! `400`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::http::{Faults, User, execute, form_pairs, take_faults};
use crate::hub::Hub;
use crate::reply::{Body, Reply};
use crate::world::Shared;

/// What running a request needs besides the world.
#[derive(Clone)]
pub struct Rest {
    pub api: Arc<ari_codegen::ir::Api>,
    pub users: Arc<Vec<User>>,
    pub faults: Arc<Mutex<Faults>>,
}

impl Rest {
    pub fn user(&self, name: &str) -> Option<User> {
        self.users.iter().find(|u| u.name == name).cloned()
    }
}

/// Where a request came from and whom it runs as.
pub struct Origin<'a> {
    pub hub: &'a Hub,
    /// The hub connection the response (and the events it causes) go to.
    pub connection: u64,
    pub user: &'a User,
    /// The connection's first application: the `application` of its responses.
    pub app: &'a str,
}

/// The request fields a response echoes.
#[derive(Default)]
struct Echo {
    transaction_id: String,
    request_id: String,
    uri: String,
}

/// A request that passed Asterisk's parsing.
struct Parsed {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// A parsed request an injected delay holds back, its faults already taken.
struct Delayed {
    echo: Echo,
    request: Parsed,
    fail: Option<u16>,
}

/// Answers `text` at once, or gives back the request and how long it waits first.
fn begin(
    rest: &Rest,
    world: &Shared,
    origin: &Origin<'_>,
    text: &str,
) -> Option<(Delayed, Duration)> {
    let mut echo = Echo::default();
    match parse(text, &mut echo) {
        Err(early) => {
            origin
                .hub
                .send_to(origin.connection, response(origin, &echo, early));
            None
        }
        Ok(request) => {
            let (delay, fail) = take_faults(&rest.faults);
            let delayed = Delayed {
                echo,
                request,
                fail,
            };
            if !delay.is_zero() {
                return Some((delayed, delay));
            }
            run(rest, world, origin, delayed);
            None
        }
    }
}

/// Runs a parsed request and answers it.
fn run(rest: &Rest, world: &Shared, origin: &Origin<'_>, delayed: Delayed) {
    let Delayed {
        echo,
        request,
        fail,
    } = delayed;
    origin.hub.hold(origin.connection);
    let reply = match fail {
        Some(status) => Early::Reply(Reply::error(status, "Injected failure")),
        None => Early::Reply(execute(
            &rest.api,
            world,
            origin.user,
            &request.method,
            &request.path,
            request.query,
            request.content_type.as_deref(),
            &request.body,
            true,
        )),
    };
    let frame = response(origin, &echo, reply);
    origin.hub.release(origin.connection, frame);
}

/// Answers one connection's requests in the order they came. Asterisk reads and runs each
/// request on the socket's own thread, so a request is answered right where its frame is
/// read, in the connection's task (no hand-off to another task); only when an injected
/// delay holds a request back do it and the ones after it wait in a worker task, while
/// events keep flowing.
pub struct Answerer {
    connection: Arc<Connection>,
    /// Requests the worker has not finished: while any, new ones queue behind them.
    queued: Arc<AtomicUsize>,
    worker: mpsc::UnboundedSender<Work>,
    task: tokio::task::JoinHandle<()>,
}

/// Everything a connection's requests run with.
pub struct Connection {
    pub rest: Rest,
    pub world: Shared,
    pub hub: Hub,
    /// The hub connection the answers go to.
    pub id: u64,
    pub user: User,
    pub app: String,
}

impl Connection {
    fn origin(&self) -> Origin<'_> {
        Origin {
            hub: &self.hub,
            connection: self.id,
            user: &self.user,
            app: &self.app,
        }
    }
}

/// What waits for the worker.
enum Work {
    Frame(String),
    Delayed(Delayed, Duration),
}

impl Answerer {
    pub fn start(connection: Connection) -> Answerer {
        let connection = Arc::new(connection);
        let (worker, mut work) = mpsc::unbounded_channel::<Work>();
        let queued = Arc::new(AtomicUsize::new(0));
        let task = {
            let (connection, queued) = (connection.clone(), queued.clone());
            tokio::spawn(async move {
                let (rest, world) = (&connection.rest, &connection.world);
                while let Some(item) = work.recv().await {
                    let origin = connection.origin();
                    let held = match item {
                        Work::Frame(text) => begin(rest, world, &origin, &text),
                        Work::Delayed(delayed, delay) => Some((delayed, delay)),
                    };
                    if let Some((delayed, delay)) = held {
                        tokio::time::sleep(delay).await;
                        run(rest, world, &origin, delayed);
                    }
                    queued.fetch_sub(1, Ordering::AcqRel);
                }
            })
        };
        Answerer {
            connection,
            queued,
            worker,
            task,
        }
    }

    /// Answers a request frame, now or after the ones ahead of it.
    pub fn answer(&self, text: &str) {
        let work = if self.queued.load(Ordering::Acquire) == 0 {
            let c = &self.connection;
            match begin(&c.rest, &c.world, &c.origin(), text) {
                None => return,
                Some((delayed, delay)) => Work::Delayed(delayed, delay),
            }
        } else {
            Work::Frame(text.to_owned())
        };
        self.queued.fetch_add(1, Ordering::AcqRel);
        let _ = self.worker.send(work);
    }
}

impl Drop for Answerer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A response decided before the request runs, or the request's reply.
enum Early {
    /// Asterisk's own parse errors: reason phrase and message.
    Parse(&'static str, Option<&'static str>),
    Reply(Reply),
}

fn bad(message: &'static str) -> Early {
    Early::Parse("Bad request", Some(message))
}

fn string(frame: &Map<String, Value>, key: &str) -> Option<String> {
    frame.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn parse(text: &str, echo: &mut Echo) -> Result<Parsed, Early> {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Err(Early::Parse("Failed to parse request message JSON", None));
    };
    let empty = Map::new();
    let frame = value.as_object().unwrap_or(&empty);
    echo.transaction_id = string(frame, "transaction_id").unwrap_or_default();
    echo.request_id = string(frame, "request_id").unwrap_or_default();
    match string(frame, "type").as_deref() {
        None | Some("") => return Err(bad("No 'type' property.")),
        Some("RESTRequest") => {}
        Some(_) => return Err(bad("Unknown request type.")),
    }
    let uri = string(frame, "uri").unwrap_or_default();
    if uri.is_empty() {
        return Err(bad("Empty or missing 'uri' property."));
    }
    let (path, inline_query) = match uri.split_once('?') {
        Some((path, query)) => (path.to_owned(), form_pairs(query)),
        None => (uri.clone(), Vec::new()),
    };
    echo.uri = path.clone();
    let method = string(frame, "method").map(|m| m.to_ascii_uppercase());
    let method = match method.as_deref() {
        Some("GET") => Method::GET,
        Some("POST") => Method::POST,
        Some("PUT") => Method::PUT,
        Some("DELETE") => Method::DELETE,
        Some("HEAD") => Method::HEAD,
        Some("OPTIONS") => Method::OPTIONS,
        _ => return Err(bad("Unknown or missing 'method' property.")),
    };
    let mut query = inline_query;
    match frame.get("query_strings") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let pair = item.as_object().and_then(|o| {
                    Some((
                        o.get("name")?.as_str()?.to_owned(),
                        o.get("value")?.as_str()?.to_owned(),
                    ))
                });
                match pair {
                    Some(pair) => query.push(pair),
                    None => return Err(bad("Unable to parse 'query_strings' array.")),
                }
            }
        }
        Some(_) => return Err(bad("Unable to parse 'query_strings' array.")),
    }
    let body = string(frame, "message_body").unwrap_or_default();
    let mut content_type = None;
    let mut json_body = Vec::new();
    if !body.is_empty() {
        match string(frame, "content_type").as_deref() {
            None | Some("") => return Err(bad("No 'content_type' for 'message_body'.")),
            Some("application/x-www-form-urlencoded") => query.extend(form_pairs(&body)),
            Some("application/json") => {
                if serde_json::from_str::<Value>(&body).is_err() {
                    return Err(bad("Unable to parse 'message_body' as 'application/json'."));
                }
                content_type = Some("application/json".to_owned());
                json_body = body.into_bytes();
            }
            Some(_) => return Err(bad("Unknown content type.")),
        }
    }
    // Asterisk walks the path from the API root and stops at an empty segment: a leading
    // slash leaves it at the root, which has no operations.
    if path.starts_with('/') {
        return Err(Early::Reply(Reply::error(405, "Invalid method")));
    }
    Ok(Parsed {
        method,
        path,
        query,
        content_type,
        body: json_body,
    })
}

/// A `RESTResponse` frame, fields in Asterisk's order.
fn response(origin: &Origin<'_>, echo: &Echo, outcome: Early) -> String {
    let (status, reason, body): (u16, String, Option<String>) = match outcome {
        Early::Parse(reason, message) => (
            400,
            reason.to_owned(),
            message.map(|m| serde_json::json!({ "message": m }).to_string()),
        ),
        Early::Reply(reply) => {
            let reason = StatusCode::from_u16(reply.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Unknown")
                .to_owned();
            match reply.body {
                Body::Empty => (reply.status, reason, None),
                Body::Json(value) => (reply.status, reason, Some(value.to_string())),
                // A file cannot travel in a text frame.
                Body::Bytes { .. } => (406, "Not Acceptable.  Use HTTP GET".to_owned(), None),
            }
        }
    };
    let mut out = Map::new();
    out.insert("type".into(), Value::from("RESTResponse"));
    out.insert(
        "transaction_id".into(),
        Value::from(echo.transaction_id.as_str()),
    );
    out.insert("request_id".into(), Value::from(echo.request_id.as_str()));
    out.insert("status_code".into(), Value::from(status));
    out.insert("reason_phrase".into(), Value::from(reason));
    out.insert("uri".into(), Value::from(echo.uri.as_str()));
    if let Some(body) = body {
        out.insert("content_type".into(), Value::from("application/json"));
        out.insert("message_body".into(), Value::from(body));
    }
    out.insert("application".into(), Value::from(origin.app));
    out.insert("timestamp".into(), Value::from(crate::world::now()));
    out.insert("asterisk_id".into(), Value::from(origin.hub.asterisk_id()));
    Value::Object(out).to_string()
}
