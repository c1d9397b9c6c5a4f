//! `ferry.toml`: the environments in promotion order, the images, the forge, the monitor's
//! policy and how Ferry reaches each registry. Every value written is one [`Options`] checked,
//! so it needs no TOML escaping.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::{Forge, Options};

/// How long an image set runs in the environment before it may be promoted: none into
/// the first environment, 30 minutes in between, an hour before the last.
fn soak(options: &Options, env: &str) -> Option<&'static str> {
    options.upstream(env)?;
    Some(if env == options.last() { "1h" } else { "30m" })
}

/// The `[registries."HOST"]` table of a registry: anonymous on loopback hosts (plain HTTP is
/// their default), the workflow's token on GitHub's registry, else credentials from two
/// environment variables the workflows fill from secrets.
fn registry_table(host: &str) -> String {
    let loopback =
        host.starts_with("localhost") || host.starts_with("127.") || host.starts_with("[::1]");
    let mut out = format!("[registries.\"{host}\"]\n");
    if loopback {
        out.push_str("# A loopback registry: plain HTTP, anonymous.\n");
    } else if host == "ghcr.io" {
        out.push_str("username-env = \"GITHUB_ACTOR\"\npassword-env = \"GITHUB_TOKEN\"\n");
    } else {
        out.push_str(
            "username-env = \"REGISTRY_USERNAME\"\npassword-env = \"REGISTRY_PASSWORD\"\n",
        );
    }
    out
}

/// The text of `ferry.toml`.
pub(crate) fn ferry_toml(options: &Options) -> String {
    let mut out = format!(
        "# Ferry settings of {app}, written by `ferry init`. Every key is described in Ferry's\n\
         # docs/config.md; command-line flags override what is set here.\n\n",
        app = options.app
    );
    out.push_str(
        "# Logical image names (`ferry pr open --image NAME=REF`) and their repositories, as the\n\
         # overlays' `images:` entries name them.\n[images]\n",
    );
    for image in &options.images {
        let _ = writeln!(out, "{} = \"{}\"", image.name, image.repository.name());
    }
    let _ = write!(
        out,
        "\n[forge]\nkind = \"{kind}\"\nbase-branch = \"{base}\"\nbranch-prefix = \"deploy/\"\n",
        kind = match options.forge {
            Forge::Github { .. } => "github",
            Forge::Git { .. } => "git",
        },
        base = options.base_branch,
    );
    match &options.forge {
        Forge::Github { owner, repo } => {
            let checks: Vec<String> = crate::REQUIRED_CHECKS
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect();
            let _ = write!(
                out,
                "labels = [\"ferry\"]\n\
                 # The checks branch protection requires (docs/github-branch-protection.md).\n\
                 required-checks = [{checks}]\n\n[forge.github]\nowner = \"{owner}\"\n\
                 repo = \"{repo}\"\nmerge-method = \"squash\"\n",
                checks = checks.join(", ")
            );
        }
        Forge::Git { .. } => out.push_str("\n[forge.git]\nremote = \"origin\"\n"),
    }
    out.push_str(
        "\n# Health monitoring after each deployment: 60 s warm-up, then 10 checks 30 s apart;\n\
         # 3 failures in a row make a release unhealthy (and roll it back).\n\
         [monitor]\nwarmup = \"60s\"\ninterval = \"30s\"\nchecks = 10\nfailures = 3\n\
         error-budget = 5\ntimeout = \"15m\"\n",
    );
    let hosts: BTreeSet<String> = options.images.iter().filter_map(|i| i.registry()).collect();
    for host in hosts {
        out.push('\n');
        out.push_str(&registry_table(&host));
    }
    out.push_str(
        "\n# Environments, from the first to the last. Each one is promoted from its `upstream`,\n\
         # only with images that ran and were verified there.\n",
    );
    for env in &options.environments {
        let _ = write!(
            out,
            "[[environment]]\nname = \"{env}\"\noverlay = \"{overlay}\"\n",
            overlay = options.overlay(env)
        );
        if let Some(upstream) = options.upstream(env) {
            let _ = writeln!(out, "upstream = \"{upstream}\"");
        }
        let first = env == options.first();
        let _ = writeln!(
            out,
            "auto-merge = {first}{}",
            if first {
                ""
            } else {
                "             # a person approves (the GitHub environment)"
            }
        );
        if let Some(soak) = soak(options, env) {
            let _ = writeln!(out, "soak = \"{soak}\"");
        }
        let _ = writeln!(out, "argocd-app = \"{}-{env}\"", options.app);
        let kind = if options.is_blue_green(env) {
            "rollout"
        } else {
            "deployment"
        };
        let workloads: Vec<String> = options
            .images
            .iter()
            .map(|i| format!("\"{kind}/{}\"", i.name))
            .collect();
        let _ = write!(
            out,
            "\n[environment.monitor]\nnamespace = \"{ns}\"\nworkloads = [{workloads}]\n\n",
            ns = options.namespace(env),
            workloads = workloads.join(", ")
        );
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
