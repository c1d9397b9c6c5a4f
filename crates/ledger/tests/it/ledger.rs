//! The ledger on a real repository: a history of overlay bumps across dev, staging and prod.

use std::collections::BTreeMap;

use crate::common::{BACKEND, FRONTEND, T0, TestRepo};
use ferry_git::{ObjectId, Repo, Signature};
use ferry_ledger::{
    Deployment, EnvironmentSpec, Ledger, LedgerError, LedgerOptions, VerificationRecord,
    build_ledger, build_ledger_with, read_verifications, record_verification,
};

struct History {
    repo: TestRepo,
    c: Vec<ObjectId>,
    side: ObjectId,
    merge: ObjectId,
}

/// c0 blueprint; c1 dev backend 1.4.0; c2 README; c3 dev frontend 1.4.0; c4 staging backend
/// 1.4.0; c5 base postgres 16.5; c6 base ConfigMap (a key no overlay merges over); side branch s1 dev backend 1.5.0 merged as
/// m7 (--no-ff); c8 prod backend 1.3.2.
fn history() -> History {
    let (repo, c0) = TestRepo::blueprint();
    repo.bump("dev", BACKEND, "1.4.0");
    let c1 = repo.commit_all("dev: backend 1.4.0", "Ada <ada@example.com>");
    repo.write("README.md", "# acme shop deploy\n");
    let c2 = repo.commit_all("docs: readme", "Bob <bob@example.com>");
    repo.bump("dev", FRONTEND, "1.4.0");
    let c3 = repo.commit_all("dev: frontend 1.4.0", "Ferry <ferry@example.com>");
    repo.bump("staging", BACKEND, "1.4.0");
    let c4 = repo.commit_all("staging: backend 1.4.0", "Ferry <ferry@example.com>");
    let pg = "infra/k8s/base/postgres-statefulset.yaml";
    repo.write(pg, &repo.read(pg).replace("postgres:16.4", "postgres:16.5"));
    let c5 = repo.commit_all("base: postgres 16.5", "Ada <ada@example.com>");
    let cm = "infra/k8s/base/configmap.yaml";
    repo.write(
        cm,
        &repo
            .read(cm)
            .replace("API_BASE_URL: /api", "API_BASE_URL: /api/v2"),
    );
    let c6 = repo.commit_all("base: API v2", "Ada <ada@example.com>");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.bump("dev", BACKEND, "1.5.0");
    let side = repo.commit_all("dev: backend 1.5.0", "Carol <carol@example.com>");
    repo.git(&["checkout", "-q", "main"]);
    repo.tick();
    repo.git_as(
        &["merge", "-q", "--no-ff", "-m", "Merge side", "side"],
        "Dave <dave@example.com>",
    );
    let merge = repo.head();
    repo.bump("prod", BACKEND, "1.3.2");
    let c8 = repo.commit_all("prod: backend 1.3.2", "Eve <eve@example.com>");
    History {
        repo,
        c: vec![c0, c1, c2, c3, c4, c5, c6, merge, c8],
        side,
        merge,
    }
}

fn envs() -> Vec<EnvironmentSpec> {
    ["dev", "staging", "prod"]
        .iter()
        .map(|e| EnvironmentSpec {
            name: e.to_string(),
            overlay: format!("infra/k8s/overlays/{e}"),
        })
        .collect()
}

fn ledger(h: &History) -> (Repo, Ledger) {
    let repo = Repo::open(h.repo.path()).unwrap();
    let base = repo.resolve("main").unwrap();
    let ledger = build_ledger(&repo, base, &envs()).unwrap();
    (repo, ledger)
}

fn commits(ledger: &Ledger, env: &str) -> Vec<ObjectId> {
    ledger
        .environment(env)
        .unwrap()
        .deployments
        .iter()
        .map(|d| d.id())
        .collect()
}

