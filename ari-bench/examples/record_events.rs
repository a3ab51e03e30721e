//! Records every event frame a real Asterisk sends, as sent, one per line: how
//! `tests/fixtures/traces/long-session/events.jsonl` was made (see its README).
//!
//! ```sh
//! cargo run --release -p ari-bench --example record_events -- \
//!     --url http://127.0.0.1:8088/ari --seconds 30 --out events.jsonl
//! ```
//!
//! It registers the application `recorder` with `subscribeAll=true`, so it receives the
//! events of every channel, bridge, endpoint and device state on the server, whatever
//! application the calls are in; run calls meanwhile (e.g. the `load` example).
//! `ARI_USER`/`ARI_PASSWORD` give the credentials (default `hey`/`peekaboo`).

use std::io::Write;
use std::time::Duration;

use ari_bench::env_or;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

struct Args {
    url: String,
    seconds: u64,
    out: String,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        url: "http://127.0.0.1:8088/ari".to_owned(),
        seconds: 30,
        out: "events.jsonl".to_owned(),
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => args.url = value,
            "--seconds" => {
                args.seconds = value
                    .parse()
                    .map_err(|_| format!("--seconds: not a number: {value}"))?;
            }
            "--out" => args.out = value,
            _ => return Err(format!("unknown flag {flag} (--url, --seconds, --out)")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    use base64::Engine as _;
    let args = args()?;
    let ws_url = format!(
        "{}/events?app=recorder&subscribeAll=true",
        args.url.trim_end_matches('/').replacen("http", "ws", 1)
    );
    let mut request = ws_url
        .into_client_request()
        .map_err(|e| format!("bad --url: {e}"))?;
    let token = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        env_or("ARI_USER", "hey"),
        env_or("ARI_PASSWORD", "peekaboo")
    ));
    request.headers_mut().insert(
        "Authorization",
        HeaderValue::from_str(&format!("Basic {token}")).map_err(|e| e.to_string())?,
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| format!("connecting to {}: {e}", args.url))?;
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&args.out).map_err(|e| format!("{}: {e}", args.out))?,
    );
    let mut frames = 0usize;
    let until = tokio::time::sleep(Duration::from_secs(args.seconds));
    tokio::pin!(until);
    loop {
        tokio::select! {
            () = &mut until => break,
            frame = socket.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    writeln!(out, "{}", text.as_str()).map_err(|e| e.to_string())?;
                    frames += 1;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("the connection failed: {e}")),
                None => break,
            },
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("{frames} frames written to {}", args.out);
    Ok(())
}
