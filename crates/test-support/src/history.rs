//! A GitOps history of the blueprint made at chosen times, as Ferry's steps would leave it:
//! deployments (image bumps of an overlay), rollbacks (a commit with the `Ferry-Rollback:`
//! trailer), verification records (JSON lines in `refs/notes/ferry`) and holds (`<env>.json` on
//! `refs/ferry/holds`), all with the real git CLI (see [`crate::git`]).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::git::{copy_blueprint, git, init_commit, use_git_forge};

/// The blueprint's application images.
pub const APPS: [&str; 2] = [
    "registry.example.com/acme/backend",
    "registry.example.com/acme/frontend",
];

/// A blueprint repository whose history a test writes.
#[derive(Debug)]
pub struct History {
    /// The repository (working tree).
    pub dir: PathBuf,
}

impl History {
    /// The blueprint (plain-git forge) committed in `dir` at `seconds`.
    pub fn new(dir: &Path, seconds: i64) -> History {
        copy_blueprint(dir);
        use_git_forge(dir);
        init_commit(dir, "blueprint", seconds);
        History {
            dir: dir.to_path_buf(),
        }
    }

    /// The demo's story (`cargo xtask demo`) from `t0` on, in `dir`: 1.4.0 deployed to dev
    /// (t0 + 1h), staging (+2h) and prod (+3h30m), each verified; 1.5.0 deployed to dev (+5h)
    /// and verified; deployed to staging (+6h), rolled back to 1.4.0 and held (+6h20m).
    /// Returns the history and the failed staging commit.
    pub fn demo(dir: &Path, t0: i64) -> (History, String) {
        const HOUR: i64 = 3600;
        const MIN: i64 = 60;
        let h = History::new(dir, t0);
        let c = h.deploy("dev", "1.4.0", t0 + HOUR);
        h.verify("dev", "1.4.0", &c, t0 + HOUR + 10 * MIN);
        let c = h.deploy("staging", "1.4.0", t0 + 2 * HOUR);
        h.verify("staging", "1.4.0", &c, t0 + 2 * HOUR + 10 * MIN);
        let c = h.deploy("prod", "1.4.0", t0 + 3 * HOUR + 30 * MIN);
        h.verify("prod", "1.4.0", &c, t0 + 3 * HOUR + 45 * MIN);
        let c = h.deploy("dev", "1.5.0", t0 + 5 * HOUR);
        h.verify("dev", "1.5.0", &c, t0 + 5 * HOUR + 5 * MIN);
        let bad = h.deploy("staging", "1.5.0", t0 + 6 * HOUR);
        h.rollback("staging", "1.4.0", &bad, t0 + 6 * HOUR + 20 * MIN);
        h.hold(
            "staging",
            Some("1.5.0"),
            "health checks failed after promoting v1.5.0",
            t0 + 6 * HOUR + 20 * MIN,
        );
        (h, bad)
    }

    fn overlay(&self, env: &str) -> PathBuf {
        self.dir
            .join(format!("infra/k8s/overlays/{env}/kustomization.yaml"))
    }

