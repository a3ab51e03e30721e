//! Audio out of a call and back in: a media session on a call sends everything it
//! hears back about 200 ms later, for a few seconds.
//!
//! The call is an originate of `Local/7005@default` (the dialplan answers and plays
//! hello-world) into application `media-echo`. On the simulator the media channel itself
//! says a 440 Hz tone, and the simulator's probe shows what came back.
//!
//! `cargo run --example media_echo [-- --media rtp|audiosocket|websocket --seconds 3
//! --format slin --delay-ms 200]`; with `--url`, against a real Asterisk.

use std::collections::VecDeque;
use std::process::ExitCode;
use std::time::Duration;

use ari_examples::{MediaArgs, Target, at, call_into, media_args, media_example, outcome};
use ari_media::codec::dbfs;
use ari_media::{AudioFormat, MediaEvent, MediaSession};
use tokio::time::Instant;

const APP: &str = "media-echo";

#[tokio::main]
async fn main() -> ExitCode {
    let (target, (args, delay)) = match media_example(parse).await {
        Ok(started) => started,
        Err(code) => return code,
    };
    outcome("media_echo", run(&target, &args, delay).await)
}

fn parse(rest: &[String]) -> Result<(MediaArgs, Duration), String> {
    let mut args = media_args(rest, AudioFormat::Slin)?;
    let mut delay = Duration::from_millis(200);
    let mut rest = std::mem::take(&mut args.rest).into_iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--delay-ms" => {
                let text = rest.next().ok_or("--delay-ms needs a value")?;
                delay = text
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| *ms <= 5_000)
                    .map(Duration::from_millis)
                    .ok_or_else(|| format!("--delay-ms {text}: expected 0 to 5000"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((args, delay))
}

async fn run(target: &Target, args: &MediaArgs, delay: Duration) -> Result<(), String> {
    let (call, _events) = call_into(&target.client, APP, "7005").await?;
    println!("call {} is in {APP}", call.id());
    let opened = MediaSession::for_call(&call)
        .transport(args.transport.clone())
        .format(args.format)
        .open()
        .await;
    let mut media = match opened {
        Ok(media) => media,
        Err(e) => {
            // Opening leaves nothing behind on failure; the call is ours to end.
            let _ = call.channel().hangup().await;
            return Err(format!("open the media session: {e}"));
        }
    };
    let media_id = media.media_channel_id().to_owned();
    println!(
        "media session open: {} {} on channel {media_id}, bridged in {}",
        args.transport.name(),
        args.format,
        media.bridge_id().unwrap_or("-")
    );

    // The delay line: bytes wait here until `delay` worth of newer audio is behind them.
    let hold = args.format.bytes_in(delay);
    let mut line: VecDeque<u8> = VecDeque::with_capacity(hold * 2);
    let talk = media.sender();
    let (mut frames_in, mut bytes_back) = (0u64, 0usize);
    let mut heard: Vec<i16> = Vec::new();
    let deadline = Instant::now() + args.seconds;
    let result: Result<(), String> = async {
        while let Ok(item) = tokio::time::timeout_at(deadline, media.next()).await {
            match item {
                None => break,
                Some(Err(e)) => println!("  dropped: {e}"),
                Some(Ok(MediaEvent::Audio(frame))) => {
                    frames_in += 1;
                    heard.extend(frame.samples());
                    line.extend(frame.payload.iter());
                    if line.len() > hold {
                        let out: Vec<u8> = line.drain(..line.len() - hold).collect();
                        bytes_back += out.len();
                        talk.send(&out).await.map_err(at("send"))?;
                    }
                }
                Some(Ok(MediaEvent::Dtmf(digit))) => println!("  digit {digit}"),
                Some(Ok(MediaEvent::Control(event))) => println!("  control: {}", event.name()),
                Some(Ok(_)) => {}
            }
        }
        Ok(())
    }
    .await;
    // Let what is queued leave before the counters are read.
    let drain_until = Instant::now() + Duration::from_millis(500);
    while talk.queued_frames() > 0 && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = media.stats();
    let ended = media.end_reason();
    media.close().await;
    if !call.is_gone() {
        let _ = call.channel().hangup().await;
    }
    result?;

    let frame_bytes = args.format.bytes_in(Duration::from_millis(20));
    println!(
        "echoed for {:.1} s with a {} ms delay: {frames_in} frames in, {} frames out",
        args.seconds.as_secs_f64(),
        delay.as_millis(),
        bytes_back / frame_bytes.max(1)
    );
    println!("heard level {:.1} dBFS", dbfs(&heard));
    println!(
        "session stats: received {} frames ({} bytes), sent {} frames ({} bytes), lost {}, \
         late/duplicate {}, malformed {}, pacing p99 {:?}",
        stats.frames_received,
        stats.bytes_received,
        stats.frames_sent,
        stats.bytes_sent,
        stats.lost,
        stats.late_or_duplicate,
        stats.malformed,
        stats.pacing_p99
    );
    if let Some(reason) = ended {
        println!("the session ended early: {reason:?}");
    }
    if let Some(probe) = target.media_probe(&media_id) {
        println!(
            "simulator received {} frames back, 440 Hz level {:.2}",
            probe.frames_received,
            probe.tone_level(440.0)
        );
    }
    println!("media_echo done; session closed and call hung up");
    Ok(())
}
