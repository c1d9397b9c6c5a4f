//! The GraphQL operations of the forge, as the stand-in answers them.

use base64::Engine as _;
use serde_json::{Value, json};

use super::{Answer, Handler, Pull, REPOSITORY, State, error};

impl Handler {
    pub(super) fn graphql(&self, state: &mut State, body: &Value) -> Answer {
        let query = body["query"].as_str().unwrap_or_default();
        let operation = query
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.split('(').next())
            .unwrap_or_default();
        let vars = &body["variables"];
        match operation {
            "FerrySnapshot" => (200, self.snapshot(state, vars)),
            "FerryHoldsFile" => (200, self.holds_file(vars)),
            "FerryBranches" => (200, self.branches(state, vars)),
            "FerryCreateCommit" => (200, self.commit_on_branch(state, &vars["input"])),
            "FerryEnableAutoMerge" => {
                let id = vars["input"]["pullRequestId"].as_str().unwrap_or_default();
                let number = id.trim_start_matches("PR_node");
                match self.find(state, number) {
                    Some(i) if state.pulls[i].state == "open" => {
                        state.pulls[i].auto_merge = true;
                        (200, crate::github::auto_merge_answer(state.pulls[i].number))
                    }
                    _ => (
                        200,
                        crate::github::graphql_error(
                            "enablePullRequestAutoMerge",
                            "UNPROCESSABLE",
                            "Pull request is not open",
                        ),
                    ),
                }
            }
            _ => error(400, &format!("the stand-in does not know {operation}")),
        }
    }

    pub(super) fn snapshot(&self, state: &State, vars: &Value) -> Value {
        let base_ref = vars["baseRef"].as_str().unwrap_or_default();
        let base_name = vars["base"].as_str().unwrap_or_default();
        let base = self
            .repo
            .resolve(base_ref)
            .map(|oid| json!({ "target": { "oid": oid } }));
        let holds = self.repo.resolve(vars["holdsRef"].as_str().unwrap_or_default()).map(|oid| {
            let dir = vars["holdsDir"].as_str().unwrap_or_default();
            let entries: Vec<Value> = self
                .repo
                .dir(&oid, dir)
                .into_iter()
                .map(|(name, text)| json!({ "name": name, "object": { "text": text, "isTruncated": false } }))
                .collect();
            json!({ "target": { "oid": oid, "file": { "object": { "entries": entries } } } })
        });
        let slots_prefix = vars["slotsPrefix"].as_str().unwrap_or_default();
        let slots: Vec<Value> = self
            .refs(slots_prefix)
            .into_iter()
            .map(|(name, oid)| {
                json!({ "name": name, "target": { "oid": oid, "message": self.repo.message(&oid) } })
            })
            .collect();
        let nodes: Vec<Value> = state
            .pulls
            .iter()
            .filter(|p| p.state == "open" && p.base == base_name)
            .map(|p| self.pull_node(p))
            .collect();
        json!({ "data": { "repository": {
            "base": base,
            "holds": holds,
            "slots": { "nodes": slots },
            "pullRequests": { "pageInfo": { "hasNextPage": false, "endCursor": null }, "nodes": nodes }
        } } })
    }

    pub(super) fn pull_node(&self, pull: &Pull) -> Value {
        let head = self.repo.head(&pull.head).unwrap_or_default();
        json!({
            "number": pull.number,
            "id": format!("PR_node{}", pull.number),
            "url": format!("https://github.com/{REPOSITORY}/pull/{}", pull.number),
            "title": pull.title,
            "body": pull.body,
            "createdAt": crate::history::rfc3339(pull.created_at),
            "headRefName": pull.head,
            "headRefOid": head,
            "isCrossRepository": false,
            "autoMergeRequest": if pull.auto_merge { json!({ "enabledAt": "2026-01-01T00:00:00Z" }) } else { Value::Null },
            "labels": { "nodes": pull.labels.iter().map(|l| json!({ "name": l })).collect::<Vec<_>>() },
            "headRef": { "target": {
                "oid": head,
                "tree": { "oid": self.repo.tree(&head).unwrap_or_default() },
                "parents": { "nodes": self.repo.parents(&head).iter().map(|p| json!({ "oid": p })).collect::<Vec<_>>() }
            } }
        })
    }

    /// Refs below `prefix` (a full prefix ending in `/`): name relative to it → commit.
    pub(super) fn refs(&self, prefix: &str) -> Vec<(String, String)> {
        if prefix.is_empty() {
            return Vec::new();
        }
        self.repo
            .ok(&[
                "for-each-ref",
                "--format=%(refname)%09%(objectname)",
                prefix,
            ])
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (name, oid) = l.split_once('\t')?;
                Some((name.strip_prefix(prefix)?.to_owned(), oid.to_owned()))
            })
            .collect()
    }

    pub(super) fn holds_file(&self, vars: &Value) -> Value {
        let base = self
            .repo
            .resolve(vars["baseRef"].as_str().unwrap_or_default())
            .map(|oid| json!({ "target": { "oid": oid } }));
        let holds = self
            .repo
            .resolve(vars["holdsRef"].as_str().unwrap_or_default())
            .map(|oid| {
                let path = vars["path"].as_str().unwrap_or_default();
                let file = self
                    .repo
                    .blob(&oid, path)
                    .map(|text| json!({ "object": { "text": text, "isTruncated": false } }));
                json!({ "target": { "oid": oid, "file": file } })
            });
        json!({ "data": { "repository": { "base": base, "holds": holds } } })
    }

    pub(super) fn branches(&self, state: &State, vars: &Value) -> Value {
        let prefix = vars["prefix"].as_str().unwrap_or_default();
        let short = prefix.strip_prefix("refs/heads/").unwrap_or(prefix);
        let nodes: Vec<Value> = self
            .refs(prefix)
            .into_iter()
            .map(|(name, oid)| {
                let branch = format!("{short}{name}");
                let of = |open: bool| {
                    state
                        .pulls
                        .iter()
                        .filter(|p| p.head == branch && (!open || p.state == "open"))
                        .count()
                };
                json!({
                    "name": name,
                    "target": { "oid": oid, "committedDate": self.repo.committed(&oid) },
                    "open": { "totalCount": of(true) },
                    "all": { "totalCount": of(false) }
                })
            })
            .collect();
        json!({ "data": { "repository": { "refs": {
            "pageInfo": { "hasNextPage": false, "endCursor": null },
            "nodes": nodes
        } } } })
    }

    pub(super) fn commit_on_branch(&self, state: &mut State, input: &Value) -> Value {
        let branch = input["branch"]["branchName"].as_str().unwrap_or_default();
        let expected = input["expectedHeadOid"].as_str().unwrap_or_default();
        let Some(head) = self.repo.head(branch) else {
            return crate::github::graphql_error(
                "createCommitOnBranch",
                "NOT_FOUND",
                &format!("A ref named \"{branch}\" does not exist."),
            );
        };
        if head != expected {
            return crate::github::stale_answer(expected);
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let additions: Vec<(String, Vec<u8>)> = input["fileChanges"]["additions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| {
                let path = a["path"].as_str()?.to_owned();
                let bytes = b64.decode(a["contents"].as_str()?).ok()?;
                Some((path, bytes))
            })
            .collect();
        let deletions: Vec<String> = input["fileChanges"]["deletions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["path"].as_str().map(str::to_owned))
            .collect();
        let headline = input["message"]["headline"].as_str().unwrap_or_default();
        let message = match input["message"]["body"].as_str() {
            Some(body) => format!("{headline}\n\n{body}\n"),
            None => format!("{headline}\n"),
        };
        state.clock += 1;
        let made = self
            .repo
            .tree_with(&head, &additions, &deletions)
            .and_then(|tree| {
                self.repo
                    .commit_tree(&tree, std::slice::from_ref(&head), &message, state.clock)
            });
        match made {
            Ok(oid) => {
                if let Err(e) = self.repo.set_ref(&format!("refs/heads/{branch}"), &oid) {
                    return crate::github::graphql_error(
                        "createCommitOnBranch",
                        "UNPROCESSABLE",
                        &e,
                    );
                }
                self.settle(state);
                crate::github::commit_answer(&oid)
            }
            Err(e) => crate::github::graphql_error("createCommitOnBranch", "UNPROCESSABLE", &e),
        }
    }
}
