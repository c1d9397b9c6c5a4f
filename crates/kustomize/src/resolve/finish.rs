//! The last steps of a build, after every kustomization's transformers (kustomize's
//! `makeCustomizedResMap`): content-hash suffixes on generated names, name references updated
//! to the objects' final names, and objects marked `config.kubernetes.io/local-config` dropped.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::fieldspec::{selects, split_path, visit};
use super::fieldspecs::{FieldSpec, NAME_REFERENCES};
use super::resource::{Res, is_cluster_scoped, str_at};

/// Applies the final steps to the resources of a build.
pub(super) fn finish(resources: &mut Vec<Res>) -> Vec<String> {
    for r in resources.iter_mut().filter(|r| r.needs_hash) {
        let hash = content_hash(r.doc.value());
        r.store_previous_id();
        let base = r.name().to_string();
        let name = format!("{base}-{hash}");
        r.set_meta("name", &name);
        r.hashed_from = Some(base);
    }
    let problems = fix_name_references(resources);
    // kustomize clears its build annotations at the end: an empty or null `annotations` goes.
    for r in resources.iter_mut() {
        let empty = |doc: &Value| {
            doc.get("metadata")
                .and_then(Value::as_object)
                .and_then(|m| m.get("annotations"))
                .is_some_and(|a| a.is_null() || a.as_object().is_some_and(|m| m.is_empty()))
        };
        if empty(r.doc.view())
            && let Some(meta) = r
                .doc
                .value_mut()
                .get_mut("metadata")
                .and_then(Value::as_object_mut)
        {
            meta.remove("annotations");
        }
    }
    resources.retain(|r| {
        r.doc
            .view()
            .pointer("/metadata/annotations/config.kubernetes.io~1local-config")
            .and_then(Value::as_str)
            != Some("true")
    });
    problems
}

/// kustomize's content hash of a ConfigMap or Secret (`api/hasher`): SHA-256 of a JSON
/// encoding of kind, type, data (the name is read from a path that never matches, so it is
/// always empty), the first ten hex digits with `0 1 3 a e` replaced by `g h k m t`.
pub(super) fn content_hash(doc: &Value) -> String {
    let kind = str_at(doc, &["kind"]);
    let field = |k: &str| match doc.get(k) {
        None => Value::String(String::new()),
        Some(v) if v.is_object() || v.is_array() => v.clone(),
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(Value::Null) => Value::String(String::new()),
        Some(other) => Value::String(other.to_string()),
    };
    let mut m = serde_json::Map::new();
    m.insert("kind".into(), Value::String(kind.to_string()));
    m.insert("name".into(), Value::String(String::new()));
    m.insert("data".into(), field("data"));
    if kind == "Secret" {
        m.insert("type".into(), field("type"));
        if doc.get("stringData").is_some_and(Value::is_object) {
            m.insert("stringData".into(), field("stringData"));
        }
    } else if doc.get("binaryData").is_some_and(Value::is_object) {
        m.insert("binaryData".into(), field("binaryData"));
    }
    let mut encoded = String::new();
    go_json(&Value::Object(m), &mut encoded);
    let digest = Sha256::digest(encoded.as_bytes());
    digest
        .iter()
        .flat_map(|b| [b >> 4, b & 0xF])
        .take(10)
        .map(|n| match n {
            0 => 'g',
            1 => 'h',
            3 => 'k',
            0xa => 'm',
            0xe => 't',
            n => char::from_digit(u32::from(n), 16).expect("a hex digit"),
        })
        .collect()
}

/// Go's `encoding/json` encoding: map keys sorted, HTML-safe escapes.
fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => go_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                go_json(&m[k], out);
            }
            out.push('}');
        }
    }
}

fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// What the name-reference step knows of a possible referral.
struct Candidate {
    api_version: String,
    kind: String,
    name: String,
    namespace: String,
    effective_ns: String,
    org_ns: String,
    cluster_scoped: bool,
    prev_names: Vec<String>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

fn effective(api_version: &str, kind: &str, ns: &str) -> String {
    if is_cluster_scoped(api_version, kind) {
        "_non_namespaceable_".into()
    } else if ns.is_empty() {
        "default".into()
    } else {
        ns.into()
    }
}

/// kustomize's name-reference transformer (`nameref.Filter`): in every field that refers to an
/// object by name, a name the object had before it was renamed becomes its final name.
/// Returns the ambiguous references kustomize refuses.
fn fix_name_references(resources: &mut [Res]) -> Vec<String> {
    let candidates: Vec<Candidate> = resources
        .iter()
        .map(|r| Candidate {
            api_version: r.api_version().into(),
            kind: r.kind().into(),
            name: r.name().into(),
            namespace: r.namespace().into(),
            effective_ns: effective(r.api_version(), r.kind(), r.namespace()),
            org_ns: r.org_id().0,
            cluster_scoped: r.cluster_scoped(),
            prev_names: r.prev.iter().map(|(_, n)| n.clone()).collect(),
            prefixes: r.prefixes.clone(),
            suffixes: r.suffixes.clone(),
        })
        .collect();
    if candidates.iter().all(|c| c.prev_names.is_empty()) {
        return Vec::new();
    }
    let mut problems = Vec::new();
    for (i, r) in resources.iter_mut().enumerate() {
        let me = &candidates[i];
        let api_version = me.api_version.clone();
        let kind = me.kind.clone();
        // The objects this one may refer to (`SubsetThatCouldBeReferencedByResource`).
        let sa_namespaces: Vec<String> = if kind == "RoleBinding" {
            r.doc.value()["subjects"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|s| s["kind"] == "ServiceAccount")
                .filter_map(|s| s["namespace"].as_str().map(String::from))
                .collect()
        } else {
            Vec::new()
        };
        let subset: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| {
                me.cluster_scoped
                    || c.cluster_scoped
                    || c.effective_ns == me.effective_ns
                    || sa_namespaces.contains(&c.namespace)
            })
            .collect();
        for target in NAME_REFERENCES {
            let target_spec = FieldSpec {
                group: target.group,
                version: target.version,
                kind: target.kind,
                path: "",
                create: false,
            };
            for spec in target
                .referrers
                .iter()
                .filter(|s| selects(s, &api_version, &kind))
            {
                let role_ref = spec.path.ends_with("roleRef/name").then(|| {
                    (
                        r.doc.value()["roleRef"]["apiGroup"]
                            .as_str()
                            .map(String::from),
                        r.doc.value()["roleRef"]["kind"].as_str().map(String::from),
                    )
                });
                let sieved: Vec<&Candidate> = subset
                    .iter()
                    .copied()
                    .filter(|c| !c.prev_names.is_empty())
                    .filter(|c| selects(&target_spec, &c.api_version, &c.kind))
                    .filter(|c| match &role_ref {
                        Some((Some(group), Some(k))) => {
                            let (g, _) = c.api_version.rsplit_once('/').unwrap_or(("", ""));
                            (group.is_empty() || g == group) && (k.is_empty() || c.kind == *k)
                        }
                        _ => true,
                    })
                    .filter(|c| {
                        me.cluster_scoped
                            || c.cluster_scoped
                            || c.kind == "ServiceAccount"
                            || c.effective_ns == me.effective_ns
                    })
                    .collect();
                if sieved.is_empty() {
                    continue;
                }
                let path = split_path(spec.path);
                if !r.doc.may_hold(&path) {
                    continue;
                }
                visit(r.doc.value_mut(), &path, None, &mut |node| {
                    update_reference(node, &sieved, me, &mut problems);
                });
            }
        }
    }
    problems
}

