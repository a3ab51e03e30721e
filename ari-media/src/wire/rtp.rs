//! RTP (RFC 3550) packets as Asterisk's `UnicastRTP` channel sends and takes them.
//!
//! The channel has no SDP, so Asterisk falls back to its static payload type table; for
//! 16-bit linear audio (L16) the samples are big-endian on the wire.

use crate::format::AudioFormat;

/// The fixed RTP header fields this library uses (no CSRCs, no extension when writing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// The payload type (7 bits).
    pub payload_type: u8,
    /// The marker bit (set on the first packet of a talk spurt).
    pub marker: bool,
    /// The sequence number, +1 per packet, wrapping.
    pub sequence: u16,
    /// The timestamp, in samples at the format's clock rate, wrapping.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
}

/// A parsed packet borrowing its payload from the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The header.
    pub header: RtpHeader,
    /// The payload, without CSRCs, header extension or padding.
    pub payload: &'a [u8],
}

/// Bytes of the fixed header.
pub const FIXED_HEADER_LEN: usize = 12;

/// Parses one datagram. The error says what is wrong with it.
pub fn parse(datagram: &[u8]) -> Result<RtpPacket<'_>, String> {
    if datagram.len() < FIXED_HEADER_LEN {
        return Err(format!(
            "{} bytes, shorter than the {FIXED_HEADER_LEN}-byte RTP header",
            datagram.len()
        ));
    }
    let version = datagram[0] >> 6;
    if version != 2 {
        return Err(format!("RTP version {version}, expected 2"));
    }
    let has_padding = datagram[0] & 0x20 != 0;
    let has_extension = datagram[0] & 0x10 != 0;
    let csrc_count = usize::from(datagram[0] & 0x0f);
    let header = RtpHeader {
        marker: datagram[1] & 0x80 != 0,
        payload_type: datagram[1] & 0x7f,
        sequence: u16::from_be_bytes([datagram[2], datagram[3]]),
        timestamp: u32::from_be_bytes([datagram[4], datagram[5], datagram[6], datagram[7]]),
        ssrc: u32::from_be_bytes([datagram[8], datagram[9], datagram[10], datagram[11]]),
    };

    let mut payload_start = FIXED_HEADER_LEN + 4 * csrc_count;
    if payload_start > datagram.len() {
        return Err(format!(
            "CSRC count {csrc_count} runs past the end of the {}-byte packet",
            datagram.len()
        ));
    }
    if has_extension {
        // 16-bit profile id, 16-bit length in 32-bit words, then the words.
        let Some(extension_header) = datagram.get(payload_start..payload_start + 4) else {
            return Err("header extension flag set but the extension header is cut off".into());
        };
        let words = usize::from(u16::from_be_bytes([
            extension_header[2],
            extension_header[3],
        ]));
        payload_start += 4 + 4 * words;
        if payload_start > datagram.len() {
            return Err(format!(
                "header extension of {words} words runs past the end of the {}-byte packet",
                datagram.len()
            ));
        }
    }

    let mut payload_end = datagram.len();
    if has_padding {
        // The last byte counts the padding bytes, itself included.
        let padding = usize::from(datagram[datagram.len() - 1]);
        if padding == 0 || padding > payload_end - payload_start {
            return Err(format!(
                "padding of {padding} bytes does not fit the {}-byte payload",
                payload_end - payload_start
            ));
        }
        payload_end -= padding;
    }

    Ok(RtpPacket {
        header,
        payload: &datagram[payload_start..payload_end],
    })
}

