//! `externalMedia` carries audio: for each transport the application's socket gets the
//! simulator's 440 Hz test signal every 20 ms, what it sends back shows in
//! `Control::media`, hanging up closes the transport the transport's way, and bad input
//! is counted, not fatal. Driven with plain sockets, as an application without ari-media
//! would.

use std::time::{Duration, Instant};

use ari_media::AudioFormat;
use ari_sdk::{ExternalMediaEncapsulation, ExternalMediaTransport};
use ari_sim::{ProbeTransport, Simulator};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const LIMIT: Duration = Duration::from_secs(2);
const UUID: &str = "0b0f3a1e-8a3c-4c8e-9d2e-123456789abc";

async fn simulator() -> Simulator {
    Simulator::builder().start().await.expect("simulator")
}

/// Sign changes per second of `samples` at `rate`: twice a pure tone's frequency.
fn frequency(samples: &[i16], rate: u32) -> f64 {
    let crossings = samples
        .windows(2)
        .filter(|w| (w[0] < 0) != (w[1] < 0))
        .count();
    crossings as f64 * f64::from(rate) / samples.len() as f64 / 2.0
}

fn assert_440(samples: &[i16], rate: u32) {
    let hz = frequency(samples, rate);
    assert!((420.0..460.0).contains(&hz), "{hz} Hz");
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!((6000..10000).contains(&peak), "peak {peak}");
}

/// Waits until `check` holds (the media tasks run beside the test).
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < LIMIT, "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn rtp_sends_the_tone_every_20_ms_and_counts_what_comes_back() {
    let sim = simulator().await;
    let client = sim.client();
    let app = UdpSocket::bind("127.0.0.1:0").await.expect("udp");
    let port = app.local_addr().expect("addr").port();
    let media = client
        .channels()
        .external_media("media", "ulaw")
        .external_host(format!("127.0.0.1:{port}"))
        .encapsulation(ExternalMediaEncapsulation::Rtp)
        .transport(ExternalMediaTransport::Udp)
        .await
        .expect("externalMedia");
    let vars = media.channelvars.clone().unwrap_or_default();
    let sim_port: u16 = vars["UNICASTRTP_LOCAL_PORT"]
        .as_str()
        .and_then(|p| p.parse().ok())
        .expect("UNICASTRTP_LOCAL_PORT");
    assert_ne!(sim_port, 10000, "a real port, not the old fake one");

    let mut buffer = [0u8; 2048];
    let mut samples = Vec::new();
    let mut sequences = Vec::new();
    let start = Instant::now();
    for _ in 0..20 {
        let (length, from) = tokio::time::timeout(LIMIT, app.recv_from(&mut buffer))
            .await
            .expect("RTP in time")
            .expect("datagram");
        assert_eq!(from.port(), sim_port);
        let packet = &buffer[..length];
        assert_eq!(packet[0] >> 6, 2, "RTP version 2");
        assert_eq!(packet[1] & 0x7f, 0, "payload type 0 for ulaw");
        assert_eq!(length, 12 + 160);
        sequences.push(u16::from_be_bytes([packet[2], packet[3]]));
        samples.extend(ari_media::codec::to_linear(
            AudioFormat::Ulaw,
            &packet[12..],
        ));
    }
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(sequences.windows(2).all(|w| w[1] == w[0].wrapping_add(1)));
    assert_440(&samples, 8000);

    // 10 good packets of a 1 kHz tone back, and a datagram that is no RTP.
    let sim_addr = ("127.0.0.1", sim_port);
    for n in 0..10u16 {
        let mut packet = vec![0x80, 0, 0, n as u8, 0, 0, 0, 0, 1, 2, 3, 4];
        let tone: Vec<i16> = (0..160)
            .map(|i| {
                (8000.0 * (std::f64::consts::TAU * 1000.0 * f64::from(i) / 8000.0).sin()) as i16
            })
            .collect();
        packet.extend(ari_media::codec::from_linear(AudioFormat::Ulaw, &tone));
        app.send_to(&packet, sim_addr).await.expect("send");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.send_to(&[1, 2, 3], sim_addr).await.expect("send");
    let control = sim.control();
    eventually("10 frames and 1 malformed", || {
        control
            .media(&media.id)
            .is_some_and(|p| p.frames_received == 10 && p.malformed == 1)
    })
    .await;
    let probe = control.media(&media.id).expect("probe");
    assert_eq!(probe.transport, ProbeTransport::Rtp);
    assert_eq!(probe.bytes_received, 1600);
    assert_eq!(probe.samples.len(), 1600);
    assert!(
        probe.tone_level(1000.0) > 0.1,
        "{}",
        probe.tone_level(1000.0)
    );
    assert!(
        probe.tone_level(440.0) < 0.02,
        "{}",
        probe.tone_level(440.0)
    );
    assert!(
        probe.max_gap_deviation < Duration::from_millis(40),
        "{probe:?}"
    );
    assert!(probe.first_received < probe.last_received);

    // Hung up: the socket goes quiet and the probe says closed.
    client.channels().hangup(&media.id).await.expect("hang up");
    eventually("closed", || {
        control.media(&media.id).is_some_and(|p| p.closed)
    })
    .await;
    while let Ok(Ok(_)) =
        tokio::time::timeout(Duration::from_millis(60), app.recv_from(&mut buffer)).await
    {}
    let quiet = tokio::time::timeout(Duration::from_millis(100), app.recv_from(&mut buffer)).await;
    assert!(quiet.is_err(), "no RTP after the hang-up");
}

