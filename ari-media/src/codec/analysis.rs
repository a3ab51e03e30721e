//! Measuring audio: level, the strength of one frequency, whether a tone is there.
//!
//! Meant for checking audio that went through Asterisk, so the tests here are relative
//! (share of the signal's energy) rather than absolute: G.711's quantisation noise and a
//! gain change along the way do not move the verdict.

use std::f64::consts::PI;

/// Full scale for dBFS: a square wave at ±32768 is 0 dBFS, a full-scale sine about -3.
const FULL_SCALE: f64 = 32_768.0;

/// Below this level (about -55 dBFS, under G.711's idle noise) a signal is silence.
const SILENCE_MEAN_SQUARE: f64 = 3.2e3;

/// Share of the signal's energy a frequency must carry to count as present. Each tone of
/// a DTMF pair carries half.
const PRESENT_SHARE: f64 = 0.2;

/// The root mean square of `samples` (0 for none).
pub fn rms(samples: &[i16]) -> f64 {
    mean_square(samples).sqrt()
}

fn mean_square(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    sum / samples.len() as f64
}

/// The level of `samples` in dB relative to full scale (a full-scale sine is about -3
/// dBFS); negative infinity for silence or no samples.
pub fn dbfs(samples: &[i16]) -> f64 {
    20.0 * (rms(samples) / FULL_SCALE).log10()
}

/// The mean-square power of the component of `samples` at `freq` Hz, in the same units as
/// `rms(samples)²`: a sine of amplitude A at `freq` gives about A²/2.
///
/// A Goertzel filter evaluated at exactly `freq` (not rounded to a DFT bin) over a Hann
/// window, so strong tones elsewhere leak little into it. 0 for no samples or a frequency
/// outside 0..rate/2.
pub fn goertzel_power(samples: &[i16], sample_rate: u32, freq: f64) -> f64 {
    let n = samples.len();
    if n < 2 || sample_rate == 0 || !(0.0..=f64::from(sample_rate) / 2.0).contains(&freq) {
        return 0.0;
    }
    let omega = 2.0 * PI * freq / f64::from(sample_rate);
    let coeff = 2.0 * omega.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    let mut window_sum = 0.0;
    for (i, &sample) in samples.iter().enumerate() {
        let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / (n - 1) as f64).cos();
        window_sum += w;
        let s0 = f64::from(sample) * w + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    // |X(freq)|² from the last two states.
    let magnitude_sq = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    // A sine of amplitude A gives |X| = A·Σw/2; report A²/2.
    2.0 * magnitude_sq.max(0.0) / (window_sum * window_sum)
}

