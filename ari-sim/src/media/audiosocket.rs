//! The far end of an AudioSocket media channel: connects to the application's TCP
//! server, announces the call's UUID, then sends the test signal every 20 ms and reads
//! frames back. On hang-up it closes the socket without a hang-up frame: Asterisk's
//! `chan_audiosocket` just closes its descriptor.

use ari_media::wire::audiosocket::{self, Frame};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::PeerContext;
use super::probe::PTIME;
use super::signal::{Endian, SignalSource, decode, encode};

/// Cause 16 (normal clearing) when the application hangs up or goes away; 3 (no route)
/// when it cannot be reached, as a failed dial reports.
const NORMAL: i64 = 16;
const NO_ROUTE: i64 = 3;

pub(crate) async fn run(mut context: PeerContext, remote: String, uuid: [u8; 16]) {
    let stream = tokio::select! {
        _ = &mut context.stop => { context.closed(); return; }
        connected = TcpStream::connect(&remote) => connected,
    };
    let mut stream = match stream {
        Ok(stream) => stream,
        Err(error) => {
            tracing::warn!(channel = %context.channel_id, %remote, %error, "audiosocket: cannot connect");
            context.closed();
            context.hang_up_channel(NO_ROUTE);
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    context.probe().connected = true;
    let format = context.format;
    let mut out = BytesMut::new();
    audiosocket::encode(&Frame::Uuid(uuid), &mut out);
    let mut source = SignalSource::new(context.signal.clone(), format.sample_rate());
    let mut ticks = tokio::time::interval(PTIME);
    let mut incoming = BytesMut::with_capacity(4096);
    let hung_up_by_app = loop {
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                break true;
            }
            out.clear();
        }
        tokio::select! {
            _ = &mut context.stop => break false,
            _ = ticks.tick() => {
                let samples = source.next_samples(format.samples_in(PTIME));
                audio_frame(format, &encode(format, Endian::Little, &samples), &mut out);
                context.probe().frames_sent += 1;
            }
            Some(digit) = context.dtmf.recv() => audiosocket::encode(&Frame::Dtmf(digit), &mut out),
            read = stream.read_buf(&mut incoming) => match read {
                Ok(0) | Err(_) => break true,
                Ok(_) => {
                    if take_frames(&context, &mut incoming) {
                        break true;
                    }
                }
            },
        }
    };
    let _ = stream.shutdown().await;
    context.closed();
    if hung_up_by_app {
        context.hang_up_channel(NORMAL);
    }
}

/// An audio frame of the channel's format. Asterisk labels formats it has no kind for
/// (ulaw, alaw) as slin (0x10) and sends their bytes as they are; so does this.
fn audio_frame(format: ari_media::AudioFormat, payload: &[u8], out: &mut BytesMut) {
    let kind = audiosocket::audio_kind(format).unwrap_or(audiosocket::KIND_AUDIO_SLIN);
    audiosocket::encode(
        &Frame::Audio {
            kind,
            payload: payload.to_vec().into(),
        },
        out,
    );
}

/// Handles the complete frames in `incoming`; true when the channel must hang up: the
/// application sent a hang-up frame, or a frame Asterisk cannot read (a kind other than
/// audio, empty audio), which makes its read fail and the channel hang up. Bad frames are
/// counted first.
fn take_frames(context: &PeerContext, incoming: &mut BytesMut) -> bool {
    loop {
        match audiosocket::decode(incoming) {
            Ok(None) => return false,
            Ok(Some(Frame::Hangup)) => return true,
            Ok(Some(Frame::Audio { payload, .. })) => {
                let format = context.format;
                if format.bytes_per_sample() == 2 && payload.len() % 2 == 1 {
                    // Asterisk takes it as it is; a test wants to know.
                    context.probe().malformed(
                        &context.channel_id,
                        &format!(
                            "AudioSocket audio of {} bytes, half a sample",
                            payload.len()
                        ),
                    );
                }
                let samples = decode(format, Endian::Little, &payload);
                context.probe().received(payload.len(), &samples);
            }
            Ok(Some(other)) => {
                context.probe().malformed(
                    &context.channel_id,
                    &format!("AudioSocket frame Asterisk does not take: {other:?}"),
                );
                return true;
            }
            Err(error) => {
                // The decoder consumed the bad frame; Asterisk would hang up on it.
                context
                    .probe()
                    .malformed(&context.channel_id, &format!("AudioSocket: {error}"));
                return true;
            }
        }
    }
}
