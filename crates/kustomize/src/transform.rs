//! The transformations that can change which images run: the images transformer (kustomize v5.5
//! semantics), JSON 6902 patches and strategic-merge patches, on resources held as JSON values.

use regex::Regex;
use serde_json::{Map, Value};

use crate::images::ImageEntry;

/// Splits an image as kustomize does (`image.Split`), without validating it: name, tag and
/// digest (without `:`/`@`; `None` when absent). The first `@` starts the digest; the first `:`
/// after the last `/` before it starts the tag, so a registry port (`host:5000/app`) is part of
/// the name. The one place this crate splits an image; strict parsing is
/// `ferry_image::reference`.
pub fn split_reference(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    let last = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last..].find(':') {
        Some(i) => (&rest[..last + i], Some(&rest[last + i + 1..]), digest),
        None => (rest, None, digest),
    }
}

/// [`split_reference`] with absent parts empty: name, tag and digest.
pub fn split_image(image: &str) -> (&str, &str, &str) {
    let (name, tag, digest) = split_reference(image);
    (name, tag.unwrap_or_default(), digest.unwrap_or_default())
}

/// A compiled `images:` entry name, matched the way kustomize v5.5 does: the entry name is a
/// regular expression for the image name, followed by an optional tag and an optional
/// `@sha256:` digest.
///
/// Names made only of letters, digits and `_ - / : .` (every plain image name) are matched
/// without building a regular expression, with the same meaning (`.` matches any character but
/// a newline): an overlay with thousands of entries resolves in linear time and little memory.
#[derive(Debug, Clone)]
pub struct ImageMatcher(Matcher);

#[derive(Debug, Clone)]
enum Matcher {
    /// The name's characters; `.` stands for any character but `\n`.
    Plain(Vec<char>),
    Regex(Regex),
}

/// Whether `c` may appear in a tag or digest after the name (`[a-zA-Z0-9_.{}-]`).
fn tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '{' | '}' | '-')
}

/// Whether `rest` matches `(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?` whole.
fn tag_and_digest(rest: &str) -> bool {
    let rest = match rest.strip_prefix(':') {
        Some(tagged) => {
            let end = tagged.find(|c: char| !tag_char(c)).unwrap_or(tagged.len());
            &tagged[end..]
        }
        None => rest,
    };
    rest.is_empty()
        || rest
            .strip_prefix("@sha256:")
            .is_some_and(|digest| digest.chars().all(tag_char))
}

impl ImageMatcher {
    /// Compiles the matcher; fails when the name is not a valid regular expression.
    pub fn new(name: &str) -> Result<Self, regex::Error> {
        let plain = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | ':' | '.'));
        if plain {
            return Ok(Self(Matcher::Plain(name.chars().collect())));
        }
        Regex::new(&format!(
            "^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$"
        ))
        .map(|r| Self(Matcher::Regex(r)))
    }

    /// Whether `image` is matched.
    pub fn is_match(&self, image: &str) -> bool {
        match &self.0 {
            Matcher::Regex(r) => r.is_match(image),
            Matcher::Plain(name) => {
                let mut chars = image.char_indices();
                for want in name {
                    match chars.next() {
                        Some((_, c)) if c == *want || (*want == '.' && c != '\n') => {}
                        _ => return false,
                    }
                }
                let at = chars.next().map_or(image.len(), |(i, _)| i);
                tag_and_digest(&image[at..])
            }
        }
    }
}

/// The image after applying one entry (which is assumed to match it): `newName` keeps tag and
/// digest, `newTag` drops the digest, `digest` drops the tag, both keep both. Without either,
/// `tagSuffix` is appended to the current tag (`:` and the suffix when there is no tag) and the
/// digest is dropped, as kustomize v5.5 does.
pub fn update_image(image: &str, entry: &ImageEntry) -> String {
    let (name, tag, digest) = split_image(image);
    let name = entry.new_name.as_deref().unwrap_or(name);
    let new_tag = entry.new_tag.as_deref().filter(|t| !t.is_empty());
    let new_digest = entry.digest.as_deref().filter(|d| !d.is_empty());
    let suffix = entry.tag_suffix.as_deref().filter(|s| !s.is_empty());
    let mut out = name.to_string();
    match (new_tag, new_digest) {
        (Some(t), Some(d)) => out.push_str(&format!(":{t}@{d}")),
        (Some(t), None) => out.push_str(&format!(":{t}")),
        (None, Some(d)) => out.push_str(&format!("@{d}")),
        (None, None) if suffix.is_some() => {
            out.push(':');
            out.push_str(tag);
            out.push_str(suffix.unwrap_or_default());
        }
        (None, None) => {
            if !tag.is_empty() {
                out.push_str(&format!(":{tag}"));
            }
            if !digest.is_empty() {
                out.push_str(&format!("@{digest}"));
            }
        }
    }
    out
}

