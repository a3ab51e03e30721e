//! Asterisk's timestamps: `2013-10-15T15:54:12.626-0500`, an offset without a colon,
//! which a plain RFC 3339 parser rejects.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset};

/// A point in time as Asterisk writes it. Serializes back to the same text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    time: DateTime<FixedOffset>,
    /// Digits of the fraction as received (Asterisk sends 3), so the text round-trips.
    fraction_digits: u8,
}

/// Text that is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an Asterisk timestamp (expected e.g. 2013-10-15T15:54:12.626-0500)")]
pub struct TimestampError {
    text: String,
}

impl Timestamp {
    /// The date-time, for arithmetic and conversion.
    pub fn as_datetime(&self) -> DateTime<FixedOffset> {
        self.time
    }
    /// Parses Asterisk's format; also accepts `Z` and `+05:00` offsets, and any fraction.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        match parse_asterisk_layout(text.as_bytes()) {
            Some(timestamp) => Ok(timestamp),
            None => Timestamp::parse_general(text),
        }
    }

    /// Any layout [`Timestamp::parse`] accepts, through chrono's format parser (several
    /// times slower than the fixed layout every Asterisk event carries).
    fn parse_general(text: &str) -> Result<Timestamp, TimestampError> {
        let error = || TimestampError {
            text: text.chars().take(64).collect(),
        };
        let t = text.find('T').ok_or_else(error)?;
        let (offset_at, offset) = match text.strip_suffix('Z') {
            Some(rest) => (rest.len(), FixedOffset::east_opt(0).ok_or_else(error)?),
            None => {
                let at = text[t..]
                    .rfind(['+', '-'])
                    .map(|i| t + i)
                    .ok_or_else(error)?;
                (at, parse_offset(&text[at..]).ok_or_else(error)?)
            }
        };
        let local = &text[..offset_at];
        let fraction_digits = match local.find('.') {
            Some(dot) => {
                let digits = &local[dot + 1..];
                if digits.is_empty()
                    || digits.len() > 9
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(error());
                }
                digits.len() as u8
            }
            None => 0,
        };
        let naive =
            NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| error())?;
        let time = naive
            .and_local_timezone(offset)
            .single()
            .ok_or_else(error)?;
        Ok(Timestamp {
            time,
            fraction_digits,
        })
    }
}

/// The layout Asterisk writes, exactly: `2013-10-15T15:54:12.626-0500` (28 bytes), read
/// digit by digit; `None` for anything else, which then takes the general path (that is
/// also where errors are worded).
fn parse_asterisk_layout(b: &[u8]) -> Option<Timestamp> {
    const LAYOUT: &[u8; 28] = b"dddd-dd-ddTdd:dd:dd.ddd+dddd";
    if b.len() != LAYOUT.len() {
        return None;
    }
    for (&byte, &want) in b.iter().zip(LAYOUT) {
        let fits = match want {
            b'd' => byte.is_ascii_digit(),
            b'+' => byte == b'+' || byte == b'-',
            _ => byte == want,
        };
        if !fits {
            return None;
        }
    }
    let number = |from: usize, to: usize| {
        b[from..to]
            .iter()
            .fold(0u32, |n, digit| n * 10 + u32::from(digit - b'0'))
    };
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(number(0, 4)).ok()?,
        number(5, 7),
        number(8, 10),
    )?;
    let time = chrono::NaiveTime::from_hms_milli_opt(
        number(11, 13),
        number(14, 16),
        number(17, 19),
        number(20, 23),
    )?;
    let (hours, minutes) = (number(24, 26), number(26, 28));
    if minutes >= 60 {
        return None;
    }
    let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
    let offset = FixedOffset::east_opt(if b[23] == b'-' { -seconds } else { seconds })?;
    let time = date.and_time(time).and_local_timezone(offset).single()?;
    Some(Timestamp {
        time,
        fraction_digits: 3,
    })
}

/// `+0500`, `-05:00`, `+05`.
fn parse_offset(text: &str) -> Option<FixedOffset> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = text[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !(digits.len() == 2 || digits.len() == 4) {
        return None;
    }
    if text[1..].contains(':') && text.len() != 6 {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    if minutes >= 60 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

impl From<DateTime<FixedOffset>> for Timestamp {
    fn from(time: DateTime<FixedOffset>) -> Self {
        Timestamp {
            time,
            fraction_digits: 3,
        }
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.time.format("%Y-%m-%dT%H:%M:%S"))?;
        if self.fraction_digits > 0 {
            let nanos = format!("{:09}", self.time.timestamp_subsec_nanos() % 1_000_000_000);
            write!(f, ".{}", &nanos[..usize::from(self.fraction_digits)])?;
        }
        let seconds = self.time.offset().fix().local_minus_utc();
        let sign = if seconds < 0 { '-' } else { '+' };
        let seconds = seconds.abs();
        write!(f, "{sign}{:02}{:02}", seconds / 3600, (seconds % 3600) / 60)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an Asterisk timestamp string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asterisk_format_round_trips() {
        for text in [
            "2013-10-15T15:54:12.626-0500",
            "2026-11-27T10:36:17.719+0000",
            "2020-01-01T00:00:00+0530",
            "2020-01-01T00:00:00.123456+0100",
        ] {
            let t = Timestamp::parse(text).unwrap();
            assert_eq!(t.to_string(), text);
        }
        let t = Timestamp::parse("2013-10-15T15:54:12.626-0500").unwrap();
        assert_eq!(
            t.as_datetime().to_rfc3339(),
            "2013-10-15T15:54:12.626-05:00"
        );
    }

    #[test]
    fn the_fixed_layout_agrees_with_the_general_parser() {
        for text in [
            "2013-10-15T15:54:12.626-0500",
            "2026-11-27T10:36:17.719+0000",
            "2024-02-29T23:59:59.999+1345",
            "1970-01-01T00:00:00.000-1200",
        ] {
            let fast = parse_asterisk_layout(text.as_bytes()).expect(text);
            assert_eq!(Ok(fast), Timestamp::parse_general(text), "{text}");
            assert_eq!(fast.to_string(), text);
        }
        // The layout's shape, but not a time: the general path words the error.
        for text in [
            "2023-02-29T00:00:00.000+0000",
            "2013-10-15T24:00:00.000+0000",
            "2013-10-15T15:54:12.626+0560",
            "2013-13-15T15:54:12.626+0500",
        ] {
            assert_eq!(parse_asterisk_layout(text.as_bytes()), None, "{text}");
            assert!(Timestamp::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn other_offsets_are_accepted() {
        let z = Timestamp::parse("2013-10-15T20:54:12.626Z").unwrap();
        let colon = Timestamp::parse("2013-10-15T15:54:12.626-05:00").unwrap();
        assert_eq!(z.as_datetime(), colon.as_datetime());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "",
            "T",
            "2013-10-15",
            "2013-10-15T15:54:12.-0500",
            "2013-10-15T15:54:12+05000",
            "x-",
            "ü+0000",
            "2013-10-15T25:00:00+0000",
            "2013-10-15T15:54:12+05:0",
        ] {
            assert!(Timestamp::parse(text).is_err(), "{text}");
        }
    }
}
