//! REST over the event WebSocket (`RESTRequest` / `RESTResponse`), checked with a plain
//! WebSocket client against what Asterisk 22 answered in `asterisk-traces/ws-rest` and
//! `asterisk-traces/outbound-ws`.

#[path = "frames/support.rs"]
mod support;

use std::time::Duration;

use ari_sim::Simulator;
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::{json_of, keys};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WAIT: Duration = Duration::from_secs(5);

/// The field order of a recorded response with a body, and of one without (204).
const WITH_BODY: &[&str] = &[
    "type",
    "transaction_id",
    "request_id",
    "status_code",
    "reason_phrase",
    "uri",
    "content_type",
    "message_body",
    "application",
    "timestamp",
    "asterisk_id",
];
const WITHOUT_BODY: &[&str] = &[
    "type",
    "transaction_id",
    "request_id",
    "status_code",
    "reason_phrase",
    "uri",
    "application",
    "timestamp",
    "asterisk_id",
];

async fn open(sim: &Simulator, user: &str, password: &str, apps: &str) -> Socket {
    let url = format!("ws://{}/ari/events?app={apps}", sim.addr());
    let mut request = url.into_client_request().unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    request
        .headers_mut()
        .insert("Authorization", format!("Basic {auth}").parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
}

async fn send(socket: &mut Socket, frame: Value) {
    socket.send(Message::text(frame.to_string())).await.unwrap();
}

/// The next text frame, parsed.
async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("no socket error");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("frames are JSON");
        }
    }
}

/// The next `RESTResponse`, and the events seen before it.
async fn response(socket: &mut Socket) -> (Value, Vec<Value>) {
    let mut events = Vec::new();
    loop {
        let frame = next(socket).await;
        if frame["type"] == "RESTResponse" {
            return (frame, events);
        }
        events.push(frame);
    }
}

fn body(frame: &Value) -> Value {
    serde_json::from_str(frame["message_body"].as_str().expect("a body")).unwrap()
}

async fn request(socket: &mut Socket, frame: Value) -> Value {
    send(socket, frame).await;
    response(socket).await.0
}

#[tokio::test]
async fn requests_over_the_event_socket_answer_like_the_recording() {
    let sim = Simulator::start().await.unwrap();
    let mut ws = open(&sim, "hey", "peekaboo", "hello").await;

    let info = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "t1", "request_id": "1",
               "method": "GET", "uri": "asterisk/info"}),
    )
    .await;
    assert_eq!(keys(&info), WITH_BODY);
    assert_eq!(
        (
            &info["transaction_id"],
            &info["request_id"],
            &info["status_code"]
        ),
        (&json!("t1"), &json!("1"), &json!(200))
    );
    assert_eq!(
        (&info["reason_phrase"], &info["uri"], &info["content_type"]),
        (
            &json!("OK"),
            &json!("asterisk/info"),
            &json!("application/json")
        )
    );
    assert_eq!(info["application"], "hello");
    assert_eq!(info["asterisk_id"], "02:fc:00:00:00:01");
    assert!(body(&info)["system"]["version"].is_string());

    let channels = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "t1", "request_id": "2",
               "method": "GET", "uri": "channels"}),
    )
    .await;
    assert_eq!(channels["message_body"], "[]");

    // A query in query_strings, as the recording created its bridge.
    let bridge = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "t1", "request_id": "3",
               "method": "POST", "uri": "bridges",
               "query_strings": [{"name": "type", "value": "holding"},
                                 {"name": "bridgeId", "value": "wsb"}]}),
    )
    .await;
    assert_eq!(bridge["status_code"], 200);
    assert_eq!(body(&bridge)["id"], "wsb");
    assert_eq!(body(&bridge)["bridge_type"], "holding");

    let destroyed = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "t1", "request_id": "4",
               "method": "DELETE", "uri": "bridges/wsb"}),
    )
    .await;
    assert_eq!(keys(&destroyed), WITHOUT_BODY);
    assert_eq!(
        (&destroyed["status_code"], &destroyed["reason_phrase"]),
        (&json!(204), &json!("No Content"))
    );

    let missing = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "t1", "request_id": "5",
               "method": "GET", "uri": "channels/nope"}),
    )
    .await;
    assert_eq!(
        (&missing["status_code"], &missing["reason_phrase"]),
        (&json!(404), &json!("Not Found"))
    );
    assert_eq!(
        missing["message_body"],
        r#"{"message":"Channel not found"}"#
    );

    let variable = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "t1", "request_id": "6",
               "method": "POST", "uri": "asterisk/variable",
               "query_strings": [{"name": "variable", "value": "WSVAR"},
                                 {"name": "value", "value": "over ws"}]}),
    )
    .await;
    assert_eq!(variable["status_code"], 204);
    // The state changed as over HTTP.
    let value = json_of(
        reqwest::Client::new()
            .get(format!(
                "{}/asterisk/variable?variable=WSVAR",
                sim.base_url()
            ))
            .basic_auth("hey", Some("peekaboo")),
    )
    .await;
    assert_eq!(value["value"], "over ws");
}

