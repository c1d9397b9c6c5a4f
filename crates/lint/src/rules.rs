//! The rules, one module each, over the shared [`context`].

mod concurrency;
mod context;
mod names;
mod parity;
mod paths;
mod permissions;
mod token;

use crate::finding::Finding;
use crate::repository::Repository;

/// Every rule's findings on `repo`, unsorted.
pub(crate) fn check(repo: &Repository) -> Vec<Finding> {
    let ctx = context::Ctx::new(repo);
    let mut findings = Vec::new();
    findings.extend(parity::check(&ctx));
    findings.extend(paths::check(&ctx));
    findings.extend(token::check(&ctx));
    findings.extend(permissions::check(&ctx));
    findings.extend(concurrency::check(&ctx));
    findings.extend(names::check(&ctx));
    findings
}
