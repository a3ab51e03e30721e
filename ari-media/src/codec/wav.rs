//! WAV files in and out (mono 16-bit PCM), on disk or in memory: ARI serves a stored
//! recording's file as WAV bytes, and prompts are often kept as WAV files.
//!
//! Reading accepts what recorders commonly write and converts it: any channel count is
//! mixed down to mono, 8/24/32-bit integer and 32-bit float samples are scaled to 16 bits.

use std::fs::File;
use std::io::{BufWriter, Cursor, Read, Seek, Write};
use std::path::Path;

use crate::MediaError;
use crate::frame::AudioFrame;

/// How in-memory WAV data is named in errors.
const IN_MEMORY: &str = "WAV data";

/// A WAV failure as a [`MediaError`] naming `name` (the file, or "WAV data").
fn wav_error(name: &str, doing: &str, error: hound::Error) -> MediaError {
    match error {
        hound::Error::IoError(source) if source.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::Audio(format!("{name}: truncated WAV file"))
        }
        hound::Error::IoError(source) => MediaError::Io {
            transport: "wav",
            context: format!("{doing} {name}"),
            source,
        },
        other => MediaError::Audio(format!("{name}: not a usable WAV file: {other}")),
    }
}

/// Writes mono 16-bit PCM WAV at a fixed sample rate. Call [`finish`](WavWriter::finish):
/// it writes the header's lengths and reports failures (dropping the writer also tries
/// to, silently).
pub struct WavWriter<W: Write + Seek = BufWriter<File>> {
    inner: hound::WavWriter<W>,
    sample_rate: u32,
    name: String,
}

impl WavWriter<BufWriter<File>> {
    /// Creates (or truncates) the file at `path` for audio at `sample_rate` Hz.
    pub fn create(path: impl AsRef<Path>, sample_rate: u32) -> Result<Self, MediaError> {
        let name = path.as_ref().display().to_string();
        let spec = spec(&name, sample_rate)?;
        let inner = hound::WavWriter::create(path, spec)
            .map_err(|error| wav_error(&name, "creating", error))?;
        Ok(WavWriter {
            inner,
            sample_rate,
            name,
        })
    }
}

impl<W: Write + Seek> WavWriter<W> {
    /// Writes WAV to `writer` (a `Cursor<Vec<u8>>` for memory) at `sample_rate` Hz.
    pub fn new(writer: W, sample_rate: u32) -> Result<Self, MediaError> {
        let spec = spec(IN_MEMORY, sample_rate)?;
        let inner = hound::WavWriter::new(writer, spec)
            .map_err(|error| wav_error(IN_MEMORY, "writing", error))?;
        Ok(WavWriter {
            inner,
            sample_rate,
            name: IN_MEMORY.to_owned(),
        })
    }

    /// The sample rate the writer was made for.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Appends `samples` (at the writer's rate).
    pub fn write_samples(&mut self, samples: &[i16]) -> Result<(), MediaError> {
        for &sample in samples {
            self.inner
                .write_sample(sample)
                .map_err(|error| wav_error(&self.name, "writing", error))?;
        }
        Ok(())
    }

    /// Appends a session's frame (G.711 is expanded). A frame at another rate than the
    /// writer's is refused rather than written at the wrong speed.
    pub fn write_frame(&mut self, frame: &AudioFrame) -> Result<(), MediaError> {
        if frame.format.sample_rate() != self.sample_rate {
            return Err(MediaError::Audio(format!(
                "{}: a {} frame is {} Hz, the WAV file is {} Hz",
                self.name,
                frame.format,
                frame.format.sample_rate(),
                self.sample_rate
            )));
        }
        self.write_samples(&frame.samples())
    }

    /// Completes the file (the header's lengths) and flushes it.
    pub fn finish(self) -> Result<(), MediaError> {
        let name = self.name;
        self.inner
            .finalize()
            .map_err(|error| wav_error(&name, "finishing", error))
    }
}

