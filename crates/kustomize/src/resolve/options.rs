//! How an overlay is resolved: the settings a repository chooses (in `ferry.toml`).

/// Which files a kustomization may read, as kustomize's `--load-restrictor` says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LoadRestrictor {
    /// `LoadRestrictionsRootOnly`, the default of kustomize, `kubectl kustomize` and Argo CD:
    /// a kustomization reads files only in or below its own directory (bases and components,
    /// which are directories, may be anywhere).
    #[default]
    RootOnly,
    /// `LoadRestrictionsNone`: any file inside the repository root.
    None,
}

impl LoadRestrictor {
    /// Parses the `ferry.toml` spelling: `root-only` or `none`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "root-only" => Some(Self::RootOnly),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// Settings of a resolution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolveOptions {
    /// Which files a kustomization may read.
    pub load_restrictor: LoadRestrictor,
}
