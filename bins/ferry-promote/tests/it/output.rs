//! `ferry-promote`'s errors as JSON with the shared kinds: an unknown environment is `usage`, as
//! in `ferry-pr`.

use std::path::Path;
use std::process::Command;

use ferry_test_support::git::blueprint_checkout;
use ferry_test_support::output::assert_json_error;

use crate::common::{SEED_TIME as T0, ferry_promote};

fn promote(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = ferry_promote(dir);
    cmd.args(args).args(["--format", "json"]);
    cmd
}

#[test]
fn errors_are_json_with_the_shared_kinds() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(dir) = blueprint_checkout(tmp.path(), T0) else {
        return;
    };
    for args in [
        ["--from", "dev", "--to", "qa"],
        ["--from", "qa", "--to", "staging"],
    ] {
        let out = promote(&dir, &args).output().unwrap();
        let error = assert_json_error(&out, "usage", 2);
        assert!(error["message"].as_str().unwrap().contains("qa"), "{error}");
    }
    let out = promote(
        &dir,
        &[
            "--from",
            "dev",
            "--to",
            "staging",
            "--config",
            "missing/ferry.toml",
        ],
    )
    .output()
    .unwrap();
    assert_json_error(&out, "bad-input", 2);
}
