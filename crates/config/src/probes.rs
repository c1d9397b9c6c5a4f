//! The probes of `[environment.monitor]` besides `http`: `workloads` and their `namespace`.

use toml::Spanned;

use crate::error::{Diagnostic, Source};

/// Workload kinds the monitor follows, as `KIND/NAME` spells them (the monitor's `--workload`
/// also takes these plurals and short names).
const KINDS: [&str; 4] = ["deployment", "statefulset", "daemonset", "rollout"];
const ALIASES: [&str; 8] = [
    "deployments",
    "deploy",
    "statefulsets",
    "sts",
    "daemonsets",
    "ds",
    "rollouts",
    "ro",
];

/// Checks `workloads = ["deployment/backend", …]`.
pub(crate) fn workloads(
    src: &Source<'_>,
    raw: Vec<Spanned<String>>,
    prefix: &str,
) -> Result<Vec<String>, Diagnostic> {
    let mut out = Vec::new();
    for (i, w) in raw.into_iter().enumerate() {
        let text = w.get_ref();
        let ok = text.split_once('/').is_some_and(|(kind, name)| {
            let kind = kind.to_ascii_lowercase();
            (KINDS.contains(&kind.as_str()) || ALIASES.contains(&kind.as_str()))
                && is_dns_name(name)
        });
        if !ok {
            return Err(src.at(
                w.span().start,
                Some(format!("{prefix}.workloads[{i}]")),
                format!(
                    "invalid workload {text:?}: write KIND/NAME with KIND one of {}, e.g. \"deployment/backend\"",
                    KINDS.join(", ")
                ),
            ));
        }
        out.push(w.into_inner());
    }
    Ok(out)
}

/// Checks `namespace = "shop"`.
pub(crate) fn namespace(
    src: &Source<'_>,
    raw: Option<Spanned<String>>,
    prefix: &str,
) -> Result<Option<String>, Diagnostic> {
    let Some(ns) = raw else { return Ok(None) };
    let ok = is_dns_name(ns.get_ref()) && !ns.get_ref().contains('.') && ns.get_ref().len() <= 63;
    if !ok {
        return Err(src.at(
            ns.span().start,
            Some(format!("{prefix}.namespace")),
            format!(
                "invalid namespace {:?}: lowercase letters, digits and `-`, at most 63 characters",
                ns.get_ref()
            ),
        ));
    }
    Ok(Some(ns.into_inner()))
}

/// A Kubernetes object name (RFC 1123 subdomain).
fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}
