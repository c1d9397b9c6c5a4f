//! Credentials recognised by their shape, whoever they belong to: what a server may echo that
//! Ferry never saw (a token a registry's token server issued) or saw in another form.

use std::sync::LazyLock;

use regex::Regex;

use crate::MASK;
use crate::url::{redact_urls, scrub_query};

/// The value of an `Authorization`-like header, as a header line or in JSON.
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b((?:proxy-)?authorization|x-registry-auth|private-token|x-api-key)("?\s*[:=]\s*\[?\s*"?)([^"\r\n,\]}]+)"#,
    )
    .expect("the header pattern is valid")
});

/// `Bearer <token>` and `Basic <base64>` credentials.
static SCHEME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/]{8,}=*")
        .expect("the scheme pattern is valid")
});

/// A JSON field whose name says it holds a secret.
static JSON_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)("(?:token|access_token|refresh_token|id_token|password|secret|client_secret|private_key|identitytoken|registrytoken|auth)"\s*:\s*")((?:[^"\\]|\\.)*)""#,
    )
    .expect("the JSON field pattern is valid")
});

/// JWTs and GitHub's token formats.
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*|\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
    )
    .expect("the token pattern is valid")
});

/// `text` without anything that looks like a credential: URL user information, secret query
/// parameters, `Authorization` header values, `Bearer`/`Basic` credentials, JSON fields named
/// like secrets (`token`, `password`, `auth`, …), JWTs and GitHub tokens.
pub fn scrub_patterns(text: &str) -> String {
    let text = redact_urls(text);
    let text = scrub_query(&text);
    let text = HEADER.replace_all(&text, format!("${{1}}${{2}}{MASK}"));
    let text = SCHEME.replace_all(&text, format!("${{1}}${{2}}{MASK}"));
    let text = JSON_FIELD.replace_all(&text, format!("${{1}}{MASK}\""));
    TOKEN.replace_all(&text, MASK).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_credentials_by_shape() {
        assert_eq!(
            scrub_patterns("Authorization: Bearer abc.def-123456"),
            "Authorization: ***"
        );
        assert_eq!(
            scrub_patterns(r#"{"headers":{"Authorization":["Basic dXNlcjpwYXNz"]}}"#),
            r#"{"headers":{"Authorization":["***"]}}"#
        );
        assert_eq!(
            scrub_patterns("echo: bearer 0123456789abcdef"),
            "echo: bearer ***"
        );
        assert_eq!(
            scrub_patterns(r#"{"token":"s3cr3t","access_token":"x\"y","name":"n"}"#),
            r#"{"token":"***","access_token":"***","name":"n"}"#
        );
        assert_eq!(
            scrub_patterns("GET /x?access_token=abc&n=1 token=zzz"),
            "GET /x?access_token=***&n=1 token=***"
        );
        assert_eq!(
            scrub_patterns("jwt eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl end"),
            "jwt *** end"
        );
        assert_eq!(
            scrub_patterns("ghp_0123456789abcdefghijABCDEFGHIJ is a token"),
            "*** is a token"
        );
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for text in [
            "registry.example.com: not found in the registry",
            "WWW-Authenticate: Basic realm=\"Registry Realm\"",
            "Bearer realm=\"https://auth.example.com/token\",service=\"registry\"",
            "refusing to downgrade backend from 2.0.1 to 1.9.0",
            "authentication failed: the registry rejected the configured credentials",
        ] {
            assert_eq!(scrub_patterns(text), text);
        }
    }
}