/// Which of `candidates` (Hz) carries the most energy in `samples`; `None` when there are
/// no samples or candidates, the signal is silence, or even the strongest carries less
/// than a fifth of the signal's energy (noise, speech, a tone not among the candidates).
pub fn dominant_frequency(samples: &[i16], sample_rate: u32, candidates: &[f64]) -> Option<f64> {
    let total = mean_square(samples);
    if total < SILENCE_MEAN_SQUARE {
        return None;
    }
    let (freq, power) = candidates
        .iter()
        .map(|&freq| (freq, goertzel_power(samples, sample_rate, freq)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    (power >= PRESENT_SHARE * total).then_some(freq)
}

/// Whether a tone at `freq` Hz is present in `samples`: it carries at least a fifth of
/// the energy of a non-silent signal.
///
/// Measured over 50 ms blocks (at most 20 Hz resolution, so a generator a few Hz off
/// still counts) at `freq` and half a block's resolution either side; a frequency more
/// than about 50 Hz away does not count. Level does not matter above silence.
pub fn tone_present(samples: &[i16], sample_rate: u32, freq: f64) -> bool {
    let block = (sample_rate as usize / 20).clamp(1, samples.len().max(1));
    let blocks: Vec<&[i16]> = samples.chunks_exact(block).collect();
    if blocks.is_empty() {
        return false;
    }
    let total: f64 = blocks.iter().map(|b| mean_square(b)).sum::<f64>() / blocks.len() as f64;
    if total < SILENCE_MEAN_SQUARE {
        return false;
    }
    let half_bin = f64::from(sample_rate) / block as f64 / 2.0;
    [freq - half_bin, freq, freq + half_bin]
        .into_iter()
        .map(|f| {
            blocks
                .iter()
                .map(|b| goertzel_power(b, sample_rate, f))
                .sum::<f64>()
                / blocks.len() as f64
        })
        .any(|power| power >= PRESENT_SHARE * total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tone::tone;
    use crate::codec::{from_linear, to_linear};
    use crate::format::AudioFormat;
    use std::time::Duration;

    #[test]
    fn a_full_scale_sine_is_about_minus_3_dbfs() {
        let sine = tone(1000.0, 1.0, 8_000, Duration::from_secs(1));
        assert!(
            (rms(&sine) - 32_767.0 / 2f64.sqrt()).abs() < 50.0,
            "{}",
            rms(&sine)
        );
        assert!((dbfs(&sine) + 3.01).abs() < 0.05, "{}", dbfs(&sine));
        let half = tone(1000.0, 0.5, 8_000, Duration::from_secs(1));
        assert!((dbfs(&half) + 9.03).abs() < 0.05, "{}", dbfs(&half));
        assert_eq!(rms(&[]), 0.0);
        assert_eq!(dbfs(&[0; 100]), f64::NEG_INFINITY);
    }

    #[test]
    fn goertzel_measures_the_component_power() {
        let sine = tone(1000.0, 0.5, 8_000, Duration::from_millis(200));
        let expected = (0.5f64 * 32_767.0).powi(2) / 2.0;
        let power = goertzel_power(&sine, 8_000, 1000.0);
        assert!(
            (power / expected - 1.0).abs() < 0.02,
            "{power} vs {expected}"
        );
        assert!(goertzel_power(&sine, 8_000, 1200.0) < expected * 1e-3);
        assert_eq!(goertzel_power(&sine, 8_000, 5000.0), 0.0);
        assert_eq!(goertzel_power(&[], 8_000, 1000.0), 0.0);
        assert_eq!(goertzel_power(&sine, 0, 1000.0), 0.0);
    }

    #[test]
    fn tone_detection_survives_g711_and_level_changes() {
        for format in [AudioFormat::Ulaw, AudioFormat::Alaw] {
            for amplitude in [0.02, 0.3, 1.0] {
                let sine = tone(440.0, amplitude, 8_000, Duration::from_millis(300));
                let through = to_linear(format, &from_linear(format, &sine));
                assert!(tone_present(&through, 8_000, 440.0), "{format} {amplitude}");
                assert!(
                    !tone_present(&through, 8_000, 1000.0),
                    "{format} {amplitude}"
                );
                assert_eq!(
                    dominant_frequency(&through, 8_000, &[350.0, 440.0, 480.0, 620.0]),
                    Some(440.0)
                );
            }
        }
        // A generator a few Hz off still counts.
        let off = tone(1004.0, 0.3, 8_000, Duration::from_millis(300));
        assert!(tone_present(&off, 8_000, 1000.0));
        // Silence and nothing are not tones.
        assert!(!tone_present(&[0; 800], 8_000, 1000.0));
        assert!(!tone_present(&[], 8_000, 1000.0));
        assert_eq!(dominant_frequency(&[0; 800], 8_000, &[1000.0]), None);
        assert_eq!(dominant_frequency(&off, 8_000, &[]), None);
    }

    #[test]
    fn noise_is_not_a_tone() {
        let mut rng = fastrand::Rng::with_seed(7);
        let noise: Vec<i16> = (0..8_000).map(|_| rng.i16(-8_000..8_000)).collect();
        assert!(!tone_present(&noise, 8_000, 1000.0));
        assert_eq!(
            dominant_frequency(&noise, 8_000, &[500.0, 1000.0, 2000.0]),
            None
        );
    }
}
