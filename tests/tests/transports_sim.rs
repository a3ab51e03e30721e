//! The newer transports end to end through the simulator (which answers as the recordings
//! of a real Asterisk 22 show): REST over the event WebSocket, and outbound WebSocket
//! applications in both of Asterisk's connection types, with several "Asterisk" servers.
//!
//! Every wait is bounded: a missing event fails the test within a few seconds.

use std::time::Duration;

use ari_sdk::{AsteriskConnection, OutboundServer};
use ari_sdk::{Client, Error, Event, EventStream, Item, Transport};
use ari_sim::{OutboundConfig, Simulator};

const LIMIT: Duration = Duration::from_secs(5);
const OUT_USER: &str = "asterisk";
const OUT_PASSWORD: &str = "outbound-secret";

async fn simulator(asterisk_id: &str) -> Simulator {
    Simulator::builder()
        .asterisk_id(asterisk_id)
        .media_duration(Duration::from_millis(50))
        .start()
        .await
        .expect("simulator starts")
}

fn client(sim: &Simulator, user: (&str, &str), transport: Transport) -> Client {
    Client::builder(sim.base_url())
        .basic_auth(user.0, user.1)
        .transport(transport)
        .timeout(LIMIT)
        .build()
        .expect("client")
}

async fn next_event(events: &mut EventStream) -> Event {
    loop {
        let item = tokio::time::timeout(LIMIT, events.next())
            .await
            .expect("an item in time")
            .expect("stream open")
            .expect("not an error");
        if let Item::Event(event) = item {
            return event;
        }
    }
}

async fn wait_event<R>(events: &mut EventStream, mut pick: impl FnMut(&Event) -> Option<R>) -> R {
    loop {
        if let Some(found) = pick(&next_event(events).await) {
            return found;
        }
    }
}

// ------------------------------------------------------------------------------------
// REST over the event WebSocket
// ------------------------------------------------------------------------------------

#[tokio::test]
async fn the_websocket_transport_gives_the_same_typed_answers_and_errors_as_http() {
    let sim = simulator("02:fc:00:00:00:01").await;
    let (user, password) = sim.credentials();
    let http = client(&sim, (user, password), Transport::Http);
    let ws = client(&sim, (user, password), Transport::WebSocket);
    let _events = ws.events(["hello"]).connect().await.expect("connect");

    let bridge = ws
        .bridges()
        .create()
        .r#type("holding")
        .name("over-ws")
        .await
        .expect("create over the WebSocket");
    let over_http = http
        .bridge(&bridge.id)
        .get()
        .await
        .expect("visible over HTTP");
    let over_ws = ws
        .bridge(&bridge.id)
        .get()
        .await
        .expect("get over the WebSocket");
    assert_eq!(over_ws.name, "over-ws");
    assert_eq!(over_http.id, over_ws.id);
    assert_eq!(over_http.bridge_type, over_ws.bridge_type);
    assert_eq!(
        http.bridges().list().await.unwrap().len(),
        ws.bridges().list().await.unwrap().len()
    );

    let http_error = http.channel("nope").get().await.expect_err("404");
    let ws_error = ws.channel("nope").get().await.expect_err("404");
    assert_eq!(ws_error.status(), Some(404));
    assert_eq!(ws_error.asterisk_message(), http_error.asterisk_message());
    assert_eq!(ws_error.asterisk_message(), Some("Channel not found"));

    // A request Asterisk rejects is the same 400 either way (originate needs an app or
    // an extension).
    let http_error = http
        .channels()
        .originate("Local/7000@default")
        .await
        .expect_err("400");
    let ws_error = ws
        .channels()
        .originate("Local/7000@default")
        .await
        .expect_err("400");
    assert_eq!(ws_error.status(), Some(400), "{ws_error}");
    assert!(ws_error.asterisk_message().is_some());
    assert_eq!(ws_error.asterisk_message(), http_error.asterisk_message());

    ws.bridge(&bridge.id)
        .destroy()
        .await
        .expect("204 over the WebSocket");
    assert!(
        http.bridge(&bridge.id)
            .get()
            .await
            .unwrap_err()
            .is_not_found()
    );
}

