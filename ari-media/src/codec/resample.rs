//! 8 kHz <-> 16 kHz resampling of 16-bit speech.
//!
//! The only rates Asterisk carries here are 8 and 16 kHz, a fixed 2:1 ratio, so one small
//! half-band low-pass FIR (cutoff 4 kHz at 16 kHz) does both directions: zero-stuff then
//! filter to go up, filter then keep every other sample to go down. A general-purpose
//! resampling crate (arbitrary ratios, SIMD, f32 planar buffers) would be a heavy
//! dependency for that single ratio.
//!
//! The filter is causal: output lags input by [`DELAY_16K`] samples at 16 kHz (about
//! 1.8 ms). [`Resampler`] keeps the filter's history between calls, so feeding it 20 ms
//! frames one by one gives exactly the samples one call over the whole buffer gives.

use crate::MediaError;

/// Taps of the half-band filter. 4k+3 taps so the outermost taps are non-zero; 59 taps
/// with a Kaiser window (beta 5.65, about 60 dB) put the transition band at 3.5..4.5 kHz,
/// so telephone speech (300..3400 Hz) passes flat and nothing above 4.5 kHz folds back.
const TAPS: usize = 59;
const KAISER_BETA: f64 = 5.65;

/// How many 16 kHz samples the output lags the input (the filter's group delay).
pub const DELAY_16K: usize = (TAPS - 1) / 2;

/// The low-pass filter's coefficients, summing to 1 (unity gain at 0 Hz).
fn half_band_taps() -> Vec<f64> {
    let centre = (TAPS - 1) as f64 / 2.0;
    let i0_beta = bessel_i0(KAISER_BETA);
    let mut taps: Vec<f64> = (0..TAPS)
        .map(|i| {
            let n = i as f64 - centre;
            // Ideal low-pass at a quarter of the sample rate: 0.5 * sinc(n / 2).
            let ideal = if n == 0.0 {
                0.5
            } else {
                (std::f64::consts::PI * n / 2.0).sin() / (std::f64::consts::PI * n)
            };
            let ratio = n / centre;
            let window = bessel_i0(KAISER_BETA * (1.0 - ratio * ratio).max(0.0).sqrt()) / i0_beta;
            ideal * window
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.iter_mut().for_each(|tap| *tap /= sum);
    taps
}

/// The modified Bessel function of the first kind, order 0 (for the Kaiser window).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..50 {
        term *= half / k as f64;
        sum += term * term;
        if term * term < sum * 1e-17 {
            break;
        }
    }
    sum
}

fn to_i16(value: f64) -> i16 {
    value
        .round()
        .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Same,
    Up,
    Down,
}

