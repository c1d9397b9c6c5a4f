//! The tests of `ferry-init`: the command line, the README's excerpts of the generated files,
//! and the generated repository run end to end with Ferry's plain-git flow.

mod cli;
mod end_to_end;
mod flags;
mod lint;
mod readme;
