//! Image references, parsed strictly with the grammar of distribution/reference.
//!
//! ```
//! use ferry_image::reference::Reference;
//!
//! let strict = Reference::parse("ghcr.io/acme/api:v1.2.3").unwrap();
//! assert_eq!(strict.domain(), "ghcr.io");
//! assert_eq!(strict.path(), "acme/api");
//! assert_eq!(strict.tag(), Some("v1.2.3"));
//!
//! let normalized = Reference::parse_normalized("nginx:1.27").unwrap();
//! assert_eq!(normalized.to_string(), "docker.io/library/nginx:1.27");
//! assert_eq!(normalized.familiar_string(), "nginx:1.27");
//! ```
//!
//! Two parsers, as upstream:
//! - [`Reference::parse`] (upstream `Parse`) reads the reference as written: `nginx` has no domain.
//! - [`Reference::parse_normalized`] (upstream `ParseNormalizedNamed`) applies the Docker Hub
//!   rules: no domain means `docker.io`, `index.docker.io` becomes `docker.io`, and a single
//!   path component on Docker Hub gets the `library/` prefix.
//!
//! Limits: the repository path is at most 255 characters ([`NAME_MAX_LEN`]; the domain does not
//! count, as in distribution/reference since v0.6.0), a tag at most 128. Digests must use a
//! registered algorithm (sha256, sha384, sha512) with the exact lowercase hex length.

mod digest;
mod fast;
pub(crate) mod glob;
pub mod grammar;
mod repository;

use std::fmt;
use std::str::FromStr;

pub use digest::{ALGORITHMS, Digest, validate_digest};
pub use repository::Repository;

/// The maximum length of a repository path (the name without its domain).
pub const NAME_MAX_LEN: usize = 255;
/// The registry that a reference without a domain refers to.
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// The legacy spelling of [`DEFAULT_DOMAIN`], normalised to it.
pub const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// The namespace of Docker Hub's official images.
pub const OFFICIAL_REPO_PREFIX: &str = "library/";
/// The tag that [`Reference::with_default_tag`] adds.
pub const DEFAULT_TAG: &str = "latest";

/// Why a reference, tag, digest or pattern was rejected.
///
/// The messages start with the text of the matching distribution/reference error (noted on each
/// variant) and then name the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// Upstream `ErrNameEmpty`.
    #[error("repository name must have at least one component (the reference is empty)")]
    NameEmpty,
    /// Upstream `ErrReferenceInvalidFormat`.
    #[error("invalid reference format: {input:?}: {reason}")]
    InvalidFormat {
        /// The rejected input.
        input: String,
        /// Which part is wrong, as far as it can be told.
        reason: String,
    },
    /// Upstream `ErrNameContainsUppercase`.
    #[error("repository name must be lowercase: {input:?}")]
    NameContainsUppercase {
        /// The rejected input.
        input: String,
    },
    /// Upstream `ErrNameTooLong`.
    #[error(
        "repository name must not be more than 255 characters: the path has {length} characters"
    )]
    NameTooLong {
        /// The length of the repository path.
        length: usize,
    },
    /// Upstream `ErrNameNotCanonical`.
    #[error("repository name must be canonical: {input:?} should be written {canonical:?}")]
    NameNotCanonical {
        /// The rejected input.
        input: String,
        /// The fully qualified form.
        canonical: String,
    },
    /// A 64-hex-digit image id where a name was expected (upstream: "cannot specify 64-byte
    /// hexadecimal strings").
    #[error("invalid repository name {input:?}: a 64-character hexadecimal string is an image id")]
    NameIsIdentifier {
        /// The rejected input.
        input: String,
    },
    /// Upstream `ErrTagInvalidFormat`.
    #[error(
        "invalid tag format: {tag:?} (a tag is 1 to 128 characters from A-Z a-z 0-9 _ . - and \
         does not start with '.' or '-')"
    )]
    TagInvalidFormat {
        /// The rejected tag.
        tag: String,
    },
    /// Upstream `ErrDigestInvalidFormat` (go-digest).
    #[error(
        "invalid checksum digest format: {digest:?} (expected ALGORITHM:HEX, e.g. sha256: and 64 \
         lowercase hex characters)"
    )]
    DigestInvalidFormat {
        /// The rejected digest.
        digest: String,
    },
    /// Upstream `ErrDigestInvalidLength` (go-digest).
    #[error(
        "invalid checksum digest length: {algorithm} needs {expected} hex characters, \
         {digest:?} has {actual}"
    )]
    DigestInvalidLength {
        /// The digest algorithm.
        algorithm: String,
        /// The hex length the algorithm produces.
        expected: usize,
        /// The hex length found.
        actual: usize,
        /// The rejected digest.
        digest: String,
    },
    /// Upstream `ErrDigestUnsupported` (go-digest).
    #[error(
        "unsupported digest algorithm {algorithm:?} in {digest:?} (supported: sha256, sha384, sha512)"
    )]
    DigestUnsupported {
        /// The unknown algorithm.
        algorithm: String,
        /// The rejected digest.
        digest: String,
    },
    /// A malformed pattern given to [`familiar_match`] (Go's `path.ErrBadPattern`).
    #[error("syntax error in pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// The rejected pattern.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// An image reference that does not parse: usage (exit 2; references come from the command
