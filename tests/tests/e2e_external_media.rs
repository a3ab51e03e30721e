//! End to end against a real Asterisk (`ARI_E2E_URL`, see `e2e/mod.rs`): ari-media's
//! sessions over each transport. Audio reaches the application from a call to 7005
//! (hello-world in a loop); a tone the application sends to a call to 7003 (Echo) comes
//! back, so it went through Asterisk both ways; the caller hanging up ends the stream and
//! leaves nothing behind.
//!
//! The WebSocket client mode (Asterisk connecting to the application) uses the
//! `websocket_client.conf` connection `outapp_ws` of `../shared/asterisk`
//! (`ws://127.0.0.1:9099/`): its test binds that port, so it runs alone in this binary.

mod e2e;

use std::time::{Duration, Instant};

use ari_media::codec::analysis;
use ari_media::{
    AudioFormat, EndReason, MediaError, MediaEvent, MediaListener, MediaSession, MediaTransport,
};
use ari_sdk::Transport;
use e2e::LIMIT;

/// The `websocket_client.conf` connection of `../shared/asterisk`, where it points and
/// the credentials Asterisk sends there.
const CLIENT_CONNECTION: &str = "outapp_ws";
const CLIENT_LISTEN: &str = "127.0.0.1:9099";
const CLIENT_USER: &str = "asterisk";
const CLIENT_PASSWORD: &str = "outapp-password";

/// Held by the two tests that place calls with RTP media, so they never run side by side.
/// In CI, about one run in three of this binary saw Asterisk 22.10.1 leave an RTP
/// `externalMedia` unanswered for 15 s while the other test was hanging up its UnicastRTP
/// channels (never reproduced alone or locally, not yet understood: see RELIABILITY.md).
/// Each test still places its own calls concurrently.
static RTP_CALLS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The transports, by name, for messages.
fn transports() -> Vec<(&'static str, MediaTransport, AudioFormat)> {
    vec![
        ("rtp", MediaTransport::Rtp, AudioFormat::Ulaw),
        ("rtp-slin", MediaTransport::Rtp, AudioFormat::Slin),
        (
            "audiosocket",
            MediaTransport::AudioSocket,
            AudioFormat::Slin16,
        ),
        ("websocket", MediaTransport::WebSocket, AudioFormat::Slin16),
    ]
}

/// Reads audio until `enough` frames came or `LIMIT` passed; the samples at 16 bits.
async fn listen(media: &mut MediaSession, enough: usize) -> Vec<i16> {
    listen_within(media, enough, LIMIT)
        .await
        .unwrap_or_else(|silent| panic!("{silent}"))
}

