//! From the raw file to a checked [`Config`]: values, then rules across fields.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use crate::error::{Diagnostic, Source};
use crate::probes::is_http_url;
use crate::raw::{
    RawConfig, RawEnvironment, RawForge, RawHttpProbe, RawKustomize, RawMonitor, RawProbes,
};
use crate::{
    Config, Environment, Forge, ForgeKind, GitForge, GitHubForge, HttpProbe, Image, Kustomize,
    LoadRestrictor, MergeMethod, Monitor, parse_duration,
};

const DEFAULT_API_URL: &str = "https://api.github.com";

pub(crate) fn build(text: &str, path: &Path) -> Result<Config, Diagnostic> {
    let src = Source::new(text, path);
    crate::limits::no_nul(&src)?;
    let raw: RawConfig = toml::from_str(text).map_err(|e| src.toml_error(&e))?;
    let check = Check { src: &src };
    let root = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };

    let mut images = check.images(raw.images.0)?;
    check.sources(&mut images, raw.sources.0)?;
    let forge = check.forge(raw.forge)?;
    let monitor = check.monitor(
        &Monitor::default(),
        raw.monitor.unwrap_or_default(),
        None,
        "monitor",
    )?;
    let environments = check.environments(raw.environment, &monitor)?;
    let registries = crate::registries::check(&src, &root, raw.registries.0)?;
    let kustomize = check.kustomize(raw.kustomize)?;

    Ok(Config {
        path: path.to_path_buf(),
        root,
        environments,
        images,
        forge,
        monitor,
        registries,
        kustomize,
    })
}

struct Check<'a> {
    src: &'a Source<'a>,
}

