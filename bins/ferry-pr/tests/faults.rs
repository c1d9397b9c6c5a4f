//! Fault injection (issue 12): `ferry-pr open` with a git that fails or stalls at seeded random
//! points of fetch and push, and SIGKILL at random moments. After every run the remote holds no
//! half change (a deploy branch without its record, a record without its branch), and a run
//! without faults converges: one open change with the newest image, or the image merged.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ferry_test_support::faults::{GitFaults, Rng, half_changes, run_and_maybe_kill};
use ferry_test_support::git::{
    bare_origin, clone, copy_blueprint, git, init_commit, use_git_forge,
};

const T0: i64 = 1_767_225_600;
const DEV: &str = "infra/k8s/overlays/dev/kustomization.yaml";
/// Runs with faults (each followed by a clean run that must converge).
const RUNS: u64 = 60;

fn ferry_pr(dir: &Path, path: Option<&std::ffi::OsStr>, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ferry-pr"));
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_TOKEN")
        .args(args);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    cmd
}

/// The backend tag of dev in `text`.
fn backend_tag(text: &str) -> String {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "- name: registry.example.com/acme/backend" {
            let tag = lines.next().expect("a newTag line").trim();
            let tag = tag.strip_prefix("newTag:").expect("newTag").trim();
            return tag.split_whitespace().next().expect("a tag").to_owned();
        }
    }
    panic!("no backend entry in:\n{text}");
}

fn refs(origin: &Path, prefix: &str) -> Vec<String> {
    git(origin, &["for-each-ref", "--format=%(refname)", prefix], T0)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn faults_and_kills_never_leave_half_a_change_and_a_rerun_converges() {
    if ferry_test_support::require_tool("git").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let seed = tmp.path().join("seed");
    copy_blueprint(&seed);
    use_git_forge(&seed);
    init_commit(&seed, "blueprint", T0);
    let origin = tmp.path().join("origin.git");
    bare_origin(&seed, &origin, T0);
    let dir = clone(&origin, &tmp.path().join("runner"), T0);
    let faults = GitFaults::install(&tmp.path().join("faults"));
    let path = faults.path();
    let base_seed = std::env::var("FERRY_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_207u64);

    let mut killed = 0;
    let mut failed = 0;
    for run in 0..RUNS {
        let seed = base_seed + run;
        let mut rng = Rng::new(seed);
        let tag = format!("2.0.{run}");
        let image = format!("backend={tag}");
        let auto = rng.chance(50);
        let mut args = vec!["open", "--env", "dev", "--image", image.as_str()];
        args.push(if auto {
            "--auto-merge"
        } else {
            "--no-auto-merge"
        });
        let plan = faults.plan(&mut rng, 4);
        let kill = rng
            .chance(50)
            .then(|| Duration::from_millis(rng.below(600)));
        let group = rng.chance(50);
        let code = run_and_maybe_kill(
            &mut ferry_pr(&dir, Some(&path), &args),
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

        // A run without faults converges.
        faults.clear();
        let out = ferry_pr(&dir, None, &[&args[..], &["--format", "json"]].concat())
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
        let records = refs(&origin, "refs/ferry/changes/");
        let branches = refs(&origin, "refs/heads/deploy/");
        if auto {
            assert_eq!(
                backend_tag(&git(&origin, &["show", &format!("main:{DEV}")], T0)),
                tag,
                "{context}"
            );
            assert!(
                records.is_empty() && branches.is_empty(),
                "{context}: {records:?} {branches:?}"
            );
        } else {
            assert_eq!(records.len(), 1, "{context}: one open change: {records:?}");
            assert_eq!(branches.len(), 1, "{context}: {branches:?}");
            let branch = branches[0].as_str();
            assert_eq!(
                backend_tag(&git(&origin, &["show", &format!("{branch}:{DEV}")], T0)),
                tag,
                "{context}"
            );
        }
    }
    eprintln!("{RUNS} runs with faults: {killed} killed, {failed} failed, the rest succeeded");
    assert!(killed > 0 && failed > 0, "the faults happened");
}
