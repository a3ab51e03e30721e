//! Request building per operation kind, with the public builders.
//!
//! - `build_request/*`: the builder only (path segments encoded, query values and the JSON
//!   body map collected), never sent. ari-sdk has no public way to finish a request (URL
//!   text, query string, body bytes) without sending it: that happens inside `send`.
//! - `send_canned/*`: the same requests sent to a loopback server that answers at once with
//!   a fixed body (so the whole client side is measured: URL, query and body encoding,
//!   reqwest, decoding of the answer), next to `reqwest_baseline/*`: plain reqwest with the
//!   URL and body written out by hand and the answer decoded into the same type. The
//!   difference is what the SDK adds per request.
//! - `decode_response/*`: a `channels.list` answer of 20 recorded channels decoded by the
//!   SDK's response decoder (`ari_sdk::runtime::decode_json`, which tracks the JSON path
//!   for its error messages) and by plain `serde_json::from_slice`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ari_bench::{canned, corpus};
use criterion::Criterion;
use tokio::runtime::Runtime;

const CHANNEL: &str = "1795775777.1";
const BRIDGE: &str = "7f6c2a5e-1b9d-4f6e-9a53-0c2d0e7e4c11";
const MEDIA: [&str; 3] = ["sound:hello-world", "sound:tt-monkeys", "digits:1234#"];
const MEMBERS: [&str; 3] = ["1795775777.1", "1795775777.2", "1795775777.3"];

/// A channel and a playback as Asterisk 22 sends them, taken from the recorded events.
fn canned_bodies() -> (&'static str, &'static str) {
    let corpus = corpus();
    let member = |type_name: &str, field: &str| -> &'static str {
        let frame = corpus
            .frames
            .iter()
            .find(|f| f.type_name == type_name)
            .unwrap_or_else(|| panic!("no {type_name} in the corpus"));
        let value: serde_json::Value = serde_json::from_str(&frame.text).expect("JSON");
        Box::leak(value[field].to_string().into_boxed_str())
    };
    (
        member("StasisStart", "channel"),
        member("PlaybackStarted", "playback"),
    )
}

/// A `GET /channels` answer: 20 distinct channels of the recorded events.
fn channel_list_body() -> bytes::Bytes {
    let mut seen = std::collections::HashSet::new();
    let channels: Vec<serde_json::Value> = corpus()
        .frames
        .iter()
        .filter_map(|f| {
            let v: serde_json::Value = serde_json::from_str(&f.text).ok()?;
            let channel = v.get("channel")?.clone();
            seen.insert(channel["id"].as_str()?.to_owned())
                .then_some(channel)
        })
        .take(20)
        .collect();
    assert_eq!(channels.len(), 20);
    bytes::Bytes::from(serde_json::to_vec(&channels).expect("JSON"))
}

fn decode_response(c: &mut Criterion) {
    let body = channel_list_body();
    let mut group = c.benchmark_group("decode_response");
    group.throughput(criterion::Throughput::Bytes(body.len() as u64));
    group.bench_function("sdk_decode_json/channels.list", |b| {
        b.iter(|| {
            black_box(
                ari_sdk::runtime::decode_json::<Vec<ari_sdk::Channel>>(
                    "channels.list",
                    black_box(body.clone()).into(),
                )
                .expect("channels"),
            )
        })
    });
    group.bench_function("serde_json_from_slice/channels.list", |b| {
        b.iter(|| {
            black_box(
                serde_json::from_slice::<Vec<ari_sdk::Channel>>(black_box(&body))
                    .expect("channels"),
            )
        })
    });
    group.finish();
}

fn build(c: &mut Criterion, client: &ari_sdk::Client) {
    let mut group = c.benchmark_group("build_request");
    group.bench_function("path_id/channels.get", |b| {
        b.iter(|| black_box(client.channels().get(black_box(CHANNEL))))
    });
    group.bench_function("path_id/handle.answer", |b| {
        b.iter(|| black_box(client.channel(black_box(CHANNEL)).answer()))
    });
    group.bench_function("query_list/channels.play", |b| {
        b.iter(|| {
            black_box(
                client
                    .channels()
                    .play(black_box(CHANNEL), black_box(MEDIA))
                    .lang("en")
                    .skipms(3000),
            )
        })
    });
    group.bench_function("query_list/bridges.addChannel", |b| {
        b.iter(|| {
            black_box(
                client
                    .bridges()
                    .add_channel(black_box(BRIDGE), black_box(MEMBERS)),
            )
        })
    });
    group.bench_function("json_body/channels.originate", |b| {
        b.iter(|| {
            black_box(
                client
                    .channels()
                    .originate(black_box("Local/7000@default"))
                    .app("phone")
                    .caller_id("Alice <100>")
                    .variables([("CALLERID(name)", "Alice"), ("X_ACCOUNT", "42")]),
            )
        })
    });
    group.finish();
}

