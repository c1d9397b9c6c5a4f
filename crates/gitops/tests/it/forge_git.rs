//! The plain-git forge on real repositories: a bare repository as the remote, clones as the
//! runners' checkouts, outcomes read back from the remote with the git CLI.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use ferry_gitops::forge::git::{ChangeRecord, GitForge, GitForgeOptions};
use ferry_gitops::forge::{
    Base, ChangeRequest, DEFAULT_MAX_ATTEMPTS, Files, Forge, ForgeError, PlanError, WaitOutcome,
};
use ferry_gitops::gates::Hold;
use ferry_gitops::plan::{ImageUpdate, deploy_branch, overlay_update};
use ferry_gitops::{ObjectId, Repo, Signature, VerificationRecord};
use ferry_test_support::git::{bare_origin, copy_blueprint, git, init_commit};
use tempfile::TempDir;

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const BACKEND: &str = "registry.example.com/acme/backend";

fn overlay(env: &str) -> String {
    format!("infra/k8s/overlays/{env}/kustomization.yaml")
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// A bare `origin.git` holding the blueprint on `main`, and clones of it.
struct World {
    dir: TempDir,
    bare: PathBuf,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let seed = dir.path().join("seed");
        copy_blueprint(&seed);
        init_commit(&seed, "blueprint", T0);
        let bare = dir.path().join("origin.git");
        bare_origin(&seed, &bare, T0);
        World { dir, bare }
    }

    /// A fresh clone named `name`.
    fn checkout(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        git(
            self.dir.path(),
            &["clone", "-q", self.bare.to_str().unwrap(), name],
            T0,
        );
        path
    }

    /// A forge over a fresh clone, committing at `seconds`.
    fn forge(&self, name: &str, seconds: i64) -> GitForge {
        forge_at(&self.checkout(name), seconds)
    }

    /// Every ref of the remote: name → id.
    fn refs(&self) -> BTreeMap<String, String> {
        git(
            &self.bare,
            &["for-each-ref", "--format=%(refname) %(objectname)"],
            T0,
        )
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(name, id)| (name.to_owned(), id.to_owned()))
        .collect()
    }

    /// The remote's refs whose name starts with `prefix`.
    fn refs_under(&self, prefix: &str) -> BTreeMap<String, String> {
        self.refs()
            .into_iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .collect()
    }

    fn main(&self) -> String {
        self.refs()["refs/heads/main"].clone()
    }

    /// `git show REV:PATH` on the remote.
    fn show(&self, rev: &str, path: &str) -> String {
        git(&self.bare, &["show", &format!("{rev}:{path}")], T0)
    }

    /// The backend tag of `env` at `rev` on the remote.
    fn tag(&self, rev: &str, env: &str) -> String {
        backend_tag(&self.show(rev, &overlay(env)))
    }

    /// The first parent of `rev` on the remote.
    fn parent(&self, rev: &str) -> String {
        git(&self.bare, &["rev-parse", &format!("{rev}^1")], T0)
            .trim()
            .to_owned()
    }

    /// Pushes a commit changing README.md onto the remote's main, from clone `name`.
    fn push_unrelated(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        if !path.exists() {
            self.checkout(name);
        }
        git(&path, &["pull", "-q", "--ff-only", "origin", "main"], T0);
        std::fs::write(path.join("README.md"), text).unwrap();
        git(&path, &["commit", "-q", "-am", "docs: unrelated"], T0 + 10);
        git(&path, &["push", "-q", "origin", "HEAD:main"], T0 + 10);
        git(&path, &["rev-parse", "HEAD"], T0).trim().to_owned()
    }
}

fn forge_at(clone: &Path, seconds: i64) -> GitForge {
    let repo = Repo::open(clone).expect("clone opens");
    GitForge::new(
        repo,
        GitForgeOptions {
            remote: "origin".to_owned(),
            base_branch: "main".to_owned(),
            branch_prefix: "deploy/".to_owned(),
            signature: Signature::new(
                "Ferry",
                "ferry@example.com",
                jiff::Timestamp::from_second(seconds).unwrap(),
            ),
        },
    )
    .with_poll_interval(Duration::from_millis(50))
}

fn backend_tag(text: &str) -> String {
    let outcome = overlay_update(text, &[]).expect("overlay parses");
    outcome
        .before
        .iter()
        .find(|e| e.name == BACKEND)
        .and_then(|e| e.new_tag.clone())
        .expect("backend has a tag")
}

fn image(tag: &str) -> String {
    format!("{BACKEND}:{tag}")
}

