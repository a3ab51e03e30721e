//! AudioSocket frames: a kind byte, a 16-bit big-endian payload length, the payload.
//!
//! Asterisk (22) connects to the application, sends a UUID frame, then audio and DTMF
//! frames; it takes only audio and hang-up frames back (any other kind makes it hang the
//! channel up). It never sends hang-up or error frames itself: it closes the connection.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::format::AudioFormat;

/// Hang the channel up (application to Asterisk).
pub const KIND_HANGUP: u8 = 0x00;
/// The connection's UUID (Asterisk to application, first frame).
pub const KIND_UUID: u8 = 0x01;
/// One DTMF digit as an ASCII byte (Asterisk to application).
pub const KIND_DTMF: u8 = 0x03;
/// 16-bit linear audio at 8 kHz. Asterisk also labels audio of a channel in any format
/// it has no kind for (ulaw, alaw) with this kind, but reads this kind back as slin.
pub const KIND_AUDIO_SLIN: u8 = 0x10;
/// 16-bit linear audio at 12 kHz.
pub const KIND_AUDIO_SLIN12: u8 = 0x11;
/// 16-bit linear audio at 16 kHz.
pub const KIND_AUDIO_SLIN16: u8 = 0x12;
/// 16-bit linear audio at 24 kHz.
pub const KIND_AUDIO_SLIN24: u8 = 0x13;
/// 16-bit linear audio at 32 kHz.
pub const KIND_AUDIO_SLIN32: u8 = 0x14;
/// 16-bit linear audio at 44.1 kHz.
pub const KIND_AUDIO_SLIN44: u8 = 0x15;
/// 16-bit linear audio at 48 kHz.
pub const KIND_AUDIO_SLIN48: u8 = 0x16;
/// 16-bit linear audio at 96 kHz.
pub const KIND_AUDIO_SLIN96: u8 = 0x17;
/// 16-bit linear audio at 192 kHz.
pub const KIND_AUDIO_SLIN192: u8 = 0x18;
/// An error on the far side; the payload (possibly empty) is an error code.
pub const KIND_ERROR: u8 = 0xff;

/// Bytes before the payload.
pub const HEADER_LEN: usize = 3;

/// One AudioSocket frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Hang up (length 0).
    Hangup,
    /// The connection's UUID (length 16).
    Uuid([u8; 16]),
    /// A DTMF digit (length 1).
    Dtmf(char),
    /// Audio of one of the audio kinds (`0x10..=0x18`); 16-bit samples are little-endian.
    Audio {
        /// The kind byte, which names the sample rate.
        kind: u8,
        /// The samples.
        payload: Bytes,
    },
    /// An error report with its (possibly empty) code bytes.
    Error(Bytes),
    /// A kind this library does not know.
    Unknown {
        /// The kind byte.
        kind: u8,
        /// The payload.
        payload: Bytes,
    },
}

/// Whether `kind` is one of the audio kinds.
pub fn is_audio_kind(kind: u8) -> bool {
    (KIND_AUDIO_SLIN..=KIND_AUDIO_SLIN192).contains(&kind)
}

/// The audio kind that carries `format` both ways; `None` when AudioSocket cannot.
///
/// ulaw and alaw are `None`: Asterisk sends them labelled as slin (`0x10`) and reads every
/// `0x10` frame it receives as slin, so G.711 cannot be sent to it.
pub fn audio_kind(format: AudioFormat) -> Option<u8> {
    match format {
        AudioFormat::Slin => Some(KIND_AUDIO_SLIN),
        AudioFormat::Slin16 => Some(KIND_AUDIO_SLIN16),
        AudioFormat::Ulaw | AudioFormat::Alaw => None,
    }
}

