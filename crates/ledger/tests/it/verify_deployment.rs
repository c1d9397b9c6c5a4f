//! Verifying what an environment ran (`verify_deployment`) and loading the ledger a
//! `ferry.toml` describes (`load_ledger`), on real repositories holding the blueprint.

use crate::common::{BACKEND, T0, TestRepo};
use ferry_config::Config;
use ferry_git::{ObjectId, Repo, Signature};
use ferry_ledger::{
    EnvironmentSpec, LedgerError, LoadError, LoadRequest, VerifyError, build_ledger,
    deployment_to_verify, load_ledger, read_verifications, verify_deployment,
};

fn envs() -> Vec<EnvironmentSpec> {
    ["dev", "staging", "prod"]
        .iter()
        .map(|e| EnvironmentSpec {
            name: e.to_string(),
            overlay: format!("infra/k8s/overlays/{e}"),
        })
        .collect()
}

fn verifier(seconds: i64) -> Signature {
    Signature::new(
        "ferry-monitor",
        "monitor@example.com",
        jiff::Timestamp::from_second(seconds).unwrap(),
    )
}

/// c0 blueprint; c1 dev backend 1.4.0; c2 README only.
fn history() -> (TestRepo, Vec<ObjectId>) {
    let (repo, c0) = TestRepo::blueprint();
    repo.bump("dev", BACKEND, "1.4.0");
    let c1 = repo.commit_all("dev: backend 1.4.0", "Ada <ada@example.com>");
    repo.write("README.md", "# acme shop deploy\n");
    let c2 = repo.commit_all("docs: readme", "Bob <bob@example.com>");
    (repo, vec![c0, c1, c2])
}

#[test]
fn without_a_commit_the_current_deployment_is_verified_on_its_own_commit() {
    let (repo, c) = history();
    let git = Repo::open(repo.path()).unwrap();
    let ledger = build_ledger(&git, c[2], &envs()).unwrap();
    let evidence = serde_json::json!({"verdict": "healthy", "checks": 2});
    let (target, record) = verify_deployment(
        &git,
        &ledger,
        "dev",
        None,
        evidence.clone(),
        &verifier(T0 + 900),
    )
    .unwrap();
    assert_eq!(target, c[1], "dev's current deployment is c1");
    assert_eq!(record.env, "dev");
    assert_eq!(record.evidence, evidence);
    assert_eq!(record.verified_at, "2026-01-01T00:15:00Z");
    assert_eq!(record.images["backend/backend"], format!("{BACKEND}:1.4.0"));
    assert_eq!(
        &record.images,
        &ledger.environment("dev").unwrap().current().unwrap().images
    );

    let stored = read_verifications(&git, c[1]).unwrap();
    assert_eq!(stored.records, std::slice::from_ref(&record));
    assert!(stored.skipped.is_empty());
    let author = repo.git(&["log", "-1", "--format=%an <%ae> %at", "refs/notes/ferry"]);
    assert_eq!(
        author.trim(),
        format!("ferry-monitor <monitor@example.com> {}", T0 + 900)
    );

    // staging runs the blueprint: its record goes on c0, next to nothing else.
    let (target, record) = verify_deployment(
        &git,
        &ledger,
        "staging",
        None,
        serde_json::Value::Null,
        &verifier(T0 + 960),
    )
    .unwrap();
    assert_eq!(target, c[0]);
    assert_eq!(record.images["backend/backend"], format!("{BACKEND}:1.3.2"));
}

#[test]
fn with_a_commit_the_record_holds_what_ran_there_and_goes_on_that_commit() {
    let (repo, c) = history();
    let git = Repo::open(repo.path()).unwrap();
    let ledger = build_ledger(&git, c[2], &envs()).unwrap();
    let (target, record) = verify_deployment(
        &git,
        &ledger,
        "dev",
        Some(c[2]),
        serde_json::json!("by hand"),
        &verifier(T0 + 900),
    )
    .unwrap();
    assert_eq!(target, c[2]);
    assert_eq!(record.images["backend/backend"], format!("{BACKEND}:1.4.0"));
    let note = repo.git(&["notes", "--ref=ferry", "show", &c[2].to_string()]);
    let v: serde_json::Value = serde_json::from_str(note.trim()).unwrap();
    assert_eq!(v["env"], "dev");
    assert_eq!(v["evidence"], "by hand");
    let last = ledger
        .last_verified_before(&git, "dev", c[2])
        .unwrap()
        .unwrap();
    assert!(last.matches_ledger);

    // At c0, dev ran the blueprint's 1.3.3.
    let (target, record) = verify_deployment(
        &git,
        &ledger,
        "dev",
        Some(c[0]),
        serde_json::Value::Null,
        &verifier(T0 + 960),
    )
    .unwrap();
    assert_eq!(target, c[0]);
    assert_eq!(record.images["backend/backend"], format!("{BACKEND}:1.3.3"));
}