#[test]
fn deployments_follow_the_first_parent_history_of_each_overlay() {
    let h = history();
    let (_, ledger) = ledger(&h);
    let c = &h.c;
    assert_eq!(
        commits(&ledger, "dev"),
        [c[7], c[6], c[5], c[3], c[1], c[0]]
    );
    // c5 changes the base postgres tag, which staging keeps (through its mirror name).
    assert_eq!(commits(&ledger, "staging"), [c[6], c[5], c[4], c[0]]);
    // prod pins postgres by digest, so the base tag change renders nothing new there.
    assert_eq!(commits(&ledger, "prod"), [c[8], c[6], c[0]]);
    for env in ["dev", "staging", "prod"] {
        assert!(
            !commits(&ledger, env).contains(&h.side),
            "{env}: side commit"
        );
        assert!(
            !commits(&ledger, env).contains(&c[2]),
            "{env}: README commit"
        );
    }
}

#[test]
fn deployments_carry_commit_time_author_and_images() {
    let h = history();
    let (_, ledger) = ledger(&h);
    let dev = ledger.environment("dev").unwrap();

    let merge = &dev.deployments[0];
    assert_eq!(merge.commit, h.merge.to_string());
    assert_eq!(merge.author, "Dave <dave@example.com>");
    assert_eq!(merge.summary, "Merge side");
    let change = |container: &str| ferry_ledger::ImageChange {
        container: container.into(),
        from: Some(format!("{BACKEND}:1.4.0")),
        to: Some(format!("{BACKEND}:1.5.0")),
    };
    // The migrate init container runs the backend image too.
    assert_eq!(
        merge.changes,
        [change("backend/backend"), change("backend/migrate")]
    );

    let first = dev.deployments.last().unwrap();
    assert_eq!(first.time, "2026-01-01T00:01:00Z");
    assert_eq!(first.timestamp().as_second(), T0 + 60);
    assert_eq!(first.author, "Ada <ada@example.com>");
    let expected: BTreeMap<String, String> = [
        ("backend/backend", format!("{BACKEND}:1.3.3")),
        ("backend/migrate", format!("{BACKEND}:1.3.3")),
        ("frontend/frontend", format!("{FRONTEND}:1.3.3")),
        ("postgres/postgres", "postgres:16.4".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(first.images, expected);
    assert_eq!(
        first.changes.len(),
        4,
        "everything is new in the first deployment"
    );

    // The base ConfigMap change is a deployment without image changes.
    assert_eq!(dev.deployments[1].summary, "base: API v2");
    assert!(dev.deployments[1].changes.is_empty());
    assert!(dev.deployments.iter().all(|d| d.error.is_none()));

    let staging = ledger.environment("staging").unwrap();
    assert_eq!(
        staging.deployments[1].images["postgres/postgres"],
        "registry.example.com/mirror/postgres:16.5"
    );
}

#[test]
fn queries_what_runs_now_and_when_an_image_entered() {
    let h = history();
    let (_, ledger) = ledger(&h);
    let c = &h.c;
    let dev = ledger.environment("dev").unwrap();
    let now = dev.current().unwrap();
    assert_eq!(now.id(), h.merge);
    assert_eq!(now.images["backend/backend"], format!("{BACKEND}:1.5.0"));
    assert_eq!(now.images["frontend/frontend"], format!("{FRONTEND}:1.4.0"));

    let stint = dev.entered(&format!("{BACKEND}:1.4.0")).unwrap().unwrap();
    assert_eq!(stint.entered.id(), c[1]);
    assert_eq!(stint.left.as_ref().map(|d| d.id()), Some(h.merge));

    let stint = dev.entered(&format!("{FRONTEND}:1.4.0")).unwrap().unwrap();
    assert_eq!(stint.entered.id(), c[3]);
    assert!(stint.left.is_none());

    // Tags compare exactly: a prefix is not a match.
    assert!(dev.entered(&format!("{BACKEND}:1.5")).unwrap().is_none());
    assert!(dev.entered(&format!("{BACKEND}:1.6.0")).unwrap().is_none());
    // A bare name is not a query.
    assert!(dev.entered(BACKEND).is_err());
    // Docker Hub names are normalised.
    let pg = dev
        .entered("docker.io/library/postgres:16.5")
        .unwrap()
        .unwrap();
    assert_eq!(pg.entered.id(), c[5]);

    let prod = ledger.environment("prod").unwrap();
    let digest = "sha256:4ec37d2a07a0067f176fdcc9d4bb633a5724d2cc4f892c7a2046d054bb6939e5";
    let pinned = prod
        .entered(&format!("registry.example.com/mirror/postgres@{digest}"))
        .unwrap()
        .unwrap();
    assert_eq!(pinned.entered.id(), c[0]);
    assert_eq!(
        pinned.image,
        format!("registry.example.com/mirror/postgres@{digest}")
    );

    // What dev ran at the README commit: the deployment before it.
    assert_eq!(ledger.deployed_at("dev", c[2]).unwrap().unwrap().id(), c[1]);
    assert!(
        ledger.deployed_at("dev", h.side).is_err(),
        "side commit is not on main"
    );
    assert!(ledger.environment("qa").is_err());
}

#[test]
fn verification_notes_round_trip_and_answer_last_verified() {
    let h = history();
    let (repo, ledger) = ledger(&h);
    let c = &h.c;
    let bot = Signature::new(
        "Ferry",
        "ferry@example.com",
        jiff::Timestamp::from_second(T0 + 3600).unwrap(),
    );
    let dev_at_c3 = ledger
        .deployed_at("dev", c[3])
        .unwrap()
        .unwrap()
        .images
        .clone();
    let dev_record = VerificationRecord::new(
        "dev",
        jiff::Timestamp::from_second(T0 + 3000).unwrap(),
        dev_at_c3.clone(),
        serde_json::json!({"monitor": "healthy", "checks": 10}),
    );
    record_verification(&repo, c[3], &dev_record, &bot).unwrap();
    let staging_at_c3 = ledger
        .deployed_at("staging", c[3])
        .unwrap()
        .unwrap()
        .images
        .clone();
    let staging_record = VerificationRecord::new(
        "staging",
        jiff::Timestamp::from_second(T0 + 3100).unwrap(),
        staging_at_c3,
        serde_json::json!("by hand"),
    );
    record_verification(&repo, c[3], &staging_record, &bot).unwrap();

    let note = read_verifications(&repo, c[3]).unwrap();
    assert_eq!(note.records, [dev_record.clone(), staging_record.clone()]);
    assert!(note.skipped.is_empty());

    // git itself reads the note: one JSON record per line.
    let shown = h
        .repo
        .git(&["notes", "--ref=ferry", "show", &c[3].to_string()]);
    let lines: Vec<serde_json::Value> = shown
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["version"], 1);
    assert_eq!(lines[0]["env"], "dev");
    assert_eq!(lines[0]["verified_at"], "2026-01-01T00:50:00Z");
    assert_eq!(lines[1]["env"], "staging");
    let log = h.repo.git(&[
        "log",
        "-1",
        "--format=%an <%ae>|%cn|%ct|%s",
        "refs/notes/ferry",
    ]);
    assert_eq!(
        log.trim(),
        format!(
            "Ferry <ferry@example.com>|Ferry|{}|ferry: verified staging at {}",
            T0 + 3600,
            c[3]
        )
    );

    // Re-verifying dev appends a record: records are append-only, the newest counts.
    let again = VerificationRecord::new(
        "dev",
        jiff::Timestamp::from_second(T0 + 4000).unwrap(),
        dev_at_c3.clone(),
        serde_json::Value::Null,
    );
    record_verification(&repo, c[3], &again, &bot).unwrap();
    let note = read_verifications(&repo, c[3]).unwrap();
    assert_eq!(note.records, [dev_record, staging_record, again.clone()]);

    let found = ledger
        .last_verified_before(&repo, "dev", h.merge)
        .unwrap()
        .unwrap();
    assert_eq!(found.commit, c[3].to_string());
    assert_eq!(found.record, again);
    assert!(found.matches_ledger);
    assert!(
        ledger
            .last_verified_before(&repo, "dev", c[1])
            .unwrap()
            .is_none()
    );
    assert!(
        ledger
            .last_verified_before(&repo, "prod", h.merge)
            .unwrap()
            .is_none()
    );

    // A record whose images are not what dev ran there is reported as not matching.
    let wrong = VerificationRecord::new(
        "dev",
        jiff::Timestamp::from_second(T0 + 5000).unwrap(),
        BTreeMap::from([("backend/backend".to_string(), format!("{BACKEND}:9.9.9"))]),
        serde_json::Value::Null,
    );
    record_verification(&repo, c[6], &wrong, &bot).unwrap();
    let found = ledger
        .last_verified_before(&repo, "dev", h.merge)
        .unwrap()
        .unwrap();
    assert_eq!(found.commit, c[6].to_string());
    assert!(!found.matches_ledger);
}

#[test]
fn notes_written_by_git_are_read_and_unknown_lines_skipped() {
    let h = history();
    let (repo, _) = ledger(&h);
    let commit = h.c[4].to_string();
    let record = r#"{"version":1,"env":"staging","verified_at":"2026-01-02T00:00:00Z","images":{"backend/backend":"registry.example.com/acme/backend:1.4.0"},"evidence":null}"#;
    h.repo
        .git(&["notes", "--ref=ferry", "add", "-m", record, &commit]);
    h.repo.git(&[
        "notes",
        "--ref=ferry",
        "append",
        "-m",
        r#"{"version":2,"env":"dev","verified_at":"x","images":{}}"#,
        &commit,
    ]);
    let note = read_verifications(&repo, h.c[4]).unwrap();
    assert_eq!(note.records.len(), 1);
    assert_eq!(note.records[0].env, "staging");
    assert_eq!(
        note.records[0].verified_at().unwrap().as_second(),
        T0 + 86400
    );
    assert_eq!(note.skipped.len(), 1);
    assert!(note.skipped[0].contains("version 2"), "{:?}", note.skipped);
}

#[test]
fn a_broken_overlay_keeps_the_previous_images_and_says_why() {
    let (repo, c0) = TestRepo::blueprint();
    let rel = "infra/k8s/overlays/dev/kustomization.yaml";
    let good = repo.read(rel);
    repo.write(rel, &good.replace("../../base", "../../missing-base"));
    let broken = repo.commit_all("dev: typo", "Ada <ada@example.com>");
    repo.write(rel, &good);
    let fixed = repo.commit_all("dev: fix typo", "Ada <ada@example.com>");

    let git = Repo::open(repo.path()).unwrap();
    let ledger = build_ledger(&git, fixed, &envs()[..1]).unwrap();
    let dev = ledger.environment("dev").unwrap();
    let ids: Vec<_> = dev.deployments.iter().map(|d| d.id()).collect();
    assert_eq!(ids, [fixed, broken, c0]);
    let error = dev.deployments[1].error.as_deref().unwrap();
    assert!(error.contains("missing-base"), "{error}");
    assert!(
        error.contains("infra/k8s/overlays/dev/kustomization.yaml"),
        "{error}"
    );
    assert!(!error.contains("/tmp"), "temporary paths leak: {error}");
    assert_eq!(dev.deployments[1].images, dev.deployments[2].images);
    assert!(dev.deployments[0].error.is_none());
}

#[test]
fn an_environment_appears_with_its_first_commit() {
    let repo = TestRepo::new();
    repo.write("README.md", "empty\n");
    let first = repo.commit_all("start", "Ada <ada@example.com>");
    crate::common::copy_dir(
        &ferry_test_support::fixtures_dir().join("blueprint"),
        repo.path(),
    );
    let added = repo.commit_all("add blueprint", "Ada <ada@example.com>");
    let git = Repo::open(repo.path()).unwrap();
    let ledger = build_ledger(&git, added, &envs()).unwrap();
    for env in &ledger.environments {
        let ids: Vec<_> = env.deployments.iter().map(|d| d.id()).collect();
        assert_eq!(ids, [added], "{}", env.name);
    }
    assert!(ledger.deployed_at("dev", first).unwrap().is_none());
}

#[test]
fn a_bare_clone_gives_the_same_ledger() {
    let h = history();
    let bare = tempfile::tempdir().unwrap();
    let target = bare.path().join("deploy.git");
    h.repo.git(&[
        "clone",
        "-q",
        "--bare",
        h.repo.path().to_str().unwrap(),
        target.to_str().unwrap(),
    ]);
    let (_, from_work) = ledger(&h);
    let repo = Repo::open(&target).unwrap();
    let base = repo.resolve("refs/heads/main").unwrap();
    let from_bare = build_ledger(&repo, base, &envs()).unwrap();
    assert_eq!(
        serde_json::to_value(&from_bare).unwrap(),
        serde_json::to_value(&from_work).unwrap()
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_is_followed_to_its_target_changes() {
    let (repo, c0) = TestRepo::blueprint();
    std::fs::create_dir_all(repo.file("shared")).unwrap();
    let worker = |tag: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  template:\n    spec:\n      containers:\n        - name: worker\n          image: busybox:{tag}\n"
        )
    };
    repo.write("shared/worker.yaml", &worker("1.36"));
    std::os::unix::fs::symlink(
        "../../../../shared/worker.yaml",
        repo.file("infra/k8s/overlays/dev/worker.yaml"),
    )
    .unwrap();
    let rel = "infra/k8s/overlays/dev/kustomization.yaml";
    repo.write(
        rel,
        &repo
            .read(rel)
            .replace("  - ../../base\n", "  - ../../base\n  - worker.yaml\n"),
    );
    let linked = repo.commit_all("dev: worker through a symlink", "Ada <ada@example.com>");
    // Only the link's target changes.
    repo.write("shared/worker.yaml", &worker("1.37"));
    let bumped = repo.commit_all("shared: worker 1.37", "Ada <ada@example.com>");

    let git = Repo::open(repo.path()).unwrap();
    // A file linked from outside the overlay's directory: kustomize's default load restrictor
    // (and Argo CD's) refuses it, `--load-restrictor LoadRestrictionsNone` follows the link.
    let refused = build_ledger(&git, bumped, &envs()).unwrap();
    let error = refused.environment("dev").unwrap().deployments[0]
        .error
        .clone();
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("LoadRestrictionsRootOnly")),
        "{error:?}"
    );
    let options = LedgerOptions::default().with_resolve(ferry_kustomize::ResolveOptions {
        load_restrictor: ferry_kustomize::LoadRestrictor::None,
    });
    let ledger = build_ledger_with(&git, bumped, &envs(), &options).unwrap();
    assert_eq!(commits(&ledger, "dev"), [bumped, linked, c0]);
    let dev = ledger.environment("dev").unwrap();
    assert_eq!(
        dev.deployments[0].images["worker/worker"], "busybox:1.37",
        "{:?}",
        dev.deployments[0].error
    );
    assert_eq!(dev.deployments[1].images["worker/worker"], "busybox:1.36");
    assert_eq!(commits(&ledger, "staging"), [c0]);
}

