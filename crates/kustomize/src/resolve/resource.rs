//! The resource model of a build: an object with the ids it had before renames, and
//! kustomize's ids, scopes and selections of it.

use serde_json::Value;

use super::resolution::{Container, Workload};
use crate::transform;

/// A resource being built, with the ids (namespace, name) it had before renames.
#[derive(Debug, Clone)]
pub(super) struct Res {
    pub(super) doc: Value,
    pub(super) history: Vec<(String, String)>,
}

pub(super) fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Kinds that have no namespace (kustomize's built-in list of cluster-scoped kinds).
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "FlowSchema",
    "RuntimeClass",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "StorageClass",
    "SubjectAccessReview",
    "TokenReview",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

impl Res {
    pub(super) fn new(doc: Value) -> Self {
        let mut r = Self {
            doc,
            history: Vec::new(),
        };
        r.history.push(r.id());
        r
    }
    pub(super) fn kind(&self) -> &str {
        str_at(&self.doc, &["kind"])
    }
    pub(super) fn api_version(&self) -> &str {
        str_at(&self.doc, &["apiVersion"])
    }
    pub(super) fn group(&self) -> &str {
        group_of(self.api_version())
    }
    pub(super) fn name(&self) -> &str {
        str_at(&self.doc, &["metadata", "name"])
    }
    pub(super) fn namespace(&self) -> &str {
        str_at(&self.doc, &["metadata", "namespace"])
    }
    pub(super) fn id(&self) -> (String, String) {
        (
            norm_ns(self.namespace()).to_string(),
            self.name().to_string(),
        )
    }
    /// The namespace and name the resource was read with.
    pub(super) fn original(&self) -> &(String, String) {
        &self.history[0]
    }
    /// A namespace as kustomize's selectors see it: `default` when empty, a placeholder for
    /// cluster-scoped kinds.
    pub(super) fn effective_namespace<'a>(&self, ns: &'a str) -> &'a str {
        if self.cluster_scoped() {
            "_non_namespaceable_"
        } else if ns.is_empty() {
            "default"
        } else {
            ns
        }
    }
    pub(super) fn cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED.contains(&self.kind())
    }
    pub(super) fn describe(&self) -> String {
        format!("{}/{}", self.kind(), self.name())
    }
    pub(super) fn set_meta(&mut self, key: &str, value: &str) {
        if !self.doc.get("metadata").is_some_and(Value::is_object) {
            self.doc["metadata"] = Value::Object(Default::default());
        }
        self.doc["metadata"][key] = Value::String(value.to_string());
        let id = self.id();
        if !self.history.contains(&id) {
            self.history.push(id);
        }
    }
    pub(super) fn set_meta_entry(&mut self, map: &str, key: &str, value: &str) {
        if !self.doc.get("metadata").is_some_and(Value::is_object) {
            self.doc["metadata"] = Value::Object(Default::default());
        }
        let meta = &mut self.doc["metadata"];
        if !meta.get(map).is_some_and(Value::is_object) {
            meta[map] = Value::Object(Default::default());
        }
        meta[map][key] = Value::String(value.to_string());
    }
    /// Whether a strategic-merge patch's own id names this resource: the same group, version and
    /// kind, and any name and namespace the resource had (kustomize's "any id" match).
    pub(super) fn matches_id(
        &self,
        kind: &str,
        api_version: &str,
        name: &str,
        namespace: &str,
    ) -> bool {
        self.kind() == kind
            && self.api_version() == api_version
            && self
                .history
                .iter()
                .any(|(ns, n)| n == name && ns == norm_ns(namespace))
    }
    pub(super) fn workload(&self) -> Option<Workload> {
        if self.kind() == "CustomResourceDefinition" {
            return None;
        }
        let containers = transform::containers_of(&self.doc);
        if containers.is_empty() {
            return None;
        }
        let ns = self.namespace();
        Some(Workload {
            api_version: self.api_version().to_string(),
            kind: self.kind().to_string(),
            namespace: (!ns.is_empty()).then(|| ns.to_string()),
            name: self.name().to_string(),
            containers: containers
                .into_iter()
                .map(|(name, image, init)| Container { name, image, init })
                .collect(),
        })
    }
}

pub(super) fn norm_ns(ns: &str) -> &str {
    if ns == "default" { "" } else { ns }
}

/// The id kustomize registers a resource under: two resources with the same one conflict.
pub(super) type ResKey = (String, String, (String, String));

/// kustomize's id of a registered resource: apiVersion (group and version: `v1` and `v2` of a
/// kind are different objects), kind, namespace and name.
pub(super) fn registered_id(x: &Res) -> ResKey {
    (x.api_version().to_string(), x.kind().to_string(), x.id())
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}