/// A streaming 8 kHz <-> 16 kHz converter that keeps its filter state across frames.
#[derive(Debug, Clone)]
pub struct Resampler {
    direction: Direction,
    taps: Vec<f64>,
    /// The last `TAPS - 1` samples the filter saw (at 16 kHz), oldest first.
    history: Vec<f64>,
    /// Down only: whether the next input sample is one whose filtered value is kept.
    keep_next: bool,
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz; each must be 8000 or 16000 (equal rates
    /// pass samples through unchanged).
    pub fn new(from: u32, to: u32) -> Result<Resampler, MediaError> {
        let direction = match (from, to) {
            (8_000, 8_000) | (16_000, 16_000) => Direction::Same,
            (8_000, 16_000) => Direction::Up,
            (16_000, 8_000) => Direction::Down,
            _ => {
                return Err(MediaError::Audio(format!(
                    "cannot resample {from} Hz to {to} Hz: only 8000 and 16000 Hz are supported"
                )));
            }
        };
        Ok(Resampler::fresh(direction))
    }

    /// Passes samples through unchanged.
    pub(crate) fn passthrough() -> Resampler {
        Resampler::fresh(Direction::Same)
    }

    fn fresh(direction: Direction) -> Resampler {
        Resampler {
            direction,
            taps: half_band_taps(),
            history: vec![0.0; TAPS - 1],
            keep_next: false,
        }
    }

    /// The next block of output for `samples`, the next block of input. Upsampling gives
    /// twice as many samples; downsampling gives half, an odd leftover sample being
    /// carried into the next call.
    pub fn process(&mut self, samples: &[i16]) -> Vec<i16> {
        match self.direction {
            Direction::Same => samples.to_vec(),
            // Zero-stuffing halves the signal's energy per sample: gain 2 restores it.
            Direction::Up => {
                let stuffed: Vec<f64> = samples
                    .iter()
                    .flat_map(|&s| [2.0 * f64::from(s), 0.0])
                    .collect();
                self.filter(&stuffed, |_| true)
            }
            Direction::Down => {
                let input: Vec<f64> = samples.iter().map(|&s| f64::from(s)).collect();
                let mut keep = self.keep_next;
                let output = self.filter(&input, |_| {
                    let this = keep;
                    keep = !keep;
                    this
                });
                self.keep_next = keep;
                output
            }
        }
    }

    /// Runs `input` through the filter, computing only the outputs `keep` selects (in
    /// order), and remembers the filter's history for the next call.
    fn filter(&mut self, input: &[f64], mut keep: impl FnMut(usize) -> bool) -> Vec<i16> {
        let mut line = std::mem::take(&mut self.history);
        line.extend_from_slice(input);
        let mut output = Vec::with_capacity(input.len());
        for index in 0..input.len() {
            if keep(index) {
                // line[index..index + TAPS] ends at this input sample; the filter is
                // symmetric, so the taps' order does not matter.
                let window = &line[index..index + TAPS];
                let value: f64 = window.iter().zip(&self.taps).map(|(x, h)| x * h).sum();
                output.push(to_i16(value));
            }
        }
        self.history = line.split_off(line.len() - (TAPS - 1));
        output
    }
}

/// `samples` at 8 kHz as 16 kHz (twice as many samples).
pub fn upsample_8k_to_16k(samples: &[i16]) -> Vec<i16> {
    Resampler::fresh(Direction::Up).process(samples)
}

/// `samples` at 16 kHz as 8 kHz (half as many, an odd last sample dropped), low-passed
/// at 4 kHz first so higher frequencies do not fold back into the band.
pub fn downsample_16k_to_8k(samples: &[i16]) -> Vec<i16> {
    Resampler::fresh(Direction::Down).process(samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::analysis::{dominant_frequency, goertzel_power, rms, tone_present};
    use crate::codec::tone::tone;
    use std::time::Duration;

    const CANDIDATES: [f64; 6] = [250.0, 500.0, 1000.0, 2000.0, 3000.0, 3500.0];

    #[test]
    fn a_1khz_tone_survives_both_directions() {
        let at_8k = tone(1000.0, 0.5, 8_000, Duration::from_millis(500));
        let up = upsample_8k_to_16k(&at_8k);
        assert_eq!(up.len(), at_8k.len() * 2);
        let settled = &up[DELAY_16K * 2..];
        assert_eq!(
            dominant_frequency(settled, 16_000, &CANDIDATES),
            Some(1000.0)
        );
        assert!(tone_present(settled, 16_000, 1000.0));
        // The level is kept (within 0.5 dB).
        let ratio = rms(settled) / rms(&at_8k);
        assert!((0.94..1.06).contains(&ratio), "gain {ratio}");

        let at_16k = tone(1000.0, 0.5, 16_000, Duration::from_millis(500));
        let down = downsample_16k_to_8k(&at_16k);
        assert_eq!(down.len(), at_16k.len() / 2);
        let settled = &down[DELAY_16K..];
        assert_eq!(
            dominant_frequency(settled, 8_000, &CANDIDATES),
            Some(1000.0)
        );
        assert!(tone_present(settled, 8_000, 1000.0));
        let ratio = rms(settled) / rms(&at_16k);
        assert!((0.94..1.06).contains(&ratio), "gain {ratio}");
    }

    #[test]
    fn tones_above_4khz_do_not_alias_when_downsampling() {
        // 4.5 kHz would fold to 3.5 kHz and 6 kHz to 2 kHz without the low-pass.
        for (freq, alias) in [(4_500.0, 3_500.0), (6_000.0, 2_000.0), (7_000.0, 1_000.0)] {
            let input = tone(freq, 0.8, 16_000, Duration::from_millis(500));
            let down = downsample_16k_to_8k(&input);
            let settled = &down[DELAY_16K..];
            let attenuation_db = 20.0 * (rms(settled).max(1e-9) / rms(&input)).log10();
            assert!(attenuation_db < -40.0, "{freq} Hz: {attenuation_db:.1} dB");
            assert!(!tone_present(settled, 8_000, alias), "{freq} Hz aliased");
        }
        // A 3.5 kHz tone, inside the 8 kHz band, still passes (within 1 dB).
        let input = tone(3_500.0, 0.8, 16_000, Duration::from_millis(500));
        let settled = downsample_16k_to_8k(&input)[DELAY_16K..].to_vec();
        let gain_db = 20.0 * (rms(&settled) / rms(&input)).log10();
        assert!(gain_db > -1.0, "3.5 kHz: {gain_db:.2} dB");
        assert!(goertzel_power(&settled, 8_000, 3_500.0) > 0.5 * rms(&settled).powi(2));
    }

    #[test]
    fn upsampling_leaves_no_image_above_4khz() {
        let at_8k = tone(1000.0, 0.8, 8_000, Duration::from_millis(500));
        let up = upsample_8k_to_16k(&at_8k);
        let settled = &up[DELAY_16K * 2..];
        // Zero-stuffing mirrors 1 kHz to 7 kHz; the filter removes it.
        let image = goertzel_power(settled, 16_000, 7_000.0);
        let wanted = goertzel_power(settled, 16_000, 1_000.0);
        assert!(10.0 * (image / wanted).log10() < -40.0);
    }

    #[test]
    fn frame_by_frame_equals_whole_buffer() {
        let speechish: Vec<i16> = (0..4_000)
            .map(|i| {
                let t = i as f64;
                (8_000.0 * (t * 0.11).sin()
                    + 5_000.0 * (t * 0.53).sin()
                    + 2_000.0 * (t * 1.9).cos()) as i16
            })
            .collect();
        let whole_up = upsample_8k_to_16k(&speechish);
        let mut up = Resampler::new(8_000, 16_000).unwrap();
        let framed: Vec<i16> = speechish.chunks(160).flat_map(|f| up.process(f)).collect();
        assert_eq!(framed, whole_up);

        let whole_down = downsample_16k_to_8k(&speechish);
        let mut down = Resampler::new(16_000, 8_000).unwrap();
        // Odd frame sizes too: the leftover sample is carried over.
        let framed: Vec<i16> = speechish
            .chunks(320)
            .flat_map(|f| f.chunks(107))
            .flat_map(|f| down.process(f))
            .collect();
        assert_eq!(framed, whole_down);
    }

    #[test]
    fn only_8k_and_16k_are_accepted() {
        assert!(Resampler::new(8_000, 16_000).is_ok());
        assert!(Resampler::new(16_000, 16_000).is_ok());
        let error = Resampler::new(44_100, 8_000).unwrap_err();
        assert!(error.to_string().contains("44100"), "{error}");
        assert!(Resampler::new(8_000, 0).is_err());
    }

    #[test]
    fn full_scale_input_does_not_wrap() {
        let square: Vec<i16> = (0..800)
            .map(|i| if (i / 4) % 2 == 0 { i16::MAX } else { i16::MIN })
            .collect();
        let up = upsample_8k_to_16k(&square);
        // Overshoot is clamped, never wrapped to the opposite sign mid-run.
        assert!(up.iter().any(|&s| s == i16::MAX || s == i16::MIN));
        assert!(downsample_16k_to_8k(&[]).is_empty());
        assert!(upsample_8k_to_16k(&[]).is_empty());
    }
}