#[tokio::test]
async fn a_json_body_originates_and_the_response_precedes_the_events_it_causes() {
    let sim = Simulator::builder()
        .answer_delay(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let mut ws = open(&sim, "hey", "peekaboo", "hello").await;
    let body_text = json!({"endpoint": "Local/7002@default", "app": "hello",
                           "appArgs": "via-json-body", "variables": {"FOO": "bar"}})
    .to_string();
    send(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "x11", "request_id": "originate",
               "method": "POST", "uri": "channels", "content_type": "application/json",
               "message_body": body_text}),
    )
    .await;
    let (originated, before) = response(&mut ws).await;
    assert!(before.is_empty(), "events before the response: {before:?}");
    assert_eq!(originated["status_code"], 200);
    let channel = body(&originated);
    assert_eq!(channel["dialplan"]["app_name"], "AppDial2");
    let id = channel["id"].as_str().unwrap().to_owned();
    let start = loop {
        let frame = next(&mut ws).await;
        if frame["type"] == "StasisStart" {
            break frame;
        }
    };
    assert_eq!(start["channel"]["id"], id.as_str());
    assert_eq!(start["args"], json!(["via-json-body"]));

    // A user event: its response first, then the event, as recorded.
    send(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "x10", "request_id": "user-event",
               "method": "POST", "uri": "events/user/ping",
               "query_strings": [{"name": "application", "value": "hello"}]}),
    )
    .await;
    let (answered, before) = response(&mut ws).await;
    assert_eq!(answered["status_code"], 204);
    assert!(before.iter().all(|e| e["type"] != "ChannelUserevent"));
    assert_eq!(next(&mut ws).await["type"], "ChannelUserevent");

    // Hang-up: 204, then StasisEnd.
    let hangup = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "t9", "request_id": "hangup",
               "method": "DELETE", "uri": format!("channels/{id}")}),
    )
    .await;
    assert_eq!(hangup["status_code"], 204);
    loop {
        let frame = next(&mut ws).await;
        if frame["type"] == "StasisEnd" {
            assert_eq!(frame["channel"]["id"], id.as_str());
            break;
        }
    }
}

