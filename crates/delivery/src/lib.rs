//! Where each environment stands (`ferry status`) and how delivery performs (`ferry metrics`,
//! the four DORA metrics), computed from what Ferry already records.
//!
//! The facts come from Git and the forge; the answers are pure functions of them:
//!
//! - [`history`]: the data both answers are computed from ([`History`]): each environment's
//!   deployments in promotion order (from the ledger), whether each was verified (verification
//!   records), which rolled back which (the `Ferry-Rollback:` trailer), holds, soak times and
//!   logical image names. [`gather`](mod@gather) reads them from a repository and a ledger (the only I/O
//!   here besides [`local_holds`] and [`revision_times`]); [`read`] reads it from the local
//!   repository alone or through a forge (a sync, holds, open changes, verifications).
//! - [`status`]: one row per environment ([`status::status`]); [`status_text`] its table.
//! - [`metrics`]: deployment frequency, lead time, change failure rate and time to restore,
//!   each with its median and 90th percentile, the deployments behind each number and its DORA
//!   band ([`metrics::metrics`], [`bands`]); [`metrics_text`] its text and step summary,
//!   [`html`] the one-file report with inline SVG charts.
//!
//! # Example
//!
//! A history of two environments, built as data, with its status and metrics
//! (`examples/delivery.rs`; `cargo test` runs it):
//!
//! ```rust,ignore
#![doc = include_str!("../examples/delivery.rs")]
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod bands;
pub mod gather;
pub mod history;
pub mod html;
pub mod metrics;
pub mod metrics_text;
pub mod read;
pub mod stats;
pub mod status;
pub mod status_text;

pub use gather::{DeliveryError, gather, local_holds, revision_times};
pub use history::{DeploymentFact, EnvHistory, History, OpenChange};
