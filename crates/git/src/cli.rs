//! The git command line for what gix does not do here (fetch, push, ancestry) against one
//! remote: no prompts, no credentials in any message (the remote is a [`RemoteUrl`]), options
//! never taken from a value (`--` before the remote), `git push --porcelain` results read ref
//! by ref.

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use ferry_redact::RemoteUrl;
use gix::ObjectId;
use gix::bstr::ByteSlice;

use crate::Repo;

/// Why a git command did not run or failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A git command failed (fetch, push).
    #[error("`git {args}` failed: {message}")]
    Command {
        /// The arguments, without credentials.
        args: String,
        /// What git said (stderr), without credentials.
        message: String,
    },
    /// The remote would reach git as an option or run a command; nothing was run.
    #[error(
        "invalid remote {remote:?}: {reason}; give a remote name (e.g. \"origin\") or a URL or path git can push to"
    )]
    InvalidRemote {
        /// The remote, without credentials.
        remote: String,
        /// Why it is refused.
        reason: String,
    },
    /// The remote reads as a remote name, but the repository has none of that name.
    #[error(
        "the repository has no remote `{remote}`: add a remote (`git remote add {remote} URL`) or set `[forge.git] remote` in ferry.toml (or --remote) to a URL or path"
    )]
    NoRemote {
        /// The remote name.
        remote: String,
    },
}

/// A remote that must not or cannot be used is a usage error (it came from ferry.toml or a
/// flag); a failed git command is `git` (exit 3).
impl ferry_error::Classify for CliError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        use ferry_error::ErrorKind;
        match self {
            CliError::Command { .. } => ErrorKind::Git,
            CliError::InvalidRemote { .. } | CliError::NoRemote { .. } => ErrorKind::Usage,
        }
    }
}

/// One ref of an atomic push: set `name` to `new` (`None`: delete it) if and only if the remote
/// has it at `expected` (`None`: it must not exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// The full ref name.
    pub name: String,
    /// Its new value (`None`: delete it).
    pub new: Option<ObjectId>,
    /// The value the remote must have (`None`: it must not exist).
    pub expected: Option<ObjectId>,
}

impl RefUpdate {
    /// Set `name` to `new` if the remote has it at `expected`.
    pub fn set(name: impl Into<String>, new: ObjectId, expected: Option<ObjectId>) -> Self {
        RefUpdate {
            name: name.into(),
            new: Some(new),
            expected,
        }
    }

    /// Delete `name` if the remote has it at `expected`.
    pub fn delete(name: impl Into<String>, expected: ObjectId) -> Self {
        RefUpdate {
            name: name.into(),
            new: None,
            expected: Some(expected),
        }
    }
}

/// How an atomic push ended (other failures are errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Every ref was updated.
    Pushed,
    /// Nothing was updated: a lease failed (a ref moved since it was read) or the remote lost
    /// a race for a ref lock. The refs that were refused for that reason.
    Rejected(Vec<String>),
}

/// Runs git for one local repository against one remote.
pub struct Git {
    git_dir: PathBuf,
    /// The remote as given (handed to git).
    remote: RemoteUrl,
    /// The remote as shown: for a remote name, its configured URL.
    display: RemoteUrl,
    /// Why the remote must not be used, found when the forge was made.
    refused: Option<Refusal>,
}

/// Why a remote is not handed to git.
#[derive(Debug, Clone)]
enum Refusal {
    /// It would reach git as an option or run a command ([`ferry_config::check_remote`]).
    Invalid(&'static str),
    /// It reads as a remote name, but the repository has no such remote.
    NoSuchRemote,
}

impl std::fmt::Debug for Git {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Git")
            .field("git_dir", &self.git_dir)
            .field("remote", &self.display)
            .finish()
    }
}

/// Whether git would read `remote` as the name of a configured remote (not a URL or a path).
fn reads_as_name(remote: &str) -> bool {
    !remote.is_empty()
        && !remote.contains(['/', '\\', ':'])
        && remote != "."
        && remote != ".."
        && !std::path::Path::new(remote).exists()
}

