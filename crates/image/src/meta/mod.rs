//! Tag and label computation compatible with docker/metadata-action (v6).
//!
//! Feed [`Meta::compute`] the action's inputs ([`Inputs`]), the event [`Context`] (from the
//! GitHub Actions environment with [`context_from_github`], or built by the caller from a local
//! repository) and the repository facts ([`RepoInfo`]); it returns the version, the image tags,
//! the OCI labels and annotations. Nothing here reads environment variables or files.

mod datefmt;
mod fields;
mod flavor;
mod github;
mod image;
mod labels;
mod tag;
mod template;
mod versions;

use jiff::Timestamp;
use regex::Regex;
use serde_json::{Value as Json, json};

pub use fields::input_lines;
pub use flavor::{Flavor, Latest, parse_flavor};
pub use github::{RepoInfo, context_from_github, web_url};
pub use image::{ImageSpec, parse_images};
pub use tag::{DEFAULT_TAGS, TagRule, TagType, parse_tag, parse_tags};
pub use template::is_raw_statement;

use template::{Scope, Value};
use versions::{Pep440, parse_semver};

/// Errors in the inputs or in their expressions.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// A `tags` line is invalid.
    #[error("invalid tags entry {line:?}: {reason}")]
    Tag {
        /// The line.
        line: String,
        /// What is wrong.
        reason: String,
    },
    /// A `flavor` line is invalid.
    #[error("invalid flavor entry {line:?}: {reason}")]
    Flavor {
        /// The line.
        line: String,
        /// What is wrong.
        reason: String,
    },
    /// An `images` line is invalid.
    #[error("invalid images entry {line:?}: {reason}")]
    Image {
        /// The line.
        line: String,
        /// What is wrong.
        reason: String,
    },
    /// An expression (`{{...}}`) cannot be evaluated.
    #[error("cannot evaluate {template:?}: {reason}")]
    Template {
        /// The text holding the expression.
        template: String,
        /// What is wrong.
        reason: String,
    },
    /// `enable=` did not evaluate to `true` or `false`.
    #[error("invalid value for enable attribute: {0:?} (must be true or false)")]
    Enable(String),
    /// A `type=match` or `match=` pattern is not a valid regular expression.
    #[error("invalid regular expression {pattern:?}: {reason}")]
    Regex {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        reason: String,
    },
}

/// Tag, flavor, label or annotation inputs that do not parse: usage (exit 2).
impl ferry_error::Classify for MetaError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Usage
    }
}

/// The action inputs that shape the result; list inputs hold one entry per line (see
/// [`input_lines`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    /// `images`.
    pub images: Vec<String>,
    /// `tags` (empty means [`DEFAULT_TAGS`]).
    pub tags: Vec<String>,
    /// `flavor`.
    pub flavor: Vec<String>,
    /// `labels`: extra `key=value` labels (expressions allowed).
    pub labels: Vec<String>,
    /// `annotations`: extra `key=value` annotations (expressions allowed).
    pub annotations: Vec<String>,
}

/// What triggered the build.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// Event name (`push`, `pull_request`, `schedule`, ...); empty when unknown.
    pub event_name: String,
    /// Commit sha (may be empty).
    pub sha: String,
    /// Full git ref (`refs/heads/main`, `refs/tags/v1.2.3`, `refs/pull/15/merge`).
    pub git_ref: String,
    /// The event payload (`{}` when there is none). `repository.default_branch`,
    /// `base_ref` and `pull_request.base.ref` are read from it.
    pub payload: Json,
    /// The commit date, for `{{commit_date}}`.
    pub commit_date: Timestamp,
}

/// Settings that are not action inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The current time (`{{date}}` and the `created` label).
    pub now: Timestamp,
    /// Length of a short sha (`DOCKER_METADATA_SHORT_SHA_LENGTH`, default 7).
    pub short_sha_length: usize,
}

impl Options {
    /// Options with the given time and the default short sha length.
    pub fn at(now: Timestamp) -> Options {
        Options {
            now,
            short_sha_length: 7,
        }
    }
}

/// The computed version.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Version {
    /// The main version (first tag produced), if any.
    pub main: Option<String>,
    /// The further tags, deduplicated.
    pub partial: Vec<String>,
    /// Whether `latest` is added.
    pub latest: bool,
}

