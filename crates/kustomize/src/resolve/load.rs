//! Reading what a kustomization lists: local paths inside the repository root and the load
//! restrictor, kustomization files, resource files and the OpenAPI schema file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::builder::{Builder, Origin};
use super::doc::Doc;
use super::options::LoadRestrictor;
use super::resource::{Res, str_at};
use crate::model::{self, KUSTOMIZATION_FILE_NAMES, Kustomization};
use crate::skim::Skimmed;

/// Whether a resource entry names a remote location (git URL, HTTP URL).
pub fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.contains("?ref=")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|h| entry.starts_with(h))
}

impl Builder<'_> {
    pub(super) fn inside_root(&mut self, canonical: &Path, at: &Origin, entry: &str) -> bool {
        if canonical.starts_with(&self.root) {
            return true;
        }
        self.error(
            at,
            format!(
                "`{entry}` resolves to {}, outside the repository root {} (through `..` or a \
                 symlink); keep every file of the overlay inside the repository",
                canonical.display(),
                self.root.display()
            ),
        );
        false
    }

    /// Resolves a local path entry relative to `dir`; reports a missing or escaping path.
    pub(super) fn local_path(
        &mut self,
        dir: &Path,
        at: &Origin,
        entry: &str,
        what: &str,
    ) -> Option<PathBuf> {
        if is_remote(entry) {
            self.error(
                at,
                format!(
                    "remote resources are not supported: `{entry}`; vendor the files into the \
                     repository and list their local path"
                ),
            );
            return None;
        }
        let joined = dir.join(entry);
        if !self.src.exists_no_follow(&joined) {
            self.error(
                at,
                format!("{what} `{entry}` not found: check the path or remove the entry"),
            );
            return None;
        }
        match self.src.canonicalize(&joined) {
            Ok(p) => {
                (self.inside_root(&p, at, entry) && self.loadable(dir, &p, at, entry)).then_some(p)
            }
            Err(e) => {
                self.error(at, format!("{what} `{entry}` cannot be opened: {e}"));
                None
            }
        }
    }

    /// Whether the load restrictor lets the kustomization in `dir` read `path` (canonical):
    /// kustomize's default reads files only in or below the kustomization's directory;
    /// directories (bases, components) may be anywhere.
    fn loadable(&mut self, dir: &Path, path: &Path, at: &Origin, entry: &str) -> bool {
        if self.options.load_restrictor == LoadRestrictor::None
            || path.starts_with(dir)
            || self.src.is_dir(path)
        {
            return true;
        }
        self.error(
            at,
            format!(
                "`{entry}` is the file {}, not in or below the kustomization's directory {}: \
                 kustomize's default load restrictor (LoadRestrictionsRootOnly) refuses it, \
                 as Argo CD does by default; move the file below the kustomization (or make \
                 its directory a kustomization and list that), or set `[kustomize] \
                 load-restrictor = \"none\"` in ferry.toml when Argo CD runs kustomize with \
                 `--load-restrictor LoadRestrictionsNone`",
                self.display(path),
                self.display(dir),
            ),
        );
        false
    }

    pub(super) fn load(
        &mut self,
        dir: &Path,
        at: &Origin,
    ) -> Option<(PathBuf, Arc<Kustomization>)> {
        let found: Vec<PathBuf> = KUSTOMIZATION_FILE_NAMES
            .iter()
            .map(|n| dir.join(n))
            .filter(|p| self.src.is_file(p))
            .collect();
        if found.is_empty()
            && let Some(special) = KUSTOMIZATION_FILE_NAMES
                .iter()
                .map(|n| dir.join(n))
                .find(|p| self.src.exists_no_follow(p) && self.src.kind(p).is_none())
        {
            self.error(
                at,
                format!(
                    "{} is not a regular file (a device, FIFO, socket or dangling link); make it \
                     a regular file",
                    special.display()
                ),
            );
            return None;
        }
        let file = match found.as_slice() {
            [] => {
                self.error(
                    at,
                    format!(
                        "{} has no kustomization.yaml; add one or list the resource files \
                         instead of the directory",
                        dir.display()
                    ),
                );
                return None;
            }
            [one] => one.clone(),
            [first, ..] => {
                self.error(
                    &Origin {
                        file: first.clone(),
                        line: 0,
                        column: 0,
                    },
                    format!(
                        "{} holds more than one kustomization file; keep only kustomization.yaml",
                        dir.display()
                    ),
                );
                return None;
            }
        };
        // The file itself may be a symbolic link: where it leads must be inside the root too.
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let file = match self.src.canonicalize(&file) {
            Ok(real) if real.starts_with(&self.root) => file,
            Ok(real) => {
                self.inside_root(&real, at, name.as_deref().unwrap_or_default());
                return None;
            }
            Err(e) => {
                self.error(at, format!("{} cannot be opened: {e}", file.display()));
                return None;
            }
        };
        let text = match self.read_text(&file) {
            Ok(t) => t,
            Err(e) => {
                self.error(
                    &Origin {
                        file,
                        line: 0,
                        column: 0,
                    },
                    e,
                );
                return None;
            }
        };
        if let Err(e) = self.budget.bytes(text.len()) {
            self.error(at, e);
            return None;
        }
        match self.cache.kustomization(&text) {
            Ok(k) if k.is_empty() => {
                self.error(
                    &Origin {
                        file,
                        line: 0,
                        column: 0,
                    },
                    "the kustomization is empty (nothing but `apiVersion` and `kind`); kustomize \
                     refuses it (\"kustomization.yaml is empty\"): add its resources, or remove \
                     the entry that lists this directory"
                        .into(),
                );
                None
            }
            Ok(k) => Some((file, k)),
            Err(e) => {
                let hint = yaml_hint(&e.message);
                self.error(
                    &Origin {
                        file,
                        line: e.line,
                        column: e.column,
                    },
                    format!("{}{hint}", e.message),
                );
                None
            }
        }
    }

    pub(super) fn read_text(&self, path: &Path) -> Result<String, String> {
        let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
        let len = self.src.file_size(path).map_err(cannot)?;
        if len > model::MAX_YAML_BYTES as u64 {
            return Err(format!(
                "{} is {len} bytes, larger than the {} byte limit; split it into smaller files",
                path.display(),
                model::MAX_YAML_BYTES
            ));
        }
        let bytes = self.src.read(path).map_err(cannot)?;
        String::from_utf8(bytes).map_err(|_| {
            cannot(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ))
        })
    }

    /// `openapi.path`: a local schema file (checked like any file the kustomization reads); a
    /// remote one is refused like a remote resource.
    pub(super) fn check_openapi(&mut self, dir: &Path, file: &Path, k: &Kustomization) {
        let Some(path) = k.openapi.as_ref().and_then(|o| o.get("path")) else {
            return;
        };
        let at = Origin {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
        };
        if is_remote(path) {
            self.error(
                &at,
                format!(
                    "remote `openapi.path` is not supported: `{path}`; vendor the schema into the \
                     repository and give its local path"
                ),
            );
        } else if let Some(schema) = self.local_path(dir, &at, path, "openapi schema file")
            && !self.src.is_file(&schema)
        {
            self.error(
                &at,
                format!("openapi schema file `{path}` is not a regular file; name a file"),
            );
        }
    }

    pub(super) fn read_resources(&mut self, path: &Path, at: &Origin) -> Vec<Res> {
        let text = match self.read_text(path) {
            Ok(t) => t,
            Err(e) => {
                self.error(at, e);
                return Vec::new();
            }
        };
        if self.lazy
            && let Some(file) = self.cache.skimmed(&text)
            && let Some(out) = self.skimmed_resources(&file, path, at)
        {
            return out;
        }
        let docs = match self.cache.resource_documents(&text) {
            Ok(d) if !self.charge(&d, at) => return Vec::new(),
            Ok(d) => d,
            Err(e) => {
                let hint = yaml_hint(&e.message);
                self.error(
                    &Origin {
                        file: path.to_path_buf(),
                        line: e.line,
                        column: e.column,
                    },
                    format!("{}{hint}", e.message),
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for doc in docs.iter() {
            let items = if doc.get("kind").and_then(Value::as_str) == Some("List")
                || str_at(doc, &["kind"]).ends_with("List") && doc.get("items").is_some()
            {
                doc.get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            } else {
                vec![doc.clone()]
            };
            for item in items {
                let here = Origin {
                    file: path.to_path_buf(),
                    line: 0,
                    column: 0,
                };
                if !item.is_object() {
                    self.error(&here, "a resource document must be a mapping".into());
                    continue;
                }
                let r = Res::new(item);
                if r.kind().is_empty() || r.name().is_empty() {
                    self.error(&here, missing_kind_or_name(&r));
                    continue;
                }
                out.push(r);
            }
        }
        out
    }
}

impl Builder<'_> {
    /// The resources of a skimmed file, not decoded; `None` for a file with a `List` (whose
    /// items come from the decoded value: the caller reads it fully).
    fn skimmed_resources(
        &mut self,
        file: &Arc<Skimmed>,
        path: &Path,
        at: &Origin,
    ) -> Option<Vec<Res>> {
        let docs = file.docs();
        let list = |d: &crate::skim::SkimDoc| {
            let kind = str_at(&d.head, &["kind"]);
            kind == "List" || (kind.ends_with("List") && d.has_items)
        };
        if docs.iter().any(list) {
            return None;
        }
        // Charged with an upper bound of the weight (see `Mode::lazy`).
        self.budget.approximate = true;
        let charged = self
            .budget
            .bytes(docs.iter().map(|d| d.weight).sum())
            .and_then(|()| self.budget.objects(docs.len()));
        if let Err(e) = charged {
            self.error(at, e);
            return Some(Vec::new());
        }
        let mut out = Vec::with_capacity(docs.len());
        for i in 0..docs.len() {
            let r = Res::of(Doc::Lazy(Arc::clone(file), i));
            if r.kind().is_empty() || r.name().is_empty() {
                let here = Origin {
                    file: path.to_path_buf(),
                    line: 0,
                    column: 0,
                };
                self.error(&here, missing_kind_or_name(&r));
                continue;
            }
            out.push(r);
        }
        Some(out)
    }
}

fn missing_kind_or_name(r: &Res) -> String {
    format!(
        "a resource without `kind` or `metadata.name` ({}); every object needs both",
        r.describe()
    )
}

fn yaml_hint(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("tab") {
        "; indent with spaces, not tabs"
    } else if m.contains("duplicate") {
        "; remove the repeated key"
    } else if m.contains("unknown field") && !m.contains("did you mean") {
        "; remove the field or fix its spelling"
    } else if m.contains("must be quoted") {
        "; quote it so it stays a string (e.g. `newTag: \"1.10\"`)"
    } else if m.contains("invalid type") {
        "; quote values that must be strings (e.g. `newTag: \"1.10\"`)"
    } else {
        ""
    }
}
