//! Generated audio: silence, sine tones, DTMF digits and tone sequences.

use std::f64::consts::TAU;
use std::time::Duration;

use crate::codec::from_linear;
use crate::format::AudioFormat;

/// Amplitude of each tone of [`sequence`] (about -9 dBFS, loud without clipping G.711).
const SEQUENCE_AMPLITUDE: f64 = 0.5;

/// Amplitude of each of a DTMF digit's two tones: together they peak at 0.8 of full scale.
const DTMF_AMPLITUDE: f64 = 0.4;

/// Fade in and out of each tone of a [`sequence`], so tones do not start or end with a
/// click.
const FADE: Duration = Duration::from_millis(4);

/// Samples in `duration` at `sample_rate`.
fn samples_in(sample_rate: u32, duration: Duration) -> usize {
    (u128::from(sample_rate) * duration.as_micros() / 1_000_000) as usize
}

/// `duration` of silence in `format` (zero samples, encoded: 0xff for μ-law, 0xd5 for
/// A-law).
pub fn silence(format: AudioFormat, duration: Duration) -> Vec<u8> {
    from_linear(format, &vec![0; format.samples_in(duration)])
}

/// A sine generator whose phase carries over from one frame to the next, so a tone sent
/// in 20 ms frames has no discontinuity at the frame edges.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    /// Phase advance per sample, in cycles.
    step: f64,
    /// Current phase, in cycles (0..1).
    phase: f64,
    peak: f64,
}

impl ToneGenerator {
    /// A tone at `freq_hz` with `amplitude` a share of full scale (clamped to 0..=1). A
    /// zero rate or a non-finite frequency gives silence.
    pub fn new(freq_hz: f64, amplitude: f64, sample_rate: u32) -> ToneGenerator {
        let step = if sample_rate == 0 || !freq_hz.is_finite() {
            0.0
        } else {
            (freq_hz / f64::from(sample_rate)).rem_euclid(1.0)
        };
        let amplitude = if amplitude.is_nan() {
            0.0
        } else {
            amplitude.clamp(0.0, 1.0)
        };
        ToneGenerator {
            step,
            phase: 0.0,
            peak: amplitude * f64::from(i16::MAX),
        }
    }

    /// The next `n` samples.
    pub fn next_frame(&mut self, n: usize) -> Vec<i16> {
        (0..n)
            .map(|_| {
                let value = self.peak * (TAU * self.phase).sin();
                // Kept in 0..1 so precision does not drift over long tones.
                self.phase = (self.phase + self.step).fract();
                value.round() as i16
            })
            .collect()
    }
}

/// `duration` of a sine at `freq_hz`, `amplitude` a share of full scale (0.0..=1.0).
pub fn tone(freq_hz: f64, amplitude: f64, sample_rate: u32, duration: Duration) -> Vec<i16> {
    ToneGenerator::new(freq_hz, amplitude, sample_rate)
        .next_frame(samples_in(sample_rate, duration))
}

/// The (row, column) frequencies in Hz of DTMF `digit` (`0`-`9`, `*`, `#`, `A`-`D`, case
/// ignored); `None` for anything else.
pub fn dtmf_frequencies(digit: char) -> Option<(f64, f64)> {
    let digit = digit.to_ascii_uppercase();
    DTMF_KEYPAD.iter().enumerate().find_map(|(row, keys)| {
        let column = keys.iter().position(|&key| key == digit)?;
        Some((DTMF_ROWS[row], DTMF_COLUMNS[column]))
    })
}

/// The DTMF digit of a row and a column frequency (exact values of [`DTMF_ROWS`] and
/// [`DTMF_COLUMNS`], as `analysis::dominant_frequency` returns them); `None` otherwise.
pub fn dtmf_digit(row: f64, column: f64) -> Option<char> {
    let row = DTMF_ROWS.iter().position(|&f| f == row)?;
    let column = DTMF_COLUMNS.iter().position(|&f| f == column)?;
    Some(DTMF_KEYPAD[row][column])
}

/// The low (row) frequencies of DTMF, in Hz.
pub const DTMF_ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// The high (column) frequencies of DTMF, in Hz.
pub const DTMF_COLUMNS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const DTMF_KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// `duration` of DTMF `digit` at `sample_rate`; `None` if `digit` is not a DTMF digit.
pub fn dtmf(digit: char, sample_rate: u32, duration: Duration) -> Option<Vec<i16>> {
    let (row, column) = dtmf_frequencies(digit)?;
    let n = samples_in(sample_rate, duration);
    let low = ToneGenerator::new(row, DTMF_AMPLITUDE, sample_rate).next_frame(n);
    let high = ToneGenerator::new(column, DTMF_AMPLITUDE, sample_rate).next_frame(n);
    Some(
        low.iter()
            .zip(&high)
            .map(|(&a, &b)| a.saturating_add(b))
            .collect(),
    )
}