/// Everything computed for one build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The version.
    pub version: Version,
    /// The enabled image names, lowercased.
    pub images: Vec<String>,
    /// `image:tag` for every image and tag (bare tags when there are no images).
    pub tags: Vec<String>,
    /// The tags without image names.
    pub tag_names: Vec<String>,
    /// OCI labels and `labels` input, `key=value`, sorted by key.
    pub labels: Vec<String>,
    /// OCI annotations and `annotations` input, `key=value`, sorted by key.
    pub annotations: Vec<String>,
    /// Notes about rules that produced nothing (an invalid version, a pattern that did not match).
    pub warnings: Vec<String>,
}

struct Computer<'a> {
    ctx: &'a Context,
    repo: &'a RepoInfo,
    flavor: Flavor,
    opts: Options,
    warnings: Vec<String>,
}

impl Meta {
    /// Computes tags, labels and annotations as metadata-action does.
    pub fn compute(
        inputs: &Inputs,
        ctx: &Context,
        repo: &RepoInfo,
        opts: Options,
    ) -> Result<Meta, MetaError> {
        let images = parse_images(&inputs.images)?;
        let rules = parse_tags(&inputs.tags)?;
        let flavor = parse_flavor(&inputs.flavor)?;
        let mut c = Computer {
            ctx,
            repo,
            flavor,
            opts,
            warnings: Vec::new(),
        };
        let version = c.version(rules)?;
        let images: Vec<String> = images
            .into_iter()
            .filter(|i| i.enable)
            .map(|i| i.name.to_lowercase())
            .collect();
        let tag_names = c.tag_names(&version);
        let tags = if images.is_empty() {
            tag_names.clone()
        } else {
            images
                .iter()
                .flat_map(|i| tag_names.iter().map(move |t| format!("{i}:{t}")))
                .collect()
        };
        let labels = c.oci_with(&version, &inputs.labels)?;
        let annotations = c.oci_with(&version, &inputs.annotations)?;
        Ok(Meta {
            version,
            images,
            tags,
            tag_names,
            labels,
            annotations,
            warnings: c.warnings,
        })
    }

    /// The annotations, each prefixed with every level (`manifest:key=value`, ...).
    pub fn leveled_annotations(&self, levels: &[String]) -> Vec<String> {
        levels
            .iter()
            .flat_map(|l| self.annotations.iter().map(move |a| format!("{l}:{a}")))
            .collect()
    }

    /// The `json` output: tags, tag names, labels as an object, and leveled annotations.
    pub fn json(&self, annotation_levels: &[String]) -> Json {
        json!({
            "tags": self.tags,
            "tag-names": self.tag_names,
            "labels": labels::to_object(&self.labels),
            "annotations": self.leveled_annotations(annotation_levels),
        })
    }

    /// The bake definition with tags and the `DOCKER_META_*` args.
    pub fn bake_tags(&self, target: &str) -> Json {
        json!({"target": {target: {"tags": self.tags, "args": self.bake_args()}}})
    }

    /// The bake definition with labels.
    pub fn bake_labels(&self, target: &str) -> Json {
        json!({"target": {target: {"labels": labels::to_object(&self.labels)}}})
    }

    /// The bake definition with leveled annotations.
    pub fn bake_annotations(&self, target: &str, levels: &[String]) -> Json {
        json!({"target": {target: {"annotations": self.leveled_annotations(levels)}}})
    }

    /// The bake definition with tags, labels and args.
    pub fn bake_definition(&self, target: &str) -> Json {
        json!({"target": {target: {
            "tags": self.tags,
            "labels": labels::to_object(&self.labels),
            "args": self.bake_args(),
        }}})
    }

    fn bake_args(&self) -> Json {
        let mut args = serde_json::Map::new();
        args.insert("DOCKER_META_IMAGES".into(), json!(self.images.join(",")));
        if let Some(main) = &self.version.main {
            args.insert("DOCKER_META_VERSION".into(), json!(main));
        }
        Json::Object(args)
    }
}

/// Replaces every run of characters outside `[a-zA-Z0-9._-]` with `-`.
pub fn sanitize_tag(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len());
    let mut in_run = false;
    for c in tag.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('-');
            in_run = true;
        }
    }
    out
}

fn strip<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    s.strip_prefix(prefix)
}

