//! Opening a change through a forge: the plain-git forge against a bare repository made here
//! with the git CLI. `ferry-pr open --forge git --env dev --image backend=1.5.0` does the same.
//!
//! Run with `cargo run -p ferry-gitops --example open_change` (needs `git` on `PATH`).

use std::fs;
use std::path::Path;
use std::process::Command;

use ferry_config::Config;
use ferry_gitops::flow::{Proposal, open_deploy};
use ferry_gitops::forge::git::{GitForge, GitForgeOptions};
use ferry_gitops::image_ref::resolve_image_ref;
use ferry_gitops::{Repo, Signature};

const FERRY_TOML: &str = r#"
[images]
backend = "registry.example.com/acme/backend"

[forge]
kind = "git"
base-branch = "main"
branch-prefix = "deploy/"

[[environment]]
name = "dev"
overlay = "overlays/dev"
auto-merge = true
"#;

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

const OVERLAY: &str = "\
resources:
  - ../../base
images:
  - name: registry.example.com/acme/backend
    newTag: 1.4.0 # set by Ferry
";

/// Runs git in `dir` with a fixed identity, failing on an error.
fn git(dir: &Path, args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Example",
            "-c",
            "user.email=example@example.invalid",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()?;
    if !out.status.success() {
        return Err(format!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The GitOps origin (a bare repository) and a clone holding ferry.toml and one overlay.
    let dir = tempfile::tempdir()?;
    let origin = dir.path().join("origin.git");
    let clone = dir.path().join("deploy");
    fs::create_dir_all(&origin)?;
    git(&origin, &["init", "--bare", "--quiet"])?;
    git(dir.path(), &["clone", "--quiet", "origin.git", "deploy"])?;
    for (path, text) in [
        ("ferry.toml", FERRY_TOML),
        (
            "base/kustomization.yaml",
            "resources:\n  - deployment.yaml\n",
        ),
        ("base/deployment.yaml", DEPLOYMENT),
        ("overlays/dev/kustomization.yaml", OVERLAY),
    ] {
        let path = clone.join(path);
        fs::create_dir_all(path.parent().expect("a file has a directory"))?;
        fs::write(path, text)?;
    }
    git(&clone, &["add", "--all"])?;
    git(
        &clone,
        &["commit", "--quiet", "--message", "dev runs backend 1.4.0"],
    )?;
    git(&clone, &["push", "--quiet", "origin", "main"])?;

    // The forge: pushes from the clone to its `origin`, every ref moved with a lease.
    let config = Config::load(clone.join("ferry.toml"))?;
    let signature = Signature::new("Ferry", "ferry@example.invalid", jiff::Timestamp::now());
    let forge = GitForge::new(
        Repo::open(&clone)?,
        GitForgeOptions {
            remote: "origin".into(),
            base_branch: config.forge.base_branch.clone(),
            branch_prefix: config.forge.branch_prefix.clone(),
            signature,
        },
    );

    // `backend=1.5.0`, as a person types it: the logical name of ferry.toml and a tag.
    let image = resolve_image_ref(&config, "backend", "1.5.0", false)?;
    let proposal = Proposal::default(); // dev's `auto-merge = true`: merged at once
    let done = open_deploy(&forge, &config, "dev", vec![image], &proposal, 3, &clone).await?;
    let opened = done.opened.ok_or("nothing was opened")?;
    println!(
        "change {} on {}: merged {}",
        opened.id, opened.branch, opened.merged
    );
    for change in &done.last.changes {
        println!("  {change:?}");
    }
    assert!(opened.merged);

    // The origin's main branch now sets 1.5.0, with the comment kept.
    let overlay = git(&origin, &["show", "main:overlays/dev/kustomization.yaml"])?;
    print!("{overlay}");
    assert!(
        overlay.contains("newTag: 1.5.0 # set by Ferry"),
        "{overlay}"
    );
    Ok(())
}
