//! Which preview: its environment, its name, its namespace `<env>-<name>`, and the labels that
//! mark everything it creates as Ferry's.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::PlanError;

/// `app.kubernetes.io/managed-by`: `ferry` on everything a preview creates.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The preview's name (`pr-123`).
pub const PREVIEW: &str = "ferry.dev/preview";
/// The environment whose overlay the preview renders (`staging`).
pub const ENVIRONMENT: &str = "ferry.dev/environment";
/// The commit the preview was rendered from.
pub const COMMIT: &str = "ferry.dev/commit";
/// When the preview expires, in seconds since the Unix epoch (a label, so `gc` can select on
/// it; a label value cannot hold an RFC 3339 time).
pub const EXPIRES: &str = "ferry.dev/expires";
/// The same expiry as an RFC 3339 time (an annotation, for people).
pub const EXPIRES_AT: &str = "ferry.dev/expires-at";
/// The resource types a preview applied (an annotation of its namespace, a JSON list of
/// `apiVersion/plural`): what `down` deletes by label before the namespace.
pub const RESOURCES: &str = "ferry.dev/preview-resources";

/// One preview: environment, name and namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// The environment (`staging`).
    pub environment: String,
    /// The preview's name (`pr-123`).
    pub name: String,
    /// `<environment>-<name>`.
    pub namespace: String,
}

/// Whether `text` is an RFC 1123 DNS label: at most 63 lowercase letters, digits and `-`,
/// starting and ending with a letter or digit. Namespaces are DNS labels.
pub fn is_dns_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

impl Preview {
    /// The preview `name` of `environment`; its namespace must be a DNS label.
    pub fn new(environment: &str, name: &str) -> Result<Self, PlanError> {
        let namespace = format!("{environment}-{name}");
        if environment.is_empty() || name.is_empty() || !is_dns_label(&namespace) {
            return Err(PlanError::Namespace {
                namespace,
                reason: "a namespace is a DNS label: at most 63 lowercase letters, digits and \
                         '-', starting and ending with a letter or digit"
                    .into(),
            });
        }
        Ok(Self {
            environment: environment.to_string(),
            name: name.to_string(),
            namespace,
        })
    }

    /// The label selector of everything this preview created.
    pub fn selector(&self) -> String {
        format!(
            "{MANAGED_BY}=ferry,{PREVIEW}={},{ENVIRONMENT}={}",
            self.name, self.environment
        )
    }

    /// Whether `obj` (a namespace) carries this preview's labels.
    pub fn owns(&self, obj: &Value) -> bool {
        let label =
            |key: &str| obj.pointer(&format!("/metadata/labels/{}", key.replace('/', "~1")));
        label(MANAGED_BY) == Some(&json!("ferry"))
            && label(PREVIEW) == Some(&json!(self.name))
            && label(ENVIRONMENT) == Some(&json!(self.environment))
    }

    /// The preview a namespace carrying Ferry's preview labels belongs to.
    pub fn of_namespace(obj: &Value) -> Option<Self> {
        let labels = obj.pointer("/metadata/labels")?;
        let env = labels.get(ENVIRONMENT)?.as_str()?;
        let name = labels.get(PREVIEW)?.as_str()?;
        let preview = Self::new(env, name).ok()?;
        (preview.owns(obj)
            && obj.pointer("/metadata/name").and_then(Value::as_str)
                == Some(preview.namespace.as_str()))
        .then_some(preview)
    }
}

/// The commit and the expiry stamped on a preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stamp {
    /// The commit rendered (a hexadecimal id), when known.
    pub commit: Option<String>,
    /// When the preview expires.
    pub expires: jiff::Timestamp,
}

impl Stamp {
    /// A stamp expiring `ttl` after `now`; `commit` must be a hexadecimal commit id.
    pub fn new(
        commit: Option<&str>,
        now: jiff::Timestamp,
        ttl: Duration,
    ) -> Result<Self, PlanError> {
        if let Some(c) = commit
            && !(c.len() >= 7 && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(PlanError::Commit(c.to_string()));
        }
        let ttl = jiff::SignedDuration::try_from(ttl).unwrap_or(jiff::SignedDuration::MAX);
        let expires = now.checked_add(ttl).unwrap_or(jiff::Timestamp::MAX);
        Ok(Self {
            commit: commit.map(str::to_ascii_lowercase),
            expires,
        })
    }

    /// The labels of `preview` with this stamp: managed-by, name, environment, commit, expiry.
    pub fn labels(&self, preview: &Preview) -> Map<String, Value> {
        let mut labels = Map::new();
        labels.insert(MANAGED_BY.into(), json!("ferry"));
        labels.insert(PREVIEW.into(), json!(preview.name));
        labels.insert(ENVIRONMENT.into(), json!(preview.environment));
        if let Some(commit) = &self.commit {
            labels.insert(COMMIT.into(), json!(commit));
        }
        labels.insert(EXPIRES.into(), json!(self.expires.as_second().to_string()));
        labels
    }

    /// The annotations: the expiry as an RFC 3339 time.
    pub fn annotations(&self) -> Map<String, Value> {
        let mut annotations = Map::new();
        annotations.insert(
            EXPIRES_AT.into(),
            json!(self.expires.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        );
        annotations
    }
}

/// When a preview namespace expires: its [`EXPIRES`] label, else its [`EXPIRES_AT`] annotation.
pub fn expiry(namespace: &Value) -> Option<jiff::Timestamp> {
    let labels = namespace.pointer("/metadata/labels");
    if let Some(seconds) = labels
        .and_then(|l| l.get(EXPIRES))
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<i64>().ok())
    {
        return jiff::Timestamp::from_second(seconds).ok();
    }
    namespace
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(EXPIRES_AT))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// Why `gc` removes a preview namespace at `now`, or `None` to keep it: its expiry passed, or,
/// with `older_than`, it was created longer ago than that.
pub fn gc_reason(
    namespace: &Value,
    now: jiff::Timestamp,
    older_than: Option<Duration>,
) -> Option<String> {
    if let Some(expires) = expiry(namespace)
        && expires <= now
    {
        return Some(format!(
            "expired at {}",
            expires.strftime("%Y-%m-%dT%H:%M:%SZ")
        ));
    }
    let older_than = older_than?;
    let created: jiff::Timestamp = namespace
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)?
        .parse()
        .ok()?;
    let age = now.duration_since(created);
    let limit = jiff::SignedDuration::try_from(older_than).ok()?;
    (age >= limit).then(|| {
        format!(
            "created {} ago (older than {})",
            ferry_config::human_duration(age.unsigned_abs()),
            ferry_config::human_duration(older_than)
        )
    })
}
