//! One string or several, for parameters the spec types as a list of strings.

/// One string or several: what list-of-strings parameters take (`media` of `play`,
/// `channel` of `addChannel`, `variables` of `getChannelVars`, ...).
///
/// One value and many read the same way:
///
/// ```no_run
/// # async fn demo(client: ari_sdk::Client) -> ari_sdk::Result<()> {
/// let channel = client.channel("1700000000.1");
/// channel.play("sound:hello-world").await?;                        // one
/// channel.play(["sound:hello-world", "sound:beep"]).await?;        // an array
/// let prompts: Vec<String> = vec!["digits:42".into(), "sound:beep".into()];
/// channel.play(&prompts).await?;                                   // borrowed...
/// channel.play(prompts).await?;                                    // ...or owned
/// # Ok(())
/// # }
/// ```
///
/// Implemented for `&str`, `String`, `&String`, `Cow<str>`, and for arrays, `Vec`s and
/// slices of anything that converts into a `String`. An iterator is not accepted as it
/// is: collect it into a `Vec` first, so that one string is never mistaken for a
/// sequence of characters.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not one string or a list of strings",
    label = "expected a string, or an array, `Vec` or slice of strings",
    note = "pass one value (`\"sound:beep\"`) or several (`[\"sound:a\", \"sound:b\"]`, a `Vec`, a slice); collect an iterator into a `Vec` first"
)]
pub trait IntoStrings {
    /// The values, in order.
    fn into_strings(self) -> Vec<String>;
}

impl IntoStrings for &str {
    fn into_strings(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}

impl IntoStrings for String {
    fn into_strings(self) -> Vec<String> {
        vec![self]
    }
}

impl IntoStrings for &String {
    fn into_strings(self) -> Vec<String> {
        vec![self.clone()]
    }
}

impl IntoStrings for std::borrow::Cow<'_, str> {
    fn into_strings(self) -> Vec<String> {
        vec![self.into_owned()]
    }
}

impl<S: Into<String>, const N: usize> IntoStrings for [S; N] {
    fn into_strings(self) -> Vec<String> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<S: AsRef<str>, const N: usize> IntoStrings for &[S; N] {
    fn into_strings(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

impl<S: Into<String>> IntoStrings for Vec<S> {
    fn into_strings(self) -> Vec<String> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<S: AsRef<str>> IntoStrings for &Vec<S> {
    fn into_strings(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

impl<S: AsRef<str>> IntoStrings for &[S] {
    fn into_strings(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::IntoStrings;

    fn strings(v: impl IntoStrings) -> Vec<String> {
        v.into_strings()
    }

    #[test]
    fn one_value_is_one_string() {
        assert_eq!(strings("sound:beep"), ["sound:beep"]);
        assert_eq!(strings(String::from("sound:beep")), ["sound:beep"]);
        let owned = String::from("sound:beep");
        assert_eq!(strings(&owned), [owned.as_str()]);
        assert_eq!(
            strings(std::borrow::Cow::Borrowed("sound:beep")),
            ["sound:beep"]
        );
    }

    #[test]
    fn several_values_keep_their_order() {
        let owned = vec![String::from("a"), String::from("b")];
        assert_eq!(strings(["a", "b"]), ["a", "b"]);
        let array = [String::from("a"), String::from("b")];
        assert_eq!(strings(&array), array);
        assert_eq!(strings(&owned), ["a", "b"]);
        assert_eq!(strings(&owned[..]), ["a", "b"]);
        assert_eq!(strings(owned.clone()), ["a", "b"]);
        assert_eq!(strings(vec!["a", "b"]), ["a", "b"]);
        let refs = [&owned[0], &owned[1]];
        assert_eq!(strings(refs), ["a", "b"]);
        assert!(strings(Vec::<String>::new()).is_empty());
    }
}
