//! A small IVR: answer, play a prompt, collect digits until `#`, branch, hang up.
//!
//! The caller's key presses are sent from the calling side (`POST /channels/{id}/dtmf`
//! on the `;1` half of the Local call), so it runs against a real Asterisk too:
//! `cargo run --example ivr -- --digits 1#`.

use std::process::ExitCode;
use std::time::Duration;

use ari_examples::{Cleanup, step, target, wait_for};
use ari_sdk::{Client, Event};

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
    let mut digits = "1#".to_owned();
    let mut rest = target.rest.iter();
    while let Some(arg) = rest.next() {
        if arg == "--digits" {
            digits = rest.next().cloned().unwrap_or_default();
        }
    }
    let mut cleanup = Cleanup::default();
    let outcome = run(&target.client, &mut cleanup, &digits).await;
    cleanup.run(&target.client).await;
    match outcome {
        Ok(choice) => {
            println!("caller chose {choice:?}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ivr failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(client: &Client, cleanup: &mut Cleanup, digits: &str) -> Result<String, String> {
    let mut events = client
        .events(["hello", "phone"])
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    step(1, "a call arrives");
    let near = client
        .channels()
        .originate("Local/7000@default")
        .app("phone")
        .await
        .map_err(|e| e.to_string())?;
    cleanup.channel(&near.id);
    let id = wait_for(&mut events, "StasisStart", WAIT, |e| match e {
        Event::StasisStart(s) if s.application == "hello" => Some(s.channel.id.clone()),
        _ => None,
    })
    .await?;
    cleanup.channel(&id);
    let channel = client.channel(&id);
    // Subscribed before anything can happen, so no digit is missed.
    let mut caller = channel.events();
    channel.answer().await.map_err(|e| format!("answer: {e}"))?;

    step(2, "play the menu prompt");
    let prompt = channel
        .play(["sound:demo-congrats"])
        .await
        .map_err(|e| format!("play: {e}"))?;
    // The caller presses keys during the prompt.
    client
        .channel(&near.id)
        .send_dtmf(digits)
        .between(100)
        .await
        .map_err(|e| format!("dtmf: {e}"))?;
    prompt
        .finished(WAIT)
        .await
        .map_err(|e| format!("prompt: {e}"))?;

    step(3, "collect digits until #");
    let mut choice = String::new();
    loop {
        let digit = caller
            .next_dtmf(WAIT)
            .await
            .map_err(|e| format!("waiting for a digit: {e}"))?;
        println!("  digit {digit}");
        if digit == "#" {
            break;
        }
        choice.push_str(&digit);
    }

    step(4, "branch on the choice");
    let sound = if choice == "1" {
        "sound:hello-world"
    } else {
        "sound:vm-goodbye"
    };
    let reply = channel
        .play([sound])
        .await
        .map_err(|e| format!("play {sound}: {e}"))?;
    reply
        .finished(WAIT)
        .await
        .map_err(|e| format!("{sound}: {e}"))?;
    println!("  played {sound}");

    step(5, "hang up");
    channel.hangup().await.map_err(|e| format!("hangup: {e}"))?;
    events.close().await;
    Ok(choice)
}
