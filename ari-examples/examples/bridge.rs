//! The bridging half of the walkthrough: a holding bridge, two calls added with one
//! `addChannel`, music to the whole bridge, cleanup.

use std::process::ExitCode;
use std::time::Duration;

use ari_examples::{Cleanup, step, target, wait_for};
use ari_sdk::{Client, Event, EventStream};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> ExitCode {
    let target = match target().await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut cleanup = Cleanup::default();
    let outcome = run(&target.client, &mut cleanup).await;
    cleanup.run(&target.client).await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bridge example failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn call_into_hello(
    client: &Client,
    events: &mut EventStream,
    cleanup: &mut Cleanup,
) -> Result<String, String> {
    let near = client
        .channels()
        .originate("Local/7000@default")
        .app("phone")
        .await
        .map_err(|e| e.to_string())?;
    cleanup.channel(&near.id);
    let id = wait_for(events, "StasisStart", WAIT, |e| match e {
        Event::StasisStart(s) if s.application == "hello" => Some(s.channel.id.clone()),
        _ => None,
    })
    .await?;
    cleanup.channel(&id);
    client
        .channel(&id)
        .answer()
        .await
        .map_err(|e| format!("answer: {e}"))?;
    Ok(id)
}

async fn run(client: &Client, cleanup: &mut Cleanup) -> Result<(), String> {
    let mut events = client
        .events(["hello", "phone"])
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    step(1, "create a holding bridge");
    let bridge = client
        .bridges()
        .create()
        .r#type("holding")
        .name("lobby")
        .await
        .map_err(|e| e.to_string())?;
    cleanup.bridge(&bridge.id);
    println!(
        "bridge {} ({}, {})",
        bridge.id, bridge.bridge_type, bridge.technology
    );

    step(2, "two calls into hello, answered");
    let a = call_into_hello(client, &mut events, cleanup).await?;
    let b = call_into_hello(client, &mut events, cleanup).await?;

    step(3, "add both with one addChannel");
    client
        .bridge(&bridge.id)
        .add_channel([a.as_str(), b.as_str()])
        .await
        .map_err(|e| e.to_string())?;
    let now = client
        .bridge(&bridge.id)
        .get()
        .await
        .map_err(|e| e.to_string())?;
    println!("bridge now holds {:?}", now.channels);
    if now.channels.len() != 2 {
        return Err(format!(
            "expected 2 channels in the bridge, found {:?}",
            now.channels
        ));
    }

    step(4, "play to the whole bridge and wait until it finished");
    let playback = client
        .bridge(&bridge.id)
        .play(["sound:hello-world"])
        .await
        .map_err(|e| e.to_string())?;
    let done = playback.finished(WAIT).await.map_err(|e| e.to_string())?;
    println!("playback {} {}", done.id, done.state);

    step(5, "remove one channel, destroy the bridge");
    client
        .bridge(&bridge.id)
        .remove_channel([a.as_str()])
        .await
        .map_err(|e| e.to_string())?;
    client
        .bridge(&bridge.id)
        .destroy()
        .await
        .map_err(|e| e.to_string())?;
    wait_for(
        &mut events,
        "BridgeDestroyed or the last ChannelLeftBridge",
        WAIT,
        |e| match e {
            Event::ChannelLeftBridge(l)
                if l.bridge.id == bridge.id && l.bridge.channels.is_empty() =>
            {
                Some(())
            }
            _ => None,
        },
    )
    .await?;
    println!("bridge {} destroyed", bridge.id);
    events.close().await;
    Ok(())
}
