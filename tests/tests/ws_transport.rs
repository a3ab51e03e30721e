//! REST over the event WebSocket (`Transport::WebSocket`) against a scripted fake server:
//! the frames the SDK writes, matching answers to requests by `request_id`, concurrent
//! requests, errors, timeouts, and what requests in flight see when the connection goes.
//!
//! Every wait is bounded: a missing frame fails the test within 2 s instead of hanging.

use std::time::Duration;

use ari_sdk::{Client, Error, Event, EventStream, Item, Transport};
use serde_json::{Value, json};

#[path = "support/fake_ari.rs"]
mod fake_ari;
use fake_ari::{Conn, FakeAri, PASSWORD, USER, channel_json};

const LIMIT: Duration = Duration::from_secs(2);

fn ws_client(server: &FakeAri, timeout: Duration) -> Client {
    Client::builder(server.base_url())
        .basic_auth(USER, PASSWORD)
        .transport(Transport::WebSocket)
        .timeout(timeout)
        .build()
        .expect("client builds")
}

async fn connect(server: &FakeAri, client: &Client) -> (EventStream, Conn) {
    let mut stream = client
        .events(["hello"])
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(20))
        .connect()
        .await
        .expect("event connection");
    assert_eq!(next_item(&mut stream).await, Item::Connected);
    (stream, server.connection().await)
}

async fn next_item(stream: &mut EventStream) -> Item {
    tokio::time::timeout(LIMIT, stream.next())
        .await
        .expect("an item within 2 s")
        .expect("stream open")
        .expect("not an error")
}

/// Reads the next RESTRequest the client wrote.
async fn request(conn: &mut Conn) -> Value {
    let frame: Value = serde_json::from_str(&conn.received().await).expect("a JSON frame");
    assert_eq!(frame["type"], "RESTRequest", "{frame}");
    frame
}

/// A RESTResponse shaped like Asterisk 22's (tests/fixtures/traces/ws-rest).
fn response(request: &Value, status: u16, body: Option<Value>) -> String {
    let mut frame = json!({
        "type": "RESTResponse",
        "transaction_id": request["transaction_id"],
        "request_id": request["request_id"],
        "status_code": status,
        "reason_phrase": "",
        "uri": request["uri"],
        "application": "hello",
        "timestamp": "2026-11-27T10:36:49.333+0000",
        "asterisk_id": "02:fc:00:00:00:01"
    });
    if let Some(body) = body {
        frame["content_type"] = "application/json".into();
        frame["message_body"] = body.to_string().into();
    }
    frame.to_string()
}

#[tokio::test]
async fn requests_are_relative_uris_with_query_strings_and_json_bodies() {
    let server = FakeAri::start().await;
    let client = ws_client(&server, LIMIT);
    let (_stream, mut conn) = connect(&server, &client).await;

    let originate = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .channels()
                .originate("Local/7000@default")
                .app("hello")
                .variables([("CALLERID(name)", "Alice & Bob")])
                .await
        }
    });
    let frame = request(&mut conn).await;
    assert_eq!(frame["method"], "POST");
    assert_eq!(
        frame["uri"], "channels",
        "relative to /ari/, no leading slash"
    );
    let query: Vec<(String, String)> = frame["query_strings"]
        .as_array()
        .expect("query_strings")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(query.contains(&("endpoint".into(), "Local/7000@default".into())));
    assert!(query.contains(&("app".into(), "hello".into())));
    assert_eq!(frame["content_type"], "application/json");
    let body: Value = serde_json::from_str(frame["message_body"].as_str().expect("body string"))
        .expect("the body is JSON text");
    assert_eq!(body["variables"]["CALLERID(name)"], "Alice & Bob");
    assert!(
        !server.rest_calls().iter().any(|c| c.path == "/channels"),
        "nothing over HTTP"
    );

    conn.send(response(&frame, 200, Some(channel_json("ch-1", "Down"))));
    let channel = tokio::time::timeout(LIMIT, originate)
        .await
        .expect("answered")
        .expect("task")
        .expect("originate succeeds");
    assert_eq!(channel.id, "ch-1");
}

