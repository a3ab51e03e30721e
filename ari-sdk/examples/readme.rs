//! The tour of the README, compiled by `cargo test` so it stays true.
//! Needs a running Asterisk (or `cargo run -p ari-sim`) at 127.0.0.1:8088.

use ari_sdk::{Client, Event, Item};
use std::time::Duration;

#[tokio::main]
async fn main() -> ari_sdk::Result<()> {
    let client = Client::builder("http://127.0.0.1:8088/ari")
        .basic_auth("hey", "peekaboo")
        .build()?;
    let mut events = client.events(["hello"]).connect().await?; // reconnects by itself
    while let Some(item) = events.next().await {
        match item? {
            Item::Event(Event::StasisStart(e)) => {
                let ch = client.channel(&e.channel.id); // a handle: operations without the id
                ch.answer().await?; // required args positional, `.await` sends
                let pb = ch.play(["sound:hello-world"]).lang("en").await?; // optional args are builder methods
                pb.finished().await?; // waits for PlaybackFinished, race-free
                let digit = ch.next_dtmf(Duration::from_secs(5)).await;
                println!("pressed {digit:?}");
                ch.hangup().await?;
            }
            Item::Disconnected { reason } => println!("lost the connection: {reason}"),
            Item::Reconnected { .. } => { /* events may have been missed: resynchronize */ }
            _ => {}
        }
    }
    Ok(())
}