#[test]
fn refuses_without_a_deployment() {
    let repo = TestRepo::new();
    repo.write("README.md", "empty\n");
    let first = repo.commit_all("start", "Ada <ada@example.com>");
    crate::common::copy_dir(
        &ferry_test_support::fixtures_dir().join("blueprint"),
        repo.path(),
    );
    let added = repo.commit_all("add blueprint", "Ada <ada@example.com>");
    let git = Repo::open(repo.path()).unwrap();
    let mut specs = envs();
    specs.push(EnvironmentSpec {
        name: "qa".into(),
        overlay: "infra/k8s/overlays/qa".into(),
    });
    let ledger = build_ledger(&git, added, &specs).unwrap();

    let err = verify_deployment(
        &git,
        &ledger,
        "dev",
        Some(first),
        serde_json::Value::Null,
        &verifier(T0),
    )
    .unwrap_err();
    assert!(
        matches!(&err, VerifyError::NoDeployment { env, at } if env == "dev" && *at == Some(first)),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("dev had no deployment at or before {first}")
    );
    let checked = deployment_to_verify(&ledger, "dev", Some(first)).unwrap_err();
    assert!(
        matches!(checked, VerifyError::NoDeployment { .. }),
        "{checked:?}"
    );
    assert_eq!(
        deployment_to_verify(&ledger, "dev", None).unwrap().id(),
        added
    );

    let err = verify_deployment(
        &git,
        &ledger,
        "qa",
        None,
        serde_json::Value::Null,
        &verifier(T0),
    )
    .unwrap_err();
    assert!(
        matches!(&err, VerifyError::NoDeployment { at: None, .. }),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "qa has no deployment on the base branch");
    assert!(git.ref_id("refs/notes/ferry").unwrap().is_none());
}

