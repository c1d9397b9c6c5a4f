//! Promotion gates: each rule allows and refuses, with its evidence.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{BACKEND, FRONTEND, T0, TestRepo};
use ferry_gitops::gates::{
    Hold, PromotionFacts, RegistryFact, Rule, SourceState, TargetState, check_promotion, hold_rule,
    registry_rule, soak_rule, verified_rule,
};
use ferry_gitops::{
    EnvironmentSpec, ImageChange, LedgerOptions, Repo, VerificationRecord, VerifiedSet,
    build_ledger, build_ledger_with,
};
use proptest::prelude::*;

const DIGEST_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SOURCE: &str = "the remote's refs/notes/ferry";
const DIGEST_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn images(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn staging_images() -> BTreeMap<String, String> {
    images(&[
        ("backend/backend", "registry.example.com/acme/backend:1.3.3"),
        (
            "frontend/frontend",
            "registry.example.com/acme/frontend:1.3.3",
        ),
    ])
}

/// Everything allows: staging runs 1.3.3 (entered 10:00), verified, in the registry, no hold;
/// prod runs 1.3.1 and its upstream is staging; soak 1h, now 12:00.
struct World {
    source: SourceState,
    target: TargetState,
    verification: Option<VerifiedSet>,
    registry: BTreeMap<String, RegistryFact>,
    holds: Vec<Hold>,
    soak: Duration,
    now: jiff::Timestamp,
}

impl World {
    fn new() -> World {
        let imgs = staging_images();
        let since = imgs
            .keys()
            .map(|k| (k.clone(), ts("2026-03-01T10:00:00Z")))
            .collect();
        let registry = imgs
            .values()
            .map(|i| {
                (
                    i.clone(),
                    RegistryFact::Found {
                        digest: DIGEST_A.into(),
                    },
                )
            })
            .collect();
        World {
            source: SourceState {
                env: "staging".into(),
                commit: "0123456789abcdef0123456789abcdef01234567".into(),
                images: imgs.clone(),
                since,
            },
            target: TargetState {
                env: "prod".into(),
                upstream: Some("staging".into()),
                images: images(&[
                    ("backend/backend", "registry.example.com/acme/backend:1.3.1"),
                    (
                        "frontend/frontend",
                        "registry.example.com/acme/frontend:1.3.3",
                    ),
                    (
                        "postgres/postgres",
                        "registry.example.com/mirror/postgres@sha256:4e",
                    ),
                ]),
            },
            verification: Some(VerifiedSet {
                commit: "0123456789abcdef0123456789abcdef01234567".into(),
                record: VerificationRecord::new(
                    "staging",
                    ts("2026-03-01T10:30:00Z"),
                    imgs,
                    serde_json::json!({"by": "monitor"}),
                ),
                matches_ledger: true,
            }),
            registry,
            holds: Vec::new(),
            soak: Duration::from_secs(3600),
            now: ts("2026-03-01T12:00:00Z"),
        }
    }

    fn facts(&self) -> PromotionFacts<'_> {
        PromotionFacts {
            source: Some(&self.source),
            source_env: "staging",
            target: &self.target,
            verification: self.verification.as_ref(),
            verification_source: SOURCE,
            unpublished: None,
            registry: &self.registry,
            holds: &self.holds,
            soak: self.soak,
            now: self.now,
        }
    }

    /// The evidence of `rule`, asserting it is the only refusal.
    fn only_refusal(&self, rule: Rule) -> String {
        let refused = check_promotion(&self.facts()).unwrap_err();
        assert_eq!(
            refused.refusals.iter().map(|r| r.rule).collect::<Vec<_>>(),
            [rule],
            "{refused}"
        );
        refused.refusals[0].evidence.clone()
    }
}

