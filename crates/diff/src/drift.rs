//! Drift: two environments compared object by object after what is meant to differ between
//! them is taken out: the namespace and the name prefix and suffix of each overlay (and the
//! content hash of generated names), in names and in every reference to them.

use std::collections::HashMap;

use serde_json::Value;

use crate::Object;
use crate::compare::{CompareOptions, Comparison, Entry, compare_entries};
use crate::object::ObjectId;

/// What an environment's overlay sets that makes its objects' names and namespaces its own:
/// its kustomization's `namespace`, `namePrefix` and `nameSuffix`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Naming {
    /// The overlay's `namespace`.
    pub namespace: Option<String>,
    /// The overlay's `namePrefix`.
    pub name_prefix: String,
    /// The overlay's `nameSuffix`.
    pub name_suffix: String,
}

/// What a namespace reference reads as once the environment's namespace is taken out.
pub const NAMESPACE_PLACEHOLDER: &str = "(namespace)";

/// Compares environment `a` (the old side) with environment `b` (the new side): added means
/// only in `b`, removed only in `a`. With `ignore_images`, images are no difference.
pub fn drift(
    a: &[Object],
    a_naming: &Naming,
    b: &[Object],
    b_naming: &Naming,
    ignore_images: bool,
) -> Comparison {
    compare_entries(
        normalize(a, a_naming),
        normalize(b, b_naming),
        CompareOptions { ignore_images },
    )
}

/// The objects of one environment with its namespace, prefixes, suffixes and hashes taken out.
pub(crate) fn normalize(objects: &[Object], naming: &Naming) -> Vec<Entry> {
    let renames: HashMap<String, String> = objects
        .iter()
        .filter_map(|o| {
            let plain = plain_name(o, naming);
            (plain != o.name).then(|| (o.name.clone(), plain))
        })
        .collect();
    objects
        .iter()
        .map(|object| {
            let mut id = ObjectId::of(object);
            id.name = plain_name(object, naming);
            let mut value = object.value.clone();
            if naming.namespace.is_some() && id.namespace == naming.namespace {
                id.namespace = None;
                if let Some(Value::Object(metadata)) = value.get_mut("metadata") {
                    metadata.remove("namespace");
                }
            }
            rewrite(&mut value, &renames, naming.namespace.as_deref(), None, 0);
            if let Some(Value::Object(metadata)) = value.get_mut("metadata") {
                metadata.insert("name".into(), Value::String(id.name.clone()));
            }
            Entry {
                id,
                value,
                yaml: None,
                generated: None,
            }
        })
        .collect()
}

/// A name without the environment's prefix and suffix (and a generated object's hash).
fn plain_name(object: &Object, naming: &Naming) -> String {
    let mut name = object.generated.as_deref().unwrap_or(&object.name);
    if let Some(rest) = name.strip_prefix(naming.name_prefix.as_str())
        && !rest.is_empty()
    {
        name = rest;
    }
    if let Some(rest) = name.strip_suffix(naming.name_suffix.as_str())
        && !rest.is_empty()
    {
        name = rest;
    }
    name.to_owned()
}

/// Replaces references: strings equal to a renamed object's name, and `namespace` fields equal
/// to the environment's namespace.
fn rewrite(
    value: &mut Value,
    renames: &HashMap<String, String>,
    namespace: Option<&str>,
    key: Option<&str>,
    depth: usize,
) {
    if depth > 128 {
        return;
    }
    match value {
        Value::String(s) => {
            if key == Some("namespace") && Some(s.as_str()) == namespace {
                *s = NAMESPACE_PLACEHOLDER.to_owned();
            } else if let Some(plain) = renames.get(s.as_str()) {
                *s = plain.clone();
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite(item, renames, namespace, None, depth + 1);
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                rewrite(v, renames, namespace, Some(k), depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(kind: &str, ns: &str, name: &str, spec: Value) -> Object {
        object_from(kind, ns, name, None, spec)
    }

    fn object_from(
        kind: &str,
        ns: &str,
        name: &str,
        generated: Option<&str>,
        spec: Value,
    ) -> Object {
        let mut value = json!({"apiVersion": "v1", "kind": kind,
                               "metadata": {"name": name, "namespace": ns}});
        value
            .as_object_mut()
            .expect("an object")
            .extend(spec.as_object().expect("an object").clone());
        Object {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: Some(ns.into()),
            name: name.into(),
            generated: generated.map(Into::into),
            yaml: String::new(),
            value,
        }
    }

    fn env(ns: &str, prefix: &str, hash: &str, level: &str, image: &str) -> Vec<Object> {
        let config = format!("{prefix}app-config-{hash}");
        let generated = format!("{prefix}app-config");
        vec![
            object_from(
                "ConfigMap",
                ns,
                &config,
                Some(&generated),
                json!({"data": {"LEVEL": level}}),
            ),
            object(
                "Pod",
                ns,
                &format!("{prefix}web"),
                json!({"spec": {"containers": [{"name": "web", "image": image,
                    "envFrom": [{"configMapRef": {"name": config}}]}],
                    "serviceAccountName": format!("{prefix}web"),
                    "subjects": [{"namespace": ns}]}}),
            ),
        ]
    }

    fn naming(ns: &str, prefix: &str) -> Naming {
        Naming {
            namespace: Some(ns.into()),
            name_prefix: prefix.into(),
            name_suffix: String::new(),
        }
    }

    #[test]
    fn namespaces_prefixes_and_hashes_are_no_drift() {
        let a = env("staging", "staging-", "7b9fk2g5dm", "info", "web:1");
        let b = env("prod", "prod-", "h5dk8t2b9c", "info", "web:1");
        let same = drift(
            &a,
            &naming("staging", "staging-"),
            &b,
            &naming("prod", "prod-"),
            false,
        );
        assert!(same.is_empty(), "{same:#?}");
        assert_eq!(same.unchanged, 2);
    }

    #[test]
    fn images_are_drift_unless_ignored_and_data_always() {
        let a = env("staging", "", "7b9fk2g5dm", "info", "web:2");
        let b = env("prod", "", "h5dk8t2b9c", "warn", "web:1");
        let (na, nb) = (naming("staging", ""), naming("prod", ""));
        let all = drift(&a, &na, &b, &nb, false);
        assert_eq!(all.counts().changed, 2, "{all:#?}");
        assert_eq!(all.images().count(), 1);
        let beyond = drift(&a, &na, &b, &nb, true);
        assert_eq!(beyond.counts().changed, 1, "{beyond:#?}");
        assert_eq!(beyond.objects[0].id.kind, "ConfigMap");
        assert_eq!(beyond.objects[0].id.name, "app-config");
        assert_eq!(beyond.images().count(), 0);
    }
}
