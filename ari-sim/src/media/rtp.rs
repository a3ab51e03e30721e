//! The far end of an RTP (`UnicastRTP`) media channel: a UDP socket that sends the test
//! signal as RTP every 20 ms to the application's address and takes RTP back.

use std::net::SocketAddr;

use ari_media::wire::rtp;
use tokio::net::UdpSocket;

use super::PeerContext;
use super::probe::PTIME;
use super::signal::{Endian, SignalSource, decode, encode};

pub(crate) async fn run(mut context: PeerContext, socket: UdpSocket, remote: String) {
    let remote = match tokio::net::lookup_host(&remote).await {
        Ok(mut addrs) => addrs.next(),
        Err(error) => {
            tracing::warn!(channel = %context.channel_id, %remote, %error, "rtp: bad remote");
            None
        }
    };
    context.probe().connected = true;
    let format = context.format;
    let samples_per_frame = format.samples_in(PTIME);
    let mut source = SignalSource::new(context.signal.clone(), format.sample_rate());
    // Random starting points, as RFC 3550 asks and Asterisk does.
    let mut header = rtp::RtpHeader {
        payload_type: rtp::payload_type(format),
        marker: true,
        sequence: fastrand::u16(..),
        timestamp: fastrand::u32(..),
        ssrc: fastrand::u32(..),
    };
    let mut ticks = tokio::time::interval(PTIME);
    let mut packet = Vec::with_capacity(12 + format.bytes_in(PTIME));
    let mut buffer = vec![0u8; 2048];
    loop {
        tokio::select! {
            _ = &mut context.stop => break,
            _ = ticks.tick() => {
                let Some(remote) = remote else { continue };
                let payload = encode(format, Endian::Big, &source.next_samples(samples_per_frame));
                packet.clear();
                rtp::write(&header, &payload, &mut packet);
                if socket.send_to(&packet, remote).await.is_ok() {
                    context.probe().frames_sent += 1;
                }
                header.marker = false;
                header.sequence = header.sequence.wrapping_add(1);
                header.timestamp = header.timestamp.wrapping_add(samples_per_frame as u32);
            }
            // Asterisk would send RFC 4733 events; the simulator does not (yet).
            Some(_digit) = context.dtmf.recv() => {}
            received = socket.recv_from(&mut buffer) => {
                // An error here is ICMP "port unreachable" from an earlier send on some
                // systems: not the application's fault, keep going.
                if let Ok((length, from)) = received {
                    receive(&context, &buffer[..length], from);
                }
            }
        }
    }
    context.closed();
}

fn receive(context: &PeerContext, datagram: &[u8], from: SocketAddr) {
    match rtp::parse(datagram) {
        // Asterisk drops audio of a payload type it does not map to the channel's format.
        Ok(packet) if !rtp::accepts_payload_type(context.format, packet.header.payload_type) => {
            context.probe().malformed(
                &context.channel_id,
                &format!(
                    "RTP from {from} with payload type {}",
                    packet.header.payload_type
                ),
            )
        }
        Ok(packet) => {
            let payload: &[u8] = packet.payload;
            let samples = decode(context.format, Endian::Big, payload);
            context.probe().received(payload.len(), &samples);
        }
        Err(error) => context
            .probe()
            .malformed(&context.channel_id, &format!("RTP from {from}: {error}")),
    }
}
