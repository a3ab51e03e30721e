//! TEMPORARY stand-in for the generator's list-argument trait (merged from issue-13-gen).
pub trait IntoStrings {
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
impl<S: Into<String>, const N: usize> IntoStrings for [S; N] {
    fn into_strings(self) -> Vec<String> {
        self.into_iter().map(Into::into).collect()
    }
}
impl<S: Into<String>> IntoStrings for Vec<S> {
    fn into_strings(self) -> Vec<String> {
        self.into_iter().map(Into::into).collect()
    }
}
