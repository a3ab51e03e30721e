//! The "Getting Started with ARI" walkthrough, every step with the typed API.
//!
//! `cargo run --example walkthrough` runs it against the embedded simulator;
//! `ARI_URL=http://127.0.0.1:8088/ari cargo run --example walkthrough` against a real
//! Asterisk configured as in the guide (user hey/peekaboo, 7000 -> Stasis(hello,world)).
//! `--transport websocket` (or `ARI_TRANSPORT=websocket`) sends every REST request over the
//! event WebSocket instead of HTTP (Asterisk 20.14 / 21.9 / 22.4 and later).
//! Calls to 7000 are placed by originating `Local/7000@default` into a second
//! application, `phone`, so no phone is needed. Exits 0 only when every step got the
//! answer and events it expected.

use std::process::ExitCode;
use std::time::Duration;

use ari_examples::{Cleanup, at, step, target, wait_for};
use ari_sdk::{ChannelState, Client, Event, EventStream, Transport};

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
    let client = target.client.clone();
    let mut cleanup = Cleanup::default();
    let outcome = run(&client, &mut cleanup).await;
    cleanup.run(&client).await;
    match outcome {
        Ok(()) => {
            println!("\nWalkthrough complete: every step got the answer and events it expected.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nwalkthrough failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// "Dial 7000": the `;1` half goes to `phone`, the `;2` half runs the dialplan into
/// `Stasis(hello,world)`. Returns the id of the channel in `hello`.
async fn call_7000(
    client: &Client,
    events: &mut EventStream,
    cleanup: &mut Cleanup,
) -> Result<String, String> {
    let near = client
        .channels()
        .originate("Local/7000@default")
        .app("phone")
        .await
        .map_err(at("dial 7000"))?;
    cleanup.channel(&near.id);
    println!(
        "POST /channels?endpoint=Local/7000@default&app=phone -> 200, channel {} ({})",
        near.id, near.state
    );
    let start = wait_for(events, "StasisStart in hello", WAIT, |e| match e {
        Event::StasisStart(s) if s.application == "hello" => Some(s.clone()),
        _ => None,
    })
    .await?;
    if start.args != ["world"] {
        return Err(format!(
            "StasisStart args: expected [\"world\"], got {:?}",
            start.args
        ));
    }
    cleanup.channel(&start.channel.id);
    Ok(start.channel.id.clone())
}

async fn answer(client: &Client, events: &mut EventStream, id: &str) -> Result<(), String> {
    let sent = client
        .channel(id)
        .answer()
        .send_full()
        .await
        .map_err(at("answer"))?;
    println!("POST /channels/{id}/answer -> {}", sent.status);
    wait_for(events, "ChannelStateChange to Up", WAIT, |e| match e {
        Event::ChannelStateChange(c)
            if c.channel.id == id && c.channel.state == ChannelState::Up =>
        {
            Some(())
        }
        _ => None,
    })
    .await
}

async fn run(client: &Client, cleanup: &mut Cleanup) -> Result<(), String> {
    step(
        1,
        "connect the event WebSocket for applications hello and phone",
    );
    let mut events = client
        .events(["hello", "phone"])
        .connect()
        .await
        .map_err(at("connect"))?;
    println!("connected to /ari/events?app=hello,phone");

    step(2, "dial 7000: the channel enters Stasis(hello,world)");
    let id = call_7000(client, &mut events, cleanup).await?;

    step(3, "answer the channel");
    answer(client, &mut events, &id).await?;

    step(4, "play sound:hello-world");
    let sent = client
        .channel(&id)
        .play(["sound:hello-world"])
        .send_full()
        .await
        .map_err(at("play"))?;
    // RESTResponse messages carry no headers: over the WebSocket transport there is no
    // Location, and the playback's id is in the body.
    let location = match (&sent.location, client.transport()) {
        (Some(location), _) => format!("Location: {location}"),
        (None, Transport::WebSocket) => format!("playback {}", sent.value.id),
        (None, _) => return Err("play: no Location header".to_owned()),
    };
    println!(
        "POST /channels/{id}/play?media=sound:hello-world -> {} {location}",
        sent.status
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&sent.value).unwrap_or_default()
    );
    if sent.status != 201 || sent.value.state != ari_sdk::PlaybackState::Queued {
        return Err(format!(
            "play: expected 201 and a queued playback, got {} {}",
            sent.status, sent.value.state
        ));
    }
    let playback_id = sent.value.id.clone();
    for wanted in ["PlaybackStarted", "PlaybackFinished"] {
        wait_for(&mut events, wanted, WAIT, |e| {
            let mine = match e {
                Event::PlaybackStarted(p) => p.playback.id == playback_id,
                Event::PlaybackFinished(p) => p.playback.id == playback_id,
                _ => false,
            };
            (mine && e.type_name() == wanted).then_some(())
        })
        .await?;
    }

    step(5, "hang up with DELETE");
    let sent = client
        .channel(&id)
        .hangup()
        .send_full()
        .await
        .map_err(at("hangup"))?;
    println!("DELETE /channels/{id} -> {}", sent.status);
    wait_for(&mut events, "StasisEnd", WAIT, |e| match e {
        Event::StasisEnd(s) if s.channel.id == id => Some(()),
        _ => None,
    })
    .await?;

    step(6, "create a holding bridge");
    let bridge = client
        .bridges()
        .create()
        .r#type("holding")
        .await
        .map_err(at("create bridge"))?;
    cleanup.bridge(&bridge.id);
    println!(
        "POST /bridges?type=holding -> bridge {} ({})",
        bridge.id, bridge.bridge_type
    );

    step(7, "dial 7000 twice more and answer both");
    let first = call_7000(client, &mut events, cleanup).await?;
    let second = call_7000(client, &mut events, cleanup).await?;
    answer(client, &mut events, &first).await?;
    answer(client, &mut events, &second).await?;

    step(8, "add both channels with one addChannel");
    client
        .bridge(&bridge.id)
        .add_channel([first.as_str(), second.as_str()])
        .await
        .map_err(at("addChannel"))?;
    println!(
        "POST /bridges/{}/addChannel?channel={first},{second} -> 204",
        bridge.id
    );
    let mut entered = Vec::new();
    while entered.len() < 2 {
        let id = wait_for(&mut events, "ChannelEnteredBridge", WAIT, |e| match e {
            Event::ChannelEnteredBridge(b) if b.bridge.id == bridge.id => {
                b.channel.as_ref().map(|c| c.id.clone())
            }
            _ => None,
        })
        .await?;
        entered.push(id);
    }

    step(9, "play to each channel and to the whole bridge");
    let to_first = client
        .channel(&first)
        .play(["sound:hello-world"])
        .await
        .map_err(at("play to first"))?;
    let to_second = client
        .channel(&second)
        .play(["sound:hello-world"])
        .await
        .map_err(at("play to second"))?;
    let to_bridge = client
        .bridge(&bridge.id)
        .play(["sound:hello-world"])
        .await
        .map_err(at("play to bridge"))?;
    println!(
        "playbacks {}, {} and {} queued",
        to_first.id, to_second.id, to_bridge.id
    );
    for (what, playback) in [
        ("first channel", to_first),
        ("second channel", to_second),
        ("bridge", to_bridge),
    ] {
        let done = playback.finished(WAIT).await.map_err(at(what))?;
        println!("  playback to the {what} finished ({})", done.state);
    }

    step(10, "clean up: destroy the bridge, hang up both channels");
    client
        .bridge(&bridge.id)
        .destroy()
        .await
        .map_err(at("destroy bridge"))?;
    println!("DELETE /bridges/{} -> 204", bridge.id);
    for id in [&first, &second] {
        client.channel(id).hangup().await.map_err(at("hangup"))?;
        println!("DELETE /channels/{id} -> 204");
    }
    events.close().await;
    Ok(())
}