/// The field specs kustomize's `images` transformer always has (besides those of
/// `configurations:`). Its legacy filter visits the same containers first, so an entry is applied
/// twice to these images: a no-op except for `tagSuffix`, which kubectl v5.5 appends twice there.
pub const DEFAULT_IMAGE_PATHS: [&str; 4] = [
    "spec/containers[]/image",
    "spec/initContainers[]/image",
    "spec/template/spec/containers[]/image",
    "spec/template/spec/initContainers[]/image",
];

/// Applies one images entry to a resource: with `legacy`, to every `containers[]`/`initContainers[]`
/// image at any depth (kustomize's legacy filter, which the images transformer always runs); and to
/// the slash-separated `field_paths` (kustomize field specs such as `spec/image`, walking into
/// sequences). Custom resource definitions are left alone. Returns how many images changed.
pub fn apply_image_entry(
    resource: &mut Value,
    entry: &ImageEntry,
    matcher: &ImageMatcher,
    legacy: bool,
    field_paths: &[&str],
) -> usize {
    if resource.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition") {
        return 0;
    }
    let mut changed = 0;
    let mut set = |v: &mut Value| {
        if let Some(s) = v.as_str()
            && matcher.is_match(s)
        {
            let new = update_image(s, entry);
            if new != s {
                *v = Value::String(new);
                changed += 1;
            }
        }
    };
    if legacy {
        walk_containers(resource, &mut |c| {
            if let Some(img) = c.get_mut("image") {
                set(img);
            }
        });
    }
    for path in field_paths {
        let segs: Vec<&str> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| s.trim_end_matches("[]"))
            .collect();
        visit_path(resource, &segs, &mut set);
    }
    changed
}

fn visit_path(v: &mut Value, segs: &[&str], f: &mut dyn FnMut(&mut Value)) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| visit_path(i, segs, f)),
        Value::Object(map) => {
            let Some((first, rest)) = segs.split_first() else {
                return;
            };
            let Some(child) = map.get_mut(*first) else {
                return;
            };
            match child {
                Value::Array(items) if rest.is_empty() => items.iter_mut().for_each(&mut *f),
                other if rest.is_empty() => f(other),
                other => visit_path(other, rest, f),
            }
        }
        _ => {}
    }
}

/// Calls `f` on every container map found under a `containers` or `initContainers` sequence, at any
/// depth.
pub fn walk_containers(v: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if (k == "containers" || k == "initContainers")
                    && let Value::Array(items) = child
                {
                    for item in items.iter_mut() {
                        if let Value::Object(c) = item {
                            f(c);
                        }
                    }
                }
                walk_containers(child, f);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk_containers(i, f)),
        _ => {}
    }
}

