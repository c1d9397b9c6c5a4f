//! The ledger's cache in the Git directory: the same answers as without it, when it is cold,
//! warm, behind the base, and whatever is wrong with it.

use std::path::{Path, PathBuf};

use crate::common::{BACKEND, FRONTEND, TestRepo};
use ferry_git::{ObjectId, Repo};
use ferry_ledger::{EnvironmentSpec, LedgerOptions, build_ledger_with};

fn envs() -> Vec<EnvironmentSpec> {
    ["dev", "staging", "prod"]
        .iter()
        .map(|e| EnvironmentSpec {
            name: e.to_string(),
            overlay: format!("infra/k8s/overlays/{e}"),
        })
        .collect()
}

/// A blueprint with a few bumps of dev and staging.
fn repo() -> TestRepo {
    let (repo, _) = TestRepo::blueprint();
    for (i, env) in ["dev", "staging", "dev", "dev"].iter().enumerate() {
        repo.bump(env, BACKEND, &format!("1.{i}.0"));
        repo.commit_all(&format!("{env}: backend 1.{i}.0"), "Ada <ada@example.com>");
    }
    repo
}

/// The ledger of every environment at `base` as JSON, with the options given.
fn answer(repo: &Repo, base: ObjectId, options: &LedgerOptions) -> serde_json::Value {
    let ledger = build_ledger_with(repo, base, &envs(), options).expect("the ledger builds");
    let mut json = serde_json::to_value(&ledger).expect("the ledger as JSON");
    // What the chain and positions answer is part of the answer too.
    json["chain"] = serde_json::json!(
        ledger
            .chain()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    json["deployed_at"] = serde_json::json!(
        ledger
            .chain()
            .iter()
            .map(|c| ledger
                .deployed_at("dev", *c)
                .expect("on the chain")
                .map(|d| d.commit.clone()))
            .collect::<Vec<_>>()
    );
    json
}

fn without_cache(repo: &Repo, base: ObjectId) -> serde_json::Value {
    answer(repo, base, &LedgerOptions::default().without_cache())
}

fn cached(repo: &Repo, base: ObjectId) -> serde_json::Value {
    answer(repo, base, &LedgerOptions::default())
}

fn cache_dir(repo: &TestRepo) -> PathBuf {
    repo.path().join(".git/ferry/ledger-cache")
}

fn cache_files(repo: &TestRepo) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cache_dir(repo))
        .expect("the cache directory")
        .map(|e| e.expect("an entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn cold_warm_and_extended_answers_equal_the_uncached_ones() {
    let test = repo();
    let repo = Repo::open(test.path()).expect("open");
    let base = test.head();
    let expected = without_cache(&repo, base);
    assert!(!cache_dir(&test).exists(), "without_cache writes nothing");
    assert_eq!(cached(&repo, base), expected, "cold");
    let files = cache_files(&test);
    assert_eq!(
        files.len(),
        4,
        "the chain and one file per environment: {files:?}"
    );
    assert_eq!(cached(&repo, base), expected, "warm");

    // The base moves on by one commit: the cache is behind, never stale.
    test.bump("dev", FRONTEND, "2.0.0");
    let next = test.commit_all("dev: frontend 2.0.0", "Bob <bob@example.com>");
    let repo = Repo::open(test.path()).expect("open");
    assert_eq!(cached(&repo, next), without_cache(&repo, next), "extended");
    assert_eq!(
        cached(&repo, next),
        without_cache(&repo, next),
        "warm again"
    );
    // An older base answers from the same cache, as if it were the tip.
    assert_eq!(cached(&repo, base), expected, "an older base");

    // With a limit, the cached history is cut to the newest deployments.
    let newest = LedgerOptions::newest(1);
    let limited = build_ledger_with(&repo, next, &envs(), &newest).expect("the ledger builds");
    let plain = build_ledger_with(&repo, next, &envs(), &newest.clone().without_cache())
        .expect("the ledger builds");
    assert_eq!(
        serde_json::to_value(&limited).expect("json"),
        serde_json::to_value(&plain).expect("json")
    );
}

/// A window's answer: its deployments, and what `deployed_at` says of each commit of `chain`
/// (an error as its text: older commits are outside the window). The chain itself is left out:
/// a window reads it only as far back as it needs, less than a cache may know.
fn window_answer(
    repo: &Repo,
    base: ObjectId,
    options: &LedgerOptions,
    chain: &[ObjectId],
) -> serde_json::Value {
    let ledger = build_ledger_with(repo, base, &envs(), options).expect("the ledger builds");
    let mut json = serde_json::to_value(&ledger.environments).expect("the ledger as JSON");
    let deployed_at: Vec<String> = chain
        .iter()
        .map(|c| match ledger.deployed_at("dev", *c) {
            Ok(d) => format!("{:?}", d.map(|d| d.commit.clone())),
            Err(e) => e.to_string(),
        })
        .collect();
    json = serde_json::json!({ "environments": json, "deployed_at": deployed_at });
    json
}

/// A window read newest first leaves the newest part of the history in the cache: later windows
/// it holds, a base moved on, a larger window and the whole history all answer as without it.
#[test]
fn a_window_leaves_a_cache_that_never_changes_an_answer() {
    let test = repo();
    let check = |base: ObjectId, n: usize, what: &str| {
        let repo = Repo::open(test.path()).expect("open");
        let options = LedgerOptions::newest(n);
        let plain = options.clone().without_cache();
        let chain = build_ledger_with(&repo, base, &envs(), &plain)
            .expect("the ledger builds")
            .chain()
            .to_vec();
        assert_eq!(
            window_answer(&repo, base, &options, &chain),
            window_answer(&repo, base, &plain, &chain),
            "{what}, newest {n}"
        );
    };
    let base = test.head();
    check(base, 1, "cold");
    assert!(
        cache_files(&test).len() >= 3,
        "the window's walk of each environment is kept"
    );
    check(base, 1, "warm");
    check(base, 2, "larger");
    check(base, 1, "smaller");
    test.bump("dev", FRONTEND, "3.0.0");
    let next = test.commit_all("dev: frontend 3.0.0", "Bob <bob@example.com>");
    for n in [1, 2, 3, 10] {
        check(next, n, "moved on");
    }
    let repo = Repo::open(test.path()).expect("open");
    assert_eq!(
        cached(&repo, next),
        without_cache(&repo, next),
        "whole history"
    );
    check(next, 2, "after the whole history");
}

#[test]
fn a_history_that_was_rewritten_is_read_again() {
    let test = repo();
    let repo = Repo::open(test.path()).expect("open");
    let first = test.head();
    cached(&repo, first);
    // Another history: the cached tip is not on the new base's chain.
    test.git(&["reset", "-q", "--hard", "HEAD~2"]);
    test.bump("prod", BACKEND, "9.9.9");
    let other = test.commit_all("prod: backend 9.9.9", "Eve <eve@example.com>");
    let repo = Repo::open(test.path()).expect("open");
    assert_eq!(cached(&repo, other), without_cache(&repo, other));
    assert_eq!(cached(&repo, first), without_cache(&repo, first));
}

/// Spoils every cache file with `spoil`, then checks the answer equals the uncached one (and
/// again after the run rewrote what it could).
fn survives(name: &str, spoil: impl Fn(&Path)) {
    let test = repo();
    let repo = Repo::open(test.path()).expect("open");
    let base = test.head();
    let expected = without_cache(&repo, base);
    cached(&repo, base);
    for file in cache_files(&test) {
        spoil(&file);
    }
    assert_eq!(cached(&repo, base), expected, "{name}");
    assert_eq!(cached(&repo, base), expected, "{name}, run again");
}

#[test]
fn a_truncated_cache_never_changes_an_answer() {
    survives("truncated", |file| {
        let bytes = std::fs::read(file).expect("read");
        std::fs::write(file, &bytes[..bytes.len() * 2 / 3]).expect("truncate");
    });
}

#[test]
fn a_garbage_cache_never_changes_an_answer() {
    survives("garbage", |file| {
        std::fs::write(file, b"\x00\xffnot a cache\n{]").expect("garble");
    });
    survives("empty", |file| std::fs::write(file, b"").expect("empty"));
}

#[test]
fn a_cache_of_another_format_never_changes_an_answer() {
    survives("another format", |file| {
        let bytes = std::fs::read(file).expect("read");
        let newline = bytes
            .iter()
            .position(|b| *b == b'\n')
            .expect("a header line");
        let header = String::from_utf8(bytes[..newline].to_vec()).expect("a text header");
        let mut fields: Vec<&str> = header.split(' ').collect();
        fields[1] = "0";
        let rewritten = [fields.join(" ").as_bytes(), &bytes[newline..]].concat();
        std::fs::write(file, rewritten).expect("rewrite");
    });
}

#[test]
fn a_cache_with_another_key_never_changes_an_answer() {
    // Each environment's file holds another environment's walk, its digest intact.
    let test = repo();
    let repo = Repo::open(test.path()).expect("open");
    let base = test.head();
    let expected = without_cache(&repo, base);
    cached(&repo, base);
    let envs: Vec<PathBuf> = cache_files(&test)
        .into_iter()
        .filter(|f| {
            f.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("env-"))
        })
        .collect();
    assert_eq!(envs.len(), 3);
    let contents: Vec<Vec<u8>> = envs
        .iter()
        .map(|f| std::fs::read(f).expect("read"))
        .collect();
    for (i, file) in envs.iter().enumerate() {
        std::fs::write(file, &contents[(i + 1) % envs.len()]).expect("swap");
    }
    assert_eq!(cached(&repo, base), expected);
}

