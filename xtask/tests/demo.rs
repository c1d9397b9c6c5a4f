//! The end-to-end demo runs green with the workspace's debug binaries.

use std::path::PathBuf;
use std::process::Command;

/// `target/debug`: this test runs from `target/debug/deps`.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("target/debug")
        .to_path_buf()
}

#[test]
fn demo_runs_green() {
    let bins = bin_dir();
    let missing: Vec<&str> = [
        "ferry",
        "ferry-tag",
        "ferry-set-image",
        "ferry-pr",
        "ferry-promote",
        "ferry-monitor",
        "ferry-rollback",
        "ferry-ledger",
    ]
    .into_iter()
    .filter(|b| !bins.join(b).is_file())
    .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "binaries not built in {}: {missing:?}",
            bins.display()
        );
        eprintln!("skipping: build the binaries first ({missing:?} missing)");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["demo", "--bin-dir"])
        .arg(&bins)
        .output()
        .expect("run xtask demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("first failing check → revert commit"),
        "{stdout}"
    );
    assert!(stdout.contains("refused: hold"), "{stdout}");
    assert!(stdout.contains("Demo finished"), "{stdout}");
}
