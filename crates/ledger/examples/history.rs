//! What an environment ran, read from Git: a repository made here with two image bumps of an
//! overlay, its ledger, and a verification recorded on what runs now. `ferry-ledger dev` and
//! `ferry-ledger mark-verified dev` do the same on a GitOps repository.
//!
//! Run with `cargo run -p ferry-ledger --example history`.

use ferry_git::{CommitRequest, FileChange, ObjectId, Repo, Signature};
use ferry_ledger::{EnvironmentSpec, build_ledger, verify_deployment};

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
spec:
  template:
    spec:
      containers:
        - name: backend
          image: registry.example.com/acme/backend
";

fn overlay(tag: &str) -> String {
    format!(
        "resources:\n  - ../../base\nimages:\n  - name: registry.example.com/acme/backend\n    \
         newTag: {tag}\n"
    )
}

/// Commits `files` on `parent` and moves `main` to the new commit (compare-and-swap).
fn commit(
    repo: &Repo,
    parent: Option<ObjectId>,
    files: &[(&str, String)],
    message: &str,
    at: i64,
) -> Result<ObjectId, Box<dyn std::error::Error>> {
    let who = Signature::new(
        "Example",
        "example@example.invalid",
        jiff::Timestamp::new(at, 0)?,
    );
    let id = repo.build_commit(&CommitRequest {
        parent,
        changes: files
            .iter()
            .map(|(path, text)| FileChange {
                path: (*path).to_owned(),
                content: Some(text.clone().into_bytes()),
            })
            .collect(),
        message: format!("{message}\n"),
        author: who.clone(),
        committer: who.clone(),
    })?;
    repo.update_ref("refs/heads/main", id, parent, &who, message)?;
    Ok(id)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    gix::init_bare(dir.path())?;
    let repo = Repo::open(dir.path())?;

    let first = commit(
        &repo,
        None,
        &[
            (
                "base/kustomization.yaml",
                "resources:\n  - deployment.yaml\n".into(),
            ),
            ("base/deployment.yaml", DEPLOYMENT.into()),
            ("overlays/dev/kustomization.yaml", overlay("1.4.0")),
        ],
        "dev: backend 1.4.0",
        1_780_000_000,
    )?;
    let docs = commit(
        &repo,
        Some(first),
        &[("README.md", "# GitOps\n".into())],
        "docs",
        1_780_000_100,
    )?;
    let bump = commit(
        &repo,
        Some(docs),
        &[("overlays/dev/kustomization.yaml", overlay("1.5.0"))],
        "dev: backend 1.5.0",
        1_780_000_200,
    )?;

    // The ledger: two deployments (the README commit changed nothing dev renders).
    let envs = [EnvironmentSpec {
        name: "dev".into(),
        overlay: "overlays/dev".into(),
    }];
    let ledger = build_ledger(&repo, bump, &envs)?;
    let dev = ledger.environment("dev")?;
    assert_eq!(dev.deployments.len(), 2);
    let now = dev.current().expect("dev has a deployment");
    assert_eq!(
        now.images["backend/backend"],
        "registry.example.com/acme/backend:1.5.0"
    );
    for change in &now.changes {
        println!("{} {}: {change}", &now.commit[..12], now.summary);
    }
    // What ran at the README commit: the first deployment.
    let then = ledger.deployed_at("dev", docs)?.expect("deployed by then");
    assert_eq!(then.id(), first);

    // Verify what dev runs now; the record is a git note on the deployment's commit.
    let who = Signature::new(
        "Example",
        "example@example.invalid",
        jiff::Timestamp::new(1_780_000_300, 0)?,
    );
    let (at, record) = verify_deployment(
        &repo,
        &ledger,
        "dev",
        None,
        serde_json::json!({"by": "example"}),
        &who,
    )?;
    assert_eq!(at, bump);
    let verified = ledger
        .last_verified_before(&repo, "dev", bump)?
        .expect("the record just written");
    assert!(verified.matches_ledger);
    assert_eq!(verified.record, record);
    println!(
        "verified dev at {}: {:?}",
        &verified.commit[..12],
        record.images
    );
    Ok(())
}
