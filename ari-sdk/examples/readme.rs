//! The usage example of the README, compiled by `cargo test` so it stays true.
//! Needs a running Asterisk (or the simulator) at 127.0.0.1:8088.

use ari_sdk::{ChannelState, Client};

#[tokio::main]
async fn main() -> ari_sdk::Result<()> {
    let client = Client::builder("http://127.0.0.1:8088/ari")
        .basic_auth("hey", "peekaboo")
        .build()?;

    // Required parameters are positional, optional ones are builder methods; `.await` sends.
    let channel = client
        .channels()
        .originate("PJSIP/100")
        .app("hello")
        .app_args("world")
        .await?;

    // A handle addresses one resource by id: its operations without the id.
    let ch = client.channel(&channel.id);
    ch.answer().await?;
    let sent = ch
        .play(["sound:hello-world"])
        .lang("en")
        .send_full()
        .await?; // 201 + Location
    println!("playback {} at {:?}", sent.value.id, sent.location);
    if ch.get().await?.state == ChannelState::Up {
        ch.hangup().await?;
    }
    // Errors carry the status, Asterisk's message and the operation name.
    match client.channel("gone").answer().await {
        Err(e) if e.is_not_found() => println!("{e}"),
        other => println!("{other:?}"),
    }
    // Anything the spec lacks: same auth, same errors, JSON in and out.
    let channels = client.raw().get("channels").await?;
    println!("{channels}");
    Ok(())
}