#[test]
fn every_rule_allows_and_the_plan_lists_the_changes() {
    let w = World::new();
    let plan = check_promotion(&w.facts()).unwrap();
    assert_eq!(plan.from, "staging");
    assert_eq!(plan.to, "prod");
    assert_eq!(plan.images, staging_images());
    assert_eq!(
        plan.changes,
        [ImageChange {
            container: "backend/backend".into(),
            from: Some("registry.example.com/acme/backend:1.3.1".into()),
            to: Some("registry.example.com/acme/backend:1.3.3".into()),
        }]
    );
    assert!(plan.not_in_target.is_empty());
    assert!(!plan.is_noop());
    let verification = plan.verification.as_ref().unwrap();
    assert_eq!(verification.source, SOURCE);
    assert_eq!(verification.verified_at, "2026-03-01T10:30:00Z");
    let updates = plan.updates().unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].repository, "registry.example.com/acme/backend");
    assert_eq!(updates[0].image, "registry.example.com/acme/backend:1.3.3");
    let prod =
        "images:\n  - name: registry.example.com/acme/backend\n    newTag: 1.3.1 # promoted\n";
    let edited = ferry_gitops::plan::overlay_update(prod, &updates).unwrap();
    assert_eq!(edited.text, prod.replace("1.3.1", "1.3.3"));
}

#[test]
fn containers_the_target_lacks_are_listed_not_changed() {
    let mut w = World::new();
    w.target.images.remove("frontend/frontend");
    let plan = check_promotion(&w.facts()).unwrap();
    assert_eq!(plan.not_in_target, ["frontend/frontend"]);
    assert_eq!(plan.changes.len(), 1);
}

#[test]
fn upstream_refuses_another_source() {
    let mut w = World::new();
    w.target.upstream = Some("qa".into());
    assert_eq!(
        w.only_refusal(Rule::Upstream),
        "the upstream of prod is qa, not staging; promote qa → prod instead"
    );
}

#[test]
fn upstream_refuses_a_first_environment() {
    let mut w = World::new();
    w.target.upstream = None;
    assert_eq!(
        w.only_refusal(Rule::Upstream),
        "prod has no upstream (it is a first environment); nothing is promoted into it"
    );
}

#[test]
fn source_without_deployment_refuses() {
    let w = World::new();
    let mut facts = w.facts();
    facts.source = None;
    let refused = check_promotion(&facts).unwrap_err();
    assert_eq!(
        refused.evidence(Rule::SourceDeployed),
        Some("staging has no deployment in the ledger: there is nothing to promote")
    );
    assert_eq!(refused.refusals.len(), 1);
}

#[test]
fn verified_refuses_without_record() {
    let mut w = World::new();
    w.verification = None;
    assert_eq!(
        w.only_refusal(Rule::Verified),
        "staging has no verification record on its history; read from the remote's refs/notes/ferry"
    );
    // A record only this machine has is named, and does not count.
    let local = World::new().verification.unwrap();
    let mut facts = w.facts();
    facts.unpublished = Some(&local);
    let refused = check_promotion(&facts).unwrap_err();
    let evidence = refused.evidence(Rule::Verified).unwrap();
    assert!(
        evidence.ends_with(
            "; a record of staging on 0123456789ab (2026-03-01T10:30:00Z) exists only in the \
             local repository and does not count until it is pushed"
        ),
        "{evidence}"
    );
}

#[test]
fn verified_compares_exact_tags_not_prefixes() {
    // The blueprint's grep accepted `backend:1.3` when staging ran `backend:1.3.3`.
    let mut w = World::new();
    let v = w.verification.as_mut().unwrap();
    v.record.images.insert(
        "backend/backend".into(),
        "registry.example.com/acme/backend:1.3".into(),
    );
    assert_eq!(
        w.only_refusal(Rule::Verified),
        "the last verification of staging (commit 0123456789ab, 2026-03-01T10:30:00Z) is for a \
         different image set: backend/backend verified registry.example.com/acme/backend:1.3 but \
         runs registry.example.com/acme/backend:1.3.3; read from the remote's refs/notes/ferry"
    );
}

#[test]
fn verified_compares_the_full_set() {
    let mut w = World::new();
    let v = w.verification.as_mut().unwrap();
    v.record.images.remove("frontend/frontend");
    v.record.images.insert(
        "worker/worker".into(),
        "registry.example.com/acme/worker:2.0.0".into(),
    );
    let evidence = w.only_refusal(Rule::Verified);
    assert!(
        evidence.ends_with(
            "frontend/frontend runs registry.example.com/acme/frontend:1.3.3, never verified; \
             worker/worker verified registry.example.com/acme/worker:2.0.0 but no longer exists; \
             read from the remote's refs/notes/ferry"
        ),
        "{evidence}"
    );
}

