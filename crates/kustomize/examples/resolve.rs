//! What an environment runs: resolving an overlay (bases, components, `images:` transforms)
//! to every workload's final images, without the kustomize binary.
//!
//! Run with `cargo run -p ferry-kustomize --example resolve`.

use std::fs;
use std::path::Path;

use ferry_kustomize::resolve_overlay;

/// Writes the files of a small GitOps tree: a base and a prod overlay that pins the image.
fn write_tree(root: &Path) -> std::io::Result<()> {
    let files = [
        (
            "base/kustomization.yaml",
            "resources:\n  - deployment.yaml\n",
        ),
        (
            "base/deployment.yaml",
            "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: registry.example.com/acme/backend:latest
      containers:
        - name: backend
          image: registry.example.com/acme/backend:latest
        - name: proxy
          image: envoyproxy/envoy:v1.31.0
",
        ),
        (
            "overlays/prod/kustomization.yaml",
            "\
namespace: shop
namePrefix: prod-
resources:
  - ../../base
images:
  - name: registry.example.com/acme/backend
    newTag: 1.4.0
",
        ),
    ];
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().expect("a file has a directory"))?;
        fs::write(path, text)?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    write_tree(dir.path())?;

    // The root bounds what resolution may read: nothing outside it, no network.
    let resolution = resolve_overlay(dir.path(), &dir.path().join("overlays/prod"))?;
    for workload in &resolution.workloads {
        let namespace = workload.namespace.as_deref().unwrap_or("-");
        for container in &workload.containers {
            println!(
                "{namespace}/{} {} {}: {}",
                workload.name,
                if container.init { "init" } else { "container" },
                container.name,
                container.image
            );
        }
    }

    let backend = &resolution.workloads[0];
    assert_eq!(backend.name, "prod-backend");
    assert_eq!(backend.namespace.as_deref(), Some("shop"));
    let images: Vec<&str> = backend
        .containers
        .iter()
        .map(|c| c.image.as_str())
        .collect();
    assert_eq!(
        images,
        [
            "registry.example.com/acme/backend:1.4.0",
            "registry.example.com/acme/backend:1.4.0",
            "envoyproxy/envoy:v1.31.0",
        ]
    );
    for finding in &resolution.findings {
        println!("finding: {finding}");
    }
    Ok(())
}
