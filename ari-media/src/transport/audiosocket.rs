//! AudioSocket over TCP: Asterisk connects to the application and says which call it
//! carries with a UUID frame.
//!
//! Asterisk 22 never sends hang-up or error frames: it closes the connection when the
//! channel goes away. It takes only audio and hang-up frames from the application.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::frame::{AudioFrame, EndReason};
use crate::link::{Inbound, Link, Outbound, TaskSet, TransportStats};
use crate::wire::audiosocket::{self, Frame};

const TRANSPORT: &str = "audiosocket";
const READ_CHUNK: usize = 4096;

/// A connection that sent the expected UUID, with whatever it sent after it.
type Connection = (TcpStream, BytesMut);

/// A listening socket waiting for Asterisk's connection.
pub(crate) struct AudioSocketEndpoint {
    local: SocketAddr,
    format: AudioFormat,
    audio_kind: u8,
    accepted: oneshot::Receiver<Connection>,
    deadline: Instant,
    accept_timeout: Duration,
    /// The accept loop, aborted if the endpoint is dropped.
    tasks: TaskSet,
}

/// Binds `addr` and starts accepting at once: Asterisk may connect before the ARI
/// request that makes it connect has returned. `accept_timeout` counts from now.
pub(crate) async fn listen(
    addr: SocketAddr,
    uuid: [u8; 16],
    format: AudioFormat,
    accept_timeout: Duration,
) -> Result<AudioSocketEndpoint, MediaError> {
    let Some(audio_kind) = audiosocket::audio_kind(format) else {
        return Err(MediaError::Invalid(format!(
            "AudioSocket cannot carry {format}: Asterisk reads all audio it receives over \
             AudioSocket as signed linear; use slin or slin16"
        )));
    };
    let deadline = Instant::now() + accept_timeout;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| MediaError::Io {
            transport: TRANSPORT,
            context: format!("binding {addr}"),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| MediaError::Io {
        transport: TRANSPORT,
        context: format!("reading the address bound for {addr}"),
        source,
    })?;
    let (accepted_tx, accepted) = oneshot::channel();
    let mut tasks = TaskSet::default();
    tasks.push(tokio::spawn(accept_loop(listener, uuid, accepted_tx)));
    Ok(AudioSocketEndpoint {
        local,
        format,
        audio_kind,
        accepted,
        deadline,
        accept_timeout,
        tasks,
    })
}