/// Tones one after another with `gap` of silence between them, each `(freq_hz,
/// duration)` at a fixed moderate level and faded in and out over 4 ms; a frequency of 0
/// is a pause.
pub fn sequence(tones: &[(f64, Duration)], gap: Duration, sample_rate: u32) -> Vec<i16> {
    let gap = samples_in(sample_rate, gap);
    let fade = samples_in(sample_rate, FADE);
    let mut out = Vec::new();
    for (index, &(freq, duration)) in tones.iter().enumerate() {
        if index > 0 {
            out.resize(out.len() + gap, 0);
        }
        let mut samples = tone(freq, SEQUENCE_AMPLITUDE, sample_rate, duration);
        let len = samples.len();
        let fade = fade.min(len / 2);
        for i in 0..fade {
            let gain = i as f64 / fade as f64;
            samples[i] = (f64::from(samples[i]) * gain).round() as i16;
            samples[len - 1 - i] = (f64::from(samples[len - 1 - i]) * gain).round() as i16;
        }
        out.extend_from_slice(&samples);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::analysis::{goertzel_power, tone_present};

    #[test]
    fn silence_is_encoded_zero() {
        let frame = Duration::from_millis(20);
        assert_eq!(silence(AudioFormat::Ulaw, frame), vec![0xff; 160]);
        assert_eq!(silence(AudioFormat::Alaw, frame), vec![0xd5; 160]);
        assert_eq!(silence(AudioFormat::Slin, frame), vec![0; 320]);
        assert_eq!(silence(AudioFormat::Slin16, frame), vec![0; 640]);
    }

    #[test]
    fn frames_continue_the_phase() {
        let whole = tone(1000.0, 0.8, 8_000, Duration::from_millis(100));
        let mut generator = ToneGenerator::new(1000.0, 0.8, 8_000);
        let framed: Vec<i16> = (0..5).flat_map(|_| generator.next_frame(160)).collect();
        assert_eq!(framed, whole);

        // No jump at frame edges: a step between samples never exceeds what the sine's
        // slope allows (2π·f/rate·peak), with a little rounding slack.
        let mut generator = ToneGenerator::new(440.0, 1.0, 8_000);
        let mut previous: Option<i16> = None;
        let max_step = TAU * 440.0 / 8_000.0 * 32_767.0 + 2.0;
        for _ in 0..50 {
            let frame = generator.next_frame(160);
            if let Some(last) = previous {
                let step = (f64::from(frame[0]) - f64::from(last)).abs();
                assert!(step <= max_step, "jump of {step} at a frame edge");
            }
            for pair in frame.windows(2) {
                assert!((f64::from(pair[1]) - f64::from(pair[0])).abs() <= max_step);
            }
            previous = frame.last().copied();
        }
    }

    #[test]
    fn bad_tone_parameters_give_silence_not_panics() {
        assert!(
            tone(1000.0, f64::NAN, 8_000, Duration::from_millis(10))
                .iter()
                .all(|&s| s == 0)
        );
        assert!(
            tone(f64::INFINITY, 1.0, 8_000, Duration::from_millis(10))
                .iter()
                .all(|&s| s == 0)
        );
        assert!(tone(1000.0, 1.0, 0, Duration::from_secs(1)).is_empty());
        let loud = tone(1000.0, 7.0, 8_000, Duration::from_millis(10));
        assert!(loud.iter().all(|&s| s > i16::MIN));
    }

    #[test]
    fn every_dtmf_digit_has_its_two_frequencies() {
        const ALL: [f64; 8] = [697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0, 1633.0];
        for digit in "0123456789*#ABCD".chars() {
            let (row, column) = dtmf_frequencies(digit).unwrap();
            for rate in [8_000, 16_000] {
                let samples = dtmf(digit, rate, Duration::from_millis(100)).unwrap();
                let power = |f| goertzel_power(&samples, rate, f);
                let weakest_wanted = power(row).min(power(column));
                for other in ALL.iter().filter(|&&f| f != row && f != column) {
                    assert!(
                        power(*other) < weakest_wanted / 100.0,
                        "{digit}: {other} Hz"
                    );
                }
                assert!(tone_present(&samples, rate, row), "{digit} row at {rate}");
                assert!(
                    tone_present(&samples, rate, column),
                    "{digit} column at {rate}"
                );
            }
        }
        assert_eq!(dtmf_frequencies('a'), dtmf_frequencies('A'));
        assert!(dtmf('x', 8_000, Duration::from_millis(100)).is_none());
    }

    #[test]
    fn a_sequence_has_its_tones_and_gaps() {
        let ms = Duration::from_millis;
        let samples = sequence(
            &[(440.0, ms(200)), (0.0, ms(100)), (880.0, ms(200))],
            ms(50),
            8_000,
        );
        assert_eq!(samples.len(), 8 * (200 + 50 + 100 + 50 + 200));
        assert!(tone_present(&samples[..1_600], 8_000, 440.0));
        assert!(samples[1_600..2_800].iter().all(|&s| s == 0));
        assert!(tone_present(&samples[2_800..], 8_000, 880.0));
        // Faded in: starts from silence.
        assert_eq!(samples[0], 0);
        assert!(sequence(&[], ms(50), 8_000).is_empty());
    }

    #[test]
    fn every_digit_is_found_from_its_two_frequencies() {
        for digit in "0123456789*#ABCD".chars() {
            let (row, column) = dtmf_frequencies(digit).unwrap();
            assert_eq!(dtmf_digit(row, column), Some(digit));
        }
        assert_eq!(dtmf_digit(1209.0, 697.0), None, "column and row swapped");
        assert_eq!(dtmf_digit(440.0, 1209.0), None);
    }
}
