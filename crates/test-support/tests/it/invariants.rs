//! The invariants of docs/architecture.md that a machine can check, over the workspace's sources:
//!
//! - library crates never print (`println!`, `eprintln!`, `print!`, `eprint!`, `dbg!`,
//!   `std::io::stdout`/`stderr`), outside their `#[cfg(test)]` code;
//! - no module of a crate imports a module that imports it back, directly or through others;
//! - binaries are left out of `cargo doc` (`doc = false`);
//! - only `ferry-kustomize` depends on a YAML parser;
//! - every example under `crates/*/examples` runs under `cargo test` (an `[[example]]` entry
//!   with `test = true` and `harness = false`, so its `main` is the test), or is run by a test
//!   of its own when it takes arguments ([`RUN_BY_A_TEST`]).
//!
//! That only `ferry-cli` reads the environment is checked by `crates/cli/tests/it/environment.rs`.
//!
//! Sources are parsed with `syn` from each crate root (`src/lib.rs`, `src/main.rs`) along its
//! `mod` declarations, so only compiled modules count and `#[cfg(test)]` items are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use ferry_test_support::workspace_root;
use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};

// ---------------------------------------------------------------------------------------------
// Module trees

/// One module of a crate: its path from the crate root (`[]` is the root) and its own items
/// (inline child modules are modules of their own).
struct Module {
    path: Vec<String>,
    file: PathBuf,
    items: Vec<syn::Item>,
}

/// Every non-test module of the crate whose root file is `root_file`.
fn modules(root_file: &Path) -> Vec<Module> {
    let mut out = Vec::new();
    let dir = root_file.parent().expect("a crate root has a directory");
    load_file(root_file, dir.to_path_buf(), Vec::new(), &mut out);
    out
}

fn load_file(file: &Path, child_dir: PathBuf, path: Vec<String>, out: &mut Vec<Module>) {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let parsed =
        syn::parse_file(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", file.display()));
    add_module(file, child_dir, path, parsed.items, out);
}

fn add_module(
    file: &Path,
    child_dir: PathBuf,
    path: Vec<String>,
    items: Vec<syn::Item>,
    out: &mut Vec<Module>,
) {
    let mut own = Vec::new();
    for item in items {
        if is_test_only(item_attrs(&item)) {
            continue;
        }
        let syn::Item::Mod(module) = item else {
            own.push(item);
            continue;
        };
        let name = module.ident.to_string();
        let mut child = path.clone();
        child.push(name.clone());
        assert!(
            !module.attrs.iter().any(|a| a.path().is_ident("path")),
            "{}: `#[path]` on `mod {name}` is not followed by this test; teach it",
            file.display()
        );
        match module.content {
            Some((_, items)) => add_module(file, child_dir.join(&name), child, items, out),
            None => {
                let flat = child_dir.join(format!("{name}.rs"));
                let nested = child_dir.join(&name).join("mod.rs");
                if flat.is_file() {
                    load_file(&flat, child_dir.join(&name), child, out);
                } else if nested.is_file() {
                    load_file(&nested, child_dir.join(&name), child, out);
                } else {
                    panic!(
                        "{}: no file for `mod {name}` ({} or {})",
                        file.display(),
                        flat.display(),
                        nested.display()
                    );
                }
            }
        }
    }
    out.push(Module {
        path,
        file: file.to_path_buf(),
        items: own,
    });
}

/// Whether the attributes include `#[cfg(test)]` (alone or inside `all(…)`).
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg") && {
            let tokens = attr
                .meta
                .require_list()
                .map(|l| l.tokens.to_string())
                .unwrap_or_default();
            let tokens = tokens.replace(' ', "");
            tokens == "test" || (tokens.starts_with("all(") && tokens.contains("test"))
        }
    })
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    use syn::Item::*;
    match item {
        Const(i) => &i.attrs,
        Enum(i) => &i.attrs,
        ExternCrate(i) => &i.attrs,
        Fn(i) => &i.attrs,
        ForeignMod(i) => &i.attrs,
        Impl(i) => &i.attrs,
        Macro(i) => &i.attrs,
        Mod(i) => &i.attrs,
        Static(i) => &i.attrs,
        Struct(i) => &i.attrs,
        Trait(i) => &i.attrs,
        TraitAlias(i) => &i.attrs,
        Type(i) => &i.attrs,
        Union(i) => &i.attrs,
        Use(i) => &i.attrs,
        _ => &[],
    }
}

