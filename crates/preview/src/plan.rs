//! The plan of `up`, pure: rendered objects in, the namespace and the objects to apply out.
//!
//! - Every namespaced object gets the preview namespace; a RoleBinding's ServiceAccount subjects
//!   in the objects' own namespace follow it (as kustomize's namespace transformer does).
//! - Cluster-scoped objects (by the built-in list [`is_cluster_scoped`]) are **skipped with a
//!   warning**: a preview shares the cluster with the real environments, so it never changes
//!   what is cluster-wide (a ClusterRole, a CRD, a webhook); they must exist already. The
//!   overlay's own Namespace objects are replaced by the preview's. [`Scope::Refuse`] makes them
//!   an error instead.
//! - Every object and the namespace carry the preview's labels ([`crate::identity::Stamp`]).
//! - Image overrides go through kustomize's images transformer
//!   ([`ferry_kustomize::transform::apply_image_entry`]); one that matches no container is an
//!   error, so a typo never deploys the old image silently.

use serde::Serialize;
use serde_json::{Map, Value, json};

use ferry_kustomize::ImageEntry;
use ferry_kustomize::transform::{ImageMatcher, apply_image_entry, containers_of, split_reference};

use crate::error::PlanError;
use crate::identity::{Preview, RESOURCES, Stamp};
use crate::resource::{ResourceType, is_cluster_scoped};

/// What to do with cluster-scoped objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Leave them out, with a warning (the default).
    #[default]
    Skip,
    /// Refuse the plan.
    Refuse,
}

/// An image override: the image as the manifests name it, and the reference to run instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageOverride {
    /// The image name the containers use, without tag or digest (`ghcr.io/acme/backend`).
    pub name: String,
    /// The full reference to run (`ghcr.io/acme/backend:1.5.0`, with a digest or not).
    pub image: String,
}

impl ImageOverride {
    /// The `images:` entry that sets it.
    pub fn entry(&self) -> ImageEntry {
        let (name, tag, digest) = split_reference(&self.image);
        ImageEntry {
            name: self.name.clone(),
            new_name: (name != self.name).then(|| name.to_string()),
            new_tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
            tag_suffix: None,
        }
    }
}

/// An object left out of the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// `Kind/name`.
    pub object: String,
    /// Why.
    pub reason: String,
}

/// A Service of the preview and the URL tests reach it at inside the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceUrl {
    /// The Service's name.
    pub name: String,
    /// `http://NAME.NAMESPACE.svc.cluster.local:PORT`.
    pub url: String,
}

/// An image override and how many containers it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageApplied {
    /// The image name matched.
    pub name: String,
    /// The reference set.
    pub image: String,
    /// Containers changed.
    pub containers: usize,
}

/// What `up` applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The preview.
    pub preview: Preview,
    /// The Namespace object, labelled, listing the resource types in its annotation.
    pub namespace: Value,
    /// The objects, in rendered order, namespace set and labelled.
    pub objects: Vec<Value>,
    /// The resource types of `objects`, in first-seen order.
    pub resources: Vec<ResourceType>,
    /// Objects left out.
    pub skipped: Vec<Skipped>,
    /// Services and their URLs.
    pub services: Vec<ServiceUrl>,
    /// Workloads the health wait follows (`Kind/name` as the monitor spells it).
    pub workloads: Vec<String>,
    /// The image overrides applied.
    pub images: Vec<ImageApplied>,
}

/// `Kind/name` of an object, for messages.
pub fn describe(obj: &Value) -> String {
    format!(
        "{}/{}",
        obj.get("kind").and_then(Value::as_str).unwrap_or("?"),
        obj.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?")
    )
}

fn merge_into(obj: &mut Value, key: &str, extra: &Map<String, Value>) {
    let Some(metadata) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let entry = metadata
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Some(map) = entry.as_object_mut() {
        for (k, v) in extra {
            map.insert(k.clone(), v.clone());
        }
    }
}

