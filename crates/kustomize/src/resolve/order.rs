//! The output order of `kubectl kustomize`: kustomize's legacy order by kind (the default), or
//! the order of accumulation (`sortOptions: {order: fifo}`), set by the overlay's own
//! kustomization only.

use std::path::Path;

use super::{Builder, Origin, Res};
use crate::model::{Kustomization, SortOptions};

/// Kinds placed first, in this order, by the legacy order.
const ORDER_FIRST: [&str; 22] = [
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds placed last, in this order, by the legacy order.
const ORDER_LAST: [&str; 2] = [
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

impl Builder<'_> {
    /// The overlay's `sortOptions`, checked as kustomize checks them.
    pub(super) fn sort_options(&mut self, file: &Path, k: &Kustomization) -> Option<SortOptions> {
        let options = k.sort_options.clone()?;
        let at = Origin {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
        };
        match options.order.as_deref() {
            Some("legacy") => {}
            Some("fifo") if options.legacy_sort_options.is_none() => {}
            Some("fifo") => self.error(
                &at,
                "`sortOptions.legacySortOptions` is set but the order is `fifo`; remove one".into(),
            ),
            _ => self.error(&at, "`sortOptions.order` must be `fifo` or `legacy`".into()),
        }
        Some(options)
    }
}

/// Sorts `resources` as kustomize outputs them with `options` (the legacy order when `None`).
pub(super) fn sort(resources: &mut [Res], options: Option<&SortOptions>) {
    let (first, last): (Vec<&str>, Vec<&str>) = match options {
        Some(o) if o.order.as_deref() == Some("fifo") => return,
        Some(SortOptions {
            legacy_sort_options: Some(custom),
            ..
        }) => {
            let list = |key: &str| {
                custom
                    .get(key)
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect()
            };
            (list("orderFirst"), list("orderLast"))
        }
        _ => (ORDER_FIRST.to_vec(), ORDER_LAST.to_vec()),
    };
    let rank = |kind: &str| -> i64 {
        if let Some(i) = first.iter().position(|k| *k == kind) {
            i as i64 - first.len() as i64
        } else {
            last.iter()
                .position(|k| *k == kind)
                .map_or(0, |i| i as i64 + 1)
        }
    };
    resources.sort_by(|a, b| {
        let (ga, gb) = (gvk(a), gvk(b));
        if ga != gb {
            let (ra, rb) = (rank(a.kind()), rank(b.kind()));
            if ra != rb {
                return ra.cmp(&rb);
            }
            let (sa, sb) = (gvk_sort_string(ga), gvk_sort_string(gb));
            if a.kind() == "Namespace"
                && b.kind() == "Namespace"
                && (ga.0.is_empty() || gb.0.is_empty())
            {
                return sb.cmp(&sa);
            }
            return sa.cmp(&sb);
        }
        id_sort_string(a).cmp(&id_sort_string(b))
    });
}

/// Group, version and kind of a resource.
fn gvk(r: &Res) -> (&str, &str, &str) {
    let api = r.api_version();
    let (group, version) = api.split_once('/').unwrap_or(("", api));
    (group, version, r.kind())
}

fn or<'a>(s: &'a str, placeholder: &'a str) -> &'a str {
    if s.is_empty() { placeholder } else { s }
}

fn gvk_sort_string((g, v, k): (&str, &str, &str)) -> String {
    format!("{}_{}_{}", or(g, "~G"), or(v, "~V"), or(k, "~K"))
}

fn id_sort_string(r: &Res) -> String {
    let (g, v, k) = gvk(r);
    format!(
        "{}.{}.{}|{}|{}",
        or(k, "[noKind]"),
        or(v, "[noVer]"),
        or(g, "[noGrp]"),
        or(r.namespace(), "~X"),
        or(r.name(), "~N")
    )
}
