//! The flow as a Graphviz digraph: agents as nodes, each hand-over of the route tally an edge
//! labelled with how many hops took it and how many of those runs failed
//! (`... --format dot | dot -Tsvg`).

use crate::analysis::flow::Flow;
use crate::analysis::hops::HopKind;
use crate::analysis::routes::HopCount;
use crate::text;
use std::collections::HashMap;
use std::io::{self, Write};

/// Widest a name is drawn, in columns.
const LABEL_COLUMNS: usize = 60;

/// Writes the `digraph` of `session`'s flow.
pub fn write_digraph(out: &mut dyn Write, session: &str, flow: &Flow) -> io::Result<()> {
    writeln!(
        out,
        "digraph \"{}\" {{",
        dot_text(
            &format!("agent flow of session {session}"),
            2 * LABEL_COLUMNS
        )
    )?;
    writeln!(out, "    rankdir=LR;")?;
    writeln!(out, "    node [shape=box, style=rounded];")?;
    let mut ids: HashMap<&str, String> = HashMap::new();
    for (i, agent) in flow.participants().into_iter().enumerate() {
        let id = format!("a{}", i + 1);
        let name = flow.agent(agent);
        writeln!(
            out,
            "    {id} [label=\"{}\"];",
            dot_text(name, LABEL_COLUMNS)
        )?;
        ids.insert(name, id);
    }
    let edges = flow.hand_overs();
    if edges
        .iter()
        .any(|e| matches!(e.kind, HopKind::End | HopKind::Failed))
    {
        writeln!(out, "    end_ [label=\"(end)\", shape=plaintext];")?;
    }
    if edges.iter().any(|e| e.kind == HopKind::Unfinished) {
        writeln!(
            out,
            "    unfinished_ [label=\"(unfinished)\", shape=plaintext, fontcolor=gray40];"
        )?;
    }
    let id = |agent: &str| ids.get(agent).map_or("a0", String::as_str);
    for edge in edges {
        let to = match (&edge.to, edge.kind) {
            (Some(agent), _) => id(agent),
            (None, HopKind::Unfinished) => "unfinished_",
            (None, _) => "end_",
        };
        let mut attributes = format!("label=\"{}\"", edge_label(edge));
        if edge.errors > 0 {
            attributes.push_str(", color=red, fontcolor=red");
        }
        if edge.kind == HopKind::Unfinished {
            attributes.push_str(", style=dashed");
        }
        writeln!(out, "    {} -> {to} [{attributes}];", id(&edge.from))?;
    }
    writeln!(out, "}}")
}

/// An edge's label: how many hops took it (an agent's edge to itself counts requeues, or
/// retries), then how many of them failed.
fn edge_label(edge: &HopCount) -> String {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let lines = match edge.kind {
        HopKind::Requeue => [Some(plural(edge.count, "requeue", "requeues")), None],
        HopKind::Retry => [Some(plural(edge.count, "retry", "retries")), None],
        _ => [
            Some(edge.count.to_string()),
            (edge.errors > 0).then(|| plural(edge.errors, "error", "errors")),
        ],
    };
    lines.into_iter().flatten().collect::<Vec<_>>().join("\\n")
}

/// Trace text made safe inside a DOT double-quoted string: control characters made visible,
/// cut to `max` columns, backslashes and quotes escaped (so `\n`, `\N`... stay literal).
pub fn dot_text(s: &str, max: usize) -> String {
    let safe = text::escape(s, false);
    let cut = text::truncate(&safe, max);
    let mut out = String::with_capacity(cut.len() + 2);
    for c in cut.chars() {
        if matches!(c, '\\' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_break_out_of_a_string() {
        assert_eq!(dot_text("planner", 60), "planner");
        assert_eq!(dot_text("a\"b\\N", 60), "a\\\"b\\\\N");
        assert_eq!(dot_text("x\ny\x1b", 60), "x\\\\ny\\\\x1b");
    }
}