/// The newest N deployments read with a limit are exactly those of the whole history.
fn assert_limited_matches_full(repo: &Repo, base: ObjectId, envs: &[EnvironmentSpec]) {
    let full = build_ledger(repo, base, envs).unwrap();
    for env in &full.environments {
        assert!(!env.truncated);
        for n in 1..=env.deployments.len() + 1 {
            let limited = build_ledger_with(repo, base, envs, &LedgerOptions::newest(n)).unwrap();
            let got = limited.environment(&env.name).unwrap();
            let want = &env.deployments[..n.min(env.deployments.len())];
            assert_eq!(
                serde_json::to_value(&got.deployments).unwrap(),
                serde_json::to_value(want).unwrap(),
                "{} newest {n}",
                env.name
            );
            assert_eq!(
                got.truncated,
                n < env.deployments.len(),
                "{} newest {n}",
                env.name
            );
        }
    }
}

#[test]
fn a_limited_ledger_is_the_newest_part_of_the_full_one() {
    let h = history();
    let repo = Repo::open(h.repo.path()).unwrap();
    assert_limited_matches_full(&repo, repo.resolve("main").unwrap(), &envs());

    let limited = build_ledger_with(
        &repo,
        repo.resolve("main").unwrap(),
        &envs(),
        &LedgerOptions::newest(2),
    )
    .unwrap();
    let dev = limited.environment("dev").unwrap();
    // backend 1.5.0 entered within the window; frontend 1.4.0 entered before it.
    assert_eq!(
        dev.entered(&format!("{BACKEND}:1.5.0"))
            .unwrap()
            .unwrap()
            .entered
            .id(),
        h.merge
    );
    assert!(matches!(
        dev.entered(&format!("{FRONTEND}:1.4.0")),
        Err(LedgerError::Truncated(_))
    ));
    assert!(matches!(
        limited.deployed_at("dev", h.c[1]),
        Err(LedgerError::Truncated(_))
    ));
    assert_eq!(
        limited.deployed_at("dev", h.c[6]).unwrap().unwrap().id(),
        h.c[6]
    );
}

