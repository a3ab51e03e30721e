//! REST round trips against the simulator on loopback, one request at a time over a reused
//! connection: `asterisk.ping` and `channels.list` (20 channels up), with the SDK and with
//! plain reqwest decoding the answer into the same type (the baseline of the same run).
//! Criterion's time per iteration is one round trip: requests/s = 1 / time.
//!
//! The simulator runs in this process, on the same 2-worker tokio runtime.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ari_bench::sim_setup::loaded;
use criterion::{Criterion, Throughput};
use tokio::runtime::Runtime;

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

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let setup = rt.block_on(loaded(10));
    let client = &setup.client;
    let http = reqwest::Client::new();
    let (user, password) = (&setup.credentials.0, &setup.credentials.1);
    let listed = rt
        .block_on(async { client.channels().list().await })
        .expect("list")
        .len();
    println!("channels.list answers {listed} channels");

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("rest_roundtrip");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sdk/asterisk.ping", |b| {
        b.iter_custom(|n| {
            timed(&rt, n, || async {
                black_box(client.asterisk().ping().await.expect("ping"));
            })
        })
    });
    group.bench_function("reqwest_baseline/asterisk.ping", |b| {
        let url = format!("{}/asterisk/ping", setup.base);
        b.iter_custom(|n| {
            timed(&rt, n, || async {
                let body = http
                    .get(&url)
                    .basic_auth(user, Some(password))
                    .send()
                    .await
                    .expect("send")
                    .bytes()
                    .await
                    .expect("body");
                black_box(serde_json::from_slice::<ari_sdk::AsteriskPing>(&body).expect("ping"));
            })
        })
    });
    group.bench_function("sdk/channels.list", |b| {
        b.iter_custom(|n| {
            timed(&rt, n, || async {
                black_box(client.channels().list().await.expect("list"));
            })
        })
    });
    group.bench_function("reqwest_baseline/channels.list", |b| {
        let url = format!("{}/channels", setup.base);
        b.iter_custom(|n| {
            timed(&rt, n, || async {
                let body = http
                    .get(&url)
                    .basic_auth(user, Some(password))
                    .send()
                    .await
                    .expect("send")
                    .bytes()
                    .await
                    .expect("body");
                black_box(
                    serde_json::from_slice::<Vec<ari_sdk::Channel>>(&body).expect("channels"),
                );
            })
        })
    });
    group.finish();
    criterion.final_summary();
    drop(setup);
}
