//! The git CLI on the stand-in's bare repository.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The git CLI on the bare repository.
#[derive(Debug, Clone)]
pub(super) struct Git(pub(super) PathBuf);

impl Git {
    pub(super) fn run(
        &self,
        args: &[&str],
        input: Option<&[u8]>,
        env: &[(&str, String)],
    ) -> Result<String, String> {
        let mut cmd = Command::new("git");
        cmd.arg("--git-dir")
            .arg(&self.0)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().map_err(|e| format!("git: {e}"))?;
        if let Some(bytes) = input {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(bytes)
                .map_err(|e| format!("git stdin: {e}"))?;
        }
        let out = child.wait_with_output().map_err(|e| format!("git: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }

    pub(super) fn ok(&self, args: &[&str]) -> Option<String> {
        self.run(args, None, &[]).ok().map(|s| s.trim().to_owned())
    }

    /// The commit `name` (a full ref) points at.
    pub(super) fn resolve(&self, name: &str) -> Option<String> {
        self.ok(&["rev-parse", "-q", "--verify", &format!("{name}^{{commit}}")])
    }

    pub(super) fn head(&self, branch: &str) -> Option<String> {
        self.resolve(&format!("refs/heads/{branch}"))
    }

    pub(super) fn exists(&self, sha: &str) -> bool {
        self.ok(&["cat-file", "-e", sha]).is_some()
    }

    pub(super) fn is_ancestor(&self, a: &str, b: &str) -> bool {
        self.ok(&["merge-base", "--is-ancestor", a, b]).is_some()
    }

    pub(super) fn set_ref(&self, name: &str, sha: &str) -> Result<(), String> {
        self.run(&["update-ref", name, sha], None, &[]).map(drop)
    }

    pub(super) fn delete_ref(&self, name: &str) -> Result<(), String> {
        self.run(&["update-ref", "-d", name], None, &[]).map(drop)
    }

    pub(super) fn tree(&self, commit: &str) -> Option<String> {
        self.ok(&["rev-parse", &format!("{commit}^{{tree}}")])
    }

    pub(super) fn parents(&self, commit: &str) -> Vec<String> {
        self.ok(&["rev-parse", &format!("{commit}^@")])
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    pub(super) fn message(&self, commit: &str) -> String {
        self.ok(&["log", "-1", "--format=%B", commit])
            .unwrap_or_default()
    }

    pub(super) fn committed(&self, commit: &str) -> String {
        self.ok(&["log", "-1", "--format=%cI", commit])
            .unwrap_or_default()
    }

    pub(super) fn blob(&self, commit: &str, path: &str) -> Option<String> {
        self.run(
            &["cat-file", "blob", &format!("{commit}:{path}")],
            None,
            &[],
        )
        .ok()
    }

    /// `name → text` of the files directly in `dir` at `commit`.
    pub(super) fn dir(&self, commit: &str, dir: &str) -> Vec<(String, String)> {
        let listing = self
            .ok(&["ls-tree", commit, &format!("{dir}/")])
            .unwrap_or_default();
        listing
            .lines()
            .filter_map(|line| {
                let (meta, path) = line.split_once('\t')?;
                if !meta.contains(" blob ") {
                    return None;
                }
                let name = path.rsplit('/').next()?.to_owned();
                Some((name, self.blob(commit, path)?))
            })
            .collect()
    }

    /// A commit of `tree` with `parents`, by Ferry's test identity at `seconds`.
    pub(super) fn commit_tree(
        &self,
        tree: &str,
        parents: &[String],
        message: &str,
        seconds: i64,
    ) -> Result<String, String> {
        let mut args = vec!["commit-tree".to_owned(), tree.to_owned()];
        for p in parents {
            args.push("-p".into());
            args.push(p.clone());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let date = format!("@{seconds} +0000");
        let env = [
            ("GIT_AUTHOR_NAME", "GitHub".to_owned()),
            ("GIT_AUTHOR_EMAIL", "noreply@github.com".to_owned()),
            ("GIT_COMMITTER_NAME", "GitHub".to_owned()),
            ("GIT_COMMITTER_EMAIL", "noreply@github.com".to_owned()),
            ("GIT_AUTHOR_DATE", date.clone()),
            ("GIT_COMMITTER_DATE", date),
        ];
        self.run(&args, Some(message.as_bytes()), &env)
            .map(|s| s.trim().to_owned())
    }

    /// The tree of `parent` with `additions` (path → bytes) written and `deletions` removed.
    pub(super) fn tree_with(
        &self,
        parent: &str,
        additions: &[(String, Vec<u8>)],
        deletions: &[String],
    ) -> Result<String, String> {
        let index = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
        let path = index.path().to_path_buf();
        drop(index);
        let env = [("GIT_INDEX_FILE", path.display().to_string())];
        self.run(&["read-tree", parent], None, &env)?;
        for (file, bytes) in additions {
            let blob = self.run(&["hash-object", "-w", "--stdin"], Some(bytes), &env)?;
            let info = format!("100644,{},{file}", blob.trim());
            self.run(&["update-index", "--add", "--cacheinfo", &info], None, &env)?;
        }
        for file in deletions {
            self.run(&["update-index", "--force-remove", file], None, &env)?;
        }
        let tree = self.run(&["write-tree"], None, &env);
        let _ = std::fs::remove_file(&path);
        tree.map(|t| t.trim().to_owned())
    }
}