impl Computer<'_> {
    fn git_ref(&self) -> &str {
        &self.ctx.git_ref
    }

    fn tag_ref(&self) -> Option<&str> {
        strip(self.git_ref(), "refs/tags/")
    }

    fn branch_ref(&self) -> Option<&str> {
        strip(self.git_ref(), "refs/heads/")
    }

    fn pr_ref(&self) -> Option<String> {
        strip(self.git_ref(), "refs/pull/")
            .map(|p| p.strip_suffix("/merge").unwrap_or(p).to_string())
    }

    fn is_schedule(&self) -> bool {
        self.ctx.event_name.contains("schedule")
    }

    fn short_sha(&self) -> String {
        let sha = &self.ctx.sha;
        sha.chars().take(self.opts.short_sha_length).collect()
    }

    fn global(&self, text: &str) -> Result<String, MetaError> {
        template::render(text, &GlobalScope(self)).map_err(|reason| MetaError::Template {
            template: text.to_string(),
            reason,
        })
    }

    fn set_value(&self, val: &str, rule: &TagRule) -> Result<String, MetaError> {
        let mut v = val.to_string();
        if let Some(prefix) = rule.attrs.get("prefix") {
            v = format!("{}{v}", self.global(prefix)?);
        } else if !self.flavor.prefix.is_empty() {
            v = format!("{}{v}", self.global(&self.flavor.prefix)?);
        }
        if let Some(suffix) = rule.attrs.get("suffix") {
            v = format!("{v}{}", self.global(suffix)?);
        } else if !self.flavor.suffix.is_empty() {
            v = format!("{v}{}", self.global(&self.flavor.suffix)?);
        }
        Ok(v)
    }

    fn version(&mut self, rules: Vec<TagRule>) -> Result<Version, MetaError> {
        let mut version = Version::default();
        let mut latest: Option<bool> = None;
        for mut rule in rules {
            let enabled = self.global(rule.attr("enable"))?;
            match enabled.as_str() {
                "true" => {}
                "false" => continue,
                _ => return Err(MetaError::Enable(enabled)),
            }
            let produced = match rule.kind {
                TagType::Schedule => self.schedule(&rule)?,
                TagType::Semver => self.semver(&rule)?,
                TagType::Pep440 => self.pep440(&rule)?,
                TagType::Match => self.matched(&rule)?,
                TagType::Edge => self.edge(&mut rule)?,
                TagType::Ref => self.reference(&rule)?,
                TagType::Raw => {
                    let v = self.set_value(&self.global(rule.attr("value"))?, &rule)?;
                    Some((v, false))
                }
                TagType::Sha => {
                    if self.ctx.sha.is_empty() {
                        None
                    } else {
                        let sha = if rule.attr("format") == "short" {
                            self.short_sha()
                        } else {
                            self.ctx.sha.clone()
                        };
                        Some((self.set_value(&sha, &rule)?, false))
                    }
                }
            };
            let Some((value, auto_latest)) = produced else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let value = sanitize_tag(&value);
            match &version.main {
                None => version.main = Some(value),
                Some(main) if *main != value => version.partial.push(value),
                Some(_) => {}
            }
            if latest.is_none() {
                latest = Some(self.flavor.latest.resolve(auto_latest));
            }
        }
        let mut seen = std::collections::HashSet::new();
        version.partial.retain(|p| seen.insert(p.clone()));
        version.latest = latest.unwrap_or(false);
        Ok(version)
    }

    fn schedule(&self, rule: &TagRule) -> Result<Option<(String, bool)>, MetaError> {
        if !self.is_schedule() {
            return Ok(None);
        }
        let pattern = rule.attr("pattern");
        let v =
            template::render(pattern, &DateScope(self)).map_err(|reason| MetaError::Template {
                template: pattern.to_string(),
                reason,
            })?;
        Ok(Some((self.set_value(&v, rule)?, false)))
    }

    /// The version text for semver/pep440/match: `value=` or the git tag.
    fn version_source(
        &self,
        rule: &TagRule,
        slash_to_dash: bool,
    ) -> Result<Option<String>, MetaError> {
        let value = rule.attr("value");
        if !value.is_empty() {
            return Ok(Some(self.global(value)?));
        }
        Ok(self.tag_ref().map(|t| {
            if slash_to_dash {
                t.replace('/', "-")
            } else {
                t.to_string()
            }
        }))
    }

    /// Applies the optional `match=` attribute of semver/pep440 rules.
    fn apply_match(&mut self, rule: &TagRule, vraw: String) -> Result<Option<String>, MetaError> {
        let pattern = rule.attr("match");
        if pattern.is_empty() {
            return Ok(Some(vraw));
        }
        let re = JsRegex::new(pattern, "")?;
        match re.exec(&vraw) {
            Some(groups) => Ok(groups
                .get(1)
                .cloned()
                .flatten()
                .or_else(|| groups.first().cloned().flatten())),
            None => {
                self.warnings
                    .push(format!("{pattern} does not match {vraw}."));
                Ok(None)
            }
        }
    }

    fn semver(&mut self, rule: &TagRule) -> Result<Option<(String, bool)>, MetaError> {
        let Some(vraw) = self.version_source(rule, true)? else {
            return Ok(None);
        };
        let Some(vraw) = self.apply_match(rule, vraw)? else {
            return Ok(None);
        };
        let Some(strict) = parse_semver(&vraw, false) else {
            self.warnings.push(format!(
                "{vraw} is not a valid semver. More info: https://semver.org/"
            ));
            return Ok(None);
        };
        let sver = parse_semver(&vraw, true).unwrap_or(strict.clone());
        let pattern = rule.attr("pattern");
        let (text, latest) = if !strict.prerelease.is_empty() {
            if is_raw_statement(pattern) {
                (self.render(pattern, &SemverScope(&sver))?, false)
            } else {
                (sver.version.clone(), false)
            }
        } else {
            (self.render(pattern, &SemverScope(&sver))?, true)
        };
        Ok(Some((self.set_value(&text, rule)?, latest)))
    }

    fn pep440(&mut self, rule: &TagRule) -> Result<Option<(String, bool)>, MetaError> {
        let Some(vraw) = self.version_source(rule, true)? else {
            return Ok(None);
        };
        let Some(vraw) = self.apply_match(rule, vraw)? else {
            return Ok(None);
        };
        let Some(pver) = Pep440::parse(&vraw) else {
            self.warnings.push(format!(
                "{vraw} does not conform to PEP 440. More info: https://www.python.org/dev/peps/pep-0440"
            ));
            return Ok(None);
        };
        let pattern = rule.attr("pattern");
        if pver.is_special() {
            let text = if is_raw_statement(pattern) {
                vraw.clone()
            } else {
                pver.normalized()
            };
            return Ok(Some((self.set_value(&text, rule)?, false)));
        }
        let text = self.render(
            pattern,
            &Pep440Scope {
                raw: &vraw,
                v: &pver,
            },
        )?;
        Ok(Some((self.set_value(&text, rule)?, true)))
    }

    fn matched(&mut self, rule: &TagRule) -> Result<Option<(String, bool)>, MetaError> {
        let Some(vraw) = self.version_source(rule, false)? else {
            return Ok(None);
        };
        let pattern = rule.attr("pattern");
        let re = match split_js_literal(pattern) {
            Some((body, flags)) => JsRegex::new(body, flags)?,
            None => JsRegex::new(pattern, "")?,
        };
        let Some(groups) = re.exec(&vraw) else {
            self.warnings
                .push(format!("{pattern} does not match {vraw}."));
            return Ok(None);
        };
        let group = rule.attr("group");
        let picked = canonical_index(group).and_then(|i| groups.get(i).cloned().flatten());
        let Some(value) = picked else {
            self.warnings.push(format!(
                "Group {group} does not exist for {pattern} pattern."
            ));
            return Ok(None);
        };
        Ok(Some((self.set_value(&value, rule)?, true)))
    }

    fn edge(&self, rule: &mut TagRule) -> Result<Option<(String, bool)>, MetaError> {
        let Some(branch) = self.branch_ref() else {
            return Ok(None);
        };
        if rule.attr("branch").is_empty() {
            rule.attrs
                .insert("branch".into(), self.repo.default_branch.clone());
        }
        if rule.attr("branch") != branch {
            return Ok(None);
        }
        Ok(Some((self.set_value("edge", rule)?, false)))
    }

    fn reference(&self, rule: &TagRule) -> Result<Option<(String, bool)>, MetaError> {
        let (raw, latest) = match rule.attr("event") {
            "branch" => match self.branch_ref() {
                Some(b) => (b.to_string(), false),
                None => return Ok(None),
            },
            "tag" => match self.tag_ref() {
                Some(t) => (t.to_string(), true),
                None => return Ok(None),
            },
            _ => match self.pr_ref() {
                Some(p) => (p, false),
                None => return Ok(None),
            },
        };
        Ok(Some((self.set_value(&raw, rule)?, latest)))
    }

    fn render(&self, pattern: &str, scope: &dyn Scope) -> Result<String, MetaError> {
        template::render(pattern, scope).map_err(|reason| MetaError::Template {
            template: pattern.to_string(),
            reason,
        })
    }

    fn tag_names(&self, version: &Version) -> Vec<String> {
        let Some(main) = &version.main else {
            return Vec::new();
        };
        let mut names = vec![main.clone()];
        names.extend(version.partial.iter().cloned());
        if version.latest {
            let f = &self.flavor;
            let prefix = if f.prefix_latest {
                f.prefix.as_str()
            } else {
                ""
            };
            let suffix = if f.suffix_latest {
                f.suffix.as_str()
            } else {
                ""
            };
            names.push(sanitize_tag(&format!("{prefix}latest{suffix}")));
        }
        names
    }

    fn oci_with(&self, version: &Version, extra: &[String]) -> Result<Vec<String>, MetaError> {
        let repo = self.repo;
        let mut all = vec![
            format!("org.opencontainers.image.title={}", repo.name),
            format!("org.opencontainers.image.description={}", repo.description),
            format!("org.opencontainers.image.url={}", repo.html_url),
            format!("org.opencontainers.image.source={}", repo.html_url),
            format!(
                "org.opencontainers.image.version={}",
                version.main.as_deref().unwrap_or("")
            ),
            format!(
                "org.opencontainers.image.created={}",
                datefmt::iso_string(self.opts.now)
            ),
            format!("org.opencontainers.image.revision={}", self.ctx.sha),
            format!(
                "org.opencontainers.image.licenses={}",
                repo.license.as_deref().unwrap_or("")
            ),
        ];
        for e in extra {
            all.push(self.global(e)?);
        }
        Ok(labels::merge_sorted(&all))
    }
}

