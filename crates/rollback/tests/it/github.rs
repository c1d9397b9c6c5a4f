//! Rollback in Git through the GitHub forge, against wiremock answering with the bodies of
//! `fixtures/conformance/github/`: the revert is a pull request whose commit carries the
//! rollback trailer and whose body links the failed change and the evidence, with auto-merge
//! landing that same message; the hold is a commit on the holds branch.

use std::collections::BTreeMap;

use base64::Engine as _;
use ferry_github::{Credentials, GithubClient, GithubConfig, MergeMethod};
use ferry_gitops::forge::github::{GithubForge, GithubForgeOptions};
use ferry_gitops::{EnvironmentSpec, build_ledger};
use ferry_gitops::{ObjectId, Repo};
use ferry_rollback::actions::{RevertRequest, hold, revert_in_git};
use ferry_rollback::policy::{Target, image_changes};
use ferry_test_support::github::{
    FIRST_CHANGE, GRAPHQL_PATH, calls, commit_answer, example, graphql, holds_file_answer, json_of,
    mount_first_change,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod faults;

use crate::common::{BACKEND, PROD, T0, block_on, clone, signature, world};

const TOKEN: &str = "ghp_FERRYROLLBACKTOKEN0123456789";

fn forge(server: &MockServer, repo: Repo) -> GithubForge {
    let config = GithubConfig::new("o", "r", Credentials::token(TOKEN))
        .with_urls(server.uri(), format!("{}{GRAPHQL_PATH}", server.uri()));
    GithubForge::new(
        GithubClient::new(config).unwrap(),
        repo,
        GithubForgeOptions {
            remote: "origin".into(),
            base_branch: "main".into(),
            branch_prefix: "deploy/".into(),
            signature: signature(T0 + 600),
            merge_method: MergeMethod::Squash,
            overlays: BTreeMap::from([("prod".to_owned(), PROD.to_owned())]),
            resolve: Default::default(),
        },
    )
}

fn decoded(addition: &Value) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(addition["contents"].as_str().unwrap())
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn a_revert_is_a_pull_request_that_lands_with_its_trailer_and_the_hold_a_commit() {
    let Some((dir, bare, good, bad)) = world() else {
        return;
    };
    let runner = clone(dir.path(), &bare, "runner");
    let repo = Repo::open(&runner).unwrap();
    let bad_id = ObjectId::from_hex(bad.as_bytes()).unwrap();
    let spec = EnvironmentSpec {
        name: "prod".into(),
        overlay: PROD.into(),
    };
    let ledger = build_ledger(&repo, bad_id, &[spec]).unwrap();
    let deployments = &ledger.environment("prod").unwrap().deployments;
    let (failed, verified) = (&deployments[0], &deployments[1]);
    assert_eq!(
        (failed.commit.as_str(), verified.commit.as_str()),
        (bad.as_str(), good.as_str())
    );
    let target = Target {
        verified_commit: good.clone(),
        verified_at: "2026-01-01T00:00:30Z".into(),
        images: verified.images.clone(),
        failed_commit: bad.clone(),
        failed_images: failed.images.clone(),
        changes: image_changes(&failed.images, &verified.images),
    };
    let failed_change = format!("https://github.com/o/r/commit/{bad}");
    let request = RevertRequest {
        env: "prod",
        overlay: PROD,
        target: &target,
        reason: "prod is unhealthy (3 consecutive failed checks)",
        failed_change: Some(&failed_change),
        evidence_url: Some("https://github.com/o/r/actions/runs/7"),
        branch_prefix: "deploy/",
        labels: vec!["ferry".into()],
        auto_merge: true,
    };

    block_on(async {
        let server = MockServer::start().await;
        let commit = "c".repeat(40);
        mount_first_change(&server, &bad, &commit).await;
        let forge = forge(&server, repo);
        let reverted = revert_in_git(&forge, &request).await.unwrap();

        // One pull request with auto-merge: it lands when the base branch's checks pass.
        assert_eq!(calls(&server).await, FIRST_CHANGE);
        assert_eq!(reverted.opened.number, Some(1347));
        assert!(
            reverted.opened.auto_merge && !reverted.merged(),
            "{reverted:?}"
        );
        assert!(!reverted.reverted.is_empty() && reverted.not_reverted.is_empty());
        let seen = server.received_requests().await.unwrap();
        let input = &json_of(&seen[2])["variables"]["input"];
        assert_eq!(input["expectedHeadOid"], bad.as_str());
        let trailer = format!("Ferry-Rollback: {bad}");
        let body = input["message"]["body"].as_str().unwrap();
        assert!(body.contains(&trailer), "{body}");
        let additions = input["fileChanges"]["additions"].as_array().unwrap();
        assert_eq!(additions.len(), 1);
        assert_eq!(additions[0]["path"], format!("{PROD}/kustomization.yaml"));
        let text = decoded(&additions[0]);
        assert!(
            text.contains("newTag: 1.3.1") && !text.contains("1.4.0"),
            "{text}"
        );

        let pull = json_of(&seen[3]);
        let pull_body = pull["body"].as_str().unwrap();
        assert!(
            pull_body.contains(&format!("- Failed change: {failed_change}")),
            "{pull_body}"
        );
        assert!(pull_body.contains("- Evidence: https://github.com/o/r/actions/runs/7"));
        assert!(
            pull_body.contains(&format!("`{BACKEND}:1.4.0` | `{BACKEND}:1.3.1`")),
            "{pull_body}"
        );
        // Auto-merge lands the revert's own message, so the trailer reaches the base branch
        // whatever the repository's squash message default is.
        let merge = &json_of(&seen[FIRST_CHANGE.len() - 1])["variables"]["input"];
        assert!(
            merge["commitBody"].as_str().unwrap().contains(&trailer),
            "{merge}"
        );
        assert_eq!(merge["expectedHeadOid"], commit.as_str());

        // The hold: the holds branch is made from the base and the file committed on it.
        server.reset().await;
        graphql("FerryHoldsFile")
            .respond_with(
                ResponseTemplate::new(200).set_body_json(holds_file_answer(&bad, None, None)),
            )
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/repos/o/r/git/refs"))
            .and(body_json(
                json!({ "ref": "refs/heads/ferry/holds", "sha": bad }),
            ))
            .respond_with(ResponseTemplate::new(201).set_body_json(example("git-create-ref")))
            .mount(&server)
            .await;
        graphql("createCommitOnBranch")
            .respond_with(ResponseTemplate::new(200).set_body_json(commit_answer(&"9".repeat(40))))
            .mount(&server)
            .await;
        let now = jiff::Timestamp::from_second(T0 + 700).unwrap();
        let holds = hold(&forge, "prod", &target.failed_images, "rolled back", now)
            .await
            .unwrap();
        assert_eq!(holds.len(), 1);
        assert_eq!(holds[0].images, target.failed_images);
        assert_eq!(
            calls(&server).await,
            [
                "graphql FerryHoldsFile",
                "POST /repos/o/r/git/refs",
                "graphql FerryCreateCommit"
            ]
        );
        let seen = server.received_requests().await.unwrap();
        let input = &json_of(&seen[2])["variables"]["input"];
        assert_eq!(input["branch"]["branchName"], "ferry/holds");
        let additions = input["fileChanges"]["additions"].as_array().unwrap();
        assert_eq!(additions[0]["path"], ".ferry/holds/prod.json");
        let written: Value = serde_json::from_str(&decoded(&additions[0])).unwrap();
        assert_eq!(written[0]["env"], "prod");
        assert_eq!(written[0]["images"], json!(target.failed_images));
    });
}
