//! The audio formats a media session carries, named as Asterisk names them.

use std::time::Duration;

/// An audio format of `channels.externalMedia` (its `format` parameter).
///
/// Only formats the library can frame, pace and convert are listed; asking Asterisk for
/// another is [`MediaError::UnsupportedFormat`](crate::MediaError::UnsupportedFormat).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioFormat {
    /// G.711 μ-law, 8 kHz, one byte per sample.
    Ulaw,
    /// G.711 A-law, 8 kHz, one byte per sample.
    Alaw,
    /// Signed linear 16-bit PCM, 8 kHz (Asterisk's `slin`).
    Slin,
    /// Signed linear 16-bit PCM, 16 kHz (Asterisk's `slin16`).
    Slin16,
}

/// Every supported format, in the order errors list them.
pub const ALL_FORMATS: [AudioFormat; 4] = [
    AudioFormat::Ulaw,
    AudioFormat::Alaw,
    AudioFormat::Slin,
    AudioFormat::Slin16,
];

impl AudioFormat {
    /// The name Asterisk uses (`ulaw`, `alaw`, `slin`, `slin16`).
    pub fn asterisk_name(self) -> &'static str {
        match self {
            AudioFormat::Ulaw => "ulaw",
            AudioFormat::Alaw => "alaw",
            AudioFormat::Slin => "slin",
            AudioFormat::Slin16 => "slin16",
        }
    }

    /// The format Asterisk calls `name`; `None` for formats this library does not carry.
    pub fn from_asterisk_name(name: &str) -> Option<AudioFormat> {
        ALL_FORMATS
            .into_iter()
            .find(|format| format.asterisk_name().eq_ignore_ascii_case(name))
    }

    /// Samples per second.
    pub fn sample_rate(self) -> u32 {
        match self {
            AudioFormat::Slin16 => 16_000,
            _ => 8_000,
        }
    }

    /// Bytes one sample takes on the wire.
    pub fn bytes_per_sample(self) -> usize {
        match self {
            AudioFormat::Ulaw | AudioFormat::Alaw => 1,
            AudioFormat::Slin | AudioFormat::Slin16 => 2,
        }
    }

    /// Samples in `duration` of audio.
    pub fn samples_in(self, duration: Duration) -> usize {
        (u128::from(self.sample_rate()) * duration.as_micros() / 1_000_000) as usize
    }

    /// Bytes in `duration` of audio.
    pub fn bytes_in(self, duration: Duration) -> usize {
        self.samples_in(duration) * self.bytes_per_sample()
    }
}

impl std::fmt::Display for AudioFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.asterisk_name())
    }
}

impl std::str::FromStr for AudioFormat {
    type Err = crate::MediaError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        AudioFormat::from_asterisk_name(name)
            .ok_or_else(|| crate::MediaError::UnsupportedFormat(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_milliseconds_of_each_format() {
        let frame = Duration::from_millis(20);
        let bytes: Vec<usize> = ALL_FORMATS.iter().map(|f| f.bytes_in(frame)).collect();
        assert_eq!(bytes, [160, 160, 320, 640]);
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for format in ALL_FORMATS {
            assert_eq!(
                format.asterisk_name().parse::<AudioFormat>().unwrap(),
                format
            );
        }
        let error = "opus".parse::<AudioFormat>().unwrap_err();
        assert!(error.to_string().contains("opus"), "{error}");
        assert!(error.to_string().contains("slin16"), "{error}");
    }
}
