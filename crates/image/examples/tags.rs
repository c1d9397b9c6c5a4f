//! Computing image tags and labels the way docker/metadata-action does, from values the caller
//! passes in (no environment variables, no GitHub API), and parsing a reference strictly.
//!
//! Run with `cargo run -p ferry-image --example tags`.

use ferry_image::meta::{Context, Inputs, Meta, Options, RepoInfo};
use ferry_image::reference::Reference;
use jiff::Timestamp;
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lines = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let inputs = Inputs {
        images: lines(&["ghcr.io/acme/backend"]),
        tags: lines(&[
            "type=semver,pattern={{version}}",
            "type=semver,pattern={{major}}.{{minor}}",
            "type=sha",
        ]),
        ..Inputs::default()
    };
    // A tag push, as a workflow run would see it.
    let commit_date: Timestamp = "2026-11-20T09:30:00Z".parse()?;
    let context = Context {
        event_name: "push".into(),
        sha: "860c1904a1ce19322e91ac35af1ab07466440c37".into(),
        git_ref: "refs/tags/v1.5.0".into(),
        payload: json!({}),
        commit_date,
    };
    let repo = RepoInfo {
        name: "backend".into(),
        description: "The shop's backend".into(),
        html_url: "https://github.com/acme/backend".into(),
        default_branch: "main".into(),
        license: Some("Apache-2.0".into()),
    };
    let meta = Meta::compute(&inputs, &context, &repo, Options::at(commit_date))?;
    for tag in &meta.tags {
        println!("tag    {tag}");
    }
    for label in &meta.labels {
        println!("label  {label}");
    }
    assert_eq!(
        meta.tags,
        [
            "ghcr.io/acme/backend:1.5.0",
            "ghcr.io/acme/backend:1.5",
            "ghcr.io/acme/backend:sha-860c190",
            // A semver tag of the highest version gets `latest` too (`flavor: latest=auto`).
            "ghcr.io/acme/backend:latest",
        ]
    );
    assert_eq!(meta.version.main.as_deref(), Some("1.5.0"));
    assert!(
        meta.labels
            .contains(&"org.opencontainers.image.version=1.5.0".to_string())
    );

    // The strict reference grammar, with Docker Hub's normalisation.
    let reference = Reference::parse_normalized("postgres:16")?;
    println!("postgres:16 is {reference}");
    assert_eq!(reference.to_string(), "docker.io/library/postgres:16");
    assert!(Reference::parse("ghcr.io/acme/Backend:1.0").is_err());
    Ok(())
}
