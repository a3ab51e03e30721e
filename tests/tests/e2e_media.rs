//! End to end against a real Asterisk (`ARI_E2E_URL`, see `e2e/mod.rs`): playbacks
//! (control, stop, `finished()`, the `paused` state the spec lacks, a missing sound) and
//! external media (RTP to a UDP socket of the test's). Over both transports.

mod e2e;

use std::time::Duration;

use ari_sdk::{
    ControlOperation, Error, Event, ExternalMediaEncapsulation, ExternalMediaTransport,
    PlaybackState, Transport,
};
use e2e::LIMIT;

on_both_transports!(
    playback_controls_stop_and_the_paused_state,
    external_media_sends_rtp_to_a_udp_socket,
);

async fn playback_controls_stop_and_the_paused_state(transport: Transport) {
    let Some(s) = e2e::session("playback control", "play", transport).await else {
        return;
    };
    let listener = s.enter("7002", "listener").await;
    let channel = s.client.channel(&listener.id);

    // A short sound, to its end.
    let short = channel
        .play(["sound:hello-world"])
        .await
        .expect("play hello-world");
    assert_eq!(short.target_uri, format!("channel:{}", listener.id));
    let done = short.finished(LIMIT).await.expect("finished");
    assert_eq!(done.state, PlaybackState::Done);

    // A missing sound: finished() names it.
    let missing = channel
        .play(["sound:e2e-no-such-sound"])
        .await
        .expect("Asterisk accepts the request");
    let failed = missing
        .finished(LIMIT)
        .await
        .expect_err("a sound that does not exist");
    assert!(
        matches!(&failed, Error::Failed { what, .. } if what.contains("sound:e2e-no-such-sound")),
        "{failed}"
    );
    assert!(!failed.is_gone(), "{failed}");

    // A long one (about 30 s), controlled.
    let id = s.id("pb");
    let mut long = channel
        .play(["sound:demo-congrats"])
        .playback_id(&id)
        .await
        .expect("play demo-congrats");
    assert_eq!(long.id, id);
    long.events()
        .wait_for(LIMIT, |event| {
            matches!(event, Event::PlaybackStarted(_)).then_some(())
        })
        .await
        .expect("PlaybackStarted");
    let playback = s.client.playback(&id);
    let state = |p: ari_sdk::Playback| p.state;

    playback
        .control(ControlOperation::Pause)
        .await
        .expect("pause");
    // `paused`: a state Asterisk reports that the spec's list lacks.
    let paused = PlaybackState::Other("paused".to_owned());
    assert_eq!(state(playback.get().await.expect("get")), paused);
    for operation in [
        ControlOperation::Restart,
        ControlOperation::Forward,
        ControlOperation::Reverse,
    ] {
        let refused = playback
            .control(operation.clone())
            .await
            .expect_err("not while paused");
        assert!(refused.is_conflict(), "{operation:?}: {refused}");
        assert_eq!(
            refused.asterisk_message(),
            Some(format!("Can only {} while media is playing", operation.as_str()).as_str())
        );
        assert!(!refused.is_gone(), "a conflict that is not a departure");
    }
    playback
        .control(ControlOperation::Unpause)
        .await
        .expect("unpause");
    assert_eq!(
        state(playback.get().await.expect("get")),
        PlaybackState::Playing
    );
    for operation in [
        ControlOperation::Forward,
        ControlOperation::Reverse,
        ControlOperation::Restart,
    ] {
        playback
            .control(operation.clone())
            .await
            .unwrap_or_else(|e| panic!("{operation:?} while playing: {e}"));
    }
    let unknown = playback
        .control(ControlOperation::Other("sideways".to_owned()))
        .await
        .expect_err("an operation Asterisk does not know");
    assert!(unknown.is_bad_request(), "{unknown}");

    playback.stop().await.expect("stop");
    let stopped = long
        .finished(LIMIT)
        .await
        .expect("a stopped playback finishes");
    assert_eq!(stopped.state, PlaybackState::Done);
    let gone = e2e::until_gone(|| playback.get()).await;
    assert!(gone.is_not_found() && gone.is_gone(), "{gone}");

    // The listener hangs up during a playback: finished() says it is gone.
    let cut = channel
        .play(["sound:demo-congrats"])
        .await
        .expect("play again");
    let (finished, hung_up) = tokio::join!(cut.finished(LIMIT), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        channel.hangup().await
    });
    hung_up.expect("hang up");
    let cut_off = finished.expect_err("the listener left");
    assert!(cut_off.is_gone(), "{cut_off}");
    s.finish().await;
}