/// `tmatch[group]` in JavaScript: only canonical non-negative integers index the array.
fn canonical_index(s: &str) -> Option<usize> {
    if s == "0" || (!s.starts_with('0') && !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())) {
        s.parse().ok()
    } else {
        None
    }
}

/// Splits a `/body/flags` regular expression literal.
fn split_js_literal(p: &str) -> Option<(&str, &str)> {
    let rest = p.strip_prefix('/')?;
    let end = rest.rfind('/')?;
    if end == 0 {
        return None;
    }
    Some((&rest[..end], &rest[end + 1..]))
}

/// A JavaScript regular expression, run with Rust's `regex` (no look-around or back-references;
/// `\d` and `\w` also match non-ASCII digits and letters).
struct JsRegex {
    re: Regex,
    global: bool,
}

impl JsRegex {
    fn new(body: &str, flags: &str) -> Result<JsRegex, MetaError> {
        let bad = |reason: String| MetaError::Regex {
            pattern: body.to_string(),
            reason,
        };
        let mut b = regex::RegexBuilder::new(body);
        let mut global = false;
        let mut sticky = false;
        for (i, f) in flags.char_indices() {
            if flags[..i].contains(f) {
                return Err(bad(format!("flag {f:?} given twice")));
            }
            match f {
                'i' => {
                    b.case_insensitive(true);
                }
                'm' => {
                    b.multi_line(true);
                }
                's' => {
                    b.dot_matches_new_line(true);
                }
                'g' => global = true,
                'y' => sticky = true,
                'u' | 'd' | 'v' => {}
                other => return Err(bad(format!("unknown flag {other:?}"))),
            }
        }
        if sticky {
            b = {
                let mut nb = regex::RegexBuilder::new(&format!(r"\A(?:{body})"));
                nb.case_insensitive(flags.contains('i'))
                    .multi_line(flags.contains('m'))
                    .dot_matches_new_line(flags.contains('s'));
                nb
            };
        }
        let re = b.build().map_err(|e| bad(e.to_string()))?;
        Ok(JsRegex { re, global })
    }

