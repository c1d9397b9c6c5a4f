//! What `ferry init` is asked to generate, checked once: every name that ends up in a file is
//! known to be safe to write there unquoted (Kubernetes names, TOML keys, workflow expressions).

use ferry_image::reference::Repository;

use crate::InitError;

/// The forge the generated repository works through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forge {
    /// GitHub pull requests: `ferry.toml` `[forge.github]` and the GitHub Actions workflows.
    Github {
        /// Owner (user or organization) of the repository.
        owner: String,
        /// The repository's name.
        repo: String,
    },
    /// Any remote git can push to (`[forge.git]`); no GitHub workflows are written.
    Git {
        /// The URL Argo CD fetches the repository from.
        url: String,
    },
}

/// One image the application builds: its logical name and repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The logical name (`backend`): the name of its Deployment, Service and container, and of
    /// `--image NAME=REF` in Ferry's steps.
    pub name: String,
    /// The repository, as the overlays' `images:` entries name it.
    pub repository: Repository,
}

impl Image {
    /// The registry host of the repository (`ghcr.io`), `None` for Docker Hub's short names.
    pub fn registry(&self) -> Option<String> {
        let name = self.repository.name();
        let (first, _) = name.split_once('/')?;
        (first.contains('.') || first.contains(':') || first == "localhost").then(|| first.into())
    }
}

/// The options of `ferry init`, checked by [`Options::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The application's name: the Argo CD project, `APP-ENV` applications and namespaces.
    pub app: String,
    /// The images, in the order given.
    pub images: Vec<Image>,
    /// The forge.
    pub forge: Forge,
    /// The environments in promotion order: each is promoted from the one before it.
    pub environments: Vec<String>,
    /// The environments that run Argo Rollouts blue-green instead of Deployments.
    pub blue_green: Vec<String>,
    /// The branch Argo CD deploys from and changes are merged into.
    pub base_branch: String,
}

/// The unchecked options, as a command line gives them.
#[derive(Debug, Clone, Default)]
pub struct RawOptions {
    /// `--app`.
    pub app: String,
    /// `--image NAME=REPOSITORY`, repeated.
    pub images: Vec<String>,
    /// `--forge github|git` (`github` when `None`).
    pub forge: Option<String>,
    /// `--repo OWNER/NAME` (GitHub).
    pub repo: Option<String>,
    /// `--repo-url URL` (plain git: where Argo CD fetches from).
    pub repo_url: Option<String>,
    /// `--environments` (`dev,staging,prod` when empty).
    pub environments: Vec<String>,
    /// `--blue-green` (`prod` when `None` and the environments include `prod`).
    pub blue_green: Option<Vec<String>>,
    /// `--base` (`main` when `None`).
    pub base_branch: Option<String>,
}

/// The environments when none are given.
pub const DEFAULT_ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];

fn invalid(option: &'static str, value: &str, reason: impl Into<String>) -> InitError {
    InitError::Option {
        option,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// Words YAML 1.1 readers (Kubernetes') take for a boolean or null, not a string.
const YAML_WORDS: [&str; 10] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

/// A DNS-1035 label of at most `max` characters: lowercase letters, digits and `-`, starting
/// with a letter and ending with a letter or digit, and not a word YAML reads as a boolean, so
/// it is written unquoted in every generated file.
fn check_label(option: &'static str, value: &str, max: usize) -> Result<(), InitError> {
    let ok = value.len() <= max
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.ends_with('-');
    if !ok {
        return Err(invalid(
            option,
            value,
            format!(
                "use 1 to {max} lowercase letters, digits and `-`, starting with a letter and \
                 ending with a letter or digit (it names Kubernetes objects)"
            ),
        ));
    }
    if YAML_WORDS.contains(&value) {
        return Err(invalid(option, value, "YAML reads this word as a boolean"));
    }
    Ok(())
}

fn check_github_part(option: &'static str, whole: &str, part: &str) -> Result<(), InitError> {
    let ok = !part.is_empty()
        && part.len() <= 100
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !part.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            option,
            whole,
            "expected OWNER/NAME with letters, digits, `-`, `_` and `.`",
        ))
    }
}

