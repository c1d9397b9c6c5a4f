//! The `ferry-promote` binary. Its work is the library's (`src/lib.rs`), which `ferry promote` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_promote::main(std::env::args_os().collect())
}