/// Appends a packet (version 2, no padding, extension or CSRCs) to `out`.
pub fn write(header: &RtpHeader, payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(FIXED_HEADER_LEN + payload.len());
    out.push(0x80);
    out.push((u8::from(header.marker) << 7) | (header.payload_type & 0x7f));
    out.extend_from_slice(&header.sequence.to_be_bytes());
    out.extend_from_slice(&header.timestamp.to_be_bytes());
    out.extend_from_slice(&header.ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

/// The payload type Asterisk's `UnicastRTP` channel sends `format` with.
///
/// Without SDP Asterisk takes the first entry of its static table: 0 for ulaw, 8 for alaw,
/// 10 for slin (the table also maps 11 to slin, see [`accepts_payload_type`]) and 118 for
/// slin16 (Asterisk's default for its dynamic type).
pub fn payload_type(format: AudioFormat) -> u8 {
    match format {
        AudioFormat::Ulaw => 0,
        AudioFormat::Alaw => 8,
        AudioFormat::Slin => 10,
        AudioFormat::Slin16 => 118,
    }
}

/// Whether a packet of `payload_type` carries `format` as Asterisk maps payload types:
/// both 10 and 11 are 8 kHz L16 in its static table.
pub fn accepts_payload_type(format: AudioFormat, payload_type: u8) -> bool {
    payload_type == self::payload_type(format)
        || (format == AudioFormat::Slin && payload_type == 11)
}

/// Whether the second byte of a datagram looks like an RTCP packet type (200..=204) rather
/// than an RTP marker bit and payload type (RFC 5761 section 4): RTP payload types 72..=76
/// with the marker set.
pub fn looks_like_rtcp(datagram: &[u8]) -> bool {
    datagram.len() >= 2 && datagram[0] >> 6 == 2 && (200..=204).contains(&datagram[1])
}

/// Swaps the bytes of each 16-bit sample (little-endian <-> big-endian); an odd last byte
/// is left as it is.
pub fn swap_sample_bytes(samples: &[u8]) -> Vec<u8> {
    let mut swapped = Vec::with_capacity(samples.len());
    let mut pairs = samples.chunks_exact(2);
    for pair in &mut pairs {
        swapped.extend_from_slice(&[pair[1], pair[0]]);
    }
    swapped.extend_from_slice(pairs.remainder());
    swapped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> RtpHeader {
        RtpHeader {
            payload_type: 0,
            marker: true,
            sequence: 65_535,
            timestamp: 0xdead_beef,
            ssrc: 0x0102_0304,
        }
    }

    #[test]
    fn write_then_parse_round_trips() {
        let mut datagram = Vec::new();
        write(&header(), b"hello", &mut datagram);
        assert_eq!(datagram.len(), 17);
        assert_eq!(datagram[0], 0x80);
        assert_eq!(datagram[1], 0x80);
        let packet = parse(&datagram).unwrap();
        assert_eq!(packet.header, header());
        assert_eq!(packet.payload, b"hello");
    }

    #[test]
    fn csrcs_extension_and_padding_are_skipped() {
        let mut datagram = Vec::new();
        write(&header(), &[], &mut datagram);
        datagram[0] = 0x80 | 0x20 | 0x10 | 2; // padding, extension, two CSRCs
        datagram.extend_from_slice(&[0; 8]); // CSRCs
        datagram.extend_from_slice(&[0xbe, 0xde, 0, 1, 9, 9, 9, 9]); // one-word extension
        datagram.extend_from_slice(b"audio");
        datagram.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        let packet = parse(&datagram).unwrap();
        assert_eq!(packet.payload, b"audio");
        assert_eq!(packet.header.sequence, 65_535);
    }

    #[test]
    fn malformed_packets_are_refused_with_a_reason() {
        let mut good = Vec::new();
        write(&header(), b"abcd", &mut good);

        let error = parse(&good[..11]).unwrap_err();
        assert!(error.contains("shorter"), "{error}");

        let mut version_one = good.clone();
        version_one[0] = 0x40;
        let error = parse(&version_one).unwrap_err();
        assert!(error.contains("version 1"), "{error}");

        let mut too_many_csrcs = good.clone();
        too_many_csrcs[0] = 0x80 | 2; // 8 bytes of CSRCs, only 4 bytes follow
        let error = parse(&too_many_csrcs).unwrap_err();
        assert!(error.contains("CSRC count 2"), "{error}");

        let mut long_padding = good.clone();
        long_padding[0] |= 0x20;
        *long_padding.last_mut().unwrap() = 5;
        let error = parse(&long_padding).unwrap_err();
        assert!(error.contains("padding of 5"), "{error}");

        let mut cut_extension = good.clone();
        cut_extension[0] |= 0x10;
        cut_extension.truncate(14);
        assert!(parse(&cut_extension).unwrap_err().contains("extension"));

        let mut long_extension = good;
        long_extension[0] |= 0x10;
        long_extension[14] = 0;
        long_extension[15] = 9;
        assert!(parse(&long_extension).unwrap_err().contains("9 words"));
    }

    #[test]
    fn payload_types_follow_asterisk_static_table() {
        assert_eq!(payload_type(AudioFormat::Ulaw), 0);
        assert_eq!(payload_type(AudioFormat::Alaw), 8);
        assert_eq!(payload_type(AudioFormat::Slin), 10);
        assert_eq!(payload_type(AudioFormat::Slin16), 118);
        assert!(accepts_payload_type(AudioFormat::Slin, 11));
        assert!(!accepts_payload_type(AudioFormat::Ulaw, 8));
    }

    #[test]
    fn rtcp_is_recognised_and_samples_swap() {
        assert!(looks_like_rtcp(&[0x80, 200, 0, 6]));
        assert!(!looks_like_rtcp(&[0x80, 0x80 | 8, 0, 6]));
        assert_eq!(swap_sample_bytes(&[1, 2, 3, 4, 5]), [2, 1, 4, 3, 5]);
    }
}
