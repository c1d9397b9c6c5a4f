//! `write_atomic`: a temporary file in the same directory renamed over the original, the
//! original's permissions kept, nothing left behind on success or failure.

use std::fs;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;

use ferry_fs::{TEMP_SUFFIX, remove_stale_temp_files, write_atomic};

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list the directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn the_new_file_is_renamed_over_the_old_one_keeping_its_permissions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("file.txt");
    fs::write(&path, "old\n").expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    let before = fs::metadata(&path).expect("stat").ino();
    // A reader holding the old file keeps reading the old contents: the file is replaced, not
    // rewritten in place.
    let held = fs::File::open(&path).expect("open the old file");

    write_atomic(&path, b"new\n").expect("write");

    assert_eq!(fs::read_to_string(&path).expect("read"), "new\n");
    let after = fs::metadata(&path).expect("stat");
    assert_ne!(after.ino(), before, "a new file took the old one's name");
    assert_eq!(after.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::io::read_to_string(held).expect("read the old file"),
        "old\n"
    );
    assert_eq!(names(dir.path()), ["file.txt"], "no temporary file is left");
}

#[test]
fn the_temporary_file_is_made_beside_the_target_without_clobbering_another() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("file.txt");
    // The name this process's first attempt would take, in the target's directory, is taken.
    let taken = format!(".file.txt.{}-0{TEMP_SUFFIX}", std::process::id());
    fs::write(dir.path().join(&taken), "someone else's").expect("write");

    write_atomic(&path, b"new\n").expect("a new file is written");

    assert_eq!(fs::read_to_string(&path).expect("read"), "new\n");
    assert_eq!(
        fs::read_to_string(dir.path().join(&taken)).expect("read"),
        "someone else's"
    );
    assert_eq!(names(dir.path()), [taken, "file.txt".to_owned()]);
}

#[test]
fn a_failed_write_leaves_the_original_and_no_temporary_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A file cannot be renamed over a directory that holds something: the rename fails.
    let path = dir.path().join("target");
    fs::create_dir(&path).expect("mkdir");
    fs::write(path.join("inside"), "kept").expect("write");

    let e = write_atomic(&path, b"new\n").expect_err("the rename fails");

    assert_ne!(e.kind(), std::io::ErrorKind::NotFound, "{e}");
    assert_eq!(names(dir.path()), ["target"], "no temporary file is left");
    assert_eq!(
        fs::read_to_string(path.join("inside")).expect("read"),
        "kept"
    );
}

#[test]
fn temporary_files_of_dead_processes_are_removed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("file.txt");
    fs::write(&path, "x").expect("write");
    // No process has pid 4194304 or above (Linux's highest is 4194303).
    let dead = format!(".file.txt.4194304-0{TEMP_SUFFIX}");
    let own = format!(".file.txt.{}-0{TEMP_SUFFIX}", std::process::id());
    let other = ".other.txt.4194304-0.ferry-tmp".to_owned();
    for name in [&dead, &own, &other] {
        fs::write(dir.path().join(name), "left").expect("write");
    }

    remove_stale_temp_files(&path);

    assert_eq!(names(dir.path()), [own, other, "file.txt".to_owned()]);
}
