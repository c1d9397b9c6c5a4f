//! The `ferry.toml` model.