fn update_reference(
    node: &mut Value,
    candidates: &[&Candidate],
    me: &Candidate,
    problems: &mut Vec<String>,
) {
    match node {
        Value::String(_) => set_scalar(node, candidates, me, problems),
        Value::Object(_) => set_mapping(node, candidates, me, problems),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(_) => set_scalar(item, candidates, me, problems),
                    Value::Object(_) => set_mapping(item, candidates, me, problems),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn set_scalar(
    node: &mut Value,
    candidates: &[&Candidate],
    me: &Candidate,
    problems: &mut Vec<String>,
) {
    let Some(old) = node.as_str() else { return };
    let found = select(old, candidates.to_vec(), me, false, problems);
    if let Some(c) = found
        && c.name != old
    {
        *node = Value::String(c.name.clone());
    }
}

fn set_mapping(
    node: &mut Value,
    candidates: &[&Candidate],
    me: &Candidate,
    problems: &mut Vec<String>,
) {
    let Some(map) = node.as_object_mut() else {
        return;
    };
    let Some(old) = map.get("name").and_then(Value::as_str).map(String::from) else {
        return;
    };
    let by_ns: Vec<&Candidate> = match map.get("namespace").and_then(Value::as_str) {
        None => candidates.to_vec(),
        Some(ns) => {
            let original: Vec<&Candidate> = candidates
                .iter()
                .copied()
                .filter(|c| !c.cluster_scoped && c.org_ns == ns)
                .collect();
            if original.is_empty() {
                candidates
                    .iter()
                    .copied()
                    .filter(|c| !c.cluster_scoped && c.effective_ns == ns)
                    .collect()
            } else {
                original
            }
        }
    };
    let Some(c) = select(&old, by_ns, me, true, problems) else {
        return;
    };
    if c.name == old && c.namespace.is_empty() {
        return;
    }
    map.insert("name".into(), Value::String(c.name.clone()));
    if !c.namespace.is_empty() {
        map.insert("namespace".into(), Value::String(c.namespace.clone()));
    }
}

/// kustomize's `selectReferral`.
fn select<'a>(
    old: &str,
    candidates: Vec<&'a Candidate>,
    me: &Candidate,
    with_namespace: bool,
    problems: &mut Vec<String>,
) -> Option<&'a Candidate> {
    let mut c: Vec<&Candidate> = candidates
        .into_iter()
        .filter(|c| c.prev_names.iter().any(|n| n == old))
        .collect();
    if c.len() == 1 {
        return c.pop();
    }
    c.retain(|x| affixes_equal(x, me, true));
    if c.len() > 1 {
        c.retain(|x| affixes_equal(x, me, false));
    }
    match c.len() {
        0 => None,
        1 => c.pop(),
        _ => {
            let same = c
                .iter()
                .all(|x| x.name == c[0].name && (!with_namespace || x.namespace == c[0].namespace));
            if same {
                Some(c[0])
            } else {
                let ids: Vec<String> = c
                    .iter()
                    .map(|x| format!("{}/{} in {}", x.kind, x.name, x.effective_ns))
                    .collect();
                problems.push(format!(
                    "{}/{} refers to `{old}`, which several objects were named: {}",
                    me.kind,
                    me.name,
                    ids.join(", ")
                ));
                None
            }
        }
    }
}

fn affixes_equal(a: &Candidate, b: &Candidate, allow_empty: bool) -> bool {
    if allow_empty {
        (a.prefixes.is_empty() || b.prefixes.is_empty() || same_ending(&a.prefixes, &b.prefixes))
            && (a.suffixes.is_empty()
                || b.suffixes.is_empty()
                || same_ending(&a.suffixes, &b.suffixes))
    } else {
        same_ending(&a.prefixes, &b.prefixes) && same_ending(&a.suffixes, &b.suffixes)
    }
}

/// kustomize's `SameEndingSubSlice`: the shorter list is the end of the longer one (an empty
/// list only matches an empty one).
fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    long.ends_with(short)
}
