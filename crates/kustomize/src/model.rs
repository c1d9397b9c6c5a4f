//! The typed `kustomization.yaml` model (kustomize v5.5 fields), read with serde-saphyr.
//!
//! Every field kustomize v5.5 accepts is modelled; unknown fields and values of the wrong type are
//! errors with a line and column, as in kustomize. Strings must be YAML strings: `newTag: 1.10`
//! (a float) is rejected exactly like kustomize rejects it, so users quote it.
//! Fields that matter for image resolution keep their source location ([`Spanned`]).

use std::collections::BTreeMap;

use serde::Deserialize;
pub use serde_saphyr::Spanned;

use crate::images::ImageEntry;

/// `apiVersion` of a `kind: Kustomization`.
pub const KUSTOMIZATION_API_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
/// `apiVersion` of a `kind: Component`.
pub const COMPONENT_API_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";
/// File names kustomize recognises in a directory, in its search order.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// A string list entry with its location.
pub type SpannedList = Vec<Spanned<String>>;

/// A `kustomization.yaml` (or a `kind: Component` file).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kustomization {
    /// `kustomize.config.k8s.io/v1beta1` (Kustomization) or `…/v1alpha1` (Component); optional.
    #[serde(default)]
    pub api_version: Option<Spanned<String>>,
    /// `Kustomization` (the default when absent) or `Component`.
    #[serde(default)]
    pub kind: Option<Spanned<String>>,
    /// Object metadata; kustomize ignores it when building.
    #[serde(default)]
    pub metadata: Option<ObjectMeta>,
    /// OpenAPI schema settings (`path` or `version`).
    #[serde(default)]
    pub openapi: Option<BTreeMap<String, String>>,
    /// Prefix added to every resource name.
    #[serde(default)]
    pub name_prefix: Option<Spanned<String>>,
    /// Suffix added to every resource name.
    #[serde(default)]
    pub name_suffix: Option<Spanned<String>>,
    /// Namespace set on every namespaced resource.
    #[serde(default)]
    pub namespace: Option<Spanned<String>>,
    /// Deprecated label map added to resources and selectors (use `labels`).
    #[serde(default)]
    pub common_labels: Option<Spanned<BTreeMap<String, String>>>,
    /// Labels with selector and template options.
    #[serde(default)]
    pub labels: Option<Vec<Label>>,
    /// Annotations added to every resource.
    #[serde(default)]
    pub common_annotations: Option<BTreeMap<String, String>>,
    /// Deprecated strategic-merge patches: file paths or inline YAML (use `patches`).
    #[serde(default)]
    pub patches_strategic_merge: Option<Spanned<SpannedList>>,
    /// Deprecated JSON 6902 patches with a target (use `patches`).
    #[serde(default)]
    pub patches_json6902: Option<Spanned<Vec<Spanned<Patch>>>>,
    /// Patches (strategic merge or JSON 6902), from a file or inline, with an optional target.
    #[serde(default)]
    pub patches: Option<Vec<Spanned<Patch>>>,
    /// The images transformer entries, applied in order.
    #[serde(default)]
    pub images: Option<Vec<Spanned<ImageEntry>>>,
    /// Replacements (inline or from a file).
    #[serde(default)]
    pub replacements: Option<Vec<Spanned<ReplacementField>>>,
    /// Replica counts by resource name.
    #[serde(default)]
    pub replicas: Option<Vec<Replica>>,
    /// Deprecated variables (use `replacements`).
    #[serde(default)]
    pub vars: Option<Spanned<Vec<Var>>>,
    /// Output ordering.
    #[serde(default)]
    pub sort_options: Option<SortOptions>,
    /// Resource files, directories or URLs.
    #[serde(default)]
    pub resources: Option<SpannedList>,
    /// Components (directories holding a `kind: Component`).
    #[serde(default)]
    pub components: Option<SpannedList>,
    /// CRD files (used for name references).
    #[serde(default)]
    pub crds: Option<SpannedList>,
    /// Deprecated base directories (use `resources`).
    #[serde(default)]
    pub bases: Option<Spanned<SpannedList>>,
    /// ConfigMap generators.
    #[serde(default)]
    pub config_map_generator: Option<Vec<Spanned<GeneratorArgs>>>,
    /// Secret generators.
    #[serde(default)]
    pub secret_generator: Option<Vec<Spanned<GeneratorArgs>>>,
    /// Global Helm settings.
    #[serde(default)]
    pub helm_globals: Option<HelmGlobals>,
    /// Helm charts to inflate.
    #[serde(default)]
    pub helm_charts: Option<Vec<HelmChart>>,
    /// Deprecated Helm chart generator settings.
    #[serde(default)]
    pub helm_chart_inflation_generator: Option<Vec<serde_json::Value>>,
    /// Options shared by all generators of this kustomization.
    #[serde(default)]
    pub generator_options: Option<GeneratorOptions>,
    /// Transformer configuration files (field specs).
    #[serde(default)]
    pub configurations: Option<SpannedList>,
    /// Generator plugin configurations (files or inline).
    #[serde(default)]
    pub generators: Option<SpannedList>,
    /// Transformer plugin configurations (files or inline).
    #[serde(default)]
    pub transformers: Option<SpannedList>,
    /// Validator plugin configurations (files or inline).
    #[serde(default)]
    pub validators: Option<SpannedList>,
    /// Build metadata options (`originAnnotations`, `transformerAnnotations`, `managedByLabel`).
    #[serde(default)]
    pub build_metadata: Option<Vec<String>>,
}

