//! The `ferry-build` binary. Its work is the library's (`src/lib.rs`), which `ferry build` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_build_cli::main(std::env::args_os().collect())
}
