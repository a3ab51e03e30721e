//! Saying generated audio into a call: DTMF digits and a short melody, made with
//! `ari_media::codec` and paced at real time by the session's sender.
//!
//! On a real Asterisk the call is an originate of `Local/7003@default` (Echo) into
//! application `media-tones`, so the tones come back and the example detects them in
//! what it hears. The simulator carries no audio through its dialplan (its media channel
//! says its own 440 Hz tone), so there the call is to 7005 and the simulator's probe of
//! the media channel shows what arrived.
//!
//! `cargo run --example media_tones [-- --digits 123# --media rtp|audiosocket|websocket
//! --format ulaw --seconds 3]`; with `--url`, against a real Asterisk.

use std::process::ExitCode;
use std::time::Duration;

use ari_examples::{MediaArgs, Target, call_into, media_args, media_example, outcome};
use ari_media::codec::{
    DTMF_COLUMNS, DTMF_ROWS, dominant_frequency, dtmf, dtmf_digit, dtmf_frequencies, sequence,
};
use ari_media::{AudioFormat, MediaEvent, MediaSession};
use tokio::time::Instant;

const APP: &str = "media-tones";
const DIGIT: Duration = Duration::from_millis(100);
/// At least two analysis blocks of silence between tones, so two equal digits in a row
/// are heard as two.
const GAP: Duration = Duration::from_millis(100);
const NOTE: Duration = Duration::from_millis(200);
/// Below DTMF's lowest tone (697 Hz), so a note is never taken for half a digit.
const MELODY: [f64; 4] = [330.0, 392.0, 440.0, 523.0];
/// Analysis block: 40 ms resolves 25 Hz, enough to tell the tones above apart.
const BLOCK: Duration = Duration::from_millis(40);

#[tokio::main]
async fn main() -> ExitCode {
    let (target, (args, digits)) = match media_example(parse).await {
        Ok(started) => started,
        Err(code) => return code,
    };
    outcome("media_tones", run(&target, &args, &digits).await)
}