fn request(env: &str, tag: &str, auto_merge: bool) -> ChangeRequest {
    let images = BTreeMap::from([("backend".to_owned(), image(tag))]);
    ChangeRequest {
        env: env.to_owned(),
        branch: deploy_branch("deploy/", env, &images),
        title: format!("{env}: backend {tag}"),
        body: format!("Sets backend to `{tag}`."),
        message: format!("deploy({env}): backend {tag}"),
        labels: Vec::new(),
        auto_merge,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
    }
}

/// The overlay of `env` at `base` with the backend at `tag`.
fn files_for(base: &Base<'_>, env: &str, tag: &str) -> Result<Files, PlanError> {
    let path = overlay(env);
    let text = base
        .repo
        .read_file(base.commit, &path)?
        .ok_or_else(|| format!("{path} is missing"))?;
    let text = String::from_utf8(text)?;
    let outcome = overlay_update(
        &text,
        &[ImageUpdate {
            repository: BACKEND.parse()?,
            image: image(tag).parse()?,
        }],
    )?;
    Ok(Files::from([(path, outcome.text)]))
}

fn set_tag(env: &str, tag: &str) -> impl FnMut(&Base<'_>) -> Result<Files, PlanError> + use<> {
    let (env, tag) = (env.to_owned(), tag.to_owned());
    move |base: &Base<'_>| files_for(base, &env, &tag)
}

fn change_record(world: &World, id: &str) -> ChangeRecord {
    serde_json::from_str(&world.show(&format!("refs/ferry/changes/{id}"), "change.json"))
        .expect("change.json parses")
}

#[test]
fn first_change_pushes_a_branch_and_a_record() {
    let world = World::new();
    let before = world.main();
    let forge = world.forge("runner", T0 + 100);
    let req = request("dev", "1.4.0", false);
    let opened = block_on(forge.open_change(&req, &mut set_tag("dev", "1.4.0"))).unwrap();

    let id = req.branch.strip_prefix("deploy/").unwrap();
    assert!(opened.created && !opened.updated && !opened.merged && !opened.up_to_date);
    assert_eq!(opened.id, id);
    assert_eq!(opened.number, None);
    assert_eq!(opened.attempts, 1);
    assert_eq!(opened.base, before);
    let url = opened.url.clone().unwrap();
    assert!(
        url.ends_with(&format!("origin.git#{}", req.branch)),
        "{url}"
    );

    let refs = world.refs();
    assert_eq!(refs["refs/heads/main"], before, "the base is untouched");
    assert_eq!(refs[&format!("refs/heads/{}", req.branch)], opened.commit);
    assert_eq!(world.parent(&opened.commit), before);
    assert_eq!(world.tag(&opened.commit, "dev"), "1.4.0");
    assert_eq!(
        world.tag(&opened.commit, "staging"),
        world.tag("main", "staging")
    );

    let record = change_record(&world, id);
    assert_eq!(record.env, "dev");
    assert_eq!(record.branch, req.branch);
    assert_eq!(record.title, "dev: backend 1.4.0");
    assert_eq!(record.base, before);
    assert_eq!(record.head, opened.commit);
    assert_eq!(record.created_at, "2026-01-01T00:01:40Z");
    assert_eq!(
        record.files.keys().collect::<Vec<_>>(),
        vec![&overlay("dev")]
    );
    // The record is a small root commit.
    let record_commit = &refs[&format!("refs/ferry/changes/{id}")];
    assert_eq!(
        git(&world.bare, &["rev-list", "--count", record_commit], T0).trim(),
        "1"
    );
    // The forge lists it after its sync.
    assert_eq!(forge.change_records().unwrap()[id], record);
    // The commit carries the request's message and Ferry's identity.
    let log = git(
        &world.bare,
        &["log", "-1", "--format=%an <%ae>|%s", &opened.commit],
        T0,
    );
    assert_eq!(
        log.trim(),
        "Ferry <ferry@example.com>|deploy(dev): backend 1.4.0"
    );
}

#[test]
fn a_rerun_is_idempotent() {
    let world = World::new();
    let req = request("dev", "1.4.0", false);
    let first = block_on(
        world
            .forge("a", T0 + 100)
            .open_change(&req, &mut set_tag("dev", "1.4.0")),
    )
    .unwrap();
    let refs = world.refs();
    // Another runner, later, same content.
    let second = block_on(
        world
            .forge("b", T0 + 500)
            .open_change(&req, &mut set_tag("dev", "1.4.0")),
    )
    .unwrap();
    assert!(!second.created && !second.updated, "{second:?}");
    assert_eq!(second.commit, first.commit);
    assert_eq!(second.id, first.id);
    assert!(second.superseded.is_empty());
    assert_eq!(world.refs(), refs, "nothing moved on the remote");
}

