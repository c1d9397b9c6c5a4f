//! The generated `ferry.toml` loads with `ferry-config`; every overlay resolves with Ferry's
//! resolver (`ferry validate`'s) without findings and renders with `kubectl kustomize`; Trivy's
//! configuration checks find nothing HIGH or CRITICAL in the files or in the rendered overlays.

use std::path::Path;
use std::process::Command;

use ferry_config::Config;
use ferry_kustomize::documents::parse_documents;
use ferry_test_support::require_tool;
use serde_json::Value;

use crate::cases;

#[test]
fn ferry_toml_loads_with_the_environments_in_order() {
    for (name, options) in cases::all() {
        let dir = tempfile::tempdir().unwrap();
        cases::write(dir.path(), &options);
        let config =
            Config::load(dir.path().join("ferry.toml")).unwrap_or_else(|e| panic!("{name}: {e}"));
        let envs: Vec<&str> = config
            .environments()
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(envs, options.environments, "{name}");
        for (i, env) in config.environments().iter().enumerate() {
            assert_eq!(env.auto_merge, i == 0, "{name}: {}", env.name);
            assert_eq!(
                env.upstream.as_deref(),
                options.upstream(&env.name),
                "{name}"
            );
            assert_eq!(
                env.argocd_app.as_deref(),
                Some(format!("{}-{}", options.app, env.name).as_str())
            );
        }
    }
}

#[test]
fn every_overlay_resolves_without_findings_and_runs_each_image() {
    for (name, options) in cases::all() {
        let dir = tempfile::tempdir().unwrap();
        cases::write(dir.path(), &options);
        for env in &options.environments {
            let overlay = dir.path().join(options.overlay(env));
            let resolution = ferry_kustomize::validate_overlay(dir.path(), &overlay)
                .unwrap_or_else(|e| panic!("{name} {env}: {e}"));
            assert!(
                resolution.findings.is_empty(),
                "{name} {env}: {:?}",
                resolution.findings
            );
            let kind = if options.is_blue_green(env) {
                "Rollout"
            } else {
                "Deployment"
            };
            let workloads: Vec<(String, String, String)> = resolution
                .workloads
                .iter()
                .map(|w| {
                    (
                        w.kind.clone(),
                        w.name.clone(),
                        w.containers[0].image.clone(),
                    )
                })
                .collect();
            let expected: Vec<(String, String, String)> = options
                .images
                .iter()
                .map(|i| {
                    (
                        kind.to_owned(),
                        i.name.clone(),
                        format!("{}:0.1.0", i.repository.name()),
                    )
                })
                .collect();
            assert_eq!(workloads, expected, "{name} {env}");
        }
    }
}

/// `kubectl kustomize DIR`, parsed.
fn kustomize(kubectl: &Path, dir: &Path) -> Vec<Value> {
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    parse_documents(&text, &dir.display().to_string()).expect("kubectl prints YAML")
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {objects:?}"))
}

#[test]
fn kubectl_kustomize_renders_what_each_environment_needs() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    for (name, options) in cases::all() {
        let dir = tempfile::tempdir().unwrap();
        cases::write(dir.path(), &options);
        for env in &options.environments {
            let objects = kustomize(&kubectl, &dir.path().join(options.overlay(env)));
            for image in &options.images {
                let service = find(&objects, "Service", &image.name);
                assert_eq!(service["metadata"]["namespace"], options.namespace(env));
                if options.is_blue_green(env) {
                    let rollout = find(&objects, "Rollout", &image.name);
                    let strategy = &rollout["spec"]["strategy"]["blueGreen"];
                    assert_eq!(strategy["autoPromotionEnabled"], false, "{name} {env}");
                    assert_eq!(strategy["activeService"], image.name.as_str());
                    let preview = format!("{}-preview", image.name);
                    assert_eq!(strategy["previewService"], preview.as_str());
                    find(&objects, "Service", &preview);
                    assert!(
                        !objects.iter().any(|o| o["kind"] == "Deployment"),
                        "{name} {env}: a Deployment beside the Rollouts"
                    );
                } else {
                    let deployment = find(&objects, "Deployment", &image.name);
                    let pod = &deployment["spec"]["template"]["spec"];
                    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
                    let container = &pod["containers"][0];
                    assert_eq!(
                        container["image"],
                        format!("{}:0.1.0", image.repository.name()).as_str()
                    );
                    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
                    assert!(container["readinessProbe"].is_object());
                    assert!(container["resources"]["limits"].is_object());
                }
            }
        }
        let argocd = kustomize(&kubectl, &dir.path().join("infra/argocd"));
        find(&argocd, "AppProject", &options.app);
        for env in &options.environments {
            let app = find(&argocd, "Application", &format!("{}-{env}", options.app));
            let spec = &app["spec"];
            assert_eq!(spec["source"]["path"], options.overlay(env).as_str());
            assert_eq!(
                spec["source"]["targetRevision"],
                options.base_branch.as_str()
            );
            assert_eq!(spec["source"]["repoURL"], options.repo_url().as_str());
            assert_eq!(spec["syncPolicy"]["automated"]["prune"], true);
            assert_eq!(
                spec["syncPolicy"]["automated"]["selfHeal"],
                env != options.last(),
                "{name} {env}: self-heal off only in the last environment"
            );
        }
    }
}

/// `trivy config` on `dir` (HIGH and CRITICAL only): whether it found nothing, and its output.
fn trivy_config_output(trivy: &Path, dir: &Path, cache: &Path) -> (bool, String) {
    let out = Command::new(trivy)
        .args([
            "config",
            "--quiet",
            "--skip-check-update",
            "--exit-code",
            "1",
        ])
        .args(["--severity", "HIGH,CRITICAL", "--cache-dir"])
        .arg(cache)
        .arg(dir)
        .output()
        .expect("run trivy");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn trivy_config(trivy: &Path, dir: &Path, cache: &Path) {
    let (clean, output) = trivy_config_output(trivy, dir, cache);
    assert!(
        clean,
        "trivy config {} found HIGH or CRITICAL misconfigurations:\n{output}",
        dir.display()
    );
}

#[test]
fn trivy_finds_nothing_high_or_critical() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    let Some(trivy) = require_tool("trivy") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    // The check can fail: a privileged container is HIGH.
    let bad = tempfile::tempdir().unwrap();
    std::fs::write(
        bad.path().join("bad.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n    - name: bad\n      image: ghcr.io/acme/bad:1.0\n      securityContext:\n        privileged: true\n",
    )
    .unwrap();
    let (clean, output) = trivy_config_output(&trivy, bad.path(), cache.path());
    assert!(!clean, "trivy found nothing in a privileged pod:\n{output}");
    for (_, options) in [
        ("default", cases::default()),
        ("plain_git", cases::plain_git()),
    ] {
        let dir = tempfile::tempdir().unwrap();
        cases::write(dir.path(), &options);
        trivy_config(&trivy, &dir.path().join("infra"), cache.path());
        let rendered = tempfile::tempdir().unwrap();
        for env in &options.environments {
            let out = Command::new(&kubectl)
                .arg("kustomize")
                .arg(dir.path().join(options.overlay(env)))
                .output()
                .expect("run kubectl");
            assert!(out.status.success());
            std::fs::write(rendered.path().join(format!("{env}.yaml")), out.stdout).unwrap();
        }
        trivy_config(&trivy, rendered.path(), cache.path());
    }
}