async fn external_media_sends_rtp_to_a_udp_socket(transport: Transport) {
    let Some(s) = e2e::session("external media", "media", transport).await else {
        return;
    };
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("a UDP socket");
    let port = socket.local_addr().expect("its address").port();
    let media_id = s.id("external");
    let mut media = s
        .client
        .channels()
        .external_media(&s.app, "ulaw")
        .channel_id(&media_id)
        .external_host(format!("127.0.0.1:{port}"))
        .encapsulation(ExternalMediaEncapsulation::Rtp)
        .transport(ExternalMediaTransport::Udp)
        .await
        .expect("externalMedia");
    assert_eq!(media.id, media_id);
    assert!(
        media
            .name
            .starts_with(&format!("UnicastRTP/127.0.0.1:{port}-")),
        "{}",
        media.name
    );
    let vars = media.channelvars.clone().unwrap_or_default();
    let asterisk_port: u16 = vars["UNICASTRTP_LOCAL_PORT"]
        .as_str()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("UNICASTRTP_LOCAL_PORT in {vars}"));
    media
        .stasis_start(LIMIT)
        .await
        .expect("the external media channel in Stasis");

    // A far end that talks (7005 plays hello-world in a loop), bridged with it.
    let talker = s.enter("7005", "talker").await;
    let bridge_id = s.bridge("mixing").await;
    s.client
        .bridge(&bridge_id)
        .add_channel([talker.id.clone(), media_id.clone()])
        .await
        .expect("bridge them");

    let mut packets = Vec::new();
    let mut buffer = [0u8; 2048];
    while packets.len() < 50 {
        let (length, from) = tokio::time::timeout(LIMIT, socket.recv_from(&mut buffer))
            .await
            .expect("RTP within the limit")
            .expect("a datagram");
        assert_eq!(from.port(), asterisk_port, "from UNICASTRTP_LOCAL_PORT");
        packets.push(buffer[..length].to_vec());
    }
    let ssrc = |p: &[u8]| u32::from_be_bytes([p[8], p[9], p[10], p[11]]);
    let sequence = |p: &[u8]| u16::from_be_bytes([p[2], p[3]]);
    for pair in packets.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert_eq!(b.len(), 12 + 160, "RTP header and 20 ms of G.711");
        assert_eq!(b[0] >> 6, 2, "RTP version 2");
        assert_eq!(b[1] & 0x7f, 0, "payload type 0, PCMU (ulaw)");
        assert_eq!(ssrc(a), ssrc(b), "one stream");
        assert_eq!(sequence(b), sequence(a).wrapping_add(1), "in sequence");
    }
    // ulaw silence is 0xff (or 0x7f): hello-world is more than that.
    assert!(
        packets
            .iter()
            .any(|p| p[12..].iter().any(|&b| b != 0xff && b != 0x7f)),
        "sound, not silence"
    );

    s.client
        .bridge(&bridge_id)
        .destroy()
        .await
        .expect("destroy");
    s.client
        .channel(&media_id)
        .hangup()
        .await
        .expect("hang up the external media channel");
    s.client
        .channel(&talker.id)
        .hangup()
        .await
        .expect("hang up");
    // Nothing more arrives once it is gone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while socket.try_recv(&mut buffer).is_ok() {}
    let after = tokio::time::timeout(Duration::from_millis(500), socket.recv(&mut buffer)).await;
    assert!(after.is_err(), "RTP after hang-up");
    s.finish().await;
}
