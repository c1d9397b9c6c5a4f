//! `ferry-image`'s output: a closed stdout, and its errors as JSON with the shared kinds.

use std::process::Command;

use ferry_test_support::output::{
    assert_json_error, assert_quiet_broken_pipe, run_into_closed_pipe,
};

fn bin() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry-image"));
    cmd.env_remove("GITHUB_OUTPUT");
    cmd
}

#[test]
fn a_closed_stdout_ends_quietly() {
    for format in ["json", "text"] {
        let out =
            run_into_closed_pipe(bin().args(["parse", "ghcr.io/acme/app:1.0", "--format", format]));
        assert_quiet_broken_pipe(&out);
    }
}

#[test]
fn errors_are_json_with_the_shared_shape() {
    let out = bin()
        .args(["parse", "Nginx:latest", "--format", "json"])
        .output()
        .unwrap();
    let error = assert_json_error(&out, "usage", 2);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid reference `Nginx:latest`"),
        "{error}"
    );
    // Nothing listens on port 1: the registry is unavailable (exit 3).
    let out = bin()
        .args([
            "exists",
            "127.0.0.1:1/acme/app:1.0",
            "--plain-http",
            "127.0.0.1:1",
            "--retries",
            "0",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert_eq!(code, 3, "{}", String::from_utf8_lossy(&out.stderr));
    let error = assert_json_error(&out, "unavailable", 3);
    assert!(error["message"].as_str().unwrap().contains("127.0.0.1:1"));
}
