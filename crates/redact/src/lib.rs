//! Keeping secrets out of what Ferry prints.
//!
//! - [`Secrets`]: the secret values a run knows (tokens, passwords) with the forms derived from
//!   them (`user:password` and its base64 for HTTP Basic, URL-encoded, JSON-escaped), and
//!   [`Secrets::scrub`], which replaces every one of them in a text by [`MASK`] and then removes
//!   what looks like a credential whoever it belongs to ([`scrub_patterns`]: URL user
//!   information, `?access_token=` parameters, `Authorization` header values, `Bearer`/`Basic`
//!   credentials, secret-named JSON fields, JWTs, GitHub tokens).
//! - One process-wide registry ([`register`], [`register_basic`], [`register_url`]) that the
//!   clients fill when they learn a secret and that [`scrub`] reads, so an error built anywhere
//!   and printed by any binary is scrubbed the same way.
//! - [`RemoteUrl`]: a URL or path git talks to, whose `Display` and `Debug` redact its user
//!   information and secret query parameters; [`redact_urls`] does the same inside free text.
//!
//! Scrubbing happens where an error is built from a server's answer and again where a binary
//! prints (errors and logs), so a server that echoes a request's `Authorization` header cannot
//! make Ferry print it.
//!
//! # Example
//!
//! Scrubbing a server answer, showing a remote, redacting URLs in git's stderr
//! (`examples/scrub.rs`; `cargo run -p ferry-redact --example scrub`, and `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/scrub.rs")]
//! ```

mod patterns;
mod secrets;
mod url;

pub use patterns::scrub_patterns;
pub use secrets::{MIN_SECRET_LEN, Secrets, register, register_basic, register_url, scrub};
pub use url::{RemoteUrl, redact_url, redact_urls};

/// What a secret is replaced with.
pub const MASK: &str = "***";
