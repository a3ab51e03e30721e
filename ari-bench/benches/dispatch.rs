//! Events per second through the SDK's event stream and per-resource dispatcher, for a
//! growing number of resource subscriptions (`ResourceEvents`) that the events do not
//! concern: the dispatcher should cost the same per event whatever their number (a map
//! lookup per resource an event names, not a scan of the subscriptions).
//!
//! A loopback WebSocket server sends the recorded corpus over and over; the SDK's
//! `EventStream` reads, decodes, dispatches and hands every event to this consumer.
//! The baseline of the same run: `ari_sdk::decode_event` alone on the same frames.

use std::hint::black_box;
use std::time::Instant;

use ari_bench::{corpus, quick_mode};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

/// Serves one WebSocket connection; sends `total` frames once `go` fires.
async fn server(
    frames: Vec<String>,
    total: usize,
    go: tokio::sync::oneshot::Receiver<()>,
) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let _ = tcp.set_nodelay(true);
        let mut ws = tokio_tungstenite::accept_async(tcp).await.expect("upgrade");
        if go.await.is_err() {
            return;
        }
        for i in 0..total {
            if ws
                .feed(Message::text(frames[i % frames.len()].clone()))
                .await
                .is_err()
            {
                return;
            }
        }
        let _ = ws.flush().await;
        std::future::pending::<()>().await;
    });
    addr
}

/// Events/s through the stream with `subscriptions` unrelated resource streams open.
async fn through_stream(frames: &[String], total: usize, subscriptions: usize) -> f64 {
    let (go, ready) = tokio::sync::oneshot::channel();
    let addr = server(frames.to_vec(), total, ready).await;
    let client = ari_sdk::Client::builder(format!("http://{addr}/ari"))
        .build()
        .expect("client");
    let mut stream = client
        .events(["hello", "phone"])
        .buffer(total + 8)
        .connect()
        .await
        .expect("connect");
    let held: Vec<ari_sdk::ResourceEvents> = (0..subscriptions)
        .map(|i| {
            let kind = if i % 2 == 0 {
                ari_sdk::ResourceKind::Channel
            } else {
                ari_sdk::ResourceKind::Bridge
            };
            ari_sdk::ResourceEvents::subscribe(&client, kind, format!("not-in-corpus-{i}"))
        })
        .collect();
    let started = Instant::now();
    go.send(()).expect("server waiting");
    let mut events = 0;
    while events < total {
        match stream.next().await {
            Some(Ok(ari_sdk::Item::Event(event))) => {
                black_box(event);
                events += 1;
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("{e}"),
            None => panic!("the stream ended after {events} events"),
        }
    }
    let rate = events as f64 / started.elapsed().as_secs_f64();
    drop(held);
    stream.close().await;
    rate
}

fn main() {
    let corpus = corpus();
    let frames: Vec<String> = corpus.frames.iter().map(|f| f.text.clone()).collect();
    let (total, counts): (usize, &[usize]) = if quick_mode() {
        (2_000, &[0, 10])
    } else {
        (200_000, &[0, 1, 100, 10_000, 100_000])
    };

    let started = Instant::now();
    let mut decoded = 0;
    while decoded < total {
        for frame in &frames {
            black_box(ari_sdk::decode_event(black_box(frame)).ok());
        }
        decoded += frames.len();
    }
    let decode_rate = decoded as f64 / started.elapsed().as_secs_f64();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "event stream + dispatcher: {total} events per run (the corpus of {} frames, cycled)",
        frames.len()
    );
    println!(
        "{:<34} {:>12} {:>10} {:>16}",
        "run", "events/s", "ns/event", "vs decode alone"
    );
    println!(
        "{:<34} {:>12.0} {:>10.0} {:>16}",
        "decode_event alone (1 thread)",
        decode_rate,
        1e9 / decode_rate,
        "1.00x"
    );
    let mut first = None;
    for &subscriptions in counts {
        let rate = rt.block_on(through_stream(&frames, total, subscriptions));
        first.get_or_insert(rate);
        println!(
            "{:<34} {:>12.0} {:>10.0} {:>15.2}x",
            format!("stream, {subscriptions} subscriptions"),
            rate,
            1e9 / rate,
            rate / decode_rate
        );
    }
}
