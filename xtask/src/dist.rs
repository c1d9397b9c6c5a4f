//! `cargo xtask dist [--bin-dir DIR] [--out DIR]`: the release archive for the host target,
//! `ferry-vVERSION-TARGET.tar.gz`, and `SHA256SUMS` beside it.
//!
//! The archive holds one directory, `ferry-vVERSION-TARGET/`: `bin/` (the multi-call `ferry`
//! binary, which runs every step in-process, and for each other binary of [`binaries`] a symbolic
//! link `ferry-STEP` → `ferry`, or a copy on Windows), `LICENSE`, `README.md`,
//! `completions/{bash,zsh,fish,powershell}/` and `man/man1/`, the completions and man pages made
//! by the binary itself from each step's clap definition (`ferry [STEP] --ferry-generate KIND`,
//! `ferry_cli::generate`). Without `--bin-dir` the release binary is built first (`cargo build
//! --release --locked -p ferry`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::Digest as _;

/// A package of the workspace with its binary targets (`cargo metadata`).
#[derive(Debug, Clone)]
pub(crate) struct Package {
    /// The package name (`ferry-init-cli`).
    pub(crate) name: String,
    /// Its directory (`…/bins/ferry-init`).
    pub(crate) dir: PathBuf,
    /// Its binary targets (`ferry-init`).
    pub(crate) bins: Vec<String>,
}

/// Every package of the workspace with its binary targets, from `cargo metadata`.
pub(crate) fn packages() -> Result<Vec<Package>> {
    let out = crate::cargo()
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(crate::root())
        .output()
        .context("cannot run cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("cargo metadata prints JSON")?;
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned).context("a string");
    let mut packages = Vec::new();
    for p in metadata["packages"].as_array().context("packages")? {
        let manifest = PathBuf::from(text(&p["manifest_path"])?);
        let mut bins = Vec::new();
        for t in p["targets"].as_array().context("targets")? {
            if t["kind"]
                .as_array()
                .is_some_and(|k| k.contains(&"bin".into()))
            {
                bins.push(text(&t["name"])?);
            }
        }
        packages.push(Package {
            name: text(&p["name"])?,
            dir: manifest
                .parent()
                .context("a manifest's directory")?
                .to_path_buf(),
            bins,
        });
    }
    Ok(packages)
}

/// A binary a release installs: its name and the package that builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binary {
    /// The binary (`ferry-init`).
    pub(crate) name: String,
    /// Its package (`ferry-init-cli`: a binary whose name a library has too is in a package
    /// with a `-cli` suffix).
    pub(crate) package: String,
}

/// Every binary a release installs, `ferry` first, then its steps by name: the binary targets
/// of the packages under `bins/`. The one list of them: the archive, `cargo xtask dist --list`
/// and the tests that check the lists kept by hand (the front end's `STEPS`, `action.yml`'s
/// `cargo install`, the README's table) read it.
pub(crate) fn binaries() -> Result<Vec<Binary>> {
    let bins_dir = crate::root().join("bins");
    let mut binaries: Vec<Binary> = packages()?
        .into_iter()
        .filter(|p| p.dir.parent() == Some(bins_dir.as_path()))
        .flat_map(|p| {
            p.bins.into_iter().map(move |name| Binary {
                name,
                package: p.name.clone(),
            })
        })
        .collect();
    binaries.sort_by(|a, b| (a.name != "ferry", &a.name).cmp(&(b.name != "ferry", &b.name)));
    if binaries.first().is_none_or(|b| b.name != "ferry") {
        bail!("no package under bins/ builds the `ferry` binary");
    }
    Ok(binaries)
}

/// The completion scripts, by kind: the directory and the file name of binary `b`.
const COMPLETIONS: [(&str, &str, &str); 4] = [
    ("bash", "", ""),
    ("zsh", "_", ""),
    ("fish", "", ".fish"),
    ("powershell", "", ".ps1"),
];

/// What `dist` made.
#[derive(Debug)]
pub(crate) struct Dist {
    /// The `.tar.gz`.
    pub(crate) archive: PathBuf,
    /// `SHA256SUMS`, naming the archive.
    pub(crate) sums: PathBuf,
}