impl Git {
    /// `remote` is a remote name of `repo` or a URL or path. The secrets of the remote (and of
    /// a named remote's configured URLs) join the process-wide registry of
    /// [`ferry_redact`], so no message shows them.
    pub fn new(repo: &Repo, remote: &str) -> Git {
        let git_dir = repo.gix().git_dir();
        let git_dir = git_dir
            .canonicalize()
            .unwrap_or_else(|_| git_dir.to_path_buf());
        let config = repo.gix().config_snapshot();
        let configured = |key: &str| {
            config
                .string(format!("remote.{remote}.{key}").as_str())
                .map(|v| v.to_str_lossy().into_owned())
        };
        let url = configured("url");
        let push_url = configured("pushurl");
        for u in [Some(remote.to_owned()), url.clone(), push_url]
            .iter()
            .flatten()
        {
            ferry_redact::register_url(u);
        }
        let refused = match ferry_config::check_remote(remote) {
            Err(reason) => Some(Refusal::Invalid(reason)),
            Ok(()) if url.is_none() && reads_as_name(remote) => Some(Refusal::NoSuchRemote),
            Ok(()) => None,
        };
        let display = RemoteUrl::new(url.as_deref().unwrap_or(remote));
        Git {
            git_dir,
            remote: RemoteUrl::new(remote),
            display,
            refused,
        }
    }

    /// The remote as it may be shown (its `Display` and `Debug` hide credentials): its URL,
    /// for a remote name the configured one.
    pub fn display(&self) -> &RemoteUrl {
        &self.display
    }

    /// `text` without the remote's credentials (nor any other secret the process knows).
    pub fn redact(&self, text: &str) -> String {
        ferry_redact::scrub(text)
    }

    fn error(&self, args: &[String], message: &str) -> CliError {
        CliError::Command {
            args: self.redact(&args.join(" ")),
            message: self.redact(message.trim()),
        }
    }

    /// Refuses a remote that must not reach git, before anything runs.
    fn check(&self) -> Result<(), CliError> {
        match &self.refused {
            None => Ok(()),
            Some(Refusal::Invalid(reason)) => Err(CliError::InvalidRemote {
                remote: self.display.to_string(),
                reason: (*reason).to_owned(),
            }),
            Some(Refusal::NoSuchRemote) => Err(CliError::NoRemote {
                remote: self.display.to_string(),
            }),
        }
    }