/// A crate of the workspace: a package directory and one of its roots.
struct Crate {
    /// `crates/gitops (lib)`, `bins/ferry-pr (bin)`.
    name: String,
    /// The package directory, relative to the workspace root (`crates/gitops`).
    package: String,
    root_file: PathBuf,
}

/// Every crate root of the workspace's packages (crates/*, bins/*, xtask).
fn workspace_crates() -> Vec<Crate> {
    let root = workspace_root();
    let mut packages = vec![root.join("xtask")];
    for group in ["crates", "bins"] {
        for entry in std::fs::read_dir(root.join(group)).expect("reads a package group") {
            let dir = entry.expect("a package directory").path();
            if dir.join("Cargo.toml").is_file() {
                packages.push(dir);
            }
        }
    }
    packages.sort();
    let mut crates = Vec::new();
    for dir in packages {
        let package = dir
            .strip_prefix(&root)
            .expect("under the root")
            .to_string_lossy()
            .into_owned();
        for (file, kind) in [("src/lib.rs", "lib"), ("src/main.rs", "bin")] {
            if dir.join(file).is_file() {
                crates.push(Crate {
                    name: format!("{package} ({kind})"),
                    package: package.clone(),
                    root_file: dir.join(file),
                });
            }
        }
    }
    assert!(
        crates.len() >= 15,
        "found only {} crates under {}",
        crates.len(),
        root.display()
    );
    crates
}

fn relative(file: &Path) -> String {
    let root = workspace_root();
    file.strip_prefix(&root)
        .unwrap_or(file)
        .to_string_lossy()
        .into_owned()
}

// ---------------------------------------------------------------------------------------------
// Paths a module names

/// Every path a module's items name: `use` trees flattened, paths in code, and `a::b` token runs
/// inside macro calls (which `syn` leaves unparsed). Each as its identifiers.
#[derive(Default)]
struct Paths {
    paths: Vec<Vec<String>>,
    /// The last identifier of every macro called (`println`, `format`, …).
    macros: Vec<String>,
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        flatten_use(&item.tree, Vec::new(), &mut self.paths);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.paths
            .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(last) = mac.path.segments.last() {
            self.macros.push(last.ident.to_string());
        }
        token_paths(mac.tokens.clone(), &mut self.paths);
        visit::visit_macro(self, mac);
    }

    // Test-only items inside a module (`#[cfg(test)] fn …`, in impls and blocks too).
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if !is_test_only(item_attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_test_only(&f.attrs) {
            visit::visit_impl_item_fn(self, f);
        }
    }
}

fn flatten_use(tree: &syn::UseTree, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let with = |name: String| {
        let mut p = prefix.clone();
        p.push(name);
        p
    };
    match tree {
        syn::UseTree::Path(p) => flatten_use(&p.tree, with(p.ident.to_string()), out),
        syn::UseTree::Name(n) if n.ident == "self" => out.push(prefix),
        syn::UseTree::Name(n) => out.push(with(n.ident.to_string())),
        syn::UseTree::Rename(r) if r.ident == "self" => out.push(prefix),
        syn::UseTree::Rename(r) => out.push(with(r.ident.to_string())),
        syn::UseTree::Glob(_) => out.push(prefix),
        syn::UseTree::Group(g) => {
            for item in &g.items {
                flatten_use(item, prefix.clone(), out);
            }
        }
    }
}