    /// `String.prototype.match`: the groups of the first match, or every whole match with `g`.
    fn exec(&self, s: &str) -> Option<Vec<Option<String>>> {
        if self.global {
            let all: Vec<Option<String>> = self
                .re
                .find_iter(s)
                .map(|m| Some(m.as_str().to_string()))
                .collect();
            return (!all.is_empty()).then_some(all);
        }
        let caps = self.re.captures(s)?;
        Some(
            caps.iter()
                .map(|m| m.map(|m| m.as_str().to_string()))
                .collect(),
        )
    }
}

fn date_helper(
    ts: Timestamp,
    params: &[Value],
    hash: &[(String, Value)],
) -> Result<Option<Value>, String> {
    let mut tz = "UTC".to_string();
    for (k, v) in hash {
        if k == "tz" {
            tz = v.render();
        } else {
            return Err(format!("Unknown {k} attribute"));
        }
    }
    let fmt = match params.first() {
        None | Some(Value::Undefined) => None,
        Some(v) => Some(v.render()),
    };
    datefmt::format(ts, &tz, fmt.as_deref()).map(|s| Some(Value::Str(s)))
}

/// `{{branch}}`, `{{tag}}`, `{{sha}}`, `{{base_ref}}`, `{{is_default_branch}}`, `{{date}}`,
/// `{{commit_date}}`.
struct GlobalScope<'c, 'a>(&'c Computer<'a>);

