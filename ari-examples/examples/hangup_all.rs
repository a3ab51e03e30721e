//! The guide's abstraction-layer snippet: list every channel and hang each up, once with
//! the typed API and once with `raw()`.
//!
//! Against a real Asterisk this hangs up every call on it: it asks for `--yes` there.
//! Against the embedded simulator it first places two calls to have something to end.

use std::process::ExitCode;

use ari_examples::target;

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
    let client = &target.client;
    match &target.simulator {
        Some(sim) => {
            sim.control().call("7002")?;
            sim.control().call("7002")?;
        }
        None if !target.rest.iter().any(|a| a == "--yes") => {
            return Err(
                "this hangs up every channel of that Asterisk; add --yes to go ahead".to_owned(),
            );
        }
        None => {}
    }

    // Typed: `client.channels().list()` is `GET /channels`.
    let channels = client.channels().list().await.map_err(|e| e.to_string())?;
    println!("typed: {} channel(s)", channels.len());
    if let Some((first, others)) = channels.split_first() {
        client
            .channel(&first.id)
            .hangup()
            .await
            .map_err(|e| e.to_string())?;
        println!("  hung up {} ({})", first.id, first.name);
        // The rest through the escape hatch, as the guide's `ari.get('channels')` does.
        let listed = client
            .raw()
            .get("channels")
            .await
            .map_err(|e| e.to_string())?;
        let ids: Vec<String> = listed
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        println!("raw: {} channel(s) left", ids.len());
        for id in ids {
            match client.raw().delete(&format!("channels/{id}")).await {
                Ok(_) => println!("  hung up {id}"),
                Err(e) if e.is_not_found() => println!("  {id} already gone"),
                Err(e) => return Err(e.to_string()),
            }
        }
        let _ = others;
    }
    let left = client.channels().list().await.map_err(|e| e.to_string())?;
    println!("{} channel(s) left", left.len());
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("{} channel(s) still up", left.len()))
    }
}