/// The plan of `preview` for the rendered `objects`.
pub fn plan(
    objects: Vec<Value>,
    preview: &Preview,
    stamp: &Stamp,
    images: &[ImageOverride],
    scope: Scope,
) -> Result<Plan, PlanError> {
    let labels = stamp.labels(preview);
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let mut refused = Vec::new();
    let mut resources: Vec<ResourceType> = Vec::new();
    let mut original_namespaces: Vec<String> = Vec::new();
    for (i, obj) in objects.into_iter().enumerate() {
        let what = describe(&obj);
        let missing = |reason: &str| PlanError::Object {
            index: i + 1,
            what: what.clone(),
            reason: reason.into(),
        };
        if !obj.is_object() {
            return Err(missing("not an object"));
        }
        let api_version = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("no apiVersion"))?
            .to_string();
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("no kind"))?
            .to_string();
        obj.pointer("/metadata/name")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("no metadata.name"))?;
        if is_cluster_scoped(&api_version, &kind) {
            if kind == "Namespace" && api_version == "v1" {
                skipped.push(Skipped {
                    object: what,
                    reason: format!("replaced by the preview namespace {}", preview.namespace),
                });
            } else if scope == Scope::Refuse {
                refused.push(what);
            } else {
                skipped.push(Skipped {
                    object: what,
                    reason: "cluster-scoped: a preview never changes cluster-wide objects; it \
                             must exist already"
                        .into(),
                });
            }
            continue;
        }
        if let Some(ns) = obj.pointer("/metadata/namespace").and_then(Value::as_str)
            && !original_namespaces.iter().any(|n| n == ns)
        {
            original_namespaces.push(ns.to_string());
        }
        let resource = ResourceType::of(&api_version, &kind);
        if !resources.contains(&resource) {
            resources.push(resource);
        }
        out.push(obj);
    }
    if !refused.is_empty() {
        return Err(PlanError::ClusterScoped { objects: refused });
    }
    let mut applied = Vec::new();
    for image in images {
        let entry = image.entry();
        let matcher =
            ImageMatcher::new(&regex_quote(&image.name)).map_err(|_| PlanError::ImageUnused {
                name: image.name.clone(),
                images: Vec::new(),
            })?;
        let containers: usize = out
            .iter_mut()
            .map(|o| apply_image_entry(o, &entry, &matcher, true, &[]))
            .sum();
        let runs = out.iter().any(|o| {
            containers_of(o)
                .iter()
                .any(|(_, img, _)| matcher.is_match(img) || split_reference(img).0 == image.name)
        });
        if containers == 0 && !runs {
            let mut all: Vec<String> = out
                .iter()
                .flat_map(containers_of)
                .map(|(_, img, _)| img)
                .collect();
            all.sort();
            all.dedup();
            return Err(PlanError::ImageUnused {
                name: image.name.clone(),
                images: all,
            });
        }
        applied.push(ImageApplied {
            name: image.name.clone(),
            image: image.image.clone(),
            containers,
        });
    }
    let mut services = Vec::new();
    let mut workloads = Vec::new();
    for obj in &mut out {
        if let Some(metadata) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.insert("namespace".into(), json!(preview.namespace));
        }
        merge_into(obj, "labels", &labels);
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        match kind {
            "RoleBinding" => retarget_subjects(obj, &original_namespaces, &preview.namespace),
            "Service" => {
                let port = obj
                    .pointer("/spec/ports/0/port")
                    .and_then(Value::as_u64)
                    .unwrap_or(80);
                services.push(ServiceUrl {
                    url: format!(
                        "http://{name}.{}.svc.cluster.local:{port}",
                        preview.namespace
                    ),
                    name,
                });
            }
            "Deployment" | "StatefulSet" | "DaemonSet" | "Rollout" => {
                workloads.push(format!("{kind}/{name}"));
            }
            _ => {}
        }
    }
    let mut namespace = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": preview.namespace},
    });
    merge_into(&mut namespace, "labels", &labels);
    let mut annotations = stamp.annotations();
    annotations.insert(
        RESOURCES.into(),
        json!(
            serde_json::to_string(
                &resources
                    .iter()
                    .map(ResourceType::to_string)
                    .collect::<Vec<_>>()
            )
            .expect("strings serialise")
        ),
    );
    merge_into(&mut namespace, "annotations", &annotations);
    Ok(Plan {
        preview: preview.clone(),
        namespace,
        objects: out,
        resources,
        skipped,
        services,
        workloads,
        images: applied,
    })
}

/// A regular expression matching `name` literally (kustomize's entry names are expressions).
fn regex_quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | ':') {
            out.push(c);
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

fn retarget_subjects(obj: &mut Value, from: &[String], to: &str) {
    let Some(subjects) = obj.get_mut("subjects").and_then(Value::as_array_mut) else {
        return;
    };
    for subject in subjects {
        let is_sa = subject.get("kind").and_then(Value::as_str) == Some("ServiceAccount");
        let ns = subject.get("namespace").and_then(Value::as_str);
        if is_sa
            && ns.is_some_and(|n| from.iter().any(|f| f == n))
            && let Some(map) = subject.as_object_mut()
        {
            map.insert("namespace".into(), json!(to));
        }
    }
}
