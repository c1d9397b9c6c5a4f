//! URLs with credentials: [`RemoteUrl`], [`redact_url`] and [`redact_urls`].
//!
//! The user information of `scheme://userinfo@host/…` ends at the LAST `@` of the URL, not at
//! the first `/`, `?` or `#`: a password may hold any of those unencoded
//! (`http://user:S3CRET/H@host/x.git`), and hiding a little too much of a malformed URL is
//! better than showing a password.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use crate::MASK;

/// Names of query and form parameters whose values are secrets.
const SECRET_PARAMS: &str = "access_token|refresh_token|id_token|private_token|auth_token|token|\
password|passwd|secret|client_secret|api_key|apikey|x-amz-signature|x-amz-credential|\
x-amz-security-token|sig";

/// `?name=value` / `&name=value` (also at the start of a text or after whitespace or a quote).
static QUERY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)(^|[?&;\s"'])((?:{SECRET_PARAMS})=)([^&\s#'"<>]+)"#
    ))
    .expect("the query parameter pattern is valid")
});

/// Whether a query or form parameter named `name` holds a secret (`access_token`, `password`, …).
pub(crate) fn is_secret_param(name: &str) -> bool {
    SECRET_PARAMS
        .split('|')
        .any(|p| p.eq_ignore_ascii_case(name))
}

/// `text` without the secret query parameter values (`?access_token=…`).
pub(crate) fn scrub_query(text: &str) -> String {
    QUERY
        .replace_all(text, format!("${{1}}${{2}}{MASK}"))
        .into_owned()
}

/// A remote as given (a remote name, a path or a URL) whose `Display` and `Debug` hide its user
/// information and secret query parameters, like gix-url's redacted display.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RemoteUrl(String);

impl RemoteUrl {
    /// Wraps a remote.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The remote as given, secrets included: only for handing it to git.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The user information (`user:password`, or a token alone) of a `scheme://…@host` URL.
    pub fn userinfo(&self) -> Option<&str> {
        userinfo(&self.0)
    }

    /// The remote with its secrets replaced by [`MASK`].
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }
}

impl fmt::Display for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RemoteUrl").field(&self.redacted()).finish()
    }
}

/// The user information of a whole `scheme://userinfo@…` string: everything between `://` and
/// the last `@`.
pub(crate) fn userinfo(url: &str) -> Option<&str> {
    let (_, tail) = url.split_once("://")?;
    let (info, _) = tail.rsplit_once('@')?;
    (!info.is_empty()).then_some(info)
}

/// `url` (one URL, path or remote name, taken whole) with its user information and secret query
/// parameters replaced by [`MASK`].
pub fn redact_url(url: &str) -> String {
    let Some(i) = url.find("://") else {
        return scrub_query(url);
    };
    let (head, tail) = url.split_at(i + 3);
    let rest = match tail.rfind('@') {
        Some(at) => format!("{MASK}{}", &tail[at..]),
        None => tail.to_owned(),
    };
    format!("{head}{}", scrub_query(&rest))
}

/// Whether `c` ends a URL inside free text.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '<' | '>' | '\\')
}

/// `text` with every `scheme://…` URL in it redacted as [`redact_url`] does; a URL ends at
/// whitespace, a quote, a backtick, `<`, `>` or a backslash.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(ends_url).unwrap_or(tail.len());
        let url = &tail[..end];
        let url = match url.rfind('@') {
            Some(at) => format!("{MASK}{}", &url[at..]),
            None => url.to_owned(),
        };
        out.push_str(&scrub_query(&url));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `%XX` sequences decoded (invalid ones kept); `None` when nothing was encoded or the result is
/// not UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`) as `%XX`.
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_user_information_up_to_the_last_at() {
        assert_eq!(
            redact_url("https://bot:ghp_secret@git.example.com/acme/gitops.git"),
            "https://***@git.example.com/acme/gitops.git"
        );
        assert_eq!(
            redact_url("http://user:S3CRET/H@host/x.git"),
            "http://***@host/x.git"
        );
        assert_eq!(redact_url("http://u:pa#ss@host/x"), "http://***@host/x");
        assert_eq!(redact_url("http://u:pa?ss@host/x"), "http://***@host/x");
        assert_eq!(
            redact_url("https://host/x.git?access_token=abc123&ref=main"),
            "https://host/x.git?access_token=***&ref=main"
        );
        assert_eq!(redact_url("/srv/git/x.git"), "/srv/git/x.git");
        assert_eq!(redact_url("origin"), "origin");
        assert_eq!(redact_url("git@host:acme/x.git"), "git@host:acme/x.git");
    }

    #[test]
    fn redacts_urls_inside_text() {
        assert_eq!(
            redact_urls("fatal: unable to access 'http://user:S3CRET/H@host/x.git/': bad"),
            "fatal: unable to access 'http://***@host/x.git/': bad"
        );
        assert_eq!(
            redact_urls("'ssh://git@host:22/x' and https://host/y"),
            "'ssh://***@host:22/x' and https://host/y"
        );
        assert_eq!(redact_urls("no url here"), "no url here");
    }

    #[test]
    fn remote_urls_display_and_debug_redacted() {
        let url = RemoteUrl::new("https://bot:tok3n@host/x.git");
        assert_eq!(url.to_string(), "https://***@host/x.git");
        assert_eq!(format!("{url:?}"), "RemoteUrl(\"https://***@host/x.git\")");
        assert_eq!(url.userinfo(), Some("bot:tok3n"));
        assert_eq!(url.expose(), "https://bot:tok3n@host/x.git");
        assert_eq!(RemoteUrl::new("https://host/x").userinfo(), None);
    }

    #[test]
    fn percent_coding_round_trips() {
        assert_eq!(percent_encode("a b/#?"), "a%20b%2F%23%3F");
        assert_eq!(percent_decode("a%20b%2F%23%3F").as_deref(), Some("a b/#?"));
        assert_eq!(percent_decode("plain"), None);
        assert_eq!(percent_decode("bad%zz%4").as_deref(), Some("bad%zz%4"));
    }
}
