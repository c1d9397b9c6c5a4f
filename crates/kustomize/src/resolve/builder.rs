//! The build of an overlay: kustomizations, their bases and components, followed recursively
//! in kustomize's order, with the run's limits and findings.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::budget::{self, MAX_NESTING, RunBudget};
use super::images::apply_images;
use super::options::ResolveOptions;
use super::order::resolution;
use super::resolution::{Resolution, ResolveError};
use super::resource::{Res, ResKey, registered_id};
use crate::images::ImageEntry;
use crate::model::{
    self, COMPONENT_API_VERSION, KUSTOMIZATION_API_VERSION, KUSTOMIZATION_FILE_NAMES,
    Kustomization, Spanned,
};
use crate::source::{FileSource, ParseCache};
use crate::validate::{self, Finding, Severity};

/// How a resolution reads resource files and what it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mode {
    /// Skim resource files ([`crate::skim`]): documents are decoded only when something reads
    /// or changes more than their head. Results are the same either way.
    pub(super) lazy: bool,
    /// Return [`Resolution::resources`] (every document decoded); without, it is empty.
    pub(super) resources: bool,
}

impl Mode {
    /// Lazy decoding, with the resources.
    pub(super) const ALL: Mode = Mode {
        lazy: true,
        resources: true,
    };
}

/// Resolves on the current thread, which must have [`model::PARSER_STACK_BYTES`] of stack;
/// with `capture`, also returns the overlay's own state before its `images` step.
pub(super) fn validate_here(
    source: &dyn FileSource,
    cache: &ParseCache,
    root: &Path,
    overlay: &Path,
    options: &ResolveOptions,
    capture: bool,
) -> (Result<Resolution, ResolveError>, Option<TopCapture>) {
    validate_here_as(source, cache, (root, overlay), options, capture, Mode::ALL)
}

/// [`validate_here`] in `mode`.
pub(super) fn validate_here_as(
    source: &dyn FileSource,
    cache: &ParseCache,
    (root, overlay): (&Path, &Path),
    options: &ResolveOptions,
    capture: bool,
    mode: Mode,
) -> (Result<Resolution, ResolveError>, Option<TopCapture>) {
    let mut captured = None;
    let result = validate_capturing(
        source,
        cache,
        (root, overlay),
        options,
        (capture, mode),
        &mut captured,
    );
    (result, captured)
}

