//! `ferry_kustomize::render` prints what `kubectl kustomize` (kustomize v5.5) prints, byte for
//! byte, for every kustomization under `fixtures/` (the blueprint, `fixtures/kustomize`, …).
//! The real-world conformance data is compared in `realworld_kubectl` (kubectl runs once per
//! overlay there); overlays using a field Ferry does not render are refused by name, and the
//! refusals are listed here ([`REFUSED`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ferry_kustomize::ResolveOptions;
use ferry_kustomize::render::{RenderError, render_overlay};
use ferry_test_support::{fixtures_dir, require_tool};

use crate::kubectl;

/// Real-world overlays Ferry refuses to render, with the field named in the refusal. Keep in
/// step with `docs/ferry-render.md`.
pub const REFUSED: &[(&str, &str)] = &[
    (
        "kubernetes-sigs__cluster-api/bootstrap/kubeadm/config/certmanager",
        "configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/bootstrap/kubeadm/config/crd",
        "configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/bootstrap/kubeadm/config/default",
        "replacements,configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/bootstrap/kubeadm/config/webhook",
        "configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/controlplane/kubeadm/config/certmanager",
        "configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/controlplane/kubeadm/config/crd",
        "configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/controlplane/kubeadm/config/default",
        "replacements,configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/controlplane/kubeadm/config/webhook",
        "configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/core/config/certmanager",
        "configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/core/config/default",
        "replacements,configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/core/config/webhook",
        "configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/test/extension/config/default",
        "replacements,configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/test/infrastructure/docker/config/default",
        "replacements,configurations",
    ),
    (
        "kubernetes-sigs__cluster-api/test/infrastructure/docker/config/webhook",
        "configurations",
    ),
    (
        "kubernetes-sigs__kubebuilder/docs/book/src/cronjob-tutorial/testdata/project/config/default",
        "replacements,configurations",
    ),
    (
        "kubernetes-sigs__kubebuilder/docs/book/src/multiversion-tutorial/testdata/project/config/crd",
        "configurations",
    ),
    (
        "kubernetes-sigs__kubebuilder/docs/book/src/multiversion-tutorial/testdata/project/config/default",
        "replacements,configurations",
    ),
    (
        "kubernetes-sigs__kubebuilder/testdata/project-v4-multigroup/config/certmanager",
        "configurations",
    ),
    (
        "kubernetes-sigs__kubebuilder/testdata/project-v4-multigroup/config/crd",
        "configurations",
    ),
    (
        "kubernetes-sigs__kubebuilder/testdata/project-v4-multigroup/config/default",
        "replacements,configurations",
    ),
    (
        "kubernetes-sigs__kubebuilder/testdata/project-v4-with-plugins/config/certmanager",
        "configurations",
    ),
    (
        "kubernetes-sigs__kubebuilder/testdata/project-v4-with-plugins/config/crd",
        "configurations",
    ),
    (
        "kubernetes-sigs__kubebuilder/testdata/project-v4-with-plugins/config/default",
        "replacements,configurations",
    ),
    (
        "kubernetes-sigs__kubebuilder/testdata/project-v4/config/default",
        "replacements,configurations",
    ),
    (
        "kubernetes-sigs__kustomize/examples/transformerconfigs/crd",
        "vars",
    ),
    ("kubernetes-sigs__kustomize/examples/wordpress", "vars"),
];

/// The kustomizations under `fixtures/` (components and the conformance data aside), each
/// rendered byte for byte as kubectl does.
const FIXTURE_OVERLAYS: usize = 15;

/// The first differing line of two texts, with context.
pub fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let at = w
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(w.len().min(g.len()));
    let from = at.saturating_sub(3);
    format!(
        "line {}: kubectl:\n{}\nFerry:\n{}",
        at + 1,
        w[from..(at + 3).min(w.len())].join("\n"),
        g[from..(at + 3).min(g.len())].join("\n")
    )
}

