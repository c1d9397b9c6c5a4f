//! `ferry-promote` with the plain-git forge on real repositories (a bare origin seeded from
//! `fixtures/blueprint`, a clone per test) and a real registry (`docker-registry`) holding the
//! images dev runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use ferry_image::registry::{
    ClientOptions, CredentialSource, ImageBuild, ImageRef, RegistryClient,
};
use ferry_test_support::git::{
    self as support, bare_origin, copy_blueprint, git, init_commit, use_git_forge,
};
use ferry_test_support::registry::TestRegistry;
use serde_json::Value;

use crate::common::{SEED_TIME, ferry_promote};

const STAGING: &str = "infra/k8s/overlays/staging/kustomization.yaml";

struct Setup {
    _tmp: tempfile::TempDir,
    origin: PathBuf,
    clone: PathBuf,
    host: String,
    _registry: TestRegistry,
}

/// The blueprint with its images moved to `registry` (and pushed there), on a bare origin.
fn setup() -> Option<Setup> {
    let registry = TestRegistry::start()?;
    let host = registry.host();
    let tmp = tempfile::tempdir().unwrap();
    let seed = tmp.path().join("seed");
    copy_blueprint(&seed);
    rewrite(&seed, &host);
    use_git_forge(&seed);
    init_commit(&seed, "blueprint", SEED_TIME);
    let origin = tmp.path().join("origin.git");
    bare_origin(&seed, &origin, SEED_TIME);
    let clone = support::clone(&origin, &tmp.path().join("clone"), SEED_TIME);
    push_images(
        &host,
        &[
            ("acme/backend", "1.3.3"),
            ("acme/frontend", "1.3.3"),
            ("library/postgres", "16.4"),
        ],
    );
    Some(Setup {
        _tmp: tmp,
        origin,
        clone,
        host,
        _registry: registry,
    })
}

/// Points every image of the blueprint at `host`.
fn rewrite(dir: &Path, host: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rewrite(&path, host);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let text = text.replace("registry.example.com", host).replace(
                "image: postgres:16.4",
                &format!("image: {host}/library/postgres:16.4"),
            );
            std::fs::write(&path, text).unwrap();
        }
    }
}

fn push_images(host: &str, images: &[(&str, &str)]) {
    let client = RegistryClient::new(
        ClientOptions {
            plain_http: vec![host.to_owned()],
            ..ClientOptions::default()
        },
        CredentialSource::anonymous(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for (repository, tag) in images {
            let build = ImageBuild::new(
                "linux/amd64".parse().unwrap(),
                vec![format!("{repository}:{tag}").into_bytes()],
            );
            client
                .push_image(&ImageRef::new(host, *repository).with_tag(*tag), &build)
                .await
                .unwrap();
        }
    });
}

/// `ferry-promote` in the clone, without user git configuration or docker credentials.
fn promote_command(setup: &Setup) -> Command {
    ferry_promote(&setup.clone)
}

fn promote(setup: &Setup, args: &[&str]) -> (i32, Value, String) {
    let out = promote_command(setup)
        .env("FERRY_PLAIN_HTTP", &setup.host)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (out.status.code().unwrap_or(-1), json, stderr)
}

