//! kustomize's field specs: a path of fields through an object, lists crossed element by
//! element, missing fields created when the spec says so (`fieldspec.Filter`).

use serde_json::{Map, Value};

use super::fieldspecs::FieldSpec;
use super::resource::str_at;

/// What a created leaf field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leaf {
    /// A map (labels, annotations, selectors).
    Map,
    /// A scalar (a namespace, a replica count).
    Scalar,
}

/// The segments of a field spec path: `/` separates them, `\/` is a slash inside one.
pub(super) fn split_path(path: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                chars.next();
                out.last_mut().expect("one segment").push('/');
            }
            '/' => out.push(String::new()),
            c => out.last_mut().expect("one segment").push(c),
        }
    }
    out
}

/// Whether `spec` selects objects of `api_version` and `kind` (empty parts select any).
pub(super) fn selects(spec: &FieldSpec, api_version: &str, kind: &str) -> bool {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    (spec.group.is_empty() || spec.group == group)
        && (spec.version.is_empty() || spec.version == version)
        && (spec.kind.is_empty() || spec.kind == kind)
}

/// Calls `set` on every node `path` leads to in `node`; with `create`, missing fields on the way
/// are created (maps, and a `leaf` at the end).
pub(super) fn visit(
    node: &mut Value,
    path: &[String],
    create: Option<Leaf>,
    set: &mut dyn FnMut(&mut Value),
) {
    walk(node, path, create, None, &mut |v, _| set(v));
}

/// Like [`visit`], `set` also given the node's JSON pointer in the object.
fn visit_at(
    node: &mut Value,
    path: &[String],
    create: Option<Leaf>,
    set: &mut dyn FnMut(&mut Value, &str),
) {
    walk(node, path, create, Some(&mut String::new()), set);
}

/// [`visit`]'s walk; `at` (when tracked) is the JSON pointer of `node`.
fn walk(
    node: &mut Value,
    path: &[String],
    create: Option<Leaf>,
    mut at: Option<&mut String>,
    set: &mut dyn FnMut(&mut Value, &str),
) {
    let Some((first, rest)) = path.split_first() else {
        set(node, at.as_deref().map_or("", String::as_str));
        return;
    };
    match node {
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = at.as_ref().map(|a| a.len());
                if let Some(a) = at.as_deref_mut() {
                    a.push('/');
                    a.push_str(&i.to_string());
                }
                walk(item, path, create, at.as_deref_mut(), set);
                if let (Some(a), Some(len)) = (at.as_deref_mut(), len) {
                    a.truncate(len);
                }
            }
        }
        Value::Object(map) => {
            let (name, is_seq) = match first.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (first.as_str(), false),
            };
            // What a missing (or null) field becomes.
            let kind = match (create, is_seq) {
                (_, true) => Some(Kind::Seq),
                (None, false) => None,
                (Some(leaf), false) if rest.is_empty() => Some(match leaf {
                    Leaf::Map => Kind::Map,
                    Leaf::Scalar => Kind::Scalar,
                }),
                (Some(_), false) => Some(Kind::Map),
            };
            if !map.contains_key(name) {
                match kind {
                    Some(k) if !is_seq => {
                        map.insert(name.to_string(), k.empty());
                    }
                    _ => return,
                }
            }
            let field = map.get_mut(name).expect("present");
            if field.is_null()
                && let Some(k) = kind
            {
                *field = k.empty();
            }
            let len = at.as_ref().map(|a| a.len());
            if let Some(a) = at.as_deref_mut() {
                push_token(a, name);
            }
            walk(field, rest, create, at.as_deref_mut(), set);
            if let (Some(a), Some(len)) = (at, len) {
                a.truncate(len);
            }
        }
        _ => {}
    }
}

/// Appends `/token` to JSON pointer `at`, escaped.
fn push_token(at: &mut String, token: &str) {
    at.push('/');
    at.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Map,
    Seq,
    Scalar,
}

impl Kind {
    fn empty(self) -> Value {
        match self {
            Kind::Map => Value::Object(Map::new()),
            Kind::Seq => Value::Array(Vec::new()),
            Kind::Scalar => Value::String(String::new()),
        }
    }
}

/// The fields one label or annotation transformer created in one object from one entry: the
/// JSON pointers of the key in each map that did not have it. kustomize creates them all from
/// one YAML node, so they share their value: a later change of one changes them all.
pub(super) type Created = Vec<String>;

/// Sets `key: value` (strings) in the map at every place `specs` name in `doc`, as kustomize's
/// label and annotation transformers do; `created` gets, per entry, where it was created.
pub(super) fn set_entries(
    doc: &mut Value,
    specs: &[FieldSpec],
    entries: &[(String, String)],
    created: &mut [Created],
) {
    let api_version = doc["apiVersion"].as_str().unwrap_or_default().to_string();
    let kind = doc["kind"].as_str().unwrap_or_default().to_string();
    for spec in specs.iter().filter(|s| selects(s, &api_version, &kind)) {
        let path = split_path(spec.path);
        let create = spec.create.then_some(Leaf::Map);
        visit_at(doc, &path, create, &mut |node, at| {
            insert_entries(node, at, entries, created);
        });
    }
}

/// Inserts `entries` in map `node` (at pointer `at`), noting the keys it creates.
fn insert_entries(
    node: &mut Value,
    at: &str,
    entries: &[(String, String)],
    created: &mut [Created],
) {
    if let Value::Object(m) = node {
        for ((k, v), created) in entries.iter().zip(created.iter_mut()) {
            if m.insert(k.clone(), Value::String(v.clone())).is_none() {
                let mut pointer = at.to_string();
                push_token(&mut pointer, k);
                created.push(pointer);
            }
        }
    }
}

/// A label or annotation transformer configuration: the entries and their field specs
/// `(group, version, kind, path, create)`.
pub(super) type MetadataPlugin = (Vec<(String, String)>, Vec<CustomSpec>);

/// A field spec given in a kustomization or plugin: `(group, version, kind, path, create)`.
pub(super) type CustomSpec = (String, String, String, String, bool);

/// Entries set at custom field specs (a `labels` entry's own, a plugin's); `created` as for
/// [`set_entries`].
pub(super) fn set_custom_entries(
    doc: &mut Value,
    specs: &[CustomSpec],
    pairs: &[(String, String)],
    created: &mut [Created],
) {
    for (group, version, kind, path, create) in specs {
        let api_version = str_at(doc, &["apiVersion"]).to_string();
        let doc_kind = str_at(doc, &["kind"]).to_string();
        let (g, v) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
        if (!group.is_empty() && group != g)
            || (!version.is_empty() && version != v)
            || (!kind.is_empty() && *kind != doc_kind)
        {
            continue;
        }
        let segments = split_path(path);
        visit_at(
            doc,
            &segments,
            create.then_some(Leaf::Map),
            &mut |node, at| {
                insert_entries(node, at, pairs, created);
            },
        );
    }
}
