//! The `agentcli` binary: parses arguments, decides colour and width, runs the command, and
//! turns the result into an exit code. A closed pipe (`agentcli ... | head`) ends it quietly.

use agentcli::cli::Cli;
use agentcli::cmd::{self, Context, Environment};
use clap::Parser;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let env = Environment {
        terminal,
        terminal_width: terminal
            .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
            .flatten(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        dumb_terminal: std::env::var_os("TERM").is_some_and(|v| v == "dumb"),
        ascii_locale: cmd::locale_is_ascii(|name| std::env::var(name).ok()),
    };
    let ctx = Context::new(&cli.global, &env);
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut err = io::stderr().lock();
    let result = cmd::run(&cli, &ctx, &mut out, &mut err).and_then(|outcome| {
        out.flush()?;
        Ok(outcome)
    });
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Whatever was written before the error is still data: deliver it.
            let _ = out.flush();
            let _ = writeln!(err, "agentcli: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether the error is a closed output pipe: the reader has all it wanted, not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
