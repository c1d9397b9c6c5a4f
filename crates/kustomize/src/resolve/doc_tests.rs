//! Lazy and full decoding give the same results: the first pass ([`crate::skim`]) against the
//! full parser on every YAML file of the fixtures and on generated texts, and whole resolutions
//! with and without it over every overlay of the fixtures and the real-world corpus.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value;

use super::super::builder::{Mode, validate_here_as};
use super::budget;
use crate::model;
use crate::resolve::ResolveOptions;
use crate::skim::{Skimmed, skim};
use crate::source::{FsSource, ParseCache};
use crate::transform;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The keys the first pass decodes, as the full document holds them.
fn head_of(doc: &Value) -> Value {
    let mut head = serde_json::Map::new();
    for (k, v) in doc.as_object().into_iter().flatten() {
        if matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
            head.insert(k.clone(), v.clone());
        }
    }
    Value::Object(head)
}

/// When the first pass accepts `text`, the full parse succeeds and agrees with it: the same
/// documents, heads, decoded values, a weight no lower, containers never missed. Returns
/// whether the pass accepted the text.
fn agrees(text: &str) -> Result<bool, String> {
    let Some(docs) = skim(text) else {
        return Ok(false);
    };
    let full = model::parse_resource_documents(text)
        .map_err(|e| format!("accepted, but the full parse fails: {}", e.message))?;
    if full.len() != docs.len() {
        return Err(format!(
            "{} documents skimmed, {} parsed",
            docs.len(),
            full.len()
        ));
    }
    let skimmed = Skimmed::new(text).ok_or("accepted once, declined once")?;
    for (i, (d, f)) in docs.iter().zip(&full).enumerate() {
        if d.head != head_of(f) {
            return Err(format!(
                "document {i}: head {:?}, parsed {:?}",
                d.head,
                head_of(f)
            ));
        }
        let weight = budget::weight(std::slice::from_ref(f));
        if d.weight < weight {
            return Err(format!("document {i}: weight {} below {weight}", d.weight));
        }
        if !d.maybe_containers && !transform::containers_of(f).is_empty() {
            return Err(format!("document {i}: containers missed"));
        }
        if d.has_items != f.get("items").is_some() {
            return Err(format!("document {i}: `items` misread"));
        }
        if skimmed.decoded(i) != f {
            return Err(format!("document {i}: decoded alone, it differs"));
        }
    }
    Ok(true)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        {
            out.push(p);
        }
    }
}

fn on_deep_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(model::PARSER_STACK_BYTES)
            .spawn_scoped(s, f)
            .expect("spawn a test thread")
            .join()
            .expect("the test thread does not panic")
    })
}

#[test]
fn the_first_pass_agrees_with_the_full_parse_on_every_fixture_file() {
    on_deep_stack(|| {
        let mut files = Vec::new();
        yaml_files(&fixtures(), &mut files);
        assert!(files.len() > 500, "{} files", files.len());
        let mut accepted = 0;
        let mut problems = Vec::new();
        for f in &files {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            match agrees(&text) {
                Ok(true) => accepted += 1,
                Ok(false) => {}
                Err(e) => problems.push(format!("{}: {e}", f.display())),
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
        // The pass is worth having only if it reads most files (the large CRDs above all).
        assert!(
            accepted * 2 > files.len(),
            "{accepted} of {} accepted",
            files.len()
        );
        let crd = fixtures().join(
            "conformance/kustomize-realworld/argoproj__argo-cd/manifests/crds/applicationset-crd.yaml",
        );
        let text = std::fs::read_to_string(crd).expect("the Argo CD CRD");
        assert_eq!(agrees(&text), Ok(true));
    });
}

#[test]
fn the_first_pass_declines_what_it_does_not_check() {
    for text in [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: b\n\tc: d\n",
        "a: b\r\n",
        "a: b",
        "a: b\na: c\n",
        "a: [1, 2]\n",
        "a: \"x\\u0041\"\n",
        "a: b # c\n  d\n",
        "a: .inf\n",
        "a: -.NaN\n",
        "- a\n",
        "%YAML 1.2\n---\na: b\n",
        "a: |2\n   x\n",
        "a:\n  b: |\n      \n    x\n",
        "true: x\n",
        "\"a\\\"b\": c\n",
        "a: b: c\n",
        "a: x\u{85}y\n",
    ] {
        assert!(skim(text).is_none(), "{text:?} accepted");
    }
}

#[test]
fn the_first_pass_reads_heads_and_bodies() {
    let text = "# c\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    \
                x: \"1\"\ndata:\n  k: |\n    line\n\n    more\n---\n---\nkind: Pod\nspec:\n  \
                containers:\n  - name: c\n    image: nginx\n    args:\n    - '--a=b'\n    - x # c\n";
    let docs = skim(text).expect("accepted");
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].head["metadata"]["labels"]["x"], "1");
    assert!(!docs[0].maybe_containers);
    assert_eq!(docs[1].head, serde_json::json!({"kind": "Pod"}));
    assert!(docs[1].maybe_containers);
    assert_eq!(on_deep_stack(|| agrees(text)), Ok(true));
}

