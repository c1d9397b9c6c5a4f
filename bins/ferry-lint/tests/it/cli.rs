//! Output formats, annotations and exit codes.

use predicates::prelude::*;

use crate::{ferry_lint, fixture};

#[test]
fn text_names_file_line_column_and_rule() {
    ferry_lint()
        .arg(fixture("app-token"))
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            ".github/workflows/deploy.yml:17:14: app-token: `ferry pr open` opens a pull request with GITHUB_TOKEN",
        ))
        .stdout(predicate::str::contains("::error").not())
        .stderr(predicate::str::contains("1 finding(s)"));
}

#[test]
fn github_actions_gets_error_annotations_and_a_step_output() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = dir.path().join("output");
    std::fs::write(&output, "").expect("create GITHUB_OUTPUT");
    ferry_lint()
        .arg(fixture("deploy-concurrency"))
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &output)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "::error file=.github/workflows/deploy.yml,line=15,col=3,title=ferry-lint deploy-concurrency::job `prod` deploys",
        ));
    let written = std::fs::read_to_string(&output).expect("read GITHUB_OUTPUT");
    assert_eq!(written, "findings=2\n");
    // With --format json, stdout stays one JSON document and the annotations go to stderr.
    let out = ferry_lint()
        .arg(fixture("deploy-concurrency"))
        .args(["--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .expect("run ferry-lint");
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("::error file=").count(), 2, "{stderr}");
}

#[test]
fn json_lists_the_rules_and_workflows_of_a_clean_repository() {
    let out = ferry_lint()
        .arg(fixture("clean"))
        .args(["--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).expect("JSON on stdout");
    assert_eq!(report["clean"], true);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["rules"].as_array().expect("rules").len(), 6);
    assert!(
        report["workflows"]
            .as_array()
            .expect("workflows")
            .contains(&".github/workflows/ci.yml".into())
    );
}

#[test]
fn bad_usage_and_bad_input_exit_2() {
    ferry_lint().arg("--no-such-flag").assert().code(2);
    let dir = tempfile::tempdir().expect("a temporary directory");
    ferry_lint()
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no ferry.toml in"));
    std::fs::write(
        dir.path().join("ferry.toml"),
        "[[environment]]\nname = \"dev\"\noverlay = \"o\"\n",
    )
    .expect("write ferry.toml");
    std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    std::fs::write(
        dir.path().join(".github/workflows/x.yml"),
        "on: push\njobs: [1\n",
    )
    .expect("write the workflow");
    ferry_lint()
        .arg(dir.path())
        .args(["--format", "json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("\"kind\":\"bad-input\""))
        .stderr(predicate::str::contains(".github/workflows/x.yml:"));
}
