//! Audio helpers around a session: G.711 and linear PCM, resampling, WAV files, tones.

pub mod analysis;
pub mod g711;
pub mod resample;
pub mod tone;
pub mod wav;

pub use analysis::{dbfs, dominant_frequency, goertzel_power, rms, tone_present};
pub use resample::{Resampler, downsample_16k_to_8k, upsample_8k_to_16k};
pub use tone::{
    DTMF_COLUMNS, DTMF_ROWS, ToneGenerator, dtmf, dtmf_digit, dtmf_frequencies, sequence, silence,
    tone,
};
pub use wav::{WavWriter, parse_wav, read_wav, wav_bytes};

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

/// `bytes` of `from` as bytes of `to`: G.711 expanded or compressed, 8 kHz resampled to
/// 16 kHz or back. Each call starts the resampler afresh; for a stream of frames use a
/// [`Converter`], which keeps its state between frames.
pub fn convert(from: AudioFormat, to: AudioFormat, bytes: &[u8]) -> Vec<u8> {
    Converter::new(from, to).convert(bytes)
}

/// Converts a stream of frames from one format to another, keeping the resampler's state
/// across frames so frame edges are seamless.
#[derive(Debug, Clone)]
pub struct Converter {
    from: AudioFormat,
    to: AudioFormat,
    resampler: Resampler,
}

impl Converter {
    /// A converter from `from` to `to` (every pair of formats is supported).
    pub fn new(from: AudioFormat, to: AudioFormat) -> Converter {
        let resampler = match Resampler::new(from.sample_rate(), to.sample_rate()) {
            Ok(resampler) => resampler,
            // Every AudioFormat is 8 or 16 kHz, so this cannot happen; a new format at
            // another rate must extend Resampler first.
            Err(_) => Resampler::passthrough(),
        };
        Converter {
            from,
            to,
            resampler,
        }
    }

    /// The next frame, `bytes` of the `from` format, in the `to` format.
    pub fn convert(&mut self, bytes: &[u8]) -> Vec<u8> {
        if self.from == self.to {
            // Re-encoding G.711 would be lossless too, but copying is cheaper.
            return bytes.to_vec();
        }
        let samples = self.resampler.process(&to_linear(self.from, bytes));
        from_linear(self.to, &samples)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn convert_between_every_pair_of_formats() {
        use crate::format::ALL_FORMATS;
        let frame = Duration::from_millis(200);
        for from in ALL_FORMATS {
            let source = from_linear(from, &tone(1000.0, 0.5, from.sample_rate(), frame));
            for to in ALL_FORMATS {
                let out = convert(from, to, &source);
                assert_eq!(out.len(), to.bytes_in(frame), "{from} -> {to}");
                let samples = to_linear(to, &out);
                // Skip the resampling filter's delay.
                let settled = &samples[samples.len() / 4..];
                assert!(
                    tone_present(settled, to.sample_rate(), 1000.0),
                    "{from} -> {to}"
                );
                let level = dbfs(settled);
                assert!((level + 9.0).abs() < 0.6, "{from} -> {to}: {level} dBFS");
            }
        }
        assert_eq!(
            convert(AudioFormat::Ulaw, AudioFormat::Ulaw, &[1, 2, 3]),
            [1, 2, 3]
        );
        assert!(convert(AudioFormat::Slin, AudioFormat::Ulaw, &[7]).is_empty());
    }

    #[test]
    fn a_converter_is_seamless_across_frames() {
        let source = from_linear(
            AudioFormat::Slin16,
            &tone(700.0, 0.5, 16_000, Duration::from_millis(200)),
        );
        let whole = convert(AudioFormat::Slin16, AudioFormat::Ulaw, &source);
        let mut converter = Converter::new(AudioFormat::Slin16, AudioFormat::Ulaw);
        let framed: Vec<u8> = source
            .chunks(640)
            .flat_map(|f| converter.convert(f))
            .collect();
        assert_eq!(framed, whole);
    }
}
