//! The README's ari-media sample ("Audio in and out of calls"), compiled and run by
//! `cargo test` (`tests/run_examples.rs` checks the README shows this code): a call to
//! 7005 whose audio is echoed until the call hangs up two seconds later.

use std::process::ExitCode;
use std::time::Duration;

use ari_media::{MediaEvent, MediaSession, MediaTransport};

async fn echo(call: &ari_sdk::Call) -> Result<(), ari_media::MediaError> {
    let mut media = MediaSession::for_call(call) // slin, in a new bridge with the call
        .transport(MediaTransport::WebSocket) // or Rtp, AudioSocket, WebSocketClient
        .open()
        .await?;
    let talk = media.sender(); // paced at real time, up to 1 s queued
    while let Some(item) = media.next().await {
        if let Ok(MediaEvent::Audio(frame)) = item {
            talk.send(&frame.payload).await?; // everything heard goes back
        }
    }
    println!("ended: {:?}", media.end_reason()); // CallEnded when the call hangs up
    media.close().await; // media channel hung up, bridge destroyed
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let target = match ari_examples::target().await {
        Ok(target) => target,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (call, _events) =
        match ari_examples::call_into(&target.client, "media-readme", "7005").await {
            Ok(call) => call,
            Err(e) => {
                eprintln!("readme_media failed: {e}");
                return ExitCode::FAILURE;
            }
        };
    // The caller hangs up after two seconds, which ends the session.
    let hangup = call.channel().clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let _ = hangup.hangup().await;
    });
    match echo(&call).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("readme_media failed: {e}");
            let _ = call.channel().hangup().await;
            ExitCode::FAILURE
        }
    }
}
