//! Commit statuses as the stand-in keeps them: added by a test ([`super::StandIn::add_status`]),
//! listed by `GET /repos/{owner}/{repo}/commits/{ref}/statuses`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::git::Git;
use super::{Answer, REPOSITORY, State, example};

/// A status of `commit` made now (the stand-in's clock), in the documented shape: a status of
/// `repos-get-combined-status-for-ref`'s example with these values.
pub(super) fn status(
    state: &State,
    commit: &str,
    status: &str,
    context: &str,
    description: &str,
) -> Value {
    let mut body = example("repos-get-combined-status-for-ref")["statuses"][0].clone();
    let id = 1 + state.statuses.values().map(Vec::len).sum::<usize>();
    let at = crate::history::rfc3339(state.clock);
    body["id"] = json!(id);
    body["url"] = json!(format!(
        "https://api.github.com/repos/{REPOSITORY}/statuses/{commit}"
    ));
    body["state"] = json!(status);
    body["context"] = json!(context);
    body["description"] = json!(description);
    body["created_at"] = json!(at);
    body["updated_at"] = json!(at);
    body
}

/// The statuses of `reference` (a commit id, a branch or a tag), newest first, a page of them
/// (`per_page`, default 30, at most 100; `page`, from 1). A commit without statuses, or a
/// reference that names no commit, has an empty list.
pub(super) fn list(
    repo: &Git,
    state: &State,
    reference: &str,
    query: &BTreeMap<String, String>,
) -> Answer {
    let commit = [
        reference.to_owned(),
        format!("refs/heads/{reference}"),
        format!("refs/tags/{reference}"),
    ]
    .iter()
    .find_map(|name| repo.resolve(name));
    let number = |name: &str, default: usize| {
        query
            .get(name)
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let per_page = number("per_page", 30).clamp(1, 100);
    let page = number("page", 1).max(1);
    let list: Vec<Value> = commit
        .and_then(|c| state.statuses.get(&c))
        .into_iter()
        .flat_map(|all| all.iter().rev())
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    (200, Value::Array(list))
}
