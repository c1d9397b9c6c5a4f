//! The bounded retry when the base branch moved: each attempt recomputes the edit from the
//! current base and tries a compare-and-swap; a lost race is retried, never rebased blindly.

use std::future::Future;

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt<T> {
    /// The compare-and-swap succeeded.
    Done(T),
    /// The base moved between reading it and the compare-and-swap; what was seen (e.g. the
    /// expected and actual commit), for the error after the last attempt.
    BaseMoved(String),
}

/// Why the retry loop gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetryError<E> {
    /// Every attempt lost the race.
    #[error(
        "the base branch moved during each of {attempts} attempts (last: {last}); try again later"
    )]
    Exhausted {
        /// Attempts made.
        attempts: usize,
        /// What the last attempt saw.
        last: String,
    },
    /// An attempt failed for another reason; no further attempt was made.
    #[error(transparent)]
    Failed(E),
}

/// Runs `attempt` (given the 1-based attempt number) until it returns [`Attempt::Done`] or an
/// error, at most `max_attempts` times (at least once).
///
/// `attempt` must read the base afresh, recompute the edit on it and compare-and-swap.
pub fn retry_on_moved_base<T, E>(
    max_attempts: usize,
    mut attempt: impl FnMut(usize) -> Result<Attempt<T>, E>,
) -> Result<T, RetryError<E>> {
    let max = max_attempts.max(1);
    let mut last = String::new();
    for n in 1..=max {
        match attempt(n).map_err(RetryError::Failed)? {
            Attempt::Done(value) => return Ok(value),
            Attempt::BaseMoved(seen) => last = seen,
        }
    }
    Err(RetryError::Exhausted {
        attempts: max,
        last,
    })
}

/// [`retry_on_moved_base`] for an asynchronous attempt (e.g. a forge API call).
pub async fn retry_on_moved_base_async<T, E, F, Fut>(
    max_attempts: usize,
    mut attempt: F,
) -> Result<T, RetryError<E>>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<Attempt<T>, E>>,
{
    let max = max_attempts.max(1);
    let mut last = String::new();
    for n in 1..=max {
        match attempt(n).await.map_err(RetryError::Failed)? {
            Attempt::Done(value) => return Ok(value),
            Attempt::BaseMoved(seen) => last = seen,
        }
    }
    Err(RetryError::Exhausted {
        attempts: max,
        last,
    })
}