#[tokio::test]
async fn concurrent_requests_are_matched_by_request_id_whatever_the_answer_order() {
    let server = FakeAri::start().await;
    let client = ws_client(&server, LIMIT);
    let (_stream, mut conn) = connect(&server, &client).await;

    let ids: [&'static str; 5] = ["a", "b", "c", "d", "e"];
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let client = client.clone();
            let id = *id;
            tokio::spawn(async move { client.channel(id).get().await })
        })
        .collect();
    let mut requests = Vec::new();
    for _ in ids {
        requests.push(request(&mut conn).await);
    }
    let request_ids: std::collections::HashSet<&str> = requests
        .iter()
        .map(|r| r["request_id"].as_str().expect("request_id"))
        .collect();
    assert_eq!(request_ids.len(), ids.len(), "request ids are unique");
    // Answer in reverse order, each with the channel its uri names.
    for frame in requests.iter().rev() {
        let id = frame["uri"]
            .as_str()
            .unwrap()
            .trim_start_matches("channels/");
        conn.send(response(frame, 200, Some(channel_json(id, "Up"))));
    }
    for (id, task) in ids.iter().zip(tasks) {
        let channel = tokio::time::timeout(LIMIT, task)
            .await
            .expect("answered")
            .expect("task")
            .expect("get succeeds");
        assert_eq!(channel.id, *id, "each caller gets its own answer");
    }
}

#[tokio::test]
async fn error_statuses_and_empty_answers_come_out_as_over_http() {
    let server = FakeAri::start().await;
    let client = ws_client(&server, LIMIT);
    let (_stream, mut conn) = connect(&server, &client).await;

    let missing = tokio::spawn({
        let client = client.clone();
        async move { client.channel("nope").get().await }
    });
    let frame = request(&mut conn).await;
    assert_eq!(frame["method"], "GET");
    conn.send(response(
        &frame,
        404,
        Some(json!({"message": "Channel not found"})),
    ));
    let error = missing.await.expect("task").expect_err("404");
    assert!(error.is_not_found(), "{error}");
    assert_eq!(error.asterisk_message(), Some("Channel not found"));
    assert_eq!(error.is_documented_status(), Some(true));
    assert!(error.to_string().contains("channels.get"), "{error}");

    let hangup = tokio::spawn({
        let client = client.clone();
        async move { client.channel("ch-1").hangup().await }
    });
    let frame = request(&mut conn).await;
    assert_eq!(frame["method"], "DELETE");
    assert!(frame.get("message_body").is_none(), "no body: {frame}");
    conn.send(response(&frame, 204, None));
    hangup.await.expect("task").expect("204 is success");

    // A body that does not match the operation's type is a decode error naming it.
    let bad = tokio::spawn({
        let client = client.clone();
        async move { client.channel("ch-1").get().await }
    });
    let frame = request(&mut conn).await;
    conn.send(response(&frame, 200, Some(json!({"id": 5}))));
    let error = bad.await.expect("task").expect_err("bad body");
    assert!(matches!(error, Error::Decode { .. }), "{error}");
}

