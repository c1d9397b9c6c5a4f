//! When and how long to wait before repeating a GitHub request.

use std::time::Duration;

use http::{HeaderMap, StatusCode};

/// Bounds for repeating failed requests.
///
/// Rate-limited answers (429, or 403 with a rate-limit sign) wait as long as GitHub asks
/// (`Retry-After`, else `x-ratelimit-reset` when `x-ratelimit-remaining` is 0, else
/// [`RetryPolicy::rate_limit_wait`]); server errors (500, 502, 503, 504) and, for idempotent
/// methods, transport errors back off exponentially from [`RetryPolicy::base_backoff`]. A wait
/// that would end after [`RetryPolicy::max_elapsed`] is not started: the request fails at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 means no retry).
    pub max_attempts: u32,
    /// Time budget for one request, retries and waits included.
    pub max_elapsed: Duration,
    /// First backoff after a server or transport error; doubles each time.
    pub base_backoff: Duration,
    /// Largest backoff after a server or transport error.
    pub max_backoff: Duration,
    /// Wait after a secondary rate limit that names no time (GitHub documents "at least one
    /// minute"); doubles each time.
    pub rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            max_elapsed: Duration::from_secs(300),
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            rate_limit_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never repeats a request.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The exponential backoff before attempt `attempt + 1` (`attempt` counts from 1).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        scaled(self.base_backoff, attempt).min(self.max_backoff)
    }
}

fn scaled(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
}

/// Why a request is repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryReason {
    /// 429, or 403 with a rate-limit sign.
    RateLimit,
    /// A 5xx answer GitHub documents as transient.
    Server,
}

/// Whether to repeat a request that got `status`, and after how long.
///
/// `now_unix` is the wall-clock time in seconds, used against `x-ratelimit-reset`.
pub(crate) fn retry_delay(
    policy: &RetryPolicy,
    attempt: u32,
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    now_unix: i64,
) -> Option<(Duration, RetryReason)> {
    let retry_after = retry_after(headers, now_unix);
    let exhausted = headers
        .get("x-ratelimit-remaining")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0");
    let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::OK && graphql_rate_limited(body))
        || (status == StatusCode::FORBIDDEN
            && (retry_after.is_some()
                || exhausted
                || body.to_ascii_lowercase().contains("rate limit")));
    if rate_limited {
        let until_reset = exhausted
            .then(|| header_u64(headers, "x-ratelimit-reset"))
            .flatten()
            .map(|reset| Duration::from_secs(reset.saturating_sub(now_unix.max(0) as u64).max(1)));
        let wait = retry_after
            .or(until_reset)
            .unwrap_or_else(|| scaled(policy.rate_limit_wait, attempt));
        return Some((wait, RetryReason::RateLimit));
    }
    match status.as_u16() {
        500 | 502 | 503 | 504 => Some((
            retry_after.unwrap_or_else(|| policy.backoff(attempt)),
            RetryReason::Server,
        )),
        _ => None,
    }
}

/// Whether a GraphQL answer (HTTP 200) reports the GraphQL rate limit (`type: RATE_LIMITED`).
fn graphql_rate_limited(body: &str) -> bool {
    if !body.contains("RATE_LIMITED") {
        return false;
    }
    serde_json::from_str::<serde_json::Value>(body).is_ok_and(|v| {
        v.get("errors")
            .and_then(|e| e.as_array())
            .is_some_and(|errors| errors.iter().any(|e| e["type"] == "RATE_LIMITED"))
    })
}

/// The wait a `Retry-After` header asks for: seconds, or an HTTP date.
fn retry_after(headers: &HeaderMap, now_unix: i64) -> Option<Duration> {
    if let Some(seconds) = header_u64(headers, "retry-after") {
        return Some(Duration::from_secs(seconds));
    }
    let text = headers.get("retry-after")?.to_str().ok()?;
    let at = jiff::fmt::rfc2822::parse(text.trim())
        .ok()?
        .timestamp()
        .as_second();
    Some(Duration::from_secs(
        at.saturating_sub(now_unix).max(0) as u64
    ))
}

