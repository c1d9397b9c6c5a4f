//! Driving the real git CLI from tests, with a fixed identity and date and no user configuration.
//!
//! Every command runs with `GIT_CONFIG_NOSYSTEM=1`, `GIT_CONFIG_GLOBAL=/dev/null` and `HOME` set
//! to the working directory, so the developer's own git configuration never leaks into a test,
//! and with author and committer both set to one identity at one date (`@SECONDS +0000`), so
//! commit ids are reproducible.

use std::path::Path;
use std::process::{Command, Output};

/// The identity tests commit as unless they say otherwise.
pub const ADA: &str = "Ada <ada@example.com>";

/// A `git` command in `dir` whose author and committer are `author` (`"Name <email>"`) at
/// `seconds` since the epoch (UTC), with no system or global configuration.
///
/// # Panics
///
/// When `author` is not of the form `Name <email>`.
pub fn command_as(dir: &Path, author: &str, seconds: i64) -> Command {
    let (name, email) = author
        .split_once(" <")
        .map(|(n, e)| (n, e.trim_end_matches('>')))
        .unwrap_or_else(|| panic!("author {author:?} is not `Name <email>`"));
    let date = format!("@{seconds} +0000");
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", email)
        .env("GIT_COMMITTER_NAME", name)
        .env("GIT_COMMITTER_EMAIL", email)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date);
    cmd
}

/// Runs `git args` in `dir` as `author` at `seconds` (see [`command_as`]) and returns its output
/// whether or not it succeeded.
///
/// # Panics
///
/// When git cannot be started.
pub fn output_as(dir: &Path, args: &[&str], author: &str, seconds: i64) -> Output {
    command_as(dir, author, seconds)
        .args(args)
        .output()
        .expect("git runs")
}

/// Runs `git args` in `dir` as `author` at `seconds` (see [`command_as`]) and returns its
/// standard output, untrimmed.
///
/// # Panics
///
/// When git cannot be started, fails (the message holds its stderr) or prints non-UTF-8.
pub fn git_as(dir: &Path, args: &[&str], author: &str, seconds: i64) -> String {
    let out = output_as(dir, args, author, seconds);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("git prints UTF-8")
}

/// [`git_as`] with the identity [`ADA`].
pub fn git(dir: &Path, args: &[&str], seconds: i64) -> String {
    git_as(dir, args, ADA, seconds)
}

/// Copies the directory tree `from` into `to` (created when missing), file by file.
///
/// # Panics
///
/// On any I/O error.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| {
                panic!(
                    "cannot copy {} to {}: {e}",
                    entry.path().display(),
                    target.display()
                )
            });
        }
    }
}

/// The identity Ferry commits as in tests whose config names one ([`use_git_forge`]).
pub const FERRY_BOT: &str = "Ferry Bot <bot@example.com>";

/// Copies `fixtures/blueprint` to `dir` (created when missing).
pub fn copy_blueprint(dir: &Path) {
    copy_dir(&crate::fixtures_dir().join("blueprint"), dir);
}

/// Switches the `ferry.toml` in `dir` (the blueprint's) to the plain-git forge, committing as
/// [`FERRY_BOT`].
///
/// # Panics
///
/// When the file is not the blueprint's (the lines it rewrites are missing).
pub fn use_git_forge(dir: &Path) {
    let path = dir.join("ferry.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let edited = text.replace("kind = \"github\"", "kind = \"git\"").replace(
        "labels = [\"ferry\", \"deploy\"]",
        &format!("labels = [\"ferry\", \"deploy\"]\nauthor = \"{FERRY_BOT}\""),
    );
    assert!(
        edited.contains("kind = \"git\"") && edited.contains(FERRY_BOT),
        "{} is not the blueprint's ferry.toml",
        path.display()
    );
    std::fs::write(&path, edited)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Makes `dir` a repository whose `main` holds everything in it as one commit `message`, at
/// `seconds`; returns the commit id.
pub fn init_commit(dir: &Path, message: &str, seconds: i64) -> String {
    git(dir, &["init", "-q", "-b", "main"], seconds);
    git(dir, &["add", "-A"], seconds);
    git(dir, &["commit", "-q", "-m", message], seconds);
    git(dir, &["rev-parse", "HEAD"], seconds).trim().to_owned()
}

/// A bare repository at `bare` holding `seed`'s `main`.
pub fn bare_origin(seed: &Path, bare: &Path, seconds: i64) {
    let parent = bare
        .parent()
        .expect("the bare repository has a parent directory");
    git(
        parent,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            &bare.to_string_lossy(),
        ],
        seconds,
    );
    git(
        seed,
        &["push", "-q", &bare.to_string_lossy(), "main"],
        seconds,
    );
}