impl Kustomization {
    /// Whether nothing but `apiVersion` and `kind` is set: kustomize refuses such a file
    /// ("kustomization.yaml is empty"). An empty list (`resources: []`) counts as set, as in
    /// kustomize.
    pub fn is_empty(&self) -> bool {
        let Kustomization {
            api_version: _,
            kind: _,
            metadata,
            openapi,
            name_prefix,
            name_suffix,
            namespace,
            common_labels,
            labels,
            common_annotations,
            patches_strategic_merge,
            patches_json6902,
            patches,
            images,
            replacements,
            replicas,
            vars,
            sort_options,
            resources,
            components,
            crds,
            bases,
            config_map_generator,
            secret_generator,
            helm_globals,
            helm_charts,
            helm_chart_inflation_generator,
            generator_options,
            configurations,
            generators,
            transformers,
            validators,
            build_metadata,
        } = self;
        metadata.is_none()
            && openapi.is_none()
            && name_prefix.is_none()
            && name_suffix.is_none()
            && namespace.is_none()
            && common_labels.is_none()
            && labels.is_none()
            && common_annotations.is_none()
            && patches_strategic_merge.is_none()
            && patches_json6902.is_none()
            && patches.is_none()
            && images.is_none()
            && replacements.is_none()
            && replicas.is_none()
            && vars.is_none()
            && sort_options.is_none()
            && resources.is_none()
            && components.is_none()
            && crds.is_none()
            && bases.is_none()
            && config_map_generator.is_none()
            && secret_generator.is_none()
            && helm_globals.is_none()
            && helm_charts.is_none()
            && helm_chart_inflation_generator.is_none()
            && generator_options.is_none()
            && configurations.is_none()
            && generators.is_none()
            && transformers.is_none()
            && validators.is_none()
            && build_metadata.is_none()
    }
}

/// Object metadata of a kustomization.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectMeta {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations.
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// One entry of `labels`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Label {
    /// The labels to add.
    #[serde(default)]
    pub pairs: BTreeMap<String, String>,
    /// Also add the labels to selectors.
    #[serde(default)]
    pub include_selectors: bool,
    /// Also add the labels to pod templates.
    #[serde(default)]
    pub include_templates: bool,
    /// Extra field specs.
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
}

/// A kustomize field spec: where a transformer writes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldSpec {
    /// API group.
    #[serde(default)]
    pub group: Option<String>,
    /// API version.
    #[serde(default)]
    pub version: Option<String>,
    /// Kind.
    #[serde(default)]
    pub kind: Option<String>,
    /// Slash-separated path.
    #[serde(default)]
    pub path: String,
    /// Create the field when missing.
    #[serde(default)]
    pub create: bool,
}

