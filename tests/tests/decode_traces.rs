//! Decoding what a real Asterisk sent: the recordings in `fixtures/traces` (Asterisk 22)
//! and the examples of the getting-started guide in `fixtures/guide` (an older Asterisk).

use std::path::{Path, PathBuf};

use ari_sdk::operations::{OPERATIONS, check_response};
use ari_sdk::runtime::{Bytes, Call, Decoder, Seg, decode_binary, decode_json_or_null};
use ari_sdk::{Client, Error, Event, Method, OperationInfo, Response, decode_event};
use serde_json::{Map, Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

mod common;
use common::{fixtures_dir, is_param, path_matches, percent_decode, split_path};

// ---------------------------------------------------------------------------------------
// Reading the fixtures
// ---------------------------------------------------------------------------------------

/// `fixtures/traces/<scenario>/<file>` for every scenario that has that file, sorted.
fn trace_files(file: &str) -> Vec<PathBuf> {
    let dir = fixtures_dir().join("traces");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path().join(file))
        .filter(|path| path.is_file())
        .collect();
    found.sort();
    found
}

/// `scenario/file` for messages.
fn label(path: &Path) -> String {
    let parent = path.parent().and_then(Path::file_name).unwrap_or_default();
    format!(
        "{}/{}",
        parent.to_string_lossy(),
        path.file_name().unwrap_or_default().to_string_lossy()
    )
}

/// The non-empty lines of a JSON-lines file, each with its parsed value.
fn json_lines(path: &Path) -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            let value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{} line {}: {e}", label(path), n + 1));
            (line.to_owned(), value)
        })
        .collect()
}

/// One WebSocket message as recorded.
struct Message {
    origin: String,
    text: String,
    json: Value,
}

impl Message {
    fn type_name(&self) -> &str {
        self.json["type"]
            .as_str()
            .expect("a message has a string `type`")
    }
}

/// Every line of `path` that holds a message with a string `type`.
fn messages_in(path: &Path) -> Vec<Message> {
    json_lines(path)
        .into_iter()
        .enumerate()
        .filter(|(_, (_, json))| json.get("type").is_some_and(Value::is_string))
        .map(|(n, (text, json))| Message {
            origin: format!("{} line {}", label(path), n + 1),
            text,
            json,
        })
        .collect()
}

/// Every recorded WebSocket message: all `events.jsonl`, plus the outbound-ws logs.
fn recorded_messages() -> Vec<Message> {
    ["events.jsonl", "requests.jsonl", "connections.jsonl"]
        .into_iter()
        .flat_map(trace_files)
        .flat_map(|path| messages_in(&path))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/// Decodes a recorded message and checks it landed in its own variant.
fn decode_message(message: &Message) -> Event {
    let event = decode_event(&message.text).unwrap_or_else(|e| panic!("{}: {e}", message.origin));
    let type_name = message.type_name();
    assert_eq!(event.type_name(), type_name, "{}", message.origin);
    if Event::TYPE_NAMES.contains(&type_name) {
        assert!(
            !matches!(event, Event::Other(_)),
            "{}: known type {type_name} decoded as Other",
            message.origin
        );
    } else {
        match &event {
            Event::Other(unknown) => assert_eq!(unknown.raw, message.json, "{}", message.origin),
            other => panic!(
                "{}: unknown type {type_name} decoded as {other:?}",
                message.origin
            ),
        }
    }
    if let Some(application) = message.json.get("application").and_then(Value::as_str) {
        assert_eq!(event.application(), application, "{}", message.origin);
    }
    assert_eq!(
        event.asterisk_id(),
        message.json.get("asterisk_id").and_then(Value::as_str),
        "{}",
        message.origin
    );
    event
}

#[test]
fn every_recorded_event_decodes_into_its_own_variant() {
    let mut empty_files = Vec::new();
    let mut decoded = 0;
    for path in trace_files("events.jsonl") {
        let lines = json_lines(&path).len();
        let messages = messages_in(&path);
        assert_eq!(
            messages.len(),
            lines,
            "{}: every line is a typed message",
            label(&path)
        );
        for message in &messages {
            decode_message(message);
        }
        if messages.is_empty() {
            empty_files.push(label(&path));
        }
        decoded += messages.len();
    }
    // The errors scenario made REST calls only: its event log is empty.
    assert_eq!(
        empty_files,
        ["errors/events.jsonl"],
        "event files without events"
    );
    assert!(decoded > 0);
}

#[test]
fn outbound_websocket_messages_decode_too() {
    let requests = trace_files("requests.jsonl");
    assert!(!requests.is_empty(), "the outbound-ws recording is missing");
    for path in requests.iter().chain(&trace_files("connections.jsonl")) {
        for message in messages_in(path) {
            decode_message(&message);
        }
    }
    let typed: usize = requests.iter().map(|p| messages_in(p).len()).sum();
    assert!(typed > 0, "requests.jsonl holds typed messages");

    // The invalid frame the test server sent is kept as text: it is no event.
    let raw_frames: Vec<String> = requests
        .iter()
        .flat_map(|p| json_lines(p))
        .filter_map(|(_, json)| {
            json.get("_raw_text_frame_sent")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    assert!(!raw_frames.is_empty());
    for frame in raw_frames {
        assert!(
            matches!(decode_event(&frame), Err(Error::Event(_))),
            "{frame:?} decoded"
        );
    }
}

/// Collects, as `path: reason`, each member of `original` that `serialized` lost or changed.
fn lost_members(original: &Value, serialized: &Value, path: &str, lost: &mut Vec<String>) {
    match (original, serialized) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, value) in want {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match have.get(key) {
                    Some(kept) => lost_members(value, kept, &at, lost),
                    None => lost.push(format!("{at}: missing")),
                }
            }
        }
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => {
            for (i, (value, kept)) in want.iter().zip(have).enumerate() {
                lost_members(value, kept, &format!("{path}[{i}]"), lost);
            }
        }
        _ if original == serialized => {}
        _ => lost.push(format!("{path}: {original} became {serialized}")),
    }
}