#[test]
fn verified_refuses_a_record_of_another_environment() {
    let mut w = World::new();
    w.verification.as_mut().unwrap().record.env = "dev".into();
    assert_eq!(
        w.only_refusal(Rule::Verified),
        "the verification record on commit 0123456789ab is for dev, not staging; read from \
         the remote's refs/notes/ferry"
    );
}

#[test]
fn verified_refuses_a_record_the_ledger_contradicts() {
    let mut w = World::new();
    w.verification.as_mut().unwrap().matches_ledger = false;
    assert_eq!(
        w.only_refusal(Rule::Verified),
        "the verification record on commit 0123456789ab names images staging did not run at \
         that commit according to the ledger; read from the remote's refs/notes/ferry"
    );
}

#[test]
fn registry_refuses_missing_unknown_and_failed_images() {
    let mut w = World::new();
    w.registry.insert(
        "registry.example.com/acme/backend:1.3.3".into(),
        RegistryFact::NotFound,
    );
    assert_eq!(
        w.only_refusal(Rule::Registry),
        "registry.example.com/acme/backend:1.3.3 does not exist in the registry"
    );
    w.registry.insert(
        "registry.example.com/acme/backend:1.3.3".into(),
        RegistryFact::LookupFailed {
            error: "connection refused".into(),
        },
    );
    w.registry
        .remove("registry.example.com/acme/frontend:1.3.3");
    assert_eq!(
        w.only_refusal(Rule::Registry),
        "registry.example.com/acme/backend:1.3.3 could not be looked up: connection refused; \
         registry.example.com/acme/frontend:1.3.3 was not looked up in the registry"
    );
}

#[test]
fn registry_checks_pinned_digests() {
    let pinned = format!("registry.example.com/acme/backend:1.3.3@{DIGEST_A}");
    let imgs = images(&[("backend/backend", &pinned)]);
    let mut registry = BTreeMap::new();
    registry.insert(
        pinned.clone(),
        RegistryFact::Found {
            digest: DIGEST_A.into(),
        },
    );
    assert_eq!(registry_rule(&imgs, &registry), None);
    registry.insert(
        pinned.clone(),
        RegistryFact::Found {
            digest: DIGEST_B.into(),
        },
    );
    assert_eq!(
        registry_rule(&imgs, &registry).unwrap(),
        format!("{pinned} is pinned to {DIGEST_A} but the registry has {DIGEST_B}")
    );
}

#[test]
fn soak_allows_exactly_at_the_soak_time() {
    let mut w = World::new();
    w.now = ts("2026-03-01T11:00:00Z");
    assert!(check_promotion(&w.facts()).is_ok());
}

#[test]
fn soak_refuses_before_with_time_left() {
    let mut w = World::new();
    w.now = ts("2026-03-01T10:40:00Z");
    w.source
        .since
        .insert("frontend/frontend".into(), ts("2026-03-01T09:00:00Z"));
    assert_eq!(
        w.only_refusal(Rule::Soak),
        "backend/backend: registry.example.com/acme/backend:1.3.3 entered staging at \
         2026-03-01T10:00:00Z, 40m ago; 20m of the 1h soak left"
    );
}

/// Durations in the evidence read as people write them: `1m 19s`, never `1m, 19s`.
#[test]
fn soak_evidence_spells_compound_durations_unambiguously() {
    let mut w = World::new();
    w.soak = Duration::from_secs(2 * 60);
    w.now = ts("2026-03-01T10:00:41Z");
    w.source
        .since
        .insert("frontend/frontend".into(), ts("2026-03-01T09:00:00Z"));
    assert_eq!(
        w.only_refusal(Rule::Soak),
        "backend/backend: registry.example.com/acme/backend:1.3.3 entered staging at \
         2026-03-01T10:00:00Z, 41s ago; 1m 19s of the 2m soak left"
    );
}

#[test]
fn soak_refuses_an_unknown_entry_time_unless_there_is_no_soak() {
    let mut w = World::new();
    w.source.since.remove("backend/backend");
    assert_eq!(
        w.only_refusal(Rule::Soak),
        "backend/backend: when registry.example.com/acme/backend:1.3.3 entered staging is \
         unknown (older than the ledger read)"
    );
    w.soak = Duration::ZERO;
    assert!(check_promotion(&w.facts()).is_ok());
}

