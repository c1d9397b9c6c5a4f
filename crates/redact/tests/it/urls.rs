//! No password or token of a generated URL survives redaction, however malformed the URL.

use ferry_redact::{RemoteUrl, Secrets, redact_urls, scrub};
use proptest::prelude::*;

/// Passwords with every delimiter a URL parser might stop at, unencoded.
fn password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9/#?@:%!$&()*+,;=.~_-]{6,24}"
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{8,32}"
}

fn host() -> impl Strategy<Value = String> {
    "[a-z]{1,10}(\\.[a-z]{2,5})?(:[0-9]{2,5})?"
}

fn path() -> impl Strategy<Value = String> {
    "(/[a-z0-9._-]{1,8}){0,3}"
}

/// Asserts `secret` is not in `out`, unless the URL holds it also where it is no secret (a
/// generated host or path that happens to contain it).
fn assert_hidden(out: &str, secret: &str, without_secret: &str) {
    if without_secret.contains(secret) {
        return;
    }
    assert!(!out.contains(secret), "{secret:?} survived in {out:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_password_survives(
        scheme in "(https?|ssh|git)",
        user in "[a-z]{1,8}",
        pass in password(),
        host in host(),
        path in path(),
        quote in prop::sample::select(vec!["", "'", "\"", "`"]),
    ) {
        let url = format!("{scheme}://{user}:{pass}@{host}{path}");
        let without = format!("{scheme}://{user}:@{host}{path}");
        assert_hidden(&RemoteUrl::new(url.clone()).to_string(), &pass, &without);
        assert_hidden(&format!("{:?}", RemoteUrl::new(url.clone())), &pass, &without);
        let text = format!("fatal: unable to access {quote}{url}/{quote}: error 403");
        assert_hidden(&redact_urls(&text), &pass, &without);
        assert_hidden(&scrub(&text), &pass, &without);
        let mut secrets = Secrets::new();
        secrets.add_url(&url);
        assert_hidden(&secrets.scrub(&format!("echo {pass} and {url}")), &pass, &without);
    }

    #[test]
    fn no_token_survives(
        scheme in "(https?)",
        host in host(),
        path in path(),
        name in prop::sample::select(vec!["access_token", "token", "private_token", "password"]),
        tok in token(),
        more in prop::option::of("[a-z]{1,5}=[a-z0-9]{1,5}"),
        user_token in prop::option::of(token()),
    ) {
        let userinfo = user_token.as_ref().map(|t| format!("{t}@")).unwrap_or_default();
        let more = more.map(|m| format!("&{m}")).unwrap_or_default();
        let url = format!("{scheme}://{userinfo}{host}{path}?{name}={tok}{more}");
        let without = format!("{scheme}://{host}{path}?{name}={more}");
        for out in [
            RemoteUrl::new(url.clone()).to_string(),
            redact_urls(&format!("remote {url} failed")),
            scrub(&format!("remote '{url}' failed")),
        ] {
            assert_hidden(&out, &tok, &without);
            if let Some(t) = &user_token {
                assert_hidden(&out, t, &without);
            }
        }
    }
}
