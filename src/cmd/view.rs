//! `agentcli view [SESSION]`: the interactive viewer. It checks its arguments like the other
//! commands, refuses to run without a terminal on stdout, and writes what the user copied
//! (`y` on an entry) to stdout once the terminal is restored.

use super::Context;
use crate::cli::ViewArgs;
use crate::error::Error;
use crate::filter::Filter;
use crate::report::Reporter;
use crate::session;
use crate::view::{self, ViewOptions};
use std::io::Write;

/// Checks the arguments once: the filter parses and the session, when one is named, exists.
pub fn options(args: &ViewArgs, ctx: &Context) -> Result<ViewOptions, Error> {
    let filter = Filter::parse_all(&args.filters, ctx.now)?;
    let session = args
        .session
        .as_deref()
        .map(|s| session::resolve(s, &ctx.dir))
        .transpose()?;
    Ok(ViewOptions {
        dir: ctx.dir.clone(),
        session,
        filter,
        redactor: super::redactor(&args.redact)?,
        zone: ctx.style.zone,
        color: ctx.style.color,
        ascii: ctx.style.ascii,
        now: ctx.now,
    })
}

pub fn run(
    args: &ViewArgs,
    ctx: &Context,
    out: &mut dyn Write,
    _report: &mut Reporter,
) -> anyhow::Result<()> {
    if !ctx.terminal {
        anyhow::bail!(
            "view needs a terminal on stdout; to print a session, use `agentcli trace SESSION` \
             (and `agentcli list` for the sessions)"
        );
    }
    let opts = options(args, ctx)?;
    // A colour terminal is the norm, but NO_COLOR / --color never still get a usable view.
    let copied = view::run(opts)?;
    if let Some(json) = copied {
        out.write_all(json.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
