//! Image references as users type them on the command line, and the one rule that keeps a
//! typo from switching an image to another repository.
//!
//! An image is named by a logical name from `[images]` of `ferry.toml` (`backend`) or by its
//! repository (`registry.example.com/acme/backend`). What follows the name, REF, is
//!
//! - a tag (`1.4.0`), a digest (`sha256:…` or `@sha256:…`) or both (`1.4.0@sha256:…`): the
//!   image stays in its repository;
//! - a full reference (`registry.example.com/acme/backend:1.4.0`), accepted only when its
//!   repository is the image's own, or when the caller allows a repository change
//!   (`--allow-repository-change`).
//!
//! Anything else is refused with the repository the image is configured with, so
//! `backend=1.4.0:bad` (read naively: the repository `1.4.0` with the tag `bad`) never reaches
//! an overlay. [`resolve_image_ref`] is that rule; `ferry-pr`, `ferry-promote` and
//! `ferry-rollback` go through it.

use ferry_config::Config;
use ferry_image::reference::{Digest, Reference, Repository, validate_tag};
use serde::Serialize;

/// An image argument, resolved: what a deploy sets (`ferry_gitops::deploy::ImageRequest`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedImage {
    /// The logical name from `[images]`, or the repository when it has none: the key of the
    /// image in branch names and titles.
    pub name: String,
    /// The repository the image is configured with (or named by), as written there: what
    /// the overlay addresses.
    pub repository: Repository,
    /// The full reference: the repository (the new one after an allowed change) with a tag,
    /// a digest or both.
    pub image: Reference,
}

impl ResolvedImage {
    /// The request for `image` keyed by its own repository (no logical name), e.g. a
    /// promoted image addressed by the repository the target runs (`repository`).
    pub fn new(repository: Repository, image: Reference) -> Self {
        ResolvedImage {
            name: repository.to_string(),
            repository,
            image,
        }
    }

    /// The tag and/or digest of the new image, as shown in titles (`2.0.1`,
    /// `2.0.1@sha256:…`, `@sha256:…`).
    pub fn version(&self) -> String {
        self.image.version()
    }
}

/// Why an image argument is refused. Every variant is bad input (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageRefError {
    /// NAME is neither a logical image name nor a repository.
    #[error(
        "`{name}` is neither an image name of {config} (known: {}) nor a repository such as \
         registry.example.com/team/app",
        if known.is_empty() { "none".to_owned() } else { known.join(", ") }
    )]
    UnknownName {
        /// The name given.
        name: String,
        /// The config file.
        config: String,
        /// The logical names it defines.
        known: Vec<String>,
    },
    /// REF is not a tag, a digest, `TAG@DIGEST` or a full reference.
    #[error(
        "`{reference}` is not a tag, a digest, TAG@DIGEST or a full reference of {repository} \
         ({reason}); e.g. {name}=1.4.0 or {name}={repository}:1.4.0"
    )]
    Invalid {
        /// The image's name as given.
        name: String,
        /// The image's repository.
        repository: String,
        /// REF as given.
        reference: String,
        /// What the reference grammar said.
        reason: String,
    },
    /// REF is a full reference of another repository, and no change was allowed.
    #[error(
        "`{reference}` names the repository {given}, but {name} is {repository}{}; give a tag, a \
         digest or TAG@DIGEST (e.g. {name}=1.4.0), or pass --allow-repository-change to move \
         {name} to {given}",
        if *configured { " in ferry.toml" } else { "" }
    )]
    RepositoryChange {
        /// The image's name as given.
        name: String,
        /// The image's repository.
        repository: String,
        /// Whether `repository` comes from `[images]` of ferry.toml.
        configured: bool,
        /// REF as given.
        reference: String,
        /// The repository REF names.
        given: String,
    },
    /// A full reference without tag or digest.
    #[error("`{reference}` has no tag or digest; give one, e.g. {name}=1.4.0")]
    NoVersion {
        /// The image's name as given.
        name: String,
        /// REF as given.
        reference: String,
    },
}