/// Requests ride on the newest event connection; when it closes, on the one before.
#[tokio::test]
async fn requests_move_to_an_older_connection_when_the_newest_closes() {
    let sim = simulator("02:fc:00:00:00:01").await;
    let ws = client(&sim, sim.credentials(), Transport::WebSocket);
    let _calls = ws.events(["hello"]).connect().await.expect("connect");
    let observer = ws
        .events(["observer"])
        .subscribe_all(true)
        .connect()
        .await
        .expect("connect");
    ws.asterisk().ping().await.expect("over the newest");
    observer.close().await;
    ws.asterisk()
        .ping()
        .await
        .expect("over the older connection, still open");
    let bridge = ws.bridges().create().await.expect("create");
    assert!(!bridge.id.is_empty());
}

#[tokio::test]
async fn a_hundred_concurrent_requests_share_one_socket() {
    let sim = simulator("02:fc:00:00:00:01").await;
    let ws = client(&sim, sim.credentials(), Transport::WebSocket);
    let _events = ws.events(["hello"]).connect().await.expect("connect");
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..100 {
        let ws = ws.clone();
        tasks.spawn(async move {
            let id = format!("bridge-{n}");
            let created = ws
                .bridges()
                .create_with_id(&id)
                .r#type("mixing")
                .await
                .expect("create");
            assert_eq!(created.id, id, "each request gets its own answer");
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
    let listed = ws.bridges().list().await.expect("list");
    assert_eq!(listed.len(), 100);
    assert_eq!(
        sim.control().websocket_count(),
        1,
        "no other connection was opened"
    );
}

#[tokio::test]
async fn a_read_only_user_is_refused_writes_over_the_websocket_too() {
    let sim = simulator("02:fc:00:00:00:01").await;
    let ro = client(&sim, ("ro", "ro"), Transport::WebSocket);
    let _events = ro
        .events(["hello"])
        .connect()
        .await
        .expect("read-only users may connect");
    ro.channels().list().await.expect("reads are allowed");
    let error = ro.bridges().create().await.expect_err("writes are not");
    assert!(error.is_unauthorized(), "{error}");
}

#[tokio::test]
async fn the_walkthrough_call_runs_over_the_websocket_with_events_in_order() {
    let sim = simulator("02:fc:00:00:00:01").await;
    let ws = client(&sim, sim.credentials(), Transport::WebSocket);
    let mut events = ws.events(["hello"]).connect().await.expect("connect");
    sim.control().call("7000").expect("dial 7000");
    let id = wait_event(&mut events, |e| match e {
        Event::StasisStart(s) => Some(s.channel.id.clone()),
        _ => None,
    })
    .await;
    ws.channel(&id).answer().await.expect("answer");
    let playback = ws
        .channel(&id)
        .play(["sound:hello-world"])
        .await
        .expect("play");
    let finished = playback.finished(LIMIT).await.expect("finished");
    assert_eq!(finished.state, ari_sdk::PlaybackState::Done);
    ws.channel(&id).hangup().await.expect("hangup");
    wait_event(&mut events, |e| {
        matches!(e, Event::StasisEnd(_)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_dropped_socket_fails_the_request_in_flight_and_the_next_one_goes_out_after_reconnecting()
{
    let sim = simulator("02:fc:00:00:00:01").await;
    let ws = client(&sim, sim.credentials(), Transport::WebSocket);
    let mut events = ws
        .events(["hello"])
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(50))
        .connect()
        .await
        .expect("connect");
    sim.control().delay_responses(Duration::from_millis(500));
    let slow = tokio::spawn({
        let ws = ws.clone();
        async move { ws.bridges().create().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    sim.control().drop_websockets();
    let error = tokio::time::timeout(LIMIT, slow)
        .await
        .expect("fails without waiting for the timeout")
        .expect("task")
        .expect_err("connection lost");
    assert!(
        matches!(error, Error::ConnectionLost { sent: true, .. }),
        "{error:?}"
    );
    assert!(error.may_have_executed());
    sim.control().delay_responses(Duration::ZERO);
    // The next request waits for the reconnect and then succeeds.
    ws.asterisk()
        .ping()
        .await
        .expect("sent over the new socket");
    let mut saw_reconnect = false;
    while let Ok(Some(Ok(item))) =
        tokio::time::timeout(Duration::from_millis(200), events.next()).await
    {
        saw_reconnect |= matches!(item, Item::Reconnected { .. });
    }
    assert!(saw_reconnect);
}

/// Callers write their requests to the socket themselves, and wait in the connection's
/// queue while it reconnects: with 16 tasks requesting without pause while the socket is
/// dropped five times, every request ends in time with its own answer or a connection
/// error (never another request's answer, never the timeout), and once the drops stop
/// every task's next request succeeds over the one new socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_from_many_tasks_survive_repeated_socket_drops() {
    let sim = simulator("02:fc:00:00:00:01").await;
    let ws = client(&sim, sim.credentials(), Transport::WebSocket);
    let _events = ws
        .events(["hello"])
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(30))
        .connect()
        .await
        .expect("connect");
    let dropping = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..16 {
        let (ws, dropping) = (ws.clone(), dropping.clone());
        tasks.spawn(async move {
            let (mut answered, mut lost) = (0u32, 0u32);
            let mut n = 0;
            loop {
                let still_dropping = dropping.load(std::sync::atomic::Ordering::SeqCst);
                let id = format!("b-{task}-{n}");
                n += 1;
                let started = tokio::time::Instant::now();
                match ws.bridges().create_with_id(&id).r#type("mixing").await {
                    Ok(bridge) => {
                        assert_eq!(bridge.id, id, "an answer to another request");
                        answered += 1;
                        if !still_dropping {
                            return (answered, lost);
                        }
                    }
                    Err(Error::ConnectionLost { .. } | Error::NoEventConnection { .. })
                        if still_dropping =>
                    {
                        lost += 1
                    }
                    Err(other) => panic!("task {task}, {id}: {other:?}"),
                }
                assert!(started.elapsed() < LIMIT, "{id} waited for the timeout");
            }
        });
    }
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(60)).await;
        sim.control().drop_websockets();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    dropping.store(false, std::sync::atomic::Ordering::SeqCst);
    let (mut answered, mut lost) = (0, 0);
    while let Some(done) = tokio::time::timeout(LIMIT, tasks.join_next())
        .await
        .expect("every task finishes")
    {
        let (a, l) = done.expect("task");
        (answered, lost) = (answered + a, lost + l);
    }
    assert!(answered >= 16, "{answered}");
    assert!(
        lost > 0,
        "the drops caught no request in flight: the test tests nothing"
    );
    assert_eq!(sim.control().websocket_count(), 1);
    // Every bridge a caller was told exists does exist.
    let listed = ws.bridges().list().await.expect("list").len();
    assert!(listed >= answered as usize, "{listed} < {answered}");
}

// ------------------------------------------------------------------------------------
// Outbound WebSocket applications
// ------------------------------------------------------------------------------------

async fn outbound_server() -> OutboundServer {
    OutboundServer::builder()
        .basic_auth(OUT_USER, OUT_PASSWORD)
        .timeout(LIMIT)
        .bind("127.0.0.1:0")
        .await
        .expect("binds")
}

fn url(server: &OutboundServer) -> String {
    format!("ws://{}/", server.local_addr())
}

async fn accept(server: &mut OutboundServer) -> AsteriskConnection {
    tokio::time::timeout(LIMIT, server.accept())
        .await
        .expect("a connection in time")
        .expect("listening")
}

#[tokio::test]
async fn wrong_credentials_are_refused_at_the_upgrade_and_asterisk_keeps_retrying_slowly() {
    let mut server = outbound_server().await;
    let sim = simulator("02:fc:00:00:00:01").await;
    let handle = sim
        .connect_outbound(
            OutboundConfig::new(&url(&server), ["hello"])
                .credentials(OUT_USER, "wrong")
                .reconnect_interval(Duration::from_millis(100)),
        )
        .expect("outbound starts");
    tokio::time::sleep(Duration::from_millis(450)).await;
    let refused = server.rejected_connections();
    // Refused at the upgrade, so Asterisk waits its interval between tries: no tight loop.
    assert!((2..=8).contains(&refused), "{refused} refusals in 450 ms");
    assert_eq!(handle.connections(), 0, "no socket was ever opened");
    assert!(
        tokio::time::timeout(Duration::from_millis(50), server.accept())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn two_asterisk_servers_connect_and_requests_go_back_over_the_right_one() {
    let mut server = outbound_server().await;
    let east = simulator("02:00:00:00:00:0e").await;
    let west = simulator("02:00:00:00:00:0f").await;
    for sim in [&east, &west] {
        sim.connect_outbound(
            OutboundConfig::new(&url(&server), ["hello"]).credentials(OUT_USER, OUT_PASSWORD),
        )
        .expect("outbound starts");
    }
    let mut connections = [accept(&mut server).await, accept(&mut server).await];
    connections.sort_by(|a, b| a.asterisk_id().cmp(b.asterisk_id()));
    assert_eq!(
        server.connected(),
        ["02:00:00:00:00:0e", "02:00:00:00:00:0f"]
    );

    // A call on west shows up on west's connection only; west's client answers it.
    west.control().call("7000").expect("dial on west");
    let west_events = connections[1].events();
    let id = wait_event(west_events, |e| match e {
        Event::StasisStart(s) => Some(s.channel.id.clone()),
        _ => None,
    })
    .await;
    let west_client = server.client_for("02:00:00:00:00:0f").expect("west");
    let east_client = server.client_for("02:00:00:00:00:0e").expect("east");
    assert!(
        east_client
            .channel(&id)
            .get()
            .await
            .unwrap_err()
            .is_not_found(),
        "east does not have west's channel"
    );
    west_client
        .channel(&id)
        .answer()
        .await
        .expect("answered on west");
    assert_eq!(
        west.client().channel(&id).get().await.unwrap().state,
        ari_sdk::ChannelState::Up
    );
    west_client
        .channel(&id)
        .hangup()
        .await
        .expect("hung up on west");
    // East's connection saw none of it.
    let quiet = tokio::time::timeout(Duration::from_millis(200), async {
        loop {
            if let Some(Ok(Item::Event(e))) = connections[0].events().next().await {
                if matches!(e, Event::StasisStart(_)) {
                    return;
                }
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "east got a StasisStart of west's call");
}

#[tokio::test]
async fn a_persistent_connection_replays_what_queued_while_the_application_was_away() {
    let server = outbound_server().await;
    let address = server.local_addr();
    let sim = simulator("02:fc:00:00:00:01").await;
    let handle = sim
        .connect_outbound(
            OutboundConfig::new(&url(&server), ["hello"])
                .credentials(OUT_USER, OUT_PASSWORD)
                .reconnect_interval(Duration::from_millis(50)),
        )
        .expect("outbound starts");
    let mut server = server;
    let first = accept(&mut server).await;
    // The application goes away: no listener, and the open connection closed.
    drop(first);
    drop(server);
    tokio::time::sleep(Duration::from_millis(100)).await;
    sim.control()
        .call("7000")
        .expect("a call while the application is away");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut server = OutboundServer::builder()
        .basic_auth(OUT_USER, OUT_PASSWORD)
        .bind(address)
        .await
        .expect("the application is back on the same address");
    let mut back = accept(&mut server).await;
    let mut types = Vec::new();
    loop {
        let event = next_event(back.events()).await;
        types.push(event.type_name().to_owned());
        if matches!(event, Event::ApplicationRegistered(_)) {
            break;
        }
    }
    assert!(
        types.iter().any(|t| t == "StasisStart"),
        "the queued StasisStart comes before ApplicationRegistered: {types:?}"
    );
    assert!(handle.connections() >= 2);
}

#[tokio::test]
async fn per_call_connections_carry_one_call_each_and_close_after_it() {
    let mut server = outbound_server().await;
    let sim = simulator("02:fc:00:00:00:01").await;
    sim.connect_outbound(
        OutboundConfig::new(&url(&server), ["hello"])
            .credentials(OUT_USER, OUT_PASSWORD)
            .per_call()
            .per_call_delays(Duration::from_millis(20), Duration::from_millis(100)),
    )
    .expect("outbound starts");
    sim.control().call("7000").expect("first call");
    sim.control().call("7000").expect("second call");
    let mut calls = [accept(&mut server).await, accept(&mut server).await];
    let mut ids = Vec::new();
    for connection in &mut calls {
        assert!(
            connection.application().starts_with("hello:"),
            "{}",
            connection.application()
        );
        let id = wait_event(connection.events(), |e| match e {
            Event::StasisStart(s) => Some(s.channel.id.clone()),
            _ => None,
        })
        .await;
        connection
            .client()
            .channel(&id)
            .answer()
            .await
            .expect("answer over its own connection");
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1], "one call per connection");
    for (connection, id) in calls.iter_mut().zip(&ids) {
        connection
            .client()
            .channel(id)
            .hangup()
            .await
            .expect("hangup");
        // Asterisk closes the connection a while after StasisEnd: the stream ends.
        let ended = tokio::time::timeout(LIMIT, async {
            while connection.events().next().await.is_some() {}
        })
        .await;
        assert!(ended.is_ok(), "the per-call connection closed");
    }
}
