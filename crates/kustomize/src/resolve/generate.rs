//! `configMapGenerator` and `secretGenerator`: the generated objects (data from literals, env
//! files and files; `generatorOptions` merged into each generator's options) join the
//! resources, or merge into or replace an object of the same name (`behavior`).
//!
//! The content-hash name suffix is added at the end of the build (`finish.rs`), as kustomize
//! adds it.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use serde_json::{Map, Value, json};

use super::builder::{Builder, Origin};
use super::resource::{Res, norm_ns, registered_id};
use crate::model::{GeneratorArgs, GeneratorOptions, Kustomization, Spanned};

/// A generator's options merged with the kustomization's `generatorOptions` (the generator's
/// own labels and annotations win; either can disable the hash or make the object immutable).
#[derive(Debug, Default)]
struct Options {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    disable_hash: bool,
    immutable: bool,
}

fn merged_options(local: Option<&GeneratorOptions>, global: Option<&GeneratorOptions>) -> Options {
    let mut o = Options::default();
    for opts in [global, local].into_iter().flatten() {
        o.labels.extend(opts.labels.clone().unwrap_or_default());
        o.annotations
            .extend(opts.annotations.clone().unwrap_or_default());
        o.disable_hash |= opts.disable_name_suffix_hash.unwrap_or(false);
        o.immutable |= opts.immutable.unwrap_or(false);
    }
    o
}

impl Builder<'_> {
    /// Runs the generators of `k`: adds, merges or replaces the objects they generate in `acc`,
    /// as kustomize's `behavior` says.
    pub(super) fn generate(
        &mut self,
        dir: &Path,
        file: &Path,
        k: &Kustomization,
        acc: &mut Vec<Res>,
    ) {
        let generators = k
            .config_map_generator
            .iter()
            .flatten()
            .map(|g| ("ConfigMap", g))
            .chain(k.secret_generator.iter().flatten().map(|g| ("Secret", g)));
        for (kind, g) in generators {
            let at = Origin::at(file, g);
            let name = g.value.name.as_deref().unwrap_or_default();
            if name.is_empty() {
                self.error(&at, "generator without `name`; give it a name".into());
                continue;
            }
            let Some(pairs) = self.generator_pairs(dir, &at, g) else {
                continue;
            };
            let options = merged_options(g.value.options.as_ref(), k.generator_options.as_ref());
            let new = generated(kind, name, &g.value, &pairs, &options);
            if !self.charge(std::slice::from_ref(new.doc.value()), &at) {
                continue;
            }
            let behavior = g.value.behavior.as_deref().unwrap_or("create");
            match behavior {
                "" | "create" => {
                    let mut seen = acc.iter().map(registered_id).collect();
                    self.add(acc, &mut seen, vec![new], &at);
                }
                "merge" | "replace" => {
                    let ns = g.value.namespace.as_deref().unwrap_or_default();
                    let found: Vec<usize> = acc
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| {
                            r.kind() == kind
                                && r.api_version() == "v1"
                                && r.history
                                    .iter()
                                    .any(|(n_s, n)| n == name && n_s == norm_ns(ns))
                        })
                        .map(|(i, _)| i)
                        .collect();
                    match found.as_slice() {
                        [i] => {
                            let old = &acc[*i];
                            acc[*i] = merged(old, new, behavior == "merge");
                        }
                        [] => self.error(
                            &at,
                            format!(
                                "`behavior: {behavior}` needs a {kind} `{name}` from the \
                                 resources or bases, and there is none; use `behavior: create` \
                                 or fix the name"
                            ),
                        ),
                        _ => self.error(
                            &at,
                            format!(
                                "`behavior: {behavior}`: several objects could take the \
                                 {kind} `{name}`; give it a namespace"
                            ),
                        ),
                    }
                }
                other => self.error(
                    &at,
                    format!("unknown generator `behavior: {other}`; use create, merge or replace"),
                ),
            }
        }
    }

    /// The key-value pairs of a generator, in kustomize's order (env files, literals, files);
    /// `None` (with an error) when a source cannot be read or a key repeats.
    fn generator_pairs(
        &mut self,
        dir: &Path,
        at: &Origin,
        g: &Spanned<GeneratorArgs>,
    ) -> Option<Vec<(String, Vec<u8>)>> {
        let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
        let mut ok = true;
        let envs: Vec<String> = g
            .value
            .envs
            .iter()
            .flatten()
            .chain(&g.value.env)
            .cloned()
            .collect();
        for path in envs {
            let Some(bytes) = self.generator_file(dir, at, &path) else {
                ok = false;
                continue;
            };
            match env_pairs(&bytes) {
                Ok(p) => pairs.extend(p.into_iter().map(|(k, v)| (k, v.into_bytes()))),
                Err(e) => {
                    self.error(at, format!("env file `{path}`: {e}"));
                    ok = false;
                }
            }
        }
        for literal in g.value.literals.iter().flatten() {
            match literal.split_once('=') {
                Some((key, value)) if !key.is_empty() => {
                    pairs.push((key.to_string(), remove_quotes(value).as_bytes().to_vec()));
                }
                _ => {
                    self.error(
                        at,
                        format!("invalid literal source `{literal}`; write KEY=VALUE"),
                    );
                    ok = false;
                }
            }
        }
        for source in g.value.files.iter().flatten() {
            let (key, path) = match source.matches('=').count() {
                0 => (
                    source.rsplit('/').next().unwrap_or(source).to_string(),
                    source.clone(),
                ),
                1 if !source.starts_with('=') && !source.ends_with('=') => {
                    let (k, p) = source.split_once('=').expect("one =");
                    (k.to_string(), p.to_string())
                }
                _ => {
                    self.error(
                        at,
                        format!("file source `{source}`: write `[KEY=]PATH` with one `=`"),
                    );
                    ok = false;
                    continue;
                }
            };
            match self.generator_file(dir, at, &path) {
                Some(bytes) => pairs.push((key, bytes)),
                None => ok = false,
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (key, _) in &pairs {
            let valid = !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if !valid {
                self.error(
                    at,
                    format!(
                        "`{key}` is not a valid ConfigMap or Secret key (letters, digits, `-`, \
                         `_`, `.`)"
                    ),
                );
                ok = false;
            } else if !seen.insert(key.clone()) {
                self.error(
                    at,
                    format!("the generator repeats the key `{key}`; keep one"),
                );
                ok = false;
            }
        }
        ok.then_some(pairs)
    }

    /// The bytes of a generator's file, inside the root and a regular file.
    fn generator_file(&mut self, dir: &Path, at: &Origin, path: &str) -> Option<Vec<u8>> {
        let real = self.local_path(dir, at, path, "generator file")?;
        if self.src.kind(&real).is_none() {
            self.error(
                at,
                format!(
                    "generator file `{path}` is not a regular file (a device, FIFO or socket); \
                     name a regular file"
                ),
            );
            return None;
        }
        match self.src.read(&real) {
            Ok(bytes) if self.charge_bytes(bytes.len(), at) => Some(bytes),
            Ok(_) => None,
            Err(e) => {
                self.error(at, format!("cannot read generator file `{path}`: {e}"));
                None
            }
        }
    }
}

/// `KEY=VALUE` lines of an env file (comments and blank lines skipped; a key without `=` has
/// an empty value).
fn env_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    for (n, raw) in text.split(|b| *b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = std::str::from_utf8(raw)
            .map_err(|_| format!("line {} is not UTF-8", n + 1))?
            .trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        let valid = !key.is_empty()
            && !key.as_bytes()[0].is_ascii_digit()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid {
            return Err(format!(
                "line {}: `{key}` is not a valid variable name",
                n + 1
            ));
        }
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

/// kustomize strips one pair of matching outer quotes from a literal's value.
fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Base64 as kustomize writes generated data: one line, or lines of 70 characters each ending
/// with a line break when longer.
fn encode_base64(bytes: &[u8]) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(bytes);
    if enc.len() < 70 {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / 70 + 1);
    for chunk in enc.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out
}

/// The object a generator creates.
fn generated(
    kind: &str,
    name: &str,
    g: &GeneratorArgs,
    pairs: &[(String, Vec<u8>)],
    options: &Options,
) -> Res {
    let mut doc = json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}});
    if let Some(ns) = g.namespace.as_deref().filter(|ns| !ns.is_empty()) {
        doc["metadata"]["namespace"] = Value::String(ns.to_string());
    }
    if kind == "Secret" {
        let t = g.secret_type.as_deref().filter(|t| !t.is_empty());
        doc["type"] = Value::String(t.unwrap_or("Opaque").to_string());
        let mut data = Map::new();
        for (k, v) in pairs {
            data.insert(k.clone(), Value::String(encode_base64(v)));
        }
        doc["data"] = Value::Object(data);
    } else {
        let (mut data, mut binary) = (Map::new(), Map::new());
        for (k, v) in pairs {
            match std::str::from_utf8(v) {
                Ok(s) => data.insert(k.clone(), Value::String(s.to_string())),
                Err(_) => binary.insert(k.clone(), Value::String(encode_base64(v))),
            };
        }
        if !data.is_empty() {
            doc["data"] = Value::Object(data);
        }
        if !binary.is_empty() {
            doc["binaryData"] = Value::Object(binary);
        }
    }
    let mut r = Res::new(doc);
    for (key, value) in &options.labels {
        r.set_meta_entry("labels", key, value);
    }
    for (key, value) in &options.annotations {
        r.set_meta_entry("annotations", key, value);
    }
    if options.immutable {
        r.doc.value_mut()["immutable"] = Value::Bool(true);
    }
    r.needs_hash = !options.disable_hash;
    r
}