fn refused_rules(json: &Value) -> Vec<String> {
    json["promotion"]["refused"]["refusals"]
        .as_array()
        .unwrap_or_else(|| panic!("no refusals: {json}"))
        .iter()
        .map(|r| r["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn all_refs(origin: &Path) -> String {
    git(
        origin,
        &["for-each-ref", "--format=%(objectname) %(refname)"],
        SEED_TIME,
    )
}

fn staging_backend(origin: &Path) -> String {
    git(origin, &["show", &format!("main:{STAGING}")], SEED_TIME)
}

#[test]
fn refuses_without_a_verification_record() {
    let Some(s) = setup() else { return };
    let before = all_refs(&s.origin);
    let (code, json, stderr) = promote(&s, &["--from", "dev", "--to", "staging"]);
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(
        refused_rules(&json),
        ["verified"],
        "only the verification is missing: {json}"
    );
    let evidence = json["promotion"]["refused"]["refusals"][0]["evidence"]
        .as_str()
        .unwrap();
    assert!(
        evidence.contains("dev has no verification record"),
        "{evidence}"
    );
    assert!(
        stderr.contains("promotion dev → staging refused: verified:"),
        "{stderr}"
    );
    assert_eq!(all_refs(&s.origin), before, "a refusal changes nothing");

    // Without --from: the upstream of --to in ferry.toml (staging's is dev).
    let (code, json, stderr) = promote(&s, &["--to", "staging"]);
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(refused_rules(&json), ["verified"], "{json}");
    assert_eq!(json["promotion"]["refused"]["from"], "dev", "{json}");
    // An environment without an upstream needs --from.
    let (code, json, stderr) = promote(&s, &["--to", "dev"]);
    assert_eq!(code, 2, "{json}\n{stderr}");
    assert!(stderr.contains("dev has no upstream"), "{stderr}");
    assert!(stderr.contains("pass --from"), "{stderr}");
    assert_eq!(all_refs(&s.origin), before);
}

/// A record only this clone has (`ferry-ledger mark-verified --no-push`) does not count: the
/// gates read what the forge holds, and the evidence says where it looked.
#[test]
fn a_local_unpushed_record_does_not_count() {
    let Some(s) = setup() else { return };
    // The record, written in the clone's own notes only.
    let config = ferry_config::Config::load(s.clone.join("ferry.toml")).unwrap();
    let loaded = ferry_gitops::load_ledger(&config, &ferry_gitops::LoadRequest::default()).unwrap();
    ferry_gitops::verify_deployment(
        &loaded.repo,
        &loaded.ledger,
        "dev",
        None,
        serde_json::json!({"by": "hand"}),
        &ferry_gitops::Signature::new(
            "Ada",
            "ada@example.com",
            jiff::Timestamp::from_second(SEED_TIME + 60).unwrap(),
        ),
    )
    .unwrap();
    assert!(git(&s.origin, &["for-each-ref", "refs/notes/"], SEED_TIME).is_empty());
    let before = all_refs(&s.origin);
    let (code, json, stderr) = promote(
        &s,
        &[
            "--from",
            "dev",
            "--to",
            "staging",
            "--soak",
            "0s",
            "--auto-merge",
        ],
    );
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(refused_rules(&json), ["verified"], "{json}");
    let evidence = json["promotion"]["refused"]["refusals"][0]["evidence"]
        .as_str()
        .unwrap();
    assert!(
        evidence.contains("read from the remote's refs/notes/ferry"),
        "{evidence}"
    );
    assert!(
        evidence.contains("exists only in the local repository"),
        "{evidence}"
    );
    assert_eq!(all_refs(&s.origin), before, "nothing merged on the remote");
    // The sync kept the local record.
    let note = git(
        &s.clone,
        &["notes", "--ref", "ferry", "show", "HEAD"],
        SEED_TIME,
    );
    assert!(note.contains("\"env\":\"dev\""), "{note}");

    // Pushed through the forge, it counts, and the plan says where it was read.
    let (code, json, stderr) = promote(&s, &["--mark-verified", "dev"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    let (code, json, stderr) = promote(
        &s,
        &[
            "--from",
            "dev",
            "--to",
            "staging",
            "--soak",
            "0s",
            "--dry-run",
        ],
    );
    assert_eq!(code, 0, "{json}\n{stderr}");
    let source = json["promotion"]["plan"]["verification"]["source"]
        .as_str()
        .unwrap_or_else(|| panic!("{json}"));
    assert!(source.contains("the remote's refs/notes/ferry"), "{source}");
}

#[test]
fn refuses_before_the_soak_time() {
    let Some(s) = setup() else { return };
    let (code, json, stderr) = promote(&s, &["--mark-verified", "dev"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    let (code, json, stderr) = promote(
        &s,
        &["--from", "dev", "--to", "staging", "--soak", "36500d"],
    );
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(refused_rules(&json), ["soak"], "{json}");
    let evidence = json["promotion"]["refused"]["refusals"][0]["evidence"]
        .as_str()
        .unwrap();
    assert!(
        evidence.contains("entered dev at 2026-01-01T00:00:00Z"),
        "{evidence}"
    );
}

#[test]
fn refuses_a_target_on_hold() {
    let Some(s) = setup() else { return };
    let blob_file = s.origin.join("hold.json");
    std::fs::write(
        &blob_file,
        r#"[{"env":"staging","reason":"incident 42: freeze","created_at":"2026-01-02T00:00:00Z"}]"#,
    )
    .unwrap();
    let blob = git(
        &s.origin,
        &["hash-object", "-w", blob_file.to_str().unwrap()],
        SEED_TIME,
    );
    std::fs::remove_file(&blob_file).unwrap();
    let mut mktree = Command::new("git")
        .current_dir(&s.origin)
        .arg("mktree")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    writeln!(
        mktree.stdin.take().unwrap(),
        "100644 blob {}\tstaging.json",
        blob.trim()
    )
    .unwrap();
    let tree = String::from_utf8(mktree.wait_with_output().unwrap().stdout).unwrap();
    let commit = git(
        &s.origin,
        &["commit-tree", tree.trim(), "-m", "hold"],
        SEED_TIME,
    );
    git(
        &s.origin,
        &["update-ref", "refs/ferry/holds", commit.trim()],
        SEED_TIME,
    );

    let (code, json, stderr) = promote(
        &s,
        &["--mark-verified", "dev", "--from", "dev", "--to", "staging"],
    );
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(
        json["marked"]["env"], "dev",
        "the record was written first: {json}"
    );
    assert_eq!(refused_rules(&json), ["hold"], "{json}");
    let evidence = json["promotion"]["refused"]["refusals"][0]["evidence"]
        .as_str()
        .unwrap();
    assert!(evidence.contains("incident 42: freeze"), "{evidence}");
}

#[test]
fn mark_verified_then_promote_succeeds_and_dry_run_changes_nothing() {
    let Some(s) = setup() else { return };
    // A dry run of --mark-verified writes no note.
    let (code, json, stderr) = promote(&s, &["--mark-verified", "dev", "--dry-run"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(json["marked"]["dry_run"], true);
    assert!(git(&s.origin, &["for-each-ref", "refs/notes/"], SEED_TIME).is_empty());

    let (code, json, stderr) = promote(&s, &["--mark-verified", "dev"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    let commit = json["marked"]["commit"].as_str().unwrap().to_owned();
    let note = git(
        &s.origin,
        &["notes", "--ref", "ferry", "show", &commit],
        SEED_TIME,
    );
    assert!(note.contains("\"env\":\"dev\""), "{note}");
    assert!(
        note.contains(&format!("{}/acme/backend:1.3.3", s.host)),
        "{note}"
    );

    let before = all_refs(&s.origin);
    let (code, json, stderr) = promote(&s, &["--from", "dev", "--to", "staging", "--dry-run"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(json["promotion"]["dry_run"], true);
    assert_eq!(json["promotion"]["promoted"], false);
    let changes = json["promotion"]["plan"]["changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "{json}");
    assert_eq!(all_refs(&s.origin), before, "a dry run changes nothing");

    // Merged: Slack is told.
    let (slack, heads) = ferry_test_support::http::serve_recording("200 OK", "ok");
    let webhook = format!("http://{slack}/services/T000/B000/XXX");
    let (code, json, stderr) = promote(
        &s,
        &[
            "--from",
            "dev",
            "--to",
            "staging",
            "--auto-merge",
            "--slack-webhook",
            &webhook,
        ],
    );
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(json["promotion"]["promoted"], true, "{json}");
    assert_eq!(json["promotion"]["change"]["merged"], true, "{json}");
    let notified = &json["promotion"]["notifications"];
    assert_eq!(notified[0]["channel"], "slack", "{json}");
    assert_eq!(notified[0]["result"], "sent", "{json}");
    assert!(
        notified[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("staging: promoted "),
        "{json}"
    );
    assert_eq!(
        *heads.lock().unwrap(),
        ["POST /services/T000/B000/XXX HTTP/1.1"]
    );
    assert!(!stderr.contains("XXX"), "the webhook is a secret: {stderr}");
    let staging = staging_backend(&s.origin);
    assert!(
        staging.contains(&format!(
            "- name: {}/acme/backend\n    newTag: 1.3.3",
            s.host
        )),
        "{staging}"
    );
    assert!(
        staging.contains(&format!(
            "- name: {}/acme/frontend\n    newTag: 1.3.3",
            s.host
        )),
        "{staging}"
    );

    // Promoting again: staging already runs it.
    let (code, json, stderr) = promote(&s, &["--from", "dev", "--to", "staging"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(json["promotion"]["noop"], true, "{json}");
}

#[test]
fn refuses_images_missing_from_the_registry() {
    let Some(s) = setup() else { return };
    // dev moves to a backend tag that was never pushed.
    let dev = s.clone.join("infra/k8s/overlays/dev/kustomization.yaml");
    let text = std::fs::read_to_string(&dev).unwrap();
    let text = text.replacen("newTag: 1.3.3 # bumped by ferry-pr", "newTag: 1.4.0", 1);
    std::fs::write(&dev, text).unwrap();
    git(
        &s.clone,
        &["commit", "-q", "-am", "dev: backend 1.4.0"],
        SEED_TIME + 60,
    );
    git(&s.clone, &["push", "-q", "origin", "main"], SEED_TIME + 60);

    let (code, json, stderr) = promote(
        &s,
        &[
            "--mark-verified",
            "dev",
            "--from",
            "dev",
            "--to",
            "staging",
            "--soak",
            "0s",
        ],
    );
    assert_eq!(code, 1, "{json}\n{stderr}");
    assert_eq!(refused_rules(&json), ["registry"], "{json}");
    let evidence = json["promotion"]["refused"]["refusals"][0]["evidence"]
        .as_str()
        .unwrap();
    assert!(
        evidence.contains(&format!(
            "{}/acme/backend:1.4.0 does not exist in the registry",
            s.host
        )),
        "{evidence}"
    );
}

#[test]
fn an_unreachable_registry_is_inconclusive_exit_3_not_a_refusal() {
    let Some(mut s) = setup() else { return };
    let (code, json, stderr) = promote(&s, &["--mark-verified", "dev"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    s._registry.stop();
    let (code, json, stderr) = promote(
        &s,
        &[
            "--from",
            "dev",
            "--to",
            "staging",
            "--soak",
            "0s",
            "--dry-run",
        ],
    );
    assert_eq!(code, 3, "an outage is not a bad image: {json}\n{stderr}");
    assert_eq!(json["promotion"]["inconclusive"], true, "{json}");
    assert_eq!(json["promotion"]["promoted"], false, "{json}");
    assert_eq!(refused_rules(&json), ["registry"], "{json}");
}

#[test]
fn the_registry_gate_follows_the_registries_of_ferry_toml() {
    let Some(s) = setup() else { return };
    let (code, json, stderr) = promote(&s, &["--mark-verified", "dev"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    // Loopback needs no --plain-http: an empty FERRY_PLAIN_HTTP still reaches the registry.
    let run = |extra_env: &str| {
        let out = promote_command(&s)
            .env("FERRY_PLAIN_HTTP", extra_env)
            .args([
                "--from",
                "dev",
                "--to",
                "staging",
                "--soak",
                "0s",
                "--dry-run",
            ])
            .args(["--format", "json"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.code().unwrap_or(-1), stdout)
    };
    let (code, out) = run("");
    assert_eq!(code, 0, "{out}");
    // Configured for HTTPS, the plain-HTTP registry cannot be asked: inconclusive, with the hint.
    let config = s.clone.join("ferry.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[registries.\"{}\"]\nplain-http = false\n",
        s.host
    ));
    std::fs::write(&config, text).unwrap();
    let (code, out) = run("");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("plain-http = true"), "{out}");
}

/// A promotion builds the ledger of the synced base once: the gates' ledger is the one the
/// planner plans on (the preview and the change).
#[test]
fn a_promotion_builds_the_ledger_once() {
    let Some(s) = setup() else { return };
    let (code, json, stderr) = promote(&s, &["--mark-verified", "dev"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    let out = promote_command(&s)
        .env("FERRY_PLAIN_HTTP", &s.host)
        .env("FERRY_LOG", "debug")
        .args(["--from", "dev", "--to", "staging", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let builds = stderr
        .lines()
        .filter(|l| l.contains("ledger built"))
        .count();
    assert_eq!(builds, 1, "{stderr}");
}
