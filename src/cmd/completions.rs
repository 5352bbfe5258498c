//! `agentcli completions <shell>`: shell completion scripts, generated from the clap
//! definitions (the committed copies in `completions/` are checked against these by a test).

use crate::cli::Cli;
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::Write;

pub fn run(shell: Shell, out: &mut dyn Write) -> anyhow::Result<()> {
    out.write_all(&script(shell))?;
    Ok(())
}

/// The completion script for `shell`. Generated into memory first: clap_complete panics on a
/// failed write, and a closed pipe must end the command quietly.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "agentcli", &mut buf);
    buf
}
