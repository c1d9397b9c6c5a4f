//! Holds as a person names them: which held images an argument such as `backend:1.5.0`
//! means, releasing some images of a hold while the others stay held, and the command that
//! lifts a hold. Pure: the forge reads and writes the holds.

use std::collections::BTreeMap;

use ferry_config::Config;
use ferry_image::reference::Reference;
use serde::Serialize;

use crate::gates::Hold;
use crate::image_ref::resolve_image_ref;

/// Which held images a release names: a repository, and optionally a tag and a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageQuery {
    /// The argument as given.
    pub given: String,
    /// The repository (Docker Hub names normalised, e.g. `docker.io/library/nginx`).
    pub repository: String,
    /// The tag, when given: only held images with this tag match.
    pub tag: Option<String>,
    /// The digest, when given: only held images with this digest match.
    pub digest: Option<String>,
}

/// Why a release argument names no image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--image {given}: {reason}")]
pub struct BadQuery {
    /// The argument.
    pub given: String,
    /// Why.
    pub reason: String,
}

impl ImageQuery {
    /// Reads what a person types: a logical image name of `config` with an optional tag or
    /// digest (`backend`, `backend:1.5.0`, `backend=1.5.0`, `backend@sha256:…`), or a
    /// reference (`registry.example.com/acme/backend:1.5.0`, with or without a tag or digest).
    pub fn parse(given: &str, config: &Config) -> Result<ImageQuery, BadQuery> {
        let text = given.trim();
        let bad = |reason: String| BadQuery {
            given: given.to_owned(),
            reason,
        };
        if text.is_empty() {
            return Err(bad("empty; name an image, e.g. backend:1.5.0".into()));
        }
        // `NAME=REF`, as every image argument: the one rule of `resolve_image_ref`.
        if let Some((name, reference)) = text.split_once('=') {
            let resolved = resolve_image_ref(config, name, reference, false)
                .map_err(|e| bad(e.to_string()))?;
            return Self::from_reference(given, &resolved.image.to_string()).map_err(|e| {
                bad(format!(
                    "`{}` is not an image reference: {e}",
                    resolved.image
                ))
            });
        }
        let split = text.find([':', '@']).unwrap_or(text.len());
        let (name, rest) = text.split_at(split);
        if let Some(image) = config.image(name) {
            // `backend:1.5.0`, `backend@sha256:…`: the same rule, REF the version.
            let full = if rest.is_empty() {
                image.repository.clone()
            } else {
                let version = rest.strip_prefix(':').unwrap_or(rest);
                resolve_image_ref(config, name, version, false)
                    .map_err(|e| bad(e.to_string()))?
                    .image
                    .to_string()
            };
            return Self::from_reference(given, &full)
                .map_err(|e| bad(format!("`{full}` is not an image reference: {e}")));
        }
        Self::from_reference(given, text).map_err(|e| {
            let names: Vec<&str> = config.images.iter().map(|i| i.name.as_str()).collect();
            bad(format!(
                "neither an image name of {} (known: {}) nor an image reference ({e})",
                config.path.display(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        })
    }

    /// The query for a full reference as a hold names it (a text that is no reference
    /// matches only itself).
    pub fn exact(image: &str) -> ImageQuery {
        Self::from_reference(image, image).unwrap_or_else(|_| ImageQuery {
            given: image.to_owned(),
            repository: String::new(),
            tag: None,
            digest: None,
        })
    }

    fn from_reference(given: &str, text: &str) -> Result<ImageQuery, String> {
        let r = Reference::parse_normalized(text).map_err(|e| e.to_string())?;
        Ok(ImageQuery {
            given: given.to_owned(),
            repository: r.name(),
            tag: r.tag().map(str::to_owned),
            digest: r.digest().map(str::to_owned),
        })
    }

    /// Whether the held image `held` is one this query names.
    pub fn matches(&self, held: &str) -> bool {
        let Ok(r) = Reference::parse_normalized(held) else {
            return held == self.given.trim();
        };
        r.name() == self.repository
            && self.tag.as_deref().is_none_or(|t| r.tag() == Some(t))
            && self.digest.as_deref().is_none_or(|d| r.digest() == Some(d))
    }
}

/// Releases, among the active holds of `env`, the images `query` names (every hold of `env`
/// when `query` is `None`). A hold whose images are all named is marked released; a hold
/// with other images keeps those, still held, and the named ones are kept on record as a
/// released hold of their own. Returns what was released.
pub fn release_in(holds: &mut Vec<Hold>, env: &str, query: Option<&ImageQuery>) -> Vec<Hold> {
    let mut released = Vec::new();
    let mut split_off = Vec::new();
    for hold in holds.iter_mut().filter(|h| !h.released && h.env == env) {
        let Some(query) = query else {
            hold.released = true;
            released.push(hold.clone());
            continue;
        };
        let (named, kept): (BTreeMap<String, String>, BTreeMap<String, String>) = hold
            .images
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .partition(|(_, image)| query.matches(image));
        if named.is_empty() {
            continue;
        }
        let mut part = hold.clone();
        part.images = named;
        part.released = true;
        if kept.is_empty() {
            hold.released = true;
        } else {
            hold.images = kept;
            split_off.push(part.clone());
        }
        released.push(part);
    }
    holds.extend(split_off);
    released
}

/// The command that lifts `hold`: `ferry rollback release --env ENV --image IMAGE` (every
/// image of a hold of the whole environment: `--all`). See [`Hold::release_command`].
pub fn release_command(hold: &Hold, blocked: &[&str]) -> String {
    hold.release_command(blocked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let text = "[images]\nbackend = \"registry.example.com/acme/backend\"\n\n[[environment]]\nname = \"prod\"\noverlay = \"o\"\n";
        Config::from_str(text, "/repo/ferry.toml").expect("config")
    }

    fn hold(images: &[(&str, &str)]) -> Hold {
        Hold::new(
            "prod",
            images
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            "rollback",
            jiff::Timestamp::UNIX_EPOCH,
        )
    }

    #[test]
    fn the_forms_a_person_types_name_the_held_image() {
        let c = config();
        let held = "registry.example.com/acme/backend:1.5.0";
        for given in [
            "backend:1.5.0",
            "backend=1.5.0",
            "backend",
            held,
            "registry.example.com/acme/backend",
        ] {
            let q = ImageQuery::parse(given, &c).expect(given);
            assert!(q.matches(held), "{given}");
        }
        for given in [
            "backend:1.5.1",
            "frontend:1.5.0",
            "registry.example.com/acme/backend:1.5",
        ] {
            let q = ImageQuery::parse(given, &c).expect(given);
            assert!(!q.matches(held), "{given}");
        }
        let pinned = format!("{held}@sha256:{}", "a".repeat(64));
        assert!(
            ImageQuery::parse("backend:1.5.0", &c)
                .expect("q")
                .matches(&pinned)
        );
        assert!(ImageQuery::parse("", &c).is_err());
    }

    #[test]
    fn name_equals_ref_goes_through_the_image_argument_rule() {
        let c = config();
        let held = "registry.example.com/acme/backend:1.5.0";
        // A full reference of the image's own repository, as `ferry-pr open --image` takes it.
        for given in [
            "backend=registry.example.com/acme/backend:1.5.0",
            "registry.example.com/acme/backend=1.5.0",
            "backend=@sha256:0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            let q = ImageQuery::parse(given, &c).expect(given);
            assert_eq!(q.repository, "registry.example.com/acme/backend", "{given}");
            if given.contains("1.5.0") {
                assert!(q.matches(held), "{given}");
            }
        }
        // A typo never names another repository: the refusal names the configured one.
        for (given, says) in [
            (
                "backend=1.4.0:bad",
                "names the repository 1.4.0, but backend is registry.example.com/acme/backend in ferry.toml",
            ),
            (
                "backend=ghcr.io/acme/backend:1.5.0",
                "names the repository ghcr.io/acme/backend, but backend is registry.example.com/acme/backend",
            ),
            (
                "backend=1.5.0 bad",
                "is not a tag, a digest, TAG@DIGEST or a full reference of registry.example.com/acme/backend",
            ),
            (
                "frontend=1.5.0",
                "is neither an image name of /repo/ferry.toml (known: backend)",
            ),
        ] {
            let e = ImageQuery::parse(given, &c).expect_err(given).to_string();
            assert!(e.starts_with(&format!("--image {given}: ")), "{e}");
            assert!(e.contains(says), "{given}: {e}");
        }
    }

    #[test]
    fn releasing_one_image_of_a_hold_keeps_the_others_held() {
        let c = config();
        let mut holds = vec![hold(&[
            ("backend/backend", "registry.example.com/acme/backend:1.5.0"),
            ("worker/worker", "registry.example.com/acme/worker:2.0.0"),
        ])];
        let q = ImageQuery::parse("backend:1.5.0", &c).expect("q");
        let released = release_in(&mut holds, "prod", Some(&q));
        assert_eq!(released.len(), 1);
        assert_eq!(released[0].images.len(), 1);
        let active: Vec<&Hold> = holds.iter().filter(|h| !h.released).collect();
        assert_eq!(active.len(), 1);
        assert_eq!(
            active[0].images.values().collect::<Vec<_>>(),
            ["registry.example.com/acme/worker:2.0.0"]
        );
        assert_eq!(holds.len(), 2, "the released image stays on record");
        // Nothing named: nothing changes.
        let again = release_in(&mut holds, "prod", Some(&q));
        assert!(again.is_empty());
        // Everything of the environment.
        let all = release_in(&mut holds, "prod", None);
        assert_eq!(all.len(), 1);
        assert!(holds.iter().all(|h| h.released));
    }

    #[test]
    fn the_release_command_names_an_image_or_the_whole_environment() {
        let h = hold(&[("backend/backend", "r.io/backend:1")]);
        assert_eq!(
            release_command(&h, &["r.io/backend:1"]),
            "ferry rollback release --env prod --image r.io/backend:1"
        );
        assert_eq!(
            release_command(&hold(&[]), &[]),
            "ferry rollback release --env prod --all"
        );
    }
}
