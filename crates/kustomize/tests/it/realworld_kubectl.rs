//! Every overlay of the real-world conformance data (`fixtures/conformance/kustomize-realworld`,
//! 274 overlays from 20 public repositories) resolves as `kubectl kustomize` (v5.5) renders it:
//! the same objects in the same order, and the same image in every container of every workload.
//!
//! Expected results are not stored with the data (see its `SOURCE.md`), so `kubectl kustomize`
//! runs once per overlay, on two threads. Overlays Ferry refuses by design are listed in
//! [`REFUSED_BY_DESIGN`] and in `docs/kustomize-differences.md`; the refusal is asserted.
//!
//! The same kubectl output is the expected `ferry_kustomize::render` output, byte for byte;
//! overlays `ferry render` refuses are listed in [`render_kubectl::REFUSED`].

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ferry_test_support::{conformance_dir, require_tool, run_ok};
use serde_json::Value;

use crate::kubectl;
use crate::render_kubectl::{self, Outcome};

/// Overlays Ferry refuses on purpose although kubectl renders them, with a part of the refusal.
/// Keep in step with `docs/kustomize-differences.md`.
const REFUSED_BY_DESIGN: &[(&str, &str)] = &[];

/// An object as both sides list it: apiVersion, kind, namespace, name.
type Id = (String, String, Option<String>, String);

/// A workload: its id and `(container, image, init)` in document order, init containers last.
type Row = (Id, Vec<(String, String, bool)>);

/// What one side renders: every object in output order and the workloads in output order.
#[derive(Debug, PartialEq)]
struct Rendered {
    objects: Vec<Id>,
    workloads: Vec<Row>,
}

fn id_of(doc: &Value) -> Id {
    let s = |p: &str| doc.pointer(p).and_then(Value::as_str).map(String::from);
    (
        s("/apiVersion").unwrap_or_default(),
        s("/kind").unwrap_or_default(),
        s("/metadata/namespace"),
        s("/metadata/name").unwrap_or_default(),
    )
}

fn from_kubectl(text: &Result<String, String>) -> Result<Rendered, String> {
    let docs = kubectl::documents(text)?;
    let workloads = docs
        .iter()
        .map(|doc| (id_of(doc), kubectl::workload_containers(doc)))
        .filter(|(_, c)| !c.is_empty())
        .collect();
    Ok(Rendered {
        objects: docs.iter().map(id_of).collect(),
        workloads,
    })
}

fn from_ferry(root: &Path, dir: &Path) -> Result<Rendered, String> {
    let res = ferry_kustomize::resolve_overlay(root, dir).map_err(|e| e.to_string())?;
    let workloads = res
        .workloads
        .into_iter()
        .map(|w| {
            let c = kubectl::ferry_containers(&w);
            ((w.api_version, w.kind, w.namespace, w.name), c)
        })
        .collect();
    Ok(Rendered {
        objects: res.resources.iter().map(id_of).collect(),
        workloads,
    })
}

/// kubectl's rendering with the content-hash suffix of generated ConfigMaps and Secrets removed
/// where Ferry lists the object under its name without the suffix (Ferry does not compute
/// kustomize's content hash; see `docs/kustomize-differences.md`).
fn without_hash_suffixes(mut want: Rendered, got: &Rendered) -> Rendered {
    for id in &mut want.objects {
        if !matches!(id.1.as_str(), "ConfigMap" | "Secret") || got.objects.contains(id) {
            continue;
        }
        let Some((stem, hash)) = id.3.rsplit_once('-') else {
            continue;
        };
        let mut bare = id.clone();
        bare.3 = stem.to_string();
        if hash.len() == 10
            && hash
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && got.objects.contains(&bare)
        {
            *id = bare;
        }
    }
    want
}

fn overlays(data: &Path) -> Vec<String> {
    let list = std::fs::read_to_string(data.join("OVERLAYS.txt")).expect("OVERLAYS.txt");
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// The repository folder of an overlay (`<owner>__<repo>`): Ferry's repository root.
fn repo_root(data: &Path, overlay: &str) -> PathBuf {
    data.join(overlay.split('/').next().expect("an overlay path"))
}

/// The first difference between two renderings, for the failure message.
fn difference(want: &Rendered, got: &Rendered) -> String {
    let missing: Vec<_> = want
        .objects
        .iter()
        .filter(|o| !got.objects.contains(o))
        .collect();
    let extra: Vec<_> = got
        .objects
        .iter()
        .filter(|o| !want.objects.contains(o))
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        return format!("objects only kubectl renders: {missing:?}; only Ferry: {extra:?}");
    }
    if want.objects != got.objects {
        let at = want
            .objects
            .iter()
            .zip(&got.objects)
            .position(|(a, b)| a != b)
            .unwrap_or_default();
        return format!(
            "object order differs at {at}: kubectl {:?}, Ferry {:?}",
            want.objects[at], got.objects[at]
        );
    }
    for (w, g) in want.workloads.iter().zip(&got.workloads) {
        if w != g {
            return format!("workload differs: kubectl {w:?}, Ferry {g:?}");
        }
    }
    format!(
        "{} workloads from kubectl, {} from Ferry",
        want.workloads.len(),
        got.workloads.len()
    )
}

