//! `ferry-rollback` with the plain-git forge on real repositories: a bare origin seeded from
//! `fixtures/blueprint` (dev then bumped to a bad backend), dev's blueprint deployment
//! verified, and a clone as the runner's checkout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferry_gitops::forge::Forge;
use ferry_gitops::forge::git::{GitForge, GitForgeOptions};
use ferry_gitops::gates::hold_rule;
use ferry_gitops::{LoadRequest, ObjectId, Repo, Signature, load_ledger, verify_deployment};
use ferry_health::monitor::{Check, Event, Policy, Report, Verdict};
use ferry_health::probe::{Observation, Outcome};
use ferry_test_support::git::{bare_origin, copy_blueprint, git, init_commit, use_git_forge};
use serde_json::Value;
use tempfile::TempDir;

use crate::common::{DEV, T0, dev_backend, run as ferry_rollback};

const BACKEND: &str = "registry.example.com/acme/backend";

struct World {
    dir: TempDir,
    origin: PathBuf,
    good: String,
    bad: String,
}

/// Origin `main`: the blueprint (dev backend 1.3.3, verified) then dev backend 9.9.9 (bad).
fn world() -> Option<World> {
    ferry_test_support::require_tool("git")?;
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed");
    copy_blueprint(&seed);
    use_git_forge(&seed);
    let good = init_commit(&seed, "blueprint", T0);
    let file = seed.join(DEV);
    let text = std::fs::read_to_string(&file).unwrap();
    let bumped = text.replacen("newTag: 1.3.3 # bumped", "newTag: 9.9.9 # bumped", 1);
    assert_ne!(text, bumped);
    std::fs::write(&file, bumped).unwrap();
    git(
        &seed,
        &["commit", "-q", "-am", "dev: backend 9.9.9"],
        T0 + 60,
    );
    let bad = git(&seed, &["rev-parse", "HEAD"], T0).trim().to_owned();
    let origin = dir.path().join("origin.git");
    bare_origin(&seed, &origin, T0);

    // Verify dev's blueprint deployment and push the note.
    let runner = clone(dir.path(), &origin, "verifier");
    let config = ferry_config::Config::load(runner.join("ferry.toml")).unwrap();
    let loaded = load_ledger(&config, &LoadRequest::default()).unwrap();
    let good_id = ObjectId::from_hex(good.as_bytes()).unwrap();
    verify_deployment(
        &loaded.repo,
        &loaded.ledger,
        "dev",
        Some(good_id),
        serde_json::json!({"by": "test"}),
        &Signature::new(
            "t",
            "t@example.com",
            jiff::Timestamp::from_second(T0 + 30).unwrap(),
        ),
    )
    .unwrap();
    git(&runner, &["push", "-q", "origin", "refs/notes/ferry"], T0);
    Some(World {
        dir,
        origin,
        good,
        bad,
    })
}

fn clone(dir: &Path, origin: &Path, name: &str) -> PathBuf {
    git(dir, &["clone", "-q", origin.to_str().unwrap(), name], T0);
    dir.join(name)
}

fn json(stdout: &str, stderr: &str) -> Value {
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}\nstderr: {stderr}"))
}

fn report(outcome: Outcome) -> Report {
    let check = |n: u32| Check {
        n,
        at_ms: 10_000 + u64::from(n - 1) * 30_000,
        outcome,
        consecutive_failures: if outcome == Outcome::Fail { n } else { 0 },
        errors: if outcome == Outcome::Fail { 0 } else { n },
        observations: vec![Observation::new(
            "http GET https://shop.dev.example.com/api/healthz",
            outcome,
            if outcome == Outcome::Fail {
                "status 503"
            } else {
                "connection refused"
            },
        )],
    };
    Report {
        verdict: Verdict::Unhealthy,
        reason: "3 consecutive failed checks".into(),
        at_ms: 70_000,
        policy: Policy::default(),
        checks: vec![check(1), check(2), check(3)],
        signal: None,
    }
}