impl<W: Write + Seek> std::fmt::Debug for WavWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavWriter")
            .field("name", &self.name)
            .field("sample_rate", &self.sample_rate)
            .finish_non_exhaustive()
    }
}

fn spec(name: &str, sample_rate: u32) -> Result<hound::WavSpec, MediaError> {
    if sample_rate == 0 {
        return Err(MediaError::Audio(format!(
            "{name}: a WAV sample rate must be above 0 Hz"
        )));
    }
    Ok(hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    })
}

/// `samples` at `sample_rate` Hz as the bytes of a mono 16-bit WAV file.
///
/// Fails only for a zero rate or more audio than a WAV file can hold (4 GiB).
pub fn wav_bytes(sample_rate: u32, samples: &[i16]) -> Result<Vec<u8>, MediaError> {
    let mut bytes = Vec::with_capacity(44 + samples.len() * 2);
    let mut writer = WavWriter::new(Cursor::new(&mut bytes), sample_rate)?;
    writer.write_samples(samples)?;
    writer.finish()?;
    Ok(bytes)
}

/// The sample rate and mono 16-bit samples of the WAV file at `path`.
pub fn read_wav(path: impl AsRef<Path>) -> Result<(u32, Vec<i16>), MediaError> {
    let name = path.as_ref().display().to_string();
    let file = File::open(path.as_ref()).map_err(|source| MediaError::Io {
        transport: "wav",
        context: format!("opening {name}"),
        source,
    })?;
    decode(&name, std::io::BufReader::new(file))
}

/// The sample rate and mono 16-bit samples of in-memory WAV `bytes` (a recording ARI
/// served, for one).
pub fn parse_wav(bytes: &[u8]) -> Result<(u32, Vec<i16>), MediaError> {
    decode(IN_MEMORY, bytes)
}

