//! ari-media's `MediaSession` against the simulator, the way an application uses it: a
//! call arrives through `client.calls(..)`, a task opens a session for it, reads what the
//! caller says (the simulator's far end sends a 440 Hz tone) and talks back (the
//! simulator's probe measures what arrived and when). Every transport and attach mode,
//! every way a session ends, DTMF, WebSocket control, bad input, 100 sessions at once and
//! a reader that falls behind.
//!
//! The real-Asterisk counterpart is `e2e_external_media.rs`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ari_media::codec::{analysis, tone};
use ari_media::{
    Attach, AudioFormat, AudioFrame, Command, ControlEvent, ControlFormat, EndReason, MediaError,
    MediaEvent, MediaListener, MediaSession, MediaTransport,
};
use ari_sdk::{Call, Calls, Client};
use ari_sim::{Control, Dialplan, MediaProbe, Simulator};

/// The bound of every wait: far more than anything here takes on an idle machine (a
/// shared CI machine can starve these tests for seconds).
const LIMIT: Duration = Duration::from_secs(10);

/// Held by the tests that measure timing or load the machine (real-time pacing, the slow
/// reader, 100 sessions), so that they do not run beside each other: the pacing figures
/// measure the library, not the other test.
static TIMING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// The application the dialplan's 7000 enters.
const APP: &str = "hello";
/// A second application (extension 7001), for a client with two event connections.
const SECOND_APP: &str = "second";
/// The simulator's `websocket_client.conf` connection pointing at the test's listener.
const CLIENT_CONNECTION: &str = "media_conn";
/// The frame every transport carries by default.
const FRAME: Duration = Duration::from_millis(20);
/// The simulator's test signal and the tone the application answers with.
const SIM_TONE: f64 = 440.0;
const APP_TONE: f64 = 1000.0;

/// A simulator, a client, the call stream of `hello` and a listener for Asterisk's
/// WebSocket connections (`media_conn` points at it).
struct Line {
    sim: Simulator,
    client: Client,
    calls: Calls,
    listener: MediaListener,
}

async fn line() -> Line {
    let listener = MediaListener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .expect("bind the media listener");
    let dialplan = Dialplan::parse(&format!(
        "{}exten => 7001,1,Stasis({SECOND_APP})\n",
        ari_sim::dialplan::DEFAULT
    ))
    .expect("dialplan");
    let sim = Simulator::builder()
        .dialplan(dialplan)
        .websocket_client(CLIENT_CONNECTION, &listener.url())
        .start()
        .await
        .expect("simulator");
    let client = sim.client_builder().timeout(LIMIT).build().expect("client");
    let calls = client.calls([APP]).connect().await.expect("calls of hello");
    registered(&client, APP).await;
    Line {
        sim,
        client,
        calls,
        listener,
    }
}

impl Line {
    fn control(&self) -> &Control {
        self.sim.control()
    }

    /// A phone dials 7000: the call as the application gets it, answered.
    async fn call(&mut self) -> Call {
        let id = self.control().call("7000").expect("dial 7000");
        let call = next_call(&mut self.calls).await;
        assert_eq!(call.id(), id, "the call handed out is the one dialled");
        call.channel().answer().await.expect("answer");
        call
    }

    /// `count` calls at once, answered, in no particular order.
    async fn calls(&mut self, count: usize) -> Vec<Call> {
        for _ in 0..count {
            self.control().call("7000").expect("dial 7000");
        }
        let mut calls = Vec::with_capacity(count);
        for _ in 0..count {
            let call = next_call(&mut self.calls).await;
            call.channel().answer().await.expect("answer");
            calls.push(call);
        }
        calls
    }
}

