//! What every caller of kube's dynamic API needs (`ferry-health`'s probes, `ferry-rollouts`,
//! `ferry-preview`): a resource named by group, version, kind and plural, objects as JSON, a
//! 404 told apart.

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::Value;

/// The API resource `kind` of `group` (empty: the core group) at `version`, served as `plural`.
pub fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// An object as the JSON value the pure code reads (`null` if it could not be serialized).
pub fn to_value(obj: &DynamicObject) -> Value {
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

/// Whether the API server answered 404 Not Found.
pub fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_404_is_not_found_and_other_answers_are_not() {
        let status = |code: u16| {
            kube::Error::Api(
                serde_json::from_value(serde_json::json!({"status": "Failure", "code": code}))
                    .expect("a status"),
            )
        };
        assert!(is_not_found(&status(404)));
        assert!(!is_not_found(&status(409)));
        let r = resource("apps", "v1", "Deployment", "deployments");
        assert_eq!(
            (r.api_version.as_str(), r.plural.as_str()),
            ("apps/v1", "deployments")
        );
        let obj = DynamicObject::new("web", &r);
        assert_eq!(to_value(&obj)["metadata"]["name"], "web");
    }
}
