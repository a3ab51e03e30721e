//! Media URIs: the schemes Asterisk plays, checked before a play request leaves.

/// The media URI schemes Asterisk plays (as read from Asterisk 22's
/// `res_stasis_playback.c`), matched case-sensitively at the start of each URI:
///
/// - `sound:` a sound file by name (`sound:hello-world`); a URL given this way
///   (`sound:https://example.com/prompt.wav`) is fetched through Asterisk's HTTP media
///   cache;
/// - `recording:` a stored recording (`recording:greeting`);
/// - `number:` a number said aloud (`number:42`);
/// - `digits:` digits said one by one (`digits:1234`);
/// - `characters:` characters spelled out (`characters:abc`);
/// - `tone:` a tone (`tone:ring`).
///
/// Asterisk accepts any other text with `201 Created` and then skips it without a
/// `PlaybackFinished` event (a bare `https://...` included), so the SDK refuses it before
/// sending with [`Error::InvalidArgument`](crate::Error::InvalidArgument).
pub const MEDIA_SCHEMES: &[&str] = &[
    "sound:",
    "recording:",
    "number:",
    "digits:",
    "characters:",
    "tone:",
];

/// Why a list of media URIs cannot be played, if it cannot.
pub(crate) fn media_problem(values: &[String]) -> Option<String> {
    if values.is_empty() {
        return Some("at least one media URI is needed".to_owned());
    }
    let bad = values
        .iter()
        .find(|v| !MEDIA_SCHEMES.iter().any(|s| v.starts_with(s)))?;
    let known = MEDIA_SCHEMES
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let shown: String = bad.chars().take(200).collect();
    let mut reason = format!(
        "`{shown}` does not start with a media scheme Asterisk plays ({known}); Asterisk \
         would accept it and play nothing"
    );
    let lower = bad.to_ascii_lowercase();
    if lower.starts_with("http:") || lower.starts_with("https:") {
        reason.push_str(&format!(
            "; Asterisk fetches a remote file given as `sound:{shown}` (through its HTTP media \
             cache)"
        ));
    } else if let Some(scheme) = MEDIA_SCHEMES
        .iter()
        .find(|s| lower.starts_with(&s.to_ascii_lowercase()))
    {
        reason.push_str(&format!("; schemes are case-sensitive: `{scheme}`"));
    } else if !bad.contains(':') && !bad.is_empty() {
        reason.push_str(&format!("; a sound file by name is `sound:{shown}`"));
    }
    Some(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(values: &[&str]) -> Option<String> {
        media_problem(&values.iter().map(|v| v.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn every_known_scheme_passes() {
        for scheme in MEDIA_SCHEMES {
            assert_eq!(problem(&[&format!("{scheme}x")]), None, "{scheme}");
        }
        assert_eq!(problem(&["sound:https://example.com/a.wav"]), None);
    }

    #[test]
    fn unknown_or_missing_schemes_are_named_with_the_known_ones() {
        let reason = problem(&["sound:ok", "hello-world"]).unwrap();
        assert!(reason.contains("`hello-world`"), "{reason}");
        assert!(reason.contains("`sound:hello-world`"), "{reason}");
        for scheme in MEDIA_SCHEMES {
            assert!(reason.contains(scheme), "{reason}");
        }
        let reason = problem(&["https://example.com/a.wav"]).unwrap();
        assert!(
            reason.contains("`sound:https://example.com/a.wav`"),
            "{reason}"
        );
        let reason = problem(&["Sound:beep"]).unwrap();
        assert!(reason.contains("case-sensitive"), "{reason}");
        assert!(problem(&["video:x"]).is_some());
        assert!(problem(&[""]).is_some());
        assert!(problem(&[]).unwrap().contains("at least one"));
    }
}
