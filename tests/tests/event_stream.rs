//! The event WebSocket client against a fake ARI server: connection items, decoding,
//! authentication, reconnects, dead-connection detection, lag, per-resource streams and
//! race-free waits on what a request creates.
//!
//! Every wait is bounded: a missing item fails the test within 2 s instead of hanging.

use std::time::{Duration, Instant};

use ari_sdk::{
    ChannelState, Client, Error, Event, EventStream, EventsBuilder, Item, LiveRecordingState,
    PlaybackState, ResourceEvents, Timestamp,
};
use serde_json::{Value, json};

#[path = "support/fake_ari.rs"]
mod fake_ari;
use fake_ari::{BASIC_HEADER, Conn, FakeAri, channel_json};

/// Upper bound for anything that should happen; only reached when a test fails.
const LIMIT: Duration = Duration::from_secs(2);
const ASTERISK_ID: &str = "02:fc:00:00:00:01";
const TIME: &str = "2026-11-27T10:36:17.721+0000";

// ---------------------------------------------------------------------------------------
// Event frames, shaped like the walkthrough trace (tests/fixtures/traces/walkthrough)
// ---------------------------------------------------------------------------------------

/// An event frame: `type` first, then `timestamp`, the fields, `asterisk_id`, `application`.
fn event(event_type: &str, fields: Value) -> String {
    let mut object = serde_json::Map::new();
    object.insert("type".into(), event_type.into());
    object.insert("timestamp".into(), TIME.into());
    object.extend(fields.as_object().expect("fields are an object").clone());
    object.insert("asterisk_id".into(), ASTERISK_ID.into());
    object.insert("application".into(), "hello".into());
    Value::Object(object).to_string()
}

fn stasis_start(channel: &str, args: &[&str]) -> String {
    event(
        "StasisStart",
        json!({"args": args, "channel": channel_json(channel, "Ring")}),
    )
}

fn stasis_end(channel: &str) -> String {
    event("StasisEnd", json!({"channel": channel_json(channel, "Up")}))
}

fn state_change(channel: &str, state: &str) -> String {
    event(
        "ChannelStateChange",
        json!({"channel": channel_json(channel, state)}),
    )
}

fn varset(channel: &str, value: usize) -> String {
    event(
        "ChannelVarset",
        json!({"variable": "N", "value": value.to_string(), "channel": channel_json(channel, "Up")}),
    )
}

fn dtmf(channel: &str, digit: &str) -> String {
    event(
        "ChannelDtmfReceived",
        json!({"digit": digit, "duration_ms": 100, "channel": channel_json(channel, "Up")}),
    )
}

fn channel_destroyed(channel: &str, cause: i64, cause_txt: &str) -> String {
    event(
        "ChannelDestroyed",
        json!({"cause": cause, "cause_txt": cause_txt, "channel": channel_json(channel, "Down")}),
    )
}

fn dial(caller: Option<&str>, peer: &str) -> String {
    let mut fields = json!({"dialstatus": "", "forward": "", "dialstring": "7000@default",
                            "peer": channel_json(peer, "Down")});
    if let Some(caller) = caller {
        fields["caller"] = channel_json(caller, "Up");
    }
    event("Dial", fields)
}

fn playback(event_type: &str, id: &str, target: &str) -> String {
    let state = if event_type == "PlaybackFinished" {
        "done"
    } else {
        "playing"
    };
    event(
        event_type,
        json!({"playback": {"id": id, "media_uri": "sound:hello-world", "target_uri": target,
                            "language": "en", "state": state}}),
    )
}

fn recording(event_type: &str, name: &str, target: &str, cause: Option<&str>) -> String {
    let state = match event_type {
        "RecordingFinished" => "done",
        "RecordingFailed" => "failed",
        _ => "recording",
    };
    let mut rec = json!({"name": name, "format": "wav", "state": state, "target_uri": target});
    if let Some(cause) = cause {
        rec["cause"] = cause.into();
    }
    event(event_type, json!({"recording": rec}))
}

fn bridge_json(id: &str, channels: &[&str]) -> Value {
    json!({"id": id, "technology": "holding_bridge", "bridge_type": "holding",
           "bridge_class": "stasis", "creator": "Stasis", "name": "", "channels": channels,
           "creationtime": "2026-11-27T10:36:19.850+0000", "video_mode": "talker"})
}