#[test]
fn refuses_a_deployment_that_does_not_render_and_writes_nothing() {
    let (repo, _c0) = TestRepo::blueprint();
    let rel = "infra/k8s/overlays/dev/kustomization.yaml";
    repo.write(
        rel,
        &repo.read(rel).replace("../../base", "../../missing-base"),
    );
    let broken = repo.commit_all("dev: typo", "Ada <ada@example.com>");
    let git = Repo::open(repo.path()).unwrap();
    let ledger = build_ledger(&git, broken, &envs()).unwrap();
    for commit in [None, Some(broken)] {
        let err = verify_deployment(
            &git,
            &ledger,
            "dev",
            commit,
            serde_json::Value::Null,
            &verifier(T0),
        )
        .unwrap_err();
        let VerifyError::DoesNotRender {
            env,
            commit: at,
            reason,
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(env, "dev");
        assert_eq!(*at, broken.to_string());
        assert!(reason.contains("missing-base"), "{reason}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("dev at {} does not render (", &at[..12])),
            "{message}"
        );
        assert!(
            message.ends_with("fix the overlay before verifying"),
            "{message}"
        );
        assert!(matches!(
            deployment_to_verify(&ledger, "dev", commit),
            Err(VerifyError::DoesNotRender { .. })
        ));
    }
    assert!(git.ref_id("refs/notes/ferry").unwrap().is_none());
    assert!(read_verifications(&git, broken).unwrap().records.is_empty());
}

#[test]
fn ledger_errors_pass_through() {
    let (repo, c) = history();
    repo.git(&["checkout", "-q", "-b", "side", &c[0].to_string()]);
    repo.write("README.md", "side\n");
    let side = repo.commit_all("side", "Ada <ada@example.com>");
    let git = Repo::open(repo.path()).unwrap();
    let ledger = build_ledger(&git, c[2], &envs()).unwrap();
    let err = verify_deployment(
        &git,
        &ledger,
        "qa",
        None,
        serde_json::Value::Null,
        &verifier(T0),
    )
    .unwrap_err();
    assert!(
        matches!(&err, VerifyError::Ledger(e) if matches!(**e, LedgerError::UnknownEnvironment(_))),
        "{err:?}"
    );
    let err = verify_deployment(
        &git,
        &ledger,
        "dev",
        Some(side),
        serde_json::Value::Null,
        &verifier(T0),
    )
    .unwrap_err();
    assert!(
        matches!(&err, VerifyError::Ledger(e) if matches!(**e, LedgerError::NotOnBase(id) if id == side)),
        "{err:?}"
    );
}

/// The blueprint in `<repo>/gitops`, so that ferry.toml is below the repository top.
fn nested() -> (TestRepo, ObjectId) {
    let repo = TestRepo::new();
    crate::common::copy_dir(
        &ferry_test_support::fixtures_dir().join("blueprint"),
        &repo.path().join("gitops"),
    );
    let c0 = repo.commit_all("blueprint", "Ada <ada@example.com>");
    (repo, c0)
}

#[test]
fn load_ledger_places_overlays_relative_to_the_config_file() {
    let (repo, c0) = nested();
    let config = Config::load(repo.path().join("gitops/ferry.toml")).unwrap();
    let loaded = load_ledger(&config, &LoadRequest::default()).unwrap();
    assert_eq!(loaded.ledger.base, c0.to_string());
    let overlays: Vec<_> = loaded
        .ledger
        .environments
        .iter()
        .map(|e| (e.name.as_str(), e.overlay.as_str()))
        .collect();
    assert_eq!(
        overlays,
        [
            ("dev", "gitops/infra/k8s/overlays/dev"),
            ("staging", "gitops/infra/k8s/overlays/staging"),
            ("prod", "gitops/infra/k8s/overlays/prod"),
        ]
    );
    let dev = loaded.ledger.environment("dev").unwrap();
    assert_eq!(dev.current().unwrap().id(), c0);

    let only = LoadRequest {
        only: Some("staging".into()),
        ..LoadRequest::default()
    };
    let loaded = load_ledger(&config, &only).unwrap();
    assert_eq!(loaded.ledger.environments.len(), 1);
    assert_eq!(loaded.ledger.environments[0].name, "staging");
}

#[test]
fn load_ledger_with_a_repository_outside_the_config_directory() {
    let (repo, c0) = TestRepo::blueprint();
    // The config file alone, elsewhere (e.g. in the application repository).
    let elsewhere = tempfile::tempdir().unwrap();
    let path = elsewhere.path().join("ferry.toml");
    std::fs::copy(repo.path().join("ferry.toml"), &path).unwrap();
    let config = Config::load(&path).unwrap();
    let request = LoadRequest {
        repo: Some(repo.path().join("infra")),
        only: Some("dev".into()),
        ..LoadRequest::default()
    };
    let loaded = load_ledger(&config, &request).unwrap();
    let dev = loaded.ledger.environment("dev").unwrap();
    assert_eq!(dev.overlay, "infra/k8s/overlays/dev");
    assert_eq!(dev.current().unwrap().id(), c0);
    assert_eq!(
        loaded.repo.workdir().unwrap().canonicalize().unwrap(),
        repo.path().canonicalize().unwrap()
    );

    // Without --repo, the config directory is not in a repository.
    let err = load_ledger(&config, &LoadRequest::default()).unwrap_err();
    assert!(matches!(err, LoadError::Git(_)), "{err:?}");
}

#[test]
fn load_ledger_names_unknown_environments_and_bases() {
    let (repo, _c0) = nested();
    let config = Config::load(repo.path().join("gitops/ferry.toml")).unwrap();
    let err = load_ledger(
        &config,
        &LoadRequest {
            only: Some("qa".into()),
            ..LoadRequest::default()
        },
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("no environment `qa` in "), "{message}");
    assert!(message.ends_with("known: dev, staging, prod"), "{message}");

    let err = load_ledger(
        &config,
        &LoadRequest {
            base: Some("nope".into()),
            ..LoadRequest::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "cannot find the base branch `nope`");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("nope"), "{source}");
}

#[test]
fn load_ledger_resolves_with_the_configured_load_restrictor() {
    let repo = TestRepo::new();
    std::fs::create_dir_all(repo.file("shared")).unwrap();
    std::fs::create_dir_all(repo.file("dev")).unwrap();
    repo.write(
        "shared/web.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    \
             spec:\n      containers:\n        - name: web\n          image: {BACKEND}:1.0.0\n"
        ),
    );
    repo.write(
        "dev/kustomization.yaml",
        "resources:\n- ../shared/web.yaml\n",
    );
    let env = "[[environment]]\nname = \"dev\"\noverlay = \"dev\"\n";
    repo.write("ferry.toml", env);
    repo.commit_all("a file outside the overlay", "Ada <ada@example.com>");
    let current = |config: &Config| {
        let loaded = load_ledger(config, &LoadRequest::default()).unwrap();
        loaded.ledger.environment("dev").unwrap().current().cloned()
    };
    // kustomize's default (and Argo CD's) refuses the file: the deployment does not resolve.
    let config = Config::load(repo.path().join("ferry.toml")).unwrap();
    let refused = current(&config).expect("a deployment");
    let error = refused.error.expect("a resolution error");
    assert!(error.contains("LoadRestrictionsRootOnly"), "{error}");
    // `load-restrictor = "none"`, as Argo CD's `--load-restrictor LoadRestrictionsNone`.
    repo.write(
        "ferry.toml",
        &format!("[kustomize]\nload-restrictor = \"none\"\n{env}"),
    );
    let config = Config::load(repo.path().join("ferry.toml")).unwrap();
    let resolved = current(&config).expect("a deployment");
    assert!(resolved.error.is_none(), "{:?}", resolved.error);
    assert_eq!(resolved.images["web/web"], format!("{BACKEND}:1.0.0"));
}
