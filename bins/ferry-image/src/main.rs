//! The `ferry-image` binary. Its work is the library's (`src/lib.rs`), which `ferry image` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_image_cli::main(std::env::args_os().collect())
}