/// A patch: from `path` or inline `patch`, with an optional target selector.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Patch {
    /// File holding the patch, relative to the kustomization.
    #[serde(default)]
    pub path: Option<String>,
    /// Inline patch text.
    #[serde(default)]
    pub patch: Option<String>,
    /// Which resources the patch applies to.
    #[serde(default)]
    pub target: Option<Selector>,
    /// `allowNameChange` / `allowKindChange`.
    #[serde(default)]
    pub options: Option<BTreeMap<String, bool>>,
}

/// A resource selector (patch targets). `name` and `namespace` are regular expressions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Selector {
    /// API group.
    #[serde(default)]
    pub group: Option<String>,
    /// API version.
    #[serde(default)]
    pub version: Option<String>,
    /// Kind.
    #[serde(default)]
    pub kind: Option<String>,
    /// Name (regular expression, anchored).
    #[serde(default)]
    pub name: Option<String>,
    /// Namespace (regular expression, anchored).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Label selector (`key=value,key2`).
    #[serde(default)]
    pub label_selector: Option<String>,
    /// Annotation selector (`key=value,key2`).
    #[serde(default)]
    pub annotation_selector: Option<String>,
}

/// One entry of `replacements`: a file path or an inline replacement.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplacementField {
    /// File holding replacements.
    #[serde(default)]
    pub path: Option<String>,
    /// Source of an inline replacement.
    #[serde(default)]
    pub source: Option<serde_json::Value>,
    /// Targets of an inline replacement.
    #[serde(default)]
    pub targets: Option<Vec<serde_json::Value>>,
}

/// One entry of `replicas`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Replica {
    /// Resource name.
    pub name: String,
    /// Replica count.
    pub count: i64,
}

/// One deprecated `vars` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Var {
    /// Variable name.
    pub name: String,
    /// The object the value comes from.
    pub objref: BTreeMap<String, String>,
    /// The field the value comes from.
    #[serde(default)]
    pub fieldref: Option<BTreeMap<String, String>>,
}

/// `sortOptions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SortOptions {
    /// `legacy` or `fifo`.
    #[serde(default)]
    pub order: Option<String>,
    /// Kinds placed first and last in legacy order.
    #[serde(default)]
    pub legacy_sort_options: Option<BTreeMap<String, Vec<String>>>,
}

/// Arguments of a ConfigMap or Secret generator.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GeneratorArgs {
    /// Namespace of the generated object.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Name of the generated object.
    #[serde(default)]
    pub name: Option<String>,
    /// `create`, `replace` or `merge`.
    #[serde(default)]
    pub behavior: Option<String>,
    /// `KEY=VALUE` literals.
    #[serde(default)]
    pub literals: Option<Vec<String>>,
    /// Files (`[key=]path`).
    #[serde(default)]
    pub files: Option<Vec<String>>,
    /// Env files.
    #[serde(default)]
    pub envs: Option<Vec<String>>,
    /// Deprecated single env file.
    #[serde(default)]
    pub env: Option<String>,
    /// Secret type (secretGenerator only).
    #[serde(default, rename = "type")]
    pub secret_type: Option<String>,
    /// Per-generator options.
    #[serde(default)]
    pub options: Option<GeneratorOptions>,
}

/// `generatorOptions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GeneratorOptions {
    /// Labels added to generated objects.
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations added to generated objects.
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Do not append a content hash to generated names.
    #[serde(default)]
    pub disable_name_suffix_hash: Option<bool>,
    /// Mark generated objects immutable.
    #[serde(default)]
    pub immutable: Option<bool>,
}

/// `helmGlobals`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HelmGlobals {
    /// Directory holding charts.
    #[serde(default)]
    pub chart_home: Option<String>,
    /// Helm configuration directory.
    #[serde(default)]
    pub config_home: Option<String>,
}