/// Waits until `app` is registered. As on Asterisk, the simulator registers an event
/// connection's applications once the WebSocket upgrade is done, after the client's
/// `connect` has returned: a call dialled before that finds no application.
async fn registered(client: &Client, app: &str) {
    let deadline = Instant::now() + LIMIT;
    while let Err(error) = client.applications().get(app).await {
        assert!(
            Instant::now() < deadline,
            "application {app} not registered within {LIMIT:?}: {error}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn next_call(calls: &mut Calls) -> Call {
    tokio::time::timeout(LIMIT, calls.next())
        .await
        .expect("a call within LIMIT")
        .expect("the call stream is open")
        .expect("no error on the call stream")
}

/// One way of carrying media, named for messages.
#[derive(Clone)]
struct Case {
    name: &'static str,
    transport: MediaTransport,
    format: AudioFormat,
    control: ControlFormat,
}

impl Case {
    fn new(name: &'static str, transport: MediaTransport, format: AudioFormat) -> Case {
        Case {
            name,
            transport,
            format,
            control: ControlFormat::Plain,
        }
    }

    fn open(&self, call: &Call) -> ari_media::MediaSessionBuilder {
        MediaSession::for_call(call)
            .transport(self.transport.clone())
            .format(self.format)
            .control_format(self.control)
    }

    fn is_rtp(&self) -> bool {
        matches!(self.transport, MediaTransport::Rtp)
    }
}

/// Every transport, with the formats users pick for it.
fn every_transport(listener: &MediaListener) -> Vec<Case> {
    vec![
        Case::new("rtp ulaw", MediaTransport::Rtp, AudioFormat::Ulaw),
        Case::new("rtp slin16", MediaTransport::Rtp, AudioFormat::Slin16),
        Case::new(
            "audiosocket slin",
            MediaTransport::AudioSocket,
            AudioFormat::Slin,
        ),
        Case::new(
            "audiosocket slin16",
            MediaTransport::AudioSocket,
            AudioFormat::Slin16,
        ),
        Case::new(
            "websocket slin16",
            MediaTransport::WebSocket,
            AudioFormat::Slin16,
        ),
        Case {
            control: ControlFormat::Json,
            ..Case::new(
                "websocket json control",
                MediaTransport::WebSocket,
                AudioFormat::Slin,
            )
        },
        websocket_client(listener),
    ]
}

fn websocket_client(listener: &MediaListener) -> Case {
    Case::new(
        "websocket client",
        MediaTransport::WebSocketClient {
            connection: CLIENT_CONNECTION.to_owned(),
            listener: listener.clone(),
        },
        AudioFormat::Slin16,
    )
}

/// Reads until `count` audio frames came; panics naming `what` when the stream ends or
/// `LIMIT` passes first. Other items (digits, control events) are skipped.
async fn audio_frames(media: &mut MediaSession, count: usize, what: &str) -> Vec<AudioFrame> {
    let mut frames = Vec::with_capacity(count);
    let deadline = tokio::time::Instant::now() + LIMIT;
    while frames.len() < count {
        match tokio::time::timeout_at(deadline, media.next()).await {
            Ok(Some(Ok(MediaEvent::Audio(frame)))) => frames.push(frame),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(error))) => panic!("{what}: an error item: {error}"),
            Ok(None) => panic!(
                "{what}: the stream ended after {} frames: {:?}",
                frames.len(),
                media.end_reason()
            ),
            Err(_) => panic!(
                "{what}: only {} audio frames within {LIMIT:?}",
                frames.len()
            ),
        }
    }
    frames
}

/// Reads until an item matches `wanted`, skipping audio; panics after `LIMIT`.
async fn event<T>(
    media: &mut MediaSession,
    what: &str,
    mut wanted: impl FnMut(&MediaEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        match tokio::time::timeout_at(deadline, media.next()).await {
            Ok(Some(Ok(event))) => {
                if let Some(found) = wanted(&event) {
                    return found;
                }
            }
            Ok(Some(Err(error))) => panic!("{what}: an error item: {error}"),
            Ok(None) => panic!("{what}: the stream ended first: {:?}", media.end_reason()),
            Err(_) => panic!("{what}: nothing within {LIMIT:?}"),
        }
    }
}

/// Reads until the stream ends; panics if it goes on past `LIMIT`.
async fn until_end(media: &mut MediaSession, what: &str) {
    tokio::time::timeout(LIMIT, async { while media.next().await.is_some() {} })
        .await
        .unwrap_or_else(|_| panic!("{what}: the stream still runs after {LIMIT:?}"));
}

/// Waits until `check` holds: the simulator's probe and channel list are read by polling
/// (they have no events), every 10 ms, for at most `LIMIT`.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < LIMIT, "{what}: not within {LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn probe(control: &Control, media_id: &str) -> MediaProbe {
    control
        .media(media_id)
        .unwrap_or_else(|| panic!("the simulator has no media probe for {media_id}"))
}

/// Waits until the simulator's probe of `media_id` has `frames` from the application.
async fn probe_received(control: &Control, media_id: &str, frames: u64, what: &str) -> MediaProbe {
    eventually(&format!("{what}: {frames} frames at the simulator"), || {
        control
            .media(media_id)
            .is_some_and(|p| p.frames_received >= frames)
    })
    .await;
    probe(control, media_id)
}

