//! The end-to-end demo runs green with the workspace's debug binaries.

use std::process::Command;

use crate::bin_dir;

#[test]
fn demo_runs_green() {
    let bins = bin_dir();
    // What `cargo test --workspace` builds; `demo::BINARIES` of the xtask.
    let missing: Vec<&str> = [
        "ferry",
        "ferry-set-image",
        "ferry-tag",
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
        ferry_test_support::skip_notice(&format!(
            "binaries not built in {} ({missing:?}); run `cargo test --workspace`",
            bins.display()
        ));
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
