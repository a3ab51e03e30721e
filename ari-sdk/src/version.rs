//! Asterisk versions, and whether a server has an operation given its `since` list.

use std::fmt;
use std::str::FromStr;

/// An Asterisk release, e.g. `22.10.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AsteriskVersion {
    /// The release line, e.g. `22`.
    pub major: u32,
    /// The minor release within the line.
    pub minor: u32,
    /// The patch release.
    pub patch: u32,
}

/// Text that is not an Asterisk release number (e.g. a `GIT-master-...` build).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an Asterisk release number")]
pub struct VersionError(String);

impl AsteriskVersion {
    /// `major.minor.patch`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        AsteriskVersion {
            major,
            minor,
            patch,
        }
    }
}

impl FromStr for AsteriskVersion {
    type Err = VersionError;
    /// Accepts `22.10.1`, `22.10.1-rc2`, `certified/18.9-cert5` (read as 18.9.0).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || VersionError(text.chars().take(64).collect());
        let start = text.find(|c: char| c.is_ascii_digit()).ok_or_else(error)?;
        if text[..start].chars().any(|c| c.is_ascii_alphanumeric())
            && !text.starts_with("certified/")
        {
            return Err(error());
        }
        let mut numbers = text[start..]
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .map(|n| n.parse::<u32>());
        let major = numbers.next().and_then(Result::ok).ok_or_else(error)?;
        let minor = numbers.next().and_then(Result::ok).unwrap_or(0);
        let patch = numbers.next().and_then(Result::ok).unwrap_or(0);
        Ok(AsteriskVersion {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for AsteriskVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Whether a server of `version` has an operation whose spec says `since`.
///
/// Asterisk lists one release per line that got the operation, e.g.
/// `["20.17.0", "22.7.0", "23.1.0"]`: a listed line has it from that release on; a line
/// newer than every listed one inherited it; a line between listed ones (21 here) or
/// older than all of them never got it. An empty list means "always there".
pub fn supports(since: &[&str], version: AsteriskVersion) -> bool {
    let mut listed: Vec<AsteriskVersion> = since.iter().filter_map(|s| s.parse().ok()).collect();
    if listed.is_empty() {
        return true;
    }
    listed.sort();
    if let Some(same_line) = listed.iter().find(|v| v.major == version.major) {
        return version >= *same_line;
    }
    listed
        .last()
        .is_some_and(|newest| version.major > newest.major)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> AsteriskVersion {
        text.parse().unwrap()
    }

    #[test]
    fn backported_operations_follow_their_lines() {
        let since = ["20.17.0", "22.7.0", "23.1.0"];
        assert!(supports(&since, v("20.18.0")));
        assert!(!supports(&since, v("20.16.9")));
        assert!(!supports(&since, v("21.12.3")));
        assert!(supports(&since, v("22.7.0")));
        assert!(!supports(&since, v("22.6.0")));
        assert!(supports(&since, v("24.0.0")));
        assert!(!supports(&since, v("18.26.4")));
        assert!(supports(&["12.0.0"], v("16.0.0")));
        assert!(supports(&[], v("1.0.0")));
    }

    #[test]
    fn versions_parse_from_what_servers_report() {
        assert_eq!(v("22.10.1"), AsteriskVersion::new(22, 10, 1));
        assert_eq!(v("22.10.1-rc2"), AsteriskVersion::new(22, 10, 1));
        assert_eq!(v("certified/18.9-cert5"), AsteriskVersion::new(18, 9, 0));
        assert!("GIT-master-abc123".parse::<AsteriskVersion>().is_err());
        assert!("".parse::<AsteriskVersion>().is_err());
    }
}
