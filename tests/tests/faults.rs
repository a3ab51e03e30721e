//! What an application sees when things go wrong: dropped sockets, a restarted server,
//! failing and slow answers, a burst to a slow consumer, `Connection: close`.

#[path = "support/fake_ari.rs"]
mod fake_ari;

use std::collections::HashSet;
use std::time::Duration;

use ari_sdk::{Error, Event, EventStream, Item};
use ari_sim::Simulator;

const WAIT: Duration = Duration::from_secs(5);

async fn next_item(events: &mut EventStream) -> Item {
    tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an item within 5 s")
        .expect("the stream is open")
        .expect("no error item")
}

async fn until(
    events: &mut EventStream,
    what: &str,
    mut accept: impl FnMut(&Item) -> bool,
) -> Vec<Item> {
    let mut seen = Vec::new();
    loop {
        let item = tokio::time::timeout(WAIT, next_item(events))
            .await
            .unwrap_or_else(|_| panic!("no {what}"));
        let done = accept(&item);
        seen.push(item);
        if done {
            return seen;
        }
    }
}

fn key(event: &Event) -> String {
    let mut ids = Vec::new();
    event.for_each_resource(|kind, id| ids.push(format!("{kind}:{id}")));
    let digit = match event {
        Event::ChannelDtmfReceived(e) => e.digit.clone(),
        _ => String::new(),
    };
    format!(
        "{} {} {} {:?} {digit}",
        event.application(),
        event.type_name(),
        ids.join(","),
        event.timestamp()
    )
}

/// The stream reports the drop and the reconnection, and among the events delivered none
/// is duplicated or out of order.
#[tokio::test]
async fn websocket_dropped_mid_stream() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let mut events = client
        .events(["hello"])
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200))
        .connect()
        .await
        .unwrap();
    assert_eq!(next_item(&mut events).await, Item::Connected);
    let call = sim.control().call("7000").unwrap();
    until(&mut events, "StasisStart", |i| {
        matches!(i, Item::Event(Event::StasisStart(_)))
    })
    .await;
    sim.control().press(&call, "123").unwrap();
    until(&mut events, "first digit", |i| {
        matches!(i, Item::Event(Event::ChannelDtmfReceived(_)))
    })
    .await;
    sim.control().drop_websockets();
    let mut seen = until(&mut events, "Reconnected", |i| {
        matches!(i, Item::Reconnected { .. })
    })
    .await;
    assert!(
        seen.iter().any(|i| matches!(i, Item::Disconnected { .. })),
        "{seen:?}"
    );
    // After the reconnection the application still hears about its channel.
    sim.control().hangup(&call).unwrap();
    seen.extend(
        until(&mut events, "StasisEnd", |i| {
            matches!(i, Item::Event(Event::StasisEnd(_)))
        })
        .await,
    );
    let delivered: Vec<&Event> = seen
        .iter()
        .filter_map(|i| match i {
            Item::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    let mut keys = HashSet::new();
    for event in &delivered {
        assert!(keys.insert(key(event)), "duplicate event {}", key(event));
    }
    let stamps: Vec<_> = delivered
        .iter()
        .filter_map(|e| e.timestamp().map(|t| t.as_datetime()))
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "events out of order: {stamps:?}"
    );
}

/// A restarted Asterisk: the connection drops, comes back, and the old channel is gone.
#[tokio::test]
async fn simulator_restarted() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let mut events = client
        .events(["hello"])
        .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200))
        .connect()
        .await
        .unwrap();
    let call = sim.control().call("7000").unwrap();
    until(&mut events, "StasisStart", |i| {
        matches!(i, Item::Event(Event::StasisStart(_)))
    })
    .await;
    sim.control().restart();
    let seen = until(&mut events, "Reconnected", |i| {
        matches!(i, Item::Reconnected { .. })
    })
    .await;
    assert!(seen.iter().any(|i| matches!(i, Item::Disconnected { .. })));
    // Resynchronizing, as the stream's items suggest: the channel is gone.
    assert!(
        client
            .channel(&call)
            .get()
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(client.channels().list().await.unwrap().is_empty());
}

/// 500s surface as errors with Asterisk's status, and the next request works.
#[tokio::test]
async fn server_errors_then_recovery() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    sim.control().fail_next(500, 2);
    for _ in 0..2 {
        let error = client.channels().list().await.unwrap_err();
        assert!(error.is_server_error(), "{error}");
        assert_eq!(error.is_documented_status(), Some(false));
    }
    client.channels().list().await.unwrap();
}

/// A slow server: requests time out with `Error::Timeout` at the configured time, and
/// nothing hangs; once the server is quick again the same client works.
#[tokio::test]
async fn slow_answers_time_out() {
    let sim = Simulator::start().await.unwrap();
    let (user, password) = sim.credentials();
    let client = ari_sdk::Client::builder(sim.base_url())
        .basic_auth(user, password)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    sim.control().delay_responses(Duration::from_secs(2));
    let started = std::time::Instant::now();
    let error = client.asterisk().ping().await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited {:?}",
        started.elapsed()
    );
    sim.control().delay_responses(Duration::ZERO);
    client.asterisk().ping().await.unwrap();
}

/// Older Asterisk closed the connection after every answer: requests keep working.
#[tokio::test]
async fn connection_close_after_each_request() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    sim.control().close_connections(true);
    for _ in 0..20 {
        client.asterisk().ping().await.unwrap();
    }
    let bridge = client.bridges().create().r#type("mixing").await.unwrap();
    assert_eq!(client.bridge(&bridge.id).get().await.unwrap().id, bridge.id);
}

/// 100,000 events to a consumer that is not reading: memory stays bounded by the buffer,
/// and the loss is reported exactly, where it happened.
#[tokio::test]
async fn burst_to_a_slow_consumer() {
    const BURST: usize = 100_000;
    const BUFFER: usize = 1_000;
    let server = fake_ari::FakeAri::start().await;
    let client = server.client();
    let mut events = client
        .events(["hello"])
        .buffer(BUFFER)
        .connect()
        .await
        .unwrap();
    let conn = server.connection().await;
    let frame = |i: usize| {
        serde_json::json!({
            "type": "ChannelUserevent", "timestamp": "2026-11-27T10:36:17.719+0000",
            "eventname": format!("e{i}"), "userevent": {}, "application": "hello"
        })
        .to_string()
    };
    for i in 0..BURST {
        conn.send(frame(i));
    }
    // The consumer is slow: it starts reading only once everything was sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut delivered = 0usize;
    let mut missed = 0u64;
    let mut last_name = String::new();
    let mut sent_last = false;
    conn.send(frame(BURST));
    while !sent_last {
        match tokio::time::timeout(WAIT, events.next())
            .await
            .expect("items keep coming")
            .expect("open")
        {
            Ok(Item::Event(Event::ChannelUserevent(e))) => {
                delivered += 1;
                sent_last = e.eventname == format!("e{BURST}");
                last_name = e.eventname.clone();
            }
            Ok(_) => {}
            Err(Error::Lagged { missed: n }) => missed += n,
            Err(other) => panic!("{other}"),
        }
        if delivered + missed as usize > BURST + 1 {
            panic!("more items than events sent");
        }
    }
    assert_eq!(last_name, format!("e{BURST}"));
    assert_eq!(
        delivered + missed as usize,
        BURST + 1,
        "every event is delivered or counted as missed"
    );
    // Bounded: the stream did not keep everything for the consumer.
    assert!(
        missed > 0,
        "the slow consumer lost nothing: the buffer is not bounded"
    );
}