fn parse(rest: &[String]) -> Result<(MediaArgs, String), String> {
    let mut args = media_args(rest, AudioFormat::Ulaw)?;
    let mut digits = "123#".to_owned();
    let mut rest = std::mem::take(&mut args.rest).into_iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--digits" => {
                digits = rest.next().ok_or("--digits needs a value")?.to_uppercase();
                if let Some(bad) = digits.chars().find(|&c| dtmf_frequencies(c).is_none()) {
                    return Err(format!(
                        "--digits: {bad:?} is not a DTMF digit (0-9, *, #, A-D)"
                    ));
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((args, digits))
}

/// The digits, then the melody, at `rate`.
fn compose(digits: &str, rate: u32) -> Vec<i16> {
    let gap = vec![0i16; rate as usize * GAP.as_millis() as usize / 1000];
    let mut samples = Vec::new();
    for digit in digits.chars() {
        samples.extend(dtmf(digit, rate, DIGIT).unwrap_or_default());
        samples.extend(&gap);
    }
    let notes: Vec<(f64, Duration)> = MELODY.iter().map(|&hz| (hz, NOTE)).collect();
    samples.extend(sequence(&notes, GAP, rate));
    samples.extend(&gap);
    samples
}

/// What `samples` say, block by block: a digit, a melody note (`440Hz`), runs of the same
/// block merged and silence dropped.
fn detect(samples: &[i16], rate: u32) -> Vec<String> {
    let block = (rate as usize * BLOCK.as_millis() as usize / 1000).max(1);
    let mut heard: Vec<String> = Vec::new();
    let mut last: Option<String> = None;
    for chunk in samples.chunks_exact(block) {
        let row = dominant_frequency(chunk, rate, &DTMF_ROWS);
        let column = dominant_frequency(chunk, rate, &DTMF_COLUMNS);
        let now = match (row, column) {
            (Some(row), Some(column)) => dtmf_digit(row, column).map(String::from),
            _ => dominant_frequency(chunk, rate, &MELODY).map(|hz| format!("{hz}Hz")),
        };
        if let Some(now) = &now {
            if last.as_ref() != Some(now) {
                heard.push(now.clone());
            }
        }
        last = now;
    }
    heard
}

async fn run(target: &Target, args: &MediaArgs, digits: &str) -> Result<(), String> {
    let extension = if target.is_simulated() {
        "7005"
    } else {
        "7003"
    };
    let (call, _events) = call_into(&target.client, APP, extension).await?;
    println!("call {} to {extension} is in {APP}", call.id());
    let opened = MediaSession::for_call(&call)
        .transport(args.transport.clone())
        .format(args.format)
        .open()
        .await;
    let mut media = match opened {
        Ok(media) => media,
        Err(e) => {
            let _ = call.channel().hangup().await;
            return Err(format!("open the media session: {e}"));
        }
    };
    let media_id = media.media_channel_id().to_owned();
    let rate = args.format.sample_rate();
    let tones = compose(digits, rate);
    let length = Duration::from_secs_f64(tones.len() as f64 / f64::from(rate));
    let expected: Vec<String> = digits
        .chars()
        .map(String::from)
        .chain(MELODY.iter().map(|hz| format!("{hz}Hz")))
        .collect();

    // The sender queues a second ahead and then waits: in a task of its own, so reading
    // what comes back goes on meanwhile.
    let talk = media.sender();
    let started = Instant::now();
    let sending = tokio::spawn(async move {
        talk.send_samples(&tones).await?;
        talk.flush().await
    });
    // Long enough for the last tone to come back through Asterisk.
    let deadline = started + args.seconds.max(length + Duration::from_secs(1));
    let mut heard: Vec<i16> = Vec::new();
    while let Ok(item) = tokio::time::timeout_at(deadline, media.next()).await {
        match item {
            None => break,
            Some(Ok(MediaEvent::Audio(frame))) => heard.extend(frame.samples()),
            Some(Ok(MediaEvent::Dtmf(digit))) => println!("  Asterisk reported digit {digit}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => println!("  dropped: {e}"),
        }
    }
    let sent = sending.await.map_err(|e| e.to_string());
    let stats = media.stats();
    let ended = media.end_reason();
    media.close().await;
    if !call.is_gone() {
        let _ = call.channel().hangup().await;
    }
    sent?.map_err(|e| format!("send: {e}"))?;

    println!(
        "sent {} {}: digits {digits} ({} ms each), melody {} Hz ({} ms each): {:.2} s in {} \
         frames, pacing p99 {:?}",
        args.transport.name(),
        args.format,
        DIGIT.as_millis(),
        MELODY.map(|hz| hz.to_string()).join(" "),
        NOTE.as_millis(),
        length.as_secs_f64(),
        stats.frames_sent,
        stats.pacing_p99
    );
    if let Some(reason) = ended {
        println!("the session ended early: {reason:?}");
    }
    let (what, samples) = match target.media_probe(&media_id) {
        Some(probe) => {
            println!(
                "simulator received {} frames ({:.2} s); tone levels: 697 Hz {:.2}, 1209 Hz \
                 {:.2}, 440 Hz {:.2}, 1000 Hz {:.2}",
                probe.frames_received,
                probe.samples.len() as f64 / f64::from(rate),
                probe.tone_level(697.0),
                probe.tone_level(1209.0),
                probe.tone_level(440.0),
                probe.tone_level(1000.0)
            );
            ("the simulator heard", probe.samples)
        }
        None => ("heard back through Echo", heard),
    };
    let detected = detect(&samples, rate);
    println!("{what}: {}", detected.join(" "));
    let same = detected == expected;
    println!("tones as sent: {}", if same { "yes" } else { "no" });
    println!("media_tones done; session closed and call hung up");
    Ok(())
}