pub(crate) fn run(args: &[&str]) -> Result<()> {
    if args == ["--list"] {
        for b in binaries()? {
            println!("{} {}", b.name, b.package);
        }
        return Ok(());
    }
    let mut bin_dir = None;
    let mut out = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--bin-dir" => bin_dir = rest.next().map(PathBuf::from),
            "--out" => out = rest.next().map(PathBuf::from),
            other => bail!(
                "dist: unexpected argument {other:?}; usage: cargo xtask dist [--bin-dir DIR] [--out DIR] | dist --list"
            ),
        }
    }
    let bin_dir = match bin_dir {
        Some(dir) => dir,
        None => crate::build_release_bins(&["ferry"])?,
    };
    let out = out.unwrap_or_else(|| crate::target_dir().join("dist"));
    let dist = build(&bin_dir, &out, env!("CARGO_PKG_VERSION"), &host_target()?)?;
    println!("{}", dist.archive.display());
    println!("{}", dist.sums.display());
    Ok(())
}

/// The host's target triple (`rustc -vV`).
pub(crate) fn host_target() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .context("cannot run rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_string)
        .context("rustc -vV names no host")
}

/// The archive's top directory: `ferry-vVERSION-TARGET`.
pub(crate) fn archive_name(version: &str, target: &str) -> String {
    format!("ferry-v{version}-{target}")
}

/// An entry of the archive: a file's bytes, or a symbolic link's target.
enum Content {
    File(Vec<u8>),
    Link(String),
}

/// Builds the archive of the `ferry` binary in `bin_dir` and its `SHA256SUMS` in `out`.
pub(crate) fn build(bin_dir: &Path, out: &Path, version: &str, target: &str) -> Result<Dist> {
    let name = archive_name(version, target);
    let exe = if target.contains("windows") {
        ".exe"
    } else {
        ""
    };
    let ferry_file = format!("ferry{exe}");
    let ferry = bin_dir.join(format!("ferry{}", std::env::consts::EXE_SUFFIX));
    let bytes = std::fs::read(&ferry).with_context(|| {
        format!(
            "cannot read {}: build it first (cargo build --release -p ferry)",
            ferry.display()
        )
    })?;
    let mut files: Vec<(String, Content, u32)> = Vec::new();
    for binary in binaries()? {
        let binary = binary.name.as_str();
        let step = binary.strip_prefix("ferry-");
        let file = format!("{binary}{exe}");
        if step.is_none() {
            files.push((format!("bin/{file}"), Content::File(bytes.clone()), 0o755));
        } else if exe.is_empty() {
            files.push((
                format!("bin/{file}"),
                Content::Link(ferry_file.clone()),
                0o755,
            ));
        } else {
            // Windows has no symbolic links to count on: a copy, which runs its step by name.
            files.push((format!("bin/{file}"), Content::File(bytes.clone()), 0o755));
        }
        for (kind, prefix, suffix) in COMPLETIONS {
            let text = generated(&ferry, step, kind)?;
            files.push((
                format!("completions/{kind}/{prefix}{binary}{suffix}"),
                Content::File(text),
                0o644,
            ));
        }
        files.push((
            format!("man/man1/{binary}.1"),
            Content::File(generated(&ferry, step, "man")?),
            0o644,
        ));
    }
    for doc in ["LICENSE", "README.md"] {
        let path = crate::root().join(doc);
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        files.push((doc.to_string(), Content::File(bytes), 0o644));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));

    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let archive = out.join(format!("{name}.tar.gz"));
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (path, content, mode) in &files {
        let mut header = tar::Header::new_gnu();
        header.set_mode(*mode);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        let added = match content {
            Content::File(bytes) => {
                header.set_size(bytes.len() as u64);
                header.set_cksum();
                tar.append_data(&mut header, format!("{name}/{path}"), bytes.as_slice())
            }
            Content::Link(to) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                tar.append_link(&mut header, format!("{name}/{path}"), to)
            }
        };
        added.with_context(|| format!("cannot add {path}"))?;
    }
    let bytes = tar
        .into_inner()
        .context("cannot finish the archive")?
        .finish()
        .context("cannot compress the archive")?;
    std::fs::write(&archive, &bytes)
        .with_context(|| format!("cannot write {}", archive.display()))?;

    let digest = sha2::Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let sums = out.join("SHA256SUMS");
    let mut file =
        std::fs::File::create(&sums).with_context(|| format!("cannot write {}", sums.display()))?;
    writeln!(file, "{hex}  {name}.tar.gz")?;
    Ok(Dist { archive, sums })
}

/// What `ferry [STEP] --ferry-generate kind` prints: the front end's, or a step's.
fn generated(ferry: &Path, step: Option<&str>, kind: &str) -> Result<Vec<u8>> {
    let out = Command::new(ferry)
        .args(step)
        .args(["--ferry-generate", kind])
        .output()
        .with_context(|| format!("cannot run {}", ferry.display()))?;
    if !out.status.success() || out.stdout.is_empty() {
        bail!(
            "{} {} --ferry-generate {kind} failed ({}): {}",
            ferry.display(),
            step.unwrap_or_default(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out.stdout)
}
