//! [`Repository`]: an image repository without tag or digest, as written.

use std::fmt;
use std::str::FromStr;

use super::{Reference, ReferenceError};

/// An image repository, `[domain/]path`, without tag or digest, kept as written
/// (`nginx`, `registry.example.com/acme/backend`): the name an overlay addresses an image by.
///
/// Two repositories are [the same](Repository::same_as) when they are equal as written or
/// after the Docker Hub rules (`nginx` = `docker.io/library/nginx`).
///
/// ```
/// use ferry_image::reference::{Reference, Repository};
///
/// let repository = Repository::parse("nginx").unwrap();
/// assert!(repository.same_as(&Repository::parse("docker.io/library/nginx").unwrap()));
/// let image = repository.with_version(Some("1.27"), None).unwrap();
/// assert_eq!(image.to_string(), "nginx:1.27");
/// assert_eq!(image.repository(), repository);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Repository(Reference);

impl Repository {
    /// Parses a bare repository name with the strict grammar, as written (no Docker Hub
    /// defaults); a tag or digest is an error.
    pub fn parse(name: &str) -> Result<Self, ReferenceError> {
        Reference::from_name(name).map(Self)
    }

    /// The repository name as written: `domain/path`, or the path when there is no domain.
    pub fn name(&self) -> String {
        self.0.name()
    }

    /// The repository as a reference without tag or digest.
    pub fn as_reference(&self) -> &Reference {
        &self.0
    }

    /// The fully qualified name after the Docker Hub rules (`docker.io/library/nginx` for
    /// `nginx`); `None` when those rules refuse it.
    pub fn normalized_name(&self) -> Option<String> {
        Reference::parse_normalized(&self.0.name())
            .ok()
            .map(|r| r.name())
    }

    /// Whether `other` is the same repository: equal as written, or after the Docker Hub
    /// rules.
    pub fn same_as(&self, other: &Repository) -> bool {
        self == other || self.is_named(&other.name())
    }

    /// Whether `name`, as written anywhere (an overlay's `images` entry, a running image),
    /// names this repository: equal as written, or after the Docker Hub rules (a tag or
    /// digest on `name` is ignored there).
    pub fn is_named(&self, name: &str) -> bool {
        self.name() == name
            || self.normalized_name().is_some_and(|n| {
                Reference::parse_normalized(name).is_ok_and(|other| other.name() == n)
            })
    }

    /// An image of this repository with `tag` and/or `digest` (both checked).
    pub fn with_version(
        &self,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> Result<Reference, ReferenceError> {
        let mut reference = self.0.clone();
        if let Some(tag) = tag {
            reference = reference.with_tag(tag)?;
        }
        if let Some(digest) = digest {
            super::validate_digest(digest)?;
            reference = reference.with_digest(digest)?;
        }
        Ok(reference)
    }
}

impl Reference {
    /// The repository of this reference, without tag or digest.
    pub fn repository(&self) -> Repository {
        Repository(self.name_only())
    }

    /// The tag and/or digest as people read them after a name: `1.4.0`, `1.4.0@sha256:…`,
    /// `@sha256:…`; empty when the reference has neither.
    pub fn version(&self) -> String {
        match (self.tag(), self.digest()) {
            (Some(tag), Some(digest)) => format!("{tag}@{digest}"),
            (Some(tag), None) => tag.to_owned(),
            (None, Some(digest)) => format!("@{digest}"),
            (None, None) => String::new(),
        }
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Repository {
    type Err = ReferenceError;

    /// Same as [`Repository::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Equality with text compares the text as written (`Display`).
macro_rules! eq_text {
    ($($t:ty),*) => {$(
        #[allow(clippy::cmp_owned, reason = "the text is built from the parts")]
        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.to_string() == other
            }
        }
        #[allow(clippy::cmp_owned, reason = "the text is built from the parts")]
        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.to_string() == *other
            }
        }
        #[allow(clippy::cmp_owned, reason = "the text is built from the parts")]
        impl PartialEq<String> for $t {
            fn eq(&self, other: &String) -> bool {
                self.to_string() == *other
            }
        }
    )*};
}
eq_text!(Repository, Reference);

/// Serialised as its name.
impl serde::Serialize for Repository {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserialised from a string with [`Repository::parse`].
impl<'de> serde::Deserialize<'de> for Repository {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_keep_their_spelling_and_compare_normalised() {
        let r = Repository::parse("localhost:5000/acme/app").unwrap();
        assert_eq!(r.to_string(), "localhost:5000/acme/app");
        assert!(Repository::parse("nginx:1.27").is_err());
        assert!(Repository::parse("nginx@sha256:abc").is_err());
        assert!(Repository::parse("acme/App").is_err());
        let hub = Repository::parse("docker.io/library/nginx").unwrap();
        assert!(Repository::parse("nginx").unwrap().same_as(&hub));
        assert!(!Repository::parse("ghcr.io/nginx").unwrap().same_as(&hub));
        assert!(hub.is_named("nginx:1.27"));
        assert!(!hub.is_named("Nginx"));
        assert_eq!(hub, "docker.io/library/nginx");
    }

    #[test]
    fn versions_are_checked_and_read_back() {
        let r = Repository::parse("registry.example.com/acme/backend").unwrap();
        let digest = format!("sha256:{}", "a".repeat(64));
        let image = r.with_version(Some("1.4.0"), Some(&digest)).unwrap();
        assert_eq!(
            image.to_string(),
            format!("registry.example.com/acme/backend:1.4.0@{digest}")
        );
        assert_eq!(image.version(), format!("1.4.0@{digest}"));
        assert_eq!(image.repository(), r);
        let pinned = r.with_version(None, Some(&digest)).unwrap();
        assert_eq!(pinned.version(), format!("@{digest}"));
        assert!(r.with_version(Some("bad tag"), None).is_err());
        assert!(r.with_version(None, Some("sha256:short")).is_err());
        assert_eq!(r.with_version(None, None).unwrap().version(), "");
    }
}
