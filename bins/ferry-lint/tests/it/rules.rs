//! One broken fixture per rule (`fixtures/lint/RULE`), and the clean one.

use crate::{findings, fixture};

/// Asserts that every finding of the fixture `name` is of its rule, at these places, with
/// messages containing these words, and that the exit code is 1.
fn expect(name: &str, expected: &[(&str, &str)]) {
    let (found, code) = findings(&fixture(name));
    assert_eq!(code, 1, "{found:#?}");
    let places: Vec<&str> = found.iter().map(|(_, at, _)| at.as_str()).collect();
    let wanted: Vec<&str> = expected.iter().map(|(at, _)| *at).collect();
    assert_eq!(places, wanted, "{found:#?}");
    for ((rule, at, message), (_, words)) in found.iter().zip(expected) {
        assert_eq!(rule, name, "{at}: {message}");
        assert!(message.contains(words), "{at}: {message:?} lacks {words:?}");
    }
}

#[test]
fn the_clean_fixture_has_no_finding() {
    let (found, code) = findings(&fixture("clean"));
    assert_eq!((found.as_slice(), code), (&[][..], 0));
}

#[test]
fn required_check_parity_missing_for_overlay_only_pull_requests() {
    expect(
        "required-check-parity",
        &[(
            ".github/workflows/pr-validation.yml:11:3",
            "requires the check `test` (a job of the pull-request validation workflow",
        )],
    );
}

#[test]
fn required_check_parity_from_ferry_toml() {
    // The clean pipeline without its GitOps checks: both checks ferry.toml requires go missing.
    let dir = tempfile::tempdir().expect("a temporary directory");
    ferry_test_support::git::copy_dir(&fixture("clean"), dir.path());
    std::fs::remove_file(dir.path().join(".github/workflows/gitops-checks.yml"))
        .expect("remove the GitOps checks");
    let (found, code) = findings(dir.path());
    assert_eq!(code, 1);
    let places: Vec<(&str, &str)> = found
        .iter()
        .map(|(rule, at, _)| (rule.as_str(), at.as_str()))
        .collect();
    assert_eq!(
        places,
        [
            ("required-check-parity", "ferry.toml:6:20"),
            ("required-check-parity", "ferry.toml:6:28"),
        ]
    );
    assert!(
        found[0].2.contains("[forge] required-checks of ferry.toml"),
        "{found:?}"
    );
}

#[test]
fn path_filters_building_on_overlays_and_skipping_tests_on_code() {
    expect(
        "path-filters",
        &[
            (
                ".github/workflows/ci.yml:4:3",
                "`push` starts this workflow for a change to infra/k8s/overlays/dev/kustomization.yaml alone, and job `build` builds images",
            ),
            (
                ".github/workflows/images.yml:6:5",
                "and job `images` builds images",
            ),
            (
                ".github/workflows/tests.yml:6:5",
                "changes code (src/x, say) skips the tests",
            ),
        ],
    );
}

#[test]
fn app_token_not_github_token_for_pull_requests() {
    expect(
        "app-token",
        &[(
            ".github/workflows/deploy.yml:17:14",
            "`ferry pr open` opens a pull request with GITHUB_TOKEN",
        )],
    );
}

#[test]
fn permissions_cover_ferry_steps_and_nothing_more() {
    expect(
        "permissions",
        &[
            (
                ".github/workflows/verify.yml:10:7",
                "grants `pull-requests: write`, which none of its ferry steps needs",
            ),
            (
                ".github/workflows/verify.yml:10:7",
                "needs `deployments: write` of GITHUB_TOKEN, but the permissions grant `deployments: none`",
            ),
            (
                ".github/workflows/verify.yml:10:7",
                "needs `statuses: write` of GITHUB_TOKEN, but the permissions grant `statuses: read`",
            ),
            (
                ".github/workflows/verify.yml:17:3",
                "job `ledger` runs ferry steps but neither it nor the workflow sets `permissions:`",
            ),
            (
                ".github/workflows/verify.yml:26:7",
                "`ferry diff` (line 31) needs `pull-requests: write` of GITHUB_TOKEN, but the permissions grant `pull-requests: read`",
            ),
        ],
    );
}

#[test]
fn deploy_concurrency_group_without_cancelling() {
    expect(
        "deploy-concurrency",
        &[
            (
                ".github/workflows/deploy.yml:11:7",
                "`cancel-in-progress: true`",
            ),
            (
                ".github/workflows/deploy.yml:15:3",
                "job `prod` deploys (`ferry promote`, line 19) but has no `concurrency:`",
            ),
        ],
    );
}

#[test]
fn known_names_of_environments_and_images() {
    expect(
        "known-names",
        &[
            (
                ".github/workflows/deploy.yml:13:14",
                "the environment `qa` (--env)",
            ),
            (".github/workflows/deploy.yml:13:14", "the image `frontend`"),
            (
                ".github/workflows/deploy.yml:14:14",
                "the environment `production` (--to)",
            ),
            (
                ".github/workflows/deploy.yml:15:14",
                "`ferry diff` names the environment `production` (--envs)",
            ),
            (
                ".github/workflows/deploy.yml:20:14",
                "`ferry monitor watch` names the environment `production` (--verify)",
            ),
        ],
    );
}