/// The `a::b::c` runs of identifiers in a token stream (through groups).
fn token_paths(tokens: TokenStream, out: &mut Vec<Vec<String>>) {
    let mut current: Vec<String> = Vec::new();
    let mut colons = 0;
    let flush = |current: &mut Vec<String>, out: &mut Vec<Vec<String>>| {
        if current.len() > 1 {
            out.push(std::mem::take(current));
        }
        current.clear();
    };
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => {
                if colons != 2 {
                    flush(&mut current, out);
                }
                current.push(ident.to_string());
                colons = 0;
            }
            TokenTree::Punct(p) if p.as_char() == ':' && !current.is_empty() => colons += 1,
            TokenTree::Group(g) => {
                flush(&mut current, out);
                colons = 0;
                token_paths(g.stream(), out);
            }
            _ => {
                flush(&mut current, out);
                colons = 0;
            }
        }
    }
    flush(&mut current, out);
}

fn paths_of(module: &Module) -> Paths {
    let mut paths = Paths::default();
    for item in &module.items {
        paths.visit_item(item);
    }
    paths
}

// ---------------------------------------------------------------------------------------------
// No printing in library crates

/// Library crates that print by design: the binaries' front end (its error report), and the
/// test helpers (skip notices in test output).
const MAY_PRINT: &[&str] = &["crates/cli", "crates/test-support"];

const PRINT_MACROS: &[&str] = &["print", "println", "eprint", "eprintln", "dbg"];

/// Where `module` prints: `file: what` lines.
fn printing(module: &Module) -> Vec<String> {
    let found = paths_of(module);
    let mut out = Vec::new();
    for name in &found.macros {
        if PRINT_MACROS.contains(&name.as_str()) {
            out.push(format!("{}: {name}!", relative(&module.file)));
        }
    }
    for path in &found.paths {
        if path
            .windows(2)
            .any(|w| w[0] == "io" && (w[1] == "stdout" || w[1] == "stderr"))
        {
            out.push(format!("{}: {}", relative(&module.file), path.join("::")));
        }
    }
    out
}