/// A clone of `origin` at `dir`.
pub fn clone(origin: &Path, dir: &Path, seconds: i64) -> std::path::PathBuf {
    let parent = dir.parent().expect("the clone has a parent directory");
    git(
        parent,
        &[
            "clone",
            "-q",
            &origin.to_string_lossy(),
            &dir.to_string_lossy(),
        ],
        seconds,
    );
    dir.to_path_buf()
}

/// A bare `origin.git` under `dir` holding the blueprint (with the plain-git forge when
/// `git_forge`, see [`use_git_forge`]) on `main`, committed at `seconds`; returns its path and
/// the commit.
pub fn blueprint_origin(dir: &Path, git_forge: bool, seconds: i64) -> (std::path::PathBuf, String) {
    let seed = dir.join("seed");
    copy_blueprint(&seed);
    if git_forge {
        use_git_forge(&seed);
    }
    let commit = init_commit(&seed, "blueprint", seconds);
    let origin = dir.join("origin.git");
    bare_origin(&seed, &origin, seconds);
    (origin, commit)
}

/// The binary `bin` run in `dir` with no user git configuration (`HOME` is `dir`) and without
/// `GITHUB_OUTPUT` and `GITHUB_TOKEN`.
pub fn binary_in(bin: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(bin);
    without_user_git(&mut cmd, dir)
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_TOKEN");
    cmd
}

/// Values of `--remote` (or `--base`) that make git run `touch marker` if they reach it as an
/// option or a transport: `--upload-pack=…`, `--receive-pack=…`, `--exec=…` and `ext::…`.
pub fn hostile_remotes(marker: &Path) -> Vec<String> {
    let m = marker.display();
    vec![
        format!("--upload-pack=touch {m}"),
        format!("--receive-pack=touch {m}"),
        format!("--exec=touch {m}"),
        format!("ext::sh -c touch% {m}"),
    ]
}

/// Runs the binary `bin` with `args` in a clone of a blueprint origin (plain-git forge) once
/// per hostile value ([`hostile_remotes`]) and flag of `flags` (`--remote`, `--base`), as
/// `--FLAG=V` and `--FLAG V`, and
/// asserts that each run exits 2 with a JSON error naming the flag, and that no command ran
/// (the marker file never appears). Skips (with a notice) without git.
///
/// # Panics
///
/// When a run does not exit 2 or the marker appears.
pub fn assert_hostile_remotes_refused(bin: &Path, args: &[&str], flags: &[&str]) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let Some(dir) = blueprint_checkout(tmp.path(), 1_767_225_600) else {
        return;
    };
    let origin = tmp.path().join("origin.git");
    let marker = tmp.path().join("PWNED");
    for value in hostile_remotes(&marker) {
        let forms = flags.iter().flat_map(|flag| {
            [
                vec![format!("{flag}={value}")],
                vec![(*flag).to_owned(), value.clone()],
            ]
        });
        for form in forms {
            let out = binary_in(bin, &dir)
                .args(args)
                .args(["--format", "json"])
                .args(&form)
                .output()
                .expect("the binary runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !marker.exists(),
                "{} {args:?} {form:?} ran a command\nstdout: {stdout}\nstderr: {stderr}",
                bin.display()
            );
            assert_eq!(
                out.status.code(),
                Some(2),
                "{} {args:?} {form:?}\nstdout: {stdout}\nstderr: {stderr}",
                bin.display()
            );
            // `--remote --x=…` is refused by the argument parser itself.
            if let Some((flag, _)) = form[0].split_once('=') {
                assert!(
                    stderr.contains(flag) && stderr.contains("invalid"),
                    "{form:?}: the error names {flag}: {stderr}"
                );
            }
        }
    }
    assert_eq!(
        git(
            &origin,
            &["for-each-ref", "--format=%(refname)"],
            1_767_225_600
        ),
        "refs/heads/main\n",
        "the origin is unchanged"
    );
}

/// A clone (at `tmp/clone`) of a bare origin (`tmp/origin.git`) holding the blueprint on the
/// plain-git forge, committed at `seconds`; `None` (skip notice) without `git`.
pub fn blueprint_checkout(tmp: &Path, seconds: i64) -> Option<std::path::PathBuf> {
    crate::require_tool("git")?;
    let (origin, _) = blueprint_origin(tmp, true, seconds);
    Some(clone(&origin, &tmp.join("clone"), seconds))
}

/// `cmd` run in `dir` without the user's or the system's git configuration (`HOME` is `dir`).
pub fn without_user_git<'c>(cmd: &'c mut Command, dir: &Path) -> &'c mut Command {
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
}