#[test]
fn lost_members_reports_missing_and_changed_members() {
    let original = json!({"a": 1, "b": {"c": [1, 2], "d": "x"}, "e": null});
    let mut lost = Vec::new();
    lost_members(&original, &original, "", &mut lost);
    assert!(lost.is_empty(), "{lost:?}");
    let changed = json!({"a": 1, "b": {"c": [1, 3]}, "e": null, "extra": true});
    lost_members(&original, &changed, "", &mut lost);
    assert_eq!(lost, ["b.c[1]: 2 became 3", "b.d: missing"]);
}

fn assert_round_trip(origin: &str, original: &Value, event: &Event) {
    let serialized = serde_json::to_value(event).unwrap_or_else(|e| panic!("{origin}: {e}"));
    assert_eq!(serialized["type"], original["type"], "{origin}");
    let mut lost = Vec::new();
    lost_members(original, &serialized, "", &mut lost);
    assert!(
        lost.is_empty(),
        "{origin}: serializing lost members:\n{}",
        lost.join("\n")
    );
}

#[test]
fn decoded_events_serialize_back_with_every_member() {
    let messages = recorded_messages();
    assert!(!messages.is_empty());
    for message in &messages {
        assert_round_trip(&message.origin, &message.json, &decode_message(message));
    }
}

/// A recorded event of type `type_name`, as JSON.
fn recorded_event(type_name: &str) -> Value {
    recorded_messages()
        .into_iter()
        .find(|m| m.type_name() == type_name)
        .unwrap_or_else(|| panic!("no {type_name} recorded"))
        .json
}

fn event_error(text: &str) -> ari_sdk::EventDecodeError {
    match decode_event(text) {
        Err(Error::Event(e)) => *e,
        other => panic!("expected an event decode error for {text}, got {other:?}"),
    }
}

/// The object's members as JSON text with `type` moved to the end.
fn with_type_last(value: &Value) -> String {
    let object = value.as_object().expect("an object");
    let mut members: Vec<String> = object
        .iter()
        .filter(|(k, _)| *k != "type")
        .map(|(k, v)| format!("{}:{}", json!(k), v))
        .collect();
    members.push(format!("\"type\":{}", object["type"]));
    format!("{{{}}}", members.join(","))
}

