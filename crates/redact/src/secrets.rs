//! Known secret values, with the forms derived from them, and the process-wide registry.

use std::fmt;
use std::sync::RwLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};

use crate::MASK;
use crate::patterns::scrub_patterns;
use crate::url::is_secret_param;
use crate::url::{percent_decode, percent_encode, userinfo};

/// Secrets shorter than this are not registered: replacing every `ab` of a text would make it
/// unreadable without hiding anything worth hiding.
pub const MIN_SECRET_LEN: usize = 4;

/// Secret values and their derived forms; [`Secrets::scrub`] removes them from a text.
///
/// `Debug` shows only how many values it holds.
#[derive(Clone, Default)]
pub struct Secrets {
    /// Longest first, so a secret that contains another is replaced whole.
    values: Vec<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} values)", self.values.len())
    }
}

impl Secrets {
    /// No secrets.
    pub const fn new() -> Self {
        Self { values: Vec::new() }
    }

    /// Whether no secret is known.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Adds `secret` and the forms a server may echo it in: URL-encoded (`%XX`, `+` for a
    /// space), JSON-escaped and base64. `Bearer <secret>` contains the secret itself.
    pub fn add(&mut self, secret: &str) {
        if secret.chars().count() < MIN_SECRET_LEN {
            return;
        }
        let forms = [
            secret.to_owned(),
            percent_encode(secret),
            percent_encode(secret).replace("%20", "+"),
            json_escape(secret),
            STANDARD.encode(secret),
            STANDARD_NO_PAD.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
        ];
        for form in forms {
            self.insert(form);
        }
        // Each decoding is shorter than its input, so this ends.
        if let Some(decoded) = percent_decode(secret).filter(|d| d != secret) {
            self.add(&decoded);
        }
    }

    /// Adds the HTTP Basic credentials of `user` and `password`: the password, `user:password`
    /// and its base64 (what an `Authorization: Basic …` header carries).
    pub fn add_basic(&mut self, user: &str, password: &str) {
        self.add(password);
        if !password.is_empty() {
            self.add(&format!("{user}:{password}"));
        }
    }

    /// Adds the user information of a `scheme://userinfo@host/…` URL (and its password part)
    /// and the values of its secret query parameters.
    pub fn add_url(&mut self, url: &str) {
        if let Some(info) = userinfo(url) {
            self.add(info);
            match info.split_once(':') {
                Some((user, password)) => self.add_basic(user, password),
                None => self.add(info),
            }
        }
        if let Some((_, query)) = url.split_once('?') {
            let query = query.split('#').next().unwrap_or_default();
            for pair in query.split(['&', ';']) {
                if let Some((name, value)) = pair.split_once('=')
                    && is_secret_param(name)
                {
                    self.add(value);
                }
            }
        }
    }

    /// Adds every value of `other`.
    pub fn extend(&mut self, other: &Secrets) {
        for value in &other.values {
            self.insert(value.clone());
        }
    }

    fn insert(&mut self, value: String) {
        if value.chars().count() < MIN_SECRET_LEN || self.values.contains(&value) {
            return;
        }
        let at = self
            .values
            .iter()
            .position(|v| v.len() < value.len())
            .unwrap_or(self.values.len());
        self.values.insert(at, value);
    }

    /// `text` with every known secret (in every derived form) replaced by [`MASK`], then
    /// without anything shaped like a credential ([`scrub_patterns`]).
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), MASK);
            }
        }
        scrub_patterns(&out)
    }
}

/// `s` as it appears inside a JSON string.
fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The secrets of this process: every client adds what it learns, every printer scrubs.
static GLOBAL: RwLock<Secrets> = RwLock::new(Secrets::new());

fn with_global(f: impl FnOnce(&mut Secrets)) {
    let mut global = GLOBAL.write().unwrap_or_else(|e| e.into_inner());
    f(&mut global);
}

/// Adds `secret` (and its derived forms, [`Secrets::add`]) to the process-wide registry.
pub fn register(secret: &str) {
    with_global(|s| s.add(secret));
}

/// Adds HTTP Basic credentials to the process-wide registry ([`Secrets::add_basic`]).
pub fn register_basic(user: &str, password: &str) {
    with_global(|s| s.add_basic(user, password));
}

/// Adds the secrets of a URL to the process-wide registry ([`Secrets::add_url`]).
pub fn register_url(url: &str) {
    with_global(|s| s.add_url(url));
}

/// `text` scrubbed of every secret in the process-wide registry and of everything shaped like
/// a credential ([`Secrets::scrub`]).
pub fn scrub(text: &str) -> String {
    GLOBAL.read().unwrap_or_else(|e| e.into_inner()).scrub(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_derived_form() {
        let mut secrets = Secrets::new();
        secrets.add_basic("ferry", "pa ss\"w/rd");
        let basic = STANDARD.encode("ferry:pa ss\"w/rd");
        for text in [
            "pa ss\"w/rd".to_owned(),
            format!("Basic {basic}"),
            format!("echo {basic} end"),
            "pa%20ss%22w%2Frd".to_owned(),
            "pa+ss%22w%2Frd".to_owned(),
            "{\"p\":\"pa ss\\\"w/rd\"}".to_owned(),
        ] {
            let out = secrets.scrub(&text);
            assert!(!out.contains("ss\"w/rd"), "{out}");
            assert!(!out.contains("w%2Frd"), "{out}");
            assert!(!out.contains(&basic[4..]), "{out}");
            assert!(out.contains(MASK), "{text} → {out}");
        }
        assert!(!format!("{secrets:?}").contains("rd"));
    }

    #[test]
    fn short_values_are_not_registered() {
        let mut secrets = Secrets::new();
        secrets.add("abc");
        assert!(secrets.is_empty());
        assert_eq!(secrets.scrub("abc"), "abc");
    }

    #[test]
    fn url_secrets_include_the_password_and_query_tokens() {
        let mut secrets = Secrets::new();
        secrets.add_url("https://bot:p%40ss%2Fword@host/x.git?access_token=tok123&ref=main");
        let out = secrets.scrub("git said: p@ss/word and tok123, bot:p%40ss%2Fword");
        assert!(
            !out.contains("p@ss/word") && !out.contains("tok123"),
            "{out}"
        );
        assert!(!out.contains("p%40ss"), "{out}");
        assert!(out.contains("ref") || !out.contains("main"));
    }

    #[test]
    fn the_global_registry_scrubs() {
        register("global-secret-value");
        assert_eq!(scrub("x global-secret-value y"), "x *** y");
    }
}
