//! The Kubernetes side through kube's dynamic API: server-side apply (field manager `ferry`,
//! never forced), the preview namespace, `down` by label selector, `gc`, reading and waiting.

use std::time::Duration;

use ferry_health::kube_api::{is_not_found, to_value};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde::Serialize;
use serde_json::Value;

use crate::error::{FieldConflict, PreviewError};
use crate::identity::{MANAGED_BY, PREVIEW, Preview, RESOURCES};
use crate::plan::{Plan, describe};
use crate::resource::{ResourceType, is_cluster_scoped};
use crate::workflow::WorkflowState;

/// The field manager of every apply.
pub const FIELD_MANAGER: &str = "ferry";

/// The resource types `down` always deletes by label besides those a preview's namespace lists:
/// what `test` creates (Workflows, the WorkflowTemplates it applies, Jobs).
pub fn test_resources() -> Vec<ResourceType> {
    vec![
        ResourceType::of("argoproj.io/v1alpha1", "Workflow"),
        ResourceType::of("argoproj.io/v1alpha1", "WorkflowTemplate"),
        ResourceType::of("batch/v1", "Job"),
    ]
}

fn namespace_type() -> ResourceType {
    ResourceType::of("v1", "Namespace")
}

/// Whether a namespace is being deleted.
pub fn is_terminating(namespace: &Value) -> bool {
    namespace.pointer("/metadata/deletionTimestamp").is_some()
        || namespace.pointer("/status/phase").and_then(Value::as_str) == Some("Terminating")
}

/// The resource types listed in a preview namespace's [`RESOURCES`] annotation.
pub fn listed_resources(namespace: &Value) -> Vec<ResourceType> {
    namespace
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(RESOURCES))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|s| ResourceType::parse(s))
        .collect()
}

/// How long and how often to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// Time between two reads.
    pub interval: Duration,
    /// The longest wait (a [`PreviewError::Timeout`] after).
    pub timeout: Duration,
}

/// What `up` applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The namespace.
    pub namespace: String,
    /// Whether the namespace was created by this run (it did not exist).
    pub created: bool,
    /// `Kind/name` of every object applied, in order.
    pub objects: Vec<String>,
}

/// What `down` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Down {
    /// The namespace.
    pub namespace: String,
    /// The namespace did not exist (nothing to do).
    pub already_gone: bool,
    /// The namespace was terminating already (nothing sent).
    pub already_terminating: bool,
    /// Per resource type, how many objects the label selector deleted.
    pub deleted: Vec<(String, usize)>,
    /// The namespace's deletion was requested.
    pub namespace_deleted: bool,
}

/// The cluster a preview lives in.
#[derive(Clone)]
pub struct Cluster {
    client: kube::Client,
}

impl Cluster {
    /// Through `client`.
    pub fn new(client: kube::Client) -> Self {
        Self { client }
    }