#[tokio::test]
async fn responses_stay_out_of_the_event_stream_and_events_keep_their_order() {
    let server = FakeAri::start().await;
    let client = ws_client(&server, LIMIT);
    let (mut stream, mut conn) = connect(&server, &client).await;

    let get = tokio::spawn({
        let client = client.clone();
        async move { client.channel("ch-1").get().await }
    });
    let frame = request(&mut conn).await;
    let varset = |value: &str| {
        json!({"type": "ChannelVarset", "variable": "X", "value": value,
               "application": "hello", "timestamp": "2026-11-27T10:36:49.333+0000"})
        .to_string()
    };
    conn.send(varset("1"));
    conn.send(response(&frame, 200, Some(channel_json("ch-1", "Up"))));
    conn.send(varset("2"));
    get.await.expect("task").expect("answered");
    for expected in ["1", "2"] {
        match next_item(&mut stream).await {
            Item::Event(Event::ChannelVarset(e)) => assert_eq!(e.value, expected),
            other => panic!("expected ChannelVarset {expected}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_request_without_answer_times_out_and_a_late_answer_harms_nothing() {
    let server = FakeAri::start().await;
    let client = ws_client(&server, Duration::from_millis(200));
    let (_stream, mut conn) = connect(&server, &client).await;

    let slow = tokio::spawn({
        let client = client.clone();
        async move { client.channel("ch-1").get().await }
    });
    let first = request(&mut conn).await;
    let error = tokio::time::timeout(LIMIT, slow)
        .await
        .expect("the timeout fires")
        .expect("task")
        .expect_err("no answer");
    assert!(error.is_timeout(), "{error}");
    assert!(error.may_have_executed());

    // The late answer arrives; the next request still gets its own.
    conn.send(response(&first, 200, Some(channel_json("late", "Up"))));
    let next = tokio::spawn({
        let client = client.clone();
        async move { client.channel("ch-2").get().await }
    });
    let second = request(&mut conn).await;
    assert_ne!(second["request_id"], first["request_id"]);
    conn.send(response(&second, 200, Some(channel_json("ch-2", "Up"))));
    let channel = next.await.expect("task").expect("answered");
    assert_eq!(channel.id, "ch-2");
}

#[tokio::test]
async fn requests_in_flight_fail_when_the_connection_drops_saying_they_may_have_run() {
    let server = FakeAri::start().await;
    let client = ws_client(&server, Duration::from_secs(5));
    let (mut stream, mut conn) = connect(&server, &client).await;

    let in_flight = tokio::spawn({
        let client = client.clone();
        async move { client.channel("ch-1").answer().await }
    });
    request(&mut conn).await;
    conn.close();
    let error = tokio::time::timeout(LIMIT, in_flight)
        .await
        .expect("fails at once, not after the 5 s timeout")
        .expect("task")
        .expect_err("connection lost");
    match &error {
        Error::ConnectionLost {
            sent, operation, ..
        } => {
            assert!(*sent);
            assert_eq!(operation, "channels.answer");
        }
        other => panic!("expected ConnectionLost, got {other:?}"),
    }
    assert!(error.may_have_executed());
    assert!(
        error.to_string().contains("may have been executed"),
        "{error}"
    );
    assert!(matches!(
        next_item(&mut stream).await,
        Item::Disconnected { .. }
    ));

    // While reconnecting, a new request waits and goes out on the new connection.
    let after = tokio::spawn({
        let client = client.clone();
        async move { client.channel("ch-1").get().await }
    });
    let mut conn = server.connection().await;
    let frame = request(&mut conn).await;
    conn.send(response(&frame, 200, Some(channel_json("ch-1", "Up"))));
    after
        .await
        .expect("task")
        .expect("sent after the reconnect");
    assert!(matches!(
        next_item(&mut stream).await,
        Item::Reconnected { .. }
    ));
}

#[tokio::test]
async fn closing_the_stream_fails_waiting_requests_as_never_sent() {
    let server = FakeAri::start().await;
    server.refuse_all(false);
    let client = ws_client(&server, Duration::from_secs(5));
    let (mut stream, conn) = connect(&server, &client).await;
    // Drop the connection and refuse reconnects: requests queue, unsent.
    server.refuse_all(true);
    conn.close();
    assert!(matches!(
        next_item(&mut stream).await,
        Item::Disconnected { .. }
    ));
    let queued = tokio::spawn({
        let client = client.clone();
        async move { client.channel("ch-1").hangup().await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream.close().await;
    let error = tokio::time::timeout(LIMIT, queued)
        .await
        .expect("fails when the stream closes")
        .expect("task")
        .expect_err("never sent");
    assert!(
        matches!(error, Error::ConnectionLost { sent: false, .. }),
        "{error:?}"
    );
    assert!(!error.may_have_executed());
    assert!(error.to_string().contains("never sent"), "{error}");

    // No connection at all: a clear error at once.
    let error = client
        .channel("ch-1")
        .get()
        .await
        .expect_err("no connection");
    assert!(
        matches!(error, Error::NoEventConnection { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("WebSocket transport"), "{error}");
}

#[tokio::test]
async fn a_per_request_timeout_overrides_the_clients() {
    let server = FakeAri::start().await;
    let client = ws_client(&server, Duration::from_secs(30));
    let (_stream, mut conn) = connect(&server, &client).await;
    let quick = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .channel("ch-1")
                .get()
                .request_timeout(Duration::from_millis(100))
                .await
        }
    });
    request(&mut conn).await;
    let error = tokio::time::timeout(LIMIT, quick)
        .await
        .expect("the request's own timeout fires, not the client's 30 s")
        .expect("task")
        .expect_err("no answer");
    match error {
        Error::Timeout { timeout, .. } => assert_eq!(timeout, Duration::from_millis(100)),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

/// A server that stops reading: once the socket's buffers are full a request's write
/// blocks, and the request still ends at its timeout (the caller writes its own request,
/// so the write counts against the request's time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_ends_at_its_timeout_even_when_the_server_stops_reading() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
        // Holds the socket open and never reads it.
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let client = Client::builder(format!("http://{addr}/ari"))
        .basic_auth(USER, PASSWORD)
        .transport(Transport::WebSocket)
        .timeout(Duration::from_millis(500))
        .build()
        .expect("client builds");
    let _events = client.events(["hello"]).connect().await.expect("connect");
    // 16 requests of 1 MiB each: more than loopback's socket buffers hold.
    let padding = Value::String("x".repeat(1 << 20));
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..16 {
        let (client, padding) = (client.clone(), padding.clone());
        tasks.spawn(async move {
            client
                .raw()
                .post(&format!("bridges/b{n}"))
                .body_field("padding", padding)
                .send()
                .await
        });
    }
    while let Some(done) = tokio::time::timeout(LIMIT * 2, tasks.join_next())
        .await
        .expect("every request ends near its timeout")
    {
        let error = done.expect("task").expect_err("nobody answers");
        assert!(error.is_timeout(), "{error}");
    }
    assert!(started.elapsed() < LIMIT, "{:?}", started.elapsed());
}