/// A window by time (`since`), with and without a limit and a cache, is the newest part of the
/// full history: the deployments at or after the time and the newest one before it.
#[test]
fn a_window_since_a_time_is_the_newest_part_of_the_full_ledger() {
    let h = history();
    let repo = Repo::open(h.repo.path()).unwrap();
    let base = repo.resolve("main").unwrap();
    let full = build_ledger_with(
        &repo,
        base,
        &envs(),
        &LedgerOptions::default().without_cache(),
    )
    .unwrap();
    let chain: Vec<ObjectId> = full.chain().to_vec();
    for commit in chain.iter().rev() {
        let since = repo.commit(*commit).unwrap().committer.timestamp();
        for options in [
            LedgerOptions::since(since).without_cache(),
            LedgerOptions::newest(2).with_since(since).without_cache(),
            LedgerOptions::since(since),
        ] {
            let window = build_ledger_with(&repo, base, &envs(), &options).unwrap();
            for env in &full.environments {
                let mut want: Vec<&Deployment> = Vec::new();
                for d in &env.deployments {
                    if options.max_deployments.is_some_and(|m| want.len() >= m) {
                        break;
                    }
                    want.push(d);
                    if d.timestamp() < since {
                        break;
                    }
                }
                let got = window.environment(&env.name).unwrap();
                assert_eq!(
                    serde_json::to_value(&got.deployments).unwrap(),
                    serde_json::to_value(&want).unwrap(),
                    "{} since {since} {options:?}",
                    env.name
                );
                assert_eq!(got.truncated, want.len() < env.deployments.len());
            }
        }
    }
}