/// Accepts connections until one sends `uuid`; each handshake runs on its own so a silent
/// connection cannot hold up the right one. Dropping the task drops the `JoinSet`, which
/// aborts the handshakes still running.
async fn accept_loop(listener: TcpListener, uuid: [u8; 16], accepted: oneshot::Sender<Connection>) {
    let mut handshakes = JoinSet::new();
    loop {
        tokio::select! {
            incoming = listener.accept() => match incoming {
                Ok((stream, from)) => {
                    handshakes.spawn(handshake(stream, from, uuid));
                }
                Err(error) => {
                    // Usually transient (out of file descriptors, an aborted connection).
                    tracing::warn!(%error, "audiosocket: accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(finished) = handshakes.join_next() => {
                if let Ok(Some(connection)) = finished {
                    let _ = accepted.send(connection);
                    return;
                }
            }
        }
    }
}

/// Reads the first frame; keeps the connection if it is the expected UUID, closes it
/// otherwise.
async fn handshake(mut stream: TcpStream, from: SocketAddr, uuid: [u8; 16]) -> Option<Connection> {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    loop {
        match audiosocket::decode(&mut buf) {
            Ok(Some(Frame::Uuid(sent))) if sent == uuid => return Some((stream, buf)),
            Ok(Some(Frame::Uuid(sent))) => {
                tracing::warn!(%from, uuid = %audiosocket::format_uuid(&sent),
                    "audiosocket: closing a connection for another UUID");
                return None;
            }
            Ok(Some(other)) => {
                tracing::warn!(%from, frame = ?other,
                    "audiosocket: closing a connection that did not start with its UUID");
                return None;
            }
            Err(detail) => {
                tracing::warn!(%from, %detail, "audiosocket: closing a connection with a bad first frame");
                return None;
            }
            Ok(None) => match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            },
        }
    }
}

impl AudioSocketEndpoint {
    /// The address bound (with the port the system chose when asked for port 0).
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Waits for Asterisk's connection with the right UUID and starts the link.
    pub(crate) async fn established(self) -> Result<Link, MediaError> {
        let AudioSocketEndpoint {
            format,
            audio_kind,
            accepted,
            deadline,
            accept_timeout,
            tasks: _accept_loop,
            ..
        } = self;
        let timeout = MediaError::Timeout {
            transport: TRANSPORT,
            what: "Asterisk's AudioSocket connection",
            after: accept_timeout,
        };
        let (stream, leftover) = match tokio::time::timeout_at(deadline.into(), accepted).await {
            Ok(Ok(connection)) => connection,
            // The accept loop only ends without a connection if it was aborted.
            Ok(Err(_)) | Err(_) => return Err(timeout),
        };
        if let Err(error) = stream.set_nodelay(true) {
            // Only latency suffers.
            tracing::warn!(%error, "audiosocket: could not set TCP_NODELAY");
        }
        Ok(start(stream, leftover, format, audio_kind))
    }
}

fn start(stream: TcpStream, leftover: BytesMut, format: AudioFormat, audio_kind: u8) -> Link {
    let (read_half, write_half) = stream.into_split();
    let stats = Arc::new(TransportStats::default());
    let (inbound_tx, inbound) = mpsc::channel(64);
    let (outbound, outbound_rx) = mpsc::channel(8);
    let (closing_tx, closing_rx) = oneshot::channel();

    let reader = Reader {
        stream: read_half,
        buf: leftover,
        format,
        audio_kind,
        inbound: inbound_tx,
        stats: stats.clone(),
    };
    let writer = Writer {
        stream: write_half,
        audio_kind,
        stats: stats.clone(),
    };
    Link::without_flow_control(
        inbound,
        outbound,
        stats,
        reader.run(closing_rx),
        writer.run(outbound_rx, closing_tx),
    )
}

struct Reader {
    stream: OwnedReadHalf,
    buf: BytesMut,
    format: AudioFormat,
    audio_kind: u8,
    inbound: mpsc::Sender<Inbound>,
    stats: Arc<TransportStats>,
}

impl Reader {
    async fn run(mut self, mut closing: oneshot::Receiver<()>) {
        // The writer drops `closing` without sending when it stops for another reason.
        let mut writer_gone = false;
        let end = loop {
            match self.drain_frames().await {
                Ok(Some(end)) => break end,
                Ok(None) => {}
                Err(Gone) => return,
            }
            tokio::select! {
                read = self.stream.read_buf(&mut self.buf) => match read {
                    Ok(0) => break EndReason::TransportClosed("Asterisk closed the connection".into()),
                    Ok(_) => {}
                    Err(error) => break EndReason::TransportClosed(format!("reading failed: {error}")),
                },
                closed = &mut closing, if !writer_gone => match closed {
                    Ok(()) => break EndReason::Closed,
                    Err(_) => writer_gone = true,
                },
            }
        };
        let _ = self.inbound.send(Inbound::Ended(end)).await;
    }

    /// Reports every complete frame in the buffer; `Some` when one ended the connection.
    async fn drain_frames(&mut self) -> Result<Option<EndReason>, Gone> {
        loop {
            let item = match audiosocket::decode(&mut self.buf) {
                Ok(None) => return Ok(None),
                Ok(Some(frame)) => match self.inbound_item(frame) {
                    Ok(item) => item,
                    Err(end) => return Ok(Some(end)),
                },
                Err(detail) => self.malformed(detail),
            };
            self.inbound.send(item).await.map_err(|_| Gone)?;
        }
    }

    fn inbound_item(&self, frame: Frame) -> Result<Inbound, EndReason> {
        Ok(match frame {
            Frame::Audio { kind, payload } if kind == self.audio_kind => {
                if payload.len() % 2 != 0 {
                    return Ok(self.malformed(format!(
                        "audio of {} bytes, not whole 16-bit samples",
                        payload.len()
                    )));
                }
                self.stats.frames_in.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .bytes_in
                    .fetch_add(payload.len() as u64, Ordering::Relaxed);
                Inbound::Audio(AudioFrame {
                    format: self.format,
                    payload,
                    sequence: None,
                    timestamp: None,
                    received_at: Instant::now(),
                })
            }
            Frame::Audio { kind, .. } => self.malformed(format!(
                "audio of kind {kind:#04x}, expected {:#04x} for {}",
                self.audio_kind, self.format
            )),
            Frame::Dtmf(digit) => Inbound::Dtmf(digit),
            Frame::Hangup => {
                return Err(EndReason::TransportClosed(
                    "Asterisk sent a hang-up frame".into(),
                ));
            }
            // Nothing in Asterisk 22 sends one or closes after one; if the far end does
            // close, the end of the connection ends the link.
            Frame::Error(code) => Inbound::Problem(MediaError::Remote {
                transport: TRANSPORT,
                message: if code.is_empty() {
                    "error frame without a code".into()
                } else {
                    format!("error frame with code {}", hex(&code))
                },
            }),
            Frame::Uuid(uuid) => self.malformed(format!(
                "a second UUID frame ({})",
                audiosocket::format_uuid(&uuid)
            )),
            Frame::Unknown { kind, payload } => self.malformed(format!(
                "unknown kind {kind:#04x} with {} bytes",
                payload.len()
            )),
        })
    }

    fn malformed(&self, detail: String) -> Inbound {
        self.stats.malformed.fetch_add(1, Ordering::Relaxed);
        Inbound::Problem(MediaError::Malformed {
            transport: TRANSPORT,
            what: "frame",
            detail,
        })
    }
}

/// The session dropped its end of the link.
struct Gone;

fn hex(bytes: &[u8]) -> String {
    const SHOWN: usize = 16;
    let mut text: Vec<String> = bytes
        .iter()
        .take(SHOWN)
        .map(|b| format!("{b:02x}"))
        .collect();
    if bytes.len() > SHOWN {
        text.push("...".into());
    }
    text.join(" ")
}

struct Writer {
    stream: OwnedWriteHalf,
    audio_kind: u8,
    stats: Arc<TransportStats>,
}

impl Writer {
    async fn run(mut self, mut outbound: mpsc::Receiver<Outbound>, closing: oneshot::Sender<()>) {
        let mut wire = BytesMut::new();
        while let Some(item) = outbound.recv().await {
            wire.clear();
            match item {
                Outbound::Audio(audio) => {
                    let length = audio.len() as u64;
                    self.encode_audio(audio, &mut wire);
                    if let Err(error) = self.stream.write_all(&wire).await {
                        // The reader sees the connection end and reports it.
                        tracing::warn!(%error, "audiosocket: sending audio failed");
                        return;
                    }
                    self.stats.frames_out.fetch_add(1, Ordering::Relaxed);
                    self.stats.bytes_out.fetch_add(length, Ordering::Relaxed);
                }
                Outbound::Command(_) => {}
                Outbound::Close => {
                    audiosocket::encode(&Frame::Hangup, &mut wire);
                    if let Err(error) = self.stream.write_all(&wire).await {
                        tracing::debug!(%error, "audiosocket: sending the hang-up frame failed");
                    }
                    let _ = self.stream.shutdown().await;
                    let _ = closing.send(());
                    return;
                }
            }
        }
    }

    fn encode_audio(&self, audio: Bytes, wire: &mut BytesMut) {
        let frame = Frame::Audio {
            kind: self.audio_kind,
            payload: audio,
        };
        audiosocket::encode(&frame, wire);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: [u8; 16] = *b"0123456789abcdef";
    const FORMAT: AudioFormat = AudioFormat::Slin;

    async fn next(link: &mut Link) -> Inbound {
        tokio::time::timeout(Duration::from_secs(2), link.inbound.recv())
            .await
            .expect("the link answers in time")
            .expect("the link is open")
    }

    fn wire(frames: &[Frame]) -> Vec<u8> {
        let mut out = BytesMut::new();
        for frame in frames {
            audiosocket::encode(frame, &mut out);
        }
        out.to_vec()
    }

    async fn read_frame(stream: &mut TcpStream, buf: &mut BytesMut) -> Option<Frame> {
        loop {
            if let Some(frame) = audiosocket::decode(buf).unwrap() {
                return Some(frame);
            }
            let read = tokio::time::timeout(Duration::from_secs(2), stream.read_buf(buf))
                .await
                .unwrap()
                .unwrap();
            if read == 0 {
                return None;
            }
        }
    }

    #[tokio::test]
    async fn loopback_takes_the_right_connection_and_reports_what_asterisk_sends() {
        let endpoint = listen(
            "127.0.0.1:0".parse().unwrap(),
            UUID,
            FORMAT,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        let addr = endpoint.local_addr();

        // Another call's connection is closed; Asterisk for this call connects before
        // `established` is even called.
        let mut other = TcpStream::connect(addr).await.unwrap();
        other
            .write_all(&wire(&[Frame::Uuid([9; 16])]))
            .await
            .unwrap();
        let mut asterisk = TcpStream::connect(addr).await.unwrap();
        assert_eq!(read_frame(&mut other, &mut BytesMut::new()).await, None);

        // The UUID and the first audio in one write, the rest split mid-frame.
        let audio = Frame::Audio {
            kind: audiosocket::KIND_AUDIO_SLIN,
            payload: Bytes::from_static(&[1, 0, 2, 0]),
        };
        asterisk
            .write_all(&wire(&[Frame::Uuid(UUID), audio.clone()]))
            .await
            .unwrap();
        let mut link = endpoint.established().await.unwrap();
        assert!(
            matches!(next(&mut link).await, Inbound::Audio(frame) if frame.payload[..] == [1, 0, 2, 0])
        );

        let mut rest = wire(&[Frame::Dtmf('7')]);
        rest.extend_from_slice(&[audiosocket::KIND_UUID, 0, 2, 1, 2]); // wrong length
        rest.extend_from_slice(&wire(&[audio, Frame::Hangup]));
        let (first, second) = rest.split_at(5);
        asterisk.write_all(first).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        asterisk.write_all(second).await.unwrap();

        assert!(matches!(next(&mut link).await, Inbound::Dtmf('7')));
        match next(&mut link).await {
            Inbound::Problem(problem) => {
                assert!(problem.to_string().contains("length 2"), "{problem}")
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(next(&mut link).await, Inbound::Audio(_)));
        assert!(matches!(
            next(&mut link).await,
            Inbound::Ended(EndReason::TransportClosed(_))
        ));
        assert_eq!(link.stats.frames_in.load(Ordering::Relaxed), 2);
        assert_eq!(link.stats.malformed.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn sends_audio_and_a_hang_up_on_close() {
        let endpoint = listen(
            "127.0.0.1:0".parse().unwrap(),
            UUID,
            AudioFormat::Slin16,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        let mut asterisk = TcpStream::connect(endpoint.local_addr()).await.unwrap();
        asterisk
            .write_all(&wire(&[Frame::Uuid(UUID)]))
            .await
            .unwrap();
        let mut link = endpoint.established().await.unwrap();

        link.outbound
            .send(Outbound::Audio(Bytes::from_static(&[5, 0, 6, 0])))
            .await
            .unwrap();
        link.outbound.send(Outbound::Close).await.unwrap();

        let mut buf = BytesMut::new();
        assert_eq!(
            read_frame(&mut asterisk, &mut buf).await,
            Some(Frame::Audio {
                kind: audiosocket::KIND_AUDIO_SLIN16,
                payload: Bytes::from_static(&[5, 0, 6, 0]),
            })
        );
        assert_eq!(
            read_frame(&mut asterisk, &mut buf).await,
            Some(Frame::Hangup)
        );
        assert_eq!(read_frame(&mut asterisk, &mut buf).await, None);
        assert!(matches!(
            next(&mut link).await,
            Inbound::Ended(EndReason::Closed)
        ));
        assert_eq!(link.stats.frames_out.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_connection_that_never_comes_times_out() {
        let endpoint = listen(
            "127.0.0.1:0".parse().unwrap(),
            UUID,
            FORMAT,
            Duration::from_millis(50),
        )
        .await
        .unwrap();
        let error = endpoint.established().await.err().unwrap();
        assert!(matches!(error, MediaError::Timeout { .. }), "{error}");
    }

    #[tokio::test]
    async fn g711_is_refused() {
        let error = listen(
            "127.0.0.1:0".parse().unwrap(),
            UUID,
            AudioFormat::Ulaw,
            Duration::from_secs(1),
        )
        .await
        .err()
        .unwrap();
        assert!(error.to_string().contains("ulaw"), "{error}");
    }
}