fn decode(name: &str, source: impl Read) -> Result<(u32, Vec<i16>), MediaError> {
    let mut reader =
        hound::WavReader::new(source).map_err(|error| wav_error(name, "reading", error))?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    if channels == 0 || spec.sample_rate == 0 {
        return Err(MediaError::Audio(format!(
            "{name}: not a usable WAV file: {} channels at {} Hz",
            spec.channels, spec.sample_rate
        )));
    }
    // Every supported sample as a share of full scale (-1.0..1.0). Pushed one by one
    // rather than collected: the header's claimed length is not trusted for allocation.
    let mut interleaved: Vec<f64> = Vec::new();
    match spec.sample_format {
        hound::SampleFormat::Int if (1..=32).contains(&spec.bits_per_sample) => {
            let scale = 2f64.powi(i32::from(spec.bits_per_sample) - 1);
            for sample in reader.samples::<i32>() {
                let sample = sample.map_err(|error| wav_error(name, "reading", error))?;
                interleaved.push(f64::from(sample) / scale);
            }
        }
        hound::SampleFormat::Float if spec.bits_per_sample == 32 => {
            for sample in reader.samples::<f32>() {
                let sample = sample.map_err(|error| wav_error(name, "reading", error))?;
                let sample = f64::from(sample);
                interleaved.push(if sample.is_finite() { sample } else { 0.0 });
            }
        }
        format => {
            return Err(MediaError::Audio(format!(
                "{name}: unsupported WAV sample format: {}-bit {format:?}",
                spec.bits_per_sample
            )));
        }
    }
    let mono = interleaved
        .chunks_exact(channels)
        .map(|frame| {
            let mixed = frame.iter().sum::<f64>() / channels as f64 * 32_768.0;
            mixed
                .round()
                .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
        })
        .collect();
    Ok((spec.sample_rate, mono))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::analysis::tone_present;
    use crate::codec::tone::tone;
    use crate::format::AudioFormat;
    use std::time::{Duration, Instant};

    fn temp_path(what: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "ari-media-{what}-{}-{}.wav",
            std::process::id(),
            fastrand::u64(..)
        ))
    }

    #[test]
    fn memory_round_trip() {
        let samples = tone(1000.0, 0.5, 16_000, Duration::from_millis(100));
        let bytes = wav_bytes(16_000, &samples).unwrap();
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(bytes.len(), 44 + samples.len() * 2);
        assert_eq!(parse_wav(&bytes).unwrap(), (16_000, samples));
        assert_eq!(
            parse_wav(&wav_bytes(8_000, &[]).unwrap()).unwrap(),
            (8_000, vec![])
        );
    }

    #[test]
    fn disk_round_trip_with_frames() {
        let path = temp_path("round-trip");
        let samples = tone(440.0, 0.5, 8_000, Duration::from_millis(60));
        let mut writer = WavWriter::create(&path, 8_000).unwrap();
        for chunk in samples.chunks(160) {
            let frame = AudioFrame {
                format: AudioFormat::Slin,
                payload: crate::codec::from_linear(AudioFormat::Slin, chunk).into(),
                sequence: None,
                timestamp: None,
                received_at: Instant::now(),
            };
            writer.write_frame(&frame).unwrap();
        }
        let wrong_rate = AudioFrame {
            format: AudioFormat::Slin16,
            payload: vec![0; 640].into(),
            sequence: None,
            timestamp: None,
            received_at: Instant::now(),
        };
        let error = writer.write_frame(&wrong_rate).unwrap_err().to_string();
        assert!(
            error.contains("16000 Hz") && error.contains(&*path.to_string_lossy()),
            "{error}"
        );
        writer.finish().unwrap();
        let read = read_wav(&path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(read.unwrap(), (8_000, samples));
    }

    #[test]
    fn stereo_and_other_depths_are_converted() {
        let tone_16 = tone(1000.0, 0.5, 8_000, Duration::from_millis(100));
        let mut bytes = Vec::new();
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8_000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::new(Cursor::new(&mut bytes), spec).unwrap();
        for &sample in &tone_16 {
            // Left carries the tone, right is silent: the mix is half as loud.
            writer.write_sample(f32::from(sample) / 32_768.0).unwrap();
            writer.write_sample(0.0f32).unwrap();
        }
        writer.finalize().unwrap();
        let (rate, mono) = parse_wav(&bytes).unwrap();
        assert_eq!(rate, 8_000);
        assert_eq!(mono.len(), tone_16.len());
        assert!(
            mono.iter()
                .zip(&tone_16)
                .all(|(&m, &t)| (i32::from(m) - i32::from(t) / 2).abs() <= 1)
        );
        assert!(tone_present(&mono, 8_000, 1000.0));

        let mut bytes = Vec::new();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8_000,
            bits_per_sample: 8,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::new(Cursor::new(&mut bytes), spec).unwrap();
        for sample in [-128i8, 0, 127] {
            writer.write_sample(sample).unwrap();
        }
        writer.finalize().unwrap();
        assert_eq!(parse_wav(&bytes).unwrap().1, vec![-32_768, 0, 32_512]);
    }

    #[test]
    fn corrupt_wav_gives_a_clear_error() {
        let error = parse_wav(b"this is not a wav file at all")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("WAV data") && error.contains("not a usable WAV"),
            "{error}"
        );

        // A file cut short in its data: named, and called truncated.
        let bytes = wav_bytes(8_000, &[1, 2, 3, 4]).unwrap();
        let path = temp_path("truncated");
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let result = read_wav(&path);
        std::fs::remove_file(&path).unwrap();
        let error = result.unwrap_err().to_string();
        assert!(
            error.contains(&*path.to_string_lossy()) && error.contains("truncated"),
            "{error}"
        );

        let missing = temp_path("missing");
        let error = read_wav(&missing).unwrap_err();
        assert!(
            matches!(
                error,
                MediaError::Io {
                    transport: "wav",
                    ..
                }
            ),
            "{error}"
        );
        assert!(
            error.to_string().contains(&*missing.to_string_lossy()),
            "{error}"
        );

        assert!(parse_wav(&[]).is_err());
        assert!(wav_bytes(0, &[1]).is_err());
    }
}