#[tokio::test]
async fn the_recorded_quirks_are_reproduced() {
    let sim = Simulator::start().await.unwrap();
    let mut ws = open(&sim, "hey", "peekaboo", "outapp").await;

    // No ids: echoed empty.
    let no_ids = request(
        &mut ws,
        json!({"type": "RESTRequest", "method": "GET", "uri": "applications/outapp"}),
    )
    .await;
    assert_eq!(
        (&no_ids["transaction_id"], &no_ids["request_id"]),
        (&json!(""), &json!(""))
    );
    assert_eq!(body(&no_ids)["name"], "outapp");

    let leading_slash = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "x2", "request_id": "leading-slash",
               "method": "GET", "uri": "/channels"}),
    )
    .await;
    assert_eq!(keys(&leading_slash), WITH_BODY);
    assert_eq!(
        (
            &leading_slash["status_code"],
            &leading_slash["reason_phrase"]
        ),
        (&json!(405), &json!("Method Not Allowed"))
    );
    assert_eq!(leading_slash["uri"], "/channels");
    assert_eq!(
        leading_slash["message_body"],
        r#"{"message":"Invalid method"}"#
    );

    let inline = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "x3", "request_id": "inline-query",
               "method": "GET", "uri": "asterisk/info?only=system"}),
    )
    .await;
    assert_eq!(inline["uri"], "asterisk/info");
    let only: Vec<String> = body(&inline).as_object().unwrap().keys().cloned().collect();
    assert_eq!(only, ["system"]);

    let form = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "x4", "request_id": "form-body",
               "method": "GET", "uri": "asterisk/info",
               "content_type": "application/x-www-form-urlencoded",
               "message_body": "only=build"}),
    )
    .await;
    let only: Vec<String> = body(&form).as_object().unwrap().keys().cloned().collect();
    assert_eq!(only, ["build"]);

    let unknown = request(
        &mut ws,
        json!({"type": "Foo", "transaction_id": "x5", "request_id": "unknown-type"}),
    )
    .await;
    assert_eq!(keys(&unknown), WITH_BODY);
    assert_eq!(
        (
            &unknown["status_code"],
            &unknown["reason_phrase"],
            &unknown["uri"]
        ),
        (&json!(400), &json!("Bad request"), &json!(""))
    );
    assert_eq!(
        (&unknown["transaction_id"], &unknown["request_id"]),
        (&json!("x5"), &json!("unknown-type"))
    );
    assert_eq!(
        unknown["message_body"],
        r#"{"message":"Unknown request type."}"#
    );

    let no_method = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "x6", "request_id": "no-method",
               "uri": "channels"}),
    )
    .await;
    assert_eq!(
        (&no_method["status_code"], &no_method["uri"]),
        (&json!(400), &json!("channels"))
    );
    assert_eq!(
        no_method["message_body"],
        r#"{"message":"Unknown or missing 'method' property."}"#
    );

    ws.send(Message::text("this is not json")).await.unwrap();
    let not_json = response(&mut ws).await.0;
    assert_eq!(keys(&not_json), WITHOUT_BODY);
    assert_eq!(
        (
            &not_json["status_code"],
            &not_json["reason_phrase"],
            &not_json["uri"]
        ),
        (
            &json!(400),
            &json!("Failed to parse request message JSON"),
            &json!("")
        )
    );
    assert_eq!(
        (&not_json["transaction_id"], &not_json["request_id"]),
        (&json!(""), &json!(""))
    );

    let absent = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "x8", "request_id": "404",
               "method": "GET", "uri": "channels/does-not-exist"}),
    )
    .await;
    assert_eq!(absent["message_body"], r#"{"message":"Channel not found"}"#);

    let trailing = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "x9", "request_id": "trailing-slash",
               "method": "GET", "uri": "channels/"}),
    )
    .await;
    assert_eq!(
        (&trailing["status_code"], &trailing["uri"]),
        (&json!(404), &json!("channels/"))
    );
    assert_eq!(
        trailing["message_body"],
        r#"{"message":"ARI URLs do not end with a slash. Try /ari/channels"}"#
    );

    // Asterisk's own checks on the frame (not in the recording, from its parser).
    let no_uri = request(
        &mut ws,
        json!({"type": "RESTRequest", "request_id": "no-uri", "method": "GET"}),
    )
    .await;
    assert_eq!(
        no_uri["message_body"],
        r#"{"message":"Empty or missing 'uri' property."}"#
    );
    let bad_body = request(
        &mut ws,
        json!({"type": "RESTRequest", "method": "POST", "uri": "channels",
               "message_body": "{}"}),
    )
    .await;
    assert_eq!(
        bad_body["message_body"],
        r#"{"message":"No 'content_type' for 'message_body'."}"#
    );
    let bad_query = request(
        &mut ws,
        json!({"type": "RESTRequest", "method": "GET", "uri": "channels",
               "query_strings": {"name": "x"}}),
    )
    .await;
    assert_eq!(
        bad_query["message_body"],
        r#"{"message":"Unable to parse 'query_strings' array."}"#
    );
    // A JSON frame that is not an object has no `type`.
    let array = request(&mut ws, json!([1, 2, 3])).await;
    assert_eq!(array["status_code"], 400);
    // The socket still works.
    let ping = request(
        &mut ws,
        json!({"type": "RESTRequest", "method": "GET", "uri": "asterisk/ping"}),
    )
    .await;
    assert_eq!(ping["status_code"], 200);
}

