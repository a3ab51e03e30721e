//! Audio helpers around a session: G.711 and linear PCM, resampling, WAV files, tones.

pub mod g711;

use crate::format::AudioFormat;

/// `bytes` of `format` as 16-bit linear samples (slin bytes are little-endian).
pub fn to_linear(format: AudioFormat, bytes: &[u8]) -> Vec<i16> {
    match format {
        AudioFormat::Ulaw => bytes.iter().map(|&b| g711::ulaw_to_linear(b)).collect(),
        AudioFormat::Alaw => bytes.iter().map(|&b| g711::alaw_to_linear(b)).collect(),
        AudioFormat::Slin | AudioFormat::Slin16 => bytes
            .chunks_exact(2)
            .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
            .collect(),
    }
}

/// 16-bit linear `samples` as bytes of `format` (slin little-endian). No resampling: the
/// samples must already be at the format's rate.
pub fn from_linear(format: AudioFormat, samples: &[i16]) -> Vec<u8> {
    match format {
        AudioFormat::Ulaw => samples.iter().map(|&s| g711::linear_to_ulaw(s)).collect(),
        AudioFormat::Alaw => samples.iter().map(|&s| g711::linear_to_alaw(s)).collect(),
        AudioFormat::Slin | AudioFormat::Slin16 => {
            samples.iter().flat_map(|s| s.to_le_bytes()).collect()
        }
    }
}
