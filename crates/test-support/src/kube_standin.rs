//! A stateful stand-in for the Kubernetes API server on 127.0.0.1 (wiremock), for the tests of
//! the binaries that call the API (`ferry-preview`, `ferry-rollout`, `ferry-rollback`): objects
//! kept by path, server-side apply, JSON merge patches and JSON patches (RFC 7386, RFC 6902; a
//! subresource's, `…/status`, patches the object), create with `generateName`, get, list and
//! delete-collection by label selector, namespace deletion, and a log of every request.
//!
//! Its error bodies are the conformance data of `fixtures/conformance/kubernetes/` (a 404 is
//! `status-404-not-found.json` with the object's name, a refused apply is
//! `status-409-apply-conflict.json`); a deleted namespace answers in the `Terminating` state of
//! `namespace-lifecycle.jsonl` (`design-doc-deleted`), then is gone (its controller done). An
//! applied Deployment is given the status of a finished rollout (or, when marked failing, of one
//! that exceeded its progress deadline); a created Workflow or Job answers reads with the
//! statuses the test scripted (Argo's Workflows from `fixtures/conformance/argo-workflows/`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

/// One request the stand-in answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// `GET`, `PATCH`, …
    pub method: String,
    /// The path.
    pub path: String,
    /// The query, decoded.
    pub query: BTreeMap<String, String>,
    /// The `content-type` header, empty when none.
    pub content_type: String,
    /// The body as JSON (`null` when empty).
    pub body: Value,
}

#[derive(Default)]
struct State {
    objects: BTreeMap<String, Value>,
    log: Vec<Seen>,
    conflicts: Vec<String>,
    failing: Vec<String>,
    /// Statuses a created object of this plural answers with, in turn (the last one sticks).
    scripts: BTreeMap<String, Vec<Value>>,
    reads: BTreeMap<String, usize>,
    counter: u64,
}

/// The stand-in's priority among the server's mocks (wiremock: lower first), below
/// [`KubeStandIn::mount`]'s.
const STANDIN_PRIORITY: u8 = 10;

