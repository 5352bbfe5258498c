//! The committed completion scripts are those the binary generates.

use crate::common::{agentcli, stdout_of};
use std::fs;
use std::path::Path;

#[test]
fn committed_completion_scripts_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "agentcli.bash"),
        ("zsh", "_agentcli"),
        ("fish", "agentcli.fish"),
        ("powershell", "_agentcli.ps1"),
        ("elvish", "agentcli.elv"),
    ] {
        let generated = agentcli()
            .args(["completions", shell])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let committed = fs::read(dir.join(file)).unwrap_or_default();
        assert!(
            generated == committed,
            "completions/{file} is stale: run `cargo run -- completions {shell} > completions/{file}`"
        );
    }
}

/// The options every command takes (--dir, --color, --width, ...) change nothing in a
/// completion script: `completions --help` shows the shell alone.
#[test]
fn completions_help_shows_only_what_applies() {
    for flag in ["-h", "--help"] {
        let help = stdout_of(agentcli().args(["completions", flag]));
        assert!(
            help.contains("Usage: agentcli completions <SHELL>"),
            "{help}"
        );
        assert!(help.contains("[possible values: bash, elvish, fish, powershell, zsh]"));
        for option in [
            "--dir",
            "--color",
            "--width",
            "--utc",
            "--local",
            "[OPTIONS]",
        ] {
            assert!(!help.contains(option), "{option} in\n{help}");
        }
    }
    let help = stdout_of(agentcli().args(["list", "--help"]));
    for option in ["--dir", "--color", "--width", "--utc", "--local"] {
        assert!(help.contains(option), "{option} not in\n{help}");
    }
}

/// Flags that several commands take are declared once, and each command's help says under a
/// heading what they apply to there.
#[test]
fn shared_flags_appear_under_a_heading_saying_what_they_choose() {
    let sections = |command: &str| {
        let help = stdout_of(agentcli().args([command, "-h"]));
        help.split("\n\n")
            .filter_map(|s| s.split_once(":\n"))
            .map(|(heading, body)| {
                // A flag starts a line; its description's lines are indented further.
                let flags: Vec<String> = body
                    .lines()
                    .filter(|line| line.len() - line.trim_start().len() < 10)
                    .filter_map(|line| line.split_whitespace().next())
                    .filter(|word| word.starts_with("--"))
                    .map(str::to_owned)
                    .collect();
                (heading.to_owned(), flags)
            })
            .collect::<Vec<_>>()
    };
    let flags_under = |command: &str, heading: &str| {
        sections(command)
            .into_iter()
            .find(|(h, _)| h == heading)
            .unwrap_or_else(|| panic!("no heading {heading:?} in {command} -h"))
            .1
    };
    let time = ["--since", "--until"];
    assert_eq!(
        flags_under("list", "Time range (of when sessions started)"),
        time
    );
    assert_eq!(
        flags_under("export", "Time range (of when sessions started)"),
        time
    );
    assert_eq!(
        flags_under("analyze", "Time range (a run counts when its end is in it)"),
        time
    );
    assert_eq!(flags_under("trace", "Entries shown"), ["--filter"]);
    assert_eq!(flags_under("export", "Entries sent"), ["--filter"]);
    assert_eq!(
        flags_under(
            "analyze",
            "Runs, events and errors counted (by the entry that completes them)"
        ),
        ["--filter"]
    );
    for command in ["trace", "export", "analyze", "diff", "list", "view"] {
        assert_eq!(
            flags_under(command, "Redaction"),
            ["--redact", "--redact-key", "--redact-pattern"]
        );
    }
}
