//! The one error of the code generator: what went wrong, in which file, where in it.

use std::fmt;

/// A spec the generator cannot map, or cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The file, e.g. `channels.json`.
    pub file: String,
    /// JSON location inside the file, e.g. `apis[3].operations[0].parameters[1].dataType`;
    /// empty when the problem is the file as a whole.
    pub location: String,
    pub message: String,
}

impl SpecError {
    pub fn new(file: &str, location: impl Into<String>, message: impl Into<String>) -> Self {
        SpecError {
            file: file.to_owned(),
            location: location.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{} at `{}`: {}", self.file, self.location, self.message)
        }
    }
}

impl std::error::Error for SpecError {}
