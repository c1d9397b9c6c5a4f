//! The `ferry-pr` binary. Its work is the library's (`src/lib.rs`), which `ferry pr` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_pr::main(std::env::args_os().collect())
}