fn bridge_event(event_type: &str, bridge: &str) -> String {
    event(event_type, json!({"bridge": bridge_json(bridge, &[])}))
}

fn entered_bridge(bridge: &str, channel: &str) -> String {
    event(
        "ChannelEnteredBridge",
        json!({"bridge": bridge_json(bridge, &[channel]), "channel": channel_json(channel, "Up")}),
    )
}

fn application_replaced(app: &str) -> String {
    // As in the app-replaced trace: no `type`-specific fields, the application is the one lost.
    json!({"type": "ApplicationReplaced", "timestamp": TIME, "application": app,
           "asterisk_id": ASTERISK_ID})
    .to_string()
}

// ---------------------------------------------------------------------------------------
// Reading with bounds
// ---------------------------------------------------------------------------------------

async fn next(stream: &mut EventStream) -> ari_sdk::Result<Item> {
    tokio::time::timeout(LIMIT, stream.next())
        .await
        .expect("an item within 2 s")
        .expect("the stream goes on")
}

async fn next_ok(stream: &mut EventStream) -> Item {
    next(stream).await.expect("an item, not an error")
}

async fn next_event(stream: &mut EventStream) -> Event {
    match next_ok(stream).await {
        Item::Event(e) => e,
        other => panic!("expected an event, got {other:?}"),
    }
}

async fn assert_ends(stream: &mut EventStream) {
    let end = tokio::time::timeout(LIMIT, stream.next()).await;
    assert!(
        matches!(end, Ok(None)),
        "expected the end of the stream, got {end:?}"
    );
}

async fn next_of(events: &mut ResourceEvents) -> Option<ari_sdk::Result<Event>> {
    tokio::time::timeout(LIMIT, events.next())
        .await
        .expect("a resource stream item (or its end) within 2 s")
}

/// Types of everything a resource stream yields until it ends.
async fn drain_types(events: &mut ResourceEvents) -> Vec<String> {
    let mut types = Vec::new();
    while let Some(item) = next_of(events).await {
        types.push(item.expect("no error").type_name().to_owned());
    }
    types
}

/// Reads the main stream until an event of `event_type` (proves it was processed).
async fn skip_to(stream: &mut EventStream, event_type: &str) -> Event {
    loop {
        if let Item::Event(e) = next_ok(stream).await {
            if e.type_name() == event_type {
                return e;
            }
        }
    }
}

/// A connected stream (its `Connected` item read) and the server side of the connection.
async fn connect(
    server: &FakeAri,
    configure: impl FnOnce(EventsBuilder) -> EventsBuilder,
) -> (Client, EventStream, Conn) {
    let client = server.client();
    let mut stream = configure(client.events(["hello"]))
        .connect()
        .await
        .expect("connects");
    let conn = server.connection().await;
    assert_eq!(next_ok(&mut stream).await, Item::Connected);
    (client, stream, conn)
}

fn fast_reconnect(b: EventsBuilder) -> EventsBuilder {
    b.reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200))
}

// ---------------------------------------------------------------------------------------
// 1. Connection, order, typed decoding, URL and credentials
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn connected_comes_first_then_the_trace_in_order_typed() {
    let server = FakeAri::start().await;
    let client = server.client();
    let mut stream = client.events(["hello", "other"]).connect().await.unwrap();
    let conn = server.connection().await;
    assert_eq!(next_ok(&mut stream).await, Item::Connected);

    let trace = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/traces/walkthrough/events.jsonl"
    ))
    .unwrap();
    let lines: Vec<&str> = trace.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() > 20, "the walkthrough trace has its events");
    for line in &lines {
        conn.send(*line);
    }
    let mut events = Vec::new();
    for line in &lines {
        let expected: Value = serde_json::from_str(line).unwrap();
        let event = next_event(&mut stream).await;
        assert_eq!(event.type_name(), expected["type"].as_str().unwrap());
        assert!(
            !matches!(event, Event::Other(_)),
            "{event:?} is a known type"
        );
        events.push(event);
    }

    let Some(Event::StasisStart(start)) = events.iter().find(|e| e.type_name() == "StasisStart")
    else {
        panic!("the trace has a StasisStart");
    };
    assert_eq!(start.args, ["world"]);
    assert_eq!(start.channel.id, "1795775777.1");
    assert_eq!(start.channel.state, ChannelState::Ring);
    let start = Event::StasisStart(start.clone());
    assert_eq!(start.type_name(), "StasisStart");
    assert_eq!(start.application(), "hello");
    assert_eq!(start.asterisk_id(), Some(ASTERISK_ID));
    assert_eq!(
        start.timestamp(),
        Some(&Timestamp::parse("2026-11-27T10:36:17.721+0000").unwrap())
    );
    let Some(Event::PlaybackFinished(finished)) =
        events.iter().find(|e| e.type_name() == "PlaybackFinished")
    else {
        panic!("the trace has a PlaybackFinished");
    };
    assert_eq!(finished.playback.state, PlaybackState::Done);
    assert_eq!(finished.playback.target_uri, "channel:1795775777.1");

    let upgrades = server.upgrades();
    assert_eq!(upgrades.len(), 1);
    assert_eq!(upgrades[0].query, "app=hello,other");
    assert_eq!(
        upgrades[0].headers.get("authorization").unwrap(),
        BASIC_HEADER
    );
}

