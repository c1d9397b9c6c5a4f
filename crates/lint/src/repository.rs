//! What `ferry-lint` reads: `ferry.toml` and the workflows of `.github/workflows/`.

use std::path::{Path, PathBuf};

use ferry_config::{Config, ConfigError};
use ferry_kustomize::documents::DocumentsError;

use crate::workflow::{self, Workflow};

/// Where GitHub looks for workflows, relative to the repository root.
pub const WORKFLOWS_DIR: &str = ".github/workflows";

/// The largest workflow file read (1 MiB; GitHub's own limit is lower).
const MAX_WORKFLOW_BYTES: u64 = 1024 * 1024;

/// Why a repository cannot be linted.
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    /// No `ferry.toml` was given or found at the root.
    #[error("no ferry.toml in {}; pass --config FILE or run in the repository root", root.display())]
    NoConfig {
        /// The repository root.
        root: PathBuf,
    },
    /// `ferry.toml` is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file or directory cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A workflow is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] DocumentsError),
    /// A workflow is valid YAML but not shaped like a workflow.
    #[error("{file}:{line}:{column}: {message}")]
    Shape {
        /// The workflow file, relative to the root.
        file: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl ferry_error::Classify for LintError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        match self {
            LintError::Io { .. } => ferry_error::ErrorKind::Io,
            _ => ferry_error::ErrorKind::BadInput,
        }
    }
}

/// A repository to lint: its root, `ferry.toml` and workflows.
#[derive(Debug, Clone)]
pub struct Repository {
    /// The root directory.
    pub root: PathBuf,
    /// `ferry.toml`, checked.
    pub config: Config,
    /// The config file's path relative to the root (as findings name it).
    pub config_file: String,
    /// The workflows of [`WORKFLOWS_DIR`] (`*.yml`, `*.yaml`), by file name.
    pub workflows: Vec<Workflow>,
}

impl Repository {
    /// Reads the repository at `root`: `config` (default `root/ferry.toml`) and every
    /// workflow. A missing workflows directory means no workflows.
    pub fn load(root: &Path, config: Option<&Path>) -> Result<Repository, LintError> {
        let config_path = match config {
            Some(path) => path.to_path_buf(),
            None => {
                let path = root.join(ferry_config::FILE_NAME);
                if !path.is_file() {
                    return Err(LintError::NoConfig {
                        root: root.to_path_buf(),
                    });
                }
                path
            }
        };
        let config = Config::load(&config_path)?;
        let config_file = relative(root, &config_path);
        let dir = root.join(WORKFLOWS_DIR);
        let mut files = Vec::new();
        if dir.is_dir() {
            let io = |source| LintError::Io {
                path: dir.clone(),
                source,
            };
            for entry in std::fs::read_dir(&dir).map_err(io)? {
                let path = entry.map_err(io)?.path();
                let yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
                if yaml && path.is_file() {
                    files.push(path);
                }
            }
        }
        files.sort();
        let mut workflows = Vec::new();
        for path in files {
            let bytes = ferry_kustomize::source::read_regular_file(&path, MAX_WORKFLOW_BYTES)
                .map_err(|source| LintError::Io {
                    path: path.clone(),
                    source,
                })?;
            let text = String::from_utf8(bytes).map_err(|e| LintError::Io {
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
            })?;
            let file = relative(root, &path);
            if let Some(workflow) = Repository::workflow(&file, &text)? {
                workflows.push(workflow);
            }
        }
        Ok(Repository {
            root: root.to_path_buf(),
            config,
            config_file,
            workflows,
        })
    }

    /// Reads one workflow's text (`None`: the file holds no document).
    pub fn workflow(file: &str, text: &str) -> Result<Option<Workflow>, LintError> {
        let Some(doc) = ferry_kustomize::located::parse_located(text, file)? else {
            return Ok(None);
        };
        workflow::read(file, &doc, text)
            .map(Some)
            .map_err(|e| LintError::Shape {
                file: file.to_string(),
                line: e.at.line,
                column: e.at.column,
                message: e.message,
            })
    }

    /// The path of each environment's overlay relative to the root, `/`-separated, by name
    /// (give [`Repository::load`] absolute paths, or paths relative to the same directory).
    pub fn overlays(&self) -> Vec<(String, String)> {
        self.config
            .environments()
            .iter()
            .map(|env| {
                let dir = self.config.overlay_dir(env);
                (env.name.clone(), relative(&self.root, &dir))
            })
            .collect()
    }
}

/// `path` relative to `root` when it is below it, `/`-separated.
fn relative(root: &Path, path: &Path) -> String {
    let clean = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    let (root, path) = (clean(root), clean(path));
    path.strip_prefix(&root)
        .unwrap_or(&path)
        .to_string_lossy()
        .replace('\\', "/")
}
