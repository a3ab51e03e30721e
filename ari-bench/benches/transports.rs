//! HTTP against REST over the event WebSocket (`Transport::WebSocket`), against the
//! simulator on loopback, in one run: requests one at a time (latency p50/p99 and
//! requests/s) and many in flight at once (throughput). The two transports alternate
//! request by request so both see the same machine.
//!
//! `cargo bench -p ari-bench --bench transports` (`-- --test` for a quick smoke run).

use std::hint::black_box;
use std::time::Instant;

use ari_bench::sim_setup::loaded;
use ari_bench::{Percentiles, alternate, micros, quick_mode};
use ari_sdk::{Client, Transport};

/// `total` pings with `in_flight` outstanding at a time; requests/s.
async fn concurrent(client: &Client, total: usize, in_flight: usize) -> f64 {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut sent = 0;
    while sent < total || !tasks.is_empty() {
        while sent < total && tasks.len() < in_flight {
            let client = client.clone();
            tasks.spawn(async move { black_box(client.asterisk().ping().await.expect("ping")) });
            sent += 1;
        }
        tasks.join_next().await.expect("a task").expect("joined");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let (count, total) = if quick_mode() {
        (50, 200)
    } else {
        (10_000, 40_000)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let setup = loaded(10).await;
        let (user, password) = (&setup.credentials.0, &setup.credentials.1);
        let build = |transport| {
            Client::builder(setup.base.clone())
                .basic_auth(user, password)
                .transport(transport)
                .build()
                .expect("client")
        };
        let http = build(Transport::Http);
        let websocket = build(Transport::WebSocket);
        // The WebSocket transport rides on an event connection.
        let _events = websocket
            .events(["bench"])
            .buffer(64)
            .connect()
            .await
            .expect("event connection");

        let ping = |c: &Client| {
            let c = c.clone();
            async move { black_box(c.asterisk().ping().await.expect("ping")); }
        };
        let list = |c: &Client| {
            let c = c.clone();
            async move { black_box(c.channels().list().await.expect("list")); }
        };
        let [http_ping, ws_ping] = alternate(count, || ping(&http), || ping(&websocket)).await;
        let [http_list, ws_list] =
            alternate(count / 4, || list(&http), || list(&websocket)).await;
        let http_burst = concurrent(&http, total, 64).await;
        let ws_burst = concurrent(&websocket, total, 64).await;

        println!("REST transports against the simulator (in-process, loopback); one request at a time");
        println!(
            "{:<34} {:>8} {:>10} {:>10} {:>10} {:>10}",
            "transport/operation", "count", "req/s", "p50", "p99", "max"
        );
        for (name, (rate, p)) in [
            ("http/asterisk.ping", &http_ping),
            ("websocket/asterisk.ping", &ws_ping),
            ("http/channels.list (20 channels)", &http_list),
            ("websocket/channels.list", &ws_list),
        ] {
            println!(
                "{:<34} {:>8} {:>10.0} {:>10} {:>10} {:>10}",
                name,
                p.count,
                rate,
                micros(p.p50),
                micros(p.p99),
                micros(p.max)
            );
        }
        println!("64 requests in flight, {total} pings: http {http_burst:.0} req/s, websocket {ws_burst:.0} req/s");
        // Latency ratios as http / websocket: above 1 means the WebSocket answers sooner.
        let p50 = |ws: &(f64, Percentiles), http: &(f64, Percentiles)| {
            http.1.p50.as_secs_f64() / ws.1.p50.as_secs_f64()
        };
        let p99 = |ws: &(f64, Percentiles), http: &(f64, Percentiles)| {
            http.1.p99.as_secs_f64() / ws.1.p99.as_secs_f64()
        };
        println!(
            "websocket vs http: ping req/s {:.2}x (latency http/ws p50 {:.2}x, p99 {:.2}x); channels.list req/s {:.2}x (p50 {:.2}x, p99 {:.2}x); 64 in flight req/s {:.2}x",
            ws_ping.0 / http_ping.0,
            p50(&ws_ping, &http_ping),
            p99(&ws_ping, &http_ping),
            ws_list.0 / http_list.0,
            p50(&ws_list, &http_list),
            p99(&ws_list, &http_list),
            ws_burst / http_burst
        );
    });
}