#[test]
fn a_limited_ledger_carries_images_across_a_broken_commit() {
    let (repo, _) = TestRepo::blueprint();
    let rel = "infra/k8s/overlays/dev/kustomization.yaml";
    let good = repo.read(rel);
    repo.bump("dev", BACKEND, "1.4.0");
    repo.commit_all("dev: backend 1.4.0", "Ada <ada@example.com>");
    let bumped = repo.read(rel);
    repo.write(rel, &bumped.replace("../../base", "../../missing-base"));
    repo.commit_all("dev: typo", "Ada <ada@example.com>");
    repo.write(rel, &good);
    let tip = repo.commit_all("dev: back to 1.3.3", "Ada <ada@example.com>");
    let git = Repo::open(repo.path()).unwrap();
    assert_limited_matches_full(&git, tip, &envs()[..1]);
}

#[test]
fn notes_move_by_compare_and_swap_and_fan_out_is_read() {
    let h = history();
    let repo = Repo::open(h.repo.path()).unwrap();
    let bot = Signature::new(
        "Ferry",
        "ferry@example.com",
        jiff::Timestamp::from_second(T0).unwrap(),
    );
    let target = h.c[5];
    let hex = target.to_string();

    // A notes tree with fan-out, as git writes it for many notes: ab/cdef….
    let fanned = format!("{}/{}", &hex[..2], &hex[2..]);
    let first = repo
        .build_commit(&ferry_git::CommitRequest {
            parent: None,
            changes: vec![ferry_git::FileChange {
                path: fanned.clone(),
                content: Some(b"not a record\n".to_vec()),
            }],
            message: "notes".into(),
            author: bot.clone(),
            committer: bot.clone(),
        })
        .unwrap();
    repo.update_ref(ferry_ledger::NOTES_REF, first, None, &bot, "notes")
        .unwrap();
    assert_eq!(
        h.repo.git(&["notes", "--ref=ferry", "show", &hex]),
        "not a record\n"
    );
    let (path, bytes) = repo.note_in(Some(first), target).unwrap().unwrap();
    assert_eq!(path, fanned);
    assert_eq!(bytes, b"not a record\n");

    // A writer that read the notes before another one wrote is refused.
    let record = VerificationRecord::new(
        "dev",
        jiff::Timestamp::from_second(T0).unwrap(),
        BTreeMap::new(),
        serde_json::Value::Null,
    );
    record_verification(&repo, target, &record, &bot).unwrap();
    let err = repo
        .write_note(
            ferry_ledger::NOTES_REF,
            Some(first),
            target,
            b"late\n",
            &bot,
            "late",
        )
        .unwrap_err();
    assert!(matches!(err, ferry_git::GitError::RefMoved { .. }), "{err}");

    // The record went to the existing fan-out path, after the line it cannot read.
    let shown = h.repo.git(&["notes", "--ref=ferry", "show", &hex]);
    let lines: Vec<_> = shown.lines().collect();
    assert_eq!(lines.len(), 2, "{shown}");
    assert_eq!(lines[0], "not a record");
    let tree = h
        .repo
        .git(&["ls-tree", "-r", "--name-only", "refs/notes/ferry"]);
    assert_eq!(tree.trim(), fanned);
    let note = read_verifications(&repo, target).unwrap();
    assert_eq!(note.records, [record]);
    assert_eq!(note.skipped.len(), 1);
    assert_eq!(repo.notes(ferry_ledger::NOTES_REF).unwrap().len(), 1);
}

