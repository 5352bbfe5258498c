//! `agentcli view`: what it does without a terminal (the screens themselves are tested on
//! ratatui's TestBackend in the library, and in a real terminal by the tmux suite).

use crate::common::Workdir;
use predicates::prelude::*;

#[test]
fn without_a_terminal_view_exits_2_and_points_to_trace() {
    let dir = Workdir::with(&["req-17461590.trace.json"]);
    dir.run(&["view"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("view needs a terminal on stdout"))
        .stderr(predicate::str::contains("agentcli trace SESSION"));
}