#[test]
fn a_moved_base_updates_the_open_change() {
    let world = World::new();
    let req = request("dev", "1.4.0", false);
    let forge = world.forge("a", T0 + 100);
    let first = block_on(forge.open_change(&req, &mut set_tag("dev", "1.4.0"))).unwrap();
    let moved = world.push_unrelated("other", "moved\n");
    let again = block_on(forge.open_change(&req, &mut set_tag("dev", "1.4.0"))).unwrap();
    assert!(!again.created && again.updated, "{again:?}");
    assert_ne!(again.commit, first.commit);
    assert_eq!(again.base, moved);
    assert_eq!(world.parent(&again.commit), moved);
    assert_eq!(
        world.refs()[&format!("refs/heads/{}", req.branch)],
        again.commit
    );
    let record = change_record(&world, &again.id);
    assert_eq!((record.head, record.base), (again.commit.clone(), moved));
}

#[test]
fn a_newer_change_supersedes_the_environments_older_ones() {
    let world = World::new();
    let forge = world.forge("runner", T0 + 100);
    let staging = block_on(forge.open_change(
        &request("staging", "1.4.0", false),
        &mut set_tag("staging", "1.4.0"),
    ))
    .unwrap();
    let old = block_on(forge.open_change(
        &request("dev", "1.4.0", false),
        &mut set_tag("dev", "1.4.0"),
    ))
    .unwrap();
    let new_req = request("dev", "1.5.0", false);
    let new = block_on(forge.open_change(&new_req, &mut set_tag("dev", "1.5.0"))).unwrap();

    assert!(new.created);
    assert_eq!(new.superseded, vec![old.id.clone()]);
    let branches: Vec<String> = world.refs_under("refs/heads/deploy/").into_keys().collect();
    assert_eq!(
        branches,
        {
            let mut b = vec![
                format!("refs/heads/{}", staging.branch),
                format!("refs/heads/{}", new.branch),
            ];
            b.sort();
            b
        },
        "the old dev branch is gone, staging's is kept"
    );
    let records: Vec<String> = world
        .refs_under("refs/ferry/changes/")
        .into_keys()
        .collect();
    let mut expected = vec![
        format!("refs/ferry/changes/{}", staging.id),
        format!("refs/ferry/changes/{}", new.id),
    ];
    expected.sort();
    assert_eq!(records, expected);
}

#[test]
fn auto_merge_fast_forwards_the_base_and_leaves_no_branch() {
    let world = World::new();
    let before = world.main();
    let forge = world.forge("runner", T0 + 100);
    // An open change of the same content (a run without auto-merge) and an older one.
    let older = block_on(forge.open_change(
        &request("dev", "1.3.9", false),
        &mut set_tag("dev", "1.3.9"),
    ))
    .unwrap();
    let req = request("dev", "1.4.0", false);
    let open = block_on(forge.open_change(&req, &mut set_tag("dev", "1.4.0"))).unwrap();
    assert_eq!(open.superseded, vec![older.id.clone()]);

    let merge_req = ChangeRequest {
        auto_merge: true,
        ..req.clone()
    };
    let merged = block_on(forge.open_change(&merge_req, &mut set_tag("dev", "1.4.0"))).unwrap();
    assert!(merged.merged && merged.auto_merge, "{merged:?}");
    assert!(
        !merged.created && !merged.updated,
        "the open change was merged as it was"
    );
    assert_eq!(merged.commit, open.commit);
    assert_eq!(
        world.main(),
        open.commit,
        "fast-forward to the change's head"
    );
    assert_eq!(world.parent("main"), before);
    assert_eq!(world.tag("main", "dev"), "1.4.0");
    assert!(world.refs_under("refs/heads/deploy/").is_empty());
    assert!(world.refs_under("refs/ferry/changes/").is_empty());

    // Straight auto-merge of new content: a new commit on the base, nothing else left.
    let next =
        block_on(forge.open_change(&request("dev", "1.5.0", true), &mut set_tag("dev", "1.5.0")))
            .unwrap();
    assert!(next.created && next.merged);
    assert_eq!(world.main(), next.commit);
    assert_eq!(world.parent("main"), open.commit);
    assert_eq!(world.tag("main", "dev"), "1.5.0");
    assert!(world.refs_under("refs/heads/deploy/").is_empty());
    assert!(world.refs_under("refs/ferry/changes/").is_empty());
}

