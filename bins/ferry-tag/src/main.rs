//! The `ferry-tag` binary. Its work is the library's (`src/lib.rs`), which `ferry tag` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_tag::main(std::env::args_os().collect())
}