#[tokio::test]
async fn a_read_only_user_reads_but_may_not_write_over_its_socket() {
    let sim = Simulator::start().await.unwrap();
    let mut ws = open(&sim, "ro", "ro", "outapp").await;
    let get = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "ro1", "request_id": "ro-get",
               "method": "GET", "uri": "channels"}),
    )
    .await;
    assert_eq!(
        (&get["status_code"], &get["message_body"]),
        (&json!(200), &json!("[]"))
    );
    let post = request(
        &mut ws,
        json!({"type": "RESTRequest", "transaction_id": "ro2", "request_id": "ro-post",
               "method": "POST", "uri": "channels",
               "query_strings": [{"name": "endpoint", "value": "Local/7002@default"},
                                 {"name": "app", "value": "outapp"}]}),
    )
    .await;
    assert_eq!(
        (&post["status_code"], &post["reason_phrase"]),
        (&json!(403), &json!("Forbidden"))
    );
    assert_eq!(post["message_body"], r#"{"message":"Write access denied"}"#);
    assert!(sim.control().channel_ids().is_empty());
}

#[tokio::test]
async fn pipelined_requests_are_answered_one_at_a_time_in_order() {
    let sim = Simulator::start().await.unwrap();
    let mut ws = open(&sim, "hey", "peekaboo", "hello").await;
    let count = 60;
    for n in 0..count {
        let frame = match n % 4 {
            0 => json!({"type": "RESTRequest", "request_id": n.to_string(), "method": "GET",
                        "uri": "asterisk/info"}),
            1 => json!({"type": "RESTRequest", "request_id": n.to_string(), "method": "POST",
                        "uri": "asterisk/variable",
                        "query_strings": [{"name": "variable", "value": "N"},
                                          {"name": "value", "value": n.to_string()}]}),
            2 => json!({"type": "RESTRequest", "request_id": n.to_string(), "method": "GET",
                        "uri": "asterisk/variable",
                        "query_strings": [{"name": "variable", "value": "N"}]}),
            _ => json!({"type": "RESTRequest", "request_id": n.to_string(), "method": "GET",
                        "uri": "channels/nope"}),
        };
        send(&mut ws, frame).await;
    }
    for n in 0..count {
        let answer = response(&mut ws).await.0;
        assert_eq!(answer["request_id"], n.to_string());
        if n % 4 == 2 {
            // Each read sees the write just before it: one at a time, in order.
            assert_eq!(body(&answer)["value"], (n - 1).to_string());
        }
    }
}

/// A request is answered where its frame is read, except when an injected delay holds it
/// back: then it and every request after it wait in turn (answers stay in order, a write
/// after it is not seen early), while events keep flowing meanwhile.
#[tokio::test]
async fn a_delayed_request_holds_back_the_ones_after_it_but_not_the_events() {
    let sim = Simulator::start().await.unwrap();
    let mut ws = open(&sim, "hey", "peekaboo", "hello").await;
    let set = |n: u32| {
        json!({"type": "RESTRequest", "request_id": n.to_string(), "method": "POST",
               "uri": "asterisk/variable",
               "query_strings": [{"name": "variable", "value": "D"},
                                 {"name": "value", "value": n.to_string()}]})
    };
    let get = |n: u32| {
        json!({"type": "RESTRequest", "request_id": n.to_string(), "method": "GET",
               "uri": "asterisk/variable", "query_strings": [{"name": "variable", "value": "D"}]})
    };
    let started = std::time::Instant::now();
    sim.control().delay_responses(Duration::from_millis(300));
    send(&mut ws, set(1)).await;
    // Request 1 has taken its delay; the ones after it have none of their own.
    tokio::time::sleep(Duration::from_millis(50)).await;
    sim.control().delay_responses(Duration::ZERO);
    send(&mut ws, get(2)).await;
    send(&mut ws, set(3)).await;
    send(&mut ws, get(4)).await;
    // A call enters `hello` while request 1 waits: its events come before any answer.
    sim.control().call("7000").expect("7000 exists");
    let (first, events) = response(&mut ws).await;
    assert_eq!(first["request_id"], "1");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "request 1 was delayed"
    );
    assert!(
        events.iter().any(|e| e["type"] == "StasisStart"),
        "events flowed while the request waited: {events:?}"
    );
    let second = response(&mut ws).await.0;
    assert_eq!(second["request_id"], "2");
    assert_eq!(body(&second)["value"], "1", "request 2 ran after request 1");
    assert_eq!(response(&mut ws).await.0["request_id"], "3");
    let fourth = response(&mut ws).await.0;
    assert_eq!(fourth["request_id"], "4");
    assert_eq!(body(&fourth)["value"], "3");
}

