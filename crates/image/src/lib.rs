//! Container image references, tags and registries.
