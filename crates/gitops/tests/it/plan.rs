//! Change planning: branch names, reuse and supersede, overlay text, the no-downgrade guard and
//! the bounded retry.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::TestRepo;
use ferry_gitops::plan::{
    AppRepository, ChangeAction, Comparison, DEFAULT_BRANCH_PREFIX, ImageUpdate, NoRepository,
    OpenChange, OverlayError, check_downgrades, compare_images, compare_tags, decide,
    deploy_branch, files_to_commit, overlay_update, parse_deploy_branch, short_id,
};
use ferry_gitops::{ImageChange, Repo};
use proptest::prelude::*;

fn images(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn dev_set() -> BTreeMap<String, String> {
    images(&[("backend", "registry.example.com/acme/backend:1.4.0")])
}

// ---- branch names -------------------------------------------------------------------------

#[test]
fn branch_names_are_deterministic_and_content_derived() {
    let a = deploy_branch(DEFAULT_BRANCH_PREFIX, "dev", &dev_set());
    assert_eq!(a, deploy_branch(DEFAULT_BRANCH_PREFIX, "dev", &dev_set()));
    assert!(a.starts_with("deploy/dev-"), "{a}");
    assert_eq!(a.len(), "deploy/dev-".len() + 12);
    // Pinned, so a change of the hashing is noticed (it would orphan open changes).
    assert_eq!(short_id("dev", &dev_set()), "8415ef0cf8af");
    assert_eq!(a, "deploy/dev-8415ef0cf8af");
    let other = images(&[("backend", "registry.example.com/acme/backend:1.4.1")]);
    assert_ne!(a, deploy_branch(DEFAULT_BRANCH_PREFIX, "dev", &other));
    assert_ne!(short_id("dev", &dev_set()), short_id("staging", &dev_set()));
    assert_eq!(
        parse_deploy_branch(DEFAULT_BRANCH_PREFIX, &a),
        Some(("dev", &a["deploy/dev-".len()..]))
    );
}

#[test]
fn branch_names_are_ref_safe() {
    let b = deploy_branch("ferry/", "eu west~1", &dev_set());
    assert!(b.starts_with("ferry/eu-west-1-"), "{b}");
}

#[test]
fn parse_tells_dev_from_dev_eu() {
    let dev_eu = deploy_branch(DEFAULT_BRANCH_PREFIX, "dev-eu", &dev_set());
    assert_eq!(parse_deploy_branch("deploy/", &dev_eu).unwrap().0, "dev-eu");
    assert_eq!(parse_deploy_branch("deploy/", "deploy/dev-1234"), None);
    assert_eq!(
        parse_deploy_branch("deploy/", "deploy/dev-0123456789AB"),
        None
    );
    assert_eq!(
        parse_deploy_branch("deploy/", "feature/dev-0123456789ab"),
        None
    );
    assert_eq!(
        parse_deploy_branch("deploy/", "deploy/dev-0123456789ab"),
        Some(("dev", "0123456789ab"))
    );
}

// ---- reuse and supersede ------------------------------------------------------------------

fn change(id: &str, branch: &str) -> OpenChange {
    OpenChange {
        id: id.into(),
        branch: branch.into(),
    }
}

#[test]
fn the_same_content_reuses_the_open_change() {
    let branch = deploy_branch("deploy/", "dev", &dev_set());
    let d = decide("deploy/", "dev", &branch, &[change("7", &branch)]);
    assert_eq!(
        d.action,
        ChangeAction::Reuse {
            change: change("7", &branch)
        }
    );
    assert!(d.supersede.is_empty());
}

#[test]
fn a_new_content_creates_and_supersedes_older_changes_of_the_env_only() {
    let branch = deploy_branch("deploy/", "dev", &dev_set());
    let open = [
        change("3", "deploy/dev-0123456789ab"),
        change("4", "deploy/dev-eu-0123456789ab"),
        change("5", "deploy/staging-aaaaaaaaaaaa"),
        change("6", "feature/dev-work"),
        change("8", "deploy/dev-bbbbbbbbbbbb"),
    ];
    let d = decide("deploy/", "dev", &branch, &open);
    assert_eq!(
        d.action,
        ChangeAction::Create {
            branch: branch.clone()
        }
    );
    assert_eq!(
        d.supersede,
        [
            change("3", "deploy/dev-0123456789ab"),
            change("8", "deploy/dev-bbbbbbbbbbbb")
        ]
    );
}

#[test]
fn reuse_and_supersede_together_and_duplicates_are_superseded() {
    let branch = deploy_branch("deploy/", "dev", &dev_set());
    let open = [
        change("3", "deploy/dev-0123456789ab"),
        change("9", &branch),
        change("10", &branch),
    ];
    let d = decide("deploy/", "dev", &branch, &open);
    assert_eq!(
        d.action,
        ChangeAction::Reuse {
            change: change("9", &branch)
        }
    );
    assert_eq!(
        d.supersede,
        [
            change("3", "deploy/dev-0123456789ab"),
            change("10", &branch)
        ]
    );
}

#[test]
fn files_to_commit_is_empty_when_nothing_changed() {
    let existing = images(&[("a/kustomization.yaml", "x"), ("b", "y")]);
    assert!(files_to_commit(&existing, &images(&[("a/kustomization.yaml", "x")])).is_empty());
    assert_eq!(
        files_to_commit(
            &existing,
            &images(&[("a/kustomization.yaml", "z"), ("c", "w")])
        ),
        images(&[("a/kustomization.yaml", "z"), ("c", "w")])
    );
}

// ---- overlay text -------------------------------------------------------------------------

const STAGING: &str = "\
resources:
  - ../../base
images:
  - name: registry.example.com/acme/backend
    newTag: 1.3.2 # promoted
  - name: registry.example.com/acme/frontend
    newTag: 1.3.2
  # Pull postgres through our registry mirror.
  - name: postgres
    newName: registry.example.com/mirror/postgres
";

fn update(repository: &str, image: &str) -> ImageUpdate {
    ImageUpdate {
        repository: repository.parse().unwrap(),
        image: image.parse().unwrap(),
    }
}

#[test]
fn overlay_update_changes_only_the_tag_bytes() {
    let out = overlay_update(
        STAGING,
        &[update(
            "registry.example.com/acme/backend",
            "registry.example.com/acme/backend:1.3.3",
        )],
    )
    .unwrap();
    assert!(out.changed);
    assert_eq!(
        out.text,
        STAGING.replace("newTag: 1.3.2 # promoted", "newTag: 1.3.3 # promoted")
    );
    // Re-running on the result changes nothing: no new commit.
    let again = overlay_update(
        &out.text,
        &[update(
            "registry.example.com/acme/backend",
            "registry.example.com/acme/backend:1.3.3",
        )],
    )
    .unwrap();
    assert!(!again.changed);
    assert_eq!(again.text, out.text);
}

#[test]
fn overlay_update_matches_entries_by_their_output_name() {
    let digest = "sha256:4ec37d2a07a0067f176fdcc9d4bb633a5724d2cc4f892c7a2046d054bb6939e5";
    let out = overlay_update(
        STAGING,
        &[update(
            "registry.example.com/mirror/postgres",
            &format!("registry.example.com/mirror/postgres:16.5@{digest}"),
        )],
    )
    .unwrap();
    let after = out.after.iter().find(|e| e.name == "postgres").unwrap();
    assert_eq!(
        after.new_name.as_deref(),
        Some("registry.example.com/mirror/postgres")
    );
    assert_eq!(after.new_tag.as_deref(), Some("16.5"));
    assert_eq!(after.digest.as_deref(), Some(digest));
    assert_eq!(out.after.len(), 3);
}

#[test]
fn overlay_update_adds_an_entry_for_an_unlisted_image_and_renames() {
    let out = overlay_update(
        STAGING,
        &[
            update(
                "registry.example.com/acme/worker",
                "registry.example.com/acme/worker:2.0.0",
            ),
            update(
                "registry.example.com/acme/frontend",
                "ghcr.io/acme/frontend:1.4.0",
            ),
        ],
    )
    .unwrap();
    let worker = out
        .after
        .iter()
        .find(|e| e.name == "registry.example.com/acme/worker")
        .unwrap();
    assert_eq!(
        (worker.new_name.as_deref(), worker.new_tag.as_deref()),
        (None, Some("2.0.0"))
    );
    let frontend = out
        .after
        .iter()
        .find(|e| e.name == "registry.example.com/acme/frontend")
        .unwrap();
    assert_eq!(frontend.new_name.as_deref(), Some("ghcr.io/acme/frontend"));
    assert_eq!(frontend.new_tag.as_deref(), Some("1.4.0"));
}

#[test]
fn overlay_update_compares_docker_hub_names_normalised() {
    let text = "images:\n  - name: postgres\n    newTag: \"16.4\"\n";
    let out = overlay_update(
        text,
        &[update(
            "docker.io/library/postgres",
            "docker.io/library/postgres:16.5",
        )],
    )
    .unwrap();
    assert_eq!(
        out.text,
        "images:\n  - name: postgres\n    newTag: \"16.5\"\n"
    );
}

#[test]
fn overlay_update_refuses_conflicts_and_bad_images() {
    let err = overlay_update(
        STAGING,
        &[
            update(
                "registry.example.com/acme/backend",
                "registry.example.com/acme/backend:1.4.0",
            ),
            update(
                "registry.example.com/acme/backend",
                "registry.example.com/acme/backend:1.4.1",
            ),
        ],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "registry.example.com/acme/backend is asked to become both \
         registry.example.com/acme/backend:1.4.0 and registry.example.com/acme/backend:1.4.1"
    );
    let err = overlay_update(
        STAGING,
        &[update(
            "registry.example.com/acme/backend",
            "registry.example.com/acme/backend",
        )],
    )
    .unwrap_err();
    assert!(matches!(err, OverlayError::BadImage { .. }), "{err}");
    let err = overlay_update("images: 3\n", &[update("a", "a:1")]).unwrap_err();
    assert!(matches!(err, OverlayError::Edit(_)), "{err}");
}

#[test]
fn image_update_from_a_ledger_change() {
    let c = ImageChange {
        container: "backend/backend".into(),
        from: Some("localhost:5000/acme/backend:1.3.1".into()),
        to: Some("localhost:5000/acme/backend:1.3.3".into()),
    };
    assert_eq!(
        ImageUpdate::from_change(&c).unwrap(),
        Some(update(
            "localhost:5000/acme/backend",
            "localhost:5000/acme/backend:1.3.3"
        ))
    );
}

// ---- no-downgrade guard -------------------------------------------------------------------

fn bump(from: &str, to: &str) -> ImageChange {
    ImageChange {
        container: "backend/backend".into(),
        from: Some(from.into()),
        to: Some(to.into()),
    }
}

#[test]
fn semver_downgrade_is_refused_with_evidence() {
    let err = check_downgrades(
        &[bump(
            "registry.example.com/acme/backend:v1.10.0",
            "registry.example.com/acme/backend:v1.9.3",
        )],
        &NoRepository,
        false,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "refusing to downgrade: backend/backend: registry.example.com/acme/backend:v1.10.0 → \
         registry.example.com/acme/backend:v1.9.3 (version v1.9.3 is lower than v1.10.0); pass \
         --allow-downgrade to do it anyway"
    );
}

#[test]
fn semver_upgrades_and_equal_versions_pass() {
    let ok = check_downgrades(
        &[
            bump("r.example.com/a:1.9.3", "r.example.com/a:1.10.0"),
            bump("r.example.com/a:v1.2.3", "r.example.com/a:1.2.3"),
            bump("r.example.com/a:1.3.0-rc.1", "r.example.com/a:1.3.0"),
            bump("r.example.com/a:1.2", "r.example.com/a:1.2.1"),
        ],
        &NoRepository,
        false,
    )
    .unwrap();
    assert!(
        ok.warnings.is_empty() && ok.allowed_downgrades.is_empty(),
        "{ok:?}"
    );
    assert!(matches!(
        compare_tags("1.3.0", "1.3.0-rc.1", &NoRepository),
        Comparison::Older(_)
    ));
}

#[test]
fn allow_downgrade_lets_it_through_and_reports_it() {
    let ok = check_downgrades(
        &[bump("r.example.com/a:2.0.0", "r.example.com/a:1.0.0")],
        &NoRepository,
        true,
    )
    .unwrap();
    assert_eq!(ok.allowed_downgrades.len(), 1);
    assert_eq!(
        ok.allowed_downgrades[0].reason,
        "version 1.0.0 is lower than 2.0.0"
    );
}

/// A linear history a1 ← b2 ← c3 and a side commit d4 off a1.
fn history(ancestor: &str, descendant: &str) -> Option<bool> {
    let parents: BTreeMap<&str, &str> = [
        ("b2b2b2b2", "a1a1a1a1"),
        ("c3c3c3c3", "b2b2b2b2"),
        ("d4d4d4d4", "a1a1a1a1"),
    ]
    .into_iter()
    .collect();
    let known: BTreeSet<&str> = ["a1a1a1a1", "b2b2b2b2", "c3c3c3c3", "d4d4d4d4"].into();
    if !known.contains(ancestor) || !known.contains(descendant) {
        return None;
    }
    let mut at = Some(descendant);
    while let Some(c) = at {
        if c == ancestor {
            return Some(true);
        }
        at = parents.get(c).copied();
    }
    Some(false)
}

#[test]
fn commit_sha_downgrade_by_ancestry() {
    let err = check_downgrades(
        &[bump(
            "r.example.com/a:sha-c3c3c3c3",
            "r.example.com/a:sha-b2b2b2b2",
        )],
        &history,
        false,
    )
    .unwrap_err();
    assert_eq!(
        err.downgrades[0].reason,
        "commit b2b2b2b2 of tag sha-b2b2b2b2 is an ancestor of commit c3c3c3c3 of tag sha-c3c3c3c3"
    );
    assert_eq!(
        compare_images(
            "r.example.com/a:a1a1a1a1",
            "r.example.com/a:c3c3c3c3",
            &history
        ),
        Comparison::Newer
    );
}

#[test]
fn ancestry_from_a_real_application_repository() {
    let app = TestRepo::new();
    let mut ids = Vec::new();
    for i in 0..3 {
        app.write("src.txt", &format!("v{i}\n"));
        ids.push(
            app.commit_all(&format!("v{i}"), "Ada <ada@example.com>")
                .to_string(),
        );
    }
    app.git(&["checkout", "-q", "-b", "side", &ids[0]]);
    app.write("side.txt", "side\n");
    let side = app.commit_all("side", "Ada <ada@example.com>").to_string();
    let repo = Repo::open(app.path()).unwrap();
    let order = AppRepository::new(&repo);
    let tag = |id: &str| format!("r.example.com/app:sha-{}", &id[..7]);

    let err = check_downgrades(&[bump(&tag(&ids[2]), &tag(&ids[1]))], &order, false).unwrap_err();
    assert_eq!(
        err.downgrades[0].reason,
        format!(
            "commit {} of tag sha-{} is an ancestor of commit {} of tag sha-{}",
            &ids[1][..7],
            &ids[1][..7],
            &ids[2][..7],
            &ids[2][..7]
        )
    );
    // Full ids as tags, newer: allowed without warning.
    let ok = check_downgrades(
        &[bump(
            &format!("r.example.com/app:{}", ids[0]),
            &format!("r.example.com/app:{}", ids[2]),
        )],
        &order,
        false,
    )
    .unwrap();
    assert!(ok.warnings.is_empty(), "{:?}", ok.warnings);
    // A side branch has diverged; an unknown commit is unknown.
    assert!(matches!(
        compare_tags(&ids[2][..10], &side[..10], &order),
        Comparison::Unknown(r) if r.contains("diverged")
    ));
    assert!(matches!(
        compare_tags(&ids[2][..10], "0000000000", &order),
        Comparison::Unknown(r) if r.contains("order is unknown")
    ));
}

#[test]
fn unordered_changes_are_allowed_with_a_warning() {
    let ok = check_downgrades(
        &[
            // Diverged commits.
            bump("r.example.com/a:c3c3c3c3", "r.example.com/a:d4d4d4d4"),
            // No repository knows these commits.
            bump("r.example.com/a:e5e5e5e5", "r.example.com/a:f6f6f6f6"),
            // Neither versions nor commit ids.
            bump("r.example.com/a:main-2026", "r.example.com/a:main-2027"),
            // Another repository.
            bump("r.example.com/a:2.0.0", "r.example.com/b:1.0.0"),
        ],
        &history,
        false,
    )
    .unwrap();
    assert_eq!(ok.warnings.len(), 4, "{:?}", ok.warnings);
    assert!(
        ok.warnings[0].contains("have diverged"),
        "{}",
        ok.warnings[0]
    );
    assert!(
        ok.warnings[1].contains("order is unknown"),
        "{}",
        ok.warnings[1]
    );
    assert_eq!(
        ok.warnings[2],
        "backend/backend: r.example.com/a:main-2026 → r.example.com/a:main-2027 is not checked \
         for a downgrade: tags main-2026 and main-2027 are not both versions or both commit ids, \
         so they are not ordered"
    );
    assert!(
        ok.warnings[3].contains("another repository"),
        "{}",
        ok.warnings[3]
    );
}

#[test]
fn same_tag_or_abbreviated_commit_is_the_same() {
    let a = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let b = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    assert_eq!(
        compare_images(
            &format!("r.example.com/a:1.0.0@{a}"),
            &format!("r.example.com/a:1.0.0@{b}"),
            &NoRepository
        ),
        Comparison::Same
    );
    assert_eq!(
        compare_tags("c3c3c3c", "sha-c3c3c3c3", &NoRepository),
        Comparison::Same
    );
    assert_eq!(
        compare_images("nginx:1.27", "docker.io/library/nginx:1.26", &NoRepository),
        Comparison::Older("version 1.26 is lower than 1.27".into())
    );
}

// ---- properties ---------------------------------------------------------------------------

proptest! {
    #[test]
    fn branch_round_trips(env in "[a-z][a-z0-9-]{0,15}", tags in proptest::collection::btree_map("[a-z]{1,6}", "[0-9]\\.[0-9]\\.[0-9]", 1..4)) {
        let branch = deploy_branch("deploy/", &env, &tags);
        let (parsed_env, id) = parse_deploy_branch("deploy/", &branch).unwrap();
        prop_assert_eq!(parsed_env, env.as_str());
        prop_assert_eq!(id, short_id(&env, &tags));
        prop_assert_eq!(branch.clone(), deploy_branch("deploy/", &env, &tags.clone()));
    }

    #[test]
    fn version_order_is_antisymmetric(
        a in (0u64..20, 0u64..20, 0u64..20),
        b in (0u64..20, 0u64..20, 0u64..20),
        va in any::<bool>(),
    ) {
        let old = format!("{}{}.{}.{}", if va { "v" } else { "" }, a.0, a.1, a.2);
        let new = format!("{}.{}.{}", b.0, b.1, b.2);
        let forward = compare_tags(&old, &new, &NoRepository);
        let backward = compare_tags(&new, &old, &NoRepository);
        match a.cmp(&b) {
            std::cmp::Ordering::Less => {
                prop_assert_eq!(forward, Comparison::Newer);
                prop_assert!(matches!(backward, Comparison::Older(_)));
            }
            std::cmp::Ordering::Greater => {
                prop_assert!(matches!(forward, Comparison::Older(_)));
                prop_assert_eq!(backward, Comparison::Newer);
            }
            std::cmp::Ordering::Equal => {
                prop_assert_eq!(forward, Comparison::Same);
                prop_assert_eq!(backward, Comparison::Same);
            }
        }
    }

    #[test]
    fn decide_keeps_at_most_one_change_of_the_env(ids in proptest::collection::vec("[0-9a-f]{12}", 0..6), ours in any::<bool>()) {
        let branch = deploy_branch("deploy/", "dev", &dev_set());
        let mut open: Vec<OpenChange> = ids.iter().enumerate().map(|(i, id)| change(&i.to_string(), &format!("deploy/dev-{id}"))).collect();
        if ours {
            open.push(change("ours", &branch));
        }
        let d = decide("deploy/", "dev", &branch, &open);
        // Every open change of dev is either reused or superseded; at most one survives.
        let reused = usize::from(matches!(d.action, ChangeAction::Reuse { .. }));
        prop_assert_eq!(reused + d.supersede.len(), open.len());
        prop_assert_eq!(reused == 1, ours || ids.iter().any(|id| format!("deploy/dev-{id}") == branch));
    }
}
