//! The committed completion scripts are those the binary generates.

use crate::common::agentcli;
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
