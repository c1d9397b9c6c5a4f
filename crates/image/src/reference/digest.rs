//! Content digests (`sha256:…`), validated the way the OCI digest rules require.

use std::fmt;
use std::str::FromStr;

use super::ReferenceError;

/// The registered digest algorithms and the number of hex characters each produces.
///
/// distribution/reference accepts whatever go-digest has available in the running program; real
/// registry clients link sha256, sha384 and sha512, so Ferry accepts all three.
pub const ALGORITHMS: &[(&str, usize)] = &[("sha256", 64), ("sha384", 96), ("sha512", 128)];

/// A validated content digest: a registered algorithm and its lowercase hex encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    text: String,
    colon: usize,
}

impl Digest {
    /// Parses and validates `algorithm:hex`: the algorithm must be registered (see
    /// [`ALGORITHMS`]) and the hex part must be lowercase and exactly as long as the algorithm's
    /// output.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        let invalid = || ReferenceError::DigestInvalidFormat {
            digest: s.to_owned(),
        };
        let colon = s.find(':').ok_or_else(invalid)?;
        let (algorithm, encoded) = (&s[..colon], &s[colon + 1..]);
        if algorithm.is_empty() || encoded.is_empty() {
            return Err(invalid());
        }
        let Some(&(_, expected)) = ALGORITHMS.iter().find(|(name, _)| *name == algorithm) else {
            if is_algorithm_name(algorithm) && is_encoded(encoded) {
                return Err(ReferenceError::DigestUnsupported {
                    algorithm: algorithm.to_owned(),
                    digest: s.to_owned(),
                });
            }
            return Err(invalid());
        };
        if encoded.len() != expected {
            return Err(ReferenceError::DigestInvalidLength {
                algorithm: algorithm.to_owned(),
                expected,
                actual: encoded.len(),
                digest: s.to_owned(),
            });
        }
        if !encoded
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(invalid());
        }
        Ok(Self {
            text: s.to_owned(),
            colon,
        })
    }

    /// The algorithm, e.g. `sha256`.
    pub fn algorithm(&self) -> &str {
        &self.text[..self.colon]
    }

    /// The hex encoding after the colon.
    pub fn encoded(&self) -> &str {
        &self.text[self.colon + 1..]
    }

    /// The whole digest, `algorithm:hex`.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Algorithm names as the OCI digest rules spell them: lowercase alphanumeric components joined
/// by one of `.+_-`.
fn is_algorithm_name(s: &str) -> bool {
    s.split(['.', '+', '_', '-']).all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// Encoded parts as the OCI digest rules allow them for any algorithm.
fn is_encoded(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
}

/// Checks a digest string with [`Digest::parse`].
pub fn validate_digest(digest: &str) -> Result<(), ReferenceError> {
    Digest::parse(digest).map(|_| ())
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Digest {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for Digest {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}
