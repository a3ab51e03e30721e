//! Per-call event delivery under load, as an application with one task per call sees it:
//! every event reaches each per-resource stream exactly once, however many connections the
//! client has, and a call's stream (`client.calls(..)`) holds everything after its
//! `StasisStart`, however slowly the application reads. On the simulator always, and on a
//! real Asterisk when `ARI_E2E_URL` is set (see `per_call/servers.rs`).

#[path = "per_call/servers.rs"]
mod servers;

use std::collections::HashMap;
use std::time::Duration;

use ari_sdk::{Client, DigitsEnd, Event, EventStream, Item, ResourceEvents};
use servers::{LIMIT, Server};

/// How long a stream is watched for a late copy after its first digit.
const SETTLE: Duration = Duration::from_millis(700);

/// Counts the digits a stream receives until `SETTLE` after the first, or the limit.
async fn count_digits(mut events: ResourceEvents) -> usize {
    let mut seen = 0;
    let limit = tokio::time::Instant::now() + LIMIT;
    loop {
        let until = if seen == 0 {
            limit
        } else {
            tokio::time::Instant::now() + SETTLE
        };
        match tokio::time::timeout_at(until, events.next()).await {
            Ok(Some(Ok(Event::ChannelDtmfReceived(_)))) => seen += 1,
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("stream error: {e}"),
            Ok(None) | Err(_) => return seen,
        }
    }
}

/// The ids of `count` channels entering `hello`, read from its event stream.
async fn stasis_starts(events: &mut EventStream, wanted: &[String]) -> Vec<String> {
    let mut started = Vec::new();
    while started.len() < wanted.len() {
        let item = tokio::time::timeout(LIMIT, events.next())
            .await
            .expect("StasisStart in time")
            .expect("stream open")
            .expect("no error");
        if let Item::Event(Event::StasisStart(e)) = item {
            if wanted.contains(&e.channel.id) {
                started.push(e.channel.id.clone());
            }
        }
    }
    started
}