/// Containers of a resource in document order: `(name, image, init)`.
pub fn containers_of(resource: &Value) -> Vec<(String, String, bool)> {
    fn walk(v: &Value, out: &mut Vec<(String, String, bool)>) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    let init = k == "initContainers";
                    if (init || k == "containers")
                        && let Value::Array(items) = child
                    {
                        for c in items {
                            let s = |key: &str| {
                                c.get(key)
                                    .and_then(Value::as_str)
                                    .unwrap_or_default()
                                    .to_string()
                            };
                            out.push((s("name"), s("image"), init));
                        }
                    }
                    walk(child, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(resource, &mut out);
    out
}

/// A JSON 6902 patch failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("operation {index} ({op} {path}): {reason}")]
pub struct JsonPatchError {
    /// 0-based operation index.
    pub index: usize,
    /// The operation name.
    pub op: String,
    /// The operation path.
    pub path: String,
    /// What went wrong.
    pub reason: String,
}

fn parse_pointer(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err("a JSON pointer must start with `/`".into());
    };
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn index_of(token: &str, len: usize, allow_end: bool) -> Result<usize, String> {
    if allow_end && token == "-" {
        return Ok(len);
    }
    let i: usize = token
        .parse()
        .map_err(|_| format!("`{token}` is not an array index"))?;
    let max = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    if i > max || (!allow_end && len == 0) {
        return Err(format!("index {i} is out of range"));
    }
    Ok(i)
}

fn get_mut<'a>(doc: &'a mut Value, tokens: &[String]) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for t in tokens {
        cur = match cur {
            Value::Object(m) => m
                .get_mut(t)
                .ok_or_else(|| format!("`{t}` does not exist"))?,
            Value::Array(a) => {
                let i = index_of(t, a.len(), false)?;
                &mut a[i]
            }
            _ => return Err(format!("cannot descend into a scalar at `{t}`")),
        };
    }
    Ok(cur)
}

fn remove_at(doc: &mut Value, tokens: &[String]) -> Result<Value, String> {
    let (last, parent) = tokens
        .split_last()
        .ok_or_else(|| "cannot remove the whole document".to_string())?;
    match get_mut(doc, parent)? {
        Value::Object(m) => m
            .shift_remove(last)
            .ok_or_else(|| format!("`{last}` does not exist")),
        Value::Array(a) => {
            let i = index_of(last, a.len(), false)?;
            Ok(a.remove(i))
        }
        _ => Err("parent is a scalar".into()),
    }
}

/// `add` (`insert`) or `replace` at `tokens`. A map key is set either way: `replace` of a
/// missing last key adds it, as kustomize's JSON patch library does
/// (`…/containers/0/imagePullPolicy`); a missing parent is an error. In an array, `add` inserts
/// (`-` appends) and `replace` overwrites an existing index.
fn set_at(doc: &mut Value, tokens: &[String], value: Value, insert: bool) -> Result<(), String> {
    let Some((last, parent)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    match get_mut(doc, parent)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            let i = index_of(last, a.len(), insert)?;
            if insert {
                a.insert(i, value);
            } else {
                a[i] = value;
            }
            Ok(())
        }
        _ => Err("parent is a scalar".into()),
    }
}

/// Applies JSON 6902 operations (`add`, `remove`, `replace`, `move`, `copy`, `test`) to a document.
pub fn apply_json6902(doc: &mut Value, ops: &[Value]) -> Result<(), JsonPatchError> {
    for (index, op) in ops.iter().enumerate() {
        let name = op.get("op").and_then(Value::as_str).unwrap_or_default();
        let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
        let fail = |reason: String| JsonPatchError {
            index,
            op: name.to_string(),
            path: path.to_string(),
            reason,
        };
        if op.get("path").and_then(Value::as_str).is_none() {
            return Err(fail("`path` is missing".into()));
        }
        let tokens = parse_pointer(path).map_err(fail)?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| fail("`value` is missing".into()))
        };
        let from = || {
            op.get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| fail("`from` is missing".into()))
                .and_then(|f| parse_pointer(f).map_err(fail))
        };
        match name {
            "add" => set_at(doc, &tokens, value()?, true).map_err(fail)?,
            "remove" => {
                remove_at(doc, &tokens).map_err(fail)?;
            }
            "replace" => set_at(doc, &tokens, value()?, false).map_err(fail)?,
            "move" => {
                let moved = remove_at(doc, &from()?).map_err(fail)?;
                set_at(doc, &tokens, moved, true).map_err(fail)?;
            }
            "copy" => {
                let copied = get_mut(doc, &from()?).map_err(fail)?.clone();
                set_at(doc, &tokens, copied, true).map_err(fail)?;
            }
            "test" => {
                let want = value()?;
                if *get_mut(doc, &tokens).map_err(fail)? != want {
                    return Err(fail("test failed: the value differs".into()));
                }
            }
            other => return Err(fail(format!("unknown operation `{other}`"))),
        }
    }
    Ok(())
}