#[test]
fn library_crates_never_print() {
    let mut found = Vec::new();
    let mut checked = 0;
    for krate in workspace_crates() {
        if !krate.package.starts_with("crates/")
            || !krate.name.ends_with("(lib)")
            || MAY_PRINT.contains(&krate.package.as_str())
        {
            continue;
        }
        checked += 1;
        for module in modules(&krate.root_file) {
            found.extend(printing(&module));
        }
    }
    assert!(checked >= 6, "checked only {checked} library crates");
    assert!(
        found.is_empty(),
        "library crates return values and errors; binaries print. Printing found:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_print_check_sees_macros_and_std_streams() {
    let module = synthetic(
        "fn a() { println!(\"x\"); }
         fn b() { let _ = writeln!(std::io::stderr(), \"x\"); }
         fn c() -> u8 { dbg!(1) }
         #[cfg(test)] fn d() { eprintln!(\"a test may print\"); }
         mod inner { fn e() { print!(\"y\") } }",
    );
    let found: Vec<String> = module.iter().flat_map(printing).collect();
    let found = found.join("\n");
    for what in ["println!", "std::io::stderr", "dbg!", "print!"] {
        assert!(found.contains(what), "{what} not found in:\n{found}");
    }
    assert!(!found.contains("eprintln!"), "{found}");
}

// ---------------------------------------------------------------------------------------------
// No import cycles between the modules of a crate

/// One dependency of a module on a sibling (a module with the same parent), with what made it.
#[derive(Debug, Clone)]
struct Evidence {
    file: String,
    path: String,
}

/// The dependencies between sibling modules of one crate: a path named in module `a::x::y`
/// that resolves into `a::z::…` makes `a::x` depend on `a::z`. Paths into a module's own
/// ancestors or descendants do not count (a parent re-exporting its child, a child using its
/// parent's items).
struct Graph {
    edges: BTreeMap<Vec<String>, BTreeMap<Vec<String>, Evidence>>,
}

impl Graph {
    fn of(modules: &[Module]) -> Graph {
        let known: BTreeSet<&[String]> = modules.iter().map(|m| m.path.as_slice()).collect();
        let mut edges: BTreeMap<Vec<String>, BTreeMap<Vec<String>, Evidence>> = BTreeMap::new();
        for module in modules {
            for path in paths_of(module).paths {
                let Some(target) = resolve(&module.path, &path, &known) else {
                    continue;
                };
                let here = &module.path;
                let common = here.iter().zip(&target).take_while(|(a, b)| a == b).count();
                if common == here.len() || common == target.len() {
                    continue;
                }
                let from = here[..=common].to_vec();
                let to = target[..=common].to_vec();
                edges
                    .entry(from)
                    .or_default()
                    .entry(to)
                    .or_insert(Evidence {
                        file: relative(&module.file),
                        path: path.join("::"),
                    });
            }
        }
        Graph { edges }
    }

    /// The groups of modules that import each other: each strongly connected component of
    /// more than one module, in order.
    fn cycles(&self) -> Vec<BTreeSet<Vec<String>>> {
        let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
        let mut groups = Vec::new();
        for start in self.edges.keys() {
            if seen.contains(start) {
                continue;
            }
            let group: BTreeSet<Vec<String>> = self
                .reachable(start)
                .into_iter()
                .filter(|m| self.reachable(m).contains(start))
                .collect();
            if group.len() > 1 {
                seen.extend(group.iter().cloned());
                groups.push(group);
            }
        }
        groups
    }

    fn reachable(&self, start: &[String]) -> BTreeSet<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start.to_vec()];
        while let Some(m) = todo.pop() {
            for next in self.edges.get(&m).into_iter().flat_map(|e| e.keys()) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    }

    /// `a, b import each other:` and every import between them, with what makes it.
    fn describe(&self, group: &BTreeSet<Vec<String>>) -> String {
        let name = |m: &Vec<String>| m.join("::");
        let mut text = format!(
            "{} import each other:",
            group.iter().map(name).collect::<Vec<_>>().join(", ")
        );
        for from in group {
            for (to, e) in &self.edges[from] {
                if group.contains(to) {
                    text.push_str(&format!(
                        "\n    {} → {}: {} names {}",
                        name(from),
                        name(to),
                        e.file,
                        e.path
                    ));
                }
            }
        }
        text
    }
}

/// The module that `path`, named in module `here`, points into: the longest known module
/// prefix of the path made absolute. `None` for a path that does not start with `crate`,
/// `super` or `self` (another crate, a prelude or local name).
fn resolve(here: &[String], path: &[String], known: &BTreeSet<&[String]>) -> Option<Vec<String>> {
    let (mut base, mut rest): (Vec<String>, &[String]) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (here.to_vec(), &path[1..]),
        "super" => (here.to_vec(), path),
        _ => return None,
    };
    while rest.first().is_some_and(|s| s == "super") {
        base.pop()?;
        rest = &rest[1..];
    }
    let mut full = base;
    full.extend(rest.iter().cloned());
    (0..=full.len())
        .rev()
        .map(|n| &full[..n])
        .find(|prefix| known.contains(prefix))
        .map(<[String]>::to_vec)
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let mut found = Vec::new();
    for krate in workspace_crates() {
        let graph = Graph::of(&modules(&krate.root_file));
        for cycle in graph.cycles() {
            found.push(format!("{}: {}", krate.name, graph.describe(&cycle)));
        }
    }
    assert!(
        found.is_empty(),
        "modules that import each other (move what both need into one of them, or into a \
         third module both import):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_cycle_check_finds_a_cycle_through_use_code_and_macros() {
    let modules = synthetic(
        "mod ledger { use crate::verify::{self, Record}; fn f() {} }
         mod verify { fn g() -> Option<crate::ledger::Entry> { None } }
         mod gates { fn h() { format!(\"{}\", super::holds::x()); } }
         mod holds { use super::gates::Rule; }
         mod plan { use super::ledger; mod retry { use super::super::git; } }
         mod git { use super::*; }
         mod parent { pub use child::Item; mod child { use super::Trait; } }
         #[cfg(test)] mod tests { use crate::ledger; }",
    );
    let graph = Graph::of(&modules);
    let cycles: Vec<String> = graph.cycles().iter().map(|c| graph.describe(c)).collect();
    let text = cycles.join("\n");
    assert_eq!(cycles.len(), 2, "{text}");
    assert!(text.contains("gates, holds import each other"), "{text}");
    assert!(
        text.contains("gates → holds: src/lib.rs names super::holds::x"),
        "{text}"
    );
    assert!(
        text.contains("holds → gates: src/lib.rs names super::gates::Rule"),
        "{text}"
    );
    assert!(text.contains("ledger, verify import each other"), "{text}");
    assert!(
        text.contains("ledger → verify: src/lib.rs names crate::verify"),
        "{text}"
    );
    assert!(
        text.contains("verify → ledger: src/lib.rs names crate::ledger::Entry"),
        "{text}"
    );
}

/// The modules of a crate whose whole source is `text` (inline modules only).
fn synthetic(text: &str) -> Vec<Module> {
    let parsed = syn::parse_file(text).expect("synthetic source parses");
    let mut out = Vec::new();
    add_module(
        &workspace_root().join("src/lib.rs"),
        PathBuf::from("/nonexistent"),
        Vec::new(),
        parsed.items,
        &mut out,
    );
    out
}

// ---------------------------------------------------------------------------------------------
// Every example runs under `cargo test`

/// An example file and what its package's manifest says about it.
struct Example {
    package: String,
    name: String,
    test: bool,
    harness: bool,
}

impl fmt::Display for Example {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/examples/{}.rs (test = {}, harness = {})",
            self.package, self.name, self.test, self.harness
        )
    }
}

fn examples() -> Vec<Example> {
    let root = workspace_root();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root.join("crates")).expect("reads crates/") {
        let dir = entry.expect("a crate directory").path();
        let Ok(files) = std::fs::read_dir(dir.join("examples")) else {
            continue;
        };
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("a Cargo.toml");
        let manifest: toml::Table = manifest.parse().expect("Cargo.toml parses");
        let declared = manifest
            .get("example")
            .and_then(|e| e.as_array())
            .cloned()
            .unwrap_or_default();
        for file in files {
            let path = file.expect("an example entry").path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let name = path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let entry = declared
                .iter()
                .find(|e| e.get("name").and_then(|n| n.as_str()) == Some(name.as_str()));
            let flag = |key: &str, default: bool| {
                entry
                    .and_then(|e| e.get(key))
                    .and_then(|v| v.as_bool())
                    .unwrap_or(default)
            };
            out.push(Example {
                package: relative(&dir),
                test: flag("test", false),
                harness: flag("harness", true),
                name,
            });
        }
    }
    out.sort_by(|a, b| (&a.package, &a.name).cmp(&(&b.package, &b.name)));
    out
}

/// Examples that take arguments, run by a test of their own instead: `(package, example, the
/// test file that runs it)`. The test file must name the example.
const RUN_BY_A_TEST: &[(&str, &str, &str)] = &[(
    "crates/cli",
    "front_end",
    "crates/cli/tests/it/front_end.rs",
)];

#[test]
fn every_example_runs_under_cargo_test() {
    let examples = examples();
    assert!(
        examples.len() >= 10,
        "expected an example per library crate, found {}",
        examples.len()
    );
    let run_by_a_test = |e: &Example| {
        RUN_BY_A_TEST.iter().any(|(package, name, test)| {
            *package == e.package && *name == e.name && {
                let text = std::fs::read_to_string(workspace_root().join(test))
                    .unwrap_or_else(|err| panic!("{test}: {err}"));
                text.contains(&format!("\"{name}"))
            }
        })
    };
    let not_run: Vec<String> = examples
        .iter()
        .filter(|e| (!e.test || e.harness) && !run_by_a_test(e))
        .map(ToString::to_string)
        .collect();
    assert!(
        not_run.is_empty(),
        "examples `cargo test` does not run; declare each in its Cargo.toml as\n\
         [[example]]\nname = \"NAME\"\ntest = true\nharness = false\n\n{}",
        not_run.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Binaries stay out of rustdoc

/// `cargo doc --workspace` documents the libraries: a binary's docs are its `--help` text,
/// which rustdoc would read as broken links (`[forge] kind`), and `ferry-image`,
/// `ferry-rollback` and `ferry-scan` would collide with their libraries' pages.
#[test]
fn binaries_are_left_out_of_rustdoc() {
    let root = workspace_root();
    let mut documented = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("bins")).expect("reads bins/") {
        let dir = entry.expect("a bin directory").path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let manifest: toml::Table = manifest.parse().expect("Cargo.toml parses");
        let bins = manifest
            .get("bin")
            .and_then(|b| b.as_array())
            .cloned()
            .unwrap_or_default();
        checked += 1;
        // A step's library (what the multi-call `ferry` runs) is the binary's code: left out too.
        let lib_documented = dir.join("src/lib.rs").is_file()
            && manifest
                .get("lib")
                .and_then(|l| l.get("doc"))
                .and_then(|d| d.as_bool())
                != Some(false);
        if bins.is_empty()
            || lib_documented
            || bins
                .iter()
                .any(|b| b.get("doc").and_then(|d| d.as_bool()) != Some(false))
        {
            documented.push(relative(&dir));
        }
    }
    assert!(checked >= 10, "checked only {checked} binaries");
    assert!(
        documented.is_empty(),
        "declare each binary with `doc = false` under [[bin]] (and its library under [lib]): {documented:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Only ferry-kustomize parses YAML

/// Only `crates/kustomize` depends on a YAML parser (serde-saphyr), and no package of the
/// workspace pulls in `serde_yaml`, `serde_yml` or `yaml-rust`.
#[test]
fn only_ferry_kustomize_depends_on_a_yaml_parser() {
    let root = workspace_root();
    let mut manifests = vec![root.join("xtask/Cargo.toml")];
    for group in ["crates", "bins"] {
        for entry in std::fs::read_dir(root.join(group)).expect("reads a package group") {
            let manifest = entry.expect("a package").path().join("Cargo.toml");
            if manifest.is_file() {
                manifests.push(manifest);
            }
        }
    }
    assert!(
        manifests.len() >= 20,
        "found only {} manifests",
        manifests.len()
    );
    let yaml_crates = [
        "serde-saphyr",
        "serde_yaml",
        "serde_yml",
        "yaml-rust",
        "yaml-rust2",
    ];
    let mut found = Vec::new();
    for manifest in &manifests {
        let table: toml::Table = std::fs::read_to_string(manifest)
            .expect("reads a manifest")
            .parse()
            .expect("Cargo.toml parses");
        for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
            let Some(deps) = table.get(section).and_then(|d| d.as_table()) else {
                continue;
            };
            for name in deps.keys() {
                let allowed =
                    name == "serde-saphyr" && manifest.ends_with("crates/kustomize/Cargo.toml");
                if yaml_crates.contains(&name.as_str()) && !allowed {
                    found.push(format!("{}: {section}.{name}", relative(manifest)));
                }
            }
        }
    }
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).expect("Cargo.lock");
    for name in &yaml_crates[1..] {
        if lock.contains(&format!("name = \"{name}\"")) {
            found.push(format!("Cargo.lock: {name}"));
        }
    }
    assert!(
        found.is_empty(),
        "only ferry-kustomize reads YAML (serde-saphyr); others get typed values or \
         serde_json::Value from it:\n{}",
        found.join("\n")
    );
}