/// The stand-in.
pub struct KubeStandIn {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

fn conformance_json(rel: &str) -> Value {
    let path = crate::conformance_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read conformance data {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The 404 body of the conformance data, naming `name` of `kind` (a plural).
fn not_found(kind: &str, name: &str) -> ResponseTemplate {
    let mut body = conformance_json("kubernetes/status-404-not-found.json");
    body["message"] = json!(format!("{kind} \"{name}\" not found"));
    body["details"] = json!({"name": name, "kind": kind});
    ResponseTemplate::new(404).set_body_json(body)
}

/// The `Terminating` namespace of the conformance data's lifecycle, named `name`.
fn terminating(mut namespace: Value) -> Value {
    let deleted = crate::conformance_cases("kubernetes/namespace-lifecycle.jsonl")
        .into_iter()
        .find(|c| c["id"] == "design-doc-deleted")
        .expect("namespace-lifecycle.jsonl holds design-doc-deleted");
    namespace["metadata"]["deletionTimestamp"] = json!("2026-12-07T12:00:00Z");
    namespace["status"] = deleted["object"]["status"].clone();
    namespace["spec"] = deleted["object"]["spec"].clone();
    namespace
}

/// Whether `obj`'s labels satisfy a selector of `k=v`, `k` (exists) and `!k` terms.
pub fn selects(selector: &str, obj: &Value) -> bool {
    let labels = obj.pointer("/metadata/labels").and_then(Value::as_object);
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    selector
        .split(',')
        .filter(|t| !t.is_empty())
        .all(|term| match term.split_once('=') {
            Some((k, v)) => get(k) == Some(v),
            None => match term.strip_prefix('!') {
                Some(k) => get(k).is_none(),
                None => get(term).is_some(),
            },
        })
}

/// `(collection path, name)` of an object path: the last segment is the name when the segment
/// before it is a plural after a namespace or API version.
fn split_path(path: &str) -> (String, Option<String>) {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    // /api/v1/PLURAL[/NAME] | /api/v1/namespaces/NS/PLURAL[/NAME]
    // /apis/G/V/PLURAL[/NAME] | /apis/G/V/namespaces/NS/PLURAL[/NAME]
    let base = if segs.first() == Some(&"api") { 2 } else { 3 };
    let rest = &segs[base.min(segs.len())..];
    let collection_len = match rest {
        ["namespaces", _, _plural, ..] => base + 3,
        _ => base + 1,
    };
    if segs.len() > collection_len {
        (
            format!("/{}", segs[..collection_len].join("/")),
            Some(segs[collection_len].to_string()),
        )
    } else {
        (format!("/{}", segs.join("/")), None)
    }
}

fn plural_of(collection: &str) -> &str {
    collection.rsplit('/').next().unwrap_or_default()
}

impl State {
    fn items(&self, collection: &str, selector: Option<&str>) -> Vec<(String, Value)> {
        let prefix = format!("{collection}/");
        self.objects
            .iter()
            .filter(|(p, _)| p.starts_with(&prefix) && !p[prefix.len()..].contains('/'))
            .filter(|(_, o)| selector.is_none_or(|s| selects(s, o)))
            .map(|(p, o)| (p.clone(), o.clone()))
            .collect()
    }

    fn stored(&mut self, path: &str, mut obj: Value, created: bool) -> Value {
        self.counter += 1;
        let metadata = obj["metadata"]
            .as_object_mut()
            .expect("an object with metadata");
        metadata.insert("resourceVersion".into(), json!(self.counter.to_string()));
        if created {
            metadata.insert("uid".into(), json!(format!("uid-{}", self.counter)));
            metadata.insert("creationTimestamp".into(), json!("2026-12-07T12:00:00Z"));
            metadata.insert("generation".into(), json!(1));
        }
        self.objects.insert(path.to_string(), obj.clone());
        obj
    }

    fn with_status(&mut self, path: &str, plural: &str, mut obj: Value) -> Value {
        match plural {
            "namespaces" if obj.get("status").is_none() => {
                obj["status"] = json!({"phase": "Active"});
            }
            "deployments" => {
                let generation = obj
                    .pointer("/metadata/generation")
                    .cloned()
                    .unwrap_or(json!(1));
                obj["status"] = if self.failing.iter().any(|f| path.ends_with(f)) {
                    json!({"observedGeneration": generation, "replicas": 1, "updatedReplicas": 1,
                        "unavailableReplicas": 1, "conditions": [
                        {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
                        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]})
                } else {
                    json!({"observedGeneration": generation, "replicas": 1, "updatedReplicas": 1,
                        "readyReplicas": 1, "availableReplicas": 1, "conditions": [
                        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]})
                };
            }
            _ => {
                if let Some(script) = self.scripts.get(plural) {
                    let n = self.reads.entry(path.to_string()).or_default();
                    let status = script[(*n).min(script.len() - 1)].clone();
                    *n += 1;
                    merge_status(&mut obj, &status);
                }
            }
        }
        obj
    }

    /// Server-side apply of `seen`'s body at `object_path`.
    fn apply(&mut self, seen: &Seen, object_path: &str, plural: &str) -> ResponseTemplate {
        if self.conflicts.iter().any(|c| object_path.ends_with(c)) {
            let body = conformance_json("kubernetes/status-409-apply-conflict.json");
            return ResponseTemplate::new(409).set_body_json(body);
        }
        let created = !self.objects.contains_key(object_path);
        let mut obj = seen.body.clone();
        if let Some(old) = self.objects.get(object_path) {
            for key in ["uid", "creationTimestamp", "generation"] {
                obj["metadata"][key] = old["metadata"][key].clone();
            }
        }
        obj["metadata"]["managedFields"] = json!([{"manager": seen.query["fieldManager"],
            "operation": "Apply", "apiVersion": obj["apiVersion"], "fieldsType": "FieldsV1",
            "fieldsV1": {}, "time": "2026-12-07T12:00:00Z"}]);
        let obj = self.stored(object_path, obj, created);
        let obj = self.with_status(object_path, plural, obj);
        ResponseTemplate::new(if created { 201 } else { 200 }).set_body_json(obj)
    }

    fn answer(&mut self, seen: &Seen) -> ResponseTemplate {
        let (collection, name) = split_path(&seen.path);
        let plural = plural_of(&collection).to_string();
        let selector = seen.query.get("labelSelector").map(String::as_str);
        match (seen.method.as_str(), name) {
            ("PATCH", Some(name)) => {
                let object_path = format!("{collection}/{name}");
                match seen.content_type.as_str() {
                    "application/apply-patch+yaml" if seen.query.contains_key("fieldManager") => {
                        self.apply(seen, &object_path, &plural)
                    }
                    "application/merge-patch+json" | "application/json-patch+json" => {
                        let Some(mut obj) = self.objects.get(&object_path).cloned() else {
                            return not_found(&plural, &name);
                        };
                        if seen.content_type == "application/merge-patch+json" {
                            merge_patch(&mut obj, &seen.body);
                        } else if let Err(message) = json_patch(&mut obj, &seen.body) {
                            return ResponseTemplate::new(422).set_body_json(json!({"kind":
                                "Status", "code": 422, "status": "Failure", "message": message}));
                        }
                        let obj = self.stored(&object_path, obj, false);
                        let obj = self.with_status(&object_path, &plural, obj);
                        ResponseTemplate::new(200).set_body_json(obj)
                    }
                    _ => ResponseTemplate::new(415)
                        .set_body_json(json!({"kind": "Status", "code": 415, "status": "Failure"})),
                }
            }
            ("POST", None) => {
                let mut obj = seen.body.clone();
                let name = match obj.pointer("/metadata/name").and_then(Value::as_str) {
                    Some(n) => n.to_string(),
                    None => {
                        let prefix = obj
                            .pointer("/metadata/generateName")
                            .and_then(Value::as_str)
                            .unwrap_or("object-")
                            .to_string();
                        format!("{prefix}{:05}", self.counter + 1)
                    }
                };
                obj["metadata"]["name"] = json!(name);
                let path = format!("{collection}/{name}");
                let obj = self.stored(&path, obj, true);
                ResponseTemplate::new(201).set_body_json(obj)
            }
            ("GET", Some(name)) => {
                let path = format!("{collection}/{name}");
                match self.objects.get(&path).cloned() {
                    Some(obj) => {
                        let obj = self.with_status(&path, &plural, obj);
                        ResponseTemplate::new(200).set_body_json(obj)
                    }
                    None => not_found(&plural, &name),
                }
            }
            ("GET", None) if seen.query.get("watch").is_some_and(|w| w == "true") => {
                ResponseTemplate::new(200).set_body_string("")
            }
            ("GET", None) => {
                let items: Vec<Value> = self
                    .items(&collection, selector)
                    .into_iter()
                    .map(|(p, o)| self.with_status(&p, &plural, o))
                    .collect();
                ResponseTemplate::new(200).set_body_json(list(&items, self.counter))
            }
            ("DELETE", None) => {
                let deleted = self.items(&collection, selector);
                for (p, _) in &deleted {
                    self.objects.remove(p);
                }
                let items: Vec<Value> = deleted.into_iter().map(|(_, o)| o).collect();
                ResponseTemplate::new(200).set_body_json(list(&items, self.counter))
            }
            ("DELETE", Some(name)) => {
                let path = format!("{collection}/{name}");
                let Some(obj) = self.objects.remove(&path) else {
                    return not_found(&plural, &name);
                };
                if plural == "namespaces" && collection == "/api/v1/namespaces" {
                    // The namespace controller removes what is left, then the namespace.
                    let inside = format!("/namespaces/{name}/");
                    self.objects.retain(|p, _| !p.contains(&inside));
                    return ResponseTemplate::new(200).set_body_json(terminating(obj));
                }
                ResponseTemplate::new(200).set_body_json(obj)
            }
            _ => ResponseTemplate::new(405)
                .set_body_json(json!({"kind": "Status", "code": 405, "status": "Failure"})),
        }
    }
}

/// A JSON merge patch (RFC 7386) applied to `target`: `null` removes a key, objects merge,
/// anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("an object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// A JSON patch (RFC 6902: `add`, `replace`, `remove`) applied to `target`, or why not.
fn json_patch(target: &mut Value, ops: &Value) -> Result<(), String> {
    for op in ops.as_array().ok_or("a JSON patch is an array")? {
        let path = op["path"].as_str().ok_or("an operation without a path")?;
        let (parent, last) = path.rsplit_once('/').ok_or("a path starts with /")?;
        let key = last.replace("~1", "/").replace("~0", "~");
        let parent = target
            .pointer_mut(parent)
            .ok_or_else(|| format!("{path}: no such parent"))?;
        let value = op.get("value").cloned();
        match (op["op"].as_str(), parent) {
            (Some("add"), Value::Object(m)) => {
                m.insert(key, value.ok_or("add without a value")?);
            }
            (Some("replace"), Value::Object(m)) if m.contains_key(&key) => {
                m.insert(key, value.ok_or("replace without a value")?);
            }
            (Some("remove"), Value::Object(m)) if m.contains_key(&key) => {
                m.remove(&key);
            }
            (Some("add"), Value::Array(a)) if key == "-" => {
                a.push(value.ok_or("add without a value")?);
            }
            (Some(kind), Value::Array(a)) => {
                let i: usize = key.parse().map_err(|_| format!("{path}: not an index"))?;
                match kind {
                    "add" if i <= a.len() => a.insert(i, value.ok_or("add without a value")?),
                    "replace" if i < a.len() => a[i] = value.ok_or("replace without a value")?,
                    "remove" if i < a.len() => {
                        a.remove(i);
                    }
                    _ => return Err(format!("{path}: cannot {kind}")),
                }
            }
            (kind, _) => return Err(format!("{path}: cannot {}", kind.unwrap_or("?"))),
        }
    }
    Ok(())
}

fn merge_status(obj: &mut Value, status: &Value) {
    if let Some(s) = status.get("status") {
        obj["status"] = s.clone();
    }
    if let Some(labels) = status
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        && let Some(own) = obj
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
    {
        for (k, v) in labels {
            own.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

fn list(items: &[Value], version: u64) -> Value {
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": version.to_string()},
        "items": items})
}

struct Responder(Arc<Mutex<State>>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let seen = Seen {
            method: request.method.to_string(),
            path: request.url.path().to_string(),
            query: request
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            content_type: request
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            body: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
        };
        let mut state = self.0.lock().expect("the stand-in's state");
        let answer = state.answer(&seen);
        state.log.push(seen);
        answer
    }
}

impl KubeStandIn {
    /// Starts an empty cluster.
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(Responder(state.clone()))
            .with_priority(STANDIN_PRIORITY)
            .mount(&server)
            .await;
        Self { server, state }
    }

    /// The API server's URL (`--server`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Answers what `mock` matches on the same server, before the stand-in does: another
    /// service the binary calls (a webhook), so one request log orders both.
    pub async fn mount(&self, mock: wiremock::Mock) {
        mock.with_priority(STANDIN_PRIORITY - 1)
            .mount(&self.server)
            .await;
    }

    /// Every request the server received, the stand-in's and the mounted mocks', in order.
    pub async fn received_requests(&self) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .expect("wiremock records requests")
    }

    /// Every request so far.
    pub fn log(&self) -> Vec<Seen> {
        self.state.lock().expect("state").log.clone()
    }

    /// Forgets the requests so far.
    pub fn clear_log(&self) {
        self.state.lock().expect("state").log.clear();
    }

    /// The object at `path`, if it exists.
    pub fn object(&self, path: &str) -> Option<Value> {
        self.state.lock().expect("state").objects.get(path).cloned()
    }

    /// The paths of every object kept.
    pub fn paths(&self) -> Vec<String> {
        self.state
            .lock()
            .expect("state")
            .objects
            .keys()
            .cloned()
            .collect()
    }

    /// Puts an object at `path` as if something else had created it.
    pub fn insert(&self, path: &str, obj: Value) {
        self.state
            .lock()
            .expect("state")
            .objects
            .insert(path.to_string(), obj);
    }

    /// Server-side applies to a path ending in `suffix` answer the conformance 409 conflict.
    pub fn conflict_on(&self, suffix: &str) {
        self.state
            .lock()
            .expect("state")
            .conflicts
            .push(suffix.into());
    }

    /// A Deployment at a path ending in `suffix` exceeds its progress deadline.
    pub fn failing(&self, suffix: &str) {
        self.state
            .lock()
            .expect("state")
            .failing
            .push(suffix.into());
    }

    /// Reads of a created object of `plural` answer with these objects' `status` (and their
    /// labels added), one per read, the last one repeated.
    pub fn script(&self, plural: &str, statuses: Vec<Value>) {
        assert!(!statuses.is_empty(), "a script needs a status");
        self.state
            .lock()
            .expect("state")
            .scripts
            .insert(plural.into(), statuses);
    }
}

/// The labels of an object, as a map.
pub fn labels(obj: &Value) -> Map<String, Value> {
    obj.pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_collection_and_name() {
        assert_eq!(
            split_path("/api/v1/namespaces/staging-pr-1"),
            ("/api/v1/namespaces".into(), Some("staging-pr-1".into()))
        );
        assert_eq!(
            split_path("/apis/apps/v1/namespaces/ns/deployments/web"),
            (
                "/apis/apps/v1/namespaces/ns/deployments".into(),
                Some("web".into())
            )
        );
        assert_eq!(
            split_path("/apis/apps/v1/namespaces/ns/deployments"),
            ("/apis/apps/v1/namespaces/ns/deployments".into(), None)
        );
        assert_eq!(
            split_path("/api/v1/namespaces"),
            ("/api/v1/namespaces".into(), None)
        );
    }

    #[test]
    fn merge_and_json_patches_apply_as_the_rfcs_say() {
        let mut obj = json!({"spec": {"paused": true, "replicas": 2}, "status": {"abort": true}});
        merge_patch(
            &mut obj,
            &json!({"spec": {"paused": false}, "status": {"abort": null}}),
        );
        assert_eq!(
            obj,
            json!({"spec": {"paused": false, "replicas": 2}, "status": {}})
        );
        let ops = json!([{"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/spec/items", "value": []},
            {"op": "add", "path": "/spec/items/-", "value": "a/b"},
            {"op": "remove", "path": "/spec/paused"}]);
        json_patch(&mut obj, &ops).expect("a valid patch");
        assert_eq!(
            obj,
            json!({"spec": {"replicas": 3, "items": ["a/b"]}, "status": {}})
        );
        let missing = json!([{"op": "replace", "path": "/spec/nothing", "value": 1}]);
        assert!(json_patch(&mut obj, &missing).is_err());
    }

    #[test]
    fn selectors_match_labels() {
        let obj = json!({"metadata": {"labels": {"a": "1", "b": "2"}}});
        assert!(selects("a=1,b", &obj));
        assert!(!selects("a=2", &obj));
        assert!(selects("!c", &obj));
        assert!(!selects("!a", &obj));
    }
}
