//! The `ferry-validate` binary. Its work is the library's (`src/lib.rs`), which `ferry validate` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_validate::main(std::env::args_os().collect())
}
