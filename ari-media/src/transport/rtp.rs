//! RTP over UDP: the application and Asterisk send each other RTP.
//!
//! RTP has no end signal: the link ends when the session sends [`Outbound::Close`] (the
//! link then reports `Ended(Closed)`) or drops it.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::error::MediaError;
use crate::format::AudioFormat;
use crate::frame::{AudioFrame, EndReason};
use crate::link::{Inbound, Link, Outbound, TransportStats};
use crate::transport::jitter::{DEFAULT_DEPTH, JitterBuffer};
use crate::wire::rtp::{self, RtpHeader};

const TRANSPORT: &str = "rtp";
/// Largest datagram read; anything longer is cut (and then usually fails to parse).
const MAX_DATAGRAM: usize = 2048;
/// Payload types skipped quietly: comfort noise (13, 19) and Asterisk's default for
/// telephone events (101), which `UnicastRTP` does not send itself but RTP forwarded from
/// another leg might carry.
const IGNORED_PAYLOAD_TYPES: [u8; 3] = [13, 19, 101];
/// A pause in what the session sends longer than this many frames starts a new talk spurt
/// (marker bit, timestamp advanced by the real time that passed).
const TALK_SPURT_GAP_FRAMES: u32 = 3;

/// A bound UDP socket, not yet talking to Asterisk.
pub(crate) struct RtpEndpoint {
    socket: UdpSocket,
    local: SocketAddr,
}

/// Binds the socket Asterisk will send to (`external_host` of the ARI request).
pub(crate) async fn bind(addr: SocketAddr) -> Result<RtpEndpoint, MediaError> {
    let io_error = |context: String| {
        move |source| MediaError::Io {
            transport: TRANSPORT,
            context,
            source,
        }
    };
    let socket = UdpSocket::bind(addr)
        .await
        .map_err(io_error(format!("binding {addr}")))?;
    let local = socket
        .local_addr()
        .map_err(io_error(format!("reading the address bound for {addr}")))?;
    Ok(RtpEndpoint { socket, local })
}

