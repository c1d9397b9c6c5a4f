//! Keeping a token out of an error message: register what a run learns, scrub what it prints.
//!
//! Run with `cargo run -p ferry-redact --example scrub`.

use ferry_redact::{MASK, RemoteUrl, Secrets, redact_urls};

fn main() {
    // A client learns a token and a password; it adds them (with the forms a server may echo
    // them in: base64 of `user:password`, URL-encoded, JSON-escaped).
    let mut secrets = Secrets::new();
    secrets.add("ghp_exampletoken0123456789");
    secrets.add_basic("robot", "s3cr3t-passw0rd");

    // A server answer that echoes both, one of them as an HTTP Basic header.
    let answer = "401: token ghp_exampletoken0123456789 refused \
                  (Authorization: Basic cm9ib3Q6czNjcjN0LXBhc3N3MHJk)";
    let printed = secrets.scrub(answer);
    println!("{printed}");
    assert!(!printed.contains("ghp_exampletoken"), "{printed}");
    assert!(!printed.contains("cm9ib3Q6"), "{printed}");
    assert!(printed.contains(MASK), "{printed}");

    // A remote URL with credentials: `Display` and `Debug` show it redacted; `expose` is the
    // one way to get the real URL, for the git process itself.
    let remote = RemoteUrl::new("https://robot:s3cr3t-passw0rd@git.example.com/acme/deploy.git");
    println!("pushing to {remote}");
    assert!(!remote.to_string().contains("s3cr3t"));
    assert!(!format!("{remote:?}").contains("s3cr3t"));
    assert!(remote.expose().contains("s3cr3t"));

    // URLs inside free text (git's stderr, say) are redacted too, whoever they belong to.
    let stderr = "fatal: unable to access 'https://someone:hunter22@example.org/x.git/'";
    let shown = redact_urls(stderr);
    println!("{shown}");
    assert!(!shown.contains("hunter22"), "{shown}");
}