fn validate_capturing(
    source: &dyn FileSource,
    cache: &ParseCache,
    (root, overlay): (&Path, &Path),
    options: &ResolveOptions,
    (capture, mode): (bool, Mode),
    captured: &mut Option<TopCapture>,
) -> Result<Resolution, ResolveError> {
    let (given_root, given_overlay) = (root, overlay);
    let canon = |p: &Path| {
        source.canonicalize(p).map_err(|source| ResolveError::Io {
            path: p.to_path_buf(),
            source,
        })
    };
    let root = canon(root)?;
    let mut dir = canon(overlay)?;
    // A kustomization file names its directory.
    if source.is_file(&dir)
        && let Some(parent) = dir.parent()
        && dir
            .file_name()
            .is_some_and(|n| KUSTOMIZATION_FILE_NAMES.iter().any(|k| n == *k))
    {
        dir = parent.to_path_buf();
    }
    let shown = overlay.display().to_string();
    let mut b = Builder {
        src: source,
        cache,
        root,
        findings: Vec::new(),
        stack: Vec::new(),
        capture,
        captured: None,
        options: options.clone(),
        top_sort: None,
        budget: RunBudget::default(),
        built: std::collections::HashMap::new(),
        unrendered: Vec::new(),
        metadata_plugins: Vec::new(),
        lazy: mode.lazy,
    };
    let origin = Origin {
        file: dir.clone(),
        line: 0,
        column: 0,
    };
    let resources = if b.inside_root(&dir, &origin, &shown) {
        b.build_dir(&dir, Expect::Kustomization, &origin)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    if b.budget.exhausted && b.budget.approximate {
        // A limit was reached while documents not decoded counted with an upper bound of
        // their weight: decode them all, so that the limits see what the full parse sees.
        return validate_capturing(
            source,
            cache,
            (given_root, given_overlay),
            options,
            (
                capture,
                Mode {
                    lazy: false,
                    ..mode
                },
            ),
            captured,
        );
    }
    if let Some(c) = b.captured.as_mut() {
        c.unrendered.clone_from(&b.unrendered);
    }
    *captured = b.captured.take();
    let sort = b.top_sort.flatten();
    Ok(resolution(
        resources,
        b.findings,
        sort.as_ref(),
        b.unrendered,
        mode.resources,
    ))
}

/// The overlay's own kustomization, captured just before its `images` step.
#[derive(Debug, Clone)]
pub(super) struct TopCapture {
    /// The kustomization file.
    pub(super) file: PathBuf,
    /// The resources before the `images` step.
    pub(super) acc: Vec<Res>,
    pub(super) image_paths: Vec<(Option<String>, String)>,
    pub(super) plugin_images: Vec<(ImageEntry, Vec<String>)>,
    /// Where the findings of [`validate::check_fields`] on the file sit.
    pub(super) checks: std::ops::Range<usize>,
    /// The run's unrendered fields.
    pub(super) unrendered: Vec<super::resolution::Unrendered>,
}

/// Where a problem was found.
#[derive(Debug, Clone)]
pub(super) struct Origin {
    pub(super) file: PathBuf,
    pub(super) line: u64,
    pub(super) column: u64,
}

impl Origin {
    pub(super) fn at<T>(file: &Path, s: &Spanned<T>) -> Self {
        Self {
            file: file.to_path_buf(),
            line: s.referenced.line(),
            column: s.referenced.column(),
        }
    }
}

/// What a directory listed by a kustomization must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Expect {
    Kustomization,
    Component,
}

/// One resolution's build: its source, findings, limits and the directories built so far.
pub(super) struct Builder<'a> {
    pub(super) src: &'a dyn FileSource,
    pub(super) cache: &'a ParseCache,
    pub(super) root: PathBuf,
    pub(super) findings: Vec<Finding>,
    pub(super) stack: Vec<PathBuf>,
    /// Whether to capture the overlay's own state before its `images` step.
    pub(super) capture: bool,
    pub(super) captured: Option<TopCapture>,
    pub(super) options: ResolveOptions,
    /// The overlay's own `sortOptions`, once its kustomization is loaded.
    pub(super) top_sort: Option<Option<model::SortOptions>>,
    /// What is left of this run's limits.
    pub(super) budget: RunBudget,
    /// Directories built so far and what they gave: a base listed many times is built once.
    pub(super) built: std::collections::HashMap<(PathBuf, Expect), Option<Vec<Res>>>,
    /// Fields Ferry does not render exactly, as found.
    pub(super) unrendered: Vec<super::resolution::Unrendered>,
    /// Label and annotation transformer configurations of the kustomization being built.
    pub(super) metadata_plugins: Vec<super::fieldspec::MetadataPlugin>,
    /// Whether resource files are skimmed ([`Mode::lazy`]).
    pub(super) lazy: bool,
}