/// The `Retry-After` a rate-limited answer asked for, for error reports.
pub(crate) fn asked_wait(headers: &HeaderMap) -> Option<Duration> {
    retry_after(headers, jiff::Timestamp::now().as_second())
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn secondary_limit_honours_retry_after() {
        let policy = RetryPolicy::default();
        let got = retry_delay(
            &policy,
            1,
            StatusCode::FORBIDDEN,
            &headers(&[("retry-after", "17")]),
            r#"{"message":"You have exceeded a secondary rate limit."}"#,
            0,
        );
        assert_eq!(got, Some((Duration::from_secs(17), RetryReason::RateLimit)));
    }

    #[test]
    fn retry_after_may_be_an_http_date() {
        let policy = RetryPolicy::default();
        let h = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        let now = jiff::Timestamp::from_second(1_445_412_480 - 45)
            .unwrap()
            .as_second();
        let got = retry_delay(&policy, 1, StatusCode::TOO_MANY_REQUESTS, &h, "", now);
        assert_eq!(got, Some((Duration::from_secs(45), RetryReason::RateLimit)));
    }

    #[test]
    fn primary_limit_waits_until_reset() {
        let policy = RetryPolicy::default();
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1000"),
        ]);
        let got = retry_delay(&policy, 1, StatusCode::FORBIDDEN, &h, "", 958);
        assert_eq!(got, Some((Duration::from_secs(42), RetryReason::RateLimit)));
        // A reset in the past still waits a second.
        let got = retry_delay(&policy, 1, StatusCode::TOO_MANY_REQUESTS, &h, "", 2000);
        assert_eq!(got, Some((Duration::from_secs(1), RetryReason::RateLimit)));
    }

    #[test]
    fn secondary_limit_without_hints_waits_a_minute_then_longer() {
        let policy = RetryPolicy::default();
        let body = r#"{"message":"You have exceeded a secondary rate limit"}"#;
        let first = retry_delay(
            &policy,
            1,
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            body,
            0,
        );
        let second = retry_delay(
            &policy,
            2,
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            body,
            0,
        );
        assert_eq!(
            first,
            Some((Duration::from_secs(60), RetryReason::RateLimit))
        );
        assert_eq!(
            second,
            Some((Duration::from_secs(120), RetryReason::RateLimit))
        );
    }

    #[test]
    fn graphql_rate_limit_waits_until_reset() {
        let policy = RetryPolicy::default();
        let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "130")]);
        let body = r#"{"data":null,"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}"#;
        let got = retry_delay(&policy, 1, StatusCode::OK, &h, body, 100);
        assert_eq!(got, Some((Duration::from_secs(30), RetryReason::RateLimit)));
        // A successful answer that merely mentions the word is not a rate limit.
        let data = r#"{"data":{"note":"RATE_LIMITED"}}"#;
        assert_eq!(retry_delay(&policy, 1, StatusCode::OK, &h, data, 100), None);
    }

    #[test]
    fn plain_forbidden_and_client_errors_are_final() {
        let policy = RetryPolicy::default();
        let body = r#"{"message":"Resource not accessible by integration"}"#;
        // x-ratelimit-remaining is not 0: a real permission error.
        let h = headers(&[("x-ratelimit-remaining", "4999")]);
        assert_eq!(
            retry_delay(&policy, 1, StatusCode::FORBIDDEN, &h, body, 0),
            None
        );
        for status in [400, 401, 404, 409, 422] {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(
                retry_delay(&policy, 1, status, &HeaderMap::new(), "", 0),
                None
            );
        }
    }

    #[test]
    fn server_errors_back_off_exponentially_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let delays: Vec<_> = (1..=7)
            .map(|a| {
                retry_delay(
                    &policy,
                    a,
                    StatusCode::BAD_GATEWAY,
                    &HeaderMap::new(),
                    "",
                    0,
                )
            })
            .map(|d| d.unwrap().0.as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(
            retry_delay(
                &policy,
                1,
                StatusCode::NOT_IMPLEMENTED,
                &HeaderMap::new(),
                "",
                0
            ),
            None
        );
    }
}
