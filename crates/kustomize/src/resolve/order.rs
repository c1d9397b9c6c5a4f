//! The output order of `kubectl kustomize`: kustomize's legacy order by kind (the default), or
//! the order of accumulation (`sortOptions: {order: fifo}`), set by the overlay's own
//! kustomization only.

use super::finish::finish;
use super::resolution::{Resolution, Unrendered};
use super::resource::Res;
use crate::model::SortOptions;
use crate::validate::Finding;

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

/// The result, with the resources in the output order of the overlay's `sortOptions`
/// (kustomize's legacy order by default).
pub(super) fn resolution(
    mut resources: Vec<Res>,
    findings: Vec<Finding>,
    options: Option<&SortOptions>,
    mut unrendered: Vec<Unrendered>,
    keep_resources: bool,
) -> Resolution {
    unrendered.extend(resources.iter().filter_map(Res::diverged));
    unrendered.extend(end_of_build(&mut resources, options));
    assemble(resources, findings, unrendered, keep_resources)
}

/// The end of a build: content-hash names, name references, local configuration dropped
/// ([`finish`]), then the output order; what could not be rendered exactly.
pub(super) fn end_of_build(
    resources: &mut Vec<Res>,
    options: Option<&SortOptions>,
) -> Vec<Unrendered> {
    let problems = finish(resources)
        .into_iter()
        .map(|problem| Unrendered {
            file: std::path::PathBuf::new(),
            field: "name reference".into(),
            reason: problem,
        })
        .collect();
    sort(resources, options);
    problems
}

/// The result of a build whose end ([`end_of_build`]) is done.
pub(super) fn assemble(
    resources: Vec<Res>,
    findings: Vec<Finding>,
    unrendered: Vec<Unrendered>,
    keep_resources: bool,
) -> Resolution {
    Resolution {
        workloads: resources.iter().filter_map(Res::workload).collect(),
        findings,
        generated: resources.iter().map(|r| r.hashed_from.clone()).collect(),
        resources: if keep_resources {
            resources.into_iter().map(|r| r.doc.into_value()).collect()
        } else {
            Vec::new()
        },
        unrendered,
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
