//! The flow as a Mermaid sequence diagram: in a ```` ```mermaid ```` block of a Markdown file on
//! a code-hosting site it is shown drawn. Agents are participants in order of first
//! appearance, each hop one message (a failure sent to the error handler dashed), errors and
//! ends of requests as notes.

use crate::analysis::AgentIx;
use crate::analysis::flow::Flow;
use crate::analysis::hops::HopKind;
use crate::text;
use std::collections::HashMap;
use std::io::{self, Write};

/// Widest a name or label is drawn, in columns.
const LABEL_COLUMNS: usize = 60;
/// Widest an error message is drawn, in columns.
const ERROR_COLUMNS: usize = 100;

/// Writes the `sequenceDiagram` of `session`'s flow.
pub fn write_sequence_diagram(out: &mut dyn Write, session: &str, flow: &Flow) -> io::Result<()> {
    writeln!(out, "sequenceDiagram")?;
    writeln!(
        out,
        "    %% agent flow of session {}",
        mermaid_text(session, LABEL_COLUMNS)
    )?;
    let mut ids: HashMap<AgentIx, usize> = HashMap::new();
    for (i, agent) in flow.participants().into_iter().enumerate() {
        ids.insert(agent, i + 1);
        writeln!(
            out,
            "    participant A{} as {}",
            i + 1,
            mermaid_text(flow.agent(agent), LABEL_COLUMNS)
        )?;
    }
    let id = |agent: AgentIx| ids.get(&agent).copied().unwrap_or(0);
    for hop in flow.hops() {
        let from = id(hop.agent());
        let label = flow.request_label(flow.request_of(hop));
        let request = if label.is_empty() {
            "(no event id)".to_owned()
        } else {
            mermaid_text(&label, LABEL_COLUMNS)
        };
        if let Some(error) = flow.error(hop) {
            writeln!(
                out,
                "    Note over A{from}: error: {}",
                mermaid_text(error, ERROR_COLUMNS)
            )?;
        }
        let to = hop.hands_to().map_or(0, id);
        let (arrow, label) = match hop.kind() {
            HopKind::Requeue => ("->>", format!("requeue ({request})")),
            HopKind::Retry => ("->>", format!("retry ({request})")),
            HopKind::Failure => ("-->>", format!("failure ({request})")),
            HopKind::Route => ("->>", request),
            HopKind::Unfinished => {
                writeln!(
                    out,
                    "    Note right of A{from}: unfinished when the trace ends ({request})"
                )?;
                continue;
            }
            HopKind::End | HopKind::Failed => {
                writeln!(out, "    Note right of A{from}: end of {request}")?;
                continue;
            }
        };
        writeln!(out, "    A{from}{arrow}A{to}: {label}")?;
    }
    Ok(())
}

/// Trace text made safe for a Mermaid label: control characters made visible, cut to `max`
/// columns, and every character Mermaid gives a meaning to written as an entity (`#59;`).
pub fn mermaid_text(s: &str, max: usize) -> String {
    let safe = text::escape(s, false);
    let cut = text::truncate(&safe, max);
    let mut out = String::with_capacity(cut.len());
    for c in cut.chars() {
        match c {
            '#' | ';' | '<' | '>' | '"' | '%' | '&' | '{' | '}' => {
                out.push_str(&format!("#{};", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_break_out_of_a_label() {
        assert_eq!(mermaid_text("plain name", 60), "plain name");
        assert_eq!(
            mermaid_text("a;b#c<br>\"d\"%%{e}&", 60),
            "a#59;b#35;c#60;br#62;#34;d#34;#37;#37;#123;e#125;#38;"
        );
        assert_eq!(
            mermaid_text("line\nbreak\x1b[31m", 60),
            "line\\nbreak\\x1b[31m"
        );
        assert_eq!(mermaid_text("日本語テキスト", 7), "日本語…");
    }
}
