//! `configurations:` and the configurations of `generators:`, `transformers:` and
//! `validators:`: the image field specs and `ImageTagTransformer` entries the `images` step
//! uses, and warnings for what Ferry does not run.

use std::path::Path;

use serde_json::Value;

use super::builder::{Builder, Origin};
use super::resource::str_at;
use crate::images::ImageEntry;
use crate::model::{Kustomization, Spanned};
use crate::validate::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PluginRole {
    Generator,
    Transformer,
    Validator,
}

impl Builder<'_> {
    /// Notes a field a rendering must refuse.
    pub(super) fn unrender(&mut self, file: &Path, field: &str, reason: &str) {
        self.unrendered.push(super::resolution::Unrendered {
            file: file.to_path_buf(),
            field: field.to_string(),
            reason: reason.to_string(),
        });
    }

    /// The `images` field specs of the files of `configurations:`: `(kind, path)`.
    pub(super) fn configured_image_paths(
        &mut self,
        dir: &Path,
        file: &Path,
        k: &Kustomization,
    ) -> Vec<(Option<String>, String)> {
        let mut image_paths: Vec<(Option<String>, String)> = Vec::new();
        for entry in k.configurations.iter().flatten() {
            let at = Origin::at(file, entry);
            if let Some(path) = self.local_path(dir, &at, &entry.value, "configuration file") {
                image_paths.extend(self.image_field_specs(&path, &at));
            }
        }
        image_paths
    }

    /// The `ImageTagTransformer` entries of `generators:`, `transformers:` and `validators:`,
    /// with their field specs, after checking every configuration.
    pub(super) fn plugin_images(
        &mut self,
        dir: &Path,
        file: &Path,
        k: &Kustomization,
    ) -> Vec<(ImageEntry, Vec<String>)> {
        let mut plugin_images = Vec::new();
        for (list, role) in [
            (&k.generators, PluginRole::Generator),
            (&k.transformers, PluginRole::Transformer),
            (&k.validators, PluginRole::Validator),
        ] {
            for entry in list.iter().flatten() {
                plugin_images.extend(self.plugin_config(dir, file, entry, role));
            }
        }
        plugin_images
    }

    /// Checks a generator, transformer or validator configuration (a file or inline YAML).
    /// Returns the images entries of `ImageTagTransformer` configurations, with their field
    /// specs; warns about configurations Ferry does not run that can change workloads.
    fn plugin_config(
        &mut self,
        dir: &Path,
        file: &Path,
        entry: &Spanned<String>,
        role: PluginRole,
    ) -> Vec<(ImageEntry, Vec<String>)> {
        let at = Origin::at(file, entry);
        let field = match role {
            PluginRole::Generator => "generators",
            PluginRole::Transformer => "transformers",
            PluginRole::Validator => "validators",
        };
        let text = if entry.value.contains('\n') {
            entry.value.clone()
        } else {
            let Some(path) = self.local_path(dir, &at, &entry.value, "plugin configuration") else {
                return Vec::new();
            };
            if self.src.is_dir(&path) {
                self.unrender(
                    file,
                    field,
                    "Ferry builds no plugin configuration directory",
                );
                self.push(
                    Severity::Warning,
                    &at,
                    "Ferry does not build plugin configuration directories: workloads or images \
                     they produce are not reflected"
                        .into(),
                );
                return Vec::new();
            }
            match self.read_text(&path) {
                Ok(t) => t,
                Err(e) => {
                    self.error(&at, e);
                    return Vec::new();
                }
            }
        };
        let Some(docs) = self.parse_patch(&at, &text) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for doc in docs.iter() {
            let kind = str_at(doc, &["kind"]).to_string();
            match (role, kind.as_str()) {
                (PluginRole::Transformer, "LabelTransformer" | "AnnotationsTransformer") => {
                    let map = if kind == "LabelTransformer" {
                        "labels"
                    } else {
                        "annotations"
                    };
                    let pairs: Vec<(String, String)> = doc[map]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect();
                    let specs = doc["fieldSpecs"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|f| {
                            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
                            (
                                s("group"),
                                s("version"),
                                s("kind"),
                                s("path"),
                                f["create"] == true,
                            )
                        })
                        .collect();
                    self.metadata_plugins.push((pairs, specs));
                }
                (PluginRole::Transformer, "ImageTagTransformer") => {
                    match serde_json::from_value::<ImageEntry>(doc["imageTag"].clone()) {
                        Ok(e) => {
                            let paths = doc["fieldSpecs"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|f| f["path"].as_str().map(String::from))
                                .collect();
                            out.push((e, paths));
                        }
                        Err(err) => self.error(
                            &at,
                            format!("ImageTagTransformer `imageTag` is invalid: {err}"),
                        ),
                    }
                }
                (PluginRole::Validator, _)
                | (PluginRole::Generator, "ConfigMapGenerator" | "SecretGenerator")
                | (
                    PluginRole::Transformer,
                    "ReplicaCountTransformer" | "HashTransformer" | "SortOrderTransformer",
                ) => {
                    self.unrender(file, field, &format!("Ferry does not run `{kind}` plugins"));
                }
                _ => {
                    self.unrender(file, field, &format!("Ferry does not run `{kind}` plugins"));
                    self.push(
                        Severity::Warning,
                        &at,
                        format!(
                            "Ferry does not run `{kind}` configurations: workloads or images they \
                         change are not reflected"
                        ),
                    );
                }
            }
        }
        out
    }

    /// The `images` field specs of a transformer configuration file: `(kind, path)`.
    fn image_field_specs(&mut self, path: &Path, at: &Origin) -> Vec<(Option<String>, String)> {
        let docs = match self.read_text(path).and_then(|t| {
            self.cache
                .resource_documents(&t)
                .map_err(|e| format!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message))
        }) {
            Ok(d) if !self.charge(&d, at) => return Vec::new(),
            Ok(d) => d,
            Err(e) => {
                self.error(at, e);
                return Vec::new();
            }
        };
        docs.iter()
            .filter_map(|d| d.get("images").and_then(Value::as_array))
            .flatten()
            .filter_map(|spec| {
                let p = spec.get("path")?.as_str()?.to_string();
                let kind = spec.get("kind").and_then(Value::as_str).map(String::from);
                Some((kind, p))
            })
            .collect()
    }
}