/// Images (or the error) and rendered resources.
type Rendered = (
    Result<BTreeMap<String, String>, String>,
    Vec<serde_json::Value>,
);

/// What an environment renders at the checked-out commit, resolved in full from the working
/// tree: images by `workload/container` (as the ledger names them) or the ledger's error text,
/// and the rendered resources.
fn render_checked_out(root: &std::path::Path, overlay: &str) -> Rendered {
    let root = root.canonicalize().unwrap();
    let resolution = ferry_kustomize::validate_overlay(&root, &root.join(overlay)).unwrap();
    if !resolution.is_valid() {
        let prefix = format!("{}/", root.display());
        let errors: Vec<String> = resolution
            .errors()
            .map(|f| {
                let file = f.file.strip_prefix(&root).unwrap_or(&f.file);
                let message = f.message.replace(&prefix, "");
                if f.line > 0 {
                    format!("{}:{}:{}: {message}", file.display(), f.line, f.column)
                } else {
                    format!("{}: {message}", file.display())
                }
            })
            .collect();
        return (Err(errors.join("; ")), Vec::new());
    }
    let mut names = BTreeMap::<&str, usize>::new();
    for w in &resolution.workloads {
        *names.entry(&w.name).or_default() += 1;
    }
    let mut images = BTreeMap::new();
    for w in &resolution.workloads {
        for c in &w.containers {
            let key = if names[w.name.as_str()] > 1 {
                format!("{}/{}/{}", w.kind, w.name, c.name)
            } else {
                format!("{}/{}", w.name, c.name)
            };
            images.insert(key, c.image.clone());
        }
    }
    (Ok(images), resolution.resources)
}