#[test]
fn every_real_world_overlay_resolves_and_renders_as_kubectl_does() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    run_ok(Command::new(&kubectl).args(["version", "--client"]));
    let data = conformance_dir().join("kustomize-realworld");
    let overlays = overlays(&data);
    assert_eq!(overlays.len(), 274, "OVERLAYS.txt lists 274 overlays");
    for (overlay, _) in REFUSED_BY_DESIGN {
        assert!(overlays.iter().any(|o| o == overlay), "{overlay} is listed");
    }

    let next = AtomicUsize::new(0);
    let problems = Mutex::new(Vec::new());
    let agreed = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let rendered_equal = AtomicUsize::new(0);
    let render_refused = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(overlay) = overlays.get(i) else {
                        break;
                    };
                    let dir = data.join(overlay);
                    let text = kubectl::text(&kubectl, &dir);
                    let want = from_kubectl(&text);
                    let root = repo_root(&data, overlay);
                    let got = from_ferry(&root, &dir);
                    let rendering = match render_kubectl::outcome(text, &root, &dir) {
                        Outcome::Equal => {
                            rendered_equal.fetch_add(1, Ordering::Relaxed);
                            None
                        }
                        Outcome::Refused(why) => {
                            render_refused
                                .lock()
                                .expect("no panic while holding the lock")
                                .push(format!("{overlay}: {why}"));
                            None
                        }
                        Outcome::Problem(p) => Some(format!("{overlay}: rendering: {p}")),
                    };
                    let by_design = REFUSED_BY_DESIGN.iter().find(|(o, _)| o == overlay);
                    let problem = match (want, got, by_design) {
                        (Ok(_), Err(e), Some((_, why))) if e.contains(why) => {
                            refused.fetch_add(1, Ordering::Relaxed);
                            None
                        }
                        (_, got, Some((_, why))) => Some(format!(
                            "expected Ferry to refuse it with `{why}`, got {got:?}"
                        )),
                        (Err(k), _, None) => Some(format!("kubectl fails: {k}")),
                        (Ok(_), Err(f), None) => Some(format!("Ferry fails: {f}")),
                        (Ok(want), Ok(got), None) => {
                            let want = without_hash_suffixes(want, &got);
                            if want == got {
                                agreed.fetch_add(1, Ordering::Relaxed);
                                None
                            } else {
                                Some(difference(&want, &got))
                            }
                        }
                    };
                    let mut problems = problems.lock().expect("no panic while holding the lock");
                    problems.extend(problem.map(|p| format!("{overlay}: {p}")));
                    problems.extend(rendering);
                }
            });
        }
    });
    let mut problems = problems.into_inner().expect("no poisoned lock");
    problems.sort();
    let (agreed, refused) = (agreed.into_inner(), refused.into_inner());
    let mut render_refused = render_refused.into_inner().expect("no poisoned lock");
    render_refused.sort();
    let rendered_equal = rendered_equal.into_inner();
    eprintln!(
        "kustomize-realworld: {agreed} overlays agree with kubectl, {refused} refused by design, \
         {} disagree; rendering: {rendered_equal} byte-equal, {} refused:\n{}",
        problems.len(),
        render_refused.len(),
        render_refused.join("\n")
    );
    assert!(
        problems.is_empty(),
        "{} of {} overlays disagree with kubectl kustomize:\n{}",
        problems.len(),
        overlays.len(),
        problems.join("\n")
    );
    assert_eq!(agreed + refused, overlays.len());
    let expected: Vec<String> = render_kubectl::REFUSED
        .iter()
        .map(|(o, f)| format!("{o}: {f}"))
        .collect();
    assert_eq!(
        render_refused, expected,
        "the overlays ferry render refuses"
    );
    assert_eq!(rendered_equal + render_refused.len(), overlays.len());
}
