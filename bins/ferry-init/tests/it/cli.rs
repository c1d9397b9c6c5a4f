//! `ferry-init` writes what is missing, keeps what differs unless forced, and `--check` lists the
//! differences with exit 1.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn init(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry-init").expect("the ferry-init binary");
    cmd.arg(dir).args([
        "--app",
        "shop",
        "--image",
        "backend=ghcr.io/acme/backend",
        "--repo",
        "acme/shop",
    ]);
    cmd.env_remove("GITHUB_OUTPUT");
    cmd
}

#[test]
fn writes_keeps_and_forces() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    init(&dir)
        .arg("--check")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("missing    ferry.toml"));
    init(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("created    ferry.toml"))
        .stdout(predicate::str::contains(
            "created    .github/workflows/deploy-prod.yml",
        ))
        .stdout(predicate::str::contains(
            "created    docs/github-branch-protection.md",
        ));
    init(&dir)
        .arg("--check")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("up to date: "));

    let toml = dir.join("ferry.toml");
    let mine = fs::read_to_string(&toml)
        .unwrap()
        .replace("soak = \"1h\"", "soak = \"2h\"");
    fs::write(&toml, &mine).unwrap();
    let line = mine.lines().position(|l| l == "soak = \"2h\"").unwrap() + 1;
    init(&dir)
        .args(["--check", "--format", "json"])
        .assert()
        .code(1)
        .stdout(format!(
            "{{\"differences\":[{{\"path\":\"ferry.toml\",\"state\":\"differs\",\"line\":{line}}}]}}\n"
        ));
    init(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "kept       ferry.toml (differs from line {line}; --force overwrites)"
        )))
        .stdout(predicate::str::contains(
            "unchanged  infra/argocd/project.yaml",
        ));
    assert_eq!(fs::read_to_string(&toml).unwrap(), mine);
    init(&dir)
        .args(["--force", "--format", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"overwritten\":[\"ferry.toml\"]"));
    assert!(fs::read_to_string(&toml).unwrap().contains("soak = \"1h\""));
}

#[test]
fn bad_options_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path())
        .args(["--image", "web=ghcr.io/acme/web:1.0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--image"))
        .stderr(predicate::str::contains("without tag or digest"));
    Command::cargo_bin("ferry-init")
        .unwrap()
        .arg(tmp.path())
        .args(["--app", "shop", "--image", "backend=ghcr.io/acme/backend"])
        .args(["--format", "json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("\"kind\":\"usage\""))
        .stderr(predicate::str::contains("--repo OWNER/NAME"));
    init(tmp.path())
        .args(["--check", "--force"])
        .assert()
        .code(2);
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_symbolic_link_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), tmp.path().join(".github")).unwrap();
    init(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a regular file"));
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(!tmp.path().join("ferry.toml").exists());
}