fn hold(env: &str, held: &[(&str, &str)], released: bool) -> Hold {
    let mut h = Hold::new(
        env,
        images(held),
        "rollback of backend 1.3.3: error rate 12%",
        ts("2026-03-01T11:30:00Z"),
    );
    h.released = released;
    h
}

#[test]
fn hold_refuses_held_images() {
    let mut w = World::new();
    w.holds.push(hold(
        "prod",
        &[("backend/backend", "registry.example.com/acme/backend:1.3.3")],
        false,
    ));
    assert_eq!(
        w.only_refusal(Rule::Hold),
        "prod is on hold for registry.example.com/acme/backend:1.3.3 since \
         2026-03-01T11:30:00Z: rollback of backend 1.3.3: error rate 12% (lift it with \
         `ferry rollback release --env prod --image registry.example.com/acme/backend:1.3.3`)"
    );
}

#[test]
fn hold_allows_released_other_env_and_other_images() {
    let imgs = staging_images();
    let released = hold(
        "prod",
        &[("backend/backend", "registry.example.com/acme/backend:1.3.3")],
        true,
    );
    let other_env = hold("staging", &[], false);
    let other_image = hold(
        "prod",
        &[("backend/backend", "registry.example.com/acme/backend:1.3.2")],
        false,
    );
    assert_eq!(
        hold_rule("prod", &imgs, &[released, other_env, other_image]),
        None
    );
}

#[test]
fn hold_without_images_holds_the_whole_environment() {
    let imgs = staging_images();
    assert_eq!(
        hold_rule("prod", &imgs, &[hold("prod", &[], false)]).unwrap(),
        "prod is on hold for every image since 2026-03-01T11:30:00Z: rollback of backend 1.3.3: \
         error rate 12% (lift it with `ferry rollback release --env prod --all`)"
    );
}

/// A hold made now carries whole seconds, and one stored with nanoseconds reads without them.
#[test]
fn hold_times_are_whole_seconds() {
    let imgs = staging_images();
    let made_now = Hold::new(
        "prod",
        images(&[]),
        "why",
        ts("2026-03-01T11:30:00.123456789Z"),
    );
    assert_eq!(made_now.created_at, "2026-03-01T11:30:00Z");
    let mut stored = hold("prod", &[], false);
    stored.created_at = "2026-03-01T11:30:00.987654321Z".into();
    assert_eq!(
        hold_rule("prod", &imgs, &[stored]).unwrap(),
        "prod is on hold for every image since 2026-03-01T11:30:00Z: rollback of backend 1.3.3: \
         error rate 12% (lift it with `ferry rollback release --env prod --all`)"
    );
    let record = VerificationRecord::new(
        "staging",
        ts("2026-03-01T10:30:00.5Z"),
        imgs,
        serde_json::json!({}),
    );
    assert_eq!(record.verified_at, "2026-03-01T10:30:00Z");
}

#[test]
fn hold_is_json() {
    let h = hold("prod", &[("backend/backend", "x:1")], false);
    let json = serde_json::to_value(&h).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "env": "prod",
            "images": {"backend/backend": "x:1"},
            "reason": "rollback of backend 1.3.3: error rate 12%",
            "created_at": "2026-03-01T11:30:00Z",
            "released": false
        })
    );
    let back: Hold = serde_json::from_value(json).unwrap();
    assert_eq!(back, h);
    assert_eq!(back.created_at(), Some(ts("2026-03-01T11:30:00Z")));
    let minimal: Hold = serde_json::from_str(
        r#"{"env":"prod","reason":"freeze","created_at":"2026-03-01T00:00:00Z"}"#,
    )
    .unwrap();
    assert!(minimal.images.is_empty() && !minimal.released);
}

#[test]
fn all_refusals_are_reported_together() {
    let mut w = World::new();
    w.target.upstream = Some("dev".into());
    w.verification = None;
    w.registry.clear();
    w.now = ts("2026-03-01T10:10:00Z");
    w.holds.push(hold("prod", &[], false));
    let refused = check_promotion(&w.facts()).unwrap_err();
    let rules: Vec<Rule> = refused.refusals.iter().map(|r| r.rule).collect();
    assert_eq!(
        rules,
        [
            Rule::Upstream,
            Rule::Verified,
            Rule::Registry,
            Rule::Soak,
            Rule::Hold
        ]
    );
    let message = refused.to_string();
    assert!(
        message
            .starts_with("promotion staging → prod refused: upstream: the upstream of prod is dev"),
        "{message}"
    );
    let json = serde_json::to_value(&refused).unwrap();
    assert_eq!(json["refusals"][0]["rule"], "upstream");
    assert_eq!(json["refusals"][4]["rule"], "hold");
}