#[tokio::test]
async fn api_key_goes_in_the_query_and_no_authorization_header() {
    let server = FakeAri::start().await;
    let client = Client::builder(server.base_url())
        .api_key("hey", "peekaboo")
        .build()
        .unwrap();
    let mut stream = client
        .events(["hello"])
        .subscribe_all(true)
        .connect()
        .await
        .unwrap();
    assert_eq!(next_ok(&mut stream).await, Item::Connected);
    let upgrades = server.upgrades();
    assert_eq!(upgrades.len(), 1);
    assert!(upgrades[0].accepted);
    assert_eq!(
        upgrades[0].query,
        "app=hello&subscribeAll=true&api_key=hey:peekaboo"
    );
    assert!(upgrades[0].headers.get("authorization").is_none());
}

// ---------------------------------------------------------------------------------------
// 2. Unknown types, bad frames, frames that carry no event
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_types_are_kept_and_bad_frames_do_not_end_the_stream() {
    let server = FakeAri::start().await;
    let (_client, mut stream, conn) = connect(&server, |b| b).await;

    conn.send(r#"{"type":"ChannelFlurbled","timestamp":"2026-11-27T10:36:17.721+0000","flurbles":3,"asterisk_id":"02:fc:00:00:00:01","application":"hello"}"#);
    conn.send(r#"{"type":"StasisStart","timestamp":"2026-11-27T10:36:17.721+0000","args":[],"channel":{"id":7},"application":"hello"}"#);
    conn.send("this is not JSON");
    conn.send_binary(b"\x00\x01binary");
    conn.ping();
    conn.send(stasis_start("1795775777.1", &["world"]));

    match next_event(&mut stream).await {
        Event::Other(other) => {
            assert_eq!(other.type_name, "ChannelFlurbled");
            assert_eq!(other.application, "hello");
            assert_eq!(other.asterisk_id.as_deref(), Some(ASTERISK_ID));
            assert_eq!(other.raw["flurbles"], 3);
        }
        e => panic!("expected Event::Other, got {e:?}"),
    }
    match next(&mut stream).await {
        Err(Error::Event(e)) => {
            assert_eq!(e.event_type.as_deref(), Some("StasisStart"));
            assert!(e.field.contains("channel"), "field {:?}", e.field);
        }
        other => panic!("expected Error::Event for a bad StasisStart, got {other:?}"),
    }
    match next(&mut stream).await {
        Err(Error::Event(e)) => assert_eq!(e.frame, "this is not JSON"),
        other => panic!("expected Error::Event for a non-JSON frame, got {other:?}"),
    }
    // The binary frame and the ping gave no item: the next one is the StasisStart.
    match next_event(&mut stream).await {
        Event::StasisStart(e) => assert_eq!(e.args, ["world"]),
        e => panic!("expected StasisStart, got {e:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// 3. Refused at connect
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn wrong_credentials_fail_connect_with_401_and_no_retry() {
    let server = FakeAri::start().await;
    let client = Client::builder(server.base_url())
        .basic_auth("hey", "wrong")
        .build()
        .unwrap();
    let error = client
        .events(["hello"])
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(10))
        .connect()
        .await
        .expect_err("401 refuses the connection");
    assert!(matches!(error, Error::Status(_)), "{error:?}");
    assert_eq!(error.status(), Some(401));
    assert!(error.is_unauthorized());
    // Time for several retries at a 10 ms backoff, if anything were retrying.
    tokio::time::sleep(Duration::from_millis(60)).await;
    let upgrades = server.upgrades();
    assert_eq!(upgrades.len(), 1, "exactly one attempt");
    assert!(!upgrades[0].accepted);
}

// ---------------------------------------------------------------------------------------
// 4-7. Connection loss, reconnect, refusal, replacement
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn reconnects_after_the_server_closes() {
    let server = FakeAri::start().await;
    let (_client, mut stream, conn) = connect(&server, fast_reconnect).await;

    conn.send(stasis_start("first", &[]));
    assert_eq!(next_event(&mut stream).await.type_name(), "StasisStart");
    let closed_at = Instant::now();
    conn.close();
    match next_ok(&mut stream).await {
        Item::Disconnected { reason } => assert!(reason.contains("closed"), "{reason}"),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert_eq!(next_ok(&mut stream).await, Item::Reconnected { attempt: 1 });
    let elapsed = closed_at.elapsed();
    eprintln!(
        "reconnect: {elapsed:?} from the server's close to Reconnected (backoff 20 ms..200 ms)"
    );
    assert!(
        elapsed >= Duration::from_millis(10),
        "the first delay is at least half the initial backoff, was {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");

    let second = server.connection().await;
    second.send(stasis_start("second", &["again"]));
    match next_event(&mut stream).await {
        Event::StasisStart(e) => {
            assert_eq!(e.channel.id, "second");
            assert_eq!(e.args, ["again"]);
        }
        e => panic!("expected the second connection's StasisStart, got {e:?}"),
    }
    let upgrades = server.upgrades();
    assert_eq!(upgrades.len(), 2);
    assert_eq!(upgrades[1].query, upgrades[0].query);
    assert_eq!(
        upgrades[1].headers.get("authorization").unwrap(),
        BASIC_HEADER
    );
}

#[tokio::test]
async fn a_silent_server_is_detected_by_ping_and_replaced() {
    let server = FakeAri::start().await;
    let (_client, mut stream, conn) = connect(&server, |b| {
        fast_reconnect(b)
            .ping_interval(Duration::from_millis(100))
            .pong_timeout(Duration::from_millis(200))
    })
    .await;

    // A quiet server that answers pings keeps the connection: nothing happens for longer
    // than ping interval + pong timeout.
    let quiet = tokio::time::timeout(Duration::from_millis(450), stream.next()).await;
    assert!(
        quiet.is_err(),
        "no item from a healthy quiet connection: {quiet:?}"
    );

    let silent_at = Instant::now();
    conn.go_silent();
    match next_ok(&mut stream).await {
        Item::Disconnected { reason } => assert!(reason.contains("ping"), "{reason}"),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    let detected = silent_at.elapsed();
    eprintln!(
        "half-open connection detected after {detected:?} (ping interval 100 ms, pong timeout 200 ms)"
    );
    assert!(detected < Duration::from_secs(1), "took {detected:?}");
    assert_eq!(next_ok(&mut stream).await, Item::Reconnected { attempt: 1 });
    let second = server.connection().await;
    second.send(stasis_start("after", &[]));
    assert_eq!(next_event(&mut stream).await.type_name(), "StasisStart");
}

#[tokio::test]
async fn a_refusal_during_reconnect_ends_the_stream() {
    let server = FakeAri::start().await;
    let (_client, mut stream, conn) = connect(&server, fast_reconnect).await;

    server.refuse_all(true);
    conn.close();
    assert!(matches!(
        next_ok(&mut stream).await,
        Item::Disconnected { .. }
    ));
    match next(&mut stream).await {
        Err(e) => assert_eq!(e.status(), Some(401), "{e:?}"),
        Ok(item) => panic!("expected the 401, got {item:?}"),
    }
    assert_ends(&mut stream).await;
    let upgrades = server.upgrades();
    assert_eq!(upgrades.len(), 2, "one accepted, one refused, no more");
    assert!(upgrades[0].accepted && !upgrades[1].accepted);
}

#[tokio::test]
async fn replacing_the_only_application_ends_the_stream_without_reconnecting() {
    let server = FakeAri::start().await;
    let (_client, mut stream, mut conn) = connect(&server, fast_reconnect).await;

    conn.send(application_replaced("hello"));
    match next_event(&mut stream).await {
        Event::ApplicationReplaced(e) => assert_eq!(e.application, "hello"),
        e => panic!("expected ApplicationReplaced, got {e:?}"),
    }
    match next_ok(&mut stream).await {
        Item::Disconnected { reason } => assert!(reason.contains("replaced"), "{reason}"),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert_ends(&mut stream).await;
    assert!(
        conn.closed_by_client(LIMIT).await,
        "the client closes its side"
    );
    assert_eq!(server.upgrades().len(), 1, "no reconnect");
}

#[tokio::test]
async fn replacing_one_of_two_applications_keeps_the_connection() {
    let server = FakeAri::start().await;
    let client = server.client();
    let mut stream = fast_reconnect(client.events(["hello", "other"]))
        .connect()
        .await
        .unwrap();
    let conn = server.connection().await;
    assert_eq!(next_ok(&mut stream).await, Item::Connected);

    conn.send(application_replaced("other"));
    conn.send(stasis_start("still-here", &[]));
    let replaced = stream.next_event().await.unwrap().unwrap();
    assert_eq!(replaced.type_name(), "ApplicationReplaced");
    // No Disconnected in between: the next item is the following event.
    match next_ok(&mut stream).await {
        Item::Event(Event::StasisStart(e)) => assert_eq!(e.channel.id, "still-here"),
        other => panic!("expected the StasisStart, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// 8. Lag
// ---------------------------------------------------------------------------------------

fn varset_value(event: &Event) -> String {
    match event {
        Event::ChannelVarset(e) => e.value.clone(),
        e => panic!("expected ChannelVarset, got {e:?}"),
    }
}

#[tokio::test]
async fn a_slow_consumer_gets_the_exact_lag_then_events_again() {
    let server = FakeAri::start().await;
    let client = server.client();
    let mut stream = client.events(["hello"]).buffer(4).connect().await.unwrap();
    let conn = server.connection().await;
    // A second consumer that keeps up shows when the connection task has read all frames
    // (it delivers to resource streams before queueing for the main stream).
    let mut sentinel = client.channel("lagging").events();

    for n in 1..=20 {
        conn.send(varset("lagging", n));
    }
    for n in 1..=20 {
        let event = next_of(&mut sentinel).await.unwrap().unwrap();
        assert_eq!(varset_value(&event), n.to_string());
    }
    tokio::task::yield_now().await;

    // The queue holds 4 items: Connected and events 1-3; the other 17 were dropped.
    assert_eq!(next_ok(&mut stream).await, Item::Connected);
    for n in 1..=3 {
        assert_eq!(varset_value(&next_event(&mut stream).await), n.to_string());
    }
    match next(&mut stream).await {
        Err(Error::Lagged { missed }) => assert_eq!(missed, 17),
        other => panic!("expected Lagged, got {other:?}"),
    }
    conn.send(varset("lagging", 21));
    assert_eq!(varset_value(&next_event(&mut stream).await), "21");
}

// ---------------------------------------------------------------------------------------
// 9. Per-resource streams
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_channel_stream_gets_its_channel_only_and_ends_after_stasis_end() {
    let server = FakeAri::start().await;
    let (client, mut stream, conn) = connect(&server, |b| b).await;
    let mut mine = client.channel("ch-1").events();
    assert_eq!(
        (mine.kind(), mine.id()),
        (ari_sdk::ResourceKind::Channel, "ch-1")
    );

    conn.send(stasis_start("ch-1", &[]));
    conn.send(stasis_start("ch-2", &[]));
    conn.send(state_change("ch-2", "Up"));
    conn.send(dial(Some("ch-2"), "ch-1")); // carries ch-1 as `peer`
    conn.send(dial(Some("ch-2"), "ch-3"));
    conn.send(playback("PlaybackStarted", "pb-1", "channel:ch-1"));
    conn.send(playback("PlaybackStarted", "pb-2", "channel:ch-2"));
    conn.send(dtmf("ch-1", "5"));
    conn.send(stasis_end("ch-1"));
    conn.send(channel_destroyed("ch-1", 16, "Normal Clearing"));

    assert_eq!(
        drain_types(&mut mine).await,
        [
            "StasisStart",
            "Dial",
            "PlaybackStarted",
            "ChannelDtmfReceived",
            "StasisEnd"
        ]
    );
    // The main stream got everything.
    let destroyed = skip_to(&mut stream, "ChannelDestroyed").await;
    assert_eq!(destroyed.type_name(), "ChannelDestroyed");
}

#[tokio::test]
async fn bridge_and_playback_streams_end_with_their_final_event() {
    let server = FakeAri::start().await;
    let (client, _stream, conn) = connect(&server, |b| b).await;
    let mut bridge = client.bridge("br-1").events();
    let mut pb = client.playback("pb-1").events();

    conn.send(bridge_event("BridgeCreated", "br-1"));
    conn.send(bridge_event("BridgeCreated", "br-2"));
    conn.send(entered_bridge("br-1", "ch-9"));
    conn.send(playback("PlaybackStarted", "pb-1", "bridge:br-1"));
    conn.send(playback("PlaybackStarted", "pb-2", "channel:ch-9"));
    conn.send(playback("PlaybackFinished", "pb-1", "bridge:br-1"));
    conn.send(bridge_event("BridgeDestroyed", "br-1"));
    conn.send(entered_bridge("br-1", "ch-10"));

    assert_eq!(
        drain_types(&mut bridge).await,
        [
            "BridgeCreated",
            "ChannelEnteredBridge",
            "PlaybackStarted",
            "PlaybackFinished",
            "BridgeDestroyed"
        ]
    );
    assert_eq!(
        drain_types(&mut pb).await,
        ["PlaybackStarted", "PlaybackFinished"]
    );
}

#[tokio::test]
async fn a_resource_stream_without_an_event_connection_is_an_error_then_ends() {
    let server = FakeAri::start().await;
    let client = server.client();
    let mut events = client.channel("ch-1").events();
    match next_of(&mut events).await {
        Some(Err(Error::NoEventConnection { what })) => assert!(what.contains("ch-1"), "{what}"),
        other => panic!("expected NoEventConnection, got {other:?}"),
    }
    assert!(next_of(&mut events).await.is_none());
}

#[tokio::test]
async fn a_slow_resource_stream_lags() {
    let server = FakeAri::start().await;
    // The resource streams' capacity is the client's.
    let client = ari_sdk::Client::builder(server.base_url())
        .basic_auth(fake_ari::USER, fake_ari::PASSWORD)
        .resource_buffer(2)
        .build()
        .expect("client builds");
    let mut stream = client.events(["hello"]).connect().await.expect("connects");
    let conn = server.connection().await;
    assert_eq!(next_ok(&mut stream).await, Item::Connected);
    let mut slow = client.channel("ch-5").events();

    for n in 1..=5 {
        conn.send(varset("ch-5", n));
    }
    conn.send(stasis_start("marker", &[]));
    // The main stream got past them: all five were handed to the resource stream.
    skip_to(&mut stream, "StasisStart").await;

    for n in 1..=2 {
        let event = next_of(&mut slow).await.unwrap().unwrap();
        assert_eq!(varset_value(&event), n.to_string());
    }
    match next_of(&mut slow).await {
        Some(Err(Error::Lagged { missed })) => assert_eq!(missed, 3),
        other => panic!("expected Lagged, got {other:?}"),
    }
    conn.send(varset("ch-5", 6));
    let event = next_of(&mut slow).await.unwrap().unwrap();
    assert_eq!(varset_value(&event), "6");
}

// ---------------------------------------------------------------------------------------
// 10. Waiting on what a request creates
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn play_sends_an_id_and_finished_sees_events_sent_before_the_answer() {
    let server = FakeAri::start().await;
    let (client, mut stream, _conn) = connect(&server, |b| b).await;
    // The events go out before the 201: they may arrive before the answer does.
    server.on_rest(|call| {
        let id = call.query.get("playbackId").cloned().unwrap_or_default();
        vec![
            playback("PlaybackStarted", &id, "channel:ch-1"),
            playback("PlaybackFinished", &id, "channel:ch-1"),
        ]
    });

    let pb = client
        .channel("ch-1")
        .play(["sound:hello-world"])
        .await
        .unwrap();
    let calls = server.rest_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].path, "/channels/ch-1/play");
    let sent_id = calls[0].query.get("playbackId").expect("a playbackId");
    assert!(!sent_id.is_empty());
    assert_eq!(&pb.id, sent_id);
    assert_eq!(pb.target_uri, "channel:ch-1");
    assert_eq!(pb.state, PlaybackState::Queued);

    // Both events are processed before anyone waits for them.
    skip_to(&mut stream, "PlaybackFinished").await;
    let done = pb
        .finished(Duration::from_secs(1))
        .await
        .expect("PlaybackFinished was caught by the subscription made before sending");
    assert_eq!(&done.id, sent_id);
    assert_eq!(done.state, PlaybackState::Done);
}

#[tokio::test]
async fn play_without_an_event_connection_sends_no_id() {
    let server = FakeAri::start().await;
    let client = server.client();
    let pb = client.channel("ch-1").play(["sound:x"]).await.unwrap();
    let calls = server.rest_calls();
    assert_eq!(calls.len(), 1);
    assert!(
        !calls[0].query.contains_key("playbackId"),
        "{:?}",
        calls[0].query
    );
    let error = pb
        .finished(Duration::from_millis(500))
        .await
        .expect_err("nothing to wait with");
    assert!(
        matches!(error, Error::NoEventConnection { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn finished_is_gone_when_the_channel_leaves_while_waiting() {
    let server = FakeAri::start().await;
    let (client, _stream, conn) = connect(&server, |b| b).await;
    server.on_rest(|call| {
        let id = call.query.get("playbackId").cloned().unwrap_or_default();
        vec![playback("PlaybackStarted", &id, "channel:ch-1")]
    });
    let pb = client.channel("ch-1").play(["sound:x"]).await.unwrap();
    let (result, ()) = tokio::join!(pb.finished(LIMIT), async {
        conn.send(stasis_end("ch-1"));
    });
    match result {
        Err(Error::Gone { event, .. }) => assert_eq!(event, "StasisEnd"),
        other => panic!("expected Gone, got {other:?}"),
    }
}

#[tokio::test]
async fn finished_is_gone_when_the_channel_left_right_after_the_answer() {
    let server = FakeAri::start().await;
    let (client, mut stream, _conn) = connect(&server, |b| b).await;
    server.on_rest(|call| {
        let id = call.query.get("playbackId").cloned().unwrap_or_default();
        vec![
            playback("PlaybackStarted", &id, "channel:ch-1"),
            stasis_end("ch-1"),
        ]
    });
    let pb = client.channel("ch-1").play(["sound:x"]).await.unwrap();
    // The channel is gone before the application gets round to waiting.
    skip_to(&mut stream, "StasisEnd").await;
    match pb.finished(Duration::from_millis(500)).await {
        Err(Error::Gone { event, .. }) => assert_eq!(event, "StasisEnd"),
        other => panic!("expected Gone (the channel left after the answer), got {other:?}"),
    }
}

#[tokio::test]
async fn record_finished_and_failed() {
    let server = FakeAri::start().await;
    let (client, _stream, _conn) = connect(&server, |b| b).await;
    server.on_rest(|call| {
        let name = call.query.get("name").cloned().unwrap_or_default();
        let target = "channel:ch-1";
        let end = if name == "bad" {
            recording(
                "RecordingFailed",
                &name,
                target,
                Some("Unable to open file"),
            )
        } else {
            recording("RecordingFinished", &name, target, None)
        };
        vec![recording("RecordingStarted", &name, target, None), end]
    });

    let good = client.channel("ch-1").record("good", "wav").await.unwrap();
    assert_eq!(good.name, "good");
    let done = good.finished(LIMIT).await.unwrap();
    assert_eq!(done.state, LiveRecordingState::Done);

    let bad = client.channel("ch-1").record("bad", "wav").await.unwrap();
    match bad.finished(LIMIT).await {
        Err(Error::Failed { reason, .. }) => assert_eq!(reason, "Unable to open file"),
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[tokio::test]
async fn originate_then_stasis_start_failed_or_timeout() {
    let server = FakeAri::start().await;
    let (client, _stream, _conn) = connect(&server, |b| b).await;
    server.on_rest(|call| {
        let id = call.query.get("channelId").cloned().unwrap_or_default();
        match call.query.get("endpoint").map(String::as_str) {
            Some("PJSIP/answers") => {
                vec![stasis_start("someone-else", &[]), stasis_start(&id, &[])]
            }
            Some("PJSIP/busy") => vec![channel_destroyed(&id, 17, "User busy")],
            _ => Vec::new(),
        }
    });

    let mut answered = client
        .channels()
        .originate("PJSIP/answers")
        .app("hello")
        .await
        .unwrap();
    let sent_id = server.rest_calls()[0].query.get("channelId").cloned();
    assert!(sent_id.as_deref().is_some_and(|id| !id.is_empty()));
    assert_eq!(Some(&answered.id), sent_id.as_ref());
    let start = answered.stasis_start(LIMIT).await.unwrap();
    assert_eq!(start.channel.id, answered.id);

    let mut busy = client
        .channels()
        .originate("PJSIP/busy")
        .app("hello")
        .await
        .unwrap();
    match busy.stasis_start(LIMIT).await {
        Err(Error::Failed { reason, .. }) => {
            assert!(
                reason.contains("17") && reason.contains("User busy"),
                "{reason}"
            )
        }
        other => panic!("expected Failed, got {other:?}"),
    }

    let mut silent = client
        .channels()
        .originate("PJSIP/nobody")
        .app("hello")
        .await
        .unwrap();
    let started = Instant::now();
    let result = silent.stasis_start(Duration::from_millis(100)).await;
    assert!(
        matches!(result, Err(Error::WaitTimedOut { .. })),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn wait_for_state_returns_at_once_when_already_there() {
    let server = FakeAri::start().await;
    let (client, _stream, _conn) = connect(&server, |b| b).await;
    server.set_channel_state("Up");
    let started = Instant::now();
    let channel = client
        .channel("ch-1")
        .wait_for_state(ChannelState::Up, LIMIT)
        .await
        .unwrap();
    assert_eq!(channel.state, ChannelState::Up);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.rest_calls()[0].path, "/channels/ch-1");
}

#[tokio::test]
async fn wait_for_state_catches_a_change_that_races_the_get() {
    let server = FakeAri::start().await;
    let (client, _stream, _conn) = connect(&server, |b| b).await;
    // GET answers `Ring`, but the change to Up is sent before that answer.
    server.set_channel_state("Ring");
    server.on_rest(|call| match call.path.as_str() {
        "/channels/ch-2" => vec![
            state_change("ch-2", "Ringing"),
            state_change("other", "Up"),
            state_change("ch-2", "Up"),
        ],
        _ => Vec::new(),
    });
    let channel = client
        .channel("ch-2")
        .wait_for_state(ChannelState::Up, LIMIT)
        .await
        .unwrap();
    assert_eq!(channel.id, "ch-2");
    assert_eq!(channel.state, ChannelState::Up);
}

#[tokio::test]
async fn next_dtmf_returns_the_digit() {
    let server = FakeAri::start().await;
    let (client, _stream, conn) = connect(&server, |b| b).await;

    let mut events = client.channel("ch-1").events();
    conn.send(state_change("ch-1", "Up"));
    conn.send(dtmf("ch-2", "9"));
    conn.send(dtmf("ch-1", "4"));
    assert_eq!(events.next_dtmf(LIMIT).await.unwrap(), "4");

    // The handle's form subscribes when first polled, before the digit is sent.
    let handle = client.channel("ch-1");
    let (digit, ()) = tokio::join!(handle.next_dtmf(LIMIT), async {
        conn.send(dtmf("ch-1", "#"));
    });
    assert_eq!(digit.unwrap(), "#");
}

// ---------------------------------------------------------------------------------------
// 11. Closing
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn dropping_the_stream_closes_the_socket_and_ends_resource_streams() {
    let server = FakeAri::start().await;
    let (client, stream, mut conn) = connect(&server, |b| b).await;
    let mut events = client.channel("ch-1").events();

    drop(stream);
    assert!(
        conn.closed_by_client(Duration::from_secs(1)).await,
        "the server sees the close within 1 s"
    );
    assert!(
        next_of(&mut events).await.is_none(),
        "the resource stream ends"
    );
    let mut late = client.channel("ch-1").events();
    assert!(matches!(
        next_of(&mut late).await,
        Some(Err(Error::NoEventConnection { .. }))
    ));
}

#[tokio::test]
async fn close_closes_the_socket() {
    let server = FakeAri::start().await;
    let (client, stream, mut conn) = connect(&server, |b| b).await;

    stream.close().await;
    assert!(
        conn.closed_by_client(Duration::from_secs(1)).await,
        "the server sees the close within 1 s"
    );
    // close() waited for the connection task: no connection is left at once.
    let mut events = client.channel("ch-1").events();
    assert!(matches!(
        next_of(&mut events).await,
        Some(Err(Error::NoEventConnection { .. }))
    ));
    assert_eq!(server.upgrades().len(), 1, "no reconnect after close");
}