#[test]
fn an_unknown_type_is_other_with_the_raw_json() {
    let frame = json!({
        "type": "BrandNewEvent",
        "application": "hello",
        "timestamp": "2026-11-27T10:36:17.719+0000",
        "asterisk_id": "02:fc:00:00:00:01",
        "gizmo": {"level": 3}
    });
    match decode_event(&frame.to_string()).expect("unknown types decode") {
        Event::Other(unknown) => {
            assert_eq!(unknown.type_name, "BrandNewEvent");
            assert_eq!(unknown.application, "hello");
            assert_eq!(unknown.asterisk_id.as_deref(), Some("02:fc:00:00:00:01"));
            assert_eq!(
                unknown.timestamp.map(|t| t.to_string()).as_deref(),
                Some("2026-11-27T10:36:17.719+0000")
            );
            assert_eq!(unknown.raw, frame);
        }
        other => panic!("expected Other, got {other:?}"),
    }
}

#[test]
fn a_known_type_with_a_wrong_field_is_an_error_naming_it() {
    let mut frame = recorded_event("StasisStart");
    frame["channel"] = json!(5);
    for text in [frame.to_string(), with_type_last(&frame)] {
        let error = event_error(&text);
        assert_eq!(error.event_type.as_deref(), Some("StasisStart"), "{text}");
        assert!(
            error.field.contains("channel"),
            "field {:?} for {text}",
            error.field
        );
    }

    let mut frame = recorded_event("StasisStart");
    frame["channel"]["dialplan"]["priority"] = json!("first");
    let error = event_error(&frame.to_string());
    assert_eq!(error.event_type.as_deref(), Some("StasisStart"));
    assert_eq!(error.field, "channel.dialplan.priority");

    let mut frame = recorded_event("ChannelDtmfReceived");
    frame.as_object_mut().unwrap().remove("channel");
    let error = event_error(&frame.to_string());
    assert_eq!(error.event_type.as_deref(), Some("ChannelDtmfReceived"));
    assert!(error.message.contains("channel"), "{}", error.message);
}

#[test]
fn malformed_frames_are_errors() {
    for text in [
        "",
        "not json",
        "{\"type\":\"StasisStart\",",
        "[1,2]",
        "{\"application\":\"x\"}",
        "{\"type\":5}",
    ] {
        assert!(
            matches!(decode_event(text), Err(Error::Event(_))),
            "{text:?} decoded"
        );
    }
}

#[test]
fn type_need_not_be_the_first_member() {
    let mut checked = 0;
    for message in recorded_messages()
        .iter()
        .filter(|m| Event::TYPE_NAMES.contains(&m.type_name()))
    {
        let reordered = with_type_last(&message.json);
        assert!(!reordered.starts_with("{\"type\""));
        let event = decode_event(&reordered).unwrap_or_else(|e| panic!("{}: {e}", message.origin));
        assert_eq!(event, decode_message(message), "{}", message.origin);
        checked += 1;
    }
    assert!(checked > 0);
}

// ---------------------------------------------------------------------------------------
// REST exchanges
// ---------------------------------------------------------------------------------------

/// One recorded REST exchange.
struct Exchange {
    origin: String,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Map<String, Value>>,
    status: u16,
    location: Option<String>,
    content_type: Option<String>,
    /// The answer: JSON, text, `""` for none, or `<N bytes TYPE>` for a binary body.
    response: Value,
}

impl Exchange {
    fn from_json(origin: String, x: &Value) -> Exchange {
        let text = |key: &str| x[key].as_str().map(str::to_owned);
        let query = x["query"]
            .as_object()
            .map(|q| q.iter().map(|(k, v)| (k.clone(), query_text(v))).collect())
            .unwrap_or_default();
        Exchange {
            origin,
            method: text("method").expect("method"),
            path: text("path").expect("path"),
            query,
            body: x["body"].as_object().cloned(),
            status: x["status"].as_u64().expect("status") as u16,
            location: text("location"),
            content_type: text("content_type"),
            response: x["response"].clone(),
        }
    }

    /// The size of a binary answer recorded as `<N bytes TYPE>`.
    fn binary_len(&self) -> Option<usize> {
        let text = self
            .response
            .as_str()?
            .strip_prefix('<')?
            .strip_suffix('>')?;
        let (n, rest) = text.split_once(' ')?;
        rest.starts_with("bytes ").then(|| n.parse().ok()).flatten()
    }

