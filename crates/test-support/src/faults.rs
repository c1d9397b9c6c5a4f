//! Fault injection for the forges: a `git` wrapper placed first on `PATH` that fails or stalls
//! fetches and pushes as a seeded plan says, runs killed with SIGKILL at chosen moments, and
//! the checks of what a remote may hold afterwards.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A small seeded generator (xorshift64*), so a failing run can be replayed from its seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent` %.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// An index in `0..n` (`n` > 0).
    pub fn index(&mut self, n: usize) -> usize {
        usize::try_from(self.below(n as u64)).expect("below n, a usize")
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }
}

/// The `git` wrapper: `dir/bin/git`, and the plan file it reads (`dir/plan`).
#[derive(Debug, Clone)]
pub struct GitFaults {
    bin: PathBuf,
    plan: PathBuf,
}

impl GitFaults {
    /// Writes the wrapper under `dir`. It runs the real git (found on `PATH` now) for
    /// everything but `fetch` and `push`; for those it takes the next line of the plan:
    /// `ok`, `fail-before` (exit 128, nothing done), `fail-after` (the command runs, then
    /// exit 1: a push that landed but looks failed) or `stall:SECONDS` (a bounded sleep first).
    /// An empty or missing plan means `ok`.
    ///
    /// # Panics
    ///
    /// When git is not on `PATH` or the files cannot be written.
    pub fn install(dir: &Path) -> GitFaults {
        let real = crate::require_tool("git").expect("git is installed");
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).expect("create the wrapper directory");
        let plan = dir.join("plan");
        let script = format!(
            r#"#!/bin/sh
REAL='{real}'
PLAN='{plan}'
skip=0
sub=
for a in "$@"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  case "$a" in
    -c|--git-dir|-C) skip=1 ;;
    -*) ;;
    *) sub="$a"; break ;;
  esac
done
case "$sub" in fetch|push) ;; *) exec "$REAL" "$@" ;; esac
action=ok
if [ -s "$PLAN" ]; then
  action=$(head -n 1 "$PLAN")
  tail -n +2 "$PLAN" > "$PLAN.$$" && mv "$PLAN.$$" "$PLAN"
fi
case "$action" in
  fail-before) echo "fatal: injected failure before $sub" >&2; exit 128 ;;
  fail-after) "$REAL" "$@"; echo "fatal: injected failure after $sub" >&2; exit 1 ;;
  stall:*) sleep "${{action#stall:}}"; exec "$REAL" "$@" ;;
  *) exec "$REAL" "$@" ;;
esac
"#,
            real = real.display(),
            plan = plan.display()
        );
        let path = bin.join("git");
        std::fs::write(&path, script).expect("write the wrapper");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("make the wrapper executable");
        GitFaults { bin, plan }
    }

    /// `PATH` with the wrapper first.
    pub fn path(&self) -> std::ffi::OsString {
        let mut paths = vec![self.bin.clone()];
        if let Some(path) = std::env::var_os("PATH") {
            paths.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(paths).expect("PATH joins")
    }

    /// Sets the plan: `steps` random actions for the next fetches and pushes (then `ok`).
    pub fn plan(&self, rng: &mut Rng, steps: usize) -> Vec<String> {
        let actions: Vec<String> = (0..steps)
            .map(|_| match rng.below(10) {
                0 | 1 => "fail-before".to_owned(),
                2 => "fail-after".to_owned(),
                3 => format!("stall:0.{}", 1 + rng.below(3)),
                _ => "ok".to_owned(),
            })
            .collect();
        std::fs::write(&self.plan, actions.join("\n") + "\n").expect("write the plan");
        actions
    }

    /// No faults from now on.
    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.plan);
    }
}

/// Runs `cmd` in a process group of its own and, when `kill_after` is given, sends SIGKILL
/// after that long: to the whole group (git children too) when `group`, else to the binary
/// alone (its git child runs on). Waits at most `limit` for the binary, then until the group
/// is gone. Returns the exit code (`None` when killed).
///
/// # Panics
///
/// When the binary cannot start or outlives `limit` by far.
pub fn run_and_maybe_kill(
    cmd: &mut Command,
    kill_after: Option<Duration>,
    group: bool,
    limit: Duration,
) -> Option<i32> {
    use std::os::unix::process::CommandExt as _;
    let mut child: Child = cmd
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let pgid = child.id();
    let started = Instant::now();
    let mut killed = false;
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        let elapsed = started.elapsed();
        if !killed && (kill_after.is_some_and(|k| elapsed >= k) || elapsed >= limit) {
            if group {
                kill_group(pgid);
            } else {
                let _ = child.kill();
            }
            killed = true;
        }
        assert!(elapsed < limit * 3, "the binary does not end");
        std::thread::sleep(Duration::from_millis(5));
    };
    // Orphaned git children finish (or were killed with the group) before the remote is read.
    let gone = Instant::now();
    while group_alive(pgid) {
        assert!(gone.elapsed() < limit, "the process group does not end");
        std::thread::sleep(Duration::from_millis(10));
    }
    code
}

fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-9", "--", &format!("-{pgid}")])
        .status();
}

fn group_alive(pgid: u32) -> bool {
    Command::new("kill")
        .args(["-0", "--", &format!("-{pgid}")])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The change halves on `remote` (a bare repository) that lack their other half: deploy
/// branches (`refs/heads/<prefix>ID`) without a record (`refs/ferry/changes/ID`) and records
/// without a branch. Empty when every change is whole.
pub fn half_changes(remote: &Path, prefix: &str) -> Vec<String> {
    let refs = crate::git::git(remote, &["for-each-ref", "--format=%(refname)"], 0);
    let branches: std::collections::BTreeSet<&str> = refs
        .lines()
        .filter_map(|r| r.strip_prefix("refs/heads/")?.strip_prefix(prefix))
        .collect();
    let records: std::collections::BTreeSet<&str> = refs
        .lines()
        .filter_map(|r| r.strip_prefix("refs/ferry/changes/"))
        .collect();
    let mut half: Vec<String> = branches
        .difference(&records)
        .map(|b| format!("branch {prefix}{b} without a record"))
        .collect();
    half.extend(
        records
            .difference(&branches)
            .map(|r| format!("record {r} without a branch")),
    );
    half
}

/// What happens to ref locks after a run was killed, before the clean re-run: git removes its
/// `*.lock` files on every exit but SIGKILL. A real Git server's receive-pack is not in the
/// client's process group, so it ends cleanly; here the remote is a local path and git runs
/// receive-pack as a child of `git push`, so a SIGKILL to the whole group can leave locks in the
/// remote that refuse every later push ("cannot lock ref … File exists"). A killed `git fetch`
/// leaves `packed-refs.lock` or a ref lock in the runner's clone the same way, where a CI job
/// that is re-run starts from a fresh clone. This removes the stale locks under `git_dir` (a
/// bare remote or a clone's `.git`), as the server's cleanup and a fresh checkout would, and
/// returns them (for the run's context line).
///
/// # Panics
///
/// When `git_dir` cannot be read or a lock cannot be removed.
pub fn clear_stale_locks(git_dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read the repository") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "objects") {
                    walk(&path, root, out);
                }
            } else if path.extension().is_some_and(|e| e == "lock") {
                std::fs::remove_file(&path).expect("remove a stale lock");
                let shown = path.strip_prefix(root).unwrap_or(&path);
                out.push(shown.display().to_string());
            }
        }
    }
    let mut removed = Vec::new();
    walk(git_dir, git_dir, &mut removed);
    removed.sort();
    removed
}

/// One run of `cmd` under faults: a plan of `steps` actions for the wrapper and, half of the
/// time, SIGKILL after a random delay below `kill_below` (to the binary alone or its whole
/// group). Returns the exit code (`None`: killed) and a line that replays the run in
/// assertion messages.
pub fn faulty_run(
    faults: &GitFaults,
    rng: &mut Rng,
    cmd: &mut Command,
    steps: usize,
    kill_below: Duration,
) -> (Option<i32>, String) {
    let plan = faults.plan(rng, steps);
    let kill = rng
        .chance(50)
        .then(|| Duration::from_millis(rng.below(kill_below.as_millis() as u64)));
    let group = rng.chance(50);
    cmd.env("PATH", faults.path());
    let code = run_and_maybe_kill(cmd, kill, group, Duration::from_secs(20));
    faults.clear();
    let line = format!("plan {plan:?}, kill {kill:?} (group {group}), exit {code:?}");
    (code, line)
}

/// How runs under faults ended.
#[derive(Debug, Default)]
pub struct Tally {
    /// Killed runs.
    pub killed: u32,
    /// Runs that exited non-zero.
    pub failed: u32,
    /// Runs that exited 0.
    pub succeeded: u32,
}

impl Tally {
    /// Counts one run's exit code (`None`: killed).
    pub fn add(&mut self, code: Option<i32>) {
        match code {
            None => self.killed += 1,
            Some(0) => self.succeeded += 1,
            Some(_) => self.failed += 1,
        }
    }

    /// Asserts that faults happened: some runs were killed and some failed.
    ///
    /// # Panics
    ///
    /// When no run was killed or none failed.
    pub fn assert_faults_happened(&self) {
        eprintln!("runs with faults: {self:?}");
        assert!(
            self.killed > 0 && self.failed > 0,
            "the faults happened: {self:?}"
        );
    }
}

/// The seed of fault runs: `FERRY_FAULT_SEED` (to replay a failure), else a fixed one.
pub fn base_seed() -> u64 {
    std::env::var("FERRY_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_207)
}