/// One entry of `helmCharts`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HelmChart {
    /// Chart name.
    #[serde(default)]
    pub name: Option<String>,
    /// Chart version.
    #[serde(default)]
    pub version: Option<String>,
    /// Chart repository URL.
    #[serde(default)]
    pub repo: Option<String>,
    /// Release name.
    #[serde(default)]
    pub release_name: Option<String>,
    /// Release namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Extra values files.
    #[serde(default)]
    pub additional_values_files: Option<Vec<String>>,
    /// Values file.
    #[serde(default)]
    pub values_file: Option<String>,
    /// Inline values.
    #[serde(default)]
    pub values_inline: Option<serde_json::Value>,
    /// `override`, `replace` or `merge`.
    #[serde(default)]
    pub values_merge: Option<String>,
    /// Include CRDs.
    #[serde(default, rename = "includeCRDs")]
    pub include_crds: Option<bool>,
    /// Skip hooks.
    #[serde(default)]
    pub skip_hooks: Option<bool>,
    /// API versions passed to helm.
    #[serde(default)]
    pub api_versions: Option<Vec<String>>,
    /// Kubernetes version passed to helm.
    #[serde(default)]
    pub kube_version: Option<String>,
    /// Name template.
    #[serde(default)]
    pub name_template: Option<String>,
    /// Skip tests.
    #[serde(default)]
    pub skip_tests: Option<bool>,
    /// Debug output.
    #[serde(default)]
    pub debug: Option<bool>,
}

/// A YAML problem with its position (1-based; 0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct YamlError {
    /// Line, 1-based (0 when unknown).
    pub line: u64,
    /// Column, 1-based (0 when unknown).
    pub column: u64,
    /// What is wrong.
    pub message: String,
}

impl YamlError {
    pub(crate) fn from_saphyr(err: &serde_saphyr::Error) -> Self {
        let (line, column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
        let message = err.without_snippet().to_string();
        let message = message.lines().next().unwrap_or_default().trim();
        // The position is reported separately; drop the parser's own copy of it.
        let message = match message.rfind(" at line ") {
            Some(i) if message[i..].contains(", column ") => &message[..i],
            _ => message,
        }
        .to_string();
        Self {
            line,
            column,
            message: shorten_unknown_field(user_terms(&message)),
        }
    }
}

/// A parser message in a user's terms: the parser's advice to programmers ("set
/// DuplicateKeyPolicy in Options", "use from_str_multiple") becomes what to change in the file.
pub(crate) fn user_terms(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    if lower.starts_with("duplicate mapping key") {
        let key = message
            .strip_prefix("duplicate mapping key: ")
            .and_then(|rest| rest.split(", set ").next())
            .map(|k| format!(" `{k}`"))
            .unwrap_or_default();
        return format!("duplicate key{key}: a key may appear only once in a mapping");
    }
    if lower.contains("multiple yaml documents") || lower.contains("multiple found") {
        return "more than one YAML document (`---`) where one is expected; keep one document"
            .into();
    }
    if lower.starts_with("budget breached") {
        return format!(
            "the YAML is too large or too complex to read safely ({}); split the file or write \
             out repeated anchors (`*name`)",
            message
                .trim_start_matches("budget breached: ")
                .trim_start_matches("budget breached")
        );
    }
    if lower.contains("cannot deserialize null into string") {
        return "a value is empty (null) where text is expected; write a value or quote it".into();
    }
    if lower.contains("too many buffered comments") {
        return "too many comment lines in one place for the parser; remove some".into();
    }
    // Any remaining "...; use X" or ", set X in Options" advice is about the library's API.
    let mut out = message.to_string();
    for marker in [", set ", "; use ", ". If you just use "] {
        if let Some(i) = out.find(marker)
            && out[i..].contains("Option")
        {
            out.truncate(i);
        }
    }
    out
}

/// Turns serde's "unknown field `x`, expected one of a, b, …" into a short message that names the
/// closest known field.
fn shorten_unknown_field(message: String) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message;
    };
    let Some((field, known)) = rest.split_once('`') else {
        return message;
    };
    let known = known
        .trim_start_matches(", expected one of ")
        .trim_start_matches(", expected ");
    let best = known
        .split(", ")
        .map(|k| k.trim_matches('`'))
        .map(|k| (edit_distance(&field.to_lowercase(), &k.to_lowercase()), k))
        .min();
    match best {
        Some((d, k)) if d <= 3 => format!("unknown field `{field}`; did you mean `{k}`?"),
        _ => format!("unknown field `{field}` (known fields: {known})"),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Stack size needed to parse resource files nested up to [`MAX_RESOURCE_DEPTH`] levels.
pub(crate) const PARSER_STACK_BYTES: usize = 16 * 1024 * 1024;

/// Deepest nesting accepted in resource files (CRD schemas nest deeply).
pub const MAX_RESOURCE_DEPTH: usize = 128;

/// Largest YAML file Ferry reads (kustomize files are small; this guards memory and time).
pub const MAX_YAML_BYTES: usize = 8 * 1024 * 1024;

/// Parser options: kustomization files reject strings YAML would read as other types. Comments
/// are not kept (nothing reads them), so any number of comment lines in a row is fine.
pub(crate) fn options(kustomization: bool) -> serde_saphyr::Options {
    let mut o = serde_saphyr::Options::default();
    o.no_schema = kustomization;
    o.with_snippet = false;
    o.emit_comments = false;
    o
}

/// Most bytes of scalars a kustomization file may expand to through aliases, for a file of
/// `len` bytes: aliases may repeat a little, never multiply a file many times over.
pub fn max_kustomization_expansion(len: usize) -> usize {
    len.saturating_mul(4).saturating_add(64 * 1024)
}

fn check_size(text: &str) -> Result<(), YamlError> {
    if text.len() > MAX_YAML_BYTES {
        return Err(YamlError {
            line: 0,
            column: 0,
            message: format!(
                "file is {} bytes, larger than the {} byte limit for Kubernetes YAML",
                text.len(),
                MAX_YAML_BYTES
            ),
        });
    }
    Ok(())
}

fn is_blank_yaml(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---"
    })
}