#[tokio::test]
async fn rtp_slin_is_big_endian_payload_type_10() {
    let sim = simulator().await;
    let app = UdpSocket::bind("127.0.0.1:0").await.expect("udp");
    let port = app.local_addr().expect("addr").port();
    sim.client()
        .channels()
        .external_media("media", "slin")
        .external_host(format!("127.0.0.1:{port}"))
        .await
        .expect("externalMedia");
    let mut buffer = [0u8; 2048];
    let length = tokio::time::timeout(LIMIT, app.recv(&mut buffer))
        .await
        .expect("RTP in time")
        .expect("datagram");
    assert_eq!(buffer[1] & 0x7f, 10);
    assert_eq!(length, 12 + 320);
    let samples: Vec<i16> = buffer[12..length]
        .chunks_exact(2)
        .map(|p| i16::from_be_bytes([p[0], p[1]]))
        .collect();
    assert_440(&samples, 8000);
}

/// Reads one AudioSocket frame: (kind, payload); `None` at end of stream.
async fn read_frame(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut header = [0u8; 3];
    tokio::time::timeout(LIMIT, stream.read_exact(&mut header))
        .await
        .expect("a frame in time")
        .ok()?;
    let mut payload = vec![0u8; usize::from(u16::from_be_bytes([header[1], header[2]]))];
    stream.read_exact(&mut payload).await.ok()?;
    Some((header[0], payload))
}

async fn audiosocket(sim: &Simulator, format: &str) -> (String, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let media = sim
        .client()
        .channels()
        .external_media("media", format)
        .external_host(format!("127.0.0.1:{port}"))
        .encapsulation(ExternalMediaEncapsulation::Audiosocket)
        .transport(ExternalMediaTransport::Tcp)
        .data(UUID)
        .await
        .expect("externalMedia");
    let (stream, _) = tokio::time::timeout(LIMIT, listener.accept())
        .await
        .expect("connected in time")
        .expect("accept");
    (media.id.clone(), stream)
}

