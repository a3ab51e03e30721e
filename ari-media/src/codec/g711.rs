//! G.711 μ-law and A-law (ITU-T G.711) to and from 16-bit linear PCM.

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32_635;

/// One μ-law byte as a 16-bit sample.
pub fn ulaw_to_linear(byte: u8) -> i16 {
    let byte = !byte;
    let exponent = (byte >> 4) & 0x07;
    let mantissa = i32::from(byte & 0x0f);
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    (if byte & 0x80 != 0 {
        -magnitude
    } else {
        magnitude
    }) as i16
}

/// One 16-bit sample as a μ-law byte.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let sign = if sample < 0 { 0x80 } else { 0 };
    let magnitude = i32::from(sample).abs().min(ULAW_CLIP) + ULAW_BIAS;
    let exponent = (7 - (magnitude.leading_zeros() as i32 - 17)).clamp(0, 7);
    let mantissa = (magnitude >> (exponent + 3)) & 0x0f;
    !(sign | ((exponent as u8) << 4) | mantissa as u8)
}

/// One A-law byte as a 16-bit sample.
pub fn alaw_to_linear(byte: u8) -> i16 {
    let byte = byte ^ 0x55;
    let exponent = (byte >> 4) & 0x07;
    let mantissa = i32::from(byte & 0x0f);
    let magnitude = match exponent {
        0 => (mantissa << 4) + 8,
        e => ((mantissa << 4) + 0x108) << (e - 1),
    };
    (if byte & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    }) as i16
}

/// One 16-bit sample as an A-law byte.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let (sign, magnitude) = if sample >= 0 {
        (0x80u8, i32::from(sample))
    } else {
        (0, -i32::from(sample) - 1)
    };
    let magnitude = magnitude.min(0x7fff);
    let exponent = if magnitude < 0x100 {
        0
    } else {
        (31 - magnitude.leading_zeros() as i32 - 7).clamp(1, 7)
    };
    let mantissa = if exponent == 0 {
        magnitude >> 4
    } else {
        (magnitude >> (exponent + 3)) & 0x0f
    };
    (sign | ((exponent as u8) << 4) | mantissa as u8) ^ 0x55
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ulaw_byte_survives_a_round_trip() {
        for byte in 0..=255u8 {
            let back = linear_to_ulaw(ulaw_to_linear(byte));
            // 0x7f and 0xff are both zero: either spelling is fine.
            assert_eq!(ulaw_to_linear(back), ulaw_to_linear(byte), "byte {byte:#x}");
        }
    }

    #[test]
    fn every_alaw_byte_survives_a_round_trip() {
        for byte in 0..=255u8 {
            assert_eq!(linear_to_alaw(alaw_to_linear(byte)), byte, "byte {byte:#x}");
        }
    }

    #[test]
    fn encoding_error_stays_within_the_segment_step() {
        for sample in (i16::MIN..=i16::MAX).step_by(7) {
            for (encode, decode) in [
                (
                    linear_to_ulaw as fn(i16) -> u8,
                    ulaw_to_linear as fn(u8) -> i16,
                ),
                (linear_to_alaw, alaw_to_linear),
            ] {
                let back = i32::from(decode(encode(sample)));
                let error = (back - i32::from(sample)).abs();
                let allowed = (i32::from(sample).abs() / 16).max(16) + 132;
                assert!(error <= allowed, "{sample} -> {back}");
            }
        }
    }
}