/// Like [`listen`]; `Err` says how little came within `limit`.
async fn listen_within(
    media: &mut MediaSession,
    enough: usize,
    limit: Duration,
) -> Result<Vec<i16>, String> {
    let mut samples = Vec::new();
    let mut frames = 0;
    let deadline = tokio::time::Instant::now() + limit;
    while frames < enough {
        match tokio::time::timeout_at(deadline, media.next()).await {
            Ok(Some(Ok(MediaEvent::Audio(frame)))) => {
                frames += 1;
                samples.extend(frame.samples());
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!(
                "the stream ended after {frames} frames: {:?}",
                media.end_reason()
            ),
            Err(_) => {
                return Err(format!(
                    "only {frames} audio frames within {limit:?} on media channel {} ({:?}; {:?})",
                    media.media_channel_id(),
                    media.stats(),
                    media.end_reason()
                ));
            }
        }
    }
    Ok(samples)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_transport_hears_a_call_and_is_heard_by_it() {
    let _alone = RTP_CALLS.lock().await;
    let Some(s) = e2e::session("external media", "xmedia", Transport::Http).await else {
        return;
    };
    for (name, transport, format) in transports() {
        // Hears: 7005 says hello-world over and over.
        let talker = s.enter("7005", &format!("talker-{name}")).await;
        let open = |attempt: usize| {
            MediaSession::builder(&s.client, &s.app, &talker.id)
                .transport(transport.clone())
                .format(format)
                .media_channel_id(s.id(&format!("media-{name}-{attempt}")))
                .open()
        };
        let mut media = open(1)
            .await
            .unwrap_or_else(|e| panic!("{name}: open: {e}"));
        // Asterisk 22.10.1 now and then sends no audio at all to a new AudioSocket media
        // channel (about one run in ten here; the connection and its UUID arrive, then
        // nothing, and its log is silent): not understood yet, so a second session is
        // tried once, and said on stderr; two silent sessions fail the test.
        let heard = match listen_within(&mut media, 100, LIMIT).await {
            Ok(heard) => heard,
            Err(silent) => {
                eprintln!("{name}: {silent}; trying a second media session");
                media.close().await;
                media = open(2)
                    .await
                    .unwrap_or_else(|e| panic!("{name}: open: {e}"));
                listen(&mut media, 100).await
            }
        };
        assert!(
            analysis::dbfs(&heard) > -45.0,
            "{name}: two seconds of hello-world at {:.1} dBFS",
            analysis::dbfs(&heard)
        );
        let media_id = media.media_channel_id().to_owned();
        let bridge_id = media.bridge_id().expect("a bridge").to_owned();
        media.close().await;
        assert_gone(&s.client, &media_id, &bridge_id).await;

        // Is heard: a tone sent to 7003 (Echo) comes back.
        let echo = s.enter("7003", &format!("echo-{name}")).await;
        let mut media = MediaSession::builder(&s.client, &s.app, &echo.id)
            .transport(transport)
            .format(format)
            .media_channel_id(s.id(&format!("echo-media-{name}")))
            .open()
            .await
            .unwrap_or_else(|e| panic!("{name}: open: {e}"));
        let rate = format.sample_rate();
        let tone = ari_media::codec::tone::tone(1000.0, 0.5, rate, Duration::from_secs(2));
        let talk = media.sender();
        let sending = tokio::spawn(async move { talk.send_samples(&tone).await });
        // Echo returns what it gets, but a frame can be lost on the way (CI saw 99 of
        // 100 come back over AudioSocket): most of them are enough.
        let back = listen(&mut media, ECHOED_ENOUGH).await;
        sending.await.expect("sender task").expect("send the tone");
        let window = &back[back.len() / 2..];
        assert!(
            analysis::tone_present(window, rate, 1000.0),
            "{name}: the 1 kHz tone did not come back from Echo ({:.1} dBFS)",
            analysis::dbfs(window)
        );
        let stats = media.stats();
        assert!(stats.frames_sent >= 50, "{name}: {stats:?}");

        // The caller hangs up mid-stream: the stream ends, nothing is left.
        let media_id = media.media_channel_id().to_owned();
        let bridge_id = media.bridge_id().expect("a bridge").to_owned();
        s.client.channels().hangup(&echo.id).await.expect("hang up");
        let ended =
            tokio::time::timeout(LIMIT, async { while media.next().await.is_some() {} }).await;
        assert!(
            ended.is_ok(),
            "{name}: the stream went on after the hang-up"
        );
        assert_eq!(media.end_reason(), Some(EndReason::CallEnded), "{name}");
        assert_gone(&s.client, &media_id, &bridge_id).await;
        drop(media);
    }
    s.finish().await;
}

/// Frames of the two seconds (100 frames) sent to Echo that must come back.
const ECHOED_ENOUGH: usize = 80;

/// Calls handled at once by `many_calls_at_once_one_task_each`.
const CONCURRENT_CALLS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_calls_at_once_one_task_each() {
    let _alone = RTP_CALLS.lock().await;
    let Some(s) = e2e::session("external media many", "xmediam", Transport::Http).await else {
        return;
    };
    let s = std::sync::Arc::new(s);
    let mut tasks = Vec::new();
    for n in 0..CONCURRENT_CALLS {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let (name, transport, format) = transports().swap_remove(n % 4);
            let talker = s.enter("7005", &format!("talker{n}-{name}")).await;
            let mut media = MediaSession::builder(&s.client, &s.app, &talker.id)
                .transport(transport)
                .format(format)
                .media_channel_id(s.id(&format!("media{n}-{name}")))
                .open()
                .await
                .unwrap_or_else(|e| panic!("call {n} ({name}): open: {e}"));
            let heard = listen(&mut media, 50).await;
            assert!(
                analysis::dbfs(&heard) > -45.0,
                "call {n} ({name}) heard nothing"
            );
            let ids = (
                media.media_channel_id().to_owned(),
                media.bridge_id().expect("a bridge").to_owned(),
            );
            media.close().await;
            ids
        }));
    }
    for task in tasks {
        let (media_id, bridge_id) = task.await.expect("a call's task");
        assert_gone(&s.client, &media_id, &bridge_id).await;
    }
    std::sync::Arc::into_inner(s)
        .expect("every task is done")
        .finish()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asterisk_connects_to_the_applications_websocket_listener() {
    let Some(s) = e2e::session("external media ws client", "xmediac", Transport::Http).await else {
        return;
    };
    let listener = MediaListener::bind_with_basic_auth(
        CLIENT_LISTEN.parse().unwrap(),
        CLIENT_USER,
        CLIENT_PASSWORD,
    )
    .await
    .expect("bind the outapp_ws port");
    let talker = s.enter("7005", "talker").await;
    let mut media = MediaSession::builder(&s.client, &s.app, &talker.id)
        .transport(MediaTransport::WebSocketClient {
            connection: CLIENT_CONNECTION.to_owned(),
            listener,
        })
        .format(AudioFormat::Slin16)
        .media_channel_id(s.id("media"))
        .open()
        .await
        .expect("open");
    let heard = listen(&mut media, 100).await;
    assert!(
        analysis::dbfs(&heard) > -45.0,
        "{:.1} dBFS",
        analysis::dbfs(&heard)
    );
    let media_id = media.media_channel_id().to_owned();
    let bridge_id = media.bridge_id().expect("a bridge").to_owned();
    drop(media); // dropping cleans up too
    assert_gone(&s.client, &media_id, &bridge_id).await;
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_format_is_refused_before_any_request() {
    let Some(s) = e2e::session("external media format", "xmediaf", Transport::Http).await else {
        return;
    };
    let talker = s.enter("7002", "talker").await;
    let started = Instant::now();
    let error = MediaSession::builder(&s.client, &s.app, &talker.id)
        .transport(MediaTransport::AudioSocket)
        .format(AudioFormat::Ulaw)
        .open()
        .await
        .expect_err("ulaw over AudioSocket");
    assert!(
        matches!(
            error,
            MediaError::FormatNotCarried {
                format: AudioFormat::Ulaw,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("ulaw"), "{error}");
    assert!(started.elapsed() < LIMIT);
    s.finish().await;
}

/// The media channel and the session's bridge are gone (Asterisk removes them a moment
/// after the requests).
async fn assert_gone(client: &ari_sdk::Client, media_id: &str, bridge_id: &str) {
    let channel = e2e::until_gone(|| client.channels().get(media_id)).await;
    assert_eq!(channel.status(), Some(404), "{channel}");
    let bridge = e2e::until_gone(|| client.bridges().get(bridge_id)).await;
    assert_eq!(bridge.status(), Some(404), "{bridge}");
}