/// The media channel and the session's bridge are gone from the simulator, and the
/// probe saw the transport close. Waits for it: after a drop or a hang-up the session
/// cleans up in its own task.
async fn assert_cleaned_up(
    client: &Client,
    control: &Control,
    media_id: &str,
    bridge_id: Option<&str>,
    what: &str,
) {
    eventually(&format!("{what}: media channel {media_id} gone"), || {
        !control.channel_ids().iter().any(|id| id == media_id)
    })
    .await;
    let channel = client.channels().get(media_id).await;
    assert_eq!(
        channel.as_ref().err().and_then(|e| e.status()),
        Some(404),
        "{what}: GET the media channel: {channel:?}"
    );
    if let Some(bridge_id) = bridge_id {
        let deadline = Instant::now() + LIMIT;
        loop {
            match client.bridges().get(bridge_id).await {
                Err(error) => {
                    assert_eq!(error.status(), Some(404), "{what}: GET the bridge: {error}");
                    break;
                }
                Ok(bridge) => assert!(
                    Instant::now() < deadline,
                    "{what}: bridge still there after {LIMIT:?}: {bridge:?}"
                ),
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    eventually(&format!("{what}: the simulator's transport closed"), || {
        probe(control, media_id).closed
    })
    .await;
}

/// The call's channel is still there (a session ending must not end the call).
async fn assert_call_alive(client: &Client, call_id: &str, what: &str) {
    client
        .channels()
        .get(call_id)
        .await
        .unwrap_or_else(|e| panic!("{what}: the call {call_id} is gone: {e}"));
}

fn samples_of(frames: &[AudioFrame]) -> Vec<i16> {
    frames.iter().flat_map(AudioFrame::samples).collect()
}

// ---------------------------------------------------------------------------------------
// 1. Every transport carries audio both ways, in the right shape, at real time.
// ---------------------------------------------------------------------------------------

/// One call, one session: hears the simulator's tone in 20 ms frames of the right format,
/// writes a second of 1 kHz at once and the simulator receives it paced at real time.
async fn carries_audio_both_ways(case: Case, call: Call, client: Client, control: Control) {
    let name = case.name;
    let format = case.format;
    let rate = format.sample_rate();
    let mut media = case
        .open(&call)
        .send_buffer(Duration::from_secs(2))
        .open()
        .await
        .unwrap_or_else(|e| panic!("{name}: open: {e}"));
    assert_eq!(media.format(), format, "{name}");
    assert_eq!(media.channel_id(), call.id(), "{name}");
    let media_id = media.media_channel_id().to_owned();
    let bridge_id = media.bridge_id().map(str::to_owned);
    assert_eq!(
        bridge_id.as_deref(),
        Some(format!("{media_id}-bridge").as_str()),
        "{name}: the session's mixing bridge"
    );

    // Hears: 20 ms frames carrying the 440 Hz tone.
    let frames = audio_frames(&mut media, 25, name).await;
    for frame in &frames {
        assert_eq!(frame.format, format, "{name}: frame format");
        assert_eq!(
            frame.payload.len(),
            format.bytes_in(FRAME),
            "{name}: a 20 ms frame"
        );
        assert_eq!(frame.sample_count(), format.samples_in(FRAME), "{name}");
        assert_eq!(
            (frame.sequence.is_some(), frame.timestamp.is_some()),
            (case.is_rtp(), case.is_rtp()),
            "{name}: RTP frames carry sequence and timestamp, others do not"
        );
    }
    if case.is_rtp() {
        for pair in frames.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert_eq!(
                b.sequence.unwrap(),
                a.sequence.unwrap().wrapping_add(1),
                "{name}: consecutive sequence numbers on loopback"
            );
            assert_eq!(
                b.timestamp.unwrap(),
                a.timestamp
                    .unwrap()
                    .wrapping_add(format.samples_in(FRAME) as u32),
                "{name}: the timestamp advances by a frame's samples"
            );
        }
    }
    let heard = samples_of(&frames);
    assert!(
        analysis::tone_present(&heard, rate, SIM_TONE),
        "{name}: no 440 Hz in what the application heard ({:.1} dBFS)",
        analysis::dbfs(&heard)
    );
    assert!(
        !analysis::tone_present(&heard, rate, APP_TONE),
        "{name}: 1 kHz heard before anything was sent"
    );

    // Is heard: two seconds written at once (into a two-second send buffer) leave at
    // real time. Two seconds, so that the 99th percentile of the gaps is not the single
    // worst one on a loaded machine.
    let talked = Duration::from_secs(2);
    let speech = tone::tone(APP_TONE, 0.5, rate, talked);
    let talk = media.sender();
    let written = Instant::now();
    talk.send_samples(&speech)
        .await
        .unwrap_or_else(|e| panic!("{name}: send: {e}"));
    let write_took = written.elapsed();
    assert!(
        write_took < Duration::from_millis(500),
        "{name}: writing two seconds into the two-second buffer took {write_took:?}"
    );
    let expected = (talked.as_millis() / FRAME.as_millis()) as u64;
    // The reader keeps reading meanwhile, as an application does; at each frame it
    // hears, the simulator has never received more than real time allows (a burst
    // would), give or take the frames in flight.
    let reading = async {
        loop {
            let so_far = probe(&control, &media_id);
            if let Some(first) = so_far.first_received {
                let since = Instant::now().saturating_duration_since(first);
                let due = since.as_millis() / FRAME.as_millis() + 1;
                assert!(
                    u128::from(so_far.frames_received) <= due + 3,
                    "{name}: {} frames at the simulator {since:?} after the first: ahead of real time",
                    so_far.frames_received,
                );
            }
            if so_far.frames_received >= expected {
                break;
            }
            match tokio::time::timeout(LIMIT, media.next()).await {
                Ok(Some(_)) => {}
                Ok(None) => panic!("{name}: the stream ended while sending"),
                Err(_) => panic!("{name}: nothing heard for {LIMIT:?} while sending"),
            }
        }
    };
    tokio::time::timeout(LIMIT, reading)
        .await
        .unwrap_or_else(|_| {
            panic!("{name}: the simulator did not get {talked:?} of audio in time")
        });
    let got = probe(&control, &media_id);
    assert_eq!(
        got.frames_received, expected,
        "{name}: one frame per 20 ms written, nothing more"
    );
    assert_eq!(
        got.malformed, 0,
        "{name}: malformed frames at the simulator"
    );
    let span = got.last_received.unwrap() - got.first_received.unwrap();
    assert!(
        span >= talked - FRAME * 3,
        "{name}: {talked:?} of audio arrived within {span:?}: not paced at real time"
    );
    // Under 100 gaps the probe's p99 is the single worst gap, which a loaded machine
    // can stretch by a scheduling hiccup (the pacer then catches up, so the late
    // frame's gap and the next one's both deviate); the pacer's own lateness is the
    // finer measure.
    let stats = media.stats();
    assert!(
        got.p99_gap_deviation < Duration::from_millis(50),
        "{name}: frames 20 ms apart give or take {:?} (p99), max {:?}; the pacer's own p99 lateness {:?}",
        got.p99_gap_deviation,
        got.max_gap_deviation,
        stats.pacing_p99
    );
    assert!(
        stats.pacing_p99 < FRAME,
        "{name}: the pacer sent frames up to {:?} late (p99)",
        stats.pacing_p99
    );
    let at_1k = got.tone_level(APP_TONE);
    assert!(
        at_1k > 0.3,
        "{name}: the simulator measured 1 kHz at {at_1k:.3}"
    );
    assert!(
        got.tone_level(SIM_TONE) < 0.05,
        "{name}: 440 Hz in what the application sent"
    );
    assert_eq!(stats.frames_sent, expected, "{name}: {stats:?}");
    assert!(stats.frames_received >= 25, "{name}: {stats:?}");
    assert_eq!(stats.malformed, 0, "{name}: {stats:?}");
    assert_eq!(stats.queued_frames, 0, "{name}: {stats:?}");

    media.close().await;
    assert_cleaned_up(&client, &control, &media_id, bridge_id.as_deref(), name).await;
    assert_call_alive(&client, call.id(), name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transport_hears_the_tone_and_is_heard_at_real_time() {
    let _alone = TIMING.lock().await;
    let mut line = line().await;
    let cases = every_transport(&line.listener);
    let calls = line.calls(cases.len()).await;
    let tasks: Vec<_> = cases
        .into_iter()
        .zip(calls)
        .map(|(case, call)| {
            let (client, control) = (line.client.clone(), line.control().clone());
            tokio::spawn(carries_audio_both_ways(case, call, client, control))
        })
        .collect();
    for task in tasks {
        task.await.expect("a transport's task panicked");
    }
}

// ---------------------------------------------------------------------------------------
// 2. The end of a stream, every way it comes.
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_hanging_up_ends_the_stream_and_leaves_nothing() {
    let mut line = line().await;
    let cases = vec![
        Case::new("rtp", MediaTransport::Rtp, AudioFormat::Ulaw),
        Case::new(
            "audiosocket",
            MediaTransport::AudioSocket,
            AudioFormat::Slin,
        ),
        Case::new("websocket", MediaTransport::WebSocket, AudioFormat::Slin16),
        websocket_client(&line.listener),
    ];
    let calls = line.calls(cases.len()).await;
    let tasks: Vec<_> = cases
        .into_iter()
        .zip(calls)
        .map(|(case, call)| {
            let (client, control) = (line.client.clone(), line.control().clone());
            tokio::spawn(async move {
                let name = case.name;
                let mut media = case.open(&call).open().await.expect("open");
                let media_id = media.media_channel_id().to_owned();
                let bridge_id = media.bridge_id().map(str::to_owned);
                audio_frames(&mut media, 5, name).await;
                // Mid-stream, with audio still queued to send.
                media
                    .sender()
                    .send_samples(&tone::tone(
                        APP_TONE,
                        0.5,
                        case.format.sample_rate(),
                        FRAME * 10,
                    ))
                    .await
                    .expect("send");
                control.hangup(call.id()).expect("the caller hangs up");
                until_end(&mut media, name).await;
                assert_eq!(media.end_reason(), Some(EndReason::CallEnded), "{name}");
                let late = media
                    .sender()
                    .send(vec![0; 2 * case.format.bytes_in(FRAME)])
                    .await;
                assert!(
                    matches!(late, Err(MediaError::Closed)),
                    "{name}: sending after the end is refused: {late:?}"
                );
                assert_cleaned_up(&client, &control, &media_id, bridge_id.as_deref(), name).await;
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a transport's task panicked");
    }
    eventually("every channel gone", || {
        line.control().channel_ids().is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_or_closing_the_session_cleans_up_and_the_call_goes_on() {
    let mut line = line().await;
    for case in [
        Case::new("rtp", MediaTransport::Rtp, AudioFormat::Slin16),
        Case::new(
            "audiosocket",
            MediaTransport::AudioSocket,
            AudioFormat::Slin16,
        ),
        Case::new("websocket", MediaTransport::WebSocket, AudioFormat::Slin16),
    ] {
        let name = case.name;
        let call = line.call().await;

        // Dropped: cleaned up by the session's task.
        let mut media = case.open(&call).open().await.expect("open");
        audio_frames(&mut media, 3, name).await;
        let media_id = media.media_channel_id().to_owned();
        let bridge_id = media.bridge_id().map(str::to_owned);
        drop(media);
        let what = format!("{name}, dropped");
        assert_cleaned_up(
            &line.client,
            line.control(),
            &media_id,
            bridge_id.as_deref(),
            &what,
        )
        .await;
        assert_call_alive(&line.client, call.id(), &what).await;

        // Closed: gone by the time `close` returns, no waiting.
        let mut media = case.open(&call).open().await.expect("open again");
        audio_frames(&mut media, 3, name).await;
        let media_id = media.media_channel_id().to_owned();
        let bridge_id = media.bridge_id().expect("a bridge").to_owned();
        media.close().await;
        let what = format!("{name}, closed");
        assert!(
            !line.control().channel_ids().contains(&media_id),
            "{what}: the media channel outlived close()"
        );
        let bridge = line.client.bridges().get(&bridge_id).await;
        assert_eq!(
            bridge.as_ref().err().and_then(|e| e.status()),
            Some(404),
            "{what}: the bridge outlived close(): {bridge:?}"
        );
        assert_cleaned_up(&line.client, line.control(), &media_id, None, &what).await;
        assert_call_alive(&line.client, call.id(), &what).await;
        line.control().hangup(call.id()).expect("hang up");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_media_channel_hung_up_elsewhere_ends_the_stream() {
    let mut line = line().await;
    for case in [
        Case::new("rtp", MediaTransport::Rtp, AudioFormat::Ulaw),
        Case::new(
            "audiosocket",
            MediaTransport::AudioSocket,
            AudioFormat::Slin,
        ),
        Case::new("websocket", MediaTransport::WebSocket, AudioFormat::Slin16),
    ] {
        let name = case.name;
        let call = line.call().await;
        let mut media = case.open(&call).open().await.expect("open");
        audio_frames(&mut media, 3, name).await;
        let media_id = media.media_channel_id().to_owned();
        let bridge_id = media.bridge_id().map(str::to_owned);
        line.client
            .channels()
            .hangup(&media_id)
            .await
            .expect("another request hangs the media channel up");
        until_end(&mut media, name).await;
        assert_eq!(
            media.end_reason(),
            Some(EndReason::MediaChannelEnded),
            "{name}"
        );
        assert_cleaned_up(
            &line.client,
            line.control(),
            &media_id,
            bridge_id.as_deref(),
            name,
        )
        .await;
        assert_call_alive(&line.client, call.id(), name).await;
        line.control().hangup(call.id()).expect("hang up");
    }
}

// ---------------------------------------------------------------------------------------
// 3. DTMF and 4. WebSocket control.
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digits_the_caller_presses_arrive_on_audiosocket_and_websocket() {
    let mut line = line().await;
    let cases = vec![
        Case::new(
            "audiosocket",
            MediaTransport::AudioSocket,
            AudioFormat::Slin,
        ),
        Case::new("websocket", MediaTransport::WebSocket, AudioFormat::Slin16),
        websocket_client(&line.listener),
    ];
    for case in cases {
        let name = case.name;
        let call = line.call().await;
        let mut media = case.open(&call).open().await.expect("open");
        audio_frames(&mut media, 2, name).await;
        line.control().press(call.id(), "4#7").expect("press");
        let mut digits = String::new();
        while digits.len() < 3 {
            let digit = event(
                &mut media,
                &format!("{name}: digits after {digits:?}"),
                |e| match e {
                    MediaEvent::Dtmf(digit) => Some(*digit),
                    _ => None,
                },
            )
            .await;
            digits.push(digit);
        }
        assert_eq!(digits, "4#7", "{name}: the digits, in order");
        media.close().await;
        line.control().hangup(call.id()).expect("hang up");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_commands_are_answered_and_other_transports_refuse_them() {
    let mut line = line().await;
    for control_format in [ControlFormat::Plain, ControlFormat::Json] {
        let name = format!("websocket {control_format:?}");
        let call = line.call().await;
        let mut media = MediaSession::for_call(&call)
            .transport(MediaTransport::WebSocket)
            .format(AudioFormat::Slin16)
            .control_format(control_format)
            .open()
            .await
            .expect("open");
        let rate = AudioFormat::Slin16.sample_rate();
        media
            .sender()
            .send_samples(&tone::tone(APP_TONE, 0.5, rate, FRAME * 5))
            .await
            .expect("send");
        media
            .command(Command::MarkMedia {
                id: "after-hello".into(),
            })
            .await
            .expect("MARK_MEDIA");
        let marked = event(
            &mut media,
            &format!("{name}: MEDIA_MARK_PROCESSED"),
            |e| match e {
                MediaEvent::Control(ControlEvent::MediaMarkProcessed { id }) => Some(id.clone()),
                _ => None,
            },
        )
        .await;
        assert_eq!(marked, "after-hello", "{name}: the mark's id comes back");
        media.command(Command::GetStatus).await.expect("GET_STATUS");
        let status = event(&mut media, &format!("{name}: STATUS"), |e| match e {
            MediaEvent::Control(ControlEvent::Status(status)) => Some(status.clone()),
            _ => None,
        })
        .await;
        assert!(
            status.xoff_level > status.xon_level,
            "{name}: a STATUS with the flow control levels: {status:?}"
        );
        media.close().await;
        line.control().hangup(call.id()).expect("hang up");
    }

    for (name, transport, format) in [
        ("rtp", MediaTransport::Rtp, AudioFormat::Ulaw),
        (
            "audiosocket",
            MediaTransport::AudioSocket,
            AudioFormat::Slin,
        ),
    ] {
        let call = line.call().await;
        let media = MediaSession::for_call(&call)
            .transport(transport)
            .format(format)
            .open()
            .await
            .expect("open");
        let refused = media.command(Command::GetStatus).await;
        match refused {
            Err(MediaError::Invalid(message)) => assert!(
                message.contains(name) && message.contains("WebSocket"),
                "{name}: the refusal names the transport: {message}"
            ),
            other => panic!("{name}: a command should be refused, got {other:?}"),
        }
        media.close().await;
        line.control().hangup(call.id()).expect("hang up");
    }
}

// ---------------------------------------------------------------------------------------
// 5. Bad input: refused clearly, nothing left behind.
// ---------------------------------------------------------------------------------------

/// Channels and bridges on the simulator, for "nothing left behind".
async fn what_exists(line: &Line) -> (Vec<String>, Vec<String>) {
    let mut channels = line.control().channel_ids();
    channels.sort();
    let mut bridges: Vec<String> = line
        .client
        .bridges()
        .list()
        .await
        .expect("list bridges")
        .into_iter()
        .map(|b| b.id)
        .collect();
    bridges.sort();
    (channels, bridges)
}

/// The simulator holds exactly `before` again, at once: a failed `open` has cleaned up
/// before it returns.
async fn assert_nothing_left(line: &Line, before: &(Vec<String>, Vec<String>), what: &str) {
    let now = what_exists(line).await;
    assert_eq!(&now, before, "{what}: channels and bridges left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_fail_clearly_and_leave_nothing_behind() {
    let mut line = line().await;
    let call = line.call().await;
    let before = what_exists(&line).await;
    assert_eq!(before.0, [call.id().to_owned()], "only the call exists");

    // A format the transport cannot carry: refused before any request.
    let started = Instant::now();
    let error = MediaSession::for_call(&call)
        .transport(MediaTransport::AudioSocket)
        .format(AudioFormat::Ulaw)
        .open()
        .await
        .expect_err("ulaw over AudioSocket");
    assert!(
        matches!(
            &error,
            MediaError::FormatNotCarried {
                transport: "AudioSocket",
                format: AudioFormat::Ulaw,
                ..
            }
        ) && error.to_string()
            == "AudioSocket cannot carry ulaw; it carries signed linear audio (slin, slin16)",
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "refused at once"
    );
    assert_nothing_left(&line, &before, "ulaw over AudioSocket").await;

    // An application the client has no event connection for: the media channel would
    // enter it unseen.
    for (name, transport, format) in [
        ("rtp", MediaTransport::Rtp, AudioFormat::Ulaw),
        ("websocket", MediaTransport::WebSocket, AudioFormat::Slin16),
    ] {
        let error = MediaSession::builder(&line.client, "nobody-listens", call.id())
            .transport(transport)
            .format(format)
            .connect_timeout(Duration::from_secs(1))
            .open()
            .await
            .expect_err("an application without an event connection");
        let message = error.to_string();
        assert!(
            message.contains("\"nobody-listens\"") && message.contains("event connection"),
            "{name}: the error names the application and the likely cause: {message}"
        );
        assert_nothing_left(&line, &before, &format!("{name}, unknown application")).await;
    }

    // A channel that does not exist, however the session would attach to it.
    for attach in [
        Attach::Bridge,
        Attach::Detached,
        Attach::Snoop {
            spy: "in".into(),
            whisper: "none".into(),
        },
    ] {
        let what = format!("missing channel, {attach:?}");
        let error = MediaSession::builder(&line.client, APP, "no-such-channel")
            .attach(attach)
            .open()
            .await
            .expect_err(&what);
        match &error {
            MediaError::Ari { source, .. } => assert_eq!(
                source.status(),
                Some(404),
                "{what}: a missing channel is a 404: {error}"
            ),
            other => panic!("{what}: should be an ARI error, got {other:?}"),
        }
        assert!(
            error.to_string().contains("no-such-channel"),
            "{what}: the error names what is missing: {error}"
        );
        assert_nothing_left(&line, &before, &what).await;
    }

    // A frame size out of range: refused before any request.
    let error = MediaSession::for_call(&call)
        .frame(Duration::from_secs(1))
        .open()
        .await
        .expect_err("a one-second frame");
    assert!(matches!(error, MediaError::Invalid(_)), "{error}");
    assert_nothing_left(&line, &before, "one-second frame").await;
}

// ---------------------------------------------------------------------------------------
// 6. Scale, slow readers, two applications.
// ---------------------------------------------------------------------------------------

/// One call's task among many: hear 25 frames with the tone, say half a second.
async fn short_conversation(case: Case, call: Call, control: Control) -> String {
    let name = case.name;
    let rate = case.format.sample_rate();
    let mut media = case
        .open(&call)
        .connect_timeout(LIMIT * 2)
        .open()
        .await
        .unwrap_or_else(|e| panic!("{name}: open: {e}"));
    let media_id = media.media_channel_id().to_owned();
    let talk = media.sender();
    let sending = tokio::spawn(async move {
        talk.send_samples(&tone::tone(APP_TONE, 0.5, rate, Duration::from_millis(500)))
            .await
    });
    let frames = audio_frames(&mut media, 25, name).await;
    let heard = samples_of(&frames);
    assert!(
        analysis::tone_present(&heard, rate, SIM_TONE),
        "{name}: no 440 Hz among 100 sessions"
    );
    sending.await.expect("sender task").expect("send");
    // Keep reading while the simulator counts.
    let got = tokio::select! {
        got = probe_received(&control, &media_id, 25, name) => got,
        _ = async { while media.next().await.is_some() {} } => panic!("{name}: the stream ended"),
    };
    assert_eq!(
        got.frames_received, 25,
        "{name}: half a second is 25 frames"
    );
    assert!(
        got.tone_level(APP_TONE) > 0.3,
        "{name}: 1 kHz at the simulator"
    );
    media.close().await;
    media_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_sessions_at_once_on_one_client() {
    let _alone = TIMING.lock().await;
    let mut line = line().await;
    let cases = every_transport(&line.listener);
    let calls = line.calls(100).await;
    let started = Instant::now();
    let tasks: Vec<_> = calls
        .into_iter()
        .enumerate()
        .map(|(n, call)| {
            let case = cases[n % cases.len()].clone();
            let control = line.control().clone();
            tokio::spawn(async move {
                let id = call.id().to_owned();
                (id, short_conversation(case, call, control).await)
            })
        })
        .collect();
    let mut media_of_call = HashMap::new();
    for task in tasks {
        let (call, media) = task.await.expect("a call's task panicked");
        media_of_call.insert(call, media);
    }
    assert_eq!(media_of_call.len(), 100);
    eprintln!("100 sessions in {:?}", started.elapsed());

    // Every media channel and bridge gone; the 100 calls are all that is left.
    let control = line.control();
    for media_id in media_of_call.values() {
        assert!(
            probe(control, media_id).closed,
            "{media_id}: transport closed"
        );
    }
    let mut left = control.channel_ids();
    left.sort();
    let mut calls: Vec<String> = media_of_call.keys().cloned().collect();
    calls.sort();
    assert_eq!(left, calls, "only the calls remain");
    let bridges = line.client.bridges().list().await.expect("bridges");
    assert!(bridges.is_empty(), "bridges left: {bridges:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_loses_frames_but_never_stalls_the_sender() {
    let _alone = TIMING.lock().await;
    let mut line = line().await;
    let buffer = 20;
    let cases = [
        Case::new(
            "audiosocket",
            MediaTransport::AudioSocket,
            AudioFormat::Slin,
        ),
        Case::new("rtp", MediaTransport::Rtp, AudioFormat::Ulaw),
    ];
    let calls = line.calls(cases.len()).await;
    let tasks: Vec<_> = cases
        .into_iter()
        .zip(calls)
        .map(|(case, call)| {
            let control = line.control().clone();
            tokio::spawn(async move {
                let name = case.name;
                let rate = case.format.sample_rate();
                let mut media = case
                    .open(&call)
                    .receive_buffer(buffer)
                    .open()
                    .await
                    .expect("open");
                let media_id = media.media_channel_id().to_owned();
                audio_frames(&mut media, 1, name).await;
                let talk = media.sender();
                let sending = tokio::spawn(async move {
                    talk.send_samples(&tone::tone(APP_TONE, 0.5, rate, Duration::from_secs(3)))
                        .await
                });
                // The reader looks away for two seconds (the behaviour under test: a
                // sleep is the slow reader).
                let before = probe_received(&control, &media_id, 5, name).await;
                tokio::time::sleep(Duration::from_secs(2)).await;
                let after = probe(&control, &media_id);
                let sent_meanwhile = after.frames_received - before.frames_received;
                assert!(
                    (60..=105).contains(&sent_meanwhile),
                    "{name}: the simulator got {sent_meanwhile} frames in 2 s of not reading (50/s expected)"
                );
                let stats = media.stats();
                assert!(
                    stats.dropped_for_slow_reader >= 50,
                    "{name}: ~100 frames came in 2 s into a buffer of {buffer}: {stats:?}"
                );
                let accounted = stats.dropped_for_slow_reader + buffer as u64 + 1;
                assert!(
                    (accounted..=accounted + 5).contains(&stats.frames_received),
                    "{name}: every frame was read, buffered or counted as dropped (give or \
                     take a few on their way): {stats:?}"
                );
                // Reading resumes: the buffered frames, then the stream continues live.
                let resumed = Instant::now();
                let frames = audio_frames(&mut media, buffer + 10, name).await;
                let live = &frames[buffer..];
                assert!(
                    live.iter().all(|f| f.received_at >= resumed - FRAME * 2),
                    "{name}: after the buffer, frames are fresh"
                );
                assert!(
                    analysis::tone_present(&samples_of(live), rate, SIM_TONE),
                    "{name}: the tone continues"
                );
                if let (Some(first), Some(last)) = (frames[buffer - 1].sequence, live[0].sequence) {
                    assert!(
                        last.wrapping_sub(first) > 50,
                        "{name}: the sequence numbers show the frames lost to the slow reader"
                    );
                }
                sending.await.expect("sender task").expect("send");
                media.close().await;
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a slow reader's task panicked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applications_on_one_client_each_get_sessions() {
    let mut line = line().await;
    let mut second = line
        .client
        .calls([SECOND_APP])
        .connect()
        .await
        .expect("calls of the second application");
    registered(&line.client, SECOND_APP).await;
    let first_call = line.call().await;
    let id = line.control().call("7001").expect("dial 7001");
    let second_call = next_call(&mut second).await;
    assert_eq!(second_call.id(), id);
    assert_eq!(second_call.application(), SECOND_APP);
    second_call.channel().answer().await.expect("answer");

    let mut sessions = Vec::new();
    for (call, transport) in [
        (&first_call, MediaTransport::AudioSocket),
        (&second_call, MediaTransport::WebSocket),
    ] {
        let mut media = MediaSession::for_call(call)
            .transport(transport)
            .format(AudioFormat::Slin16)
            .open()
            .await
            .unwrap_or_else(|e| panic!("{}: open: {e}", call.application()));
        let heard = samples_of(&audio_frames(&mut media, 10, call.application()).await);
        assert!(
            analysis::tone_present(&heard, 16_000, SIM_TONE),
            "{}",
            call.application()
        );
        sessions.push(media);
    }
    // The media channels entered the applications, but neither call stream hands them
    // out as calls.
    for calls in [&mut line.calls, &mut second] {
        let extra = tokio::time::timeout(Duration::from_millis(200), calls.next()).await;
        assert!(
            extra.is_err(),
            "a media channel handed out as a call: {extra:?}"
        );
    }
    // The first call hangs up: only its session ends.
    line.control().hangup(first_call.id()).expect("hang up");
    let mut sessions = sessions.into_iter();
    let mut first = sessions.next().unwrap();
    let mut second_media = sessions.next().unwrap();
    until_end(&mut first, "first application").await;
    assert_eq!(first.end_reason(), Some(EndReason::CallEnded));
    audio_frames(&mut second_media, 5, "the second application goes on").await;
    assert_eq!(second_media.end_reason(), None);
    second_media.close().await;
}

// ---------------------------------------------------------------------------------------
// 7. Attach modes.
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snooping_leaves_the_call_where_it_is() {
    let mut line = line().await;
    let call = line.call().await;
    let holding = line
        .client
        .bridges()
        .create()
        .r#type("mixing")
        .await
        .expect("bridge");
    line.client
        .bridges()
        .add_channel(&holding.id, call.id())
        .await
        .expect("the call waits in its own bridge");
    let mut media = MediaSession::for_call(&call)
        .transport(MediaTransport::WebSocket)
        .attach(Attach::Snoop {
            spy: "in".into(),
            whisper: "none".into(),
        })
        .open()
        .await
        .expect("open a snooping session");
    let media_id = media.media_channel_id().to_owned();
    let snoop_id = format!("{media_id}-snoop");
    let bridge_id = media
        .bridge_id()
        .expect("a bridge for the snoop")
        .to_owned();
    assert_ne!(bridge_id, holding.id);
    let bridge = line
        .client
        .bridges()
        .get(&bridge_id)
        .await
        .expect("snoop bridge");
    let mut members = bridge.channels.clone();
    members.sort();
    let mut expected = vec![media_id.clone(), snoop_id.clone()];
    expected.sort();
    assert_eq!(
        members, expected,
        "the snoop and the media channel, not the call"
    );
    let held = line
        .client
        .bridges()
        .get(&holding.id)
        .await
        .expect("holding bridge");
    assert_eq!(
        held.channels,
        [call.id().to_owned()],
        "the call stays in its bridge"
    );
    let heard = samples_of(&audio_frames(&mut media, 10, "snoop").await);
    assert!(analysis::tone_present(
        &heard,
        media.format().sample_rate(),
        SIM_TONE
    ));

    media.close().await;
    assert_cleaned_up(
        &line.client,
        line.control(),
        &media_id,
        Some(&bridge_id),
        "snoop",
    )
    .await;
    assert!(
        !line.control().channel_ids().contains(&snoop_id),
        "the snoop channel outlived the session"
    );
    let held = line
        .client
        .bridges()
        .get(&holding.id)
        .await
        .expect("holding bridge");
    assert_eq!(
        held.channels,
        [call.id().to_owned()],
        "the call is still held"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_an_existing_bridge_leaves_it_standing() {
    let mut line = line().await;
    let call = line.call().await;
    let conference = line
        .client
        .bridges()
        .create_with_id("conference")
        .r#type("mixing")
        .await
        .expect("bridge");
    line.client
        .bridges()
        .add_channel(&conference.id, call.id())
        .await
        .expect("the call joins the conference");
    let mut media = MediaSession::for_call(&call)
        .transport(MediaTransport::Rtp)
        .format(AudioFormat::Ulaw)
        .attach(Attach::ExistingBridge(conference.id.clone()))
        .open()
        .await
        .expect("open in the conference");
    assert_eq!(media.bridge_id(), Some("conference"));
    let media_id = media.media_channel_id().to_owned();
    let mut members = line
        .client
        .bridges()
        .get("conference")
        .await
        .expect("conference")
        .channels;
    members.sort();
    let mut expected = vec![call.id().to_owned(), media_id.clone()];
    expected.sort();
    assert_eq!(members, expected);
    audio_frames(&mut media, 5, "conference").await;

    media.close().await;
    assert_cleaned_up(&line.client, line.control(), &media_id, None, "conference").await;
    let conference = line
        .client
        .bridges()
        .get("conference")
        .await
        .expect("the conference outlives the session");
    assert_eq!(conference.channels, [call.id().to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detached_session_makes_no_bridge() {
    let mut line = line().await;
    let call = line.call().await;
    let mut media = MediaSession::for_call(&call)
        .transport(MediaTransport::AudioSocket)
        .format(AudioFormat::Slin)
        .attach(Attach::Detached)
        .open()
        .await
        .expect("open detached");
    assert_eq!(media.bridge_id(), None);
    let media_id = media.media_channel_id().to_owned();
    let bridges = line.client.bridges().list().await.expect("bridges");
    assert!(bridges.is_empty(), "no bridge made: {bridges:?}");
    let app = line
        .client
        .applications()
        .get(APP)
        .await
        .expect("application");
    assert!(
        app.channel_ids.contains(&media_id),
        "the media channel waits in the application: {:?}",
        app.channel_ids
    );
    // Audio flows on the transport all the same.
    let heard = samples_of(&audio_frames(&mut media, 10, "detached").await);
    assert!(analysis::tone_present(&heard, 8_000, SIM_TONE));

    media.close().await;
    assert_cleaned_up(&line.client, line.control(), &media_id, None, "detached").await;
    assert_call_alive(&line.client, call.id(), "detached").await;
}
