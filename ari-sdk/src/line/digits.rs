// Collecting the digits a caller presses.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use super::{Call, Step, deadline};
use crate::Result;

/// Why digit collection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigitsEnd {
    /// The caller pressed a terminator (not part of the digits).
    Terminator(char),
    /// The maximum number of digits arrived.
    MaxDigits,
    /// No digit within the first-digit timeout, or none within the inter-digit timeout.
    TimedOut,
    /// The caller hung up or the channel left the application.
    CallerGone,
}

/// The digits collected and why collection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digits {
    /// Digits in the order pressed, terminator excluded.
    pub digits: String,
    /// Why collection ended.
    pub end: DigitsEnd,
}

impl Digits {
    /// Ended by a terminator or the maximum count (not by a timeout or a hang-up).
    pub fn is_complete(&self) -> bool {
        matches!(self.end, DigitsEnd::Terminator(_) | DigitsEnd::MaxDigits)
    }
}

/// Digit collection: [`Call::collect_digits`]. `.await` collects.
///
/// Digits the caller typed ahead (during a prompt, before this was called) count first.
/// Defaults: at most [`DEFAULT_MAX_DIGITS`](crate::DEFAULT_MAX_DIGITS) digits,
/// [`DEFAULT_TERMINATORS`](crate::DEFAULT_TERMINATORS) terminates,
/// [`DEFAULT_FIRST_DIGIT_TIMEOUT`](crate::DEFAULT_FIRST_DIGIT_TIMEOUT) for the first digit,
/// [`DEFAULT_BETWEEN_DIGITS_TIMEOUT`](crate::DEFAULT_BETWEEN_DIGITS_TIMEOUT) between digits;
/// the wait is bounded by these timeouts.
pub struct CollectDigits<'a> {
    call: &'a mut Call,
    max: usize,
    terminators: String,
    first_digit: Duration,
    between_digits: Duration,
}

impl<'a> CollectDigits<'a> {
    pub(crate) fn new(call: &'a mut Call) -> CollectDigits<'a> {
        CollectDigits {
            call,
            max: crate::DEFAULT_MAX_DIGITS,
            terminators: crate::DEFAULT_TERMINATORS.to_owned(),
            first_digit: crate::DEFAULT_FIRST_DIGIT_TIMEOUT,
            between_digits: crate::DEFAULT_BETWEEN_DIGITS_TIMEOUT,
        }
    }
    /// The most digits to collect (at least 1).
    pub fn max_digits(mut self, max: usize) -> Self {
        self.max = max.max(1);
        self
    }
    /// Digits that end collection (e.g. `"#"`, `"#*"`; `""` for none).
    pub fn terminators(mut self, terminators: impl Into<String>) -> Self {
        self.terminators = terminators.into();
        self
    }
    /// How long to wait for the first digit.
    pub fn first_digit_timeout(mut self, limit: Duration) -> Self {
        self.first_digit = limit;
        self
    }
    /// How long to wait for each following digit.
    pub fn inter_digit_timeout(mut self, limit: Duration) -> Self {
        self.between_digits = limit;
        self
    }

    async fn run(self) -> Result<Digits> {
        let CollectDigits {
            call,
            max,
            terminators,
            first_digit,
            between_digits,
        } = self;
        let mut digits = String::new();
        let mut until = deadline(first_digit);
        let done = |digits: String, end| Ok(Digits { digits, end });
        loop {
            while let Some(digit) = call.typed_ahead.pop_front() {
                if terminators.contains(digit) {
                    return done(digits, DigitsEnd::Terminator(digit));
                }
                digits.push(digit);
                if digits.chars().count() >= max {
                    return done(digits, DigitsEnd::MaxDigits);
                }
                until = deadline(between_digits);
            }
            match call.step(Some(until)).await? {
                Step::Digit | Step::Event(_) => {}
                Step::Gone => return done(digits, DigitsEnd::CallerGone),
                Step::TimedOut => return done(digits, DigitsEnd::TimedOut),
            }
        }
    }
}

impl<'a> IntoFuture for CollectDigits<'a> {
    type Output = Result<Digits>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Digits>> + Send + 'a>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
