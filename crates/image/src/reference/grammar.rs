//! The reference grammar as regular expressions.
//!
//! These follow the grammar documented by distribution/reference. They are exposed so callers can
//! check single parts (a domain, a name, a tag) without building a [`Reference`](super::Reference).
//! Every pattern is ASCII-only: `\w` in the upstream grammar means `[0-9A-Za-z_]`.
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain '/'] remote-name
//! domain           := host [':' port-number]
//! host             := domain-name | IPv4address | \[ IPv6address \]
//! domain-name      := domain-component ['.' domain-component]*
//! domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//! port-number      := /[0-9]+/
//! path-component   := alpha-numeric [separator alpha-numeric]*
//! alpha-numeric    := /[a-z0-9]+/
//! separator        := /[_.]|__|[-]+/
//! remote-name      := path-component ['/' path-component]*
//! tag              := /[\w][\w.-]{0,127}/
//! digest           := digest-algorithm ":" digest-hex
//! digest-algorithm := component [ separator component ]*   (component: /[A-Za-z][A-Za-z0-9]*/,
//!                                                          separator: /[+.-_]/)
//! digest-hex       := /[0-9a-fA-F]{32,}/
//! identifier       := /[a-f0-9]{64}/
//! ```

use std::sync::LazyLock;

use regex::Regex;

const ALPHANUMERIC: &str = "[a-z0-9]+";
const SEPARATOR: &str = "(?:[._]|__|[-]+)";
const DOMAIN_COMPONENT: &str = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const IPV6_HOST: &str = r"\[(?:[a-fA-F0-9:]+)\]";
const PORT: &str = ":[0-9]+";

/// A tag: a word character, then up to 127 word characters, dots or dashes.
pub const TAG: &str = "[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}";
/// A digest as the reference grammar accepts it (any algorithm name, at least 32 hex digits).
pub const DIGEST: &str = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
/// A bare image identifier: 64 lowercase hex digits.
pub const IDENTIFIER: &str = "[a-f0-9]{64}";

fn path_component() -> String {
    format!("{ALPHANUMERIC}(?:{SEPARATOR}{ALPHANUMERIC})*")
}

/// A host with an optional port: `registry.example.com`, `localhost:5000`, `[::1]:5000`.
pub fn domain_and_port_pattern() -> String {
    format!("(?:{DOMAIN_COMPONENT}(?:\\.{DOMAIN_COMPONENT})*|{IPV6_HOST})(?:{PORT})?")
}

/// A repository path: one or more path components separated by `/`.
pub fn remote_name_pattern() -> String {
    let component = path_component();
    format!("{component}(?:/{component})*")
}

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the reference grammar is a valid regular expression")
}

static ANCHORED_DOMAIN_AND_PORT: LazyLock<Regex> =
    LazyLock::new(|| compile(&format!("^{}$", domain_and_port_pattern())));
static ANCHORED_NAME: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        "^(?:({})/)?({})$",
        domain_and_port_pattern(),
        remote_name_pattern()
    ))
});
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        "^((?:{}/)?{})(?::({TAG}))?(?:@({DIGEST}))?$",
        domain_and_port_pattern(),
        remote_name_pattern()
    ))
});
static ANCHORED_PATH_COMPONENT: LazyLock<Regex> =
    LazyLock::new(|| compile(&format!("^{}$", path_component())));
static ANCHORED_TAG: LazyLock<Regex> = LazyLock::new(|| compile(&format!("^{TAG}$")));
static ANCHORED_DIGEST: LazyLock<Regex> = LazyLock::new(|| compile(&format!("^{DIGEST}$")));
static ANCHORED_IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| compile(&format!("^{IDENTIFIER}$")));

/// Matches exactly a domain with an optional port (upstream `^domainAndPort$`).
pub fn anchored_domain_and_port() -> &'static Regex {
    &ANCHORED_DOMAIN_AND_PORT
}

/// Matches exactly a name; group 1 is the domain (if any), group 2 the path
/// (upstream `anchoredNameRegexp`).
pub fn anchored_name() -> &'static Regex {
    &ANCHORED_NAME
}

/// Matches exactly a full reference; group 1 is the name, 2 the tag, 3 the digest
/// (upstream `referenceRegexp`).
pub fn reference() -> &'static Regex {
    &REFERENCE
}

/// Matches exactly one path component (`acme`, `my-app`, `v1.2_x`).
pub fn anchored_path_component() -> &'static Regex {
    &ANCHORED_PATH_COMPONENT
}

/// Matches exactly a tag.
pub fn anchored_tag() -> &'static Regex {
    &ANCHORED_TAG
}

/// Matches exactly a digest as the grammar allows it (the algorithm and length are not checked).
pub fn anchored_digest() -> &'static Regex {
    &ANCHORED_DIGEST
}

/// Matches exactly a 64-hex-digit identifier (upstream `anchoredIdentifierRegexp`).
pub fn anchored_identifier() -> &'static Regex {
    &ANCHORED_IDENTIFIER
}
