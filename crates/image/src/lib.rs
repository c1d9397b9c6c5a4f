//! Container image references, tags and registries.

pub mod meta;
pub mod policy;
pub mod reference;
pub mod registry;
