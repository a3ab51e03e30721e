//! A quick measurement (not a benchmark) of how many events per second the event stream
//! decodes: a local WebSocket server sends the recorded events of the walkthrough over and
//! over; the SDK stream consumes them. `cargo run --release --example stream_rate [N]`.

use std::time::Instant;

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main]
async fn main() {
    let total: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    let frames: Vec<String> = include_str!("../../tests/fixtures/traces/walkthrough/events.jsonl")
        .lines()
        .map(str::to_owned)
        .collect();
    let bytes: usize = frames.iter().map(String::len).sum::<usize>() / frames.len();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let mut ws = tokio_tungstenite::accept_async(tcp).await.expect("upgrade");
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
    let client = ari_sdk::Client::builder(format!("http://{addr}/ari"))
        .build()
        .expect("client");
    let mut stream = client
        .events(["hello"])
        .buffer(total + 8)
        .connect()
        .await
        .expect("connect");
    let started = Instant::now();
    let mut events = 0;
    while events < total {
        match stream.next().await {
            Some(Ok(ari_sdk::Item::Event(_))) => events += 1,
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("{e}"),
            None => break,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{events} events (about {bytes} bytes each) in {secs:.3} s: {:.0} events/s, {:.1} MB/s",
        events as f64 / secs,
        (events * bytes) as f64 / secs / 1e6
    );
}
