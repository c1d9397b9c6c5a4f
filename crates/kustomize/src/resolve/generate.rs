//! `configMapGenerator` and `secretGenerator`: the generated objects join the resources, so
//! later patches and selectors find them by the generator's name.
//!
//! Only the object's identity is built (kind, name, namespace, generator labels and
//! annotations): its data and kustomize's content-hash name suffix are not computed, since they
//! cannot change an image.

use std::path::Path;

use serde_json::{Value, json};

use super::builder::{Builder, Origin};
use super::resource::{Res, norm_ns, registered_id};
use crate::model::{GeneratorArgs, Kustomization};

impl Builder<'_> {
    /// Checks the generators of `k` (names, files) and adds, merges or replaces the objects
    /// they generate in `acc`, as kustomize's `behavior` says.
    pub(super) fn generate(
        &mut self,
        dir: &Path,
        file: &Path,
        k: &Kustomization,
        acc: &mut Vec<Res>,
    ) {
        let generators = k
            .config_map_generator
            .iter()
            .flatten()
            .map(|g| ("ConfigMap", g))
            .chain(k.secret_generator.iter().flatten().map(|g| ("Secret", g)));
        for (kind, g) in generators {
            let at = Origin::at(file, g);
            let files = g.value.files.iter().flatten().map(|f| {
                f.split_once('=')
                    .map_or(f.as_str(), |(_, path)| path)
                    .to_string()
            });
            let envs = g.value.envs.iter().flatten().chain(&g.value.env).cloned();
            for path in files.chain(envs).collect::<Vec<_>>() {
                if let Some(real) = self.local_path(dir, &at, &path, "generator file")
                    && self.src.kind(&real).is_none()
                {
                    self.error(
                        &at,
                        format!(
                            "generator file `{path}` is not a regular file (a device, FIFO or \
                             socket); name a regular file"
                        ),
                    );
                }
            }
            let name = g.value.name.as_deref().unwrap_or_default();
            if name.is_empty() {
                self.error(&at, "generator without `name`; give it a name".into());
                continue;
            }
            let behavior = g.value.behavior.as_deref().unwrap_or("create");
            match behavior {
                "" | "create" => {
                    let r = generated(kind, name, k, &g.value);
                    let mut seen = acc.iter().map(registered_id).collect();
                    self.add(acc, &mut seen, vec![r], &at);
                }
                "merge" | "replace" => {
                    let ns = g.value.namespace.as_deref().unwrap_or_default();
                    let found = acc.iter().any(|r| {
                        r.kind() == kind
                            && r.history
                                .iter()
                                .any(|(n_s, n)| n == name && n_s == norm_ns(ns))
                    });
                    if !found {
                        self.error(
                            &at,
                            format!(
                                "`behavior: {behavior}` needs a {kind} `{name}` from the \
                                 resources or bases, and there is none; use `behavior: create` \
                                 or fix the name"
                            ),
                        );
                    }
                }
                other => self.error(
                    &at,
                    format!("unknown generator `behavior: {other}`; use create, merge or replace"),
                ),
            }
        }
    }
}

/// The object a generator creates, without data.
fn generated(kind: &str, name: &str, k: &Kustomization, g: &GeneratorArgs) -> Res {
    let mut doc = json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}});
    if let Some(ns) = g.namespace.as_deref().filter(|ns| !ns.is_empty()) {
        doc["metadata"]["namespace"] = Value::String(ns.to_string());
    }
    let mut r = Res::new(doc);
    for options in [k.generator_options.as_ref(), g.options.as_ref()]
        .into_iter()
        .flatten()
    {
        for (key, value) in options.labels.iter().flatten() {
            r.set_meta_entry("labels", key, value);
        }
        for (key, value) in options.annotations.iter().flatten() {
            r.set_meta_entry("annotations", key, value);
        }
    }
    r
}
