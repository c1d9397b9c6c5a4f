//! The resource model of a build: an object with the ids it had before renames, and
//! kustomize's ids, scopes and selections of it.

use serde_json::Value;

use super::doc::Doc;
use super::resolution::{Container, Workload};
use crate::transform;

/// A resource being built, with the ids (namespace, name) it had before renames.
#[derive(Debug, Clone)]
pub(super) struct Res {
    pub(super) doc: Doc,
    pub(super) history: Vec<(String, String)>,
    /// kustomize's previous ids (effective namespace, name), stored before each rename.
    pub(super) prev: Vec<(String, String)>,
    /// The name prefixes and suffixes added, innermost first.
    pub(super) prefixes: Vec<String>,
    pub(super) suffixes: Vec<String>,
    /// A generated object whose name gets kustomize's content hash.
    pub(super) needs_hash: bool,
    /// A generated object's name before its content-hash suffix, once it has one.
    pub(super) hashed_from: Option<String>,
    /// Fields kustomize would share one value between ([`super::shared`]).
    pub(super) shared: Vec<Shared>,
}

/// Fields of one object that share one value in kustomize, and what created them
/// ([`super::shared`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Shared {
    /// The JSON pointers of the fields.
    pub(super) pointers: Vec<String>,
    /// The kustomization file whose transformer created them.
    pub(super) file: std::path::PathBuf,
    /// The transformer's field (`labels`, `commonLabels`, `commonAnnotations`, `transformers`).
    pub(super) field: &'static str,
}

pub(super) fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The kinds kustomize (v5.5) knows to be cluster-scoped, by apiVersion and kind (kyaml's
/// `precomputedIsNamespaceScoped`); any other kind, custom resources included, is namespaced.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
    ("apiregistration.k8s.io/v1", "APIService"),
    ("apiregistration.k8s.io/v1beta1", "APIService"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
    ),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1beta1", "IngressClass"),
    ("node.k8s.io/v1", "RuntimeClass"),
    ("node.k8s.io/v1beta1", "RuntimeClass"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"),
    ("storage.k8s.io/v1", "CSIDriver"),
    ("storage.k8s.io/v1", "CSINode"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("storage.k8s.io/v1", "VolumeAttachment"),
    ("storage.k8s.io/v1beta1", "CSIDriver"),
    ("storage.k8s.io/v1beta1", "CSINode"),
    ("storage.k8s.io/v1beta1", "StorageClass"),
    ("storage.k8s.io/v1beta1", "VolumeAttachment"),
    ("v1", "ComponentStatus"),
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "NodeProxyOptions"),
    ("v1", "PersistentVolume"),
];

impl Res {
    pub(super) fn new(doc: Value) -> Self {
        Self::of(Doc::Full(doc))
    }
    pub(super) fn of(doc: Doc) -> Self {
        let mut r = Self {
            doc,
            history: Vec::new(),
            prev: Vec::new(),
            prefixes: Vec::new(),
            suffixes: Vec::new(),
            needs_hash: false,
            hashed_from: None,
            shared: Vec::new(),
        };
        r.history.push(r.id());
        r
    }
    pub(super) fn kind(&self) -> &str {
        str_at(self.doc.view(), &["kind"])
    }
    pub(super) fn api_version(&self) -> &str {
        str_at(self.doc.view(), &["apiVersion"])
    }
    pub(super) fn group(&self) -> &str {
        group_of(self.api_version())
    }
    pub(super) fn name(&self) -> &str {
        str_at(self.doc.view(), &["metadata", "name"])
    }
    pub(super) fn namespace(&self) -> &str {
        str_at(self.doc.view(), &["metadata", "namespace"])
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
    /// The id kustomize stores before a rename (`StorePreviousId`).
    pub(super) fn store_previous_id(&mut self) {
        let ns = self.effective_namespace(self.namespace()).to_string();
        let name = self.name().to_string();
        self.prev.push((ns, name));
    }
    /// The effective namespace and name the object was read (or generated) with: kustomize's
    /// `OrgId`.
    pub(super) fn org_id(&self) -> (String, String) {
        self.prev.first().cloned().unwrap_or_else(|| {
            (
                self.effective_namespace(self.namespace()).to_string(),
                self.name().to_string(),
            )
        })
    }
    pub(super) fn cluster_scoped(&self) -> bool {
        is_cluster_scoped(self.api_version(), self.kind())
    }
    pub(super) fn describe(&self) -> String {
        format!("{}/{}", self.kind(), self.name())
    }
    pub(super) fn set_meta(&mut self, key: &str, value: &str) {
        let doc = self.doc.value_mut();
        if !doc.get("metadata").is_some_and(Value::is_object) {
            doc["metadata"] = Value::Object(Default::default());
        }
        doc["metadata"][key] = Value::String(value.to_string());
        let id = self.id();
        if !self.history.contains(&id) {
            self.history.push(id);
        }
    }
    pub(super) fn set_meta_entry(&mut self, map: &str, key: &str, value: &str) {
        let doc = self.doc.value_mut();
        if !doc.get("metadata").is_some_and(Value::is_object) {
            doc["metadata"] = Value::Object(Default::default());
        }
        let meta = &mut doc["metadata"];
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
        if self.kind() == "CustomResourceDefinition" || !self.doc.maybe_containers() {
            return None;
        }
        let containers = transform::containers_of(self.doc.value());
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

/// Whether kustomize treats objects of `api_version` and `kind` as cluster-scoped.
pub(super) fn is_cluster_scoped(api_version: &str, kind: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(a, k)| *a == api_version && *k == kind)
}