/// line or are checked as it is).
impl ferry_error::Classify for ReferenceError {
    fn error_kind(&self) -> ferry_error::ErrorKind {
        ferry_error::ErrorKind::Usage
    }
}

/// A named image reference: `[domain/]path[:tag][@digest]`.
///
/// `Display` gives `name[:tag][@digest]`: the fully qualified canonical string for a reference
/// from [`Reference::parse_normalized`] (`docker.io/library/nginx:1.27`), the text as written for
/// one from [`Reference::parse`]. [`Reference::familiar_string`] gives the short form people type
/// (`nginx:1.27`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// What [`Reference::parse_any`] found: a named reference or a bare digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnyReference {
    /// A named reference, normalised.
    Named(Reference),
    /// A bare digest (`sha256:…`, or 64 hex digits read as a sha256 image id).
    Digest(Digest),
}

impl Reference {
    /// Parses a reference exactly as written (upstream `Parse`): no Docker Hub defaults, so
    /// `nginx` has an empty domain and the path `nginx`. A digest must be valid (see
    /// [`Digest::parse`]).
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        // Plain references need no regular expression (see `fast`).
        if let Some((name, tag, digest)) = fast::split_reference(s) {
            let mut reference = Self::split_name(name).ok_or_else(|| invalid_format(s, false))?;
            check_path_length(&reference.path)?;
            reference.tag = tag.map(str::to_owned);
            if let Some(digest) = digest {
                reference.digest = Some(Digest::parse(digest)?.as_str().to_owned());
            }
            return Ok(reference);
        }
        let Some(caps) = grammar::reference().captures(s) else {
            if s.is_empty() {
                return Err(ReferenceError::NameEmpty);
            }
            if grammar::reference().is_match(&s.to_lowercase()) {
                return Err(ReferenceError::NameContainsUppercase {
                    input: s.to_owned(),
                });
            }
            return Err(invalid_format(s, false));
        };
        let mut reference = Self::split_name(&caps[1]).ok_or_else(|| invalid_format(s, false))?;
        check_path_length(&reference.path)?;
        reference.tag = caps.get(2).map(|m| m.as_str().to_owned());
        if let Some(digest) = caps.get(3) {
            reference.digest = Some(Digest::parse(digest.as_str())?.as_str().to_owned());
        }
        Ok(reference)
    }

    /// Parses a reference with the Docker Hub rules (upstream `ParseNormalizedNamed`):
    /// `nginx` becomes `docker.io/library/nginx`, `index.docker.io/x/y` becomes `docker.io/x/y`.
    /// The result has a domain, except (as upstream) when the first component has a `.` or `:`
    /// but is not a valid host: `my_host.io/app` is then read as a path without a domain.
    pub fn parse_normalized(s: &str) -> Result<Self, ReferenceError> {
        if grammar::anchored_identifier().is_match(s) {
            return Err(ReferenceError::NameIsIdentifier {
                input: s.to_owned(),
            });
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote = remainder.split(':').next().unwrap_or_default();
        if remote.to_lowercase() != remote {
            return Err(ReferenceError::NameContainsUppercase {
                input: s.to_owned(),
            });
        }
        Self::parse(&format!("{domain}{remainder}"))
    }

    /// Parses a reference that must already be in canonical form (upstream `ParseNamed`):
    /// `docker.io/library/nginx` is accepted, `nginx` is [`ReferenceError::NameNotCanonical`].
    pub fn parse_named(s: &str) -> Result<Self, ReferenceError> {
        let reference = Self::parse_normalized(s)?;
        let canonical = reference.to_string();
        if canonical != s {
            return Err(ReferenceError::NameNotCanonical {
                input: s.to_owned(),
                canonical,
            });
        }
        Ok(reference)
    }

    /// Parses like docker does for `docker pull` (upstream `ParseDockerRef`): normalised; a
    /// reference with a digest loses its tag; a bare name gets the tag `latest`.
    pub fn parse_docker_ref(s: &str) -> Result<Self, ReferenceError> {
        let mut reference = Self::parse_normalized(s)?;
        if reference.digest.is_some() {
            reference.tag = None;
            Ok(reference)
        } else {
            Ok(reference.with_default_tag())
        }
    }

    /// Parses a digest, a 64-hex-digit image id, or a normalised name (upstream
    /// `ParseAnyReference`).
    pub fn parse_any(s: &str) -> Result<AnyReference, ReferenceError> {
        if grammar::anchored_identifier().is_match(s) {
            return Ok(AnyReference::Digest(Digest::parse(&format!("sha256:{s}"))?));
        }
        if let Ok(digest) = Digest::parse(s) {
            return Ok(AnyReference::Digest(digest));
        }
        Self::parse_normalized(s).map(AnyReference::Named)
    }

    /// A reference to a bare repository name, without tag or digest (upstream `WithName`).
    pub fn from_name(name: &str) -> Result<Self, ReferenceError> {
        let reference = Self::split_name(name).ok_or_else(|| invalid_format(name, true))?;
        check_path_length(&reference.path)?;
        Ok(reference)
    }

    /// This reference with `tag` set, keeping any digest (upstream `WithTag`).
    pub fn with_tag(mut self, tag: &str) -> Result<Self, ReferenceError> {
        validate_tag(tag)?;
        self.tag = Some(tag.to_owned());
        Ok(self)
    }

    /// This reference with `digest` set, keeping any tag (upstream `WithDigest`).
    ///
    /// Like upstream, this checks only the digest grammar (an algorithm name and at least 32 hex
    /// digits); use [`Digest::parse`] or [`validate_digest`] to check algorithm and length too.
    pub fn with_digest(mut self, digest: &str) -> Result<Self, ReferenceError> {
        if !grammar::anchored_digest().is_match(digest) {
            return Err(ReferenceError::DigestInvalidFormat {
                digest: digest.to_owned(),
            });
        }
        self.digest = Some(digest.to_owned());
        Ok(self)
    }

    /// The repository alone, without tag or digest (upstream `TrimNamed`).
    pub fn name_only(&self) -> Self {
        Self {
            domain: self.domain.clone(),
            path: self.path.clone(),
            tag: None,
            digest: None,
        }
    }

    /// Adds the tag `latest` when the reference has neither tag nor digest (upstream
    /// `TagNameOnly`).
    pub fn with_default_tag(mut self) -> Self {
        if self.tag.is_none() && self.digest.is_none() {
            self.tag = Some(DEFAULT_TAG.to_owned());
        }
        self
    }

    /// The registry host with optional port; empty when a strictly parsed reference has none.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path within the registry, e.g. `library/nginx`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The full repository name: `domain/path`, or just the path when there is no domain.
    pub fn name(&self) -> String {
        if self.domain.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any (`sha256:…`).
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The short repository name people type: `docker.io/library/nginx` → `nginx`,
    /// `docker.io/acme/api` → `acme/api`; other registries keep their domain
    /// (upstream `FamiliarName`).
    pub fn familiar_name(&self) -> String {
        if self.domain != DEFAULT_DOMAIN {
            return self.name();
        }
        match self.path.strip_prefix(OFFICIAL_REPO_PREFIX) {
            Some(rest) if !rest.contains('/') => rest.to_owned(),
            _ => self.path.clone(),
        }
    }

    /// The short form of the whole reference, e.g. `nginx:1.27` (upstream `FamiliarString`).
    pub fn familiar_string(&self) -> String {
        let mut s = self.familiar_name();
        self.push_tag_and_digest(&mut s);
        s
    }

    /// Splits a bare name into domain and path with the anchored name grammar.
    fn split_name(name: &str) -> Option<Self> {
        if let Some((domain, path)) = fast::split_name(name) {
            return Some(Self {
                domain: domain.to_owned(),
                path: path.to_owned(),
                tag: None,
                digest: None,
            });
        }
        let caps = grammar::anchored_name().captures(name)?;
        Some(Self {
            domain: caps.get(1).map_or("", |m| m.as_str()).to_owned(),
            path: caps[2].to_owned(),
            tag: None,
            digest: None,
        })
    }

    fn push_tag_and_digest(&self, s: &mut String) {
        if let Some(tag) = &self.tag {
            s.push(':');
            s.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            s.push('@');
            s.push_str(digest);
        }
    }
}

/// An [`ReferenceError::InvalidFormat`] for `input`, with the first part found to be wrong.
fn invalid_format(input: &str, name_only: bool) -> ReferenceError {
    ReferenceError::InvalidFormat {
        input: input.to_owned(),
        reason: diagnose(input, name_only),
    }
}

/// Finds the part of a rejected reference that breaks the grammar.
fn diagnose(input: &str, name_only: bool) -> String {
    const FORM: &str = "expected [HOST[:PORT]/]PATH[:TAG][@DIGEST]";
    if input.is_empty() {
        return "the repository name is empty".to_owned();
    }
    if input.contains("://") {
        return format!("remove the URL scheme; {FORM}");
    }
    let (rest, digest) = input.split_once('@').unwrap_or((input, ""));
    let tail = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[tail..].find(':') {
        Some(i) if !rest.starts_with('[') || tail > 0 => (&rest[..tail + i], &rest[tail + i + 1..]),
        _ => (rest, ""),
    };
    if name_only && (input.contains('@') || name.len() < rest.len()) {
        return "a repository name has no tag or digest".to_owned();
    }
    if input.contains('@') && !grammar::anchored_digest().is_match(digest) {
        return format!(
            "the digest {digest:?} is not ALGORITHM:HEX (e.g. sha256: and 64 lowercase hex digits)"
        );
    }
    if name.len() < rest.len() && !fast::is_tag(tag) {
        return format!(
            "the tag {tag:?} must be 1 to 128 characters from A-Z a-z 0-9 _ . - and not start \
             with '.' or '-'"
        );
    }
    if name.is_empty() {
        return format!("the repository name is missing; {FORM}");
    }
    let mut components = name.split('/').peekable();
    if let Some(first) = components.next_if(|_| name.contains('/')) {
        let looks_like_host = first.contains(['.', ':', '[']) || first == "localhost";
        if looks_like_host && !grammar::anchored_domain_and_port().is_match(first) {
            return format!("the registry host {first:?} is not a valid HOST[:PORT]");
        }
        if !looks_like_host && !grammar::anchored_path_component().is_match(first) {
            return bad_component(first);
        }
    } else if name.starts_with('[') {
        return format!("{name:?} is a registry host without a repository path; {FORM}");
    }
    match components.find(|c| !grammar::anchored_path_component().is_match(c)) {
        Some(component) => bad_component(component),
        None => FORM.to_owned(),
    }
}

fn bad_component(component: &str) -> String {
    if component.is_empty() {
        return "the repository path has an empty component (a leading, trailing or double '/')"
            .to_owned();
    }
    format!(
        "the path component {component:?} must be lowercase letters and digits, joined by '.', \
         '_', '__' or dashes"
    )
}

fn check_path_length(path: &str) -> Result<(), ReferenceError> {
    if path.len() > NAME_MAX_LEN {
        return Err(ReferenceError::NameTooLong { length: path.len() });
    }
    Ok(())
}

/// Splits off the Docker Hub domain: returns the domain with a trailing `/` and the rest.
///
/// The first component is a domain only when it contains `.` or `:`, is `localhost`, or has an
/// uppercase letter; otherwise the domain is `docker.io`. Single-component Docker Hub paths get
/// the `library/` prefix.
fn split_docker_domain(s: &str) -> (String, String) {
    let (mut domain, mut remainder) = match s.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.to_lowercase() != first =>
        {
            (first.to_owned(), rest.to_owned())
        }
        _ => (DEFAULT_DOMAIN.to_owned(), s.to_owned()),
    };
    if domain == LEGACY_DEFAULT_DOMAIN {
        domain = DEFAULT_DOMAIN.to_owned();
    }
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        remainder = format!("{OFFICIAL_REPO_PREFIX}{remainder}");
    }
    (format!("{domain}/"), remainder)
}

