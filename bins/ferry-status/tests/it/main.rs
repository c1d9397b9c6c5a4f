//! The integration tests of ferry-status.

mod cli;
mod github;
mod tty;

use std::process::Output;

/// What a successful ferry-status run printed (the test fails with its stderr otherwise).
fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "ferry-status failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8")
}
