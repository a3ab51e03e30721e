//! Recording a caller to a WAV file in the application while the call hears a prompt.
//!
//! The call is an originate of `Local/7005@default` into application `media-record`: its
//! far end (the "caller") says hello-world over and over. The example plays
//! `sound:hello-world` to the call through ARI and, at the same time, writes what the
//! caller says to a WAV file through a media session. On the simulator the caller's
//! side is the simulator's 440 Hz test tone.
//!
//! `cargo run --example media_record [-- --out FILE --media rtp|audiosocket|websocket
//! --seconds 3 --format slin16]`; with `--url`, against a real Asterisk.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ari_examples::{MediaArgs, Target, call_into, media_args, media_example, outcome};
use ari_media::codec::{WavWriter, dbfs, tone_present};
use ari_media::{Attach, AudioFormat, MediaEvent, MediaSession};
use ari_sdk::Played;
use tokio::time::Instant;

const APP: &str = "media-record";
const PROMPT: &str = "sound:hello-world";

#[tokio::main]
async fn main() -> ExitCode {
    let (target, (args, out)) = match media_example(parse).await {
        Ok(started) => started,
        Err(code) => return code,
    };
    outcome("media_record", run(&target, &args, &out).await)
}

fn parse(rest: &[String]) -> Result<(MediaArgs, PathBuf), String> {
    let mut args = media_args(rest, AudioFormat::Slin16)?;
    let mut out = std::env::temp_dir().join(format!("media_record-{}.wav", std::process::id()));
    let mut rest = std::mem::take(&mut args.rest).into_iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--out" => out = rest.next().ok_or("--out needs a file name")?.into(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((args, out))
}

async fn run(target: &Target, args: &MediaArgs, out: &Path) -> Result<(), String> {
    // Created before the call, so a path that cannot be written fails before anything
    // happens on Asterisk.
    let mut wav = WavWriter::create(out, args.format.sample_rate()).map_err(|e| e.to_string())?;
    let (mut call, _events) = call_into(&target.client, APP, "7005").await?;
    println!("call {} is in {APP}", call.id());
    // A snoop spying `in` hears exactly what the caller says, not what is played to
    // the call, and leaves the call where it is: here in no bridge, in a real application
    // perhaps bridged with an agent. ARI plays the prompt to the call as usual, and
    // `whisper: none` keeps the recorder inaudible. Attach::Bridge would work for this
    // lone call too, but it moves the call into the session's bridge, which a call
    // already bridged with someone cannot join without leaving them.
    let opened = MediaSession::for_call(&call)
        .transport(args.transport.clone())
        .format(args.format)
        .attach(Attach::Snoop {
            spy: "in".to_owned(),
            whisper: "none".to_owned(),
        })
        .open()
        .await;
    let mut media = match opened {
        Ok(media) => media,
        Err(e) => {
            let _ = call.channel().hangup().await;
            return Err(format!("open the media session: {e}"));
        }
    };
    println!(
        "recording {} {} from a snoop (spy in) on the call to {}",
        args.transport.name(),
        args.format,
        out.display()
    );

    let deadline = Instant::now() + args.seconds;
    let mut samples: Vec<i16> = Vec::new();
    let record = async {
        while let Ok(item) = tokio::time::timeout_at(deadline, media.next()).await {
            match item {
                None => break,
                Some(Ok(MediaEvent::Audio(frame))) => {
                    wav.write_frame(&frame).map_err(|e| e.to_string())?;
                    samples.extend(frame.samples());
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => println!("  dropped: {e}"),
            }
        }
        Ok::<(), String>(())
    };
    // The prompt may outlast the recording: dropping its future at the deadline stops it.
    let prompt = tokio::time::timeout_at(deadline, call.play(PROMPT));
    let (played, recorded) = tokio::join!(prompt, record);
    let ended = media.end_reason();
    media.close().await;
    if !call.is_gone() {
        let _ = call.channel().hangup().await;
    }
    recorded?;
    wav.finish().map_err(|e| e.to_string())?;

    match played {
        Ok(Ok(Played::Finished)) => println!("prompt {PROMPT} played to the end"),
        Ok(Ok(other)) => println!("prompt {PROMPT}: {other:?}"),
        Ok(Err(e)) => println!("prompt {PROMPT} failed: {e}"),
        Err(_) => println!("prompt {PROMPT} still playing when the recording ended; stopped"),
    }
    if let Some(reason) = ended {
        println!("the session ended early: {reason:?}");
    }
    let rate = args.format.sample_rate();
    println!(
        "wrote {}: {:.2} s at {rate} Hz, level {:.1} dBFS",
        out.display(),
        samples.len() as f64 / f64::from(rate),
        dbfs(&samples)
    );
    if target.is_simulated() {
        let tone = tone_present(&samples, rate, 440.0);
        println!("the simulator's 440 Hz tone is in the recording: {tone}");
    }
    println!("media_record done; session closed and call hung up");
    Ok(())
}
