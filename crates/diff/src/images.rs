//! The images an object's containers run, and what changed between two versions of an object.

use serde::Serialize;
use serde_json::Value;

use crate::object::ObjectId;

/// The lists of containers kustomize's images transformer and Kubernetes know.
const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// One container and its image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerImage {
    /// The list it is in (`containers`, `initContainers`, `ephemeralContainers`).
    pub(crate) list: &'static str,
    /// The container's name.
    pub(crate) name: String,
    /// Its image, when it has one.
    pub(crate) image: Option<String>,
}

/// Every container of `value` (a Pod, a workload's template, a CronJob's job template, a
/// custom resource with pod templates), in document order.
pub(crate) fn containers(value: &Value) -> Vec<ContainerImage> {
    let mut out = Vec::new();
    collect(value, &mut out, 0);
    out
}

/// How deep the search goes: pod templates sit a few levels down; a runaway document stops.
const MAX_DEPTH: usize = 64;

fn collect(value: &Value, out: &mut Vec<ContainerImage>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let list = CONTAINER_LISTS.iter().find(|l| **l == key.as_str());
                match (list, child) {
                    (Some(list), Value::Array(items)) => {
                        for item in items {
                            if let Some(name) = item.get("name").and_then(Value::as_str) {
                                out.push(ContainerImage {
                                    list,
                                    name: name.to_owned(),
                                    image: item
                                        .get("image")
                                        .and_then(Value::as_str)
                                        .map(str::to_owned),
                                });
                            }
                        }
                    }
                    _ => collect(child, out, depth + 1),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// A container whose image differs between the two sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageChange {
    /// The object on the new side (the old side's when it only exists there).
    pub object: ObjectId,
    /// The container's name.
    pub container: String,
    /// Whether it is an init container.
    pub init: bool,
    /// The image before; `None` when the container is new.
    pub old: Option<String>,
    /// The image after; `None` when the container is gone.
    pub new: Option<String>,
}

/// The image changes between two versions of one object, container by container (matched by
/// list and name): new-side order, then containers only the old side has.
pub(crate) fn image_changes(object: &ObjectId, old: &Value, new: &Value) -> Vec<ImageChange> {
    let before = containers(old);
    let after = containers(new);
    let mut out = Vec::new();
    let change = |c: &ContainerImage, old: Option<String>, new: Option<String>| ImageChange {
        object: object.clone(),
        container: c.name.clone(),
        init: c.list == "initContainers",
        old,
        new,
    };
    for container in &after {
        let previous = before
            .iter()
            .find(|b| b.list == container.list && b.name == container.name);
        match previous {
            Some(previous) if previous.image == container.image => {}
            Some(previous) => out.push(change(
                container,
                previous.image.clone(),
                container.image.clone(),
            )),
            None => out.push(change(container, None, container.image.clone())),
        }
    }
    for container in &before {
        if !after
            .iter()
            .any(|a| a.list == container.list && a.name == container.name)
        {
            out.push(change(container, container.image.clone(), None));
        }
    }
    out
}

/// `value` with every container image replaced by `placeholder` (drift without images).
pub(crate) fn without_images(value: &mut Value, placeholder: &str, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if CONTAINER_LISTS.contains(&key.as_str())
                    && let Value::Array(items) = child
                {
                    for item in items {
                        if let Some(image) = item.get_mut("image") {
                            *image = Value::String(placeholder.to_owned());
                        }
                    }
                } else {
                    without_images(child, placeholder, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                without_images(item, placeholder, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deployment(web: &str, sidecar: Option<&str>) -> Value {
        let mut containers = vec![json!({"name": "web", "image": web})];
        if let Some(image) = sidecar {
            containers.push(json!({"name": "proxy", "image": image}));
        }
        json!({"spec": {"template": {"spec": {
            "initContainers": [{"name": "migrate", "image": web}],
            "containers": containers,
        }}}})
    }

    fn id() -> ObjectId {
        ObjectId {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: None,
            name: "web".into(),
        }
    }

    #[test]
    fn containers_are_found_in_pod_templates_and_cronjobs() {
        let cron = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {
            "containers": [{"name": "run", "image": "busybox:1"}]}}}}}});
        assert_eq!(
            containers(&cron),
            vec![ContainerImage {
                list: "containers",
                name: "run".into(),
                image: Some("busybox:1".into())
            }]
        );
        assert_eq!(containers(&deployment("a:1", Some("p:1"))).len(), 3);
    }

    #[test]
    fn changes_name_the_container_and_both_images() {
        let changes = image_changes(
            &id(),
            &deployment("a:1", Some("p:1")),
            &deployment("a:2", None),
        );
        let shown: Vec<_> = changes
            .iter()
            .map(|c| {
                (
                    c.container.as_str(),
                    c.init,
                    c.old.as_deref(),
                    c.new.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                ("migrate", true, Some("a:1"), Some("a:2")),
                ("web", false, Some("a:1"), Some("a:2")),
                ("proxy", false, Some("p:1"), None),
            ]
        );
        assert!(
            image_changes(&id(), &deployment("a:1", None), &deployment("a:1", None)).is_empty()
        );
    }

    #[test]
    fn images_can_be_blanked_out() {
        let mut a = deployment("a:1", Some("p:1"));
        let mut b = deployment("a:2", Some("p:9"));
        without_images(&mut a, "IMAGE", 0);
        without_images(&mut b, "IMAGE", 0);
        assert_eq!(a, b);
    }
}
