//! The command line, as clap parses it. Commands turn these raw arguments into typed options
//! once (`cmd::*`); nothing below them sees clap.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Exit codes, shown in `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the command ran, but some input was skipped as malformed (reported on stderr)
  2  usage error, unknown session, or unreadable file or directory";

#[derive(Debug, Parser)]
#[command(
    name = "agentcli",
    version,
    about = "Read and analyse the execution traces of multi-agent systems",
    long_about = "Read and analyse the execution traces of multi-agent systems.\n\n\
        Trace files are <session-id>.trace.json (as AgenticGoKit writes them, closed or not), \
        .trace.jsonl, and the same gzip-compressed (.gz).",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory holding the trace files [default: the current directory]
    #[arg(long, global = true, value_name = "DIR", env = "AGENTCLI_TRACE_DIR")]
    pub dir: Option<PathBuf>,

    /// When to colour the output (NO_COLOR in the environment means never, unless "always")
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Show times in UTC [default: in the zone each trace was written in]
    #[arg(long, global = true, conflicts_with = "local")]
    pub utc: bool,

    /// Show times in this machine's time zone
    #[arg(long, global = true)]
    pub local: bool,

    /// Width of tables in columns [default: the terminal's width, or 120 when not a terminal]
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(20..))]
    pub width: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the sessions in the trace directory, newest first
    #[command(after_help = EXIT_CODES)]
    List(ListArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Also read each file whole: entries, events, agents, duration, errors
    #[arg(short, long)]
    pub verbose: bool,

    /// Only sessions that started at or after TIME: a date (2024-01-01), an RFC 3339 time, or
    /// an age (90m, 2h, 3d)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only sessions that started before TIME (same forms as --since)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Csv,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