impl Check<'_> {
    fn error<T>(
        &self,
        at: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<T, Diagnostic> {
        Err(self.src.at(at, Some(field.into()), message))
    }

    fn images(
        &self,
        entries: Vec<(Spanned<String>, Spanned<String>)>,
    ) -> Result<Vec<Image>, Diagnostic> {
        let mut images: Vec<Image> = Vec::new();
        let mut by_repository: HashMap<String, usize> = HashMap::new();
        for (name, repository) in entries {
            let field = format!("images.{}", name.get_ref());
            if !is_name(name.get_ref()) {
                return self.error(
                    name.span().start,
                    field,
                    format!(
                        "invalid image name {:?}: use lowercase letters, digits, `-`, `_` and `.`, starting with a letter or digit",
                        name.get_ref()
                    ),
                );
            }
            if let Err(reason) = check_repository(repository.get_ref()) {
                return self.error(
                    repository.span().start,
                    field,
                    format!("invalid repository {:?}: {reason}", repository.get_ref()),
                );
            }
            if let Some(other) = by_repository
                .get(repository.get_ref().as_str())
                .map(|&k| &images[k])
            {
                return self.error(
                    repository.span().start,
                    field,
                    format!(
                        "repository {:?} is already the image `{}`; give each repository one name",
                        repository.get_ref(),
                        other.name
                    ),
                );
            }
            by_repository.insert(repository.get_ref().clone(), images.len());
            images.push(Image {
                name: name.into_inner(),
                repository: repository.into_inner(),
                source: None,
            });
        }
        Ok(images)
    }

    /// `[sources]`: the source repository of each named image, an http(s) address.
    fn sources(
        &self,
        images: &mut [Image],
        entries: Vec<(Spanned<String>, Spanned<String>)>,
    ) -> Result<(), Diagnostic> {
        let by_name: HashMap<String, usize> = images
            .iter()
            .enumerate()
            .map(|(k, i)| (i.name.clone(), k))
            .collect();
        for (name, url) in entries {
            let field = format!("sources.{}", name.get_ref());
            let Some(image) = by_name.get(name.get_ref()).map(|&k| &mut images[k]) else {
                return self.error(
                    name.span().start,
                    field,
                    format!(
                        "no image `{}` in [images]; name the image there first",
                        name.get_ref()
                    ),
                );
            };
            if let Err(reason) = check_web_url(url.get_ref()) {
                return self.error(
                    url.span().start,
                    field,
                    format!("invalid source repository {:?}: {reason}", url.get_ref()),
                );
            }
            image.source = Some(url.into_inner().trim_end_matches('/').to_owned());
        }
        Ok(())
    }

    /// `[kustomize]`: how overlays are resolved.
    fn kustomize(&self, raw: Option<RawKustomize>) -> Result<Kustomize, Diagnostic> {
        let mut out = Kustomize::default();
        if let Some(value) = raw.and_then(|r| r.load_restrictor) {
            out.load_restrictor = match value.get_ref().as_str() {
                "root-only" | "LoadRestrictionsRootOnly" => LoadRestrictor::RootOnly,
                "none" | "LoadRestrictionsNone" => LoadRestrictor::None,
                other => {
                    return self.error(
                        value.span().start,
                        "kustomize.load-restrictor",
                        format!(
                            "unknown load restrictor {other:?}; expected \"root-only\" \
                             (kustomize's default, LoadRestrictionsRootOnly) or \"none\" \
                             (LoadRestrictionsNone, as Argo CD's `--load-restrictor` sets it)"
                        ),
                    );
                }
            };
        }
        Ok(out)
    }

    fn forge(&self, raw: Option<Spanned<RawForge>>) -> Result<Forge, Diagnostic> {
        let Some(raw) = raw else {
            return Ok(Forge {
                kind: ForgeKind::Git,
                base_branch: "main".into(),
                branch_prefix: "deploy/".into(),
                labels: Vec::new(),
                author: None,
                required_checks: Vec::new(),
                git: GitForge {
                    remote: "origin".into(),
                },
                github: None,
            });
        };
        let forge_span = raw.span();
        let raw = raw.into_inner();

        let kind = match &raw.kind {
            None => ForgeKind::Git,
            Some(kind) => match kind.get_ref().parse() {
                Ok(kind) => kind,
                Err(message) => return self.error(kind.span().start, "forge.kind", message),
            },
        };

        let base_branch = match raw.base_branch {
            None => "main".to_owned(),
            Some(branch) => {
                if let Err(reason) = check_ref_part(branch.get_ref(), false) {
                    return self.error(
                        branch.span().start,
                        "forge.base-branch",
                        format!("invalid branch name {:?}: {reason}", branch.get_ref()),
                    );
                }
                branch.into_inner()
            }
        };

        let branch_prefix = match raw.branch_prefix {
            None => "deploy/".to_owned(),
            Some(prefix) => {
                if let Err(reason) = check_ref_part(prefix.get_ref(), true) {
                    return self.error(
                        prefix.span().start,
                        "forge.branch-prefix",
                        format!("invalid branch prefix {:?}: {reason}", prefix.get_ref()),
                    );
                }
                prefix.into_inner()
            }
        };

        let mut labels = Vec::new();
        for (i, label) in raw.labels.into_iter().enumerate() {
            if label.get_ref().trim().is_empty() || label.get_ref().chars().count() > 50 {
                return self.error(
                    label.span().start,
                    format!("forge.labels[{i}]"),
                    "a label must be 1 to 50 characters and not blank",
                );
            }
            labels.push(label.into_inner());
        }

        let mut required_checks = Vec::new();
        for (i, check) in raw.required_checks.into_iter().enumerate() {
            let name = check.get_ref();
            if name.trim().is_empty() || name.chars().count() > 255 {
                return self.error(
                    check.span().start,
                    format!("forge.required-checks[{i}]"),
                    "a required check is a job name of 1 to 255 characters, not blank",
                );
            }
            if required_checks
                .iter()
                .any(|c: &crate::RequiredCheck| c.name == *name)
            {
                return self.error(
                    check.span().start,
                    format!("forge.required-checks[{i}]"),
                    format!("{name:?} is listed twice; remove one"),
                );
            }
            let (line, column) = self.line_of(check.span().start);
            required_checks.push(crate::RequiredCheck {
                name: check.into_inner(),
                line,
                column,
            });
        }

        let author = match raw.author {
            None => None,
            Some(author) => {
                if !is_author(author.get_ref()) {
                    return self.error(
                        author.span().start,
                        "forge.author",
                        format!(
                            "invalid author {:?}: write `Name <email>`, e.g. \"Ferry <ferry@example.com>\"",
                            author.get_ref()
                        ),
                    );
                }
                Some(author.into_inner())
            }
        };

        let remote = match raw.git.and_then(|git| git.remote) {
            None => "origin".to_owned(),
            Some(remote) => {
                if let Err(reason) = crate::check_remote(remote.get_ref()) {
                    return self.error(
                        remote.span().start,
                        "forge.git.remote",
                        format!(
                            "invalid remote {:?}: {reason}; give a remote name (e.g. \"origin\") or a URL or path git can push to",
                            ferry_redact::RemoteUrl::new(remote.get_ref().as_str()).to_string()
                        ),
                    );
                }
                remote.into_inner()
            }
        };

        let github = match raw.github {
            None => None,
            Some(github) => Some(self.github(github.into_inner())?),
        };
        if kind == ForgeKind::GitHub && github.is_none() {
            let at = raw
                .kind
                .as_ref()
                .map_or(forge_span.start, |k| k.span().start);
            return self.error(
                at,
                "forge.kind",
                "the github forge needs a [forge.github] table with `owner` and `repo`",
            );
        }

        Ok(Forge {
            kind,
            base_branch,
            branch_prefix,
            labels,
            author,
            required_checks,
            git: GitForge { remote },
            github,
        })
    }

    fn github(&self, raw: crate::raw::RawGitHub) -> Result<GitHubForge, Diagnostic> {
        for (value, field, what) in [
            (&raw.owner, "forge.github.owner", "owner"),
            (&raw.repo, "forge.github.repo", "repository name"),
        ] {
            let v = value.get_ref();
            let ok = !v.is_empty()
                && v.len() <= 100
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && v != "."
                && v != "..";
            if !ok {
                return self.error(
                    value.span().start,
                    field,
                    format!(
                        "invalid GitHub {what} {v:?}: use letters, digits, `-`, `_` and `.` (write owner and repo separately, not \"owner/repo\")"
                    ),
                );
            }
        }
        let api_url = match raw.api_url {
            None => DEFAULT_API_URL.to_owned(),
            Some(url) => {
                if !is_http_url(url.get_ref()) {
                    return self.error(
                        url.span().start,
                        "forge.github.api-url",
                        format!(
                            "invalid URL {:?}: expected an http:// or https:// URL",
                            url.get_ref()
                        ),
                    );
                }
                url.get_ref().trim_end_matches('/').to_owned()
            }
        };
        let graphql_url = match raw.graphql_url {
            None => match api_url.strip_suffix("/api/v3") {
                Some(host) => format!("{host}/api/graphql"),
                None => format!("{api_url}/graphql"),
            },
            Some(url) => {
                if !is_http_url(url.get_ref()) {
                    return self.error(
                        url.span().start,
                        "forge.github.graphql-url",
                        format!(
                            "invalid URL {:?}: expected an http:// or https:// URL",
                            url.get_ref()
                        ),
                    );
                }
                url.get_ref().trim_end_matches('/').to_owned()
            }
        };
        let app_id = match raw.app_id {
            None => None,
            Some(id) if *id.get_ref() == 0 => {
                return self.error(
                    id.span().start,
                    "forge.github.app-id",
                    "a GitHub App id is a positive number",
                );
            }
            Some(id) => Some(id.into_inner()),
        };
        let merge_method = match &raw.merge_method {
            None => MergeMethod::Squash,
            Some(method) => match method.get_ref().parse() {
                Ok(method) => method,
                Err(message) => {
                    return self.error(method.span().start, "forge.github.merge-method", message);
                }
            },
        };
        Ok(GitHubForge {
            owner: raw.owner.into_inner(),
            repo: raw.repo.into_inner(),
            api_url,
            graphql_url,
            app_id,
            merge_method,
        })
    }

    fn duration(&self, value: &Spanned<String>, field: String) -> Result<Duration, Diagnostic> {
        parse_duration(value.get_ref())
            .or_else(|e| self.error(value.span().start, field, e.to_string()))
    }

    fn count(&self, value: &Spanned<i64>, field: String, min: u32) -> Result<u32, Diagnostic> {
        match u32::try_from(*value.get_ref()) {
            Ok(n) if n >= min => Ok(n),
            _ => self.error(
                value.span().start,
                field,
                format!(
                    "expected a whole number from {min} to {}, found {}",
                    u32::MAX,
                    value.get_ref()
                ),
            ),
        }
    }

    /// `base` overridden by the keys set in `raw`; `prefix` is the table's dotted path.
    fn monitor(
        &self,
        base: &Monitor,
        raw: RawMonitor,
        probes: Option<RawProbes>,
        prefix: &str,
    ) -> Result<Monitor, Diagnostic> {
        let mut m = base.clone();
        if let Some(v) = &raw.warmup {
            m.warmup = self.duration(v, format!("{prefix}.warmup"))?;
        }
        if let Some(v) = &raw.interval {
            m.interval = self.duration(v, format!("{prefix}.interval"))?;
            if m.interval.is_zero() {
                return self.error(
                    v.span().start,
                    format!("{prefix}.interval"),
                    "the interval must be longer than 0s",
                );
            }
        }
        if let Some(v) = &raw.timeout {
            m.timeout = self.duration(v, format!("{prefix}.timeout"))?;
            if m.timeout.is_zero() {
                return self.error(
                    v.span().start,
                    format!("{prefix}.timeout"),
                    "the timeout must be longer than 0s",
                );
            }
        }
        if let Some(p) = raw.prometheus {
            m.prometheus = Some(crate::probes::prometheus(
                self.src,
                p,
                &format!("{prefix}.prometheus"),
            )?);
        }
        if let Some(v) = &raw.checks {
            m.checks = self.count(v, format!("{prefix}.checks"), 1)?;
        }
        if let Some(v) = &raw.failures {
            m.failures = self.count(v, format!("{prefix}.failures"), 1)?;
        }
        if let Some(v) = &raw.error_budget {
            m.error_budget = self.count(v, format!("{prefix}.error-budget"), 0)?;
        }
        if m.failures > m.checks {
            let (at, key) = match (&raw.failures, &raw.checks) {
                (Some(f), _) => (f.span().start, "failures"),
                (None, Some(c)) => (c.span().start, "checks"),
                (None, None) => (0, "failures"),
            };
            return self.error(
                at,
                format!("{prefix}.{key}"),
                format!(
                    "failures ({}) is more than checks ({}), so a release could never be found unhealthy; lower failures or raise checks",
                    m.failures, m.checks
                ),
            );
        }
        m.http = Vec::new();
        m.metrics = Vec::new();
        let Some(probes) = probes else {
            return Ok(m);
        };
        for (i, probe) in probes.http.into_iter().enumerate() {
            m.http
                .push(self.probe(probe.into_inner(), &format!("{prefix}.http[{i}]"))?);
        }
        m.workloads = crate::probes::workloads(self.src, probes.workloads, prefix)?;
        m.namespace = crate::probes::namespace(self.src, probes.namespace, prefix)?;
        m.metrics =
            crate::probes::metrics(self.src, probes.metrics, m.prometheus.as_ref(), prefix)?;
        Ok(m)
    }

    fn probe(&self, raw: RawHttpProbe, prefix: &str) -> Result<HttpProbe, Diagnostic> {
        if !is_http_url(raw.url.get_ref()) {
            return self.error(
                raw.url.span().start,
                format!("{prefix}.url"),
                format!(
                    "invalid URL {:?}: expected an http:// or https:// URL",
                    raw.url.get_ref()
                ),
            );
        }
        let status = match &raw.status {
            None => 200,
            Some(s) => match u16::try_from(*s.get_ref()) {
                Ok(code @ 100..=599) => code,
                _ => {
                    return self.error(
                        s.span().start,
                        format!("{prefix}.status"),
                        format!("invalid HTTP status {}: expected 100 to 599", s.get_ref()),
                    );
                }
            },
        };
        let body = match raw.body {
            None => None,
            Some(body) => {
                if let Err(e) = regex::Regex::new(body.get_ref()) {
                    let text = e.to_string();
                    let last = text.lines().last().unwrap_or_default().trim();
                    let reason = last.strip_prefix("error: ").unwrap_or(last);
                    return self.error(
                        body.span().start,
                        format!("{prefix}.body"),
                        format!("invalid regular expression {:?}: {reason}", body.get_ref()),
                    );
                }
                Some(body.into_inner())
            }
        };
        Ok(HttpProbe {
            url: raw.url.into_inner(),
            status,
            body,
        })
    }

    fn environments(
        &self,
        raw: Vec<Spanned<RawEnvironment>>,
        monitor: &Monitor,
    ) -> Result<Vec<Environment>, Diagnostic> {
        if raw.is_empty() {
            return self.error(
                self.src.text.len(),
                "environment",
                "no environments: add an [[environment]] table with `name` and `overlay`",
            );
        }
        // Spans of each environment's `name` and `upstream`, for the rules across environments.
        let mut names: Vec<Spanned<String>> = Vec::new();
        let mut upstreams: Vec<Option<Spanned<String>>> = Vec::new();
        let mut envs: Vec<Environment> = Vec::new();
        let mut seen_names: HashMap<String, usize> = HashMap::new();
        let mut seen_overlays: HashMap<PathBuf, usize> = HashMap::new();
        for (i, env) in raw.into_iter().enumerate() {
            let env = env.into_inner();
            let prefix = format!("environment[{i}]");
            let name = env.name.get_ref();
            if !is_name(name) {
                return self.error(
                    env.name.span().start,
                    format!("{prefix}.name"),
                    format!(
                        "invalid environment name {name:?}: use lowercase letters, digits, `-`, `_` and `.`, starting with a letter or digit (it becomes part of branch names)"
                    ),
                );
            }
            if let Some(&first) = seen_names.get(name.as_str()) {
                let first: &Spanned<String> = &names[first];
                let (line, _) = self.line_of(first.span().start);
                return self.error(
                    env.name.span().start,
                    format!("{prefix}.name"),
                    format!("environment {name:?} is defined twice (first on line {line}); names must be unique"),
                );
            }
            let overlay = match normalize_overlay(env.overlay.get_ref()) {
                Ok(p) => p,
                Err(reason) => {
                    return self.error(
                        env.overlay.span().start,
                        format!("{prefix}.overlay"),
                        format!("invalid overlay path {:?}: {reason}", env.overlay.get_ref()),
                    );
                }
            };
            if let Some(&j) = seen_overlays.get(&overlay) {
                return self.error(
                    env.overlay.span().start,
                    format!("{prefix}.overlay"),
                    format!(
                        "environments {:?} and {name:?} use the same overlay {:?}; each environment needs its own",
                        envs[j].name,
                        overlay.display()
                    ),
                );
            }
            let soak = match &env.soak {
                None => Duration::ZERO,
                Some(soak) => {
                    let d = self.duration(soak, format!("{prefix}.soak"))?;
                    if env.upstream.is_none() && !d.is_zero() {
                        return self.error(
                            soak.span().start,
                            format!("{prefix}.soak"),
                            format!(
                                "environment {name:?} has no upstream, so there is nothing to soak in; remove `soak` or set `upstream`"
                            ),
                        );
                    }
                    d
                }
            };
            if let Some(app) = &env.argocd_app
                && (app.get_ref().is_empty() || app.get_ref().trim() != app.get_ref())
            {
                return self.error(
                    app.span().start,
                    format!("{prefix}.argocd-app"),
                    "the Argo CD application name must not be empty or padded with spaces",
                );
            }
            let env_monitor = match env.monitor {
                None => monitor.clone(),
                Some(m) => {
                    let (shared, probes) = m.split();
                    self.monitor(monitor, shared, Some(probes), &format!("{prefix}.monitor"))?
                }
            };
            envs.push(Environment {
                name: name.clone(),
                overlay,
                upstream: env.upstream.as_ref().map(|u| u.get_ref().clone()),
                auto_merge: env.auto_merge,
                soak,
                argocd_app: env.argocd_app.map(Spanned::into_inner),
                monitor: env_monitor,
                line: self.line_of(env.name.span().start).0,
            });
            seen_names.insert(env.name.get_ref().clone(), names.len());
            seen_overlays.insert(envs[envs.len() - 1].overlay.clone(), envs.len() - 1);
            names.push(env.name);
            upstreams.push(env.upstream);
        }
        self.promotion_order(envs, &names, &upstreams)
    }

    /// Checks the upstream links (existing, not itself, no cycles) and sorts `envs` so that each
    /// comes after its upstream; among environments that are ready, file order is kept.
    fn promotion_order(
        &self,
        envs: Vec<Environment>,
        names: &[Spanned<String>],
        upstreams: &[Option<Spanned<String>>],
    ) -> Result<Vec<Environment>, Diagnostic> {
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.get_ref().as_str(), i))
            .collect();
        let mut parent: Vec<Option<usize>> = Vec::with_capacity(envs.len());
        for (i, upstream) in upstreams.iter().enumerate() {
            let Some(upstream) = upstream else {
                parent.push(None);
                continue;
            };
            let field = format!("environment[{i}].upstream");
            let u = upstream.get_ref();
            if u == names[i].get_ref() {
                return self.error(
                    upstream.span().start,
                    field,
                    format!("environment {u:?} cannot be its own upstream"),
                );
            }
            match index.get(u.as_str()) {
                Some(&j) => parent.push(Some(j)),
                None => {
                    let known: Vec<String> =
                        names.iter().map(|n| format!("{:?}", n.get_ref())).collect();
                    return self.error(
                        upstream.span().start,
                        field,
                        format!(
                            "unknown upstream environment {u:?}; defined environments: {}",
                            known.join(", ")
                        ),
                    );
                }
            }
        }

        // Cycles, in linear time: walk each chain once, marking the walk; meeting the current
        // walk again closes a cycle. The first environment (in file order) on a cycle is the
        // one reported, with the chain from it.
        let mut walk = vec![usize::MAX; envs.len()];
        let mut on_cycle = vec![false; envs.len()];
        for start in 0..envs.len() {
            let mut at = start;
            while walk[at] == usize::MAX {
                walk[at] = start;
                match parent[at] {
                    Some(next) => at = next,
                    None => break,
                }
            }
            if walk[at] == start && parent[at].is_some() {
                // `at` is on a cycle made in this walk: mark it around.
                let first = at;
                loop {
                    on_cycle[at] = true;
                    at = parent[at].expect("a cycle has upstreams");
                    if at == first {
                        break;
                    }
                }
            }
        }
        if let Some(start) = (0..envs.len()).find(|&i| on_cycle[i]) {
            let mut chain = vec![start];
            let mut at = parent[start].expect("a cycle has upstreams");
            while at != start {
                chain.push(at);
                at = parent[at].expect("a cycle has upstreams");
            }
            let mut names_in_cycle: Vec<&str> =
                chain.iter().map(|&k| envs[k].name.as_str()).collect();
            names_in_cycle.reverse();
            names_in_cycle.insert(0, envs[start].name.as_str());
            let upstream = upstreams[start]
                .as_ref()
                .expect("a chain step has an upstream");
            return self.error(
                upstream.span().start,
                format!("environment[{start}].upstream"),
                format!(
                    "upstream environments form a cycle (promotion order {}); the first environment must have no upstream",
                    names_in_cycle.join(" → ")
                ),
            );
        }

        // Promotion order: repeatedly take, in file order, environments whose upstream is placed.
        // An environment is taken in the pass of its upstream when the upstream comes first in
        // the file, else in the pass after; sorting by (pass, file order) gives the same order
        // in linear time (plus the sort).
        let mut pass = vec![0usize; envs.len()];
        for start in 0..envs.len() {
            let mut path = Vec::new();
            let mut at = start;
            while pass[at] == 0 {
                path.push(at);
                match parent[at] {
                    Some(p) => at = p,
                    None => break,
                }
            }
            for &i in path.iter().rev() {
                pass[i] = match parent[i] {
                    None => 1,
                    Some(p) if p < i => pass[p],
                    Some(p) => pass[p] + 1,
                };
            }
        }
        let mut order: Vec<usize> = (0..envs.len()).collect();
        order.sort_by_key(|&i| (pass[i], i));
        let mut slots: Vec<Option<Environment>> = envs.into_iter().map(Some).collect();
        Ok(order
            .into_iter()
            .map(|i| slots[i].take().expect("each index once"))
            .collect())
    }

    fn line_of(&self, at: usize) -> (usize, usize) {
        let d = self.src.at(at, None, "");
        (d.line, d.column)
    }
}