/// A YAML-like document from pieces that are in the subset, at its edges and outside it.
fn document() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "apiVersion",
        "kind",
        "metadata",
        "name",
        "namespace",
        "labels",
        "spec",
        "containers",
        "image",
        "items",
        "a",
        "x-y",
        "app.kubernetes.io/name",
        "yes",
        "On",
        "_k",
        "$ref",
        "1a",
        "a b",
        "\"q\"",
        "? a",
    ]);
    let scalar = prop::sample::select(vec![
        "v1",
        "Deployment",
        "nginx:1.2",
        "1.10",
        "0755",
        "true",
        "yes",
        "null",
        "~",
        "-1",
        "a b",
        "a: b",
        "x #c",
        "x#c",
        "[]",
        "{}",
        "'q''s'",
        "\"d\\\"q\"",
        "\"\\x41\"",
        "\"a\\tb\"",
        "|",
        ">-",
        "|+",
        "*a",
        "&a x",
        "!!str 1",
        "- x",
        ":",
        "é",
        "-",
        "a:",
        "http://x/y",
        "'a",
        "\"b",
        "0x1F",
        ".inf",
        "1e3",
        "@x",
        "`x",
        ",x",
        "x,y",
        "%x",
        "?",
        "?x",
        ":x",
        "--x",
    ]);
    let line = (0usize..8, key, scalar, 0usize..6).prop_map(|(indent, k, v, form)| {
        let pad = " ".repeat(indent);
        match form {
            0 => format!("{pad}{k}: {v}"),
            1 => format!("{pad}{k}:"),
            2 => format!("{pad}- {v}"),
            3 => format!("{pad}- {k}: {v}"),
            4 => format!("{pad}  {v}"),
            _ => format!("{pad}# {v}"),
        }
    });
    prop::collection::vec(line, 1..24).prop_map(|lines| {
        let mut text = String::new();
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever the first pass accepts, the full parser reads, with the same heads.
    #[test]
    fn what_the_first_pass_accepts_the_full_parse_reads_alike(
        docs in prop::collection::vec(document(), 1..3),
        separator in prop::sample::select(vec!["---\n", "--- \n", "...\n", ""]),
    ) {
        let text = docs.join(separator);
        let result = on_deep_stack(|| agrees(&text));
        prop_assert!(result.is_ok(), "{text}\n{result:?}");
    }

    /// Well-formed nested documents are accepted (the pass is not vacuous).
    #[test]
    fn nested_block_documents_are_accepted(depth in 1usize..6, width in 1usize..4) {
        let mut text = String::from("apiVersion: v1\nkind: K\nmetadata:\n  name: n\nspec:\n");
        let mut indent = 2;
        for d in 0..depth {
            let pad = " ".repeat(indent);
            for w in 0..width {
                text.push_str(&format!("{pad}k{w}: v{d}\n"));
            }
            text.push_str(&format!("{pad}list{d}:\n{pad}- item: |\n{pad}    text {d}\n{pad}  other: 'x'\n{pad}- plain\n{pad}nested{d}:\n"));
            indent += 2;
        }
        text.push_str(&format!("{}leaf: end\n", " ".repeat(indent)));
        let result = on_deep_stack(|| agrees(&text));
        prop_assert_eq!(result, Ok(true), "{}", text);
    }
}

/// Every overlay of the fixtures and of the real-world corpus, with its repository root.
fn overlays() -> Vec<(PathBuf, PathBuf)> {
    let corpus = fixtures().join("conformance/kustomize-realworld");
    let list = std::fs::read_to_string(corpus.join("OVERLAYS.txt")).expect("OVERLAYS.txt");
    let mut out: Vec<(PathBuf, PathBuf)> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let repo = l.split('/').next().unwrap_or(l);
            (corpus.join(repo), corpus.join(l))
        })
        .collect();
    let mut stack = vec![fixtures().join("kustomize"), fixtures().join("blueprint")];
    while let Some(dir) = stack.pop() {
        if dir.join("kustomization.yaml").is_file() {
            out.push((fixtures(), dir.clone()));
        }
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            }
        }
    }
    out
}

#[test]
fn lazy_and_full_resolutions_give_the_same_results_on_every_overlay() {
    let all = overlays();
    assert!(all.len() > 280, "{} overlays", all.len());
    on_deep_stack(|| {
        let options = ResolveOptions::default();
        let run = |(root, dir): &(PathBuf, PathBuf), mode| {
            validate_here_as(
                &FsSource,
                &ParseCache::new(),
                (root, dir),
                &options,
                false,
                mode,
            )
            .0
        };
        let full = Mode {
            lazy: false,
            resources: true,
        };
        let check = Mode {
            lazy: true,
            resources: false,
        };
        for o in &all {
            let (Ok(want), Ok(lazy), Ok(checked)) =
                (run(o, full), run(o, Mode::ALL), run(o, check))
            else {
                panic!("{}: a resolution failed", o.1.display());
            };
            let shown = o.1.display();
            assert_eq!(want.workloads, lazy.workloads, "{shown}");
            assert_eq!(want.findings, lazy.findings, "{shown}");
            assert_eq!(want.unrendered, lazy.unrendered, "{shown}");
            assert!(
                want.resources == lazy.resources,
                "{shown}: resources differ"
            );
            assert_eq!(want.workloads, checked.workloads, "{shown}");
            assert_eq!(want.findings, checked.findings, "{shown}");
            assert!(checked.resources.is_empty(), "{shown}");
        }
    });
}
