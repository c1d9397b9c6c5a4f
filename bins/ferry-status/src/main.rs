//! The `ferry-status` binary. Its work is the library's (`src/lib.rs`), which `ferry status` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_status::main(std::env::args_os().collect())
}