/// A generated object merged into (`merge`) or replacing (`replace`) `old`: labels and
/// annotations merged, name, namespace and kustomize's records kept from `old`, data merged
/// for `merge`; the hash suffix only when both want it.
fn merged(old: &Res, mut new: Res, merge_data: bool) -> Res {
    for map in ["labels", "annotations"] {
        let mut all = old.doc.value()["metadata"][map]
            .as_object()
            .cloned()
            .unwrap_or_default();
        if let Some(own) = new.doc.value()["metadata"][map].as_object() {
            all.extend(own.clone());
        }
        if !all.is_empty() {
            new.doc.value_mut()["metadata"][map] = Value::Object(all);
        }
    }
    new.doc.value_mut()["metadata"]["name"] = Value::String(old.name().to_string());
    match old.doc.value()["metadata"].get("namespace") {
        Some(ns) => new.doc.value_mut()["metadata"]["namespace"] = ns.clone(),
        None => {
            if let Some(m) = new.doc.value_mut()["metadata"].as_object_mut() {
                m.remove("namespace");
            }
        }
    }
    if merge_data {
        for field in ["data", "binaryData"] {
            let mut all = old.doc.value()[field]
                .as_object()
                .cloned()
                .unwrap_or_default();
            if let Some(own) = new.doc.value()[field].as_object() {
                all.extend(own.clone());
            }
            if !all.is_empty() {
                new.doc.value_mut()[field] = Value::Object(all);
            }
        }
    }
    new.history = old.history.clone();
    new.prev = old.prev.clone();
    new.prefixes = old.prefixes.clone();
    new.suffixes = old.suffixes.clone();
    new.needs_hash = old.needs_hash && new.needs_hash;
    new
}
