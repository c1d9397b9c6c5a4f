//! Verification records are never lost: append-only lines, merged (a union) on every sync of
//! the plain-git forge, written through the forge on top of the remote's records only. Real
//! repositories: a bare origin and clones, read back with the git CLI.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferry_gitops::forge::Forge;
use ferry_gitops::forge::git::{GitForge, GitForgeOptions, REMOTE_NOTES_REF};
use ferry_gitops::{NOTES_REF, ObjectId, Repo, Signature, VerificationRecord, record_verification};
use ferry_ledger::verify::{NotesMerge, merge_note_texts, merge_notes_into, parse_note};
use ferry_test_support::git::{bare_origin, copy_blueprint, git, init_commit};

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn at(seconds: i64) -> Signature {
    Signature::new(
        "Ferry",
        "ferry@example.com",
        jiff::Timestamp::from_second(seconds).expect("time"),
    )
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// A bare origin holding the blueprint, its `main`, and a way to make clones.
struct Origin {
    dir: tempfile::TempDir,
    bare: PathBuf,
    main: ObjectId,
}

impl Origin {
    fn new() -> Origin {
        let dir = tempfile::tempdir().expect("temp dir");
        let seed = dir.path().join("seed");
        copy_blueprint(&seed);
        let main = init_commit(&seed, "blueprint", T0);
        let bare = dir.path().join("origin.git");
        bare_origin(&seed, &bare, T0);
        Origin {
            main: ObjectId::from_hex(main.as_bytes()).expect("hex"),
            dir,
            bare,
        }
    }

    fn clone(&self, name: &str) -> PathBuf {
        let bare = self.bare.to_string_lossy();
        git(self.dir.path(), &["clone", "-q", &bare, name], T0);
        self.dir.path().join(name)
    }

    fn forge(&self, clone: &Path, seconds: i64) -> GitForge {
        GitForge::new(
            Repo::open(clone).expect("clone opens"),
            GitForgeOptions {
                remote: "origin".to_owned(),
                base_branch: "main".to_owned(),
                branch_prefix: "deploy/".to_owned(),
                signature: at(seconds),
            },
        )
    }

    /// The environments of the records in the note of `main` in the repository `dir` under
    /// `notes_ref`.
    fn envs(&self, dir: &Path, notes_ref: &str) -> Vec<String> {
        let repo = Repo::open(dir).expect("open");
        let tip = repo.ref_id(notes_ref).expect("ref");
        let note = repo.note_in(tip, self.main).expect("note");
        let note = parse_note(&note.map(|(_, bytes)| bytes).unwrap_or_default());
        assert!(note.skipped.is_empty(), "{:?}", note.skipped);
        note.records.into_iter().map(|r| r.env).collect()
    }
}

fn record(env: &str, seconds: i64) -> VerificationRecord {
    VerificationRecord::new(
        env,
        jiff::Timestamp::from_second(seconds).expect("time"),
        BTreeMap::from([(
            "backend/backend".to_owned(),
            "registry.example.com/acme/backend:1.3.3".to_owned(),
        )]),
        serde_json::json!({"by": env}),
    )
}

/// The field trial: a record kept local, then a sync after someone else pushed a record. The
/// sync used to replace the local notes with the remote's, and the local record was gone.
#[test]
fn a_sync_keeps_local_records_and_adds_the_remotes() {
    let origin = Origin::new();
    let a = origin.clone("a");
    let b = origin.clone("b");
    let forge_a = origin.forge(&a, T0 + 100);
    record_verification(
        forge_a.repo(),
        origin.main,
        &record("prod", T0 + 10),
        &at(T0 + 10),
    )
    .expect("local record");
    block_on(
        origin
            .forge(&b, T0 + 200)
            .record_verification(origin.main, &record("dev", T0 + 20)),
    )
    .expect("b pushes dev");
    assert_eq!(origin.envs(&origin.bare, NOTES_REF), ["dev"]);

    block_on(forge_a.sync()).expect("sync");
    let mut local = origin.envs(&a, NOTES_REF);
    local.sort();
    assert_eq!(local, ["dev", "prod"], "a sync never drops a record");
    assert_eq!(
        origin.envs(&a, REMOTE_NOTES_REF),
        ["dev"],
        "the remote's, as fetched"
    );
    assert_eq!(
        origin.envs(&origin.bare, NOTES_REF),
        ["dev"],
        "a sync pushes nothing"
    );
    // A second sync changes nothing, and the merged notes descend from the remote's: a plain
    // `git push` of them is a fast-forward.
    let before = forge_a.repo().ref_id(NOTES_REF).expect("ref");
    block_on(forge_a.sync()).expect("sync again");
    assert_eq!(forge_a.repo().ref_id(NOTES_REF).expect("ref"), before);
    git(&a, &["push", "-q", "origin", NOTES_REF], T0);
    let mut remote = origin.envs(&origin.bare, NOTES_REF);
    remote.sort();
    assert_eq!(remote, ["dev", "prod"]);
}

/// A record written through the forge goes on top of the remote's records: records kept
/// local stay local (and stay), the new one is pushed.
#[test]
fn a_forge_write_pushes_its_record_only_and_keeps_the_local_ones() {
    let origin = Origin::new();
    let a = origin.clone("a");
    let forge = origin.forge(&a, T0 + 100);
    record_verification(
        forge.repo(),
        origin.main,
        &record("prod", T0 + 10),
        &at(T0 + 10),
    )
    .expect("local record");
    block_on(forge.record_verification(origin.main, &record("dev", T0 + 20))).expect("push dev");
    assert_eq!(origin.envs(&origin.bare, NOTES_REF), ["dev"]);
    let mut local = origin.envs(&a, NOTES_REF);
    local.sort();
    assert_eq!(local, ["dev", "prod"]);
    assert_eq!(
        block_on(forge.verifications(origin.main, "prod")).expect("read"),
        [],
        "the forge holds no prod record"
    );
}

/// Two records of one environment on one commit are both kept; the newest counts.
#[test]
fn records_are_append_only_and_the_newest_counts() {
    let origin = Origin::new();
    let a = origin.clone("a");
    let b = origin.clone("b");
    let (forge_a, forge_b) = (origin.forge(&a, T0 + 100), origin.forge(&b, T0 + 200));
    let older = record("dev", T0 + 10);
    let newer = record("dev", T0 + 30);
    block_on(forge_b.record_verification(origin.main, &newer)).expect("b");
    // a has not synced: it writes on top of what the remote holds when it pushes.
    block_on(forge_a.record_verification(origin.main, &older)).expect("a");
    assert_eq!(origin.envs(&origin.bare, NOTES_REF), ["dev", "dev"]);
    let records = block_on(forge_b.verifications(origin.main, "dev")).expect("read");
    assert_eq!(records, [newer.clone(), older.clone()]);
    let ledger = ferry_gitops::build_ledger(
        forge_b.repo(),
        origin.main,
        &[ferry_gitops::EnvironmentSpec {
            name: "dev".into(),
            overlay: "infra/k8s/overlays/dev".into(),
        }],
    )
    .expect("ledger");
    let verified = ledger
        .last_verified_before(forge_b.repo(), "dev", origin.main)
        .expect("read")
        .expect("a record");
    assert_eq!(
        verified.record, newer,
        "the newest record counts, not the last line"
    );
}

#[test]
fn note_texts_merge_as_a_union_of_lines() {
    let a = b"{\"a\":1}\n{\"b\":2}\n";
    let b = b"{\"b\":2}\n\n{\"c\":3}\n";
    assert_eq!(
        String::from_utf8(merge_note_texts(a, b)).unwrap(),
        "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n"
    );
    assert_eq!(merge_note_texts(a, a), a.to_vec());
}

/// Merging notes locally: up to date, fast-forward, or a merge commit holding both sides.
#[test]
fn merging_notes_into_a_ref_never_drops_a_record() {
    let origin = Origin::new();
    let a = origin.clone("a");
    let repo = Repo::open(&a).expect("open");
    let sig = at(T0 + 50);
    record_verification(&repo, origin.main, &record("dev", T0 + 1), &sig).expect("dev");
    let dev = repo.ref_id(NOTES_REF).unwrap().unwrap();
    record_verification(&repo, origin.main, &record("staging", T0 + 2), &sig).expect("staging");
    // An older state of the same history brings nothing.
    assert_eq!(
        merge_notes_into(&repo, NOTES_REF, dev, &sig).unwrap(),
        NotesMerge::UpToDate
    );
    // A ref without notes takes them as they are.
    let other = "refs/notes/other";
    assert_eq!(
        merge_notes_into(&repo, other, dev, &sig).unwrap(),
        NotesMerge::FastForward
    );
    assert_eq!(repo.ref_id(other).unwrap(), Some(dev));
    record_verification(&repo, origin.main, &record("prod", T0 + 3), &sig).expect("prod");
    let mut diverged = origin.envs(&a, NOTES_REF);
    diverged.sort();
    assert_eq!(diverged, ["dev", "prod", "staging"]);
    let ours = repo.ref_id(NOTES_REF).unwrap().unwrap();
    let theirs = {
        // A separate notes history holding a record no one else has.
        let tmp = "refs/notes/theirs";
        record_verification_at(&repo, tmp, origin.main, &record("qa", T0 + 4), &sig);
        repo.ref_id(tmp).unwrap().unwrap()
    };
    assert_eq!(
        merge_notes_into(&repo, NOTES_REF, theirs, &sig).unwrap(),
        NotesMerge::Merged
    );
    let mut merged = origin.envs(&a, NOTES_REF);
    merged.sort();
    assert_eq!(merged, ["dev", "prod", "qa", "staging"]);
    let tip = repo.ref_id(NOTES_REF).unwrap().unwrap();
    assert_eq!(repo.commit(tip).unwrap().parents, [theirs, ours]);
}

/// A record under `notes_ref` in a history of its own.
fn record_verification_at(
    repo: &Repo,
    notes_ref: &str,
    commit: ObjectId,
    record: &VerificationRecord,
    sig: &Signature,
) {
    let new = ferry_ledger::verify::notes_commit_with_record(repo, None, commit, record, sig)
        .expect("notes commit");
    repo.update_ref(notes_ref, new, None, sig, "test")
        .expect("ref");
}