/// Lowercase names used for environments and images (they end up in branch and ref names).
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.len() <= 63
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// A branch name (or, with `prefix`, the start of one) git accepts.
pub(crate) fn check_ref_part(s: &str, prefix: bool) -> Result<(), &'static str> {
    if s.is_empty() {
        return if prefix { Ok(()) } else { Err("it is empty") };
    }
    if s.starts_with('/') || s.starts_with('-') || s.starts_with('.') {
        return Err("it must not start with `/`, `-` or `.`");
    }
    if !prefix && (s.ends_with('/') || s.ends_with('.')) {
        return Err("it must not end with `/` or `.`");
    }
    if s.contains("..") || s.contains("//") || s.contains("@{") || s.ends_with(".lock") {
        return Err("it must not contain `..`, `//` or `@{`, nor end with `.lock`");
    }
    if s.chars()
        .any(|c| c.is_ascii_control() || " ~^:?*[\\".contains(c))
    {
        return Err("it must not contain spaces or any of ~ ^ : ? * [ \\");
    }
    Ok(())
}

fn is_author(s: &str) -> bool {
    let Some((name, rest)) = s.split_once('<') else {
        return false;
    };
    let Some(email) = rest.strip_suffix('>') else {
        return false;
    };
    !name.trim().is_empty()
        && name.ends_with(' ')
        && email.contains('@')
        && !email.contains(['<', '>', ' '])
}