/// Parses the text of a kustomization file.
///
/// Strings must be YAML strings (`newTag: 1.10` is an error, as in kustomize); unknown fields and
/// wrong types are errors with line and column.
pub fn parse_kustomization(text: &str) -> Result<Kustomization, YamlError> {
    check_size(text)?;
    if is_blank_yaml(text) {
        return Ok(Kustomization::default());
    }
    let mut o = options(true);
    let mut budget = serde_saphyr::Budget::default();
    budget.max_total_scalar_bytes = max_kustomization_expansion(text.len());
    o.budget = Some(budget);
    serde_saphyr::from_str_with_options(text, o).map_err(|e| YamlError::from_saphyr(&e))
}

/// Parses every YAML document of a Kubernetes resource file into JSON values (empty documents are
/// dropped), with serde-saphyr's default limits (nesting up to 64 levels).
pub fn parse_documents(text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    parse_docs(text, false)
}

/// Like [`parse_documents`], but accepts nesting up to [`MAX_RESOURCE_DEPTH`] levels (CRD schemas
/// nest deeply). Call it on a thread with at least [`PARSER_STACK_BYTES`] of stack.
pub(crate) fn parse_resource_documents(text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    parse_docs(text, true)
}

fn parse_docs(text: &str, deep: bool) -> Result<Vec<serde_json::Value>, YamlError> {
    check_size(text)?;
    if is_blank_yaml(text) {
        return Ok(Vec::new());
    }
    let mut o = options(false);
    // Resources read as kustomize (go-yaml v3 into untyped values) reads them: `yes`, `on`
    // are strings, `0755` is octal.
    o.strict_booleans = true;
    o.legacy_octal_numbers = true;
    if deep {
        let mut budget = o.budget.take().unwrap_or_default();
        budget.max_depth = MAX_RESOURCE_DEPTH;
        budget.max_documents = 10_000;
        o.budget = Some(budget);
    }
    let docs: Vec<Option<serde_json::Value>> = serde_saphyr::from_multiple_with_options(text, o)
        .map_err(|e| YamlError::from_saphyr(&e))?;
    let mut docs: Vec<serde_json::Value> = docs
        .into_iter()
        .flatten()
        .filter(|d| !d.is_null())
        .collect();
    // A block scalar ending the text without a final line break has none (go-yaml); the
    // parser adds one.
    if !text.ends_with('\n')
        && ends_in_block_scalar(text)
        && let Some(last) = docs.last_mut().and_then(last_leaf)
        && let serde_json::Value::String(s) = last
        && s.ends_with('\n')
    {
        s.pop();
    }
    Ok(docs)
}