    fn is_json(&self) -> bool {
        self.response.is_object() || self.response.is_array()
    }

    /// The body to answer with.
    fn answer_body(&self) -> Vec<u8> {
        if let Some(n) = self.binary_len() {
            // Stand-in bytes of the recorded length, not all valid UTF-8.
            return (0..n).map(|i| (i % 251) as u8 ^ 0x80).collect();
        }
        match &self.response {
            Value::String(text) => text.clone().into_bytes(),
            json => serde_json::to_vec(json).unwrap(),
        }
    }

    fn answer(&self) -> ResponseTemplate {
        let mut answer = ResponseTemplate::new(self.status);
        let body = self.answer_body();
        answer = match &self.content_type {
            Some(content_type) => answer.set_body_raw(body, content_type),
            None => answer.set_body_bytes(body),
        };
        if let Some(location) = &self.location {
            answer = answer.insert_header("Location", location.as_str());
        }
        answer
    }

    /// Asterisk's explanation in an error body.
    fn error_message(&self) -> Option<&str> {
        ["message", "error"]
            .iter()
            .find_map(|k| self.response.get(k).and_then(Value::as_str))
    }
}

fn query_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn recorded_exchanges() -> Vec<Exchange> {
    trace_files("rest.jsonl")
        .iter()
        .flat_map(|path| {
            json_lines(path)
                .into_iter()
                .enumerate()
                .map(move |(n, (_, x))| {
                    Exchange::from_json(format!("{} line {}", label(path), n + 1), &x)
                })
        })
        .collect()
}

/// Static names for `Call::query`/`Call::body`, which take the spec's names.
fn static_name(name: &str) -> &'static str {
    Box::leak(name.to_owned().into_boxed_str())
}

fn method_named(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "PATCH" => Method::Patch,
        "HEAD" => Method::Head,
        other => panic!("unexpected method {other}"),
    }
}

fn literal_segments(template: &str) -> usize {
    split_path(template).iter().filter(|s| !is_param(s)).count()
}

/// The REST operations whose template matches `path`.
fn operations_for_path(path: &str) -> impl Iterator<Item = &'static OperationInfo> + '_ {
    OPERATIONS
        .iter()
        .filter(move |op| !op.websocket && path_matches(op.path, path))
}

/// The operation a recorded request was: same method, matching template, and among
/// several (`/channels/create` vs `/channels/{channelId}`) the most literal one.
fn find_operation(method: &str, path: &str) -> Option<&'static OperationInfo> {
    operations_for_path(path)
        .filter(|op| op.method.as_str() == method)
        .max_by_key(|op| literal_segments(op.path))
}

/// The path as `Seg`s of `op`'s template.
fn segments_for<'a>(op: &'static OperationInfo, path: &'a str) -> Vec<Seg<'a>> {
    split_path(op.path)
        .into_iter()
        .zip(split_path(path))
        .map(|(t, p)| {
            if is_param(t) {
                Seg::Id(&t[1..t.len() - 1], p)
            } else {
                Seg::Lit(t)
            }
        })
        .collect()
}

fn typed_call<T: Send + 'static>(
    client: &Client,
    op: &'static OperationInfo,
    x: &Exchange,
    decode: Decoder<T>,
) -> Call<T> {
    let mut call = Call::new(client, op, &segments_for(op, &x.path), decode);
    for (name, value) in &x.query {
        call.query(static_name(name), value.clone());
    }
    for (name, value) in x.body.iter().flatten() {
        call.body(static_name(name), value.clone());
    }
    call
}

async fn raw_call(client: &Client, x: &Exchange) -> ari_sdk::Result<Response<Value>> {
    let mut request = client
        .raw()
        .request(method_named(&x.method), x.path.trim_start_matches('/'));
    for (name, value) in &x.query {
        request = request.query(name, value.clone());
    }
    for (name, value) in x.body.iter().flatten() {
        request = request.body_field(name, value.clone());
    }
    request.send_full().await
}

