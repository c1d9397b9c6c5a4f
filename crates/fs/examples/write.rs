//! A file replaced atomically: the new contents, the old permissions, nothing left beside it.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("settings.txt");
    fs::write(&path, "old\n").expect("the first version");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");

    ferry_fs::write_atomic(&path, b"new\n").expect("the atomic write");

    assert_eq!(fs::read_to_string(&path).expect("read"), "new\n");
    let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the permissions are kept");
    let entries = fs::read_dir(dir.path()).expect("list").count();
    assert_eq!(entries, 1, "no temporary file is left");
}