#[tokio::test]
async fn injected_failures_and_the_http_trailing_slash_match_the_socket() {
    let sim = Simulator::start().await.unwrap();
    let mut ws = open(&sim, "hey", "peekaboo", "hello").await;
    sim.control().fail_next(500, 1);
    let failed = request(
        &mut ws,
        json!({"type": "RESTRequest", "method": "GET", "uri": "channels"}),
    )
    .await;
    assert_eq!(
        (&failed["status_code"], &failed["reason_phrase"]),
        (&json!(500), &json!("Internal Server Error"))
    );
    // Over HTTP, the same trailing-slash answer as Asterisk's.
    let answer = reqwest::Client::new()
        .get(format!("{}/channels/", sim.base_url()))
        .basic_auth("hey", Some("peekaboo"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 404);
    let message: Value = answer.json().await.unwrap();
    assert_eq!(
        message["message"],
        "ARI URLs do not end with a slash. Try /ari/channels"
    );
    // And a form body over HTTP sets parameters, as Asterisk's post_vars do.
    let answer = reqwest::Client::new()
        .post(format!("{}/asterisk/variable", sim.base_url()))
        .basic_auth("hey", Some("peekaboo"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("variable=FORMVAR&value=a+b")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 204);
    let got = request(
        &mut ws,
        json!({"type": "RESTRequest", "method": "GET", "uri": "asterisk/variable?variable=FORMVAR"}),
    )
    .await;
    assert_eq!(body(&got)["value"], "a b");
}

/// Asterisk 22.10.1 (`ari_websocket_requests.c`) gives a `RESTRequest` without a
/// `message_body` the JSON body `null`; the event filter reads the whole body and refuses
/// `null` with 400 "Invalid format definition", where the same request over HTTP (no body
/// at all) clears the filter. An empty object clears it on both.
#[tokio::test]
async fn an_event_filter_without_a_body_is_refused_over_the_socket_only() {
    let sim = Simulator::start().await.unwrap();
    let mut ws = open(&sim, "hey", "peekaboo", "hello").await;
    let filter = |body: Option<&str>| {
        let mut frame = json!({
            "type": "RESTRequest",
            "transaction_id": "t",
            "request_id": "r",
            "method": "PUT",
            "uri": "applications/hello/eventFilter",
        });
        if let Some(body) = body {
            frame["content_type"] = json!("application/json");
            frame["message_body"] = json!(body);
        }
        frame
    };
    let refused = request(&mut ws, filter(None)).await;
    assert_eq!(refused["status_code"], 400, "{refused}");
    assert_eq!(body(&refused)["message"], "Invalid format definition");
    let cleared = request(&mut ws, filter(Some("{}"))).await;
    assert_eq!(cleared["status_code"], 200, "{cleared}");

    let over_http = reqwest::Client::new()
        .put(format!("{}/applications/hello/eventFilter", sim.base_url()))
        .basic_auth("hey", Some("peekaboo"))
        .send()
        .await
        .unwrap();
    assert_eq!(over_http.status(), 200);
}