/// Checks a tag: 1 to 128 characters from `[A-Za-z0-9_.-]`, not starting with `.` or `-`.
pub fn validate_tag(tag: &str) -> Result<(), ReferenceError> {
    if fast::is_tag(tag) {
        Ok(())
    } else {
        Err(ReferenceError::TagInvalidFormat {
            tag: tag.to_owned(),
        })
    }
}

/// Whether `pattern` (Go `path.Match` syntax: `*`, `?`, `[...]`) matches the familiar string of
/// `reference`, or else its familiar name (upstream `FamiliarMatch`).
pub fn familiar_match(pattern: &str, reference: &AnyReference) -> Result<bool, ReferenceError> {
    let matched = glob::path_match(pattern, &reference.familiar_string())?;
    match reference {
        AnyReference::Named(named) if !matched => glob::path_match(pattern, &named.familiar_name()),
        _ => Ok(matched),
    }
}

impl AnyReference {
    /// The short form: the familiar string of a name, or the digest itself.
    pub fn familiar_string(&self) -> String {
        match self {
            Self::Named(reference) => reference.familiar_string(),
            Self::Digest(digest) => digest.to_string(),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.name();
        self.push_tag_and_digest(&mut s);
        f.write_str(&s)
    }
}

impl fmt::Display for AnyReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Named(reference) => reference.fmt(f),
            Self::Digest(digest) => digest.fmt(f),
        }
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    /// Same as [`Reference::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Serialised as its canonical string.
impl serde::Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Deserialised from a string with [`Reference::parse`].
impl<'de> serde::Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}