    async fn run(&self, args: &[String]) -> Result<Output, CliError> {
        tracing::debug!(args = %self.redact(&args.join(" ")), "git");
        tokio::process::Command::new("git")
            .arg("-c")
            .arg("protocol.ext.allow=never")
            .arg("--git-dir")
            .arg(&self.git_dir)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| self.error(args, &format!("cannot run git: {e}")))
    }

    /// `git fetch --prune --no-tags -- <remote> <refspecs>`.
    pub async fn fetch(&self, refspecs: &[String]) -> Result<(), CliError> {
        self.check()?;
        let mut args: Vec<String> = [
            "fetch",
            "--prune",
            "--no-tags",
            "--no-write-fetch-head",
            "--no-recurse-submodules",
            "--quiet",
        ]
        .map(String::from)
        .to_vec();
        args.push("--".to_owned());
        args.push(self.remote.expose().to_owned());
        args.extend(refspecs.iter().cloned());
        let out = self.run(&args).await?;
        if out.status.success() {
            Ok(())
        } else {
            Err(self.error(&args, &String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// One `git push --atomic --porcelain` of `updates`, each with its own
    /// `--force-with-lease`.
    pub async fn push(&self, updates: &[RefUpdate]) -> Result<PushOutcome, CliError> {
        self.check()?;
        let mut args: Vec<String> = ["push", "--atomic", "--porcelain", "--no-follow-tags"]
            .map(String::from)
            .to_vec();
        for u in updates {
            let expected = u.expected.map(|id| id.to_string()).unwrap_or_default();
            args.push(format!("--force-with-lease={}:{expected}", u.name));
        }
        args.push("--".to_owned());
        args.push(self.remote.expose().to_owned());
        for u in updates {
            let source = u.new.map(|id| id.to_string()).unwrap_or_default();
            args.push(format!("{source}:{}", u.name));
        }
        let out = self.run(&args).await?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match read_push(out.status.success(), &stdout) {
            Ok(outcome) => {
                tracing::debug!(?outcome, "git push");
                if let Some(lock) = stderr.lines().find(|l| l.contains("cannot lock ref")) {
                    // The same words for a concurrent push and a lock left by a crash.
                    tracing::warn!(remote = %self.display, "{}", lock.trim_start_matches("remote: ").trim());
                }
                Ok(outcome)
            }
            Err(refused) => {
                let mut message = refused.join("\n");
                if !stderr.trim().is_empty() {
                    if !message.is_empty() {
                        message.push('\n');
                    }
                    message.push_str(stderr.trim());
                }
                Err(self.error(&args, &message))
            }
        }
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors (both local).
    pub async fn is_ancestor(
        &self,
        ancestor: ObjectId,
        descendant: ObjectId,
    ) -> Result<bool, CliError> {
        let args = vec![
            "merge-base".to_owned(),
            "--is-ancestor".to_owned(),
            "--".to_owned(),
            ancestor.to_string(),
            descendant.to_string(),
        ];
        let out = self.run(&args).await?;
        match out.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(self.error(&args, &String::from_utf8_lossy(&out.stderr))),
        }
    }
}

/// Reads `git push --porcelain` output. `Err` holds the lines of refs refused for a reason
/// that is not a lost race (hook, permission, protected branch), or nothing when git said
/// nothing about refs (authentication, network: the caller adds stderr).
fn read_push(success: bool, stdout: &str) -> Result<PushOutcome, Vec<String>> {
    if success {
        return Ok(PushOutcome::Pushed);
    }
    let mut raced = Vec::new();
    let mut refused = Vec::new();
    let mut collateral = false;
    for line in stdout.lines() {
        let mut fields = line.splitn(3, '\t');
        let (Some(flag), Some(refs), Some(summary)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if flag != "!" {
            continue;
        }
        let name = refs.rsplit_once(':').map_or(refs, |(_, to)| to).to_owned();
        let reason = summary.to_ascii_lowercase();
        if reason.contains("atomic push failed") || reason.contains("atomic transaction failed") {
            collateral = true;
        } else if RACE_REASONS.iter().any(|r| reason.contains(r)) {
            raced.push(name);
        } else {
            refused.push(format!("{name}: {summary}"));
        }
    }
    if refused.is_empty() && (!raced.is_empty() || collateral) {
        Ok(PushOutcome::Rejected(raced))
    } else {
        Err(refused)
    }
}

/// Why a push is refused when another writer got there first: a failed lease, or the remote's
/// compare-and-swap or ref lock lost to a concurrent push.
const RACE_REASONS: &[&str] = &[
    "stale info",
    "non-fast-forward",
    "fetch first",
    "already exists",
    "cannot lock ref",
    "unable to lock",
    "failed to lock",
    "incorrect old value",
    "unable to create",
];

/// A random delay before attempt `attempt` (2, 3, …): up to 40 ms, doubling per attempt up to a
/// second, so that concurrent runs that lost a race spread out.
pub fn backoff(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let cap = 40u64 << attempt.saturating_sub(2).min(5);
    let cap = cap.min(1000);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(attempt);
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    Duration::from_millis(10 + hasher.finish() % (cap + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_push_results() {
        let stale = "To ../o.git\n!\tabc:refs/heads/main\t[rejected] (stale info)\n!\tabc:refs/heads/deploy/x\t[rejected] (atomic push failed)\nDone\n";
        assert_eq!(
            read_push(false, stale),
            Ok(PushOutcome::Rejected(vec!["refs/heads/main".to_owned()]))
        );
        let hook = "To ../o.git\n!\t:refs/heads/deploy/x\t[remote rejected] (pre-receive hook declined)\nDone\n";
        assert_eq!(
            read_push(false, hook),
            Err(vec![
                "refs/heads/deploy/x: [remote rejected] (pre-receive hook declined)".to_owned()
            ])
        );
        let lock = "!\tabc:refs/heads/main\t[remote rejected] (cannot lock ref 'refs/heads/main': is at 1 but expected 2)\n";
        assert_eq!(
            read_push(false, lock),
            Ok(PushOutcome::Rejected(vec!["refs/heads/main".to_owned()]))
        );
        assert_eq!(read_push(false, ""), Err(Vec::new()));
        assert_eq!(read_push(true, "whatever"), Ok(PushOutcome::Pushed));
    }

    #[test]
    fn backoff_is_bounded() {
        for attempt in 2..40 {
            let d = backoff(attempt);
            assert!(d >= Duration::from_millis(10) && d <= Duration::from_millis(1010));
        }
    }
}
