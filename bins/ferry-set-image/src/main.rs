//! `ferry-set-image`.

fn main() {}
