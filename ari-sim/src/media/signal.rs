//! The audio the simulated far end "says" on a media channel: deterministic, so a test
//! can check what its application received (a tone's frequency, silence, known samples).

use std::sync::Arc;

use ari_media::AudioFormat;
use ari_media::codec::analysis;
use ari_media::codec::tone::ToneGenerator;
use ari_media::wire::rtp::swap_sample_bytes;

/// What a media channel sends to the application (see
/// [`SimulatorBuilder::media_signal`](crate::SimulatorBuilder::media_signal)).
#[derive(Debug, Clone, PartialEq)]
pub enum MediaSignal {
    /// A sine wave of `hz` at peak `amplitude` (16-bit linear).
    Tone {
        /// Frequency in hertz.
        hz: f64,
        /// Peak amplitude, 16-bit linear.
        amplitude: i16,
    },
    /// Digital silence.
    Silence,
    /// These 16-bit samples, at the channel format's rate, looped.
    Samples(Arc<[i16]>),
}

impl Default for MediaSignal {
    /// 440 Hz at peak 8000 (-12 dBFS peak, about -15 dBFS RMS): loud enough to measure, far
    /// from clipping.
    fn default() -> Self {
        MediaSignal::tone(440.0)
    }
}

impl MediaSignal {
    /// A sine wave of `hz` at the default level (peak 8000).
    pub fn tone(hz: f64) -> Self {
        MediaSignal::Tone {
            hz,
            amplitude: 8000,
        }
    }

    /// Raw samples, looped.
    pub fn samples(samples: impl Into<Vec<i16>>) -> Self {
        MediaSignal::Samples(samples.into().into())
    }
}

/// Produces the signal frame by frame, continuing where the last frame stopped.
#[derive(Debug)]
pub struct SignalSource {
    signal: MediaSignal,
    /// The tone's oscillator (ari-media's, so the phase runs on across frames).
    tone: Option<ToneGenerator>,
    next_sample: usize,
}

impl SignalSource {
    pub fn new(signal: MediaSignal, rate: u32) -> Self {
        let tone = match &signal {
            MediaSignal::Tone { hz, amplitude } => Some(ToneGenerator::new(
                *hz,
                f64::from(*amplitude) / f64::from(i16::MAX),
                rate,
            )),
            _ => None,
        };
        SignalSource {
            signal,
            tone,
            next_sample: 0,
        }
    }

    /// The next `count` samples.
    pub fn next_samples(&mut self, count: usize) -> Vec<i16> {
        if let Some(tone) = &mut self.tone {
            return tone.next_frame(count);
        }
        let start = self.next_sample;
        self.next_sample += count;
        match &self.signal {
            MediaSignal::Samples(samples) if !samples.is_empty() => (start..start + count)
                .map(|n| samples[n % samples.len()])
                .collect(),
            _ => vec![0; count],
        }
    }
}

/// Byte order of 16-bit linear audio on a transport: RTP's L16 is network order (RFC
/// 3551, and Asterisk byte-swaps slin for RTP); AudioSocket and WebSocket carry
/// Asterisk's native little-endian samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Big,
    Little,
}

fn is_linear(format: AudioFormat) -> bool {
    matches!(format, AudioFormat::Slin | AudioFormat::Slin16)
}

/// `samples` as the bytes of `format` on a transport with `endian` 16-bit order.
pub fn encode(format: AudioFormat, endian: Endian, samples: &[i16]) -> Vec<u8> {
    let bytes = ari_media::codec::from_linear(format, samples);
    match endian {
        Endian::Big if is_linear(format) => swap_sample_bytes(&bytes),
        _ => bytes,
    }
}

/// The bytes of `format` as 16-bit samples (a trailing odd byte of slin is ignored).
pub fn decode(format: AudioFormat, endian: Endian, bytes: &[u8]) -> Vec<i16> {
    match endian {
        Endian::Big if is_linear(format) => {
            ari_media::codec::to_linear(format, &swap_sample_bytes(bytes))
        }
        _ => ari_media::codec::to_linear(format, bytes),
    }
}

/// The relative strength of `hz` in `samples`: the tone's amplitude as a fraction of full
/// scale (0 for none, about 1 for a full-scale tone of `hz`).
pub fn tone_level(samples: &[i16], rate: u32, hz: f64) -> f64 {
    // A sine of amplitude A has Goertzel power A²/2 (see ari-media's analysis).
    (2.0 * analysis::goertzel_power(samples, rate, hz)).sqrt() / 32768.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_measures_at_its_frequency_only() {
        let mut source = SignalSource::new(MediaSignal::tone(440.0), 8000);
        let samples = source.next_samples(8000);
        let at_440 = tone_level(&samples, 8000, 440.0);
        let at_1000 = tone_level(&samples, 8000, 1000.0);
        assert!(at_440 > 0.2, "{at_440}");
        assert!(at_1000 < 0.01, "{at_1000}");
    }

    #[test]
    fn frames_continue_the_wave_and_slin_round_trips_both_orders() {
        let mut whole = SignalSource::new(MediaSignal::tone(440.0), 8000);
        let mut parts = SignalSource::new(MediaSignal::tone(440.0), 8000);
        let mut joined = parts.next_samples(160);
        joined.extend(parts.next_samples(160));
        assert_eq!(whole.next_samples(320), joined);
        for endian in [Endian::Big, Endian::Little] {
            let bytes = encode(AudioFormat::Slin, endian, &joined);
            assert_eq!(decode(AudioFormat::Slin, endian, &bytes), joined);
        }
        assert_eq!(encode(AudioFormat::Slin, Endian::Big, &[0x0102]), [1, 2]);
    }
}