#[test]
fn the_base_moving_between_plan_and_push_recomputes_from_the_new_base() {
    for auto_merge in [true, false] {
        let world = World::new();
        let forge = world.forge("runner", T0 + 100);
        let mut calls = Vec::new();
        let mut competitor = None;
        let mut planner = |base: &Base<'_>| -> Result<Files, PlanError> {
            calls.push(base.commit.to_string());
            if calls.len() == 1 {
                competitor = Some(world.push_unrelated("competitor", "competing\n"));
            }
            files_for(base, "dev", "1.4.0")
        };
        let req = request("dev", "1.4.0", auto_merge);
        let opened = block_on(forge.open_change(&req, &mut planner)).unwrap();
        let competitor = competitor.unwrap();
        assert_eq!(opened.attempts, 2, "{opened:?}");
        assert_eq!(calls.len(), 2);
        assert_ne!(calls[0], competitor);
        assert_eq!(calls[1], competitor, "the second attempt saw the new base");
        assert_eq!(opened.base, competitor);
        assert_eq!(world.parent(&opened.commit), competitor);
        assert_eq!(world.show(&opened.commit, "README.md"), "competing\n");
        assert_eq!(world.tag(&opened.commit, "dev"), "1.4.0");
        if auto_merge {
            assert_eq!(world.main(), opened.commit);
        } else {
            assert_eq!(world.main(), competitor);
        }
    }
}

#[test]
fn a_planner_error_leaves_nothing_behind() {
    let world = World::new();
    let forge = world.forge("runner", T0 + 100);
    let mut calls = 0;
    let mut planner = |base: &Base<'_>| -> Result<Files, PlanError> {
        calls += 1;
        if calls == 1 {
            world.push_unrelated("competitor", "competing\n");
            files_for(base, "dev", "1.4.0")
        } else {
            Err("refusing to downgrade backend".into())
        }
    };
    let err =
        block_on(forge.open_change(&request("dev", "1.4.0", false), &mut planner)).unwrap_err();
    assert!(matches!(err, ForgeError::Plan(_)), "{err:?}");
    assert_eq!(err.to_string(), "refusing to downgrade backend");
    assert_eq!(calls, 2);
    assert!(world.refs_under("refs/heads/deploy/").is_empty());
    assert!(world.refs_under("refs/ferry/").is_empty());
}

#[test]
fn a_base_that_keeps_moving_is_contended_and_leaves_nothing() {
    let world = World::new();
    let forge = world.forge("runner", T0 + 100);
    let mut calls = 0;
    let mut planner = |base: &Base<'_>| -> Result<Files, PlanError> {
        calls += 1;
        world.push_unrelated("competitor", &format!("competing {calls}\n"));
        files_for(base, "dev", "1.4.0")
    };
    let req = ChangeRequest {
        max_attempts: 3,
        ..request("dev", "1.4.0", false)
    };
    let err = block_on(forge.open_change(&req, &mut planner)).unwrap_err();
    let ForgeError::Contended { what, attempts } = &err else {
        panic!("expected contention, got {err:?}");
    };
    assert_eq!((what.as_str(), *attempts), ("refs/heads/main", 3));
    assert_eq!(calls, 3);
    assert!(world.refs_under("refs/heads/deploy/").is_empty());
    assert!(world.refs_under("refs/ferry/").is_empty());
}

#[test]
fn content_already_on_the_base_opens_nothing() {
    let world = World::new();
    let before = world.refs();
    let forge = world.forge("runner", T0 + 100);
    let tag = world.tag("main", "dev");
    let opened =
        block_on(forge.open_change(&request("dev", &tag, true), &mut set_tag("dev", &tag)))
            .unwrap();
    assert!(
        opened.up_to_date && !opened.created && !opened.merged,
        "{opened:?}"
    );
    assert_eq!(opened.commit, before["refs/heads/main"]);
    assert_eq!(opened.id, "");
    // An empty plan means the same.
    let empty =
        block_on(forge.open_change(
            &request("dev", "9.9.9", false),
            &mut |_: &Base<'_>| -> Result<Files, PlanError> { Ok(Files::new()) },
        ))
        .unwrap();
    assert!(empty.up_to_date);
    assert_eq!(world.refs(), before);
}

#[test]
fn a_push_refused_by_the_remote_is_an_error_not_a_race() {
    let world = World::new();
    let hook = world.bare.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'deploys are frozen' >&2\nexit 1\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let forge = world.forge("runner", T0 + 100);
    let err =
        block_on(forge.open_change(&request("dev", "1.4.0", true), &mut set_tag("dev", "1.4.0")))
            .unwrap_err();
    let ForgeError::GitCommand { args, message } = &err else {
        panic!("expected a git command error, got {err:?}");
    };
    assert!(args.starts_with("push --atomic"), "{args}");
    assert!(message.contains("pre-receive hook declined"), "{message}");
    assert!(message.contains("deploys are frozen"), "{message}");
}

