//! The tour of the README, compiled by `cargo test`; `tests/tests/readme_tour.rs` checks
//! the README shows exactly this code. Needs an Asterisk (or `cargo run -p ari-sim`) at
//! 127.0.0.1:8088.

use ari_sdk::{Call, Client, MenuChoice, Played};
use std::time::Duration;

#[tokio::main]
async fn main() -> ari_sdk::Result<()> {
    let client = Client::builder("http://127.0.0.1:8088/ari")
        .basic_auth("hey", "peekaboo")
        .build()?;
    let mut calls = client.calls(["hello"]).connect().await?; // reconnects by itself
    while let Some(call) = calls.next().await {
        match call {
            // One task per call.
            Ok(call) => drop(tokio::spawn(serve(call))),
            // A frame that did not decode, or lag: the stream goes on.
            Err(e) => eprintln!("{e}"),
        }
    }
    Ok(())
}

async fn serve(mut call: Call) -> ari_sdk::Result<()> {
    call.channel().answer().await?; // a handle: operations without the id
    // Prompt with barge-in, collect, retry on invalid input or silence; digits typed
    // during the prompt count.
    match call
        .menu("sound:hello-world")
        .choices(["1", "2"])
        .attempts(3)
        .await?
    {
        MenuChoice::Chosen(digit) => println!("pressed {digit}"),
        _ => return Ok(()), // gave up after 3 attempts, or the caller left
    }
    // One media URI, or several: ["sound:a", "digits:42"].
    if call.play("sound:vm-goodbye").await? == Played::CallerGone {
        return Ok(());
    }
    let digits = call
        .collect_digits()
        .max_digits(4)
        .inter_digit_timeout(Duration::from_secs(2))
        .await?;
    println!("entered {} ({:?})", digits.digits, digits.end);
    call.channel().hangup().await
}
