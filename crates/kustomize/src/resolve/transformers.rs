//! The built-in transformers after the patches, in kustomize's order: namespace, name prefix and
//! suffix, labels, annotations (then, after the JSON 6902 patches, replicas), with kustomize's
//! field specs.

use std::path::Path;

use serde_json::Value;

use super::builder::{Builder, Origin};
use super::fieldspec::{Leaf, selects, set_custom_entries, set_entries, split_path, visit};
use super::fieldspecs::{self, FieldSpec};
use super::resource::{Res, str_at};
use super::shared::created_for;
use crate::model::Kustomization;

/// `metadata/labels` of every object: where `labels` entries go by default.
const METADATA_LABELS: FieldSpec = FieldSpec {
    group: "",
    version: "",
    kind: "",
    path: "metadata/labels",
    create: true,
};

impl Builder<'_> {
    /// The namespace, name prefix and suffix, labels and annotations of `k`, applied to every
    /// resource; false (with an error) when the copies exceed the run's limits.
    pub(super) fn apply_names_and_metadata(
        &mut self,
        file: &Path,
        k: &Kustomization,
        acc: &mut [Res],
    ) -> bool {
        // Names, labels and annotations are copied into every resource.
        let meta: usize = [&k.namespace, &k.name_prefix, &k.name_suffix]
            .into_iter()
            .flatten()
            .map(|s| s.value.len())
            .chain(
                k.common_labels
                    .iter()
                    .flat_map(|l| l.value.iter().map(|(a, b)| a.len() + b.len())),
            )
            .chain(
                k.labels
                    .iter()
                    .flatten()
                    .flat_map(|l| l.pairs.iter().map(|(a, b)| a.len() + b.len())),
            )
            .chain(
                k.common_annotations
                    .iter()
                    .flatten()
                    .map(|(a, b)| a.len() + b.len()),
            )
            .sum();
        let whole = Origin {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
        };
        if !self.charge_bytes(meta.saturating_mul(acc.len()), &whole) {
            return false;
        }
        if let Some(ns) = k.namespace.as_ref().filter(|ns| !ns.value.is_empty()) {
            acc.iter_mut().for_each(|r| set_namespace(r, &ns.value));
        }
        if let Some(prefix) = k.name_prefix.as_ref().filter(|p| !p.value.is_empty()) {
            for r in acc.iter_mut().filter(|r| renamable(r)) {
                r.prefixes.push(prefix.value.clone());
                r.store_previous_id();
                let name = format!("{}{}", prefix.value, r.name());
                r.set_meta("name", &name);
            }
        }
        if let Some(suffix) = k.name_suffix.as_ref().filter(|s| !s.value.is_empty()) {
            for r in acc.iter_mut().filter(|r| renamable(r)) {
                r.suffixes.push(suffix.value.clone());
                r.store_previous_id();
                let name = format!("{}{}", r.name(), suffix.value);
                r.set_meta("name", &name);
            }
        }
        for label in k.labels.iter().flatten() {
            let pairs: Vec<(String, String)> = label
                .pairs
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect();
            let mut specs: Vec<FieldSpec> = Vec::new();
            let custom: Vec<(String, String, String, String, bool)> = label
                .fields
                .iter()
                .map(|f| {
                    (
                        f.group.clone().unwrap_or_default(),
                        f.version.clone().unwrap_or_default(),
                        f.kind.clone().unwrap_or_default(),
                        f.path.clone(),
                        f.create,
                    )
                })
                .collect();
            if label.include_selectors {
                specs.extend_from_slice(fieldspecs::COMMON_LABELS);
            } else {
                if label.include_templates {
                    specs.extend_from_slice(fieldspecs::TEMPLATE_LABELS);
                }
                specs.push(METADATA_LABELS);
            }
            for r in acc.iter_mut() {
                let mut created = created_for(pairs.len());
                set_entries(r.doc.value_mut(), &specs, &pairs, &mut created);
                set_custom_entries(r.doc.value_mut(), &custom, &pairs, &mut created);
                r.note_created(created, file, "labels");
            }
        }
        if let Some(labels) = k.common_labels.as_ref() {
            let pairs: Vec<(String, String)> = labels
                .value
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect();
            for r in acc.iter_mut() {
                let mut created = created_for(pairs.len());
                set_entries(
                    r.doc.value_mut(),
                    fieldspecs::COMMON_LABELS,
                    &pairs,
                    &mut created,
                );
                r.note_created(created, file, "commonLabels");
            }
        }
        if let Some(annotations) = k.common_annotations.as_ref() {
            let pairs: Vec<(String, String)> = annotations
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect();
            for r in acc.iter_mut() {
                let mut created = created_for(pairs.len());
                set_entries(
                    r.doc.value_mut(),
                    fieldspecs::COMMON_ANNOTATIONS,
                    &pairs,
                    &mut created,
                );
                r.note_created(created, file, "commonAnnotations");
            }
        }
        true
    }

    /// `replicas:`: the count of each named Deployment, ReplicationController, ReplicaSet or
    /// StatefulSet (by any name it had); an entry that names none is an error, as in kustomize.
    pub(super) fn apply_replicas(&mut self, file: &Path, k: &Kustomization, acc: &mut [Res]) {
        for replica in k.replicas.iter().flatten() {
            let mut found = false;
            for spec in fieldspecs::REPLICAS {
                let path = split_path(spec.path);
                for r in acc.iter_mut() {
                    let named =
                        r.name() == replica.name || r.prev.iter().any(|(_, n)| *n == replica.name);
                    if !named || !selects(spec, r.api_version(), r.kind()) {
                        continue;
                    }
                    found = true;
                    let count = replica.count;
                    visit(r.doc.value_mut(), &path, Some(Leaf::Scalar), &mut |node| {
                        *node = Value::from(count);
                    });
                }
            }
            if !found {
                let at = Origin {
                    file: file.to_path_buf(),
                    line: 0,
                    column: 0,
                };
                self.error(
                    &at,
                    format!(
                        "`replicas`: no Deployment, ReplicationController, ReplicaSet or \
                         StatefulSet is named `{}`; fix the name or remove the entry",
                        replica.name
                    ),
                );
            }
        }
    }
}