/// The first reproduction: the application's connection and an observer with
/// `subscribeAll` on one client, `calls` calls, a channel stream each, "1" pressed on each.
/// Returns how many streams saw the digit exactly once.
async fn digits_reach_each_stream_once(server: &Server, calls: usize, tag: &str) -> usize {
    let client = server.client();
    let mut hello = client.events(["hello"]).connect().await.expect("hello");
    let _observer = client
        .events(["observer"])
        .subscribe_all(true)
        .connect()
        .await
        .expect("observer");
    let _phone = client.events(["phone"]).connect().await.expect("phone");
    let mut ids = Vec::new();
    for i in 0..calls {
        ids.push(server.place_call(&client, &format!("{tag}{i}")).await);
    }
    let started = stasis_starts(&mut hello, &ids).await;
    let counters: Vec<_> = started
        .iter()
        .map(|id| tokio::spawn(count_digits(client.channel(id).events())))
        .collect();
    // Every far end ready first, then all press at once, as callers would.
    futures_util::future::join_all(ids.iter().map(|id| server.ready(&client, id))).await;
    let presses = ids.iter().map(|id| server.press(&client, id, "1"));
    futures_util::future::join_all(presses).await;
    let mut once = 0;
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for counter in counters {
        let seen = counter.await.expect("counter");
        *counts.entry(seen).or_default() += 1;
        once += usize::from(seen == 1);
    }
    eprintln!(
        "{}: {calls} calls, streams by digits seen: {counts:?}",
        server.name()
    );
    for id in &ids {
        let _ = client.channel(id).hangup().await;
    }
    server.clean_up(&client, tag).await;
    once
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digit_reaches_each_channel_stream_once_with_an_observer_connection() {
    let sim = Server::simulator().await;
    for calls in [10, 100, 1000] {
        assert_eq!(
            digits_reach_each_stream_once(&sim, calls, "dup").await,
            calls,
            "every stream saw the digit exactly once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digit_reaches_each_channel_stream_once_on_a_real_asterisk() {
    let Some(real) = Server::real("digits once per stream") else {
        return;
    };
    let _hello = servers::hello_lock().await;
    assert_eq!(
        digits_reach_each_stream_once(&real, 20, "pc13dup").await,
        20
    );
}

/// The second reproduction: calls whose digits arrive while the application's
/// main loop is still busy (20 ms per call). Through `client.calls`, each call's stream
/// holds its digit. Returns how many calls got their digits exactly right.
async fn digits_typed_before_the_application_looks(
    server: &Server,
    calls: usize,
    tag: &str,
) -> usize {
    let client = server.client();
    let mut incoming = client.calls(["hello"]).connect().await.expect("calls");
    let _phone = client.events(["phone"]).connect().await.expect("phone");
    let mut expected = HashMap::new();
    for i in 0..calls {
        let id = server.place_call(&client, &format!("{tag}{i}")).await;
        expected.insert(id, format!("{}", i % 10));
    }
    // The far ends press at once, whatever the application is doing.
    let presses: Vec<_> = expected
        .iter()
        .map(|(id, digit)| {
            let (client, id, digit) = (client.clone(), id.clone(), digit.clone());
            let server = &server;
            async move { server.press(&client, &id, &format!("{digit}#")).await }
        })
        .collect();
    let pressing = futures_util::future::join_all(presses);
    let answering = async {
        let mut tasks = Vec::new();
        while tasks.len() < calls {
            let mut call = tokio::time::timeout(LIMIT, incoming.next())
                .await
                .expect("a call in time")
                .expect("stream open")
                .expect("no error");
            tokio::time::sleep(Duration::from_millis(20)).await; // a slow main loop
            tasks.push(tokio::spawn(async move {
                let got = call
                    .collect_digits()
                    .first_digit_timeout(LIMIT)
                    .await
                    .expect("digits");
                (call.id().to_owned(), got)
            }));
        }
        futures_util::future::join_all(tasks).await
    };
    let (_, results) = tokio::join!(pressing, answering);
    let mut right = 0;
    for result in results {
        let (id, got) = result.expect("call task");
        let want = &expected[&id];
        if got.digits == *want && got.end == DigitsEnd::Terminator('#') {
            right += 1;
        } else {
            eprintln!("{id}: wanted {want}#, got {got:?}");
        }
    }
    eprintln!(
        "{}: {right} of {calls} calls got their digits",
        server.name()
    );
    for id in expected.keys() {
        let _ = client.channel(id).hangup().await;
    }
    server.clean_up(&client, tag).await;
    right
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_stream_holds_the_digits_pressed_before_the_application_read_the_call() {
    let sim = Server::simulator().await;
    assert_eq!(
        digits_typed_before_the_application_looks(&sim, 20, "late").await,
        20
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_stream_holds_early_digits_on_a_real_asterisk() {
    let Some(real) = Server::real("early digits in the call stream") else {
        return;
    };
    let _hello = servers::hello_lock().await;
    assert_eq!(
        digits_typed_before_the_application_looks(&real, 10, "pc13late").await,
        10
    );
}

/// 1,000 concurrent calls, one task each, each entering its own number with an observer
/// connection on the same client: every call's digits exactly right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_each_get_exactly_their_digits() {
    let Server::Sim(sim) = Server::simulator().await else {
        unreachable!()
    };
    let server = Server::Sim(sim);
    let client: Client = server.client();
    let mut incoming = client.calls(["hello"]).connect().await.expect("calls");
    let _observer = client
        .events(["observer"])
        .subscribe_all(true)
        .connect()
        .await
        .expect("observer");
    const CALLS: usize = 1000;
    let mut expected = HashMap::new();
    for i in 0..CALLS {
        let id = server.place_call(&client, "k").await;
        expected.insert(id, format!("{i:03}"));
    }
    let mut tasks = Vec::new();
    for (id, number) in &expected {
        server.press(&client, id, &format!("{number}#")).await;
    }
    while tasks.len() < CALLS {
        let mut call = tokio::time::timeout(LIMIT, incoming.next())
            .await
            .expect("a call in time")
            .expect("stream open")
            .expect("no error");
        tasks.push(tokio::spawn(async move {
            let got = call
                .collect_digits()
                .max_digits(3)
                .first_digit_timeout(LIMIT)
                .inter_digit_timeout(LIMIT)
                .await
                .expect("digits");
            let terminator = call.collect_digits().max_digits(1).await.expect("#");
            (call.id().to_owned(), got, terminator)
        }));
    }
    let mut right = 0;
    for task in tasks {
        let (id, got, terminator) = task.await.expect("call task");
        assert_eq!(got.end, DigitsEnd::MaxDigits, "{id}: {got:?}");
        assert_eq!(
            terminator.end,
            DigitsEnd::Terminator('#'),
            "{id}: {terminator:?}"
        );
        assert_eq!(got.digits, expected[&id], "{id}");
        right += 1;
    }
    assert_eq!(right, CALLS);
}