/// Whether the last line of `text` is the content of a block scalar (`|`, `>`): a line above
/// it ends with a block indicator and every line in between is indented more.
fn ends_in_block_scalar(text: &str) -> bool {
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let header = |l: &str| {
        let t = l
            .trim_end()
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '+');
        t.ends_with('|') || t.ends_with('>')
    };
    let mut lines = text.lines().rev();
    let Some(last) = lines.next() else {
        return false;
    };
    let mut least = indent(last);
    for l in lines.filter(|l| !l.trim().is_empty()) {
        let i = indent(l);
        if i < least {
            if header(l) {
                return true;
            }
            if i == 0 {
                return false;
            }
            least = i;
        }
    }
    false
}

/// The last scalar of a document, in text order.
fn last_leaf(v: &mut serde_json::Value) -> Option<&mut serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => {
            let last = m.values_mut().last()?;
            if last.is_object() || last.is_array() {
                last_leaf(last)
            } else {
                Some(last)
            }
        }
        serde_json::Value::Array(a) => {
            let last = a.last_mut()?;
            if last.is_object() || last.is_array() {
                last_leaf(last)
            } else {
                Some(last)
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_with_locations() {
        let k = parse_kustomization(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../base\nnamespace: dev\nimages:\n- name: nginx\n  newTag: \"1.10\"\n",
        )
        .unwrap();
        let res = k.resources.unwrap();
        assert_eq!(res[0].value, "../../base");
        assert_eq!(res[0].referenced.line(), 4);
        assert_eq!(res[0].referenced.column(), 3);
        assert_eq!(k.namespace.unwrap().value, "dev");
        let images = k.images.unwrap();
        assert_eq!(images[0].value.new_tag.as_deref(), Some("1.10"));
        assert_eq!(images[0].referenced.line(), 7);
    }

    #[test]
    fn unquoted_float_tag_is_an_error() {
        let err = parse_kustomization("images:\n- name: nginx\n  newTag: 1.10\n").unwrap_err();
        assert_eq!((err.line, err.column), (3, 11), "{err}");
    }

    #[test]
    fn unknown_field_is_an_error_with_location() {
        let err = parse_kustomization("resources:\n- a.yaml\nnamePrefx: x-\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert_eq!(
            err.message,
            "unknown field `namePrefx`; did you mean `namePrefix`?"
        );
    }

    #[test]
    fn wrong_type_is_an_error() {
        let err = parse_kustomization("resources: a.yaml\n").unwrap_err();
        assert_eq!(err.line, 1, "{err}");
    }

    #[test]
    fn empty_file_is_an_empty_kustomization() {
        let k = parse_kustomization("# nothing\n").unwrap();
        assert!(k.resources.is_none());
    }

    #[test]
    fn many_comment_lines_in_a_row_parse() {
        let comments: String = (0..200).map(|i| format!("#- ../x{i}\n")).collect();
        let text = format!(
            "resources:\n{comments}- a.yaml\n{comments}images:\n{comments}- name: a\n  newTag: v1\n"
        );
        let k = parse_kustomization(&text).expect("comments are fine");
        assert_eq!(k.resources.unwrap().len(), 1);
        assert_eq!(parse_documents(&text).unwrap().len(), 1);
    }

    #[test]
    fn aliases_may_not_multiply_a_kustomization() {
        let big = "x".repeat(64 * 1024);
        let aliases: String = (0..40).map(|i| format!("  k{i}: *big\n")).collect();
        let text =
            format!("metadata:\n  annotations:\n    a: &big {big}\ncommonAnnotations:\n{aliases}");
        let err = parse_kustomization(&text).unwrap_err();
        assert!(err.message.contains("too large or too complex"), "{err}");
        assert!(!err.message.contains("Budget"), "{err}");
    }

    #[test]
    fn messages_carry_no_library_advice() {
        let err = parse_kustomization("namespace: a\nnamespace: b\n").unwrap_err();
        assert!(!err.message.contains("Options"), "{err}");
        assert!(
            err.message.starts_with("duplicate key `namespace`"),
            "{err}"
        );
        let err = parse_kustomization("namespace: a\n---\nnamespace: b\n").unwrap_err();
        assert!(!err.message.contains("from_str"), "{err}");
    }

    #[test]
    fn documents_parse() {
        let docs = parse_documents("a: 1\n---\n---\nb: [x]\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1]["b"][0], "x");
    }
}