/// One generated change of the blueprint.
#[derive(Debug, Clone)]
enum Change {
    /// An image bump of an overlay by ferry-kustomize (the common commit).
    Bump { env: usize, frontend: bool },
    /// A hand-edited tag, which may not be valid.
    HandTag { env: usize, value: &'static str },
    /// A field of an overlay other than `images`.
    Namespace { env: usize },
    /// A base file.
    Base,
    /// The overlay stops rendering, or renders again.
    ToggleBroken { env: usize },
    /// A file no environment depends on.
    Readme,
}

fn change() -> impl proptest::strategy::Strategy<Value = Change> {
    use proptest::prelude::*;
    prop_oneof![
        6 => (0..3usize, any::<bool>()).prop_map(|(env, frontend)| Change::Bump { env, frontend }),
        1 => (0..3usize, prop::sample::select(vec!["1.10", "\"1.10\"", "bad!tag", "v2", "true"]))
            .prop_map(|(env, value)| Change::HandTag { env, value }),
        1 => (0..3usize).prop_map(|env| Change::Namespace { env }),
        1 => Just(Change::Base),
        1 => (0..3usize).prop_map(|env| Change::ToggleBroken { env }),
        1 => Just(Change::Readme),
    ]
}

const ENVS: [&str; 3] = ["dev", "staging", "prod"];
const BROKEN: &str = "\nresources: [\n";

/// Applies `change` (step `n` of the history) to the working tree.
fn apply(repo: &TestRepo, change: &Change, n: usize) {
    let overlay = |env: usize| format!("infra/k8s/overlays/{}/kustomization.yaml", ENVS[env]);
    match change {
        Change::Bump { env, frontend } => {
            let image = if *frontend { FRONTEND } else { BACKEND };
            let rel = overlay(*env);
            let text = repo.read(&rel);
            let clean = text.strip_suffix(BROKEN).unwrap_or(&text);
            let spec = ferry_kustomize::ImageSpec::parse(&format!("{image}:2.{n}.0")).unwrap();
            let out = ferry_kustomize::set_images(clean, &[ferry_kustomize::ImageEdit::Set(spec)]);
            if let Ok(out) = out {
                let broken = if clean.len() < text.len() { BROKEN } else { "" };
                repo.write(&rel, &format!("{}{broken}", out.text));
            }
        }
        Change::HandTag { env, value } => {
            let rel = overlay(*env);
            let text = repo.read(&rel);
            let mut done = false;
            let lines: Vec<String> = text
                .lines()
                .map(|l| match l.split_once("newTag: ") {
                    Some((indent, _)) if !done => {
                        done = true;
                        format!("{indent}newTag: {value}")
                    }
                    _ => l.to_string(),
                })
                .collect();
            repo.write(&rel, &format!("{}\n", lines.join("\n")));
        }
        Change::Namespace { env } => {
            let rel = overlay(*env);
            let text = repo.read(&rel);
            let lines: Vec<String> = text
                .lines()
                .map(|l| match l.strip_prefix("namespace: ") {
                    Some(_) => format!("namespace: acme-{}-{n}", ENVS[*env]),
                    None => l.to_string(),
                })
                .collect();
            repo.write(&rel, &format!("{}\n", lines.join("\n")));
        }
        Change::Base => {
            let rel = "infra/k8s/base/configmap.yaml";
            let text = repo.read(rel);
            let lines: Vec<String> = text
                .lines()
                .map(|l| match l.split_once("LOG_LEVEL: ") {
                    Some((indent, _)) => format!("{indent}LOG_LEVEL: level{n}"),
                    None => l.to_string(),
                })
                .collect();
            repo.write(rel, &format!("{}\n", lines.join("\n")));
        }
        Change::ToggleBroken { env } => {
            let rel = overlay(*env);
            let text = repo.read(&rel);
            match text.strip_suffix(BROKEN) {
                Some(clean) => repo.write(&rel, clean),
                None => repo.write(&rel, &format!("{text}{BROKEN}")),
            }
        }
        Change::Readme => repo.write("README.md", &format!("# step {n}\n")),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(10))]