    /// The client.
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    fn api(&self, resource: &ResourceType, namespace: Option<&str>) -> Api<DynamicObject> {
        let ar = resource.api_resource();
        match namespace {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &ar),
            None => Api::all_with(self.client.clone(), &ar),
        }
    }

    /// An object, `None` when it does not exist.
    pub async fn get(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, PreviewError> {
        match self.api(resource, namespace).get(name).await {
            Ok(obj) => Ok(Some(to_value(&obj))),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(source) => Err(PreviewError::Api {
                what: format!("GET {}/{name}", resource.plural),
                source,
            }),
        }
    }

    /// The namespace, `None` when it does not exist.
    pub async fn namespace(&self, name: &str) -> Result<Option<Value>, PreviewError> {
        self.get(&namespace_type(), None, name).await
    }

    /// Server-side apply of `obj` (`application/apply-patch+yaml`, field manager `ferry`,
    /// `force` false): a 409 is a [`PreviewError::Conflict`] naming the fields and managers.
    pub async fn apply(&self, obj: &Value) -> Result<Value, PreviewError> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let resource = ResourceType::of(api_version, kind);
        let namespace = if is_cluster_scoped(api_version, kind) {
            None
        } else {
            obj.pointer("/metadata/namespace").and_then(Value::as_str)
        };
        let params = PatchParams::apply(FIELD_MANAGER);
        match self
            .api(&resource, namespace)
            .patch(name, &params, &Patch::Apply(obj))
            .await
        {
            Ok(applied) => Ok(to_value(&applied)),
            Err(kube::Error::Api(status)) if status.code == 409 => {
                let conflicts = status
                    .details
                    .as_ref()
                    .map(|d| {
                        d.causes
                            .iter()
                            .map(|c| FieldConflict {
                                field: c.field.clone(),
                                manager: c.message.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Err(PreviewError::Conflict {
                    object: describe(obj),
                    message: status.message.clone(),
                    conflicts,
                })
            }
            Err(source) => Err(PreviewError::Api {
                what: format!("PATCH {}/{name} (server-side apply)", resource.plural),
                source,
            }),
        }
    }

    /// Creates `body` (which may use `generateName`) in `namespace`.
    pub async fn create(
        &self,
        resource: &ResourceType,
        namespace: &str,
        body: &Value,
    ) -> Result<Value, PreviewError> {
        let obj: DynamicObject = serde_json::from_value(body.clone())
            .map_err(|e| PreviewError::NotReady(format!("cannot send {}: {e}", describe(body))))?;
        self.api(resource, Some(namespace))
            .create(&PostParams::default(), &obj)
            .await
            .map(|o| to_value(&o))
            .map_err(|source| PreviewError::Api {
                what: format!("POST {}", resource.plural),
                source,
            })
    }

    /// The preview's namespace, checked: it exists, it is this preview's, it is not being
    /// deleted.
    pub async fn require_preview(&self, preview: &Preview) -> Result<Value, PreviewError> {
        let Some(ns) = self.namespace(&preview.namespace).await? else {
            return Err(PreviewError::NotFound(format!(
                "preview namespace {} does not exist: run `ferry preview up --env {} --name {}` first",
                preview.namespace, preview.environment, preview.name
            )));
        };
        check_ours(preview, &ns)?;
        if is_terminating(&ns) {
            return Err(PreviewError::Terminating(preview.namespace.clone()));
        }
        Ok(ns)
    }

    /// Applies a plan: the namespace first (refused when it exists and is not this preview's,
    /// or is terminating), then every object in order. `on_applied` hears each `Kind/name`.
    /// An error stops at that object; what was applied stays for `down` to remove.
    pub async fn up(
        &self,
        plan: &Plan,
        on_applied: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Applied, PreviewError> {
        let preview = &plan.preview;
        let existing = self.namespace(&preview.namespace).await?;
        let mut namespace = plan.namespace.clone();
        if let Some(ns) = &existing {
            check_ours(preview, ns)?;
            if is_terminating(ns) {
                return Err(PreviewError::Terminating(preview.namespace.clone()));
            }
            // Keep the types an earlier `up` applied, so `down` still finds them.
            let mut resources = listed_resources(ns);
            for r in &plan.resources {
                if !resources.iter().any(|x| x.to_string() == r.to_string()) {
                    resources.push(r.clone());
                }
            }
            let list: Vec<String> = resources.iter().map(ToString::to_string).collect();
            namespace["metadata"]["annotations"][RESOURCES] =
                Value::String(serde_json::to_string(&list).expect("strings serialise"));
        }
        self.apply(&namespace).await?;
        on_applied(&describe(&namespace));
        let mut objects = Vec::new();
        for obj in &plan.objects {
            self.apply(obj).await?;
            let what = describe(obj);
            on_applied(&what);
            objects.push(what);
        }
        Ok(Applied {
            namespace: preview.namespace.clone(),
            created: existing.is_none(),
            objects,
        })
    }

    /// Deletes everything the preview created, by its labels, type by type (those its namespace
    /// lists and [`test_resources`]), then the namespace. A namespace that does not exist or is
    /// terminating already is done; a 404 on a type (a CRD not installed) is nothing to delete.
    /// A namespace that is not this preview's is refused.
    pub async fn down(&self, preview: &Preview) -> Result<Down, PreviewError> {
        let mut down = Down {
            namespace: preview.namespace.clone(),
            already_gone: false,
            already_terminating: false,
            deleted: Vec::new(),
            namespace_deleted: false,
        };
        let Some(ns) = self.namespace(&preview.namespace).await? else {
            down.already_gone = true;
            return Ok(down);
        };
        check_ours(preview, &ns)?;
        if is_terminating(&ns) {
            down.already_terminating = true;
            return Ok(down);
        }
        let mut resources = listed_resources(&ns);
        for r in test_resources() {
            if !resources.iter().any(|x| x.to_string() == r.to_string()) {
                resources.push(r);
            }
        }
        let selector = preview.selector();
        let lp = ListParams::default().labels(&selector);
        for resource in &resources {
            let api = self.api(resource, Some(&preview.namespace));
            match api
                .delete_collection(&DeleteParams::background(), &lp)
                .await
            {
                Ok(either) => {
                    let count = either.left().map_or(0, |list| list.items.len());
                    down.deleted.push((resource.to_string(), count));
                }
                Err(e) if is_not_found(&e) => down.deleted.push((resource.to_string(), 0)),
                Err(source) => {
                    return Err(PreviewError::Api {
                        what: format!("DELETE {resource}?labelSelector={selector}"),
                        source,
                    });
                }
            }
        }
        match self
            .api(&namespace_type(), None)
            .delete(&preview.namespace, &DeleteParams::background())
            .await
        {
            Ok(_) => down.namespace_deleted = true,
            Err(e) if is_not_found(&e) => {}
            Err(source) => {
                return Err(PreviewError::Api {
                    what: format!("DELETE namespaces/{}", preview.namespace),
                    source,
                });
            }
        }
        Ok(down)
    }

    /// Every namespace labelled as a Ferry preview.
    pub async fn previews(&self) -> Result<Vec<Value>, PreviewError> {
        let selector = format!("{MANAGED_BY}=ferry,{PREVIEW}");
        self.api(&namespace_type(), None)
            .list(&ListParams::default().labels(&selector))
            .await
            .map(|list| list.items.iter().map(to_value).collect())
            .map_err(|source| PreviewError::Api {
                what: format!("LIST namespaces?labelSelector={selector}"),
                source,
            })
    }

    /// Reads `name` every `interval` until `judge` says it is done or `timeout` passes (tokio
    /// time); `on_change` hears each new phase.
    pub async fn wait_done(
        &self,
        resource: &ResourceType,
        namespace: &str,
        name: &str,
        judge: fn(&Value) -> WorkflowState,
        wait: Wait,
        on_change: &mut (dyn FnMut(&WorkflowState) + Send),
    ) -> Result<WorkflowState, PreviewError> {
        let Wait { interval, timeout } = wait;
        let started = tokio::time::Instant::now();
        let mut last: Option<WorkflowState> = None;
        loop {
            let obj = self
                .get(resource, Some(namespace), name)
                .await?
                .ok_or_else(|| {
                    PreviewError::NotFound(format!(
                        "{} {namespace}/{name} disappeared while it ran",
                        resource.kind
                    ))
                })?;
            let state = judge(&obj);
            if last.as_ref().is_none_or(|l| l.phase != state.phase) {
                on_change(&state);
            }
            if state.phase.is_done() {
                return Ok(state);
            }
            last = Some(state);
            if started.elapsed() + interval > timeout {
                let last = last.expect("set above");
                return Err(PreviewError::Timeout {
                    what: format!("{} {namespace}/{name}", resource.kind),
                    waited: started.elapsed(),
                    last: format!("phase {} {}", last.phase.as_str(), last.message)
                        .trim()
                        .to_string(),
                });
            }
            tokio::time::sleep(interval).await;
        }
    }
}

/// Refuses a namespace that is not this preview's.
fn check_ours(preview: &Preview, ns: &Value) -> Result<(), PreviewError> {
    if preview.owns(ns) {
        return Ok(());
    }
    let labels = ns
        .pointer("/metadata/labels")
        .map_or_else(|| "no labels".to_string(), Value::to_string);
    Err(PreviewError::NotOurs {
        namespace: preview.namespace.clone(),
        preview: preview.name.clone(),
        reason: format!("labels {labels}"),
    })
}
