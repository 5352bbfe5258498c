//! Analyses of traces, with no I/O: entries in, results out.
//!
//! Four modules decide what every view is built on: [`runs`] pairs a session's entries into
//! agent runs and events (the writer's duplicates counted once; the one event count and the
//! one failed-run test), [`links`] links each new event to the run it continues (a route, or a
//! failure sent to the error handler), so every run belongs to a request, [`hops`] is the one
//! hop rule (each run's [`Next`] and [`hops::HopKind`], an unfinished run included), and
//! [`routes`] the one route tally. On top of them, [`flow`] keeps every hop for the flow view
//! (`trace --flow-only`, `--format mermaid|dot`), and the rest is
//! performance: [`Analyzer`] takes one session's entries in file order and produces a
//! [`SessionAnalysis`] (per-agent run statistics, event latency, request chains and the
//! critical path, errors, idle gaps, a timeline), in memory bounded by what is in flight.
//! [`Aggregate`] merges analyses across sessions. [`SessionReport`] and [`AggregateReport`]
//! are the serialisable reports that `trace --analyze`, `analyze` and their JSON output show;
//! [`diff`] compares two session reports (`agentcli diff`).

mod across;
mod chains;
mod compact;
pub mod diff;
pub mod durations;
pub mod flow;
pub mod hops;
pub(crate) mod links;
pub mod metrics;
pub mod report;
pub mod routes;
pub(crate) mod runs;
mod session;
pub mod top;

pub use across::{Aggregate, AggregateReport, SessionRow};
pub use durations::{BUCKET_LABELS, Buckets, DurationSummary, Durations, QUANTILE_ERROR};
pub use links::{ERROR_HANDLER, Next};
pub use metrics::{MetricOptions, MetricReport, MetricSelection, MetricTotal};
pub use report::{
    AgentReport, Bottleneck, CriticalPathReport, ErrorGroupReport, ErrorsReport, EventsReport,
    FileInfo, GapReport, GapsReport, HopReport, OpenRunReport, PairingReport, RequestsReport,
    SCHEMA, SessionReport, SlowEventReport, SourcesReport, SummaryReport, TimelineReport,
    TimelineRunReport,
};
pub use session::{
    AgentStats, AnalysisOptions, Analyzer, CriticalPath, DurationSources, ErrorGroup, EventStats,
    Gap, OpenRun, Pairing, PathHop, SessionAnalysis, SlowEvent, Timeline, TimelineRun,
};

use foldhash::{HashMap, HashMapExt};

/// An agent, by its place in the session's [`Agents`] (the order agents were first met).
pub type AgentIx = u32;

/// Distinct agents an analysis tells apart; past this, the rest are counted together (a
/// trace with more agent ids than this is not a trace of agents).
const AGENT_LIMIT: usize = 1000;

/// The name under which agents past the analysis's limit are counted.
pub const OTHER_AGENTS: &str = "(other agents)";

/// Agent names, each given a small number once.
#[derive(Debug)]
pub(crate) struct Agents {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, AgentIx>,
    /// Names are clipped and agents past [`AGENT_LIMIT`] counted as [`OTHER_AGENTS`]: for
    /// aggregates, whose memory must not follow the input. The flow view keeps every name
    /// whole, as it shows them.
    bounded: bool,
}

impl Agents {
    /// Every agent told apart, names whole.
    pub fn all() -> Agents {
        Agents {
            names: Vec::new(),
            index: HashMap::new(),
            bounded: false,
        }
    }

    /// At most [`AGENT_LIMIT`] agents told apart, names clipped: for aggregates.
    pub fn bounded() -> Agents {
        Agents {
            bounded: true,
            ..Agents::all()
        }
    }

    /// The agent's number, given now if the name is new.
    pub fn intern(&mut self, name: &str) -> AgentIx {
        let name = if self.bounded { clip(name) } else { name };
        if let Some(ix) = self.index.get(name) {
            return *ix;
        }
        let name = if self.bounded && self.names.len() >= AGENT_LIMIT {
            OTHER_AGENTS
        } else {
            name
        };
        if let Some(ix) = self.index.get(name) {
            return *ix;
        }
        let ix = AgentIx::try_from(self.names.len()).unwrap_or(AgentIx::MAX);
        self.names.push(name.into());
        self.index.insert(name.into(), ix);
        ix
    }

    /// The agent's number, if it has one.
    pub fn get(&self, name: &str) -> Option<AgentIx> {
        let name = if self.bounded { clip(name) } else { name };
        self.index.get(name).copied()
    }

    /// An agent's name, as written in the trace (untrusted: escape before printing).
    pub fn name(&self, ix: AgentIx) -> &str {
        self.names.get(ix as usize).map_or("", |n| &**n)
    }

    /// How many agents have a number.
    pub fn count(&self) -> usize {
        self.names.len()
    }
}

/// Longest identifier or message kept, in bytes.
const TEXT_LIMIT: usize = 512;

/// `s` cut to a bounded length on a character boundary (trace text is untrusted: one id must
/// not hold megabytes).
pub(crate) fn clip(s: &str) -> &str {
    if s.len() <= TEXT_LIMIT {
        return s;
    }
    let mut end = TEXT_LIMIT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// An identifier or message kept for later, [`clip`]ped.
pub(crate) fn clipped(s: &str) -> Box<str> {
    clip(s).into()
}

#[cfg(test)]
mod tests;