/// Whether a name prefix or suffix applies: not to custom resource definitions, namespaces
/// and API services.
fn renamable(r: &Res) -> bool {
    !(matches!(r.kind(), "CustomResourceDefinition" | "Namespace")
        || (r.kind() == "APIService" && r.group() == "apiregistration.k8s.io"))
}

/// kustomize's namespace transformer on one object.
fn set_namespace(r: &mut Res, ns: &str) {
    if r.doc.is_empty_map() {
        return;
    }
    r.store_previous_id();
    if !r.cluster_scoped() {
        r.set_meta("namespace", ns);
    }
    let api_version = r.api_version().to_string();
    let kind = r.kind().to_string();
    for spec in fieldspecs::NAMESPACE
        .iter()
        .filter(|s| selects(s, &api_version, &kind))
    {
        if spec.path == "metadata/name" {
            if api_version == "v1" {
                r.set_meta("name", ns);
            }
            continue;
        }
        let path = split_path(spec.path);
        if !spec.create && !r.doc.may_hold(&path) {
            // Nothing to change, and no need to decode the document to know it.
            continue;
        }
        let create = spec.create.then_some(Leaf::Scalar);
        visit(r.doc.value_mut(), &path, create, &mut |node| {
            *node = Value::String(ns.to_string());
        });
    }
    if matches!(kind.as_str(), "RoleBinding" | "ClusterRoleBinding")
        && let Some(subjects) = r
            .doc
            .value_mut()
            .get_mut("subjects")
            .and_then(Value::as_array_mut)
    {
        for s in subjects.iter_mut() {
            if str_at(s, &["name"]) == "default"
                && let Some(m) = s.as_object_mut()
            {
                m.insert("namespace".into(), Value::String(ns.to_string()));
            }
        }
    }
}