impl Builder<'_> {
    pub(super) fn push(&mut self, severity: Severity, at: &Origin, message: String) {
        self.findings.push(Finding {
            severity,
            file: at.file.clone(),
            line: at.line,
            column: at.column,
            message,
        });
    }

    pub(super) fn error(&mut self, at: &Origin, message: String) {
        self.push(Severity::Error, at, message);
    }

    /// Builds a kustomization directory on its own (a resource or base).
    fn build_dir(&mut self, dir: &Path, expect: Expect, at: &Origin) -> Option<Vec<Res>> {
        if let Some(pos) = self.stack.iter().position(|d| d == dir) {
            let chain: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&dir.to_path_buf()))
                .map(|d| self.display(d))
                .collect();
            self.error(
                at,
                format!(
                    "cycle: {}; remove one of these references",
                    chain.join(" -> ")
                ),
            );
            return None;
        }
        let key = (dir.to_path_buf(), expect);
        if let Some(done) = self.built.get(&key) {
            // Each copy of a shared base counts against the run's limits.
            let done = done.clone();
            let docs: Vec<&Res> = done.iter().flatten().collect();
            if docs.iter().any(|r| r.doc.is_lazy()) {
                self.budget.approximate = true;
            }
            let charged = self
                .budget
                .bytes(docs.iter().map(|r| r.doc.weight()).sum())
                .and_then(|()| self.budget.objects(docs.len()));
            if let Err(e) = charged {
                self.error(at, e);
                return None;
            }
            return done;
        }
        if self.budget.exhausted {
            return None;
        }
        if let Err(e) = self.budget.build() {
            self.error(at, e);
            return None;
        }
        let out = self.build_dir_once(dir, expect, at);
        self.built.insert(key, out.clone());
        out
    }

    fn build_dir_once(&mut self, dir: &Path, expect: Expect, at: &Origin) -> Option<Vec<Res>> {
        let (file, k) = self.load(dir, at)?;
        if !self.check_kind(&file, &k, expect, at) || !self.nesting_allowed(at) {
            return None;
        }
        self.stack.push(dir.to_path_buf());
        let out = self.accumulate(dir, &file, &k, Vec::new());
        self.stack.pop();
        Some(out)
    }

    /// Whether one more level of kustomizations may be entered (see [`MAX_NESTING`]); false
    /// (with an error, once) past the limit.
    fn nesting_allowed(&mut self, at: &Origin) -> bool {
        if self.stack.len() < MAX_NESTING {
            return true;
        }
        if !self.budget.exhausted {
            self.budget.exhausted = true;
            self.error(
                at,
                format!(
                    "kustomizations are nested more than {MAX_NESTING} levels deep (bases of \
                     bases, or components); flatten the chain"
                ),
            );
        }
        false
    }

    /// Counts bytes copied into resources against the run's limits; false (with an error) past
    /// them.
    pub(super) fn charge_bytes(&mut self, n: usize, at: &Origin) -> bool {
        if n == 0 {
            return true;
        }
        match self.budget.bytes(n) {
            Ok(()) => true,
            Err(e) => {
                self.error(at, e);
                false
            }
        }
    }

    /// Counts parsed documents against the run's limits; false (with an error) past them.
    pub(super) fn charge(&mut self, docs: &[Value], at: &Origin) -> bool {
        let charged = self
            .budget
            .bytes(budget::weight(docs))
            .and_then(|()| self.budget.objects(docs.len()));
        match charged {
            Ok(()) => true,
            Err(e) => {
                self.error(at, e);
                false
            }
        }
    }

    pub(super) fn display(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .map_or_else(|_| p.display().to_string(), |r| r.display().to_string())
    }

    fn check_kind(&mut self, file: &Path, k: &Kustomization, expect: Expect, at: &Origin) -> bool {
        let kind = k
            .kind
            .as_ref()
            .map_or("Kustomization", |s| s.value.as_str());
        let here = |s: &Option<Spanned<String>>| {
            s.as_ref().map_or(
                Origin {
                    file: file.to_path_buf(),
                    line: 1,
                    column: 1,
                },
                |s| Origin::at(file, s),
            )
        };
        match kind {
            "Kustomization" | "Component" => {}
            other => {
                self.error(
                    &here(&k.kind),
                    format!("unknown kind `{other}`; use `Kustomization` or `Component`"),
                );
                return false;
            }
        }
        if let Some(api) = &k.api_version {
            let want = if kind == "Component" {
                COMPONENT_API_VERSION
            } else {
                KUSTOMIZATION_API_VERSION
            };
            if api.value != want {
                self.error(
                    &Origin::at(file, api),
                    format!(
                        "apiVersion `{}` does not fit kind `{kind}`; use `{want}`",
                        api.value
                    ),
                );
            }
        }
        match (expect, kind) {
            (Expect::Kustomization, "Component") => {
                self.error(
                    at,
                    format!(
                        "{} is a Component, used here as a resource; list it under `components:`",
                        self.display(file.parent().unwrap_or(file))
                    ),
                );
                false
            }
            (Expect::Component, "Kustomization") => {
                self.error(
                    at,
                    format!(
                        "{} is a Kustomization, used here as a component; list it under \
                         `resources:` or make it `kind: Component`",
                        self.display(file.parent().unwrap_or(file))
                    ),
                );
                false
            }
            _ => true,
        }
    }

    /// Adds resources to `acc`, refusing ids already registered; `seen` holds the ids of `acc`
    /// (a set, so that many resources are added in linear time).
    pub(super) fn add(
        &mut self,
        acc: &mut Vec<Res>,
        seen: &mut HashSet<ResKey>,
        new: Vec<Res>,
        at: &Origin,
    ) {
        for r in new {
            if !seen.insert(registered_id(&r)) {
                self.error(
                    at,
                    format!(
                        "{} is included twice (kustomize refuses an already registered id); \
                         remove one of the entries that bring it in",
                        r.describe()
                    ),
                );
                continue;
            }
            acc.push(r);
        }
    }

    /// Runs one kustomization (or component) over `acc` and returns the new accumulation:
    /// resources, components and generators, then the transformers in kustomize's built-in
    /// order (patches, names and metadata, JSON 6902 patches, images).
    fn accumulate(
        &mut self,
        dir: &Path,
        file: &Path,
        k: &Kustomization,
        mut acc: Vec<Res>,
    ) -> Vec<Res> {
        let top = self.capture && self.stack.len() == 1 && self.captured.is_none();
        if self.stack.len() == 1 && self.top_sort.is_none() {
            self.top_sort = Some(self.sort_options(file, k));
        }
        let checks_start = self.findings.len();
        validate::check_fields(file, k, &mut self.findings);
        let checks = checks_start..self.findings.len();

        self.note_unrendered(file, k);
        self.add_resources(dir, file, k, &mut acc);
        self.check_crds(dir, file, k);
        self.check_openapi(dir, file, k);
        // Generators run after resources, before components (kustomize v5.5).
        self.generate(dir, file, k, &mut acc);
        self.add_components(dir, file, k, &mut acc);
        let image_paths = self.configured_image_paths(dir, file, k);
        let plugin_images = self.plugin_images(dir, file, k);
        let metadata_plugins = std::mem::take(&mut self.metadata_plugins);
        self.warn_image_replacements(dir, file, k);
        self.warn_helm_charts(file, k);

        // Transformers, in kustomize's built-in order.
        self.apply_patches(dir, file, k, &mut acc);
        if !self.apply_names_and_metadata(file, k, &mut acc) {
            return acc;
        }
        self.apply_json6902_patches(dir, file, k, &mut acc);
        self.apply_replicas(file, k, &mut acc);
        // Plugin transformers run after the built-in ones; labels and annotations do not
        // interact with images, so they may come before the `images` step.
        for (pairs, specs) in &metadata_plugins {
            for r in acc.iter_mut() {
                let mut created = super::shared::created_for(pairs.len());
                super::fieldspec::set_custom_entries(r.doc.value_mut(), specs, pairs, &mut created);
                r.note_created(created, file, "transformers");
            }
        }
        if top {
            self.captured = Some(TopCapture {
                file: file.to_path_buf(),
                acc: acc.clone(),
                image_paths: image_paths.clone(),
                plugin_images: plugin_images.clone(),
                checks,
                unrendered: Vec::new(),
            });
        }
        apply_images(self.cache, k, &mut acc, &image_paths, &plugin_images);
        acc
    }

    /// The overlay's `sortOptions`, checked as kustomize checks them.
    fn sort_options(&mut self, file: &Path, k: &Kustomization) -> Option<model::SortOptions> {
        let options = k.sort_options.clone()?;
        let at = Origin {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
        };
        match options.order.as_deref() {
            Some("legacy") => {}
            Some("fifo") if options.legacy_sort_options.is_none() => {}
            Some("fifo") => self.error(
                &at,
                "`sortOptions.legacySortOptions` is set but the order is `fifo`; remove one".into(),
            ),
            _ => self.error(&at, "`sortOptions.order` must be `fifo` or `legacy`".into()),
        }
        Some(options)
    }

    /// `resources:` (and the deprecated `bases:`): files and kustomization directories, each
    /// added to `acc` once.
    fn add_resources(&mut self, dir: &Path, file: &Path, k: &Kustomization, acc: &mut Vec<Res>) {
        let bases = k
            .bases
            .as_ref()
            .map(|b| b.value.as_slice())
            .unwrap_or_default();
        let mut seen: HashSet<ResKey> = acc.iter().map(registered_id).collect();
        for entry in k.resources.iter().flatten().chain(bases) {
            if self.budget.exhausted {
                break;
            }
            let at = Origin::at(file, entry);
            let Some(path) = self.local_path(dir, &at, &entry.value, "resource") else {
                continue;
            };
            let new = if self.src.is_dir(&path) {
                self.build_dir(&path, Expect::Kustomization, &at)
                    .unwrap_or_default()
            } else {
                self.read_resources(&path, &at)
            };
            self.add(acc, &mut seen, new, &at);
        }
    }

    /// `crds:`: each file must exist inside the repository (their schemas are not used).
    fn check_crds(&mut self, dir: &Path, file: &Path, k: &Kustomization) {
        for entry in k.crds.iter().flatten() {
            let at = Origin::at(file, entry);
            self.local_path(dir, &at, &entry.value, "CRD file");
        }
    }

    /// `components:`: each component runs over the accumulation so far, in order.
    fn add_components(&mut self, dir: &Path, file: &Path, k: &Kustomization, acc: &mut Vec<Res>) {
        for entry in k.components.iter().flatten() {
            let at = Origin::at(file, entry);
            let Some(cdir) = self.local_path(dir, &at, &entry.value, "component") else {
                continue;
            };
            if !self.src.is_dir(&cdir) {
                self.error(
                    &at,
                    format!(
                        "component `{}` is a file; a component is a directory with a \
                         kustomization.yaml of `kind: Component`",
                        entry.value
                    ),
                );
                continue;
            }
            if self.stack.contains(&cdir) {
                self.build_dir(&cdir, Expect::Component, &at);
                continue;
            }
            let Some((cfile, ck)) = self.load(&cdir, &at) else {
                continue;
            };
            if !self.check_kind(&cfile, &ck, Expect::Component, &at) {
                continue;
            }
            if let Err(e) = self.budget.build() {
                self.error(&at, e);
                break;
            }
            if !self.nesting_allowed(&at) {
                break;
            }
            self.stack.push(cdir.clone());
            *acc = self.accumulate(&cdir, &cfile, &ck, std::mem::take(acc));
            self.stack.pop();
        }
    }

    /// `replacements:`: warns about those that write an image field (Ferry does not apply
    /// replacements).
    fn warn_image_replacements(&mut self, dir: &Path, file: &Path, k: &Kustomization) {
        for r in k.replacements.iter().flatten() {
            let at = Origin::at(file, r);
            let targets = match &r.value.path {
                Some(p) => match self.local_path(dir, &at, p, "replacements file") {
                    Some(path) => self.read_text(&path).unwrap_or_default(),
                    None => continue,
                },
                None => serde_json::to_string(&r.value.targets).unwrap_or_default(),
            };
            if targets.contains("image") {
                self.push(
                    Severity::Warning,
                    &at,
                    "this replacement writes an image field, which Ferry does not apply: the \
                     listed images may differ from what kustomize renders; prefer an `images` \
                     entry"
                        .into(),
                );
            }
        }
    }

    /// `helmCharts:`: warns that their workloads are not listed (Ferry inflates no chart).
    fn warn_helm_charts(&mut self, file: &Path, k: &Kustomization) {
        let charts = k.helm_charts.as_ref().is_some_and(|c| !c.is_empty())
            || k.helm_chart_inflation_generator
                .as_ref()
                .is_some_and(|c| !c.is_empty());
        if charts {
            let at = Origin {
                file: file.to_path_buf(),
                line: 0,
                column: 0,
            };
            self.push(
                Severity::Warning,
                &at,
                "Ferry does not inflate Helm charts: workloads from `helmCharts` are not listed"
                    .into(),
            );
        }
    }
}