/// An image argument that names no configured image or does not parse: usage (exit 2).
impl ferry_error::Classify for ImageRefError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Usage
    }
}

/// What NAME stands for: its key, its repository, and whether ferry.toml configures it.
fn image_of(config: &Config, name: &str) -> Result<(String, String, bool), ImageRefError> {
    if let Some(image) = config.image(name) {
        return Ok((image.name.clone(), image.repository.clone(), true));
    }
    let parsed = Reference::parse(name).ok().filter(|r| {
        r.tag().is_none() && r.digest().is_none() && (name.contains('/') || name.contains('.'))
    });
    let Some(parsed) = parsed else {
        return Err(ImageRefError::UnknownName {
            name: name.to_owned(),
            config: config.path.display().to_string(),
            known: config.images.iter().map(|i| i.name.clone()).collect(),
        });
    };
    let repository = parsed.name();
    Ok(match config.image_by_repository(&repository) {
        Some(i) => (i.name.clone(), repository, true),
        None => (repository.clone(), repository, false),
    })
}

/// The version part of REF when it is one: `TAG`, `DIGEST`, `@DIGEST` or `TAG@DIGEST`, as
/// (tag, digest).
fn version_of(reference: &str) -> Option<(Option<&str>, Option<&str>)> {
    let digest_ok = |d: &str| Digest::parse(d).is_ok();
    if let Some(digest) = reference.strip_prefix('@') {
        return digest_ok(digest).then_some((None, Some(digest)));
    }
    if digest_ok(reference) {
        return Some((None, Some(reference)));
    }
    match reference.split_once('@') {
        Some((tag, digest)) => {
            (validate_tag(tag).is_ok() && digest_ok(digest)).then_some((Some(tag), Some(digest)))
        }
        None => validate_tag(reference)
            .is_ok()
            .then_some((Some(reference), None)),
    }
}