/// How one overlay compared.
pub enum Outcome {
    Equal,
    Refused(String),
    Problem(String),
}

fn compare(kubectl: &Path, root: &Path, dir: &Path) -> Outcome {
    outcome(kubectl::text(kubectl, dir), root, dir)
}

/// How Ferry's rendering of `dir` compares with kubectl's text (or error) `want`.
pub fn outcome(want: Result<String, String>, root: &Path, dir: &Path) -> Outcome {
    let got = render_overlay(root, dir, &ResolveOptions::default());
    match (want, got) {
        (Ok(want), Ok(got)) => {
            let got = got.to_yaml();
            if got == want {
                Outcome::Equal
            } else {
                Outcome::Problem(first_difference(&want, &got))
            }
        }
        (Ok(_), Err(e @ RenderError::Unsupported(_))) => {
            let mut fields: Vec<&str> = Vec::new();
            for u in e.unsupported() {
                if !fields.contains(&u.field.as_str()) {
                    fields.push(&u.field);
                }
            }
            Outcome::Refused(fields.join(","))
        }
        (Err(_), Err(_)) => Outcome::Refused("kubectl fails too".into()),
        (Ok(_), Err(e)) => Outcome::Problem(format!("Ferry fails: {e}")),
        (Err(k), Ok(_)) => Outcome::Problem(format!("kubectl fails, Ferry renders: {k}")),
    }
}

fn fixture_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.ends_with("fixtures/conformance") {
            continue;
        }
        if p.is_dir() {
            fixture_dirs(&p, out);
        } else if p.file_name().is_some_and(|n| n == "kustomization.yaml") {
            let text = std::fs::read_to_string(&p).expect("read a kustomization");
            if !text.contains("kind: Component") {
                out.push(dir.to_path_buf());
            }
        }
    }
}

/// Runs `compare` over `(root, dir, label)` on two threads.
fn compare_all(
    kubectl: &Path,
    cases: &[(PathBuf, PathBuf, String)],
) -> (usize, Vec<String>, Vec<String>) {
    let next = AtomicUsize::new(0);
    let equal = AtomicUsize::new(0);
    let refused = Mutex::new(Vec::new());
    let problems = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while let Some((root, dir, label)) = cases.get(next.fetch_add(1, Ordering::Relaxed))
                {
                    match compare(kubectl, root, dir) {
                        Outcome::Equal => {
                            equal.fetch_add(1, Ordering::Relaxed);
                        }
                        Outcome::Refused(why) => refused
                            .lock()
                            .expect("no poisoned lock")
                            .push(format!("{label}: {why}")),
                        Outcome::Problem(p) => problems
                            .lock()
                            .expect("no poisoned lock")
                            .push(format!("{label}: {p}")),
                    }
                }
            });
        }
    });
    let mut refused = refused.into_inner().expect("no poisoned lock");
    let mut problems = problems.into_inner().expect("no poisoned lock");
    refused.sort();
    problems.sort();
    (equal.into_inner(), refused, problems)
}

#[test]
fn every_fixture_renders_as_kubectl_kustomize() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    let root = fixtures_dir();
    let mut dirs = Vec::new();
    fixture_dirs(&root, &mut dirs);
    let cases: Vec<_> = dirs
        .iter()
        .map(|d| {
            let label = d.strip_prefix(&root).unwrap_or(d).display().to_string();
            (root.clone(), d.clone(), label)
        })
        .collect();
    let (equal, refused, problems) = compare_all(&kubectl, &cases);
    eprintln!(
        "render fixtures: {equal} of {} byte-equal with kubectl kustomize, {} refused: {refused:?}",
        cases.len(),
        refused.len()
    );
    assert!(
        problems.is_empty(),
        "{} differ:\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    // A changed count is a conscious update: fixtures added or removed.
    assert_eq!(
        (equal, cases.len()),
        (FIXTURE_OVERLAYS, FIXTURE_OVERLAYS),
        "byte-equal fixture overlays, of all fixture overlays"
    );
}