#[test]
fn holds_are_compare_and_swap_across_runners() {
    let world = World::new();
    let a = world.forge("a", T0 + 100);
    let hold = |reason: &str| {
        Hold::new(
            "prod",
            BTreeMap::new(),
            reason,
            jiff::Timestamp::from_second(T0).unwrap(),
        )
    };
    let first = block_on(a.update_holds(
        "prod",
        &mut |h: &mut Vec<Hold>| h.push(hold("first")),
        "hold prod",
    ))
    .unwrap();
    assert_eq!(first.len(), 1);

    // Runner b reads the holds, then runner c writes one before b pushes: b's push loses the
    // lease and b applies its update again to the fresh list.
    let c_clone = world.checkout("c");
    let b = world.forge("b", T0 + 200);
    let mut seen = Vec::new();
    let result = block_on(b.update_holds(
        "prod",
        &mut |holds: &mut Vec<Hold>| {
            seen.push(holds.iter().map(|h| h.reason.clone()).collect::<Vec<_>>());
            if seen.len() == 1 {
                let c_clone = c_clone.clone();
                std::thread::spawn(move || {
                    let c = forge_at(&c_clone, T0 + 300);
                    block_on(c.update_holds(
                        "prod",
                        &mut |h: &mut Vec<Hold>| {
                            h.push(Hold::new(
                                "prod",
                                BTreeMap::new(),
                                "from c",
                                jiff::Timestamp::from_second(T0).unwrap(),
                            ))
                        },
                        "hold prod (c)",
                    ))
                    .unwrap();
                })
                .join()
                .unwrap();
            }
            holds.push(hold("from b"));
        },
        "hold prod (b)",
    ))
    .unwrap();
    assert_eq!(
        seen,
        vec![
            vec!["first".to_owned()],
            vec!["first".to_owned(), "from c".to_owned()]
        ]
    );
    let reasons: Vec<&str> = result.iter().map(|h| h.reason.as_str()).collect();
    assert_eq!(reasons, ["first", "from c", "from b"]);

    // A fourth runner reads all of them; another environment's holds are a separate file.
    let d = world.forge("d", T0 + 400);
    block_on(d.update_holds(
        "staging",
        &mut |h: &mut Vec<Hold>| {
            h.push(Hold::new(
                "staging",
                BTreeMap::new(),
                "s",
                jiff::Timestamp::from_second(T0).unwrap(),
            ))
        },
        "",
    ))
    .unwrap();
    let all = block_on(d.holds()).unwrap();
    let reasons: Vec<(&str, &str)> = all
        .iter()
        .map(|h| (h.env.as_str(), h.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("prod", "first"),
            ("prod", "from c"),
            ("prod", "from b"),
            ("staging", "s")
        ]
    );
    let text = world.show("refs/ferry/holds", "prod.json");
    assert!(text.starts_with("[\n  {\n"), "pretty-printed: {text}");
    let parsed: Vec<Hold> = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed, result);
    // An update that changes nothing pushes nothing.
    let tip = world.refs()["refs/ferry/holds"].clone();
    block_on(d.update_holds("prod", &mut |_: &mut Vec<Hold>| {}, "noop")).unwrap();
    assert_eq!(world.refs()["refs/ferry/holds"], tip);
    // Releasing every hold of an environment removes its file.
    block_on(d.update_holds("staging", &mut |h: &mut Vec<Hold>| h.clear(), "release")).unwrap();
    let files = git(
        &world.bare,
        &["ls-tree", "--name-only", "refs/ferry/holds"],
        T0,
    );
    assert_eq!(files.trim(), "prod.json");
    assert!(matches!(
        block_on(d.update_holds("../x", &mut |_: &mut Vec<Hold>| {}, "")),
        Err(ForgeError::BadRecord { .. })
    ));
}