/// A JSON Lines file as `ferry-monitor watch --format json` writes it, the verdict line
/// carrying the watched commit and the start time.
fn write_report(dir: &Path, name: &str, report: &Report, commit: Option<&str>) -> PathBuf {
    let mut lines = Vec::new();
    lines.push(
        serde_json::to_string(&Event::Started {
            policy: report.policy.clone(),
            probes: vec!["http GET https://shop.dev.example.com/api/healthz".into()],
        })
        .unwrap(),
    );
    for c in &report.checks {
        lines.push(serde_json::to_string(&Event::Check(c.clone())).unwrap());
    }
    let mut verdict = serde_json::to_value(Event::Verdict(report.clone())).unwrap();
    let started = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(120);
    verdict["started_at"] = Value::String(started.to_string());
    if let Some(c) = commit {
        verdict["commit"] = Value::String(c.to_owned());
    }
    lines.push(verdict.to_string());
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn main_of(origin: &Path) -> String {
    git(origin, &["rev-parse", "main"], T0).trim().to_owned()
}

fn holds_on(origin: &Path, dir: &Path, name: &str) -> Vec<ferry_gitops::gates::Hold> {
    let clone = clone(dir, origin, name);
    let forge = GitForge::new(
        Repo::open(&clone).unwrap(),
        GitForgeOptions {
            remote: "origin".into(),
            base_branch: "main".into(),
            branch_prefix: "deploy/".into(),
            signature: Signature::new("t", "t@example.com", jiff::Timestamp::now()),
        },
    );
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(forge.holds())
        .unwrap()
}

/// What `ferry-pr open --env dev --image backend=IMAGE --allow-downgrade` computes on a fresh
/// clone: the same planner, holds and synced base (the downgrade guard is off, so only the
/// hold can refuse).
fn pr_open(origin: &Path, dir: &Path, name: &str, image: &str) -> Result<(), String> {
    let clone = clone(dir, origin, name);
    let forge = GitForge::new(
        Repo::open(&clone).unwrap(),
        GitForgeOptions {
            remote: "origin".into(),
            base_branch: "main".into(),
            branch_prefix: "deploy/".into(),
            signature: Signature::new("t", "t@example.com", jiff::Timestamp::now()),
        },
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(forge.sync()).unwrap();
    let holds = rt.block_on(forge.holds()).unwrap();
    let planner = ferry_gitops::deploy::DeployPlanner::new(
        "dev",
        "infra/k8s/overlays/dev",
        vec![ferry_gitops::deploy::ImageRequest {
            name: "backend".into(),
            repository: BACKEND.parse().unwrap(),
            image: image.parse().unwrap(),
        }],
        true,
        holds,
        &ferry_gitops::plan::NoRepository,
    );
    match planner.compute(&ferry_gitops::forge::Base::new(base, forge.repo())) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("{}: {e}", e.kind())),
    }
}