/// Checks an image repository as written in a kustomization's `images[].name`: an optional
/// registry host (with port), then lowercase path components; no tag, no digest.
/// An `http(s)://host/path` address without query, fragment or white space.
fn check_web_url(s: &str) -> Result<(), String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or("use an http:// or https:// address, e.g. https://github.com/acme/backend")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() || path.trim_matches('/').is_empty() {
        return Err("name the host and the repository path".into());
    }
    if s.contains(|c: char| c.is_whitespace() || c == '?' || c == '#') {
        return Err("no spaces, query or fragment".into());
    }
    Ok(())
}

fn check_repository(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("it is empty".into());
    }
    if s.contains('@') {
        return Err("remove the digest: give the repository only".into());
    }
    let mut parts: Vec<&str> = s.split('/').collect();
    let first = parts[0];
    let has_host = parts.len() > 1 && (first.contains(['.', ':']) || first == "localhost");
    if has_host {
        let (host, port) = first.split_once(':').unwrap_or((first, ""));
        let host_ok = !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        let port_ok =
            !first.contains(':') || (!port.is_empty() && port.chars().all(|c| c.is_ascii_digit()));
        if !host_ok || !port_ok {
            return Err(format!("{first:?} is not a valid registry host"));
        }
        parts.remove(0);
    }
    for part in parts {
        if part.contains(':') {
            return Err("remove the tag: give the repository only".into());
        }
        let ok = !part.is_empty()
            && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            });
        if !ok {
            return Err(format!(
                "path component {part:?} must be lowercase letters and digits, separated by `.`, `_` or `-`"
            ));
        }
    }
    Ok(())
}

