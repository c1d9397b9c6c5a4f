//! Git through gix on real repositories: reading, path-filtered first-parent history, commits
//! built without a working tree, compare-and-swap ref updates.

use crate::common::{BACKEND, T0, TestRepo};
use ferry_git::{CommitRequest, EntryType, FileChange, GitError, Repo, Signature};

fn bot(seconds: i64) -> Signature {
    Signature::new(
        "Ferry",
        "ferry@example.com",
        jiff::Timestamp::from_second(seconds).unwrap(),
    )
}

#[test]
fn reads_files_and_entries_at_a_commit() {
    let (repo, c0) = TestRepo::blueprint();
    repo.bump("dev", BACKEND, "2.0.0");
    let c1 = repo.commit_all("dev: backend 2.0.0", "Ada <ada@example.com>");
    let git = Repo::open(repo.path()).unwrap();
    let path = "infra/k8s/overlays/dev/kustomization.yaml";
    let old = String::from_utf8(git.read_file(c0, path).unwrap().unwrap()).unwrap();
    let new = String::from_utf8(git.read_file(c1, path).unwrap().unwrap()).unwrap();
    assert!(old.contains("newTag: 1.3.3"));
    assert!(new.contains("newTag: 2.0.0"));
    assert_eq!(new, repo.read(path));
    assert!(git.read_file(c1, "no/such/file").unwrap().is_none());
    assert!(
        git.read_file(c1, "infra/k8s").unwrap().is_none(),
        "a directory is no file"
    );
    assert_eq!(
        git.entry_at(c1, "infra/k8s/base").unwrap().unwrap().kind,
        EntryType::Tree
    );
    assert!(matches!(
        git.read_file(c1, "../etc/passwd"),
        Err(GitError::InvalidPath(_))
    ));

    let info = git.commit(c1).unwrap();
    assert_eq!(info.parents, [c0]);
    assert_eq!(info.summary(), "dev: backend 2.0.0");
    assert_eq!(info.author.identity(), "Ada <ada@example.com>");
    assert_eq!(info.author.seconds, T0 + 120);
    assert_eq!(git.resolve("main").unwrap(), c1);
    assert_eq!(git.resolve("refs/heads/main").unwrap(), c1);
    assert_eq!(git.resolve(&c0.to_string()).unwrap(), c0);
    assert!(matches!(
        git.resolve("nope"),
        Err(GitError::UnknownRevision(_))
    ));
}

#[test]
fn first_parent_history_is_filtered_by_path_and_skips_side_branches() {
    let (repo, c0) = TestRepo::blueprint();
    repo.bump("dev", BACKEND, "1.4.0");
    let c1 = repo.commit_all("dev 1.4.0", "Ada <ada@example.com>");
    repo.bump("prod", BACKEND, "1.3.2");
    let c2 = repo.commit_all("prod 1.3.2", "Ada <ada@example.com>");
    repo.git(&["checkout", "-q", "-b", "side", "HEAD~1"]);
    repo.bump("dev", BACKEND, "1.5.0");
    let side = repo.commit_all("dev 1.5.0 on a side branch", "Bob <bob@example.com>");
    repo.bump("dev", BACKEND, "1.5.1");
    let side2 = repo.commit_all("dev 1.5.1 on a side branch", "Bob <bob@example.com>");
    repo.git(&["checkout", "-q", "main"]);
    repo.tick();
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    let merge = repo.head();
    repo.write("README.md", "readme\n");
    let c4 = repo.commit_all("readme", "Ada <ada@example.com>");

    let git = Repo::open(repo.path()).unwrap();
    let ids = |paths: &[&str]| -> Vec<_> {
        git.first_parent_history(c4, paths)
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect()
    };
    assert_eq!(ids(&["infra/k8s/overlays/dev"]), [merge, c1, c0]);
    assert_eq!(ids(&["infra/k8s/overlays/prod"]), [c2, c0]);
    assert_eq!(
        ids(&["infra/k8s/overlays/dev", "README.md"]),
        [c4, merge, c1, c0]
    );
    assert!(ids(&["nothing/here"]).is_empty());
    let chain: Vec<_> = git
        .first_parent_chain(c4)
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(chain, [c4, merge, c2, c1, c0]);
    assert!(!chain.contains(&side) && !chain.contains(&side2));
}

