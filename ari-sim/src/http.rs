//! HTTP and WebSocket on one port under `/ari`, like Asterisk; test control under `/sim`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use percent_encoding::percent_decode_str;
use serde_json::json;

use crate::hub::{Hub, Outgoing, Registration};
use crate::reply::{Body as ReplyBody, Reply};
use crate::spec::{API_DOCS, Resolved, resolve};
use crate::world::Shared;
use crate::wsrest::{Answerer, Connection, Rest};

/// An `ari.conf` user.
#[derive(Clone)]
pub struct User {
    /// The user name of `ari.conf`.
    pub name: String,
    /// The password (plain text, as `password_format=plain`).
    pub password: String,
    /// Whether the user may only read (`read_only=yes`).
    pub read_only: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

/// Injected faults.
#[derive(Debug, Default)]
pub struct Faults {
    /// Statuses the next requests answer with, in order.
    pub fail_next: VecDeque<u16>,
    /// Added before every REST answer.
    pub delay: Duration,
    /// Answer every request with `Connection: close` (as older Asterisk did).
    pub close_connections: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub api: Arc<ari_codegen::ir::Api>,
    pub world: Shared,
    pub hub: Hub,
    pub users: Arc<Vec<User>>,
    pub faults: Arc<Mutex<Faults>>,
    pub control: crate::control::Control,
}

impl AppState {
    pub fn rest(&self) -> Rest {
        Rest {
            api: self.api.clone(),
            users: self.users.clone(),
            faults: self.faults.clone(),
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/ari/events", any(events))
        .route("/ari/{*rest}", any(rest))
        .route("/sim/{*rest}", any(crate::control::http))
        // chan_websocket's server connections, at the HTTP root as in Asterisk.
        .route("/media/{connection_id}", any(crate::media::serve_websocket))
        .with_state(state)
}

fn reply_to_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match reply.body {
        ReplyBody::Empty => status.into_response(),
        ReplyBody::Json(value) => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            value.to_string(),
        )
            .into_response(),
        ReplyBody::Bytes { data, content_type } => {
            (status, [(header::CONTENT_TYPE, content_type)], data).into_response()
        }
    };
    if let Some(location) = reply.location {
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
    response
}

/// Who is asking: from HTTP Basic or `api_key=user:password`.
fn authenticate<'a>(
    users: &'a [User],
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Option<&'a User> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let api_key = query
        .iter()
        .find(|(k, _)| k == "api_key")
        .map(|(_, v)| v.clone());
    let pair = basic.or(api_key)?;
    let (name, password) = pair.split_once(':')?;
    users
        .iter()
        .find(|u| u.name == name && u.password == password)
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn unauthorized() -> Response {
    let mut response = reply_to_response(Reply::error(401, "Authentication required"));
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Asterisk REST Interface\""),
    );
    response
}

async fn rest(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let close = state
        .faults
        .lock()
        .map(|f| f.close_connections)
        .unwrap_or(false);
    let mut response = answer(&state, &parts.method, &parts.uri, &parts.headers, &body).await;
    if close {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

async fn answer(
    state: &AppState,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let query = query_pairs(uri.query());
    let path = uri.path().strip_prefix("/ari").unwrap_or(uri.path());
    // The api-docs are public in Asterisk too: the importer reads them from here.
    if let Some(file) = path.strip_prefix("/api-docs/") {
        return match API_DOCS.iter().find(|(name, _)| *name == file) {
            Some((_, text)) => {
                ([(header::CONTENT_TYPE, "application/json")], *text).into_response()
            }
            None => reply_to_response(Reply::error(404, "Resource not found")),
        };
    }
    let Some(user) = authenticate(&state.users, headers, &query) else {
        return unauthorized();
    };
    let (delay, fail) = take_faults(&state.faults);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = fail {
        return reply_to_response(Reply::error(status, "Injected failure"));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let query: Vec<(String, String)> = query.into_iter().filter(|(k, _)| k != "api_key").collect();
    reply_to_response(execute(
        &state.api,
        &state.world,
        user,
        method,
        path.trim_start_matches('/'),
        query,
        content_type,
        body,
        false,
    ))
}

/// The injected delay and failure the next REST request gets.
pub fn take_faults(faults: &Mutex<Faults>) -> (Duration, Option<u16>) {
    let mut faults = faults.lock().unwrap_or_else(|e| e.into_inner());
    (faults.delay, faults.fail_next.pop_front())
}

/// `application/x-www-form-urlencoded` text: pairs, `+` meaning a space.
pub fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")))
        })
        .collect()
}

