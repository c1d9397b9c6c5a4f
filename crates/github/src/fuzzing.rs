//! One GitHub answer read the way [`super::GithubClient`] reads answers, for the fuzz target
//! `github_response` (`fuzz/`): no network, no clock.

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;

use super::{
    CommitStatus, CreatedCommit, Deployment, DeploymentStatus, PullRequest, Reply, RetryPolicy,
    decode, graphql, ok, retry,
};

/// Reads an answer with status `status`, `headers` (invalid names or values are left out) and
/// `body`: the retry decision at attempt `attempt` and wall-clock second `now_unix`, the error
/// of a failed answer, and every JSON body Ferry decodes. Returns what each step made of it.
#[doc(hidden)]
pub fn read_reply(
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
    attempt: u32,
    now_unix: i64,
) -> Vec<String> {
    let Ok(status) = StatusCode::from_u16(status) else {
        return Vec::new();
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(name, value);
        }
    }
    let reply = || Reply {
        status,
        headers: map.clone(),
        body: body.to_owned(),
    };
    let policy = RetryPolicy::default();
    let mut seen = vec![format!(
        "{:?}",
        retry::retry_delay(&policy, attempt, status, &map, body, now_unix)
    )];
    if let Err(error) = ok(reply(), &Method::GET, "/fuzz?x=1") {
        seen.push(error.to_string());
        return seen;
    }
    fn read<T: DeserializeOwned + std::fmt::Debug>(reply: Reply, seen: &mut Vec<String>) {
        seen.push(match decode::<T>(reply, "fuzz") {
            Ok(value) => format!("{value:?}"),
            Err(error) => error.to_string(),
        });
    }
    match decode::<PullRequest>(reply(), "pull") {
        Ok(pull) => {
            seen.push(format!("{:?}", pull.pull_state()));
            seen.push(format!("{:?}", pull.body));
        }
        Err(error) => seen.push(error.to_string()),
    }
    read::<Vec<PullRequest>>(reply(), &mut seen);
    read::<Vec<CommitStatus>>(reply(), &mut seen);
    read::<Deployment>(reply(), &mut seen);
    read::<DeploymentStatus>(reply(), &mut seen);
    read::<CreatedCommit>(reply(), &mut seen);
    if let Ok(response) = decode::<graphql::Response>(reply(), "graphql") {
        seen.extend(response.errors.iter().map(|e| format!("{:?}", e.kind)));
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_read_as_the_client_reads_it() {
        let limited = read_reply(
            429,
            &[("retry-after", "30"), ("bad header", "x")],
            "{}",
            1,
            0,
        );
        assert!(
            limited[0].contains("30s") && limited[0].contains("RateLimit"),
            "{limited:?}"
        );
        let failed = read_reply(
            422,
            &[],
            r#"{"message":"Validation Failed","errors":[{"field":"color","code":"invalid"}]}"#,
            1,
            0,
        );
        assert!(
            failed[1].contains("Validation Failed (color invalid)"),
            "{failed:?}"
        );
        let graphql = read_reply(
            200,
            &[],
            r#"{"errors":[{"type":"STALE_DATA","message":"m"}]}"#,
            1,
            0,
        );
        assert_eq!(
            graphql.last().map(String::as_str),
            Some("Some(\"STALE_DATA\")")
        );
        assert!(read_reply(1000, &[], "", 1, 0).is_empty());
    }
}