/// The request that reached the server is the recorded one.
fn assert_same_request(x: &Exchange, request: &Request) {
    assert_eq!(request.method.as_str(), x.method, "{}", x.origin);
    let sent = request.url.path().strip_prefix("/ari").expect("under /ari");
    let sent: Vec<String> = split_path(sent).into_iter().map(percent_decode).collect();
    assert_eq!(
        sent,
        split_path(&x.path),
        "{}: sent {}",
        x.origin,
        request.url
    );
    let mut query: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let mut expected = x.query.clone();
    query.sort();
    expected.sort();
    assert_eq!(query, expected, "{}", x.origin);
    match &x.body {
        Some(body) => assert_eq!(
            request.body_json::<Value>().ok(),
            Some(Value::Object(body.clone())),
            "{}",
            x.origin
        ),
        None => assert!(request.body.is_empty(), "{}: unexpected body", x.origin),
    }
}

fn assert_success<T>(x: &Exchange, response: &Response<T>) {
    assert_eq!(response.status, x.status, "{}", x.origin);
    assert_eq!(response.location, x.location, "{}", x.origin);
}

fn assert_status_error(
    x: &Exchange,
    result: ari_sdk::Result<impl std::fmt::Debug>,
    documented: bool,
) {
    let error = match result {
        Err(error @ Error::Status(_)) => error,
        other => panic!("{}: expected HTTP {}, got {other:?}", x.origin, x.status),
    };
    assert_eq!(error.status(), Some(x.status), "{}", x.origin);
    assert_eq!(error.asterisk_message(), x.error_message(), "{}", x.origin);
    assert!(
        error.asterisk_message().is_some(),
        "{}: every recorded error says why",
        x.origin
    );
    assert_eq!(
        error.is_documented_status(),
        Some(documented),
        "{}",
        x.origin
    );
}

/// Replays one exchange with its operation; panics on any mismatch.
async fn replay_typed(client: &Client, op: &'static OperationInfo, x: &Exchange) {
    let success = (200..300).contains(&x.status);
    if let Some(n) = x.binary_len() {
        assert_eq!(
            op.response, "binary",
            "{}: {} answers bytes",
            x.origin, op.name
        );
        let response = typed_call::<Bytes>(client, op, x, decode_binary)
            .send_full()
            .await;
        let response = response.unwrap_or_else(|e| panic!("{}: {e}", x.origin));
        assert_success(x, &response);
        assert_eq!(response.value.len(), n, "{}", x.origin);
        return;
    }
    let result = typed_call(client, op, x, decode_json_or_null)
        .send_full()
        .await;
    if !success {
        assert_status_error(x, result, op.error_statuses.contains(&x.status));
        return;
    }
    let response = result.unwrap_or_else(|e| panic!("{}: {e}", x.origin));
    assert_success(x, &response);
    if x.is_json() {
        assert_eq!(response.value, x.response, "{}", x.origin);
        let checked = check_response(op.response, &x.answer_body());
        assert!(
            matches!(checked, Some(Ok(()))),
            "{}: {} as {}: {checked:?}",
            x.origin,
            op.name,
            op.response
        );
    } else {
        assert_eq!(x.response, json!(""), "{}: a text answer", x.origin);
        assert_eq!(response.value, Value::Null, "{}", x.origin);
        assert_eq!(
            op.response, "void",
            "{}: {} answered with no body",
            x.origin, op.name
        );
    }
}

async fn replay_raw(client: &Client, x: &Exchange) {
    assert!(
        !(200..300).contains(&x.status),
        "{}: a success on a path no operation has",
        x.origin
    );
    assert_status_error(x, raw_call(client, x).await, false);
}

#[tokio::test]
async fn every_recorded_rest_exchange_replays() {
    let server = MockServer::start().await;
    let client = Client::builder(format!("{}/ari", server.uri()))
        .basic_auth("hey", "peekaboo")
        .build()
        .unwrap();
    let exchanges = recorded_exchanges();
    let (mut typed, mut raw) = (0, 0);
    for x in &exchanges {
        server.reset().await;
        Mock::given(any())
            .respond_with(x.answer())
            .mount(&server)
            .await;
        match find_operation(&x.method, &x.path) {
            Some(op) => {
                replay_typed(&client, op, x).await;
                typed += 1;
            }
            None => {
                replay_raw(&client, x).await;
                raw += 1;
            }
        }
        let requests = server.received_requests().await.expect("recording on");
        assert_eq!(requests.len(), 1, "{}", x.origin);
        assert_same_request(x, &requests[0]);
    }
    assert_eq!(typed + raw, exchanges.len());
    assert!(typed > 50, "only {typed} exchanges matched an operation");
    assert!(
        raw >= 3,
        "the errors scenario has paths and methods no operation has"
    );
}

