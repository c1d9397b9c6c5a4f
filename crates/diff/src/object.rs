//! What an object is known by: its [`ObjectId`] (API group, kind, namespace, name).

use std::fmt;

use crate::Object;
use serde::Serialize;

/// An object's identity: API group, kind, namespace and name, as kustomize tells objects
/// apart (the version is not part of it: `apps/v1` and `apps/v1beta1` name the same object).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectId {
    /// The API group (`apps`; empty for the core group).
    pub group: String,
    /// The kind (`Deployment`).
    pub kind: String,
    /// The namespace; `None` when the object has none.
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

impl ObjectId {
    /// The id of a rendered object.
    pub fn of(object: &Object) -> Self {
        Self {
            group: group_of(&object.api_version).to_owned(),
            kind: object.kind.clone(),
            namespace: object.namespace.clone().filter(|n| !n.is_empty()),
            name: object.name.clone(),
        }
    }

    /// Whether it is a core-group object of `kind`.
    pub fn is_core(&self, kind: &str) -> bool {
        self.group.is_empty() && self.kind == kind
    }

    /// Whether it is a core Secret, whose `data` and `stringData` are masked.
    pub fn is_secret(&self) -> bool {
        self.is_core("Secret")
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{} {namespace}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// The group of an `apiVersion`: `apps` of `apps/v1`, empty for `v1`.
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn ids_ignore_the_version_and_show_kind_namespace_and_name() {
        let object = |api: &str, ns: Option<&str>| Object {
            api_version: api.into(),
            kind: "Deployment".into(),
            namespace: ns.map(Into::into),
            name: "web".into(),
            generated: None,
            value: Value::Null,
            yaml: String::new(),
        };
        let a = ObjectId::of(&object("apps/v1", Some("prod")));
        let b = ObjectId::of(&object("apps/v1beta1", Some("prod")));
        assert_eq!(a, b);
        assert_eq!(a.group, "apps");
        assert_eq!(a.to_string(), "Deployment prod/web");
        let c = ObjectId::of(&object("v1", None));
        assert_eq!(c.group, "");
        assert_eq!(c.to_string(), "Deployment web");
        assert_eq!(ObjectId::of(&object("v1", Some(""))).namespace, None);
    }
}
