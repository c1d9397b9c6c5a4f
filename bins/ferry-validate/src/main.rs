//! `ferry-validate`.

fn main() {}