/// The merge key of a list field of a built-in Kubernetes kind, as kustomize's OpenAPI schema
/// gives it (`x-kubernetes-patch-merge-key`); `None` for lists the schema replaces whole.
/// `ports` merge by `containerPort` in containers and by `port` in services.
fn merge_key(field: &str, items: &[&Value]) -> Option<&'static str> {
    let key = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "conditions" => "type",
        "ownerReferences" => "uid",
        "ports" if items.iter().all(|i| i.get("containerPort").is_some()) => "containerPort",
        "ports" => "port",
        _ => return None,
    };
    items.iter().all(|i| i.get(key).is_some()).then_some(key)
}

fn directive(v: &Value) -> Option<&str> {
    v.get("$patch").and_then(Value::as_str)
}

/// Whether kustomize knows the schema of a resource of `api_version` (a built-in Kubernetes
/// group): only then do lists merge by key; in other kinds (custom resources such as Argo
/// Rollouts) a patch's list replaces the target's.
pub fn has_builtin_schema(api_version: &str) -> bool {
    match api_version.rsplit_once('/') {
        None => true,
        Some((group, _)) => !group.contains('.') || group.ends_with(".k8s.io"),
    }
}

/// Applies a strategic-merge patch as kustomize v5.5 does (maps merge, `null` deletes a key,
/// `$patch: delete|replace` directives) to `target`, a resource of `api_version`.
///
/// Lists with a merge key in the schema of a built-in kind (containers by `name`, …) merge
/// element by element, the patch's elements first in patch order, then the target's other
/// elements in their order (kustomize prepends); every other list is replaced by the patch's.
pub fn strategic_merge(target: &mut Value, patch: &Value, api_version: &str) {
    merge_value(target, patch, None, has_builtin_schema(api_version));
}

fn merge_value(target: &mut Value, patch: &Value, field: Option<&str>, schema: bool) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            if p.get("$patch").and_then(Value::as_str) == Some("replace") {
                let mut replaced = p.clone();
                replaced.shift_remove("$patch");
                *t = replaced;
                return;
            }
            for (k, pv) in p {
                if k.starts_with('$') {
                    continue;
                }
                if pv.is_null() {
                    t.shift_remove(k);
                    continue;
                }
                match t.get_mut(k) {
                    Some(tv) => merge_value(tv, pv, Some(k), schema),
                    None => {
                        let mut v = pv.clone();
                        strip_directives(&mut v);
                        t.insert(k.clone(), v);
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(p)) => {
            merge_list(t, p, field.filter(|_| schema), schema);
        }
        (t, p) => {
            let mut v = p.clone();
            strip_directives(&mut v);
            *t = v;
        }
    }
}

fn merge_list(t: &mut Vec<Value>, p: &[Value], field: Option<&str>, schema: bool) {
    let all_maps = |l: &[Value]| l.iter().all(Value::is_object);
    if p.iter().any(|i| directive(i) == Some("replace")) {
        *t = p
            .iter()
            .filter(|i| directive(i) != Some("replace"))
            .cloned()
            .collect();
        return;
    }
    let items: Vec<&Value> = t
        .iter()
        .chain(p.iter().filter(|i| directive(i).is_none()))
        .collect();
    let key = match field {
        Some(field) if all_maps(t) && all_maps(p) && !p.is_empty() => merge_key(field, &items),
        _ => None,
    };
    let Some(key) = key else {
        *t = p
            .iter()
            .filter(|i| directive(i).is_none())
            .cloned()
            .collect();
        t.iter_mut().for_each(strip_directives);
        return;
    };
    // kustomize prepends: the patch's elements (merged with their originals) in patch order,
    // then the target's other elements in their order; deleted elements go.
    let mut out = Vec::with_capacity(t.len() + p.len());
    for pi in p {
        let Some(kv) = pi.get(key) else { continue };
        if directive(pi) == Some("delete") || out.iter().any(|o: &Value| o.get(key) == Some(kv)) {
            continue;
        }
        let merged = match t.iter().find(|ti| ti.get(key) == Some(kv)) {
            Some(original) => {
                let mut v = original.clone();
                merge_value(&mut v, pi, None, schema);
                v
            }
            None => {
                let mut v = pi.clone();
                strip_directives(&mut v);
                v
            }
        };
        out.push(merged);
    }
    let in_patch = |ti: &Value| {
        p.iter()
            .any(|pi| pi.get(key).is_some() && pi.get(key) == ti.get(key))
    };
    out.extend(t.iter().filter(|ti| !in_patch(ti)).cloned());
    *t = out;
}

