//! The `ferry-set-image` binary. Its work is the library's (`src/lib.rs`), which `ferry set-image` runs
//! in-process too.

fn main() -> std::process::ExitCode {
    ferry_set_image::main(std::env::args_os().collect())
}