#[tokio::test]
async fn audiosocket_sends_uuid_then_tone_takes_audio_and_closes_on_hangup() {
    let sim = simulator().await;
    let (id, mut stream) = audiosocket(&sim, "slin").await;
    let (kind, uuid) = read_frame(&mut stream).await.expect("uuid frame");
    assert_eq!(kind, 0x01);
    assert_eq!(
        ari_media::wire::audiosocket::format_uuid(&uuid.try_into().expect("16 bytes")),
        UUID
    );
    let mut samples = Vec::new();
    for _ in 0..10 {
        let (kind, payload) = read_frame(&mut stream).await.expect("audio");
        assert_eq!((kind, payload.len()), (0x10, 320));
        samples.extend(ari_media::codec::to_linear(AudioFormat::Slin, &payload));
    }
    assert_440(&samples, 8000);

    // 5 frames back and one with half a sample: all taken, the odd one counted.
    for _ in 0..5 {
        let mut frame = vec![0x10, 0x01, 0x40];
        frame.extend([0u8; 320]);
        stream.write_all(&frame).await.expect("write");
    }
    stream
        .write_all(&[0x10, 0, 3, 1, 2, 3])
        .await
        .expect("write");
    let control = sim.control();
    eventually("6 frames", || {
        control.media(&id).is_some_and(|p| p.frames_received == 6)
    })
    .await;
    assert_eq!(control.media(&id).expect("probe").malformed, 1);

    // DTMF pressed on the media channel reaches the application as a DTMF frame.
    control.press(&id, "5").expect("press");
    loop {
        let (kind, payload) = read_frame(&mut stream).await.expect("dtmf");
        if kind == 0x03 {
            assert_eq!(payload, b"5");
            break;
        }
    }

    // Hung up: Asterisk closes the socket, without a hang-up frame.
    control.hangup(&id).expect("hang up");
    while let Some((kind, _)) = read_frame(&mut stream).await {
        assert_eq!(kind, 0x10, "only audio before the close");
    }
    eventually("closed", || control.media(&id).is_some_and(|p| p.closed)).await;
}

#[tokio::test]
async fn audiosocket_frames_asterisk_cannot_read_hang_up_and_data_must_be_a_uuid() {
    let sim = simulator().await;
    let (id, mut stream) = audiosocket(&sim, "ulaw").await;
    read_frame(&mut stream).await.expect("uuid");
    // ulaw travels labelled as slin (0x10), 160 bytes, as Asterisk sends it.
    let (kind, payload) = read_frame(&mut stream).await.expect("audio");
    assert_eq!((kind, payload.len()), (0x10, 160));
    // A UUID frame of 5 bytes: counted, and the channel hangs up as Asterisk's does.
    stream
        .write_all(&[0x01, 0, 5, 1, 2, 3, 4, 5])
        .await
        .expect("write");
    let control = sim.control();
    eventually("hung up", || !control.channel_ids().contains(&id)).await;
    assert_eq!(control.media(&id).expect("probe").malformed, 1);

    let refused = sim
        .client()
        .channels()
        .external_media("media", "slin")
        .external_host("127.0.0.1:9")
        .encapsulation(ExternalMediaEncapsulation::Audiosocket)
        .transport(ExternalMediaTransport::Tcp)
        .data("not-a-uuid")
        .await;
    let error = refused.expect_err("refused");
    assert!(error.to_string().contains("500"), "{error}");
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// The next text message, skipping audio.
async fn next_text(ws: &mut Ws) -> String {
    loop {
        match tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("in time")
        {
            Some(Ok(Message::Text(text))) => return text.to_string(),
            Some(Ok(Message::Binary(_))) => {}
            other => panic!("expected text, got {other:?}"),
        }
    }
}

async fn ws_server_channel(sim: &Simulator, transport_data: Option<&str>) -> (String, Ws) {
    let mut request = sim
        .client()
        .channels()
        .external_media("media", "ulaw")
        .encapsulation(ExternalMediaEncapsulation::None)
        .transport(ExternalMediaTransport::Websocket)
        .connection_type("server");
    if let Some(data) = transport_data {
        request = request.transport_data(data);
    }
    let media = request.await.expect("externalMedia");
    let vars = media.channelvars.clone().unwrap_or_default();
    assert_eq!(vars["MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE"], "160");
    let connection = vars["MEDIA_WEBSOCKET_CONNECTION_ID"]
        .as_str()
        .expect("connection id")
        .to_owned();
    let url = format!("ws://{}/media/{connection}", sim.addr());
    let mut request = url.as_str().into_client_request().expect("request");
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "media".parse().expect("header"));
    let (ws, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    assert_eq!(response.headers()["sec-websocket-protocol"], "media");
    // A second application for the same connection is refused (409), an unknown id 404.
    for (path, status) in [(connection.as_str(), 409), ("nope", 404)] {
        let url = format!("ws://{}/media/{path}", sim.addr());
        match tokio_tungstenite::connect_async(url.as_str()).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status().as_u16(), status)
            }
            other => panic!("expected {status}, got {other:?}"),
        }
    }
    (media.id.clone(), ws)
}

