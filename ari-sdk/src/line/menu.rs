// A menu: prompt, collect, match, retry, give up.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use super::{Call, Played, Step, deadline};
use crate::Result;

/// How a menu ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MenuChoice {
    /// The caller entered one of the choices.
    Chosen(String),
    /// Every attempt ended in invalid input or silence.
    GaveUp,
    /// The caller hung up or the channel left the application.
    CallerGone,
}

/// A menu: [`Call::menu`]. `.await` runs it.
///
/// Each attempt plays the prompt with barge-in, then reads digits until they match a
/// choice (as soon as no longer choice could still match), cannot match any, a
/// terminator (`#`) ends them, or the caller stays silent. Invalid input plays the
/// `invalid` media, silence the `no_input` media (when set), and the menu starts over,
/// up to `attempts` times (default [`DEFAULT_MENU_ATTEMPTS`](crate::DEFAULT_MENU_ATTEMPTS)),
/// with the typed-ahead digits cleared. Timeouts: [`DEFAULT_FIRST_DIGIT_TIMEOUT`](crate::DEFAULT_FIRST_DIGIT_TIMEOUT)
/// for the first digit after the prompt, [`DEFAULT_BETWEEN_DIGITS_TIMEOUT`](crate::DEFAULT_BETWEEN_DIGITS_TIMEOUT)
/// between digits.
pub struct Menu<'a> {
    call: &'a mut Call,
    prompt: Vec<String>,
    choices: Vec<String>,
    attempts: u32,
    invalid: Vec<String>,
    no_input: Vec<String>,
    first_digit: Duration,
    between_digits: Duration,
}

/// Where the digits entered so far stand against the choices.
enum Match {
    /// A choice, and no longer choice starts with it.
    Chosen,
    /// A prefix of some choice: keep reading.
    Partial,
    /// No choice starts with it.
    Invalid,
}

fn classify(choices: &[String], digits: &str) -> Match {
    let exact = choices.iter().any(|c| c == digits);
    let longer = choices
        .iter()
        .any(|c| c.len() > digits.len() && c.starts_with(digits));
    match (exact, longer) {
        (true, false) => Match::Chosen,
        (_, true) => Match::Partial,
        (false, false) => Match::Invalid,
    }
}

impl<'a> Menu<'a> {
    pub(crate) fn new(call: &'a mut Call, prompt: Vec<String>) -> Menu<'a> {
        Menu {
            call,
            prompt,
            choices: Vec::new(),
            attempts: crate::DEFAULT_MENU_ATTEMPTS,
            invalid: Vec::new(),
            no_input: Vec::new(),
            first_digit: crate::DEFAULT_FIRST_DIGIT_TIMEOUT,
            between_digits: crate::DEFAULT_BETWEEN_DIGITS_TIMEOUT,
        }
    }
    /// The valid entries, e.g. `["1", "2", "9"]` or `["100", "200"]`.
    pub fn choices<I, S>(mut self, choices: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.choices = choices.into_iter().map(Into::into).collect();
        self
    }
    /// How many times the menu is offered (at least 1).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }
    /// Played after an entry that is not a choice.
    pub fn invalid(mut self, media: impl crate::IntoStrings) -> Self {
        self.invalid = media.into_strings();
        self
    }
    /// Played after silence.
    pub fn no_input(mut self, media: impl crate::IntoStrings) -> Self {
        self.no_input = media.into_strings();
        self
    }
    /// How long to wait for the first digit after the prompt.
    pub fn first_digit_timeout(mut self, limit: Duration) -> Self {
        self.first_digit = limit;
        self
    }
    /// How long to wait for each following digit.
    pub fn inter_digit_timeout(mut self, limit: Duration) -> Self {
        self.between_digits = limit;
        self
    }

    async fn run(mut self) -> Result<MenuChoice> {
        for attempt in 1..=self.attempts {
            if attempt > 1 {
                self.call.take_typed_ahead();
            }
            let played = self.call.play(self.prompt.clone()).barge_in(true).await?;
            if played == Played::CallerGone {
                return Ok(MenuChoice::CallerGone);
            }
            let Some(entry) = self.read_entry().await? else {
                return Ok(MenuChoice::CallerGone);
            };
            if let Entry::Chosen(choice) = entry {
                return Ok(MenuChoice::Chosen(choice));
            }
            let notice = match entry {
                Entry::Silence => &self.no_input,
                _ => &self.invalid,
            };
            if !notice.is_empty() && self.call.play(notice.clone()).await? == Played::CallerGone {
                return Ok(MenuChoice::CallerGone);
            }
        }
        Ok(MenuChoice::GaveUp)
    }

    /// Reads one entry; `None` when the caller left.
    async fn read_entry(&mut self) -> Result<Option<Entry>> {
        let mut digits = String::new();
        let mut until = deadline(self.first_digit);
        loop {
            while let Some(digit) = self.call.typed_ahead.pop_front() {
                if digit == '#' {
                    return Ok(Some(self.judge(digits)));
                }
                digits.push(digit);
                match classify(&self.choices, &digits) {
                    Match::Chosen => return Ok(Some(Entry::Chosen(digits))),
                    Match::Invalid => return Ok(Some(Entry::Invalid)),
                    Match::Partial => until = deadline(self.between_digits),
                }
            }
            match self.call.step(Some(until)).await? {
                Step::Digit | Step::Event(_) => {}
                Step::Gone => return Ok(None),
                Step::TimedOut if digits.is_empty() => return Ok(Some(Entry::Silence)),
                Step::TimedOut => return Ok(Some(self.judge(digits))),
            }
        }
    }

    /// An entry ended by `#` or a pause: a choice if it is one.
    fn judge(&self, digits: String) -> Entry {
        if self.choices.contains(&digits) {
            Entry::Chosen(digits)
        } else if digits.is_empty() {
            Entry::Silence
        } else {
            Entry::Invalid
        }
    }
}

enum Entry {
    Chosen(String),
    Invalid,
    Silence,
}

impl<'a> IntoFuture for Menu<'a> {
    type Output = Result<MenuChoice>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<MenuChoice>> + Send + 'a>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

#[cfg(test)]
mod tests {
    use super::{Match, classify};

    #[test]
    fn entries_are_judged_as_soon_as_they_can_be() {
        let choices: Vec<String> = ["1", "2", "20", "300"].map(String::from).to_vec();
        assert!(matches!(classify(&choices, "1"), Match::Chosen));
        assert!(matches!(classify(&choices, "2"), Match::Partial));
        assert!(matches!(classify(&choices, "20"), Match::Chosen));
        assert!(matches!(classify(&choices, "30"), Match::Partial));
        assert!(matches!(classify(&choices, "4"), Match::Invalid));
        assert!(matches!(classify(&choices, "31"), Match::Invalid));
    }
}