impl Options {
    /// Checks `raw`: names that become Kubernetes names, repositories with the strict reference
    /// grammar (no tag or digest), the forge's settings, blue-green environments among the
    /// environments.
    pub fn new(raw: RawOptions) -> Result<Options, InitError> {
        check_label("--app", &raw.app, 40)?;
        let mut images: Vec<Image> = Vec::new();
        if raw.images.is_empty() {
            return Err(invalid(
                "--image",
                "",
                "give at least one image as NAME=REPOSITORY",
            ));
        }
        for spec in &raw.images {
            let Some((name, repository)) = spec.split_once('=') else {
                return Err(invalid("--image", spec, "expected NAME=REPOSITORY"));
            };
            check_label("--image", name, 50)?;
            let repository = Repository::parse(repository).map_err(|e| {
                invalid(
                    "--image",
                    spec,
                    format!("{repository} is not a repository without tag or digest: {e}"),
                )
            })?;
            if images.iter().any(|i| i.name == name) {
                return Err(invalid("--image", spec, format!("{name} is given twice")));
            }
            if images.iter().any(|i| i.repository.same_as(&repository)) {
                return Err(invalid(
                    "--image",
                    spec,
                    "two images cannot share a repository",
                ));
            }
            images.push(Image {
                name: name.to_owned(),
                repository,
            });
        }

        let environments: Vec<String> = if raw.environments.is_empty() {
            DEFAULT_ENVIRONMENTS
                .iter()
                .map(|e| (*e).to_owned())
                .collect()
        } else {
            raw.environments.clone()
        };
        for (i, env) in environments.iter().enumerate() {
            check_label("--environments", env, 63 - raw.app.len() - 1)?;
            if environments[..i].contains(env) {
                return Err(invalid(
                    "--environments",
                    env,
                    "an environment is given twice",
                ));
            }
        }
        let blue_green = match raw.blue_green {
            Some(list) => list,
            None if environments.iter().any(|e| e == "prod") => vec!["prod".to_owned()],
            None => Vec::new(),
        };
        for env in &blue_green {
            if !environments.contains(env) {
                return Err(invalid(
                    "--blue-green",
                    env,
                    format!("not among the environments {}", environments.join(",")),
                ));
            }
        }

        let base_branch = raw.base_branch.unwrap_or_else(|| "main".to_owned());
        ferry_config::check_branch(&base_branch)
            .map_err(|reason| invalid("--base", &base_branch, reason))?;
        if !base_branch
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        {
            return Err(invalid(
                "--base",
                &base_branch,
                "use letters, digits, `-`, `_`, `.` and `/`",
            ));
        }

        let forge = match raw.forge.as_deref().unwrap_or("github") {
            "github" => {
                let Some(repo) = raw.repo.as_deref() else {
                    return Err(invalid(
                        "--repo",
                        "",
                        "the GitHub forge needs --repo OWNER/NAME",
                    ));
                };
                let Some((owner, name)) = repo.split_once('/') else {
                    return Err(invalid("--repo", repo, "expected OWNER/NAME"));
                };
                check_github_part("--repo", repo, owner)?;
                check_github_part("--repo", repo, name)?;
                Forge::Github {
                    owner: owner.to_owned(),
                    repo: name.to_owned(),
                }
            }
            "git" => {
                let Some(url) = raw.repo_url else {
                    return Err(invalid(
                        "--repo-url",
                        "",
                        "the plain-git forge needs --repo-url URL (where Argo CD fetches the \
                         repository from)",
                    ));
                };
                let safe = !url.is_empty()
                    && url.bytes().all(|b| {
                        b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'\\' | b'#' | b'`')
                    });
                ferry_config::check_remote(&url)
                    .map_err(|reason| invalid("--repo-url", &url, reason))?;
                if !safe {
                    return Err(invalid(
                        "--repo-url",
                        &url,
                        "use a URL without spaces, quotes, `#` or backslashes",
                    ));
                }
                Forge::Git { url }
            }
            other => return Err(invalid("--forge", other, "expected `github` or `git`")),
        };
        Ok(Options {
            app: raw.app,
            images,
            forge,
            environments,
            blue_green,
            base_branch,
        })
    }

    /// Whether `env` runs blue-green Rollouts.
    pub fn is_blue_green(&self, env: &str) -> bool {
        self.blue_green.iter().any(|e| e == env)
    }

    /// The Kubernetes namespace of `env`: `APP-ENV`.
    pub fn namespace(&self, env: &str) -> String {
        format!("{}-{env}", self.app)
    }

    /// The overlay directory of `env`, relative to the repository root.
    pub fn overlay(&self, env: &str) -> String {
        format!("infra/k8s/overlays/{env}")
    }

    /// The environment `env` is promoted from: the one before it.
    pub fn upstream(&self, env: &str) -> Option<&str> {
        let i = self.environments.iter().position(|e| e == env)?;
        i.checked_sub(1).map(|u| self.environments[u].as_str())
    }

    /// The first environment (new builds land there).
    pub fn first(&self) -> &str {
        &self.environments[0]
    }

    /// The last environment (production: self-heal off, approval).
    pub fn last(&self) -> &str {
        self.environments.last().expect("at least one environment")
    }

    /// The URL Argo CD fetches the repository from.
    pub fn repo_url(&self) -> String {
        match &self.forge {
            Forge::Github { owner, repo } => format!("https://github.com/{owner}/{repo}.git"),
            Forge::Git { url } => url.clone(),
        }
    }
}
