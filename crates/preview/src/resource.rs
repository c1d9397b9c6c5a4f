//! Resource types: the REST path of a kind, and which kinds are cluster-scoped.
//!
//! No discovery request is made: the scope comes from the list below (the cluster-scoped kinds
//! of Kubernetes and of the add-ons a GitOps repository renders), the plural from the kind
//! (kube's rules, as `kubectl` guesses it). A custom kind not listed is taken as namespaced.

use std::fmt;

use kube::api::{ApiResource, GroupVersionKind};
use serde::Serialize;

/// The cluster-scoped kinds, by API group (`""` is the core group).
const CLUSTER_SCOPED: &[(&str, &[&str])] = &[
    (
        "",
        &["Namespace", "Node", "PersistentVolume", "ComponentStatus"],
    ),
    (
        "rbac.authorization.k8s.io",
        &["ClusterRole", "ClusterRoleBinding"],
    ),
    ("apiextensions.k8s.io", &["CustomResourceDefinition"]),
    ("apiregistration.k8s.io", &["APIService"]),
    (
        "admissionregistration.k8s.io",
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
            "MutatingAdmissionPolicy",
            "MutatingAdmissionPolicyBinding",
        ],
    ),
    (
        "storage.k8s.io",
        &[
            "StorageClass",
            "CSIDriver",
            "CSINode",
            "VolumeAttachment",
            "VolumeAttributesClass",
        ],
    ),
    ("scheduling.k8s.io", &["PriorityClass"]),
    ("node.k8s.io", &["RuntimeClass"]),
    (
        "networking.k8s.io",
        &["IngressClass", "IPAddress", "ServiceCIDR"],
    ),
    (
        "certificates.k8s.io",
        &["CertificateSigningRequest", "ClusterTrustBundle"],
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        &["FlowSchema", "PriorityLevelConfiguration"],
    ),
    ("policy", &["PodSecurityPolicy"]),
    ("cert-manager.io", &["ClusterIssuer"]),
    (
        "argoproj.io",
        &["ClusterWorkflowTemplate", "ClusterAnalysisTemplate"],
    ),
    ("gateway.networking.k8s.io", &["GatewayClass"]),
];

/// Splits `apiVersion` into group and version (`v1` → `("", "v1")`).
pub fn group_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// Whether objects of this kind live outside namespaces.
pub fn is_cluster_scoped(api_version: &str, kind: &str) -> bool {
    let (group, _) = group_version(api_version);
    CLUSTER_SCOPED
        .iter()
        .any(|(g, kinds)| *g == group && kinds.contains(&kind))
}

/// A resource type: API version, kind and the plural of its REST path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ResourceType {
    /// `apps/v1`.
    pub api_version: String,
    /// `Deployment`.
    pub kind: String,
    /// `deployments`.
    pub plural: String,
}

impl ResourceType {
    /// The type of `kind` in `api_version`.
    pub fn of(api_version: &str, kind: &str) -> Self {
        let (group, version) = group_version(api_version);
        let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
        Self {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            plural: resource.plural,
        }
    }

    /// Parses `apiVersion/plural` as [`fmt::Display`] writes it (`apps/v1/deployments`,
    /// `v1/services`); the kind is unknown then and left empty.
    pub fn parse(text: &str) -> Option<Self> {
        let (api_version, plural) = text.rsplit_once('/')?;
        let valid = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'/'))
        };
        (valid(api_version) && valid(plural) && !plural.contains('/')).then(|| Self {
            api_version: api_version.to_string(),
            kind: String::new(),
            plural: plural.to_string(),
        })
    }

    /// kube's description of it.
    pub fn api_resource(&self) -> ApiResource {
        let (group, version) = group_version(&self.api_version);
        ferry_health::kube_api::resource(group, version, &self.kind, &self.plural)
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.api_version, self.plural)
    }
}