impl Scope for GlobalScope<'_, '_> {
    fn call(
        &self,
        name: &str,
        params: &[Value],
        hash: &[(String, Value)],
    ) -> Result<Option<Value>, String> {
        let c = self.0;
        let ctx = c.ctx;
        let s = |v: &str| Ok(Some(Value::Str(v.to_string())));
        match name {
            "branch" => s(c.branch_ref().unwrap_or("")),
            "tag" => s(c.tag_ref().unwrap_or("")),
            "sha" => s(&c.short_sha()),
            "base_ref" => {
                if c.tag_ref().is_some()
                    && let Some(b) = ctx.payload.get("base_ref").and_then(Json::as_str)
                {
                    return s(b.strip_prefix("refs/heads/").unwrap_or(b));
                }
                if c.pr_ref().is_some()
                    && let Some(b) = ctx
                        .payload
                        .pointer("/pull_request/base/ref")
                        .and_then(Json::as_str)
                {
                    return s(b);
                }
                s("")
            }
            "is_not_default_branch" => {
                let is = self.call("is_default_branch", &[], &[])?;
                s(if is == Some(Value::Str("true".into())) {
                    "false"
                } else {
                    "true"
                })
            }
            "is_default_branch" => {
                let branch = ctx
                    .git_ref
                    .strip_prefix("refs/heads/")
                    .unwrap_or(&ctx.git_ref);
                if branch.is_empty() {
                    return s("false");
                }
                if ctx
                    .payload
                    .pointer("/repository/default_branch")
                    .and_then(Json::as_str)
                    == Some(branch)
                {
                    return s("true");
                }
                let e = &ctx.event_name;
                if ["create", "discussion", "issues", "schedule"]
                    .iter()
                    .any(|k| e.contains(k))
                {
                    return s("true");
                }
                s("false")
            }
            "date" => date_helper(c.opts.now, params, hash),
            "commit_date" => date_helper(ctx.commit_date, params, hash),
            _ => Ok(None),
        }
    }
}

/// `{{date}}` and `{{commit_date}}` only (schedule patterns).
struct DateScope<'c, 'a>(&'c Computer<'a>);

impl Scope for DateScope<'_, '_> {
    fn call(
        &self,
        name: &str,
        params: &[Value],
        hash: &[(String, Value)],
    ) -> Result<Option<Value>, String> {
        match name {
            "date" => date_helper(self.0.opts.now, params, hash),
            "commit_date" => date_helper(self.0.ctx.commit_date, params, hash),
            _ => Ok(None),
        }
    }
}

/// The fields of a parsed semver.
struct SemverScope<'v>(&'v versions::SemVer);

impl Scope for SemverScope<'_> {
    fn call(
        &self,
        name: &str,
        _: &[Value],
        _: &[(String, Value)],
    ) -> Result<Option<Value>, String> {
        let v = self.0;
        Ok(Some(match name {
            "version" => Value::Str(v.version.clone()),
            "raw" => Value::Str(v.raw.clone()),
            "major" => Value::Str(v.major.to_string()),
            "minor" => Value::Str(v.minor.to_string()),
            "patch" => Value::Str(v.patch.to_string()),
            "prerelease" => Value::Str(v.prerelease.join(",")),
            "build" => Value::Str(v.build.join(",")),
            _ => return Ok(None),
        }))
    }
}

/// The helpers of a PEP 440 version.
struct Pep440Scope<'v> {
    raw: &'v str,
    v: &'v Pep440,
}

impl Scope for Pep440Scope<'_> {
    fn call(
        &self,
        name: &str,
        _: &[Value],
        _: &[(String, Value)],
    ) -> Result<Option<Value>, String> {
        Ok(Some(match name {
            "raw" => Value::Str(self.raw.to_string()),
            "version" => Value::Str(self.v.normalized()),
            "major" => Value::Str(self.v.segment(0).to_string()),
            "minor" => Value::Str(self.v.segment(1).to_string()),
            "patch" => Value::Str(self.v.segment(2).to_string()),
            _ => return Ok(None),
        }))
    }
}