#[test]
fn a_failed_release_is_reverted_held_and_its_rollback_never_rolled_back() {
    let Some(w) = world() else { return };
    let runner = clone(w.dir.path(), &w.origin, "runner");
    let file = write_report(
        w.dir.path(),
        "bad.jsonl",
        &report(Outcome::Fail),
        Some(&w.bad),
    );
    let (code, stdout, stderr) = ferry_rollback(
        &runner,
        &[
            "--env",
            "dev",
            "--report",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let out = json(&stdout, &stderr);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(out["decision"]["decision"], "roll-back", "{out:#}");
    assert_eq!(out["decision"]["rule"], "roll-back");
    assert_eq!(out["target"]["verified_commit"], w.good.as_str());
    assert_eq!(out["target"]["failed_commit"], w.bad.as_str());
    assert_eq!(out["revert"]["merged"], true, "{out:#}");
    assert_eq!(out["dry_run"], false);

    // Git: the revert is on origin's main, the overlay back on 1.3.3, with the trailer.
    let head = main_of(&w.origin);
    assert_eq!(out["revert"]["commit"], head.as_str());
    assert_eq!(dev_backend(&w.origin), "1.3.3");
    let message = git(&w.origin, &["log", "-1", "--format=%B", "main"], T0);
    assert!(
        message.contains(&format!("Ferry-Rollback: {}", w.bad)),
        "{message}"
    );
    // It links the failed change: its commit and subject on the remote.
    assert!(
        message.contains(&format!("Failed change: commit {} \"", w.bad)),
        "{message}"
    );

    // The hold: only the failed image (the unchanged frontend is not held), on the remote.
    let held = BTreeMap::from([
        ("backend/backend".to_owned(), format!("{BACKEND}:9.9.9")),
        ("backend/migrate".to_owned(), format!("{BACKEND}:9.9.9")),
    ]);
    assert_eq!(
        out["hold"]["images"],
        serde_json::to_value(&held).unwrap(),
        "{out:#}"
    );
    let holds = holds_on(&w.origin, w.dir.path(), "reader");
    assert_eq!(holds.len(), 1, "{holds:?}");
    let bad_set = BTreeMap::from([("backend/backend".to_owned(), format!("{BACKEND}:9.9.9"))]);
    let good_set = BTreeMap::from([("backend/backend".to_owned(), format!("{BACKEND}:1.3.3"))]);
    assert!(hold_rule("dev", &bad_set, &holds).is_some());
    assert!(hold_rule("dev", &good_set, &holds).is_none());
    assert!(hold_rule("staging", &bad_set, &holds).is_none());
    let refused = pr_open(&w.origin, w.dir.path(), "pr", &format!("{BACKEND}:9.9.9")).unwrap_err();
    assert!(refused.starts_with("held: "), "{refused}");
    pr_open(&w.origin, w.dir.path(), "pr2", &format!("{BACKEND}:9.9.10")).unwrap();

    // The same report again: it is about the failed deployment, no longer current.
    let (code, stdout, stderr) = ferry_rollback(
        &runner,
        &[
            "--env",
            "dev",
            "--report",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(json(&stdout, &stderr)["decision"]["rule"], "stale");

    // A failing rollback is escalated, never rolled back: by the policy and by hand.
    let file = write_report(
        w.dir.path(),
        "rollback.jsonl",
        &report(Outcome::Fail),
        Some(&head),
    );
    let (code, stdout, stderr) = ferry_rollback(
        &runner,
        &[
            "--env",
            "dev",
            "--report",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let out = json(&stdout, &stderr);
    assert_eq!(out["decision"]["decision"], "escalate");
    assert_eq!(out["decision"]["rule"], "rollback-of-rollback");
    let (code, stdout, stderr) = ferry_rollback(&runner, &["--env", "dev"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains("rollback-of-rollback"), "{stdout}");
    assert_eq!(main_of(&w.origin), head, "nothing moved");

    // Release: the hold is lifted (kept on record), a second release finds nothing.
    let image = format!("{BACKEND}:9.9.9");
    let (code, stdout, stderr) =
        ferry_rollback(&runner, &["release", "--env", "dev", "--image", &image]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("released the hold of dev"), "{stdout}");
    let holds = holds_on(&w.origin, w.dir.path(), "reader2");
    assert!(holds.iter().all(|h| h.released), "{holds:?}");
    assert!(hold_rule("dev", &bad_set, &holds).is_none());
    pr_open(&w.origin, w.dir.path(), "pr3", &format!("{BACKEND}:9.9.9")).unwrap();
    let (code, _, stderr) = ferry_rollback(
        &runner,
        &[
            "release", "--env", "dev", "--image", &image, "--format", "json",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("no active hold"), "{stderr}");
}

#[test]
fn probe_errors_alone_never_roll_back() {
    let Some(w) = world() else { return };
    let runner = clone(w.dir.path(), &w.origin, "runner");
    let before = main_of(&w.origin);
    // No commit and no start time in the line: the current deployment, the file's time.
    let line = serde_json::to_string(&Event::Verdict(report(Outcome::Error))).unwrap();
    let file = w.dir.path().join("verdict.json");
    std::fs::write(&file, line).unwrap();
    let (code, stdout, stderr) = ferry_rollback(
        &runner,
        &[
            "--env",
            "dev",
            "--report",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let out = json(&stdout, &stderr);
    assert_eq!(out["decision"]["decision"], "continue");
    assert_eq!(out["decision"]["rule"], "probe-errors-only");
    assert_eq!(out["revert"], Value::Null);
    assert_eq!(main_of(&w.origin), before);
    assert!(git(&w.origin, &["for-each-ref", "refs/ferry/holds"], T0).is_empty());
}

#[test]
fn a_dry_run_decides_and_changes_nothing() {
    let Some(w) = world() else { return };
    let runner = clone(w.dir.path(), &w.origin, "runner");
    let before = main_of(&w.origin);
    let file = write_report(
        w.dir.path(),
        "bad.jsonl",
        &report(Outcome::Fail),
        Some(&w.bad),
    );
    let (code, stdout, stderr) = ferry_rollback(
        &runner,
        &[
            "--env",
            "dev",
            "--report",
            file.to_str().unwrap(),
            "--dry-run",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("dev: roll-back [roll-back] (dry run, nothing changed)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "backend/backend: {BACKEND}:9.9.9 -> {BACKEND}:1.3.3"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("would hold: {BACKEND}:9.9.9")),
        "{stdout}"
    );

    // By hand, to an explicit commit.
    let (code, stdout, stderr) = ferry_rollback(
        &runner,
        &[
            "--env",
            "dev",
            "--to",
            &w.good,
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let out = json(&stdout, &stderr);
    assert_eq!(out["decision"]["decision"], "roll-back");
    assert_eq!(out["target"]["verified_commit"], w.good.as_str());
    assert_eq!(out["dry_run"], true);
    assert_eq!(main_of(&w.origin), before);
    assert!(git(&w.origin, &["for-each-ref", "refs/ferry"], T0).is_empty());
    assert!(git(&w.origin, &["branch", "--list", "deploy/*"], T0).is_empty());
}

#[test]
fn to_accepts_the_revisions_git_rev_parse_accepts() {
    let Some(w) = world() else { return };
    let runner = clone(w.dir.path(), &w.origin, "runner");
    git(&runner, &["tag", "good-release", &w.good], T0);
    // The 12-character id ferry-ledger and ferry-rollback print, a short id, HEAD~1, a tag.
    for rev in [
        &w.good[..12],
        &w.good[..7],
        "HEAD~1",
        "main^",
        "good-release",
    ] {
        let (code, stdout, stderr) = ferry_rollback(
            &runner,
            &["--env", "dev", "--to", rev, "--dry-run", "--format", "json"],
        );
        assert_eq!(code, 0, "--to {rev}: {stdout}\n{stderr}");
        let out = json(&stdout, &stderr);
        assert_eq!(
            out["decision"]["decision"], "roll-back",
            "--to {rev}: {out}"
        );
        assert_eq!(
            out["target"]["verified_commit"],
            w.good.as_str(),
            "--to {rev}"
        );
    }
    let (code, _, stderr) =
        ferry_rollback(&runner, &["--env", "dev", "--to", "HEAD~5", "--dry-run"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no commit or ref named `HEAD~5`"),
        "{stderr}"
    );
}

/// The target of `--to previous` is verified by a record the remote holds: one only the
/// runner's clone has does not count.
#[test]
fn a_record_only_the_local_clone_has_is_no_verified_target() {
    let Some(w) = world() else { return };
    git(&w.origin, &["update-ref", "-d", "refs/notes/ferry"], T0);
    let runner = clone(w.dir.path(), &w.origin, "runner");
    let config = ferry_config::Config::load(runner.join("ferry.toml")).unwrap();
    let loaded = load_ledger(&config, &LoadRequest::default()).unwrap();
    verify_deployment(
        &loaded.repo,
        &loaded.ledger,
        "dev",
        Some(ObjectId::from_hex(w.good.as_bytes()).unwrap()),
        serde_json::json!({"by": "local"}),
        &Signature::new(
            "t",
            "t@example.com",
            jiff::Timestamp::from_second(T0 + 30).unwrap(),
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = ferry_rollback(
        &runner,
        &[
            "--env",
            "dev",
            "--to",
            "previous",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let out = json(&stdout, &stderr);
    assert_eq!(out["decision"]["rule"], "no-verified-target", "{out}");
}

#[test]
fn a_cluster_failure_exits_3_and_says_what_still_happened() {
    let Some(w) = world() else { return };
    let runner = clone(w.dir.path(), &w.origin, "runner");
    // Nothing listens on port 1: the abort fails, Git and the hold still happen.
    let (code, stdout, stderr) = ferry_rollback(
        &runner,
        &[
            "--env",
            "dev",
            "--to",
            "previous",
            "--rollout",
            "backend",
            "-n",
            "acme-dev",
            "--server",
            "http://127.0.0.1:1",
            "--reason",
            "checkout errors",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let out = json(&stdout, &stderr);
    assert_eq!(out["rollouts"][0]["name"], "backend");
    assert_eq!(out["rollouts"][0]["result"], "failed");
    assert_eq!(out["revert"]["merged"], true, "{out:#}");
    assert_eq!(out["hold"]["result"], "done");
    assert!(
        stderr.contains("failed: abort of rollout backend; done: Git revert (merged as"),
        "{stderr}"
    );
    assert_eq!(dev_backend(&w.origin), "1.3.3");
    let message = git(&w.origin, &["log", "-1", "--format=%B", "main"], T0);
    assert!(message.contains("checkout errors"), "{message}");
}

#[test]
fn bad_input_exits_2() {
    let Some(w) = world() else { return };
    let runner = clone(w.dir.path(), &w.origin, "runner");
    let missing = w.dir.path().join("missing.jsonl");
    let (code, _, stderr) = ferry_rollback(
        &runner,
        &["--env", "dev", "--report", missing.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--report: cannot read"), "{stderr}");
    let file = w.dir.path().join("noverdict.jsonl");
    std::fs::write(&file, "{\"event\":\"started\"}\n").unwrap();
    let (code, _, stderr) = ferry_rollback(
        &runner,
        &["--env", "dev", "--report", file.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no verdict"), "{stderr}");
    let (code, _, stderr) = ferry_rollback(&runner, &["--env", "qa"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no environment `qa`"), "{stderr}");
}

#[test]
fn a_change_in_flight_is_not_raced() {
    let Some(w) = world() else { return };
    let runner = clone(w.dir.path(), &w.origin, "runner");
    // Another run opened (and did not merge) a dev change bumping the frontend.
    let other = clone(w.dir.path(), &w.origin, "other");
    let forge = GitForge::new(
        Repo::open(&other).unwrap(),
        GitForgeOptions {
            remote: "origin".into(),
            base_branch: "main".into(),
            branch_prefix: "deploy/".into(),
            signature: Signature::new("t", "t@example.com", jiff::Timestamp::now()),
        },
    );
    let request = ferry_gitops::forge::ChangeRequest {
        env: "dev".into(),
        branch: "deploy/dev-frontend".into(),
        title: "dev: frontend 1.4.0".into(),
        body: String::new(),
        message: "dev: frontend 1.4.0".into(),
        labels: vec![],
        auto_merge: false,
        max_attempts: 3,
    };
    let mut planner = |base: &ferry_gitops::forge::Base<'_>| {
        let text = String::from_utf8(base.repo.read_file(base.commit, DEV)?.unwrap()).unwrap();
        let mut files = ferry_gitops::forge::Files::new();
        files.insert(
            DEV.to_owned(),
            text.replace("frontend\n    newTag: 1.3.3", "frontend\n    newTag: 1.4.0"),
        );
        Ok::<_, ferry_gitops::forge::PlanError>(files)
    };
    let opened = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(forge.open_change(&request, &mut planner))
        .unwrap();
    assert!(opened.created && !opened.merged, "{opened:?}");
    let before = main_of(&w.origin);

    let file = write_report(
        w.dir.path(),
        "bad.jsonl",
        &report(Outcome::Fail),
        Some(&w.bad),
    );
    let (code, stdout, stderr) = ferry_rollback(
        &runner,
        &[
            "--env",
            "dev",
            "--report",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let out = json(&stdout, &stderr);
    assert_eq!(out["decision"]["rule"], "in-flight", "{out:#}");
    assert!(
        out["decision"]["reason"]
            .as_str()
            .unwrap()
            .contains(&opened.id),
        "{out:#}"
    );
    assert_eq!(main_of(&w.origin), before);
}

/// A blue-green Rollout as the API server returns it.
fn rollout(aborted: bool) -> Value {
    serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "backend", "namespace": "acme-dev", "generation": 3, "uid": "u-1"},
        "spec": {"selector": {"matchLabels": {"app": "backend"}},
            "strategy": {"blueGreen": {"activeService": "backend", "autoPromotionEnabled": false}},
            "template": {"metadata": {"labels": {"app": "backend"}},
                "spec": {"containers": [{"name": "backend", "image": format!("{BACKEND}:9.9.9")}]}}},
        "status": {"observedGeneration": "3", "currentPodHash": "new", "stableRS": "old",
            "abort": aborted, "phase": if aborted { "Degraded" } else { "Paused" },
            "blueGreen": {"activeSelector": "old", "previewSelector": "new"}}
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rollout_is_aborted_and_slack_told_what_happened() {
    use ferry_test_support::kube_standin::KubeStandIn;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let Some(w) = world() else { return };
    let runner = clone(w.dir.path(), &w.origin, "runner");
    let server = KubeStandIn::start().await;
    let object = "/apis/argoproj.io/v1alpha1/namespaces/acme-dev/rollouts/backend";
    server.insert(object, rollout(false));
    // The controller's part: the read before the abort sees the paused Rollout, the abort's
    // answer and every later read the aborted one.
    server.script("rollouts", vec![rollout(false), rollout(true)]);
    server
        .mount(
            Mock::given(method("POST"))
                .and(path("/slack/hook"))
                .respond_with(ResponseTemplate::new(200).set_body_string("ok")),
        )
        .await;
    let file = write_report(
        w.dir.path(),
        "bad.jsonl",
        &report(Outcome::Fail),
        Some(&w.bad),
    );
    let uri = server.uri();
    let webhook = format!("{uri}/slack/hook");
    let (code, stdout, stderr) = ferry_rollback(
        &runner,
        &[
            "--env",
            "dev",
            "--report",
            file.to_str().unwrap(),
            "--rollout",
            "backend",
            "-n",
            "acme-dev",
            "--server",
            &uri,
            "--slack-webhook",
            &webhook,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let out = json(&stdout, &stderr);
    assert_eq!(out["rollouts"][0]["result"], "done", "{out:#}");
    assert_eq!(out["rollouts"][0]["namespace"], "acme-dev");
    assert_eq!(out["rollouts"][0]["phase"], "Degraded");
    assert_eq!(out["notifications"][0]["channel"], "slack");
    assert_eq!(out["notifications"][0]["result"], "sent", "{out:#}");
    assert!(!stdout.contains("/slack/hook"), "the webhook is a secret");

    let patches: Vec<(String, String, Value)> = server
        .log()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| (r.path, r.content_type, r.body))
        .collect();
    assert_eq!(
        patches,
        [(
            format!("{object}/status"),
            "application/merge-patch+json".to_owned(),
            serde_json::json!({"status": {"abort": true}})
        )]
    );
    assert_eq!(
        server.object(object).expect("the Rollout")["status"]["abort"],
        true
    );
    let requests = server.received_requests().await;
    let slack = requests
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .expect("a Slack message");
    let message: Value = serde_json::from_slice(&slack.body).unwrap();
    let text = message["text"].as_str().unwrap();
    assert!(text.starts_with("dev: reverted in Git to "), "{text}");
    let details = message["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(details.contains("Rollout backend: aborted"), "{details}");
    assert!(details.contains("Git revert: merged as"), "{details}");
    // The cluster came first: the abort was sent before the Slack message, and the revert
    // is on the remote.
    let first = requests
        .iter()
        .position(|r| r.method.as_str() == "PATCH")
        .unwrap();
    let last = requests
        .iter()
        .position(|r| r.method.as_str() == "POST")
        .unwrap();
    assert!(first < last);
    assert_eq!(dev_backend(&w.origin), "1.3.3");
}

#[test]
fn a_revert_left_for_review_is_merged_by_the_next_run() {
    let Some(w) = world() else { return };
    let runner = clone(w.dir.path(), &w.origin, "runner");
    let before = main_of(&w.origin);
    let (code, stdout, stderr) = ferry_rollback(&runner, &["--env", "dev", "--no-auto-merge"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("dev: rollback to ") && stdout.contains("opened in Git, not merged yet"),
        "{stdout}"
    );
    assert_eq!(main_of(&w.origin), before);
    let branches = git(&w.origin, &["branch", "--list", "deploy/*"], T0);
    assert_eq!(branches.lines().count(), 1, "{branches}");
    // Running again reuses the open revert (not a change in flight) and merges it.
    let (code, stdout, stderr) = ferry_rollback(
        &runner,
        &["--env", "dev", "--auto-merge", "--format", "json"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let out = json(&stdout, &stderr);
    assert_eq!(out["decision"]["rule"], "roll-back", "{out:#}");
    assert_eq!(out["revert"]["merged"], true, "{out:#}");
    assert_eq!(
        out["revert"]["branch"].as_str().unwrap(),
        branches.trim().trim_start_matches("* ")
    );
    assert_eq!(dev_backend(&w.origin), "1.3.3");
    // The identical hold is not written twice.
    let holds = holds_on(&w.origin, w.dir.path(), "reader");
    assert_eq!(holds.len(), 1, "{holds:?}");
}