#[test]
fn commits_are_built_without_a_working_tree_and_refs_move_by_compare_and_swap() {
    let (repo, c0) = TestRepo::blueprint();
    let git = Repo::open(repo.path()).unwrap();
    let path = "infra/k8s/overlays/dev/kustomization.yaml";
    let text = String::from_utf8(git.read_file(c0, path).unwrap().unwrap()).unwrap();
    let spec = ferry_kustomize::ImageSpec::parse(&format!("{BACKEND}:1.9.0")).unwrap();
    let edited = ferry_kustomize::set_images(&text, &[ferry_kustomize::ImageEdit::Set(spec)])
        .unwrap()
        .text;
    let request = CommitRequest {
        parent: Some(c0),
        changes: vec![
            FileChange {
                path: path.into(),
                content: Some(edited.clone().into_bytes()),
            },
            FileChange {
                path: "ferry/changes/dev.json".into(),
                content: Some(b"{\"env\":\"dev\"}\n".to_vec()),
            },
            FileChange {
                path: "fixtures-only.txt".into(),
                content: None,
            },
            FileChange {
                path: "README.md".into(),
                content: None,
            },
        ],
        message: "dev: backend 1.9.0\n\nBumped by Ferry.\n".into(),
        author: Signature::new(
            "Ada",
            "ada@example.com",
            jiff::Timestamp::from_second(T0 + 1000).unwrap(),
        ),
        committer: bot(T0 + 1001),
    };
    let commit = git.build_commit(&request).unwrap();

    // Nothing moved yet: the branch and the working tree are untouched.
    assert_eq!(repo.rev("main"), c0);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");

    let committer = bot(T0 + 1002);
    git.update_ref(
        "refs/heads/main",
        commit,
        Some(c0),
        &committer,
        "ferry: bump dev",
    )
    .unwrap();
    assert_eq!(repo.rev("main"), commit);
    let log = repo.git(&[
        "log",
        "-1",
        "--format=%P|%an <%ae>|%at|%cn <%ce>|%ct|%s|%b",
        "main",
    ]);
    assert_eq!(
        log.trim(),
        format!(
            "{c0}|Ada <ada@example.com>|{}|Ferry <ferry@example.com>|{}|dev: backend 1.9.0|Bumped by Ferry.",
            T0 + 1000,
            T0 + 1001
        )
    );
    assert_eq!(repo.git(&["show", &format!("main:{path}")]), edited);
    assert_eq!(
        repo.git(&["show", "main:ferry/changes/dev.json"]),
        "{\"env\":\"dev\"}\n"
    );
    let names = repo.git(&["show", "--name-status", "--format=", "main"]);
    assert_eq!(
        names.lines().collect::<Vec<_>>(),
        [
            "D\tREADME.md",
            "A\tferry/changes/dev.json",
            &format!("M\t{path}")
        ]
    );
    repo.git(&["fsck", "--strict", "--no-progress"]);
    // Only the edited line differs from the parent.
    let diff = repo.git(&["diff", "--unified=0", &c0.to_string(), "main", "--", path]);
    let changed: Vec<_> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        changed,
        [
            "-    newTag: 1.3.3 # bumped by ferry-pr",
            "+    newTag: 1.9.0 # bumped by ferry-pr"
        ]
    );

    // A writer holding the stale expected id is refused and the ref is left alone.
    let stale = git
        .build_commit(&CommitRequest {
            parent: Some(c0),
            changes: vec![FileChange {
                path: "late.txt".into(),
                content: Some(b"late\n".to_vec()),
            }],
            message: "late writer".into(),
            author: bot(T0 + 2000),
            committer: bot(T0 + 2000),
        })
        .unwrap();
    let err = git
        .update_ref("refs/heads/main", stale, Some(c0), &committer, "late")
        .unwrap_err();
    match err {
        GitError::RefMoved {
            expected, actual, ..
        } => {
            assert_eq!(expected, Some(c0));
            assert_eq!(actual, Some(commit));
        }
        other => panic!("expected RefMoved, got {other}"),
    }
    assert_eq!(repo.rev("main"), commit);

    // Creating a ref that must not exist, then again.
    git.update_ref("refs/ferry/changes/dev", commit, None, &committer, "record")
        .unwrap();
    assert_eq!(repo.rev("refs/ferry/changes/dev"), commit);
    let err = git
        .update_ref("refs/ferry/changes/dev", stale, None, &committer, "record")
        .unwrap_err();
    assert!(
        matches!(err, GitError::RefMoved { actual: Some(a), .. } if a == commit),
        "{err}"
    );
    assert!(
        err.to_string().contains("refs/ferry/changes/dev moved"),
        "{err}"
    );
}

