//! The guide's `wscat`: every event of an application as one JSON line.
//!
//! `cargo run --example events -- --app hello [--count N]` (URL and credentials from
//! `--url/--user/--password` or `ARI_URL/ARI_USER/ARI_PASSWORD`). Against the embedded
//! simulator it also dials 7000 once, so there is something to see. Ctrl-C exits cleanly.

use std::process::ExitCode;
use std::time::Duration;

use ari_examples::target;
use ari_sdk::Item;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let target = target().await?;
    let mut apps = Vec::new();
    let mut count: Option<usize> = None;
    let mut rest = target.rest.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--app" => apps.push(rest.next().ok_or("--app needs a name")?.clone()),
            "--count" => {
                count = Some(
                    rest.next()
                        .and_then(|c| c.parse().ok())
                        .ok_or("--count needs a number")?,
                )
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if apps.is_empty() {
        apps.push("hello".to_owned());
    }
    let mut events = target
        .client
        .events(apps.clone())
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("connected: app={}", apps.join(","));
    if let Some(sim) = &target.simulator {
        let channel = sim.control().call("7000")?;
        let control = sim.control().clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = control.hangup(&channel);
        });
    }
    let mut printed = 0;
    loop {
        tokio::select! {
            item = events.next() => match item {
                None => break,
                Some(Ok(Item::Event(event))) => {
                    println!("{}", serde_json::to_string(&event).map_err(|e| e.to_string())?);
                    printed += 1;
                    if count.is_some_and(|c| printed >= c) {
                        break;
                    }
                }
                Some(Ok(state)) => eprintln!("connection: {state:?}"),
                Some(Err(e)) => eprintln!("error: {e}"),
            },
            _ = tokio::signal::ctrl_c() => {
                eprintln!("interrupted");
                break;
            }
        }
    }
    events.close().await;
    Ok(())
}
