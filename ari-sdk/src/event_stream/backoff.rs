//! Reconnect delays: exponential, jittered, bounded.

use std::time::Duration;

/// Delay before reconnect attempt `attempt` (1-based): `initial * 2^(attempt-1)`, capped at
/// `max`, then drawn uniformly from its upper half so that many clients restarted together
/// do not reconnect in step.
pub(crate) fn delay(attempt: u32, initial: Duration, max: Duration) -> Duration {
    let exponent = attempt.saturating_sub(1).min(31);
    let full = initial.saturating_mul(1u32 << exponent).min(max);
    let half = full / 2;
    half + full.saturating_sub(half).mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_stay_within_the_maximum() {
        let initial = Duration::from_millis(100);
        let max = Duration::from_secs(5);
        for attempt in 1..200 {
            let d = delay(attempt, initial, max);
            let full = (initial * 2u32.saturating_pow(attempt - 1).min(1 << 20)).min(max);
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} not in [{:?}, {full:?}]",
                full / 2
            );
        }
        assert!(delay(1, initial, max) <= initial);
        assert!(delay(40, initial, max) >= max / 2);
    }
}
