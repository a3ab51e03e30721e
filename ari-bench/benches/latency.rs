//! Latency distribution of REST round trips against the simulator on loopback: every
//! request timed on its own, one at a time over a reused connection, SDK next to plain
//! reqwest (the baseline of the same run). Prints requests/s and p50/p90/p99/p99.9.
//!
//! The simulator runs in this process, on the same 2-worker tokio runtime.

use std::hint::black_box;

use ari_bench::sim_setup::loaded;
use ari_bench::{alternate, micros, quick_mode};

fn main() {
    let (pings, lists) = if quick_mode() {
        (50, 20)
    } else {
        (20_000, 5_000)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let setup = loaded(10).await;
        let client = &setup.client;
        let http = reqwest::Client::new();
        let (user, password) = (&setup.credentials.0, &setup.credentials.1);
        let ping_url = format!("{}/asterisk/ping", setup.base);
        let list_url = format!("{}/channels", setup.base);
        let raw = |url: &str| {
            http.get(url)
                .basic_auth(user, Some(password))
                .send()
        };
        let [sdk_ping, raw_ping] = alternate(
            pings,
            || async {
                black_box(client.asterisk().ping().await.expect("ping"));
            },
            || async {
                let body = raw(&ping_url).await.expect("send").bytes().await.expect("body");
                black_box(serde_json::from_slice::<ari_sdk::AsteriskPing>(&body).expect("ping"));
            },
        )
        .await;
        let [sdk_list, raw_list] = alternate(
            lists,
            || async {
                black_box(client.channels().list().await.expect("list"));
            },
            || async {
                let body = raw(&list_url).await.expect("send").bytes().await.expect("body");
                black_box(
                    serde_json::from_slice::<Vec<ari_sdk::Channel>>(&body).expect("channels"),
                );
            },
        )
        .await;
        let rows = [
            ("sdk/asterisk.ping", sdk_ping),
            ("reqwest_baseline/asterisk.ping", raw_ping),
            ("sdk/channels.list", sdk_list),
            ("reqwest_baseline/channels.list", raw_list),
        ];
        let listed = client.channels().list().await.expect("list").len();
        println!("REST latency, one request at a time, simulator in-process; channels.list answers {listed} channels");
        println!(
            "{:<32} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "operation", "count", "req/s", "p50", "p90", "p99", "p99.9", "max"
        );
        for (name, (rate, p)) in &rows {
            println!(
                "{:<32} {:>8} {:>10.0} {:>10} {:>10} {:>10} {:>10} {:>10}",
                name,
                p.count,
                rate,
                micros(p.p50),
                micros(p.p90),
                micros(p.p99),
                micros(p.p999),
                micros(p.max)
            );
        }
        let ratio = |a: usize, b: usize| rows[a].1.1.p50.as_secs_f64() / rows[b].1.1.p50.as_secs_f64();
        println!(
            "p50 sdk / reqwest: ping {:.2}x, channels.list {:.2}x",
            ratio(0, 1),
            ratio(2, 3)
        );
    });
}