#[test]
fn a_root_commit_can_be_built_from_nothing() {
    let repo = TestRepo::new();
    let git = Repo::open(repo.path()).unwrap();
    let commit = git
        .build_commit(&CommitRequest {
            parent: None,
            changes: vec![FileChange {
                path: "a/b/c.txt".into(),
                content: Some(b"hello\n".to_vec()),
            }],
            message: "root".into(),
            author: bot(T0),
            committer: bot(T0),
        })
        .unwrap();
    git.update_ref("refs/heads/main", commit, None, &bot(T0), "root")
        .unwrap();
    assert_eq!(repo.git(&["show", "main:a/b/c.txt"]), "hello\n");
    assert_eq!(repo.git(&["rev-list", "--count", "main"]).trim(), "1");
    assert!(matches!(
        git.build_commit(&CommitRequest {
            parent: Some(commit),
            changes: vec![FileChange {
                path: "a/../b".into(),
                content: None,
            }],
            message: "bad".into(),
            author: bot(T0),
            committer: bot(T0),
        }),
        Err(GitError::InvalidPath(_))
    ));
}

/// Every revision form `git rev-parse` accepts resolves to the commit git names, and the
/// forms git refuses are refused.
#[test]
fn revisions_resolve_as_git_rev_parse_does() {
    let (repo, c0) = TestRepo::blueprint();
    repo.bump("dev", BACKEND, "1.4.0");
    let c1 = repo.commit_all("dev 1.4.0", "Ada <ada@example.com>");
    repo.bump("dev", BACKEND, "1.5.0");
    let c2 = repo.commit_all("dev 1.5.0", "Ada <ada@example.com>");
    repo.git(&["tag", "v1", &c1.to_string()]);
    repo.git(&["tag", "-a", "-m", "annotated", "v0", &c0.to_string()]);
    repo.git(&["branch", "old", &c0.to_string()]);
    repo.git(&["update-ref", "refs/remotes/origin/release", &c1.to_string()]);
    let git = Repo::open(repo.path()).unwrap();
    let hex = c1.to_string();
    for (rev, want) in [
        (&hex[..12], c1),
        (&hex[..7], c1),
        ("HEAD", c2),
        ("HEAD~2", c0),
        ("HEAD^", c1),
        ("main~1", c1),
        ("v1", c1),
        ("v0", c0),
        ("refs/tags/v0", c0),
        ("old", c0),
        ("origin/release", c1),
    ] {
        assert_eq!(git.resolve(rev).unwrap(), want, "{rev}");
        assert_eq!(
            repo.rev(&format!("{rev}^{{commit}}")),
            want,
            "git agrees on {rev}"
        );
    }
    // A branch only the remote has, as a clone without the local branch names it.
    assert_eq!(git.resolve("release").unwrap(), c1);
    for rev in ["HEAD~3", "nope", "0000000", "", "main..HEAD"] {
        assert!(
            matches!(git.resolve(rev), Err(GitError::UnknownRevision(_))),
            "{rev}: {:?}",
            git.resolve(rev)
        );
    }
    let tree = git.commit(c0).unwrap().tree.to_string();
    let e = git.resolve(&tree).unwrap_err();
    assert!(matches!(e, GitError::NotACommit { .. }), "{e}");
}

/// A short id that several commits share is refused with the candidates, as git refuses it.
#[test]
fn an_ambiguous_short_id_names_the_candidates() {
    let (repo, c0) = TestRepo::blueprint();
    let git = Repo::open(repo.path()).unwrap();
    // Enough commits that two share their first four hex digits (a birthday collision in
    // 16^4), built without a working tree; which ones is fixed by the fixed times.
    let mut seen = std::collections::HashMap::new();
    let mut parent = c0;
    let pair = (1..5000)
        .find_map(|i| {
            let id = git
                .build_commit(&CommitRequest {
                    parent: Some(parent),
                    changes: vec![],
                    message: format!("commit {i}\n"),
                    author: bot(T0 + i),
                    committer: bot(T0 + i),
                })
                .unwrap();
            parent = id;
            let prefix = id.to_string()[..4].to_owned();
            seen.insert(prefix.clone(), id)
                .map(|other| (prefix, other, id))
        })
        .expect("a shared 4-digit prefix among 5000 commits");
    let (prefix, a, b) = pair;
    let out = std::process::Command::new("git")
        .current_dir(repo.path())
        .args([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{prefix}^{{commit}}"),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "git also refuses {prefix}");
    let e = git.resolve(&prefix).unwrap_err();
    let message = e.to_string();
    assert!(
        matches!(e, GitError::AmbiguousRevision { .. }),
        "{prefix}: {message}"
    );
    assert!(message.contains("ambiguous"), "{message}");
    for id in [a, b] {
        assert!(
            message.contains(&id.to_string()[..7]),
            "{message} names {id}"
        );
    }
    // One more digit (or the full id) is unique again.
    assert_eq!(git.resolve(&a.to_string()).unwrap(), a);
}
