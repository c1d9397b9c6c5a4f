//! Fault injection (issue 12): `ferry-rollback` with a git that fails or stalls at seeded random
//! points of fetch and push, and SIGKILL at random moments. After every run the remote holds no
//! half change and no hold without its revert; a run without faults converges (the revert on
//! main, the failed image held).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ferry_gitops::{LoadRequest, ObjectId, Signature, load_ledger, verify_deployment};
use ferry_test_support::faults::{GitFaults, Rng, half_changes, run_and_maybe_kill};
use ferry_test_support::git::{
    bare_origin, clone, copy_blueprint, git, init_commit, use_git_forge,
};

const T0: i64 = 1_767_225_600;
const DEV: &str = "infra/k8s/overlays/dev/kustomization.yaml";
/// Runs with faults (each followed by a clean run that must converge).
const RUNS: u64 = 40;

fn ferry_rollback(dir: &Path, path: Option<&std::ffi::OsStr>, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry-rollback"));
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_TOKEN")
        .env_remove("FERRY_SLACK_WEBHOOK")
        .env_remove("KUBECONFIG")
        .args(args);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    cmd
}

fn dev_backend(origin: &Path) -> String {
    let text = git(origin, &["show", &format!("main:{DEV}")], T0);
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "- name: registry.example.com/acme/backend" {
            let tag = lines.next().expect("newTag").trim();
            let tag = tag.strip_prefix("newTag:").expect("newTag").trim();
            return tag.split_whitespace().next().expect("a tag").to_owned();
        }
    }
    panic!("no backend entry in dev:\n{text}");
}

/// dev's holds on the remote, as text (empty without any).
fn holds(origin: &Path) -> String {
    let out = ferry_test_support::git::output_as(
        origin,
        &["show", "refs/ferry/holds:dev.json"],
        ferry_test_support::git::ADA,
        T0,
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Pushes a commit setting dev's backend to `tag` onto the remote's main, from `pusher`.
fn push_bad(pusher: &Path, tag: &str, at: i64) {
    git(pusher, &["fetch", "-q", "origin", "main"], at);
    git(pusher, &["reset", "-q", "--hard", "origin/main"], at);
    let file = pusher.join(DEV);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let entry = lines
        .iter()
        .position(|l| l.trim() == "- name: registry.example.com/acme/backend")
        .expect("the backend entry");
    let indent = &lines[entry + 1][..lines[entry + 1].len() - lines[entry + 1].trim_start().len()];
    lines[entry + 1] = format!("{indent}newTag: {tag}");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    git(
        pusher,
        &["commit", "-q", "-am", &format!("dev: backend {tag}")],
        at,
    );
    git(pusher, &["push", "-q", "origin", "HEAD:main"], at);
}

#[test]
fn faults_and_kills_never_leave_a_hold_without_its_revert_and_a_rerun_converges() {
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let seed = tmp.path().join("seed");
    copy_blueprint(&seed);
    use_git_forge(&seed);
    let good = init_commit(&seed, "blueprint", T0);
    let origin = tmp.path().join("origin.git");
    bare_origin(&seed, &origin, T0);

    // dev's blueprint deployment is verified (the note pushed).
    let verifier = clone(&origin, &tmp.path().join("verifier"), T0);
    let config = ferry_config::Config::load(verifier.join("ferry.toml")).unwrap();
    let loaded = load_ledger(&config, &LoadRequest::default()).unwrap();
    verify_deployment(
        &loaded.repo,
        &loaded.ledger,
        "dev",
        Some(ObjectId::from_hex(good.as_bytes()).unwrap()),
        serde_json::json!({"by": "test"}),
        &Signature::new(
            "t",
            "t@example.com",
            jiff::Timestamp::from_second(T0 + 30).unwrap(),
        ),
    )
    .unwrap();
    git(&verifier, &["push", "-q", "origin", "refs/notes/ferry"], T0);

    let pusher = clone(&origin, &tmp.path().join("pusher"), T0);
    let runner = clone(&origin, &tmp.path().join("runner"), T0);
    let faults = GitFaults::install(&tmp.path().join("faults"));
    let path = faults.path();
    let base_seed = std::env::var("FERRY_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_207u64);
    let args = [
        "--env",
        "dev",
        "--to",
        good.as_str(),
        "--force",
        "--reason",
        "faults",
    ];

    let (mut killed, mut failed, mut unheld) = (0, 0, 0);
    for run in 0..RUNS {
        let seed = base_seed + 1000 + run;
        let mut rng = Rng::new(seed);
        let bad = format!("9.9.{run}");
        push_bad(&pusher, &bad, T0 + 100 + run as i64);
        let plan = faults.plan(&mut rng, 5);
        let kill = rng
            .chance(50)
            .then(|| Duration::from_millis(rng.below(700)));
        let group = rng.chance(50);
        let code = run_and_maybe_kill(
            &mut ferry_rollback(&runner, Some(&path), &args),
            kill,
            group,
            Duration::from_secs(20),
        );
        match code {
            None => killed += 1,
            Some(0) => {}
            Some(_) => failed += 1,
        }
        let context = format!(
            "seed {seed} (run {run}): plan {plan:?}, kill {kill:?} group {group}, exit {code:?}"
        );
        let half = half_changes(&origin, "deploy/");
        assert!(half.is_empty(), "{context}: {half:?}");
        if holds(&origin).contains(&format!(":{bad}\"")) {
            assert_eq!(
                dev_backend(&origin),
                "1.3.3",
                "{context}: a hold without its revert"
            );
        }

        faults.clear();
        let out = ferry_rollback(&runner, None, &[&args[..], &["--format", "json"]].concat())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{context}: the clean re-run: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(half_changes(&origin, "deploy/").is_empty(), "{context}");
        assert_eq!(dev_backend(&origin), "1.3.3", "{context}: reverted");
        // A run killed between its revert and its hold leaves the revert alone (the hold is a
        // second push); the re-run finds nothing left to roll back. Count those.
        if !holds(&origin).contains(&format!(":{bad}\"")) {
            unheld += 1;
        }
    }
    eprintln!(
        "{RUNS} runs with faults: {killed} killed, {failed} failed, the rest succeeded; \
         {unheld} reverted without their hold"
    );
    assert!(killed > 0 && failed > 0, "the faults happened");
}
