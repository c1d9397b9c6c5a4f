//! GitHub answers as the client reads them: the retry decision (rate limits, `Retry-After`,
//! `x-ratelimit-*`), the error message of a failed answer, and the REST and GraphQL bodies Ferry
//! decodes, and the marker of a Ferry pull request body, never panic.
//!
//! Input, like an HTTP answer: a first line `STATUS [ATTEMPT [NOW]]`, header lines
//! `name: value`, an empty line, then the body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let (first, header_text) = ferry_fuzz::first_line(head);
    let mut numbers = first.split(' ');
    let status = numbers.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let attempt = numbers.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let now = numbers
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_700_000_000);
    let headers: Vec<(&str, &str)> = header_text
        .lines()
        .take(16)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    let seen = ferry_github::read_reply(status, &headers, body, attempt, now);
    let _ = seen;
    // The marker of a Ferry pull request body, read from any text.
    let _ = ferry_gitops::body::body_env(body);
});