#[test]
fn source_state_from_a_real_ledger() {
    let (repo, _) = TestRepo::blueprint();
    let c0_time = repo.now();
    repo.bump("staging", BACKEND, "1.4.0");
    repo.commit_all("staging: backend 1.4.0", "Ada <ada@example.com>");
    let c1_time = repo.now();
    repo.write("README.md", "# deploy\n");
    repo.commit_all("docs", "Ada <ada@example.com>");
    repo.bump("staging", FRONTEND, "1.4.0");
    repo.commit_all("staging: frontend 1.4.0", "Ada <ada@example.com>");
    let c3_time = repo.now();
    assert!(c0_time > T0 && c1_time > c0_time && c3_time > c1_time);

    let git = Repo::open(repo.path()).unwrap();
    let envs = [EnvironmentSpec {
        name: "staging".into(),
        overlay: "infra/k8s/overlays/staging".into(),
    }];
    let ledger = build_ledger(&git, repo.head(), &envs).unwrap();
    let state = SourceState::from_ledger(ledger.environment("staging").unwrap()).unwrap();
    let at = |secs: i64| jiff::Timestamp::from_second(secs).unwrap();
    for (container, image) in &state.images {
        let expected = if image.starts_with(&format!("{BACKEND}:1.4.0")) {
            at(c1_time)
        } else if image.starts_with(&format!("{FRONTEND}:1.4.0")) {
            at(c3_time)
        } else {
            at(c0_time)
        };
        assert_eq!(
            state.since.get(container),
            Some(&expected),
            "{container} {image}"
        );
    }
    assert!(
        state
            .images
            .values()
            .any(|i| i == &format!("{BACKEND}:1.4.0"))
    );

    // Truncated to the newest deployment: only the frontend's entry time is known.
    let ledger = build_ledger_with(&git, repo.head(), &envs, &LedgerOptions::newest(1)).unwrap();
    let state = SourceState::from_ledger(ledger.environment("staging").unwrap()).unwrap();
    let known: Vec<&String> = state.since.keys().collect();
    let frontend: Vec<&String> = state
        .images
        .iter()
        .filter(|(_, i)| i.starts_with(FRONTEND))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(known, frontend);

    let target = TargetState::from_ledger(ledger.environment("staging").unwrap(), Some("dev"));
    assert_eq!(target.images, state.images);
    assert_eq!(target.upstream.as_deref(), Some("dev"));
}

proptest! {
    /// The verified rule allows exactly when the verified set equals the running set.
    #[test]
    fn verified_iff_sets_equal(
        runs in proptest::collection::btree_map("[a-c]/[a-c]", "img:[0-2]\\.[0-2]", 1..4),
        verified in proptest::collection::btree_map("[a-c]/[a-c]", "img:[0-2]\\.[0-2]", 1..4),
    ) {
        let source = SourceState {
            env: "staging".into(),
            commit: "c".into(),
            images: runs.clone(),
            since: BTreeMap::new(),
        };
        let v = VerifiedSet {
            commit: "c".into(),
            record: VerificationRecord::new("staging", ts("2026-01-01T00:00:00Z"), verified.clone(), serde_json::Value::Null),
            matches_ledger: true,
        };
        prop_assert_eq!(verified_rule(&source, Some(&v)).is_none(), runs == verified);
    }

    /// The soak rule allows exactly when the image has run for at least the soak time.
    #[test]
    fn soak_iff_enough_time(ran in 0i64..20_000, soak in 0u64..20_000) {
        let since = ts("2026-03-01T10:00:00Z");
        let now = since.checked_add(jiff::SignedDuration::from_secs(ran)).unwrap();
        let source = SourceState {
            env: "staging".into(),
            commit: "c".into(),
            images: images(&[("a/a", "img:1")]),
            since: [("a/a".to_string(), since)].into(),
        };
        let verdict = soak_rule(&source, Duration::from_secs(soak), now);
        prop_assert_eq!(verdict.is_none(), ran as u64 >= soak, "{:?}", verdict);
    }
}
