//! The version grammars metadata-action relies on: node-semver's (strict and loose) and PEP 440.

use std::sync::LazyLock;

use regex::Regex;

/// A semantic version as node-semver parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SemVer {
    /// The input as given.
    pub raw: String,
    /// `major.minor.patch[-prerelease]` (no build metadata).
    pub version: String,
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// Prerelease identifiers.
    pub prerelease: Vec<String>,
    /// Build identifiers.
    pub build: Vec<String>,
}

const NUM: &str = r"0|[1-9][0-9]*";
const NUM_LOOSE: &str = r"[0-9]+";
const ALNUM: &str = r"[0-9]*[a-zA-Z-][a-zA-Z0-9-]*";

static STRICT: LazyLock<Regex> = LazyLock::new(|| {
    let pre = format!(r"(?:{ALNUM}|{NUM})");
    Regex::new(&format!(
        r"^v?({NUM})\.({NUM})\.({NUM})(?:-({pre}(?:\.{pre})*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
    ))
    .expect("valid regex")
});
static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
    let pre = format!(r"(?:{NUM_LOOSE}|{ALNUM})");
    Regex::new(&format!(
        r"^[v=\s]*({NUM_LOOSE})\.({NUM_LOOSE})\.({NUM_LOOSE})(?:-?({pre}(?:\.{pre})*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
    ))
    .expect("valid regex")
});

const MAX_SAFE: u64 = 9_007_199_254_740_991;

/// Parses like node-semver's `new SemVer(v, {loose})` (strict when `loose` is false, which also
/// decides `semver.valid`). Strict mode accepts a leading `v` and surrounding whitespace.
pub(crate) fn parse_semver(raw: &str, loose: bool) -> Option<SemVer> {
    if raw.len() > 256 {
        return None;
    }
    let trimmed = raw.trim();
    let caps = if loose { &LOOSE } else { &STRICT }.captures(trimmed)?;
    let num = |i: usize| -> Option<u64> {
        caps.get(i)?
            .as_str()
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= MAX_SAFE)
    };
    let (major, minor, patch) = (num(1)?, num(2)?, num(3)?);
    let prerelease: Vec<String> = caps
        .get(4)
        .map(|m| {
            m.as_str()
                .split('.')
                .map(|id| match id.parse::<u64>() {
                    Ok(n) if n <= MAX_SAFE && id.chars().all(|c| c.is_ascii_digit()) => {
                        n.to_string()
                    }
                    _ => id.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let build = caps
        .get(5)
        .map(|m| m.as_str().split('.').map(str::to_string).collect())
        .unwrap_or_default();
    let mut version = format!("{major}.{minor}.{patch}");
    if !prerelease.is_empty() {
        version.push('-');
        version.push_str(&prerelease.join("."));
    }
    Some(SemVer {
        raw: raw.to_string(),
        version,
        major,
        minor,
        patch,
        prerelease,
        build,
    })
}

/// A PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pep440 {
    epoch: u64,
    /// Release segments.
    pub release: Vec<u64>,
    pre: Option<(String, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Option<String>,
}

static PEP440: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*v?
        (?:(?P<epoch>[0-9]+)!)?
        (?P<release>[0-9]+(?:\.[0-9]+)*)
        (?P<pre>[-_.]?(?P<pre_l>alpha|beta|preview|pre|rc|a|b|c)[-_.]?(?P<pre_n>[0-9]+)?)?
        (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?
        (?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
        (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
        \s*$",
    )
    .expect("valid regex")
});

impl Pep440 {
    /// Parses a PEP 440 version (None when it does not conform).
    pub(crate) fn parse(s: &str) -> Option<Pep440> {
        let c = PEP440.captures(s)?;
        let n = |name: &str| -> Option<u64> { c.name(name).and_then(|m| m.as_str().parse().ok()) };
        let release = c["release"]
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<Vec<u64>>>()?;
        let pre = c.name("pre_l").map(|l| {
            let label = match l.as_str().to_lowercase().as_str() {
                "a" | "alpha" => "a",
                "b" | "beta" => "b",
                _ => "rc",
            };
            (label.to_string(), n("pre_n").unwrap_or(0))
        });
        let post = if c.name("post").is_some() {
            Some(n("post_n1").or_else(|| n("post_n2")).unwrap_or(0))
        } else {
            None
        };
        let dev = c.name("dev").map(|_| n("dev_n").unwrap_or(0));
        let local = c
            .name("local")
            .map(|m| m.as_str().to_lowercase().replace(['-', '_'], "."));
        Some(Pep440 {
            epoch: n("epoch").unwrap_or(0),
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    /// Whether this is a pre-, post- or dev-release.
    pub(crate) fn is_special(&self) -> bool {
        self.pre.is_some() || self.post.is_some() || self.dev.is_some()
    }

    /// The `n`th release segment, 0 when missing.
    pub(crate) fn segment(&self, n: usize) -> u64 {
        self.release.get(n).copied().unwrap_or(0)
    }

    /// The normalized form.
    pub(crate) fn normalized(&self) -> String {
        let mut s = String::new();
        if self.epoch != 0 {
            s.push_str(&format!("{}!", self.epoch));
        }
        s.push_str(
            &self
                .release
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join("."),
        );
        if let Some((l, n)) = &self.pre {
            s.push_str(&format!("{l}{n}"));
        }
        if let Some(p) = self.post {
            s.push_str(&format!(".post{p}"));
        }
        if let Some(d) = self.dev {
            s.push_str(&format!(".dev{d}"));
        }
        if let Some(l) = &self.local {
            s.push_str(&format!("+{l}"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_strict_and_loose() {
        let v = parse_semver("v2.0.8-beta.67", false).unwrap();
        assert_eq!((v.major, v.minor, v.patch), (2, 0, 8));
        assert_eq!(v.version, "2.0.8-beta.67");
        assert!(parse_semver("1.2", false).is_none());
        assert!(parse_semver("01.2.3", false).is_none());
        assert!(parse_semver("01.2.3", true).is_some());
        assert!(parse_semver("v1.2.3rc2", false).is_none());
        assert_eq!(
            parse_semver("v1.2.3+build.1", false).unwrap().version,
            "1.2.3"
        );
    }

    #[test]
    fn pep440_normalizes() {
        let n = |s: &str| Pep440::parse(s).unwrap().normalized();
        assert_eq!(n("1.1beta2"), "1.1b2");
        assert_eq!(n("1.0dev4"), "1.0.dev4");
        assert_eq!(n("1.2post1"), "1.2.post1");
        assert_eq!(n("v1.2.3RC2"), "1.2.3rc2");
        assert_eq!(n("1!2.0-3+Ubuntu-1"), "1!2.0.post3+ubuntu.1");
        assert!(Pep440::parse("sometag").is_none());
        assert!(Pep440::parse("1.2").is_some_and(|v| !v.is_special()));
    }
}