/// Another repository's cache, whole and of the same key (the same overlays and options),
/// copied into this one: its commits are not this history's, so it is not used. (A cache of
/// this history's commits at the wrong positions is a unit test of the crate.)
#[test]
fn a_cache_of_another_history_never_changes_an_answer() {
    let other = repo();
    let other_repo = Repo::open(other.path()).expect("open");
    cached(&other_repo, other.head());
    let (test, _) = TestRepo::blueprint();
    for (i, env) in ["staging", "dev", "prod"].iter().enumerate() {
        test.bump(env, FRONTEND, &format!("2.{i}.0"));
        test.commit_all(&format!("{env}: frontend 2.{i}.0"), "Bob <bob@example.com>");
    }
    let repo = Repo::open(test.path()).expect("open");
    let base = test.head();
    let expected = without_cache(&repo, base);
    std::fs::create_dir_all(cache_dir(&test)).expect("the cache directory");
    for file in cache_files(&other) {
        let name = file.file_name().expect("a file name");
        std::fs::copy(&file, cache_dir(&test).join(name)).expect("copy");
    }
    assert_eq!(cached(&repo, base), expected);
    assert_eq!(cached(&repo, base), expected, "run again");
}

#[test]
fn an_unreadable_cache_never_changes_an_answer() {
    // A directory where a file should be: reading and writing it fail (as root too).
    survives("unreadable", |file| {
        std::fs::remove_file(file).expect("remove");
        std::fs::create_dir(file).expect("a directory in its place");
    });
}

#[test]
fn a_cache_that_cannot_be_written_never_changes_an_answer() {
    let test = repo();
    let repo = Repo::open(test.path()).expect("open");
    let base = test.head();
    let expected = without_cache(&repo, base);
    // `ferry` is a file, so the cache directory cannot be made (a read-only Git directory
    // fails the same way, but root may write anywhere).
    std::fs::write(test.path().join(".git/ferry"), b"in the way").expect("block the directory");
    assert_eq!(cached(&repo, base), expected);
    assert_eq!(cached(&repo, base), expected);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::remove_file(test.path().join(".git/ferry")).expect("unblock");
        cached(&repo, base);
        let dir = cache_dir(&test);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555))
            .expect("read-only cache directory");
        test.bump("dev", FRONTEND, "3.0.0");
        let next = test.commit_all("dev: frontend 3.0.0", "Bob <bob@example.com>");
        let repo = Repo::open(test.path()).expect("open");
        assert_eq!(cached(&repo, next), without_cache(&repo, next));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
            .expect("writable again");
    }
}