#[tokio::test]
async fn websocket_server_media_start_audio_commands_and_flow_control() {
    let sim = simulator().await;
    let (id, mut ws) = ws_server_channel(&sim, None).await;
    let start = next_text(&mut ws).await;
    assert!(start.starts_with("MEDIA_START connection_id:"), "{start}");
    assert!(
        start.contains(&format!(
            "channel_id:{id} format:ulaw optimal_frame_size:160 ptime:20"
        )),
        "{start}"
    );
    let mut samples = Vec::new();
    let begun = Instant::now();
    while samples.len() < 1600 {
        match tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("in time")
        {
            Some(Ok(Message::Binary(frame))) => {
                assert_eq!(frame.len(), 160);
                samples.extend(ari_media::codec::to_linear(AudioFormat::Ulaw, &frame));
            }
            other => panic!("expected audio, got {other:?}"),
        }
    }
    assert!(begun.elapsed() >= Duration::from_millis(150));
    assert_440(&samples, 8000);

    // 5 frames, then a mark: processed once they have played (~100 ms).
    for _ in 0..5 {
        ws.send(Message::Binary(vec![0xffu8; 160].into()))
            .await
            .expect("send");
    }
    ws.send(Message::Text("MARK_MEDIA m1".into()))
        .await
        .expect("send");
    let marked = Instant::now();
    assert_eq!(next_text(&mut ws).await, "MEDIA_MARK_PROCESSED m1");
    assert!(
        marked.elapsed() >= Duration::from_millis(60),
        "{:?}",
        marked.elapsed()
    );

    ws.send(Message::Text("GET_STATUS".into()))
        .await
        .expect("send");
    assert_eq!(
        next_text(&mut ws).await,
        format!(
            "STATUS channel_id:{id} queue_length:0 xon_level:800 xoff_level:900 queue_full:false bulk_media:false media_paused:false"
        )
    );
    // An unknown command is logged and counted; Asterisk answers nothing.
    ws.send(Message::Text("BOGUS".into())).await.expect("send");
    ws.send(Message::Text("SET_MEDIA_DIRECTION in".into()))
        .await
        .expect("send");
    assert_eq!(
        next_text(&mut ws).await,
        format!(
            "ERROR channel_id:{id} error_text:SET_MEDIA_DIRECTION only supports JSON format.\n"
        )
    );

    // 950 frames at once: XOFF at 900; flushed, XON on the next tick.
    ws.send(Message::Binary(vec![0xffu8; 160 * 950].into()))
        .await
        .expect("send");
    assert_eq!(next_text(&mut ws).await, "MEDIA_XOFF");
    ws.send(Message::Text("FLUSH_MEDIA".into()))
        .await
        .expect("send");
    assert_eq!(next_text(&mut ws).await, "MEDIA_XON");
    ws.send(Message::Text("REPORT_QUEUE_DRAINED".into()))
        .await
        .expect("send");
    assert_eq!(next_text(&mut ws).await, "QUEUE_DRAINED");

    let control = sim.control();
    control.press(&id, "7").expect("press");
    assert_eq!(
        next_text(&mut ws).await,
        format!("DTMF_END digit:7 channel_id:{id}")
    );
    let probe = control.media(&id).expect("probe");
    assert_eq!(probe.transport, ProbeTransport::WebSocket);
    assert_eq!(probe.frames_received, 6);
    assert_eq!(probe.bytes_received, 160 * 955);
    assert_eq!(probe.malformed, 2);

    // HANGUP: the channel hangs up and the socket closes normally.
    ws.send(Message::Text("HANGUP".into())).await.expect("send");
    loop {
        match tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("in time")
        {
            Some(Ok(Message::Close(frame))) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1000));
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("expected a close, got {other:?}"),
        }
    }
    eventually("hung up", || !control.channel_ids().contains(&id)).await;
}