    /// On generated histories, mostly image bumps, the ledger (which redoes only the `images`
    /// step after an image bump and reuses what did not change) equals a full resolution of
    /// every commit from a checkout.
    #[test]
    fn the_ledger_equals_a_full_resolution_of_every_commit(
        changes in proptest::collection::vec(change(), 1..20)
    ) {
        let (repo, c0) = TestRepo::blueprint();
        let mut chain = vec![c0];
        for (n, change) in changes.iter().enumerate() {
            apply(&repo, change, n);
            if !repo.git(&["status", "--porcelain"]).trim().is_empty() {
                chain.push(repo.commit_all(&format!("step {n}"), "Ada <ada@example.com>"));
            }
        }
        let git = Repo::open(repo.path()).unwrap();
        let tip = *chain.last().unwrap();
        let ledger = build_ledger(&git, tip, &envs()).unwrap();
        // The oracle: every commit checked out and resolved on its own.
        let mut renderings = Vec::new();
        for id in &chain {
            repo.git(&["checkout", "-q", "--detach", &id.to_string()]);
            let per_env: Vec<_> = envs()
                .iter()
                .map(|e| render_checked_out(repo.path(), &e.overlay))
                .collect();
            renderings.push(per_env);
        }
        for (i, env) in envs().iter().enumerate() {
            let mut want: Vec<(ObjectId, BTreeMap<String, String>, Option<String>)> = Vec::new();
            let mut last: Option<&Rendered> = None;
            let mut images = BTreeMap::new();
            for (id, per_env) in chain.iter().zip(&renderings) {
                let here = &per_env[i];
                if last == Some(here) {
                    continue;
                }
                last = Some(here);
                let error = match &here.0 {
                    Ok(now) => {
                        images = now.clone();
                        None
                    }
                    Err(e) => Some(e.clone()),
                };
                want.push((*id, images.clone(), error));
            }
            want.reverse();
            let got: Vec<_> = ledger
                .environment(&env.name)
                .unwrap()
                .deployments
                .iter()
                .map(|d| (d.id(), d.images.clone(), d.error.clone()))
                .collect();
            proptest::prop_assert_eq!(got, want, "{} after {:?}", env.name, changes);
        }
    }
}