/// Takes one frame off the front of `buf`. `Ok(None)`: more bytes are needed.
///
/// A frame whose length is wrong for its kind (a UUID that is not 16 bytes, a DTMF frame
/// that is not 1 byte, empty audio) or whose DTMF byte is not a digit is an `Err` naming
/// the kind and length; the frame is consumed, so the next call decodes the next frame.
/// A hang-up frame with a payload is still a hang-up (its payload is ignored).
pub fn decode(buf: &mut BytesMut) -> Result<Option<Frame>, String> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let kind = buf[0];
    let length = usize::from(u16::from_be_bytes([buf[1], buf[2]]));
    if buf.len() < HEADER_LEN + length {
        return Ok(None);
    }
    buf.advance(HEADER_LEN);
    let payload = buf.split_to(length).freeze();
    let wrong_length =
        |expected: &str| format!("kind {kind:#04x} with length {length}, expected {expected}");
    let frame = match kind {
        KIND_HANGUP => Frame::Hangup,
        KIND_UUID => {
            let uuid: [u8; 16] = payload[..]
                .try_into()
                .map_err(|_| wrong_length("16 (a UUID)"))?;
            Frame::Uuid(uuid)
        }
        KIND_DTMF => {
            let [digit] = payload[..] else {
                return Err(wrong_length("1 (a DTMF digit)"));
            };
            let digit = char::from(digit);
            if !is_dtmf_digit(digit) {
                return Err(format!("kind {kind:#04x} with {digit:?}, not a DTMF digit"));
            }
            Frame::Dtmf(digit)
        }
        _ if is_audio_kind(kind) => {
            if payload.is_empty() {
                return Err(wrong_length("at least 1 (audio)"));
            }
            Frame::Audio { kind, payload }
        }
        KIND_ERROR => Frame::Error(payload),
        _ => Frame::Unknown { kind, payload },
    };
    Ok(Some(frame))
}

/// Appends `frame` to `out`. A payload longer than the 16-bit length allows (65535 bytes,
/// far more than a frame of audio) is cut at that length.
pub fn encode(frame: &Frame, out: &mut BytesMut) {
    let mut digit_byte = [0u8; 1];
    let (kind, payload): (u8, &[u8]) = match frame {
        Frame::Hangup => (KIND_HANGUP, &[]),
        Frame::Uuid(uuid) => (KIND_UUID, uuid),
        Frame::Dtmf(digit) => {
            // Non-ASCII characters are not digits; send '?' rather than a wrong byte count.
            digit_byte[0] = u8::try_from(*digit).unwrap_or(b'?');
            (KIND_DTMF, &digit_byte)
        }
        Frame::Audio { kind, payload } => (*kind, payload),
        Frame::Error(code) => (KIND_ERROR, code),
        Frame::Unknown { kind, payload } => (*kind, payload),
    };
    let length = payload.len().min(usize::from(u16::MAX));
    out.reserve(HEADER_LEN + length);
    out.put_u8(kind);
    out.put_u16(length as u16);
    out.put_slice(&payload[..length]);
}

fn is_dtmf_digit(digit: char) -> bool {
    matches!(digit, '0'..='9' | '*' | '#' | 'A'..='D' | 'a'..='d')
}

