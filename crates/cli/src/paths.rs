//! The paths every overlay command works out the same way: a path made absolute, the
//! repository top above a directory, and the root no resource of an overlay may leave.

use std::path::{Path, PathBuf};

/// `p` as given when absolute, else below `cwd`.
pub fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    }
}

/// The nearest directory at or above `dir` (canonical) holding `.git`.
pub fn git_top(dir: &Path) -> Option<PathBuf> {
    let dir = dir.canonicalize().ok()?;
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The repository root of `overlay` (absolute): `--root` when given (relative to `cwd`), else
/// the config file's directory, else the nearest directory holding `.git` above the overlay,
/// else `cwd`.
pub fn overlay_root(
    cwd: &Path,
    root_flag: Option<&Path>,
    config_dir: Option<&Path>,
    overlay: &Path,
) -> PathBuf {
    root_flag
        .map(|r| absolute(cwd, r))
        .or_else(|| config_dir.map(Path::to_path_buf))
        .or_else(|| git_top(overlay))
        .unwrap_or_else(|| cwd.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_flag_then_the_config_then_git_then_the_current_directory() {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let top = tmp.path().canonicalize().expect("canonical");
        let overlay = top.join("a/b");
        std::fs::create_dir_all(&overlay).expect("create the overlay");
        let cwd = Path::new("/work/cwd");
        assert_eq!(overlay_root(cwd, None, None, &overlay), cwd);
        std::fs::create_dir(top.join(".git")).expect("create .git");
        assert_eq!(git_top(&overlay), Some(top.clone()));
        assert_eq!(overlay_root(cwd, None, None, &overlay), top);
        let config = Path::new("/etc/ferry");
        assert_eq!(overlay_root(cwd, None, Some(config), &overlay), config);
        assert_eq!(
            overlay_root(cwd, Some(Path::new("r")), Some(config), &overlay),
            cwd.join("r")
        );
        assert_eq!(absolute(cwd, Path::new("/x")), Path::new("/x"));
    }
}