    /// The tag `env`'s overlay sets for the application images (without a trailing comment).
    pub fn tag(&self, env: &str) -> String {
        let text = std::fs::read_to_string(self.overlay(env)).expect("the overlay reads");
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line.trim_start() == format!("- name: {}", APPS[0]) {
                let next = lines.next().expect("a newTag line follows");
                // Without the line's comment (`newTag: 1.3.1 # promoted from staging`).
                let value = next
                    .trim()
                    .strip_prefix("newTag: ")
                    .expect("the blueprint's newTag line");
                return value
                    .split(" #")
                    .next()
                    .expect("split yields a first part")
                    .trim()
                    .to_owned();
            }
        }
        panic!("no {} entry in the {env} overlay", APPS[0]);
    }

    fn set_tag(&self, env: &str, tag: &str) {
        let path = self.overlay(env);
        let text = std::fs::read_to_string(&path).expect("the overlay reads");
        let mut out = Vec::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            out.push(line.to_owned());
            if APPS
                .iter()
                .any(|a| line.trim_start() == format!("- name: {a}"))
            {
                let next = lines.next().expect("a newTag line follows");
                let indent = &next[..next.len() - next.trim_start().len()];
                out.push(format!("{indent}newTag: {tag}"));
            }
        }
        std::fs::write(&path, out.join("\n") + "\n").expect("the overlay writes");
    }

    fn commit(&self, message: &str, seconds: i64) -> String {
        git(&self.dir, &["commit", "-q", "-a", "-m", message], seconds);
        git(&self.dir, &["rev-parse", "HEAD"], seconds)
            .trim()
            .to_owned()
    }

    /// Sets the application images of `env` to `tag` and commits at `seconds`; the commit.
    pub fn deploy(&self, env: &str, tag: &str, seconds: i64) -> String {
        self.set_tag(env, tag);
        self.commit(&format!("ferry: deploy {tag} to {env}"), seconds)
    }

    /// Sets `env` back to `tag` in a commit whose trailer names `failed`; the commit.
    pub fn rollback(&self, env: &str, tag: &str, failed: &str, seconds: i64) -> String {
        self.set_tag(env, tag);
        self.commit(
            &format!("ferry: roll {env} back to {tag}\n\nFerry-Rollback: {failed}"),
            seconds,
        )
    }

    /// The images of `env` at the blueprint's settings with the application images at `tag`,
    /// by `workload/container`, as the ledger resolves them.
    pub fn images(env: &str, tag: &str) -> Vec<(String, String)> {
        let postgres = match env {
            "dev" => "postgres:16.4".to_owned(),
            "staging" => "registry.example.com/mirror/postgres:16.4".to_owned(),
            _ => "registry.example.com/mirror/postgres@sha256:\
                  4ec37d2a07a0067f176fdcc9d4bb633a5724d2cc4f892c7a2046d054bb6939e5"
                .to_owned(),
        };
        vec![
            ("backend/backend".into(), format!("{}:{tag}", APPS[0])),
            ("backend/migrate".into(), format!("{}:{tag}", APPS[0])),
            ("frontend/frontend".into(), format!("{}:{tag}", APPS[1])),
            ("postgres/postgres".into(), postgres),
        ]
    }

    /// Records that `env` ran `tag` healthily, on `commit`, at `seconds` (a JSON line appended
    /// to the note of `commit` under `refs/notes/ferry`).
    pub fn verify(&self, env: &str, tag: &str, commit: &str, seconds: i64) {
        let images: serde_json::Map<String, serde_json::Value> = Self::images(env, tag)
            .into_iter()
            .map(|(k, v)| (k, v.into()))
            .collect();
        let record = serde_json::json!({
            "version": 1,
            "env": env,
            "verified_at": rfc3339(seconds),
            "images": images,
            "evidence": "test",
        });
        git(
            &self.dir,
            &[
                "notes",
                "--ref=refs/notes/ferry",
                "append",
                "-m",
                &record.to_string(),
                commit,
            ],
            seconds,
        );
    }

    /// Adds a hold of `env` for the application images at `tag` (every image when `None`) to
    /// `refs/ferry/holds`, written at `seconds`.
    pub fn hold(&self, env: &str, tag: Option<&str>, reason: &str, seconds: i64) {
        let file = format!("{env}.json");
        let existing = git_ok(&self.dir, &["show", &format!("refs/ferry/holds:{file}")]);
        let mut holds: Vec<serde_json::Value> = existing
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let images: serde_json::Map<String, serde_json::Value> = match tag {
            Some(tag) => Self::images(env, tag)
                .into_iter()
                .filter(|(c, _)| c != "postgres/postgres")
                .map(|(k, v)| (k, v.into()))
                .collect(),
            None => serde_json::Map::new(),
        };
        holds.push(serde_json::json!({
            "env": env,
            "images": images,
            "reason": reason,
            "created_at": rfc3339(seconds),
            "released": false,
        }));
        let blob = stdin_git(
            &self.dir,
            &["hash-object", "-w", "--stdin"],
            &serde_json::to_string_pretty(&holds).expect("holds serialize"),
        );
        // The other environments' files stay.
        let mut entries: Vec<String> = git_ok(&self.dir, &["ls-tree", "refs/ferry/holds"])
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.ends_with(&format!("\t{file}")))
            .map(str::to_owned)
            .collect();
        entries.push(format!("100644 blob {blob}\t{file}"));
        let tree = stdin_git(&self.dir, &["mktree"], &(entries.join("\n") + "\n"));
        let mut args = vec!["commit-tree", tree.as_str(), "-m", "ferry: hold"];
        let parent = git_ok(
            &self.dir,
            &["rev-parse", "--verify", "-q", "refs/ferry/holds"],
        );
        let parent = parent.map(|p| p.trim().to_owned());
        if let Some(p) = &parent {
            args.extend(["-p", p.as_str()]);
        }
        let commit = git(&self.dir, &args, seconds).trim().to_owned();
        git(
            &self.dir,
            &["update-ref", "refs/ferry/holds", &commit],
            seconds,
        );
    }
}

/// `seconds` as RFC 3339 UTC (`2026-11-24T09:00:00Z`).
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn git_ok(dir: &Path, args: &[&str]) -> Option<String> {
    let out = crate::git::output_as(dir, args, crate::git::ADA, 0);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn stdin_git(dir: &Path, args: &[&str], input: &str) -> String {
    use std::io::Write as _;
    let mut child = crate::git::command_as(dir, crate::git::ADA, 0)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("git runs");
    child
        .stdin
        .take()
        .expect("git's stdin")
        .write_all(input.as_bytes())
        .expect("git reads its input");
    let out = child.wait_with_output().expect("git ends");
    assert!(out.status.success(), "git {args:?} failed");
    String::from_utf8(out.stdout)
        .expect("git prints UTF-8")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_790_000_000), "2026-09-21T14:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
