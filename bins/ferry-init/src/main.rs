//! The `ferry-init` binary. Its work is the library's (`src/lib.rs`), which `ferry init` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_init_cli::main(std::env::args_os().collect())
}