#[test]
fn recorded_paths_find_their_operations() {
    let name = |method: &str, path: &str| find_operation(method, path).map(|op| op.name);
    assert_eq!(name("POST", "/channels"), Some("channels.originate"));
    assert_eq!(name("POST", "/channels/create"), Some("channels.create"));
    assert_eq!(
        name("POST", "/channels/x"),
        Some("channels.originateWithId")
    );
    assert_eq!(
        name("GET", "/recordings/stored/conf-rec/file"),
        Some("recordings.getStoredFile")
    );
    assert_eq!(name("PUT", "/channels"), None);
    assert_eq!(name("POST", "/channels/x/hangup-not-a-route"), None);
}

/// `RESTResponse` events carry REST answers over the WebSocket: their JSON bodies decode as
/// the response type of an operation at that path.
#[test]
fn websocket_rest_responses_decode_as_their_operation() {
    let mut checked = 0;
    for message in recorded_messages()
        .iter()
        .filter(|m| m.type_name() == "RESTResponse")
    {
        let Event::RESTResponse(response) = decode_message(message) else {
            unreachable!()
        };
        let Some(body) = response.message_body.as_deref().filter(|b| !b.is_empty()) else {
            continue;
        };
        if !(200..300).contains(&response.status_code) {
            let error: Value =
                serde_json::from_str(body).unwrap_or_else(|e| panic!("{}: {e}", message.origin));
            assert!(error["message"].is_string(), "{}: {body}", message.origin);
            continue;
        }
        let path = format!("/{}", response.uri.split('?').next().unwrap_or_default());
        let decoded = operations_for_path(&path)
            .any(|op| matches!(check_response(op.response, body.as_bytes()), Some(Ok(()))));
        assert!(
            decoded,
            "{}: no operation at {path} has a response type that decodes {body}",
            message.origin
        );
        checked += 1;
    }
    assert!(checked > 0);
}

// ---------------------------------------------------------------------------------------
// The getting-started guide (older Asterisk: fewer fields)
// ---------------------------------------------------------------------------------------

/// `fixtures/guide/<dir>/*.json`, sorted, with their parsed values.
fn guide_files(dir: &str) -> Vec<(PathBuf, String, Value)> {
    let dir = fixtures_dir().join("guide").join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable");
            let value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, text, value)
        })
        .collect()
}

#[test]
fn guide_events_decode() {
    let events = guide_files("events");
    assert!(events.len() >= 3);
    for (path, text, json) in events {
        let origin = path.display().to_string();
        let message = Message {
            origin: origin.clone(),
            text,
            json,
        };
        let event = decode_message(&message);
        assert_round_trip(&origin, &message.json, &event);
        let Event::StasisStart(start) = event else {
            panic!("{origin}: expected StasisStart")
        };
        assert_eq!(start.args, ["world"]);
        assert_eq!(
            start.channel.id,
            message.json["channel"]["id"].as_str().unwrap()
        );
        assert_eq!(start.channel.dialplan.exten, "7000");
        assert_eq!(
            start.channel.dialplan.app_name, "",
            "absent in older Asterisk"
        );
        assert_eq!(start.channel.caller.name, "blink");
        assert_eq!(
            start.timestamp.expect("timestamp").to_string(),
            message.json["timestamp"].as_str().unwrap()
        );
    }
}

#[test]
fn guide_rest_bodies_decode_as_their_types() {
    let types_dir = fixtures_dir().join("guide/rest");
    let mut checked = 0;
    for entry in std::fs::read_dir(&types_dir).expect("guide/rest") {
        let response_type = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        for (path, text, _) in guide_files(&format!("rest/{response_type}")) {
            let checked_body = check_response(&response_type, text.as_bytes());
            assert!(
                matches!(checked_body, Some(Ok(()))),
                "{} as {response_type}: {checked_body:?}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 2);
}
