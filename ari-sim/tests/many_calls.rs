//! Load: many concurrent calls, each pressing a key, with every event reaching the right
//! channel exactly once on one event WebSocket.
//!
//! 1,000 calls by default; `ARI_SIM_CALLS=N` runs another count.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ari_sdk::{Event, Item};
use ari_sim::Simulator;

/// The keys pressed, one per call in turn.
const KEYS: &[char] = &[
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D',
];

fn calls() -> usize {
    std::env::var("ARI_SIM_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000)
}

/// Reads events until `done` says enough, failing after `limit`.
async fn read_until(
    events: &mut ari_sdk::EventStream,
    limit: Duration,
    what: &str,
    mut on_event: impl FnMut(Event) -> bool,
) {
    let outcome = tokio::time::timeout(limit, async {
        loop {
            match events.next().await {
                Some(Ok(Item::Event(e))) => {
                    if on_event(e) {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("event stream error while waiting for {what}: {e}"),
                None => panic!("event stream ended while waiting for {what}"),
            }
        }
    });
    outcome
        .await
        .unwrap_or_else(|_| panic!("no {what} within {limit:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_calls_each_press_a_key_and_each_channel_hears_only_its_own() {
    let count = calls();
    let started = Instant::now();
    let sim = Simulator::start().await.expect("simulator starts");
    let client = sim.client();
    // Room for every event of every call: the calls are placed without reading meanwhile.
    let mut events = client
        .events(["hello"])
        .buffer(4 * count + 1024)
        .connect()
        .await
        .expect("connect");

    // Every call dials 7000 (NoOp, Stasis(hello,world)) at once.
    let ids: Vec<String> = (0..count)
        .map(|_| sim.control().call("7000").expect("7000 exists"))
        .collect();
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| (id.as_str(), n))
        .collect();
    assert_eq!(index.len(), count, "every call has its own channel id");
    let mut started_calls = vec![false; count];
    let mut waiting = count;
    read_until(&mut events, Duration::from_secs(20), "StasisStart", |e| {
        if let Event::StasisStart(s) = e {
            let n = index[s.channel.id.as_str()];
            assert!(
                !started_calls[n],
                "a second StasisStart for {}",
                s.channel.id
            );
            assert_eq!(s.args, ["world"]);
            started_calls[n] = true;
            waiting -= 1;
        }
        waiting == 0
    })
    .await;
    let entered = started.elapsed();

    // Each caller presses one key.
    for (n, id) in ids.iter().enumerate() {
        let key = KEYS[n % KEYS.len()].to_string();
        sim.control().press(id, &key).expect("the channel exists");
    }
    let mut heard: Vec<Vec<String>> = vec![Vec::new(); count];
    let mut waiting = count;
    read_until(
        &mut events,
        Duration::from_secs(20),
        "ChannelDtmfReceived",
        |e| {
            if let Event::ChannelDtmfReceived(d) = e {
                let n = index[d.channel.id.as_str()];
                heard[n].push(d.digit.clone());
                if heard[n].len() == 1 {
                    waiting -= 1;
                }
            }
            waiting == 0
        },
    )
    .await;
    // Anything late would be a duplicate or a key heard on the wrong channel.
    let late = tokio::time::timeout(Duration::from_millis(200), async {
        loop {
            match events.next().await {
                Some(Ok(Item::Event(Event::ChannelDtmfReceived(d)))) => {
                    heard[index[d.channel.id.as_str()]].push(d.digit.clone());
                }
                Some(_) => {}
                None => return,
            }
        }
    });
    let _ = late.await;
    for (n, keys) in heard.iter().enumerate() {
        let want = KEYS[n % KEYS.len()].to_string();
        assert_eq!(keys, &[want], "keys heard on {}", ids[n]);
    }
    let total = started.elapsed();
    eprintln!("{count} calls: all in Stasis after {entered:?}, every key heard after {total:?}");
    assert_eq!(sim.control().channel_ids().len(), count);
}