/// `uuid` as text: 32 lower-case hex digits grouped 8-4-4-4-12.
pub fn format_uuid(uuid: &[u8; 16]) -> String {
    let mut text = String::with_capacity(36);
    for (index, byte) in uuid.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// Parses the 8-4-4-4-12 text form of a UUID (either case).
pub fn parse_uuid(text: &str) -> Result<[u8; 16], String> {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    if lengths != [8, 4, 4, 4, 12] {
        return Err(format!("{text:?} is not a UUID (8-4-4-4-12 hex digits)"));
    }
    let hex: String = groups.concat();
    let mut uuid = [0u8; 16];
    for (index, byte) in uuid.iter_mut().enumerate() {
        let pair = hex.get(2 * index..2 * index + 2).unwrap_or_default();
        *byte = u8::from_str_radix(pair, 16)
            .map_err(|_| format!("{text:?} is not a UUID: {pair:?} is not hex"))?;
    }
    Ok(uuid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: [u8; 16] = [
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
        0xef,
    ];

    fn encoded(frames: &[Frame]) -> BytesMut {
        let mut out = BytesMut::new();
        for frame in frames {
            encode(frame, &mut out);
        }
        out
    }

    #[test]
    fn frames_round_trip_even_when_read_a_byte_at_a_time() {
        let frames = [
            Frame::Uuid(UUID),
            Frame::Audio {
                kind: KIND_AUDIO_SLIN16,
                payload: Bytes::from_static(&[1, 2, 3, 4]),
            },
            Frame::Dtmf('#'),
            Frame::Error(Bytes::from_static(&[2])),
            Frame::Unknown {
                kind: 0x42,
                payload: Bytes::from_static(b"x"),
            },
            Frame::Hangup,
        ];
        let wire = encoded(&frames);
        assert_eq!(&wire[..3], &[KIND_UUID, 0, 16]);

        let mut buf = BytesMut::new();
        let mut decoded = Vec::new();
        for byte in wire {
            buf.put_u8(byte);
            if let Some(frame) = decode(&mut buf).unwrap() {
                decoded.push(frame);
            }
        }
        assert_eq!(decoded, frames);
        assert!(buf.is_empty());
    }

    #[test]
    fn a_wrong_length_is_an_error_and_decoding_resumes() {
        let mut buf = BytesMut::from(&[KIND_UUID, 0, 3, 1, 2, 3][..]);
        buf.extend_from_slice(&[KIND_DTMF, 0, 2, b'1', b'2']);
        buf.extend_from_slice(&[KIND_DTMF, 0, 1, b'x']);
        buf.extend_from_slice(&[KIND_AUDIO_SLIN, 0, 0]);
        encode(&Frame::Dtmf('5'), &mut buf);

        let error = decode(&mut buf).unwrap_err();
        assert!(
            error.contains("0x01") && error.contains("length 3"),
            "{error}"
        );
        assert!(decode(&mut buf).unwrap_err().contains("length 2"));
        assert!(decode(&mut buf).unwrap_err().contains("'x'"));
        assert!(decode(&mut buf).unwrap_err().contains("0x10"));
        assert_eq!(decode(&mut buf).unwrap(), Some(Frame::Dtmf('5')));
        assert_eq!(decode(&mut buf).unwrap(), None);
    }

    #[test]
    fn incomplete_frames_wait_for_more_bytes() {
        let mut buf = BytesMut::from(&[KIND_AUDIO_SLIN, 0][..]);
        assert_eq!(decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(&[2, 7]);
        assert_eq!(decode(&mut buf).unwrap(), None);
        assert_eq!(buf.len(), 4);
        buf.extend_from_slice(&[8]);
        assert_eq!(
            decode(&mut buf).unwrap(),
            Some(Frame::Audio {
                kind: KIND_AUDIO_SLIN,
                payload: Bytes::from_static(&[7, 8]),
            })
        );
    }

    #[test]
    fn uuid_text_round_trips() {
        let text = format_uuid(&UUID);
        assert_eq!(text, "12345678-9abc-def0-0123-456789abcdef");
        assert_eq!(parse_uuid(&text.to_uppercase()).unwrap(), UUID);
        assert!(parse_uuid("12345678-9abc-def0-0123-456789abcde").is_err());
        assert!(parse_uuid("1234567g-9abc-def0-0123-456789abcdef").is_err());
        assert!(parse_uuid("1234567é-9abc-def0-0123-456789abcdef").is_err());
    }

    #[test]
    fn only_linear_formats_have_an_audio_kind() {
        assert_eq!(audio_kind(AudioFormat::Slin), Some(0x10));
        assert_eq!(audio_kind(AudioFormat::Slin16), Some(0x12));
        assert_eq!(audio_kind(AudioFormat::Ulaw), None);
        assert_eq!(audio_kind(AudioFormat::Alaw), None);
    }
}