#[test]
fn verification_records_round_trip_through_the_remote() {
    let world = World::new();
    let main = ObjectId::from_hex(world.main().as_bytes()).unwrap();
    let a = world.forge("a", T0 + 100);
    let b = world.forge("b", T0 + 200);
    let images = BTreeMap::from([("backend/backend".to_owned(), image("1.3.3"))]);
    let dev = VerificationRecord::new(
        "dev",
        jiff::Timestamp::from_second(T0 + 50).unwrap(),
        images.clone(),
        serde_json::json!({"monitor": "healthy"}),
    );
    assert!(block_on(b.verifications(main, "dev")).unwrap().is_empty());
    block_on(a.record_verification(main, &dev)).unwrap();
    assert_eq!(
        block_on(b.verifications(main, "dev")).unwrap(),
        vec![dev.clone()]
    );
    assert!(
        block_on(b.verifications(main, "staging"))
            .unwrap()
            .is_empty()
    );

    // b (whose notes are now the remote's) appends staging's record; a sees both.
    let staging = VerificationRecord::new(
        "staging",
        jiff::Timestamp::from_second(T0 + 60).unwrap(),
        images,
        serde_json::json!({"by": "hand"}),
    );
    block_on(b.record_verification(main, &staging)).unwrap();
    assert_eq!(block_on(a.verifications(main, "dev")).unwrap(), vec![dev]);
    assert_eq!(
        block_on(a.verifications(main, "staging")).unwrap(),
        vec![staging]
    );
    let note = git(
        &world.bare,
        &["notes", "--ref=ferry", "show", &world.main()],
        T0,
    );
    assert_eq!(note.lines().count(), 2, "{note}");
    // The ledger's notes ref in the local checkout is the remote's.
    assert_eq!(
        a.repo()
            .ref_id("refs/notes/ferry")
            .unwrap()
            .unwrap()
            .to_string(),
        world.refs()["refs/notes/ferry"]
    );
}

#[test]
fn cleanup_removes_finished_and_left_over_changes() {
    let world = World::new();
    let forge = world.forge("runner", T0 + 100);
    let open = block_on(forge.open_change(
        &request("dev", "1.4.0", false),
        &mut set_tag("dev", "1.4.0"),
    ))
    .unwrap();
    let merged = block_on(forge.open_change(
        &request("staging", "1.4.0", false),
        &mut set_tag("staging", "1.4.0"),
    ))
    .unwrap();
    let orphaned = block_on(forge.open_change(
        &request("prod", "1.4.0", false),
        &mut set_tag("prod", "1.4.0"),
    ))
    .unwrap();
    // A person merges the staging change (a merge commit) and deletes the prod branch by hand;
    // a failed run of an old version left a branch without a record.
    let hand = world.checkout("hand");
    git(&hand, &["fetch", "-q", "origin", &merged.branch], T0);
    git(
        &hand,
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "merge staging",
            "FETCH_HEAD",
        ],
        T0 + 20,
    );
    git(&hand, &["push", "-q", "origin", "HEAD:main"], T0 + 20);
    git(
        &hand,
        &["push", "-q", "origin", "--delete", &orphaned.branch],
        T0,
    );
    let leftover = "deploy/qa-0123456789ab";
    git(
        &hand,
        &[
            "push",
            "-q",
            "origin",
            &format!("HEAD:refs/heads/{leftover}"),
        ],
        T0,
    );
    // Not a deploy branch name: never touched.
    git(
        &hand,
        &["push", "-q", "origin", "HEAD:refs/heads/deploy/notes"],
        T0,
    );

    let cleaned = block_on(forge.cleanup()).unwrap();
    let mut closed = cleaned.closed.clone();
    closed.sort();
    let mut expected = vec![merged.id.clone(), orphaned.id.clone()];
    expected.sort();
    assert_eq!(closed, expected);
    let mut deleted = cleaned.deleted_branches.clone();
    deleted.sort();
    let mut expected = vec![merged.branch.clone(), leftover.to_owned()];
    expected.sort();
    assert_eq!(deleted, expected);

    let branches: Vec<String> = world.refs_under("refs/heads/deploy/").into_keys().collect();
    assert_eq!(
        branches,
        [
            format!("refs/heads/{}", open.branch),
            "refs/heads/deploy/notes".to_owned()
        ]
    );
    let records: Vec<String> = world
        .refs_under("refs/ferry/changes/")
        .into_keys()
        .collect();
    assert_eq!(records, [format!("refs/ferry/changes/{}", open.id)]);
    // Nothing left to do the second time.
    assert_eq!(block_on(forge.cleanup()).unwrap(), Default::default());
}

