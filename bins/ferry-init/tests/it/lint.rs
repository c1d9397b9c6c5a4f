//! `ferry lint` finds nothing in the repositories `ferry init` writes for the GitHub forge.

use std::process::Command;

use crate::end_to_end::bin_dir;

#[test]
fn ferry_lint_finds_nothing_in_the_generated_repositories() {
    let Some(bins) = bin_dir(&["ferry", "ferry-init", "ferry-lint"]) else {
        return;
    };
    let variants: [&[&str]; 2] = [
        &[
            "--app",
            "shop",
            "--image",
            "backend=ghcr.io/acme/backend",
            "--image",
            "frontend=ghcr.io/acme/frontend",
            "--repo",
            "acme/shop",
        ],
        &[
            "--app",
            "api",
            "--image",
            "api=registry.example.com/acme/api",
            "--repo",
            "acme/api",
            "--environments",
            "test,live",
            "--blue-green",
            "",
            "--base",
            "trunk",
        ],
    ];
    for args in variants {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = Command::new(bins.join("ferry"))
            .arg("init")
            .arg(dir.path())
            .args(args)
            .output()
            .expect("run ferry init");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new(bins.join("ferry"))
            .arg("lint")
            .arg(dir.path())
            .args(["--format", "json"])
            .env_remove("GITHUB_ACTIONS")
            .output()
            .expect("run ferry lint");
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("ferry lint prints JSON");
        assert!(
            out.status.success() && report["clean"] == true,
            "{args:?}: {report}"
        );
        assert!(
            report["workflows"].as_array().is_some_and(|w| w.len() >= 5),
            "{report}"
        );
    }
}