fn strip_directives(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.starts_with('$'));
            m.values_mut().for_each(strip_directives);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_directives),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn split_keeps_registry_ports() {
        assert_eq!(
            split_reference("localhost:5000/app:1.2@sha256:ab"),
            ("localhost:5000/app", Some("1.2"), Some("sha256:ab"))
        );
        assert_eq!(
            split_reference("localhost:5000/app"),
            ("localhost:5000/app", None, None)
        );
        assert_eq!(split_reference("nginx:1.27"), ("nginx", Some("1.27"), None));
        assert_eq!(split_reference("app:"), ("app", Some(""), None));
        assert_eq!(split_image("app@"), ("app", "", ""));
    }

    fn entry(
        name: &str,
        new_name: Option<&str>,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> ImageEntry {
        ImageEntry {
            name: name.into(),
            new_name: new_name.map(Into::into),
            new_tag: tag.map(Into::into),
            digest: digest.map(Into::into),
            ..ImageEntry::default()
        }
    }

    #[test]
    fn plain_names_match_as_their_regular_expression_does() {
        let names = [
            "nginx",
            "reg.io/a/b",
            "localhost:5000/app",
            "a-b_c",
            "x.y",
            ".",
            "a.b.c",
        ];
        let images = [
            "nginx",
            "nginx:1",
            "nginx:1@sha256:ab",
            "nginx@sha256:ab",
            "nginx:",
            "nginx:a:b",
            "nginx@md5:ab",
            "nginxx",
            "ngin",
            "reg.io/a/b:1",
            "regXio/a/b",
            "localhost:5000/app:2",
            "a-b_c:{x}",
            "x\ny",
            "xzy",
            "a",
            "é",
            "a.b.c@sha256:",
            "aébéc",
            "nginx:1\n",
        ];
        for name in names {
            let plain = ImageMatcher::new(name).unwrap();
            assert!(matches!(plain.0, Matcher::Plain(_)), "{name}");
            let regex = Regex::new(&format!(
                "^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$"
            ))
            .unwrap();
            for image in images {
                assert_eq!(
                    plain.is_match(image),
                    regex.is_match(image),
                    "{name} ~ {image:?}"
                );
            }
        }
    }

    #[test]
    fn tag_suffix_as_kubectl_v5_5_renders_it() {
        let suffix = |new_name: Option<&str>, tag: Option<&str>, digest: Option<&str>| ImageEntry {
            tag_suffix: Some("-x".into()),
            ..entry("nginx", new_name, tag, digest)
        };
        // Appended to the tag, or to an empty tag; the digest is dropped.
        assert_eq!(
            update_image("nginx:1.0", &suffix(None, None, None)),
            "nginx:1.0-x"
        );
        assert_eq!(update_image("nginx", &suffix(None, None, None)), "nginx:-x");
        assert_eq!(
            update_image("nginx:1@sha256:ab", &suffix(None, None, None)),
            "nginx:1-x"
        );
        assert_eq!(
            update_image("nginx", &suffix(Some("r2"), None, None)),
            "r2:-x"
        );
        // Ignored next to newTag or digest.
        assert_eq!(
            update_image("nginx:1", &suffix(None, Some("2"), None)),
            "nginx:2"
        );
        assert_eq!(
            update_image("nginx:1", &suffix(None, None, Some("sha256:ab"))),
            "nginx@sha256:ab"
        );
        // The legacy pass and the default field specs both visit a Deployment's containers.
        let mut d = json!({"kind": "Deployment", "spec": {"template": {"spec": {
            "containers": [{"name": "a", "image": "nginx:1.0"}]}}}});
        let m = ImageMatcher::new("nginx").unwrap();
        apply_image_entry(
            &mut d,
            &suffix(None, None, None),
            &m,
            true,
            &DEFAULT_IMAGE_PATHS,
        );
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:1.0-x-x"
        );
        // A CronJob's containers are visited once.
        let mut c = json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {
            "spec": {"containers": [{"name": "a", "image": "nginx:1.0"}]}}}}}});
        apply_image_entry(
            &mut c,
            &suffix(None, None, None),
            &m,
            true,
            &DEFAULT_IMAGE_PATHS,
        );
        assert_eq!(
            c["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:1.0-x"
        );
    }

    #[test]
    fn update_rules() {
        let img = "nginx:1.2@sha256:abc";
        assert_eq!(
            update_image(img, &entry("nginx", Some("a"), None, None)),
            "a:1.2@sha256:abc"
        );
        assert_eq!(
            update_image(img, &entry("nginx", None, Some("2"), None)),
            "nginx:2"
        );
        assert_eq!(
            update_image(img, &entry("nginx", None, None, Some("sha256:d"))),
            "nginx@sha256:d"
        );
        assert_eq!(
            update_image("host:5000/x", &entry("host:5000/x", None, Some("1"), None)),
            "host:5000/x:1"
        );
    }

    #[test]
    fn json6902_ops() {
        let mut d = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        let ops = json!([
            {"op": "replace", "path": "/spec/containers/0/image", "value": "y"},
            {"op": "add", "path": "/spec/containers/-", "value": {"name": "b", "image": "z"}},
            {"op": "test", "path": "/spec/containers/1/name", "value": "b"},
            {"op": "copy", "from": "/spec/containers/1", "path": "/spec/containers/0"},
            {"op": "remove", "path": "/spec/containers/2"}
        ]);
        apply_json6902(&mut d, ops.as_array().unwrap()).unwrap();
        assert_eq!(
            d,
            json!({"spec": {"containers": [{"name": "b", "image": "z"}, {"name": "a", "image": "y"}]}})
        );
        let err =
            apply_json6902(&mut d, &[json!({"op": "remove", "path": "/spec/nope"})]).unwrap_err();
        assert!(err.reason.contains("nope"));
    }

    #[test]
    fn json6902_replace_adds_a_missing_key_only() {
        let mut d = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        let ops = [
            json!({"op": "replace", "path": "/spec/containers/0/imagePullPolicy", "value": "Always"}),
        ];
        apply_json6902(&mut d, &ops).unwrap();
        assert_eq!(d["spec"]["containers"][0]["imagePullPolicy"], "Always");
        for path in ["/spec/nope/x", "/spec/containers/1"] {
            let op = json!({"op": "replace", "path": path, "value": 1});
            assert!(apply_json6902(&mut d, &[op]).is_err(), "{path}");
        }
    }

    fn names(d: &Value) -> Vec<&str> {
        d["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn smp_merges_containers_by_name_patch_elements_first() {
        let mut d = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}});
        strategic_merge(
            &mut d,
            &json!({"spec": {"containers": [{"name": "b", "image": "y2"}, {"name": "c", "image": "z"}, {"name": "a", "$patch": "delete"}]}}),
            "apps/v1",
        );
        assert_eq!(
            d,
            json!({"spec": {"containers": [{"name": "b", "image": "y2"}, {"name": "c", "image": "z"}]}})
        );
        // As kubectl kustomize v5.5 renders them.
        let abc = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}});
        for (patch, want) in [
            (vec!["c"], vec!["c", "a", "b"]),
            (vec!["b", "d"], vec!["b", "d", "a", "c"]),
            (vec!["d", "b"], vec!["d", "b", "a", "c"]),
            (vec!["c", "a"], vec!["c", "a", "b"]),
        ] {
            let mut d = abc.clone();
            let list: Vec<Value> = patch.iter().map(|n| json!({"name": n})).collect();
            strategic_merge(&mut d, &json!({"spec": {"containers": list}}), "apps/v1");
            assert_eq!(names(&d), want, "{patch:?}");
        }
        // Custom resources have no schema in kustomize: the patch's list replaces the target's.
        let mut d = abc.clone();
        strategic_merge(
            &mut d,
            &json!({"spec": {"containers": [{"name": "c"}, {"name": "d"}]}}),
            "argoproj.io/v1alpha1",
        );
        assert_eq!(names(&d), ["c", "d"]);
    }
}