impl RtpEndpoint {
    /// The address bound (with the port the system chose when asked for port 0).
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Starts sending to and receiving from `asterisk` (the address the `UnicastRTP`
    /// channel reports) in `format`, one packet per `frame` of audio.
    pub(crate) fn start(self, asterisk: SocketAddr, format: AudioFormat, frame: Duration) -> Link {
        let socket = Arc::new(self.socket);
        let stats = Arc::new(TransportStats::default());
        let peer = Arc::new(Mutex::new(Peer {
            address: asterisk,
            latched: false,
        }));
        let (inbound_tx, inbound) = mpsc::channel(64);
        let (outbound, outbound_rx) = mpsc::channel(8);
        let (closing_tx, closing_rx) = oneshot::channel();

        let receiver = Receiver {
            socket: socket.clone(),
            format,
            peer: peer.clone(),
            inbound: inbound_tx,
            stats: stats.clone(),
            jitter: JitterBuffer::new(DEFAULT_DEPTH, frame * DEFAULT_DEPTH as u32, stats.clone()),
        };
        let sender = Sender {
            socket,
            format,
            frame,
            peer,
            stats: stats.clone(),
            header: RtpHeader {
                payload_type: rtp::payload_type(format),
                marker: true,
                sequence: fastrand::u16(..),
                timestamp: fastrand::u32(..),
                ssrc: fastrand::u32(..),
            },
            last_sent: None,
        };

        Link::without_flow_control(
            inbound,
            outbound,
            stats,
            receiver.run(closing_rx),
            sender.run(outbound_rx, closing_tx),
        )
    }
}

/// Where Asterisk's RTP comes from and goes to.
struct Peer {
    address: SocketAddr,
    latched: bool,
}

struct Receiver {
    socket: Arc<UdpSocket>,
    format: AudioFormat,
    peer: Arc<Mutex<Peer>>,
    inbound: mpsc::Sender<Inbound>,
    stats: Arc<TransportStats>,
    jitter: JitterBuffer<(u32, Bytes, Instant)>,
}

impl Receiver {
    async fn run(mut self, mut closing: oneshot::Receiver<()>) {
        let mut datagram = vec![0u8; MAX_DATAGRAM];
        // The sender drops `closing` without sending when the session drops `outbound`.
        let mut sender_gone = false;
        loop {
            let deadline = self.jitter.deadline();
            let received = tokio::select! {
                received = self.socket.recv_from(&mut datagram) => received,
                _ = sleep_until(deadline) => {
                    if self.release(Instant::now()).await.is_err() {
                        return;
                    }
                    continue;
                }
                closed = &mut closing, if !sender_gone => {
                    if closed.is_err() {
                        sender_gone = true;
                        continue;
                    }
                    let _ = self.inbound.send(Inbound::Ended(EndReason::Closed)).await;
                    return;
                }
            };
            let outcome = match received {
                Ok((length, source)) => self.handle(&datagram[..length], source).await,
                Err(error) => {
                    // UDP errors are per datagram (an ICMP report, a full buffer): go on,
                    // but do not spin if the socket keeps failing.
                    tracing::warn!(%error, "rtp: receiving failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    Ok(())
                }
            };
            if outcome.is_err() {
                return; // The session dropped the link.
            }
        }
    }

    async fn handle(&mut self, datagram: &[u8], source: SocketAddr) -> Result<(), Gone> {
        let received_at = Instant::now();
        {
            let peer = self
                .peer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if peer.latched && source != peer.address {
                tracing::debug!(%source, "rtp: ignoring a datagram from a stranger");
                return Ok(());
            }
        }
        if rtp::looks_like_rtcp(datagram) {
            return Ok(());
        }
        let packet = match rtp::parse(datagram) {
            Ok(packet) => packet,
            Err(detail) => {
                return self
                    .malformed(format!("{detail} ({})", hex_start(datagram)))
                    .await;
            }
        };
        let payload_type = packet.header.payload_type;
        if IGNORED_PAYLOAD_TYPES.contains(&payload_type) {
            return Ok(());
        }
        if !rtp::accepts_payload_type(self.format, payload_type) {
            return self
                .malformed(format!(
                    "payload type {payload_type}, expected {} for {}",
                    rtp::payload_type(self.format),
                    self.format
                ))
                .await;
        }
        let linear = self.format.bytes_per_sample() == 2;
        if linear && packet.payload.len() % 2 != 0 {
            return self
                .malformed(format!(
                    "{}-byte payload, not whole 16-bit samples",
                    packet.payload.len()
                ))
                .await;
        }
        {
            // Asterisk may send from another address than it reports (it reports the
            // address it bound, which can be a wildcard or another interface, and NAT
            // can change the port): its first valid packet says where it really is,
            // and that is where it expects our packets too.
            let mut peer = self
                .peer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if !peer.latched {
                peer.address = source;
                peer.latched = true;
            }
        }
        let payload = if linear {
            Bytes::from(rtp::swap_sample_bytes(packet.payload))
        } else {
            Bytes::copy_from_slice(packet.payload)
        };
        self.stats
            .bytes_in
            .fetch_add(payload.len() as u64, Ordering::Relaxed);
        self.jitter.push(
            packet.header.sequence,
            (packet.header.timestamp, payload, received_at),
            received_at,
        );
        self.release(received_at).await
    }

    /// Hands over every packet the jitter buffer releases.
    async fn release(&mut self, now: Instant) -> Result<(), Gone> {
        while let Some((sequence, (timestamp, payload, received_at))) = self.jitter.pop(now) {
            self.stats.frames_in.fetch_add(1, Ordering::Relaxed);
            let frame = AudioFrame {
                format: self.format,
                payload,
                sequence: Some(sequence),
                timestamp: Some(timestamp),
                received_at,
            };
            self.inbound
                .send(Inbound::Audio(frame))
                .await
                .map_err(|_| Gone)?;
        }
        Ok(())
    }

    async fn malformed(&self, detail: String) -> Result<(), Gone> {
        self.stats.malformed.fetch_add(1, Ordering::Relaxed);
        let problem = MediaError::Malformed {
            transport: TRANSPORT,
            what: "packet",
            detail,
        };
        self.inbound
            .send(Inbound::Problem(problem))
            .await
            .map_err(|_| Gone)
    }
}

/// The session dropped its end of the link.
struct Gone;

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

/// The first bytes of a datagram in hex, for error messages.
fn hex_start(datagram: &[u8]) -> String {
    const SHOWN: usize = 16;
    let mut text: String = datagram
        .iter()
        .take(SHOWN)
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    if datagram.len() > SHOWN {
        text.push_str(" ...");
    }
    text
}

struct Sender {
    socket: Arc<UdpSocket>,
    format: AudioFormat,
    frame: Duration,
    peer: Arc<Mutex<Peer>>,
    stats: Arc<TransportStats>,
    /// The header of the next packet.
    header: RtpHeader,
    last_sent: Option<Instant>,
}

impl Sender {
    async fn run(mut self, mut outbound: mpsc::Receiver<Outbound>, closing: oneshot::Sender<()>) {
        let mut datagram = Vec::with_capacity(rtp::FIXED_HEADER_LEN + 640);
        while let Some(item) = outbound.recv().await {
            match item {
                Outbound::Audio(audio) => self.send(&audio, &mut datagram).await,
                Outbound::Command(_) => {}
                Outbound::Close => break,
            }
        }
        // On `Close` the receiver ends the inbound stream; if the session dropped the
        // link, nobody is listening anyway.
        let _ = closing.send(());
    }

