//! Every example runs against the simulator, as a user would run it, and succeeds; the
//! error path works when the far end hangs up mid-playback.
//!
//! `cargo test` builds the examples next to this test's binary (`target/<profile>/examples`).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} was not built (cargo test builds examples)",
        path.display()
    );
    path
}

fn run(name: &str, args: &[&str], url: Option<&str>) -> Output {
    let mut command = Command::new(example(name));
    command
        .args(args)
        .env_remove("ARI_URL")
        .env_remove("ARI_USER")
        .env_remove("ARI_PASSWORD");
    if let Some(url) = url {
        command.env("ARI_URL", url);
    }
    command.output().expect("the example runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn walkthrough_runs_every_step_against_the_simulator() {
    let output = run("walkthrough", &[], None);
    let text = text(&output);
    assert!(output.status.success(), "{text}");
    for n in 1..=10 {
        assert!(
            text.contains(&format!("== Step {n}:")),
            "step {n} missing:\n{text}"
        );
    }
    for expected in [
        "args=[\"world\"]",
        "-> 201 Location: /ari/playbacks/",
        "\"state\": \"queued\"",
        "PlaybackStarted",
        "PlaybackFinished",
        "ChannelEnteredBridge",
        "Walkthrough complete",
    ] {
        assert!(text.contains(expected), "`{expected}` missing:\n{text}");
    }
}

#[test]
fn walkthrough_runs_with_rest_over_the_websocket() {
    let output = run("walkthrough", &["--transport", "websocket"], None);
    let text = text(&output);
    assert!(output.status.success(), "{text}");
    for expected in [
        "REST requests travel over the event WebSocket",
        "== Step 10:",
        "args=[\"world\"]",
        "-> 201 playback ",
        "PlaybackFinished",
        "ChannelEnteredBridge",
        "Walkthrough complete",
    ] {
        assert!(text.contains(expected), "`{expected}` missing:\n{text}");
    }
}

#[test]
fn walkthrough_outbound_runs_in_both_connection_types() {
    for (args, application) in [
        (&[][..], "for application hello\n"),
        (&["--per-call"][..], "for application hello:PJSIP/"),
    ] {
        let output = run("walkthrough_outbound", args, None);
        let text = text(&output);
        assert!(output.status.success(), "{args:?}: {text}");
        for expected in [
            application,
            "ApplicationRegistered",
            "StasisStart",
            "RESTRequest POST channels/",
            "PlaybackFinished",
            "StasisEnd",
            "Outbound walkthrough complete",
        ] {
            assert!(
                text.contains(expected),
                "{args:?}: `{expected}` missing:\n{text}"
            );
        }
    }
}

#[test]
fn events_prints_one_json_event_per_line() {
    let output = run("events", &["--app", "hello", "--count", "3"], None);
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(events.len(), 3, "{stdout}");
    assert_eq!(events[0]["type"], "StasisStart");
    assert_eq!(events[0]["args"], serde_json::json!(["world"]));
    assert!(events.iter().all(|e| e["application"] == "hello"));
}

#[test]
fn bridge_ivr_and_hangup_all_succeed() {
    for (name, args, expected) in [
        ("bridge", vec![], "destroyed"),
        ("ivr", vec!["--digits", "1#"], "caller chose \"1\""),
        ("ivr", vec!["--digits", "27#"], "caller chose \"27\""),
        ("hangup_all", vec![], "0 channel(s) left"),
        ("ivr_calls", vec![], "3 calls served"),
    ] {
        let output = run(name, &args, None);
        let text = text(&output);
        assert!(output.status.success(), "{name}: {text}");
        assert!(
            text.contains(expected),
            "{name}: `{expected}` missing:\n{text}"
        );
    }
}

#[test]
fn ivr_branches_on_the_digits() {
    let one = text(&run("ivr", &["--digits", "1#"], None));
    let other = text(&run("ivr", &["--digits", "9#"], None));
    assert!(one.contains("played sound:hello-world"), "{one}");
    assert!(other.contains("played sound:vm-goodbye"), "{other}");
}

#[test]
fn a_wrong_url_fails_with_a_message_naming_the_step() {
    let output = run("walkthrough", &[], Some("http://127.0.0.1:9/ari"));
    assert!(!output.status.success());
    let text = text(&output);
    assert!(text.contains("walkthrough failed: connect:"), "{text}");
}

#[test]
fn hangup_all_refuses_a_real_server_without_yes() {
    let output = run("hangup_all", &[], Some("http://127.0.0.1:9/ari"));
    assert!(!output.status.success());
    assert!(text(&output).contains("--yes"));
}

/// The caller hangs up while the IVR prompt plays: the program reports the failed step,
/// exits non-zero, and leaves nothing behind.
#[tokio::test(flavor = "multi_thread")]
async fn far_end_hangup_during_the_prompt_takes_the_error_path() {
    let sim = ari_sim::Simulator::builder()
        .media_duration(Duration::from_secs(3))
        .start()
        .await
        .unwrap();
    let url = sim.base_url();
    let child = tokio::task::spawn_blocking(move || run("ivr", &["--digits", "1#"], Some(&url)));
    let client = sim.client();
    // Wait until the prompt plays to the caller's channel in `hello`, then hang that channel up.
    let victim = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(channels) = client.channels().list().await {
                if let Some(ch) = channels
                    .iter()
                    .find(|c| c.dialplan.app_name == "Stasis" && c.name.ends_with(";2"))
                {
                    if ch.state == ari_sdk::ChannelState::Up {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        return ch.id.clone();
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the IVR answered a call");
    sim.control().hangup(&victim).unwrap();
    let output = child.await.unwrap();
    let text = text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("ivr failed: prompt:"), "{text}");
    let ended_by = ["ChannelHangupRequest", "StasisEnd", "ChannelDestroyed"];
    assert!(ended_by.iter().any(|e| text.contains(e)), "{text}");
    assert!(
        client.channels().list().await.unwrap().is_empty(),
        "cleanup left channels"
    );
}

/// One connection, two applications: each event names the application it was sent to.
#[tokio::test]
async fn two_applications_on_one_connection() {
    let sim = ari_sim::Simulator::start().await.unwrap();
    let client = sim.client();
    let mut events = client.events(["hello", "phone"]).connect().await.unwrap();
    client
        .channels()
        .originate("Local/7000@default")
        .app("phone")
        .await
        .unwrap();
    let mut seen = std::collections::BTreeMap::<String, Vec<String>>::new();
    let wait = async {
        while let Some(item) = events.next_event().await {
            let event = item.unwrap();
            seen.entry(event.application().to_owned())
                .or_default()
                .push(event.type_name().to_owned());
            if seen
                .get("hello")
                .is_some_and(|t| t.contains(&"StasisStart".to_owned()))
            {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .expect("StasisStart in hello");
    assert!(seen["phone"].contains(&"Dial".to_owned()), "{seen:?}");
    assert!(
        seen["phone"].contains(&"ChannelDialplan".to_owned()),
        "{seen:?}"
    );
    assert!(
        !seen["phone"].contains(&"StasisStart".to_owned()),
        "phone's channel is not answered yet: {seen:?}"
    );
}

/// The call API example against a real Asterisk, when `ARI_E2E_URL` names one.
#[test]
fn ivr_calls_serves_every_caller_on_a_real_asterisk() {
    let Ok(url) = std::env::var("ARI_E2E_URL") else {
        eprintln!("SKIPPED ivr_calls on a real Asterisk: ARI_E2E_URL is not set");
        return;
    };
    let output = run("ivr_calls", &[], Some(&url));
    let text = text(&output);
    assert!(output.status.success(), "{text}");
    for expected in [
        "heard the greeting",
        "left message",
        "the menu gave up",
        "3 calls served",
    ] {
        assert!(text.contains(expected), "`{expected}` missing:\n{text}");
    }
}

// ---- ari-media examples ------------------------------------------------------------

const MEDIA_TRANSPORTS: [&str; 3] = ["rtp", "audiosocket", "websocket"];

/// The number that follows `prefix` in `text` (`"received 12 frames"` -> 12).
fn number_after(text: &str, prefix: &str) -> Option<f64> {
    let rest = &text[text.find(prefix)? + prefix.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn temp_wav(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ari-examples-{what}-{}.wav", std::process::id()))
}

/// The WAV file `media_record` wrote: it parses, is 16 kHz and lasts `seconds` ±20%.
fn check_recording(path: &PathBuf, seconds: f64, text: &str) -> Vec<i16> {
    assert!(
        text.contains(&format!("wrote {}", path.display())),
        "the WAV path is not printed:\n{text}"
    );
    let read = ari_media::codec::read_wav(path);
    let _ = std::fs::remove_file(path);
    let (rate, samples) = read.unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(rate, 16_000, "{text}");
    let duration = samples.len() as f64 / f64::from(rate);
    assert!(
        (duration - seconds).abs() <= seconds * 0.2,
        "{duration} s recorded, {seconds} s asked:\n{text}"
    );
    samples
}

#[test]
fn media_echo_sends_the_call_back_on_every_transport() {
    for media in MEDIA_TRANSPORTS {
        let output = run("media_echo", &["--media", media, "--seconds", "1.5"], None);
        let text = text(&output);
        assert!(output.status.success(), "{media}: {text}");
        assert!(
            text.contains(&format!("media session open: {media} slin ")),
            "{media}: {text}"
        );
        let frames_in = number_after(&text, "200 ms delay: ").unwrap_or(0.0);
        let frames_out = number_after(&text, "frames in, ").unwrap_or(0.0);
        // 1.5 s of 20 ms frames in; all but the 200 ms still in the delay line out.
        assert!((60.0..=80.0).contains(&frames_in), "{media}: {text}");
        assert!(frames_out >= frames_in - 15.0, "{media}: {text}");
        let back = number_after(&text, "simulator received ").unwrap_or(0.0);
        let level = number_after(&text, "440 Hz level ").unwrap_or(0.0);
        assert!(back >= frames_out - 2.0, "{media}: {text}");
        assert!(level > 0.1, "{media}: the echo lost the tone: {text}");
        assert!(text.contains("media_echo done"), "{media}: {text}");
    }
}

#[test]
fn media_record_writes_the_caller_to_a_wav_file() {
    for (media, seconds) in [("rtp", "3"), ("audiosocket", "1.5"), ("websocket", "1.5")] {
        let path = temp_wav(&format!("record-{media}"));
        let args = ["--media", media, "--seconds", seconds, "--out"];
        let mut args: Vec<&str> = args.to_vec();
        let out = path.display().to_string();
        args.push(&out);
        let output = run("media_record", &args, None);
        let text = text(&output);
        assert!(output.status.success(), "{media}: {text}");
        assert!(
            text.contains("prompt sound:hello-world played to the end"),
            "{media}: {text}"
        );
        assert!(
            text.contains("440 Hz tone is in the recording: true"),
            "{media}: {text}"
        );
        let samples = check_recording(&path, seconds.parse().unwrap(), &text);
        assert!(
            ari_media::codec::tone_present(&samples, 16_000, 440.0),
            "{media}: the file lacks the simulator's tone"
        );
    }
}

#[test]
fn media_tones_reach_the_simulator_as_sent() {
    for (media, digits, heard) in [
        ("rtp", "123#", "1 2 3 #"),
        ("audiosocket", "*0D", "* 0 D"),
        ("websocket", "99", "9 9"),
    ] {
        let output = run("media_tones", &["--media", media, "--digits", digits], None);
        let text = text(&output);
        assert!(output.status.success(), "{media}: {text}");
        let expected = format!("the simulator heard: {heard} 330Hz 392Hz 440Hz 523Hz\n");
        assert!(text.contains(&expected), "{media}: {text}");
        assert!(text.contains("tones as sent: yes"), "{media}: {text}");
        let received = number_after(&text, "simulator received ").unwrap_or(0.0);
        let sent = number_after(&text, " s in ").unwrap_or(-1.0);
        assert_eq!(received, sent, "{media}: {text}");
    }
}

#[test]
fn media_examples_refuse_bad_flags_with_exit_code_2() {
    for (name, args, message) in [
        ("media_echo", &["--media", "pigeon"][..], "--media pigeon"),
        (
            "media_echo",
            &["--seconds", "forever"][..],
            "--seconds forever",
        ),
        ("media_echo", &["--delay-ms", "-5"][..], "--delay-ms -5"),
        ("media_record", &["--format", "opus"][..], "--format opus"),
        ("media_record", &["--out"][..], "--out needs"),
        (
            "media_tones",
            &["--digits", "12x"][..],
            "'X' is not a DTMF digit",
        ),
        (
            "media_tones",
            &["--volume", "11"][..],
            "unknown argument --volume",
        ),
    ] {
        let output = run(name, args, None);
        let text = text(&output);
        assert_eq!(output.status.code(), Some(2), "{name} {args:?}: {text}");
        assert!(text.contains(message), "{name} {args:?}: {text}");
    }
}

/// The README's media sample is the code of `examples/readme_media.rs`, which runs.
#[test]
fn the_readme_media_sample_is_compiled_and_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).expect("README.md");
    let example = std::fs::read_to_string(root.join("examples/readme_media.rs")).unwrap();
    let section = &readme[readme
        .find("## Audio in and out of calls (ari-media)")
        .expect("the media section")..];
    let start = section.find("```rust\n").expect("a rust block") + "```rust\n".len();
    let block = &section[start..start + section[start..].find("```").expect("block end")];
    assert!(
        example.contains(block),
        "the README's media sample differs from examples/readme_media.rs:\n{block}"
    );
    let output = run("readme_media", &[], None);
    let text = text(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("ended: Some(CallEnded)"), "{text}");
}

/// The three media examples on every transport against a real Asterisk, when
/// `ARI_E2E_URL` names one (its dialplan: 7005 plays hello-world, 7003 is Echo).
#[test]
fn media_examples_work_on_a_real_asterisk() {
    let Ok(url) = std::env::var("ARI_E2E_URL") else {
        eprintln!("SKIPPED media examples on a real Asterisk: ARI_E2E_URL is not set");
        return;
    };
    for media in MEDIA_TRANSPORTS {
        let output = run(
            "media_echo",
            &["--media", media, "--seconds", "2"],
            Some(&url),
        );
        let text = self::text(&output);
        assert!(output.status.success(), "echo {media}: {text}");
        let frames_in = number_after(&text, "200 ms delay: ").unwrap_or(0.0);
        let frames_out = number_after(&text, "frames in, ").unwrap_or(0.0);
        assert!(
            frames_in >= 50.0 && frames_out > 0.0,
            "echo {media}: {text}"
        );
        // hello-world is speech, well above silence.
        let level = number_after(&text, "heard level ").unwrap_or(-200.0);
        assert!(level > -40.0, "echo {media}: {text}");

        let path = temp_wav(&format!("e2e-record-{media}"));
        let out = path.display().to_string();
        let args = ["--media", media, "--seconds", "3", "--out", &out];
        let output = run("media_record", &args, Some(&url));
        let text = self::text(&output);
        assert!(output.status.success(), "record {media}: {text}");
        let samples = check_recording(&path, 3.0, &text);
        assert!(
            ari_media::codec::dbfs(&samples) > -40.0,
            "record {media}: the recording is silent:\n{text}"
        );

        let output = run(
            "media_tones",
            &["--media", media, "--digits", "159#"],
            Some(&url),
        );
        let text = self::text(&output);
        assert!(output.status.success(), "tones {media}: {text}");
        assert!(
            text.contains("heard back through Echo: 1 5 9 # 330Hz 392Hz 440Hz 523Hz\n"),
            "tones {media}: {text}"
        );
    }
}
