//! `ferry-rollback holds` and `ferry-rollback release`.

use std::io::Write;

use clap::Args;
use ferry_cli::forge::Setup;
use ferry_cli::{Context as _, ErrorKind, Format, Result, WithKind as _};
use ferry_gitops::forge::Forge;
use ferry_gitops::gates::Hold;
use ferry_gitops::holds::{ImageQuery, release_command};
use ferry_rollback::actions::release_matching;
use ferry_rollback::flow::image_list;
use serde_json::json;

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The environment.
    #[arg(long, value_name = "ENV")]
    env: String,
    /// The held image: an image name of ferry.toml with a tag or digest (`backend:1.5.0`,
    /// `backend=1.5.0`; the name alone: every held tag), or a reference
    /// (`registry.example.com/acme/backend:1.5.0`).
    #[arg(long, value_name = "IMAGE", required_unless_present_any = ["all", "image_arg"])]
    image: Option<String>,
    /// The held image, as for --image.
    #[arg(value_name = "IMAGE", conflicts_with_all = ["image", "all"])]
    image_arg: Option<String>,
    /// Release every active hold of ENV (a hold of the whole environment needs this).
    #[arg(long, conflicts_with = "image")]
    all: bool,
}

#[derive(Debug, Args)]
pub struct HoldsArgs {
    /// Only the holds of this environment.
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// Released holds too.
    #[arg(long)]
    all: bool,
}

/// One hold in a line: environment, images, since when, why.
fn line(h: &Hold) -> String {
    let images = if h.images.is_empty() {
        "every image".to_owned()
    } else {
        image_list(&h.images)
    };
    let state = if h.released { " (released)" } else { "" };
    format!(
        "{}: {images} held since {}{state}: {}",
        h.env,
        ferry_config::human_time(&h.created_at),
        h.reason
    )
}

/// The holds of `env` (every environment when `None`), active ones only unless `all`.
fn select<'a>(holds: &'a [Hold], env: Option<&str>, all: bool) -> Vec<&'a Hold> {
    holds
        .iter()
        .filter(|h| (all || !h.released) && env.is_none_or(|e| e == h.env))
        .collect()
}

fn write_holds(out: &mut impl Write, holds: &[&Hold]) -> Result<()> {
    for h in holds {
        writeln!(out, "{}", line(h))?;
        if !h.released {
            writeln!(out, "  lift it with `{}`", release_command(h, &[]))?;
        }
    }
    Ok(())
}

pub async fn list<F: Forge>(format: Format, forge: &F, args: &HoldsArgs) -> Result<u8> {
    let holds = forge.holds().await?;
    let shown = select(&holds, args.env.as_deref(), args.all);
    let mut stdout = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, &json!({ "holds": shown }))
                .map_err(std::io::Error::from)?;
            writeln!(stdout)?;
        }
        Format::Text if shown.is_empty() => {
            let scope = args
                .env
                .as_deref()
                .map(|e| format!(" for {e}"))
                .unwrap_or_default();
            writeln!(stdout, "no active hold{scope}")?;
        }
        Format::Text => write_holds(&mut stdout, &shown)?,
    }
    let active = shown.iter().filter(|h| !h.released).count();
    ferry_cli::github_output::write(&[("active", active.to_string())])
        .context("cannot write the step outputs")?;
    Ok(0)
}

pub async fn release<F: Forge>(
    format: Format,
    setup: &Setup,
    forge: &F,
    args: &ReleaseArgs,
) -> Result<u8> {
    let given = args.image.as_deref().or(args.image_arg.as_deref());
    let query = match given {
        // An image the configuration cannot name came from the command line: usage (exit 2).
        Some(text) if !args.all => {
            Some(ImageQuery::parse(text, &setup.config).with_kind(ErrorKind::Usage)?)
        }
        _ => None,
    };
    let holds = forge.holds().await?;
    let active = select(&holds, Some(&args.env), false);
    let matching = active.iter().any(|h| match &query {
        None => true,
        Some(q) => h.images.values().any(|i| q.matches(i)),
    });
    let released = if matching {
        release_matching(forge, &args.env, query.as_ref()).await?
    } else {
        Vec::new()
    };
    let what = given.unwrap_or("every image");
    let mut stdout = std::io::stdout().lock();
    match format {
        Format::Json => {
            let v = json!({
                "env": args.env,
                "image": given,
                "released": released,
                "active": if released.is_empty() { active.clone() } else { Vec::new() },
            });
            serde_json::to_writer_pretty(&mut stdout, &v).map_err(std::io::Error::from)?;
            writeln!(stdout)?;
        }
        Format::Text if released.is_empty() => {}
        Format::Text => {
            for h in &released {
                writeln!(
                    stdout,
                    "released the hold of {} on {} (since {}: {})",
                    h.env,
                    image_list(&h.images),
                    ferry_config::human_time(&h.created_at),
                    h.reason
                )?;
            }
        }
    }
    ferry_cli::github_output::write(&[("released", released.len().to_string())])
        .context("cannot write the step outputs")?;
    if released.is_empty() {
        let mut stderr = std::io::stderr().lock();
        if active.is_empty() {
            writeln!(stderr, "ferry-rollback: {} has no active hold", args.env)?;
            let others = select(&holds, None, false);
            if !others.is_empty() {
                writeln!(stderr, "active holds of other environments:")?;
                write_holds(&mut stderr, &others)?;
            }
        } else {
            writeln!(
                stderr,
                "ferry-rollback: no active hold of {} names {what}; its active holds:",
                args.env
            )?;
            write_holds(&mut stderr, &active)?;
        }
        return Ok(1);
    }
    Ok(0)
}