#[test]
fn wait_sees_merges_by_hand_closes_and_timeouts() {
    let world = World::new();
    let forge = world.forge("runner", T0 + 100);
    let hand = world.checkout("hand");

    // Still open: times out.
    let open = block_on(forge.open_change(
        &request("dev", "1.4.0", false),
        &mut set_tag("dev", "1.4.0"),
    ))
    .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(
        block_on(forge.wait(&open.id, Duration::from_millis(200))).unwrap(),
        WaitOutcome::TimedOut
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // Fast-forwarded by hand (record and branch left behind): merged at the change's head.
    git(&hand, &["fetch", "-q", "origin", &open.branch], T0);
    git(
        &hand,
        &["push", "-q", "origin", "FETCH_HEAD:refs/heads/main"],
        T0,
    );
    assert_eq!(
        block_on(forge.wait(&open.id, Duration::from_secs(5))).unwrap(),
        WaitOutcome::Merged {
            commit: Some(open.commit.clone())
        }
    );
    block_on(forge.cleanup()).unwrap();

    // Squashed by hand, branch and record deleted: merged at the squash commit.
    let squashed = block_on(forge.open_change(
        &request("dev", "1.5.0", false),
        &mut set_tag("dev", "1.5.0"),
    ))
    .unwrap();
    git(&hand, &["pull", "-q", "--ff-only", "origin", "main"], T0);
    git(&hand, &["fetch", "-q", "origin", &squashed.branch], T0);
    git(&hand, &["merge", "-q", "--squash", "FETCH_HEAD"], T0 + 30);
    git(&hand, &["commit", "-q", "-m", "squash"], T0 + 30);
    std::fs::write(hand.join("README.md"), "later\n").unwrap();
    git(&hand, &["commit", "-q", "-am", "later"], T0 + 40);
    git(&hand, &["push", "-q", "origin", "HEAD:main"], T0 + 40);
    let squash_commit = world.parent("main");
    git(
        &hand,
        &[
            "push",
            "-q",
            "origin",
            "--delete",
            &squashed.branch,
            &format!("refs/ferry/changes/{}", squashed.id),
        ],
        T0,
    );
    assert_eq!(
        block_on(forge.wait(&squashed.id, Duration::from_secs(5))).unwrap(),
        WaitOutcome::Merged {
            commit: Some(squash_commit)
        }
    );

    // Merged with a merge commit: that commit.
    let merged = block_on(forge.open_change(
        &request("dev", "1.6.0", false),
        &mut set_tag("dev", "1.6.0"),
    ))
    .unwrap();
    git(&hand, &["fetch", "-q", "origin", &merged.branch], T0);
    git(
        &hand,
        &["merge", "-q", "--no-ff", "-m", "merge", "FETCH_HEAD"],
        T0 + 50,
    );
    git(&hand, &["push", "-q", "origin", "HEAD:main"], T0 + 50);
    let merge_commit = world.main();
    assert_eq!(
        block_on(forge.wait(&merged.id, Duration::from_secs(5))).unwrap(),
        WaitOutcome::Merged {
            commit: Some(merge_commit)
        }
    );
    block_on(forge.cleanup()).unwrap();

    // Closed: superseded by a newer change while waiting on it.
    let closed = block_on(forge.open_change(
        &request("dev", "1.7.0", false),
        &mut set_tag("dev", "1.7.0"),
    ))
    .unwrap();
    let other = world.forge("other", T0 + 200);
    block_on(other.open_change(
        &request("dev", "1.8.0", false),
        &mut set_tag("dev", "1.8.0"),
    ))
    .unwrap();
    assert_eq!(
        block_on(forge.wait(&closed.id, Duration::from_secs(5))).unwrap(),
        WaitOutcome::Closed
    );

    assert!(matches!(
        block_on(forge.wait("dev-000000000000", Duration::from_millis(100))),
        Err(ForgeError::UnknownChange(id)) if id == "dev-000000000000"
    ));
}

#[test]
fn credentials_in_the_remote_url_never_show() {
    let world = World::new();
    let clone = world.checkout("runner");
    let url = "https://ferry-bot:s3cr3t-t0ken@127.0.0.1:1/acme/gitops.git";
    git(&clone, &["remote", "add", "private", url], T0);
    for remote in [url, "private"] {
        let forge = GitForge::new(
            Repo::open(&clone).unwrap(),
            GitForgeOptions {
                remote: remote.to_owned(),
                base_branch: "main".to_owned(),
                branch_prefix: "deploy/".to_owned(),
                signature: Signature::new(
                    "Ferry",
                    "ferry@example.com",
                    jiff::Timestamp::from_second(T0).unwrap(),
                ),
            },
        );
        assert_eq!(
            forge.remote_display(),
            "https://***@127.0.0.1:1/acme/gitops.git"
        );
        let err = block_on(forge.sync()).unwrap_err();
        let shown = format!("{err} {err:?} {forge:?} {:?}", forge.options());
        assert!(matches!(err, ForgeError::GitCommand { .. }), "{err:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("ferry-bot"), "{shown}");
        let err = block_on(
            forge.open_change(&request("dev", "1.4.0", true), &mut set_tag("dev", "1.4.0")),
        )
        .unwrap_err();
        assert!(!format!("{err} {err:?}").contains("s3cr3t"));
    }
}

/// Major, minor, patch of a `X.Y.Z` tag.
fn version(tag: &str) -> (u64, u64, u64) {
    let mut parts = tag
        .split('.')
        .map(|p| p.parse::<u64>().expect("numeric tag"));
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    )
}

#[test]
fn twenty_concurrent_auto_merges_end_with_the_newest_tag() {
    const RUNS: usize = 20;
    let world = Arc::new(World::new());
    let start = world.main();
    let barrier = Arc::new(Barrier::new(RUNS));
    let handles: Vec<_> = (0..RUNS)
        .map(|i| {
            let world = Arc::clone(&world);
            let barrier = Arc::clone(&barrier);
            let clone = world.checkout(&format!("runner-{i}"));
            std::thread::spawn(move || {
                let tag = format!("1.4.{i}");
                let forge = forge_at(&clone, T0 + 1000 + i as i64);
                let mut planner = |base: &Base<'_>| -> Result<Files, PlanError> {
                    let path = overlay("dev");
                    let text =
                        String::from_utf8(base.repo.read_file(base.commit, &path)?.unwrap())?;
                    let current = backend_tag(&text);
                    if version(&current) > version(&tag) {
                        return Err(format!(
                            "refusing to downgrade backend from {current} to {tag}"
                        )
                        .into());
                    }
                    files_for(base, "dev", &tag)
                };
                barrier.wait();
                let result = block_on(forge.open_change(&request("dev", &tag, true), &mut planner));
                (tag, result.map_err(|e| e.to_string()))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let newest = format!("1.4.{}", RUNS - 1);
    for (tag, result) in &results {
        match result {
            Ok(opened) => assert!(opened.merged || opened.up_to_date, "{tag}: {opened:?}"),
            Err(e) => assert!(e.starts_with("refusing to downgrade"), "{tag}: {e}"),
        }
    }
    let (_, newest_result) = results.iter().find(|(t, _)| *t == newest).unwrap();
    assert!(
        newest_result.as_ref().is_ok_and(|o| o.merged),
        "{newest_result:?}"
    );
    assert_eq!(world.tag("main", "dev"), newest);
    assert!(world.refs_under("refs/heads/deploy/").is_empty());
    assert!(world.refs_under("refs/ferry/changes/").is_empty());

    // No lost update and no downgrade: the first-parent chain only moves dev's tag up, and
    // every merged run's commit is on it.
    let chain: Vec<String> = git(
        &world.bare,
        &["rev-list", "--first-parent", "main", &format!("^{start}")],
        T0,
    )
    .lines()
    .map(str::to_owned)
    .collect();
    let tags: Vec<(u64, u64, u64)> = chain
        .iter()
        .rev()
        .map(|c| version(&world.tag(c, "dev")))
        .collect();
    assert!(tags.windows(2).all(|w| w[0] < w[1]), "{tags:?}");
    let merged: Vec<&String> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .filter(|o| o.merged)
        .map(|o| &o.commit)
        .collect();
    assert_eq!(merged.len(), chain.len());
    assert!(merged.iter().all(|c| chain.contains(c)));
    // Every merge is a fast-forward by one commit with a single parent.
    for c in &chain {
        let parents = git(&world.bare, &["rev-list", "--parents", "-n1", c], T0);
        assert_eq!(parents.split_whitespace().count(), 2, "{parents}");
    }
}

/// A change whose deploy branch was deleted by hand is closed: `wait` says so, `changes` lists
/// it as closed, and it is no longer in flight (what a rollback checks).
#[test]
fn a_change_whose_branch_was_deleted_by_hand_is_no_longer_in_flight() {
    let world = World::new();
    let forge = world.forge("runner", T0 + 100);
    let open = block_on(forge.open_change(
        &request("dev", "1.4.0", false),
        &mut set_tag("dev", "1.4.0"),
    ))
    .unwrap();
    let in_flight = block_on(forge.open_changes("dev")).unwrap();
    assert_eq!(in_flight.len(), 1);
    git(
        &world.bare,
        &["update-ref", "-d", &format!("refs/heads/{}", open.branch)],
        T0,
    );
    assert!(block_on(forge.open_changes("dev")).unwrap().is_empty());
    assert_eq!(
        block_on(forge.wait(&open.id, Duration::from_secs(5))).unwrap(),
        WaitOutcome::Closed
    );
    let listed = block_on(forge.changes(Some("dev"))).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, ferry_gitops::forge::ChangeState::Closed);
    let merged = block_on(forge.merge_change(&open.id, None));
    assert!(
        matches!(merged, Err(ForgeError::NotOpen { .. })),
        "{merged:?}"
    );
    assert_eq!(world.tag("main", "dev"), "1.3.3");
}
