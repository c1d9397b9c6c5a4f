//! The file's shape as serde reads it, with spans for the values that are checked afterwards.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub images: Entries<Spanned<String>>,
    #[serde(default)]
    pub sources: Entries<Spanned<String>>,
    #[serde(default)]
    pub forge: Option<Spanned<RawForge>>,
    #[serde(default)]
    pub monitor: Option<RawMonitor>,
    #[serde(default)]
    pub kustomize: Option<RawKustomize>,
    #[serde(default)]
    pub environment: Vec<Spanned<RawEnvironment>>,
    #[serde(default)]
    pub registries: Entries<Spanned<crate::registries::RawRegistry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawKustomize {
    pub load_restrictor: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawForge {
    pub kind: Option<Spanned<String>>,
    pub base_branch: Option<Spanned<String>>,
    pub branch_prefix: Option<Spanned<String>>,
    #[serde(default)]
    pub labels: Vec<Spanned<String>>,
    pub author: Option<Spanned<String>>,
    #[serde(default)]
    pub required_checks: Vec<Spanned<String>>,
    pub git: Option<RawGit>,
    pub github: Option<Spanned<RawGitHub>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawGit {
    pub remote: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawGitHub {
    pub owner: Spanned<String>,
    pub repo: Spanned<String>,
    pub api_url: Option<Spanned<String>>,
    pub graphql_url: Option<Spanned<String>>,
    pub app_id: Option<Spanned<u64>>,
    pub merge_method: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawMonitor {
    pub warmup: Option<Spanned<String>>,
    pub interval: Option<Spanned<String>>,
    pub checks: Option<Spanned<i64>>,
    pub failures: Option<Spanned<i64>>,
    pub error_budget: Option<Spanned<i64>>,
    pub timeout: Option<Spanned<String>>,
    pub prometheus: Option<Spanned<RawPrometheus>>,
}

/// `[monitor.prometheus]` / `[environment.monitor.prometheus]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawPrometheus {
    pub url: Spanned<String>,
    pub timeout: Option<Spanned<String>>,
}

/// `[[environment.monitor.metrics]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawMetric {
    pub name: Spanned<String>,
    pub query: Spanned<String>,
    pub success: Option<Spanned<String>>,
    pub failure: Option<Spanned<String>>,
    pub failure_limit: Option<Spanned<i64>>,
    pub inconclusive_limit: Option<Spanned<i64>>,
    pub consecutive_error_limit: Option<Spanned<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawEnvMonitor {
    pub warmup: Option<Spanned<String>>,
    pub interval: Option<Spanned<String>>,
    pub checks: Option<Spanned<i64>>,
    pub failures: Option<Spanned<i64>>,
    pub error_budget: Option<Spanned<i64>>,
    pub timeout: Option<Spanned<String>>,
    pub prometheus: Option<Spanned<RawPrometheus>>,
    #[serde(default)]
    pub http: Vec<Spanned<RawHttpProbe>>,
    #[serde(default)]
    pub workloads: Vec<Spanned<String>>,
    pub namespace: Option<Spanned<String>>,
    #[serde(default)]
    pub metrics: Vec<Spanned<RawMetric>>,
}

/// What only `[environment.monitor]` has: its probes.
pub(crate) struct RawProbes {
    pub http: Vec<Spanned<RawHttpProbe>>,
    pub workloads: Vec<Spanned<String>>,
    pub namespace: Option<Spanned<String>>,
    pub metrics: Vec<Spanned<RawMetric>>,
}

impl RawEnvMonitor {
    /// The part shared with the top-level `[monitor]` table, and the probes.
    pub fn split(self) -> (RawMonitor, RawProbes) {
        (
            RawMonitor {
                warmup: self.warmup,
                interval: self.interval,
                checks: self.checks,
                failures: self.failures,
                error_budget: self.error_budget,
                timeout: self.timeout,
                prometheus: self.prometheus,
            },
            RawProbes {
                http: self.http,
                workloads: self.workloads,
                namespace: self.namespace,
                metrics: self.metrics,
            },
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawHttpProbe {
    pub url: Spanned<String>,
    pub status: Option<Spanned<i64>>,
    pub body: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawEnvironment {
    pub name: Spanned<String>,
    pub overlay: Spanned<String>,
    pub upstream: Option<Spanned<String>>,
    #[serde(default)]
    pub auto_merge: bool,
    pub soak: Option<Spanned<String>>,
    pub argocd_app: Option<Spanned<String>>,
    pub monitor: Option<RawEnvMonitor>,
}

/// The entries of a TOML table in file order, with spanned keys.
#[derive(Debug)]
pub(crate) struct Entries<V>(pub Vec<(Spanned<String>, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Visit<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Visit(std::marker::PhantomData))
    }
}
