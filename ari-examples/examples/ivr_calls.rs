//! An IVR serving several callers at once, one task per call: `client.calls(["hello"])`
//! hands out each call with its own event stream, and the call helpers do the rest
//! (a menu with barge-in and retries, a prompt, a recording stopped with `#`).
//!
//! The callers are simulated from the calling side: each is an originate of
//! `Local/7000@default` whose `;1` half, in application `phone`, presses keys once the IVR
//! answers. `cargo run --example ivr_calls [-- --callers 3]`; with `--url`, against a real
//! Asterisk.

use std::process::ExitCode;
use std::time::Duration;

use ari_examples::target;
use ari_sdk::{Call, Client, MenuChoice, Played, Recorded};

const WAIT: Duration = Duration::from_secs(15);

/// What caller `n` presses: 1 (hear a greeting), 2 then # (leave a message), or
/// something invalid until the menu gives up.
fn keys(n: usize) -> &'static str {
    ["1", "2", "77"][n % 3]
}

#[tokio::main]
async fn main() -> ExitCode {
    let target = match target().await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut callers = 3;
    let mut rest = target.rest.iter();
    while let Some(arg) = rest.next() {
        if arg == "--callers" {
            callers = rest.next().and_then(|n| n.parse().ok()).unwrap_or(callers);
        }
    }
    match run(&target.client, callers).await {
        Ok(served) => {
            println!("{served} calls served");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ivr_calls failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(client: &Client, callers: usize) -> Result<usize, String> {
    // The IVR's calls, and the callers' own application.
    let mut calls = client
        .calls(["hello"])
        .connect()
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _phone = client
        .events(["phone"])
        .connect()
        .await
        .map_err(|e| format!("connect: {e}"))?;

    let mut dialing = Vec::new();
    for n in 0..callers {
        dialing.push(tokio::spawn(caller(client.clone(), n)));
    }
    // The application's loop: take each call and give it a task of its own.
    let mut serving = Vec::new();
    while serving.len() < callers {
        let call = match tokio::time::timeout(WAIT, calls.next()).await {
            Ok(Some(Ok(call))) => call,
            Ok(Some(Err(e))) => {
                eprintln!("  (skipped: {e})");
                continue;
            }
            Ok(None) => return Err("the call stream ended".to_owned()),
            Err(_) => return Err("no call arrived in time".to_owned()),
        };
        serving.push(tokio::spawn(serve(call)));
    }
    let mut served = 0;
    for task in serving {
        let outcome = task.await.map_err(|e| e.to_string())??;
        println!("  {outcome}");
        served += 1;
    }
    for task in dialing {
        task.await.map_err(|e| e.to_string())??;
    }
    calls.close().await;
    Ok(served)
}

/// One call, start to end.
async fn serve(mut call: Call) -> Result<String, String> {
    let id = call.id().to_owned();
    let fail = |what: &str, e: ari_sdk::Error| format!("call {id}: {what}: {e}");
    call.channel()
        .answer()
        .await
        .map_err(|e| fail("answer", e))?;
    let choice = call
        .menu("sound:hello-world")
        .choices(["1", "2"])
        .attempts(2)
        .invalid("sound:vm-goodbye")
        .await
        .map_err(|e| fail("menu", e))?;
    let outcome = match choice {
        MenuChoice::Chosen(choice) if choice == "1" => {
            match call.play("sound:beep").await.map_err(|e| fail("play", e))? {
                Played::CallerGone => "chose 1, hung up during the greeting".to_owned(),
                _ => "chose 1, heard the greeting".to_owned(),
            }
        }
        MenuChoice::Chosen(_) => {
            let name = format!("message-{id}");
            let recorded = call
                .record(name)
                .max_duration(Some(Duration::from_secs(3)))
                .overwrite(true)
                .await
                .map_err(|e| fail("record", e))?;
            match recorded {
                Recorded::Completed { recording } => {
                    format!("chose 2, left message {}", recording.name)
                }
                _ => "chose 2, hung up while recording".to_owned(),
            }
        }
        MenuChoice::GaveUp => "entered nothing valid; the menu gave up".to_owned(),
        MenuChoice::CallerGone => "hung up in the menu".to_owned(),
        other => format!("{other:?}"),
    };
    if !call.is_gone() {
        call.channel()
            .hangup()
            .await
            .map_err(|e| fail("hangup", e))?;
    }
    Ok(format!("call {id}: {outcome}"))
}

/// Caller `n`: dials 7000, waits to be answered, presses its keys (and `#` to end a
/// message), then waits for the IVR to hang up.
async fn caller(client: Client, n: usize) -> Result<(), String> {
    let fail = |what: &str, e: ari_sdk::Error| format!("caller {n}: {what}: {e}");
    let dialed = client
        .channels()
        .originate("Local/7000@default")
        .app("phone")
        .await
        .map_err(|e| fail("originate", e))?;
    // The `;1` half enters `phone` when the IVR answers.
    let me = dialed
        .into_call(WAIT)
        .await
        .map_err(|e| fail("answered", e))?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    me.channel()
        .send_dtmf(keys(n))
        .between(200)
        .await
        .map_err(|e| fail("keys", e))?;
    if keys(n) == "2" {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let _ = me.channel().send_dtmf("#").await;
    }
    tokio::time::timeout(WAIT * 4, me.ended())
        .await
        .map_err(|_| format!("caller {n}: the IVR never hung up"))
}