    async fn send(&mut self, audio: &[u8], datagram: &mut Vec<u8>) {
        let now = Instant::now();
        let frame_samples = self.format.samples_in(self.frame) as u32;
        if let Some(last_sent) = self.last_sent {
            let paused = now.duration_since(last_sent);
            if paused > self.frame * TALK_SPURT_GAP_FRAMES {
                // Keep the timestamp on the real clock across the pause so Asterisk
                // plays what follows at the right time, and flag the new spurt.
                self.header.marker = true;
                let paused_samples = self.format.samples_in(paused) as u32;
                self.header.timestamp = self
                    .header
                    .timestamp
                    .wrapping_add(paused_samples.saturating_sub(frame_samples));
            }
        }
        datagram.clear();
        if self.format.bytes_per_sample() == 2 {
            rtp::write(&self.header, &rtp::swap_sample_bytes(audio), datagram);
        } else {
            rtp::write(&self.header, audio, datagram);
        }
        let destination = self
            .peer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .address;
        match self.socket.send_to(datagram, destination).await {
            Ok(_) => {
                self.stats.frames_out.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .bytes_out
                    .fetch_add(audio.len() as u64, Ordering::Relaxed);
            }
            Err(error) => tracing::warn!(%error, %destination, "rtp: sending failed"),
        }
        self.last_sent = Some(now);
        self.header.marker = false;
        self.header.sequence = self.header.sequence.wrapping_add(1);
        self.header.timestamp = self.header.timestamp.wrapping_add(frame_samples);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORMAT: AudioFormat = AudioFormat::Slin;
    const FRAME: Duration = Duration::from_millis(20);

    /// A big-endian slin packet as Asterisk sends it; its one sample is `sequence`.
    fn asterisk_packet(sequence: u16) -> Vec<u8> {
        let header = RtpHeader {
            payload_type: 11,
            marker: false,
            sequence,
            timestamp: u32::from(sequence) * 160,
            ssrc: 7,
        };
        let mut datagram = Vec::new();
        rtp::write(&header, &sequence.to_be_bytes(), &mut datagram);
        datagram
    }

    async fn next(link: &mut Link) -> Inbound {
        tokio::time::timeout(Duration::from_secs(2), link.inbound.recv())
            .await
            .expect("the link answers in time")
            .expect("the link is open")
    }

    #[tokio::test]
    async fn loopback_orders_frames_reports_garbage_and_sends_rtp() {
        let endpoint = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let app = endpoint.local_addr();
        let asterisk = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut link = endpoint.start(asterisk.local_addr().unwrap(), FORMAT, FRAME);

        for datagram in [
            asterisk_packet(100),
            asterisk_packet(102),
            asterisk_packet(101),
            asterisk_packet(101),
            vec![0x80, 200, 0, 1, 0, 0, 0, 0], // RTCP: ignored
            vec![1, 2, 3],
            asterisk_packet(103),
        ] {
            asterisk.send_to(&datagram, app).await.unwrap();
        }

        let mut sequences = Vec::new();
        let mut problems = Vec::new();
        while sequences.len() < 4 {
            match next(&mut link).await {
                Inbound::Audio(frame) => {
                    let sequence = frame.sequence.unwrap();
                    assert_eq!(frame.timestamp, Some(u32::from(sequence) * 160));
                    // Little-endian now.
                    assert_eq!(frame.payload[..], sequence.to_le_bytes());
                    sequences.push(sequence);
                }
                Inbound::Problem(problem) => problems.push(problem.to_string()),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(sequences, [100, 101, 102, 103]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("shorter"), "{problems:?}");
        assert_eq!(link.stats.reordered.load(Ordering::Relaxed), 1);
        assert_eq!(link.stats.late_or_duplicate.load(Ordering::Relaxed), 1);
        assert_eq!(link.stats.malformed.load(Ordering::Relaxed), 1);
        assert_eq!(link.stats.frames_in.load(Ordering::Relaxed), 4);

        let samples: Vec<u8> = (0..160u16).flat_map(|s| s.to_le_bytes()).collect();
        for _ in 0..2 {
            link.outbound
                .send(Outbound::Audio(Bytes::from(samples.clone())))
                .await
                .unwrap();
        }
        let mut buf = [0u8; MAX_DATAGRAM];
        let mut headers = Vec::new();
        for _ in 0..2 {
            let (length, _) = asterisk.recv_from(&mut buf).await.unwrap();
            let packet = rtp::parse(&buf[..length]).unwrap();
            assert_eq!(packet.payload.len(), 320);
            assert_eq!(packet.payload[..4], [0, 0, 0, 1]); // big-endian samples 0, 1
            headers.push(packet.header);
        }
        assert_eq!(headers[0].payload_type, 10);
        assert!(headers[0].marker && !headers[1].marker);
        assert_eq!(headers[1].sequence, headers[0].sequence.wrapping_add(1));
        assert_eq!(headers[1].timestamp, headers[0].timestamp.wrapping_add(160));
        assert_eq!(headers[0].ssrc, headers[1].ssrc);

        link.outbound.send(Outbound::Close).await.unwrap();
        assert!(matches!(
            next(&mut link).await,
            Inbound::Ended(EndReason::Closed)
        ));
    }

    #[tokio::test]
    async fn latches_onto_the_port_asterisk_really_sends_from() {
        let endpoint = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let app = endpoint.local_addr();
        let reported = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let real = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut link = endpoint.start(reported.local_addr().unwrap(), FORMAT, FRAME);

        real.send_to(&asterisk_packet(5), app).await.unwrap();
        assert!(matches!(next(&mut link).await, Inbound::Audio(_)));
        stranger.send_to(&asterisk_packet(6), app).await.unwrap();
        real.send_to(&asterisk_packet(7), app).await.unwrap();
        // 6 came from a stranger and was ignored; 7 waits behind the gap until the buffer
        // gives 6 up.
        match next(&mut link).await {
            Inbound::Audio(frame) => assert_eq!(frame.sequence, Some(7)),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(link.stats.lost.load(Ordering::Relaxed), 1);

        link.outbound
            .send(Outbound::Audio(Bytes::from_static(&[0; 320])))
            .await
            .unwrap();
        let mut buf = [0u8; MAX_DATAGRAM];
        let (length, _) = tokio::time::timeout(Duration::from_secs(2), real.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(rtp::parse(&buf[..length]).is_ok());
    }
}