/// Times `n` sequential runs of `op` on the runtime.
fn timed<F, Fut>(rt: &Runtime, iters: u64, op: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    rt.block_on(async {
        let started = Instant::now();
        for _ in 0..iters {
            op().await;
        }
        started.elapsed()
    })
}

fn send(c: &mut Criterion, rt: &Runtime, client: &ari_sdk::Client, base: &str) {
    let http = reqwest::Client::new();
    let (user, password) = ("hey", "peekaboo");
    let mut group = c.benchmark_group("send_canned");
    group.bench_function("sdk/channels.get", |b| {
        b.iter_custom(|n| {
            timed(rt, n, || async {
                black_box(client.channels().get(CHANNEL).await.expect("get"));
            })
        })
    });
    group.bench_function("reqwest_baseline/channels.get", |b| {
        let url = format!("{base}/channels/{CHANNEL}");
        b.iter_custom(|n| {
            timed(rt, n, || async {
                let body = http
                    .get(&url)
                    .basic_auth(user, Some(password))
                    .send()
                    .await
                    .expect("send")
                    .bytes()
                    .await
                    .expect("body");
                black_box(serde_json::from_slice::<ari_sdk::Channel>(&body).expect("channel"));
            })
        })
    });
    group.bench_function("sdk/channels.play", |b| {
        b.iter_custom(|n| {
            timed(rt, n, || async {
                let playback = client
                    .channels()
                    .play(CHANNEL, MEDIA)
                    .lang("en")
                    .skipms(3000)
                    .send_full()
                    .await
                    .expect("play");
                black_box(playback);
            })
        })
    });
    group.bench_function("reqwest_baseline/channels.play", |b| {
        let url = format!(
            "{base}/channels/{CHANNEL}/play?media={}&lang=en&skipms=3000",
            MEDIA.join(",")
        );
        b.iter_custom(|n| {
            timed(rt, n, || async {
                let body = http
                    .post(&url)
                    .basic_auth(user, Some(password))
                    .send()
                    .await
                    .expect("send")
                    .bytes()
                    .await
                    .expect("body");
                black_box(serde_json::from_slice::<ari_sdk::Playback>(&body).expect("playback"));
            })
        })
    });
    group.bench_function("sdk/bridges.addChannel", |b| {
        b.iter_custom(|n| {
            timed(rt, n, || async {
                client
                    .bridges()
                    .add_channel(BRIDGE, MEMBERS)
                    .await
                    .expect("addChannel");
            })
        })
    });
    group.bench_function("reqwest_baseline/bridges.addChannel", |b| {
        let url = format!(
            "{base}/bridges/{BRIDGE}/addChannel?channel={}",
            MEMBERS.join(",")
        );
        b.iter_custom(|n| {
            timed(rt, n, || async {
                let response = http
                    .post(&url)
                    .basic_auth(user, Some(password))
                    .send()
                    .await
                    .expect("send");
                black_box(response.bytes().await.expect("body"));
            })
        })
    });
    group.bench_function("sdk/channels.originate", |b| {
        b.iter_custom(|n| {
            timed(rt, n, || async {
                let channel = client
                    .channels()
                    .originate("Local/7000@default")
                    .app("phone")
                    .caller_id("Alice <100>")
                    .variables([("CALLERID(name)", "Alice"), ("X_ACCOUNT", "42")])
                    .await
                    .expect("originate");
                black_box(channel);
            })
        })
    });
    group.bench_function("reqwest_baseline/channels.originate", |b| {
        let url = format!(
            "{base}/channels?endpoint=Local/7000@default&app=phone&callerId=Alice%20%3C100%3E"
        );
        let body = br#"{"variables":{"CALLERID(name)":"Alice","X_ACCOUNT":"42"}}"#;
        b.iter_custom(|n| {
            timed(rt, n, || async {
                let answer = http
                    .post(&url)
                    .basic_auth(user, Some(password))
                    .header("content-type", "application/json")
                    .body(&body[..])
                    .send()
                    .await
                    .expect("send")
                    .bytes()
                    .await
                    .expect("body");
                black_box(serde_json::from_slice::<ari_sdk::Channel>(&answer).expect("channel"));
            })
        })
    });
    group.finish();
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (channel, playback) = canned_bodies();
    let route: canned::Route = Arc::new(move |line: &str| {
        if line.contains("/play") {
            (201, playback)
        } else if line.contains("/addChannel") {
            (204, "")
        } else {
            (200, channel)
        }
    });
    let addr = rt.block_on(canned::serve(route)).expect("canned server");
    let base = format!("http://{addr}/ari");
    let client = ari_sdk::Client::builder(&base)
        .basic_auth("hey", "peekaboo")
        .build()
        .expect("client");
    let mut criterion = Criterion::default().configure_from_args();
    build(&mut criterion, &client);
    decode_response(&mut criterion);
    send(&mut criterion, &rt, &client, &base);
    criterion.final_summary();
}