#[tokio::test]
async fn websocket_json_control_messages() {
    let sim = simulator().await;
    let (id, mut ws) = ws_server_channel(&sim, Some("f(json)")).await;
    let start: serde_json::Value = serde_json::from_str(&next_text(&mut ws).await).expect("json");
    assert_eq!(start["event"], "MEDIA_START");
    assert_eq!(start["channel_id"], id.as_str());
    assert_eq!(start["optimal_frame_size"], 160);
    ws.send(Message::Text("{bad".into())).await.expect("send");
    let error: serde_json::Value = serde_json::from_str(&next_text(&mut ws).await).expect("json");
    assert_eq!(error["event"], "ERROR");
    assert_eq!(error["error_text"], "Unable to parse JSON command");
    ws.send(Message::Text(r#"{"command":"GET_STATUS"}"#.into()))
        .await
        .expect("send");
    let status: serde_json::Value = serde_json::from_str(&next_text(&mut ws).await).expect("json");
    assert_eq!(status["event"], "STATUS");
    assert_eq!(status["xoff_level"], 900);
    assert_eq!(sim.control().media(&id).expect("probe").malformed, 1);
}

#[tokio::test]
async fn websocket_client_connects_out_and_closes_on_delete() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let url = format!("ws://{}/media", listener.local_addr().expect("addr"));
    let sim = Simulator::builder()
        .websocket_client("app1", &url)
        .start()
        .await
        .expect("simulator");
    let client = sim.client();
    let unknown = client
        .channels()
        .external_media("media", "slin16")
        .external_host("app2")
        .encapsulation(ExternalMediaEncapsulation::None)
        .transport(ExternalMediaTransport::Websocket)
        .await
        .expect_err("unknown connection id");
    assert!(
        unknown
            .to_string()
            .contains("external_host must be a valid websocket_client connection id."),
        "{unknown}"
    );
    let media = client
        .channels()
        .external_media("media", "slin16")
        .external_host("app1")
        .encapsulation(ExternalMediaEncapsulation::None)
        .transport(ExternalMediaTransport::Websocket)
        .await
        .expect("externalMedia");
    let (stream, _) = tokio::time::timeout(LIMIT, listener.accept())
        .await
        .expect("connected in time")
        .expect("accept");
    let mut ws = tokio_tungstenite::accept_async(stream)
        .await
        .expect("upgrade");
    let start = match ws.next().await {
        Some(Ok(Message::Text(text))) => text.to_string(),
        other => panic!("expected MEDIA_START, got {other:?}"),
    };
    assert!(
        start.starts_with("MEDIA_START connection_id:app1 "),
        "{start}"
    );
    assert!(
        start.contains("format:slin16 optimal_frame_size:640"),
        "{start}"
    );
    let mut samples = Vec::new();
    while samples.len() < 3200 {
        match tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("in time")
        {
            Some(Ok(Message::Binary(frame))) => {
                assert_eq!(frame.len(), 640);
                samples.extend(ari_media::codec::to_linear(AudioFormat::Slin16, &frame));
            }
            other => panic!("expected audio, got {other:?}"),
        }
    }
    assert_440(&samples, 16000);
    ws.send(Message::Binary(vec![0u8; 640].into()))
        .await
        .expect("send");
    let control = sim.control();
    eventually("one frame", || {
        control
            .media(&media.id)
            .is_some_and(|p| p.frames_received == 1)
    })
    .await;
    // A key pressed on a channel bridged with the media channel reaches the application.
    let other = client
        .channels()
        .external_media("media", "slin16")
        .external_host("127.0.0.1:9")
        .await
        .expect("a second media channel");
    let bridge = client.bridges().create().await.expect("bridge");
    client
        .bridge(&bridge.id)
        .add_channel([&media.id, &other.id])
        .await
        .expect("bridged");
    control.press(&other.id, "9").expect("press");
    assert_eq!(
        next_text_server(&mut ws).await,
        format!("DTMF_END digit:9 channel_id:{}", media.id)
    );
    client.channels().hangup(&media.id).await.expect("hang up");
    loop {
        match tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("in time")
        {
            Some(Ok(Message::Close(frame))) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1000));
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("expected a close, got {other:?}"),
        }
    }
}

/// The next text message on the application's server side, skipping audio.
async fn next_text_server(ws: &mut tokio_tungstenite::WebSocketStream<TcpStream>) -> String {
    loop {
        match tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("in time")
        {
            Some(Ok(Message::Text(text))) => return text.to_string(),
            Some(Ok(Message::Binary(_))) => {}
            other => panic!("expected text, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn stopping_the_simulator_closes_media() {
    let sim = simulator().await;
    let (id, mut stream) = audiosocket(&sim, "slin").await;
    let control = sim.control().clone();
    sim.stop();
    while read_frame(&mut stream).await.is_some() {}
    eventually("closed", || control.media(&id).is_some_and(|p| p.closed)).await;
}
