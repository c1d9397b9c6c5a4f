//! One open change per environment on GitHub: runs against the stateful stand-in
//! (`ferry_test_support::github::standin`: GitHub's copy of the repository is a real bare
//! repository, refs move by compare-and-swap as on GitHub, answers are the conformance bodies).

use std::path::{Path, PathBuf};

use ferry_github::{Credentials, GithubClient, GithubConfig};
use ferry_gitops::Repo;
use ferry_gitops::deploy::render_body;
use ferry_gitops::forge::github::GithubForge;
use ferry_gitops::forge::{Base, Files, Forge, PlanError};
use ferry_test_support::git::{blueprint_origin, clone, git};
use ferry_test_support::github::standin::StandIn;

use super::{TOKEN, branch, common, dev_files, options, request};

/// GitHub's copy of the blueprint (a bare repository) and its stand-in.
pub(crate) async fn github(dir: &Path) -> (PathBuf, StandIn) {
    let (origin, _) = blueprint_origin(dir, false, common::T0);
    let standin = StandIn::start(&origin).await;
    (origin, standin)
}

/// A forge over a fresh clone `name` of GitHub's copy, talking to the stand-in.
pub(crate) fn forge_at(standin: &StandIn, origin: &Path, dir: &Path, name: &str) -> GithubForge {
    let local = clone(origin, &dir.join(name), common::T0);
    let mut config = GithubConfig::new("o", "r", Credentials::token(TOKEN))
        .with_urls(standin.api_url(), standin.graphql_url());
    config.connect_timeout = None;
    config.read_timeout = None;
    let client = GithubClient::new(config).unwrap();
    GithubForge::new(client, Repo::open(&local).unwrap(), options())
}

fn plan(tag: &'static str) -> impl FnMut(&Base<'_>) -> Result<Files, PlanError> {
    move |base: &Base<'_>| dev_files(base, tag)
}

/// The dev overlay's backend tag at the head of `branch` on GitHub's copy.
fn tag_on(origin: &Path, branch: &str) -> String {
    let text = git(
        origin,
        &["show", &format!("{branch}:{}", super::DEV)],
        common::T0,
    );
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("- name: {}", common::BACKEND) {
            let tag = lines.next().expect("newTag").trim();
            let tag = tag.trim_start_matches("newTag:").trim();
            return tag.split_whitespace().next().expect("a tag").to_owned();
        }
    }
    panic!("no backend entry on {branch}:\n{text}");
}

#[tokio::test]
async fn two_concurrent_opens_for_review_leave_one_open_pull_request() {
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (origin, standin) = github(tmp.path()).await;
    let a = forge_at(&standin, &origin, tmp.path(), "a");
    let b = forge_at(&standin, &origin, tmp.path(), "b");
    let (mut plan_a, mut plan_b) = (plan("2.0.1"), plan("2.0.2"));
    let (req_a, req_b) = (request("2.0.1", false), request("2.0.2", false));
    let (ra, rb) = tokio::join!(
        a.open_change(&req_a, &mut plan_a),
        b.open_change(&req_b, &mut plan_b)
    );
    let (ra, rb) = (ra.expect("a"), rb.expect("b"));
    let log = standin.log();
    // The race happened: both runs read the open pull requests before either wrote.
    assert!(
        log[..2].iter().all(|c| c == "graphql FerrySnapshot"),
        "{log:#?}"
    );

    let open = standin.open_pulls();
    assert_eq!(
        open.len(),
        1,
        "one open change for dev: {open:#?}\n{log:#?}"
    );
    let winner = &open[0];
    // The open one is the change of the run that re-planned last, with its edit; the other
    // run's change was superseded (closed, branch deleted).
    let (last, first) = if winner.head == branch("2.0.1") {
        (&ra, &rb)
    } else {
        (&rb, &ra)
    };
    assert_eq!(last.id, winner.number.to_string());
    assert!(
        last.attempts >= 2 || first.attempts >= 2,
        "someone lost the slot: {ra:?} {rb:?}"
    );
    assert_eq!(last.superseded, vec![first.id.clone()], "{last:?}");
    let wanted = if winner.head == branch("2.0.1") {
        "2.0.1"
    } else {
        "2.0.2"
    };
    assert_eq!(tag_on(&origin, &winner.head), wanted);
    let closed: Vec<_> = standin
        .pulls()
        .into_iter()
        .filter(|p| p.state == "closed")
        .collect();
    assert_eq!(closed.len(), 1, "{closed:#?}");
    assert!(
        closed[0]
            .comments
            .iter()
            .any(|c| c.contains(&format!("Superseded by #{}", winner.number)))
    );
    assert!(
        git(&origin, &["branch", "--list", &closed[0].head], common::T0)
            .trim()
            .is_empty(),
        "the superseded branch is deleted"
    );
    // The slot names the open one.
    let slot = git(
        &origin,
        &["log", "-1", "--format=%B", "refs/ferry/slots/dev"],
        common::T0,
    );
    assert!(
        slot.contains(&format!("Ferry-Change: {}", winner.number)),
        "{slot}"
    );

    // A re-run of the winner's step changes nothing: one request.
    standin.clear_log();
    let again = if winner.head == branch("2.0.1") {
        a.open_change(&req_a, &mut plan("2.0.1")).await.unwrap()
    } else {
        b.open_change(&req_b, &mut plan("2.0.2")).await.unwrap()
    };
    assert_eq!(again.id, winner.number.to_string());
    assert_eq!(standin.log(), ["graphql FerrySnapshot"]);
    assert_eq!(standin.open_pulls().len(), 1);
}

#[tokio::test]
async fn cleanup_closes_extra_open_pull_requests_of_an_environment() {
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (origin, standin) = github(tmp.path()).await;
    let forge = forge_at(&standin, &origin, tmp.path(), "runner");
    let opened = forge
        .open_change(&request("2.0.1", false), &mut plan("2.0.1"))
        .await
        .unwrap();
    // A second open change of dev, as runs that raced before the slot existed left them.
    let other = tmp.path().join("other");
    clone(&origin, &other, common::T0);
    let stray = branch("2.0.2");
    git(&other, &["checkout", "-q", "-b", &stray], common::T0);
    std::fs::write(other.join("stray.txt"), "x\n").unwrap();
    git(&other, &["add", "-A"], common::T0);
    git(&other, &["commit", "-q", "-m", "stray"], common::T0);
    git(&other, &["push", "-q", "origin", &stray], common::T0);
    let extra = standin.open_pull(
        &stray,
        "main",
        "ferry: dev",
        &render_body("dev", "main", &[]),
    );
    assert_eq!(standin.open_pulls().len(), 2);

    let out = forge.cleanup().await.unwrap();
    // The slot's change stays (although the other is newer); the other is closed.
    assert_eq!(out.superseded, vec![extra.to_string()], "{out:?}");
    assert!(out.closed.contains(&extra.to_string()), "{out:?}");
    assert!(out.deleted_branches.contains(&stray), "{out:?}");
    let open = standin.open_pulls();
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(open[0].number.to_string(), opened.id);
    let closed = standin
        .pulls()
        .into_iter()
        .find(|p| p.number == extra)
        .unwrap();
    assert_eq!(closed.state, "closed");
    assert!(
        closed
            .comments
            .iter()
            .any(|c| c.contains(&format!("Superseded by #{}", opened.id))),
        "{closed:?}"
    );

    // Nothing left to do.
    let again = forge.cleanup().await.unwrap();
    assert!(
        again.superseded.is_empty() && again.closed.is_empty(),
        "{again:?}"
    );
}