/// A relative overlay path that stays inside the repository, normalized to `/`-separated
/// components without `.`.
fn normalize_overlay(s: &str) -> Result<PathBuf, &'static str> {
    if s.trim().is_empty() {
        return Err("it is empty");
    }
    if s.contains('\\') {
        return Err("use `/` as the separator");
    }
    let path = Path::new(s);
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err("it must not contain `..`: overlays live inside the repository");
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err("it must be relative to the directory of ferry.toml, not absolute");
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err("it names the repository root; point it at the overlay directory");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories() {
        for ok in [
            "registry.example.com/acme/backend",
            "localhost:5000/app",
            "127.0.0.1:5000/a/b",
            "postgres",
            "library/postgres",
            "ghcr.io/acme/my_app.v2",
        ] {
            assert_eq!(check_repository(ok), Ok(()), "{ok}");
        }
        for (bad, reason) in [
            ("registry.example.com/acme/backend:1.2", "remove the tag"),
            ("postgres:16", "remove the tag"),
            ("acme/backend@sha256:abc", "remove the digest"),
            ("Acme/backend", "path component \"Acme\""),
            ("registry.example.com:x/a", "not a valid registry host"),
            ("a//b", "path component \"\""),
            ("", "it is empty"),
        ] {
            let err = check_repository(bad).unwrap_err();
            assert!(err.contains(reason), "{bad}: {err}");
        }
    }

    #[test]
    fn overlays() {
        assert_eq!(
            normalize_overlay("./infra/k8s//overlays/dev/").unwrap(),
            PathBuf::from("infra/k8s/overlays/dev")
        );
        assert!(
            normalize_overlay("/abs")
                .unwrap_err()
                .contains("not absolute")
        );
        assert!(normalize_overlay("a/../../b").unwrap_err().contains("`..`"));
        assert!(
            normalize_overlay(".")
                .unwrap_err()
                .contains("repository root")
        );
        assert!(normalize_overlay("a\\b").unwrap_err().contains("separator"));
    }

    #[test]
    fn names_and_refs() {
        assert!(is_name("dev"));
        assert!(is_name("prod-eu.1"));
        assert!(!is_name("Prod"));
        assert!(!is_name("-dev"));
        assert!(!is_name(""));
        assert!(check_ref_part("main", false).is_ok());
        assert!(check_ref_part("release/1.x", false).is_ok());
        assert!(check_ref_part("deploy/", true).is_ok());
        assert!(check_ref_part("deploy/", false).is_err());
        assert!(check_ref_part("a b", false).is_err());
        assert!(check_ref_part("a..b", false).is_err());
        assert!(is_author("Ferry <ferry@example.com>"));
        assert!(!is_author("Ferry ferry@example.com"));
        assert!(!is_author("<ferry@example.com>"));
    }
}
