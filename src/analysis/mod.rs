//! Analyses of traces, with no I/O: entries in, results out. [`flow`] follows who handed each
//! request to whom (`trace --flow-only`, `--format mermaid|dot`); the rest is performance.
//!
//! [`Analyzer`] takes one session's entries in file order and produces a [`SessionAnalysis`]
//! (per-agent run statistics, event latency, request chains and the critical path, errors,
//! idle gaps, a timeline), in memory bounded by what is in flight. [`Aggregate`] merges
//! analyses across sessions. [`SessionReport`] and [`AggregateReport`] are the serialisable
//! reports that `trace --analyze`, `analyze` and their JSON output show; [`diff`] compares two
//! session reports (`agentcli diff`).

mod across;
mod chains;
pub mod diff;
pub mod durations;
pub mod flow;
pub mod report;
pub mod routes;
mod session;
pub mod top;

pub use across::{Aggregate, AggregateReport, SessionRow};
pub use durations::{BUCKET_LABELS, Buckets, DurationSummary, Durations, QUANTILE_ERROR};
pub use report::{
    AgentReport, Bottleneck, CriticalPathReport, ErrorGroupReport, ErrorsReport, EventsReport,
    FileInfo, GapReport, GapsReport, HopReport, OpenRunReport, PairingReport, RequestsReport,
    SCHEMA, SessionReport, SlowEventReport, SourcesReport, SummaryReport, TimelineReport,
    TimelineRunReport,
};
pub use session::{
    AgentStats, AnalysisOptions, Analyzer, CriticalPath, DurationSources, ErrorGroup, EventStats,
    Gap, Next, OpenRun, Pairing, PathHop, SessionAnalysis, SlowEvent, Timeline, TimelineRun,
};

use std::collections::HashMap;

/// An agent, by its place in the session's [`Agents`].
pub(crate) type AgentIx = u32;

/// Distinct agents told apart; past this, the rest are counted together (a trace with more
/// agent ids than this is not a trace of agents).
const AGENT_LIMIT: usize = 1000;

/// The name under which agents past [`AGENT_LIMIT`] are counted.
pub const OTHER_AGENTS: &str = "(other agents)";

/// Agent names, each given a small number once.
#[derive(Debug, Default)]
pub(crate) struct Agents {
    names: Vec<String>,
    index: HashMap<String, AgentIx>,
}

impl Agents {
    pub fn intern(&mut self, name: &str) -> AgentIx {
        let name = &*clipped(name);
        if let Some(ix) = self.index.get(name) {
            return *ix;
        }
        let name = if self.names.len() >= AGENT_LIMIT {
            OTHER_AGENTS
        } else {
            name
        };
        if let Some(ix) = self.index.get(name) {
            return *ix;
        }
        let ix = self.names.len() as AgentIx;
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), ix);
        ix
    }

    pub fn name(&self, ix: AgentIx) -> &str {
        self.names.get(ix as usize).map_or("", String::as_str)
    }
}

/// Longest identifier or message kept, in bytes.
const TEXT_LIMIT: usize = 512;

/// An identifier or message kept for later, cut to a bounded length on a character boundary
/// (trace text is untrusted: one id must not hold megabytes).
pub(crate) fn clipped(s: &str) -> Box<str> {
    if s.len() <= TEXT_LIMIT {
        return s.into();
    }
    let mut end = TEXT_LIMIT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].into()
}

#[cfg(test)]
mod tests;