/// Runs one REST request as `user`, the same way whether it came over HTTP or as a
/// `RESTRequest` on a WebSocket. `path` is relative to `/ari/`; a form body's fields
/// come before the query's, as in Asterisk. `over_websocket`: Asterisk gives a
/// `RESTRequest` without a `message_body` the JSON body `null` where HTTP has none; only
/// the event filter tells them apart (`null` is no filter: 400).
#[allow(clippy::too_many_arguments)]
pub fn execute(
    api: &ari_codegen::ir::Api,
    world: &Shared,
    user: &User,
    method: &Method,
    path: &str,
    query: Vec<(String, String)>,
    content_type: Option<&str>,
    body: &[u8],
    over_websocket: bool,
) -> Reply {
    let read_only_refused = user.read_only && *method != Method::GET && *method != Method::OPTIONS;
    if let Some(slashless) = path.strip_suffix('/') {
        if read_only_refused {
            return Reply::error(403, "Write access denied");
        }
        return Reply::error(
            404,
            &format!("ARI URLs do not end with a slash. Try /ari/{slashless}"),
        );
    }
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let (op, path_params) = match resolve(api, method.as_str(), &segments) {
        Resolved::Operation { op, path_params } => (op, path_params),
        Resolved::WrongMethod => return Reply::error(405, "Invalid method"),
        Resolved::NotFound => return Reply::error(404, "Resource not found"),
    };
    if read_only_refused {
        return Reply::error(403, "Write access denied");
    }
    let is_form = content_type.is_some_and(|t| {
        t.split(';').next().is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    let mut query = query;
    let json_body = if body.iter().all(u8::is_ascii_whitespace) {
        over_websocket.then_some(serde_json::Value::Null)
    } else if is_form {
        let mut fields = form_pairs(&String::from_utf8_lossy(body));
        fields.append(&mut query);
        query = fields;
        None
    } else {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(value @ serde_json::Value::Object(_)) => Some(value),
            _ => return Reply::error(400, "Request body is not a JSON object"),
        }
    };
    let params = match crate::params::collect(op, &path_params, &query, json_body.as_ref()) {
        Ok(params) => params,
        Err(crate::params::Invalid(message)) => return Reply::error(400, &message),
    };
    tracing::debug!(operation = %op.qualified_name(), "simulated");
    crate::ops::dispatch(world, op, &params)
}

/// `GET /ari/events?app=a,b&subscribeAll=true`.
async fn events(State(state): State<AppState>, request: Request) -> Response {
    let query = query_pairs(request.uri().query());
    let Some(user) = authenticate(&state.users, request.headers(), &query).cloned() else {
        return unauthorized();
    };
    let apps: Vec<String> = query
        .iter()
        .filter(|(k, _)| k == "app")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    if apps.is_empty() {
        return reply_to_response(Reply::error(400, "Missing param 'app'"));
    }
    let subscribe_all = query
        .iter()
        .any(|(k, v)| k == "subscribeAll" && matches!(v.as_str(), "true" | "yes" | "1"));
    let (mut parts, _body) = request.into_parts();
    let upgrade =
        match <WebSocketUpgrade as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, &state,
        )
        .await
        {
            Ok(upgrade) => upgrade,
            Err(rejection) => return rejection.into_response(),
        };
    // Asterisk registers the applications before it answers the upgrade (events that
    // come meanwhile wait in the queue): a call sent to `Stasis(app)` right after the
    // client sees 101 must find the application.
    let first_app = apps.first().cloned().unwrap_or_default();
    let (registration, outgoing) = state.hub.register(apps, subscribe_all);
    upgrade.on_upgrade(move |socket| {
        serve_socket(socket, state, user, first_app, registration, outgoing)
    })
}

async fn serve_socket(
    socket: WebSocket,
    state: AppState,
    user: User,
    first_app: String,
    registration: Registration,
    mut outgoing: tokio::sync::mpsc::UnboundedReceiver<Outgoing>,
) {
    let hub = state.hub.clone();
    let id = registration.id;
    let answerer = Answerer::start(Connection {
        rest: state.rest(),
        world: state.world.clone(),
        hub,
        id,
        user,
        app: first_app,
    });
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            message = outgoing.recv() => match message {
                Some(Outgoing::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(Outgoing::Close) | None => {
                    let _ = sink.close().await;
                    break;
                }
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(Message::Text(text))) => answerer.answer(text.as_str()),
                Some(Ok(_)) => {}
            },
        }
    }
    drop(answerer);
    drop(registration);
}

/// A JSON error for the control endpoints.
pub fn control_error(status: u16, message: &str) -> Response {
    reply_to_response(Reply::json(status, json!({ "message": message })))
}

pub fn control_ok(value: serde_json::Value) -> Response {
    reply_to_response(Reply::json(200, value))
}
