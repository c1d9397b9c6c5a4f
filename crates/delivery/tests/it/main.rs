//! The integration tests of ferry-delivery: status and metrics on blueprint histories made
//! with git, a generated schedule checked by an independent computation, the HTML report.

mod demo;
mod html;
mod revisions;
mod schedule;
mod support;
