//! Bounded retries with exponential backoff for transient registry failures.

use std::time::Duration;

/// How often and how long to retry connection errors, timeouts, 429 and 5xx answers.
///
/// Attempts stop at `max_attempts`, and no new attempt starts once `max_elapsed` would be
/// exceeded by the next delay, so a dead registry fails within a known time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, including the first (at least 1).
    pub max_attempts: u32,
    /// The delay before the second attempt; doubled for each further one.
    pub initial_delay: Duration,
    /// The longest single delay.
    pub max_delay: Duration,
    /// No attempt starts after this much time has passed since the first.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(4),
            max_elapsed: Duration::from_secs(15),
        }
    }
}

impl RetryPolicy {
    /// A single attempt, no retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The delay after failed attempt number `attempt` (1-based).
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_delay
            .saturating_mul(factor)
            .min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum() {
        let policy = RetryPolicy::default();
        let delays: Vec<u64> = (1..=5)
            .map(|a| policy.delay_after(a).as_millis() as u64)
            .collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 4000]);
    }
}