/// The rule for an image argument `NAME=REF` (see the module documentation): NAME a logical
/// name from `[images]` of `config` or a repository; REF a tag, a digest, `TAG@DIGEST`, or a
/// full reference whose repository is NAME's own, or, only when `allow_repository_change`,
/// another one (the overlay then gets a `newName`).
pub fn resolve_image_ref(
    config: &Config,
    name: &str,
    reference: &str,
    allow_repository_change: bool,
) -> Result<ResolvedImage, ImageRefError> {
    let (key, repository, configured) = image_of(config, name)?;
    let invalid = |reason: String| ImageRefError::Invalid {
        name: name.to_owned(),
        repository: repository.clone(),
        reference: reference.to_owned(),
        reason,
    };
    let own = Repository::parse(&repository).map_err(|e| invalid(e.to_string()))?;
    if let Some((tag, digest)) = version_of(reference) {
        return Ok(ResolvedImage {
            name: key,
            image: own
                .with_version(tag, digest)
                .map_err(|e| invalid(e.to_string()))?,
            repository: own,
        });
    }
    let parsed = Reference::parse(reference).map_err(|e| invalid(e.to_string()))?;
    let same = parsed.repository().same_as(&own);
    if !same && !allow_repository_change {
        return Err(ImageRefError::RepositoryChange {
            name: name.to_owned(),
            repository,
            configured,
            reference: reference.to_owned(),
            given: parsed.name(),
        });
    }
    if parsed.tag().is_none() && parsed.digest().is_none() {
        return Err(ImageRefError::NoVersion {
            name: name.to_owned(),
            reference: reference.to_owned(),
        });
    }
    // The same repository keeps the spelling the overlay addresses it by.
    let image = if same {
        own.with_version(parsed.tag(), parsed.digest())
            .map_err(|e| invalid(e.to_string()))?
    } else {
        parsed
    };
    Ok(ResolvedImage {
        name: key,
        image,
        repository: own,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_str(
            "[images]\nbackend = \"registry.example.com/acme/backend\"\nweb = \"nginx\"\n\n\
             [[environment]]\nname = \"dev\"\noverlay = \"overlays/dev\"\n",
            "/repo/ferry.toml",
        )
        .expect("config")
    }

    const DIGEST: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const BACKEND: &str = "registry.example.com/acme/backend";

    fn image(name: &str, reference: &str, allow: bool) -> Result<String, ImageRefError> {
        resolve_image_ref(&config(), name, reference, allow).map(|r| r.image.to_string())
    }

    #[test]
    fn versions_stay_in_the_configured_repository() {
        let ok = |r: &str, want: String| assert_eq!(image("backend", r, false), Ok(want), "{r}");
        ok("1.4.0", format!("{BACKEND}:1.4.0"));
        ok(DIGEST, format!("{BACKEND}@{DIGEST}"));
        ok(&format!("@{DIGEST}"), format!("{BACKEND}@{DIGEST}"));
        ok(
            &format!("1.4.0@{DIGEST}"),
            format!("{BACKEND}:1.4.0@{DIGEST}"),
        );
        ok(&format!("{BACKEND}:1.4.1"), format!("{BACKEND}:1.4.1"));
        // Docker Hub spellings of the configured repository are the same repository.
        assert_eq!(
            image("web", "docker.io/library/nginx:1.28", false),
            Ok("nginx:1.28".to_owned())
        );
    }

    #[test]
    fn a_typo_never_switches_repositories() {
        for (reference, given) in [
            ("1.4.0:bad", "1.4.0"),
            (
                "registry.example.com/acme/backnd:1.4.0",
                "registry.example.com/acme/backnd",
            ),
            ("ghcr.io/acme/backend:1.4.0", "ghcr.io/acme/backend"),
            ("backend:1.4.0", "backend"),
        ] {
            let e = image("backend", reference, false).unwrap_err();
            assert!(
                matches!(&e, ImageRefError::RepositoryChange { given: g, .. } if g == given),
                "{reference}: {e:?}"
            );
            let message = e.to_string();
            assert!(message.contains(BACKEND), "{message}");
            assert!(message.contains("--allow-repository-change"), "{message}");
        }
        // Asked for explicitly, the change is made.
        assert_eq!(
            image("backend", "ghcr.io/acme/backend:1.4.0", true),
            Ok("ghcr.io/acme/backend:1.4.0".to_owned())
        );
        for reference in ["1.4.0 beta", "UPPER:x", "1.4.0@sha256:short", "-x", "a:b:c"] {
            let e = image("backend", reference, false).unwrap_err();
            assert!(
                matches!(e, ImageRefError::Invalid { .. }),
                "{reference}: {e:?}"
            );
            assert!(e.to_string().contains(BACKEND), "{e}");
        }
        let e = image("backend", BACKEND, false).unwrap_err();
        assert!(matches!(e, ImageRefError::NoVersion { .. }), "{e:?}");
    }

    #[test]
    fn repositories_as_names_follow_the_same_rule() {
        assert_eq!(
            resolve_image_ref(&config(), "ghcr.io/acme/worker", "1.0", false).map(|r| r.name),
            Ok("ghcr.io/acme/worker".to_owned())
        );
        assert_eq!(
            resolve_image_ref(&config(), BACKEND, "2.0", false).map(|r| r.name),
            Ok("backend".to_owned())
        );
        let e = image("ghcr.io/acme/worker", "ghcr.io/acme/worker2:1.0", false).unwrap_err();
        assert!(matches!(
            e,
            ImageRefError::RepositoryChange {
                configured: false,
                ..
            }
        ));
        let e = image("backnd", "1.0", false).unwrap_err();
        assert!(e.to_string().contains("known: backend, web"), "{e}");
    }
}
