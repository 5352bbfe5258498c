//! The analysis of one session: entries go in one at a time, in file order; aggregates come
//! out. Runs are paired, events timed, requests followed, errors grouped and idle gaps found
//! as the entries pass, so memory follows what is in flight (open runs and events, chains
//! waiting for their next hop) and the bounded lists a report shows, never the file's size.
//!
//! Pairing rules (TRACE_FORMAT.md): a run is its last `BeforeAgentRun` to the first
//! `AfterAgentRun` or `AgentError` of the same event and agent. The writer's duplicate
//! `BeforeAgentRun` moves the start; its second `AgentError` is a duplicate end, counted and
//! ignored. A start never ended is in progress (or abandoned, when its event was handled).

use super::chains::{Chain, ChainId, Chains, Hop};
use super::durations::Durations;
use super::routes::RoutesReport;
use super::top::TopN;
use super::{AgentIx, Agents, clipped};
use crate::model::{Hook, TraceEntry};
use crate::time::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::Hash;

/// How many runs, events or chains may be open at once before the oldest are given up on.
const OPEN_LIMIT: usize = 1 << 16;
/// How many recently ended runs are remembered to recognise duplicate ends.
const RECENT_LIMIT: usize = 4096;
/// Distinct error messages kept; further messages are counted as ungrouped.
const ERROR_GROUP_LIMIT: usize = 1000;
/// Runs still in progress listed by name; the rest are counted.
const IN_PROGRESS_LISTED: usize = 100;

/// What to keep beyond aggregates.
#[derive(Debug, Clone, Copy)]
pub struct AnalysisOptions {
    /// How many of the slowest events and longest gaps to keep.
    pub top: usize,
    /// How many runs the timeline keeps: all of them up to this many, else the slowest.
    pub timeline_runs: usize,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            top: 5,
            timeline_runs: 60,
        }
    }
}

/// Where a run's duration came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DurationSources {
    /// From the run's hook timestamps (`BeforeAgentRun` to its end).
    pub timestamps: u64,
    /// From `agent_result.duration_ms` (or a sampling logger's `duration`): the run's start
    /// was not in the trace.
    pub reported: u64,
    /// Neither: the run has no duration.
    pub missing: u64,
    /// Runs with both figures.
    pub compared: u64,
    /// Runs whose two figures differ by more than 1 ms and more than 1%.
    pub disagreeing: u64,
    /// The largest difference between the two figures, in nanoseconds.
    pub max_difference_ns: u64,
}

impl DurationSources {
    fn merge(&mut self, o: &DurationSources) {
        self.timestamps += o.timestamps;
        self.reported += o.reported;
        self.missing += o.missing;
        self.compared += o.compared;
        self.disagreeing += o.disagreeing;
        self.max_difference_ns = self.max_difference_ns.max(o.max_difference_ns);
    }
}

/// One agent's runs, aggregated. Mergeable across sessions.
#[derive(Debug, Clone, Default)]
pub struct AgentStats {
    /// Runs ended (by `AfterAgentRun` or `AgentError`).
    pub runs: u64,
    /// Runs that ended in an error.
    pub errors: u64,
    pub durations: Durations,
    pub sources: DurationSources,
    /// Runs that routed back to their own agent with an error.
    pub retries: u64,
    /// Runs that routed back to their own agent without an error.
    pub requeues: u64,
    /// Runs started and not ended when the trace ends.
    pub in_progress: u64,
    /// Runs started and never ended although their event was handled (or given up on to
    /// bound memory).
    pub abandoned: u64,
    /// Runs ended whose start is not in the trace.
    pub without_start: u64,
    /// Runs that ended before they started (clock steps); their duration is not used.
    pub clock_skew: u64,
}

impl AgentStats {
    pub fn merge(&mut self, o: &AgentStats) {
        self.runs += o.runs;
        self.errors += o.errors;
        self.durations.merge(&o.durations);
        self.sources.merge(&o.sources);
        self.retries += o.retries;
        self.requeues += o.requeues;
        self.in_progress += o.in_progress;
        self.abandoned += o.abandoned;
        self.without_start += o.without_start;
        self.clock_skew += o.clock_skew;
    }

    /// Whether anything at all was recorded for the agent.
    fn is_empty(&self) -> bool {
        self.runs + self.in_progress + self.abandoned == 0
    }
}

/// The events of a session (`BeforeEventHandling` to `AfterEventHandling`), aggregated.
#[derive(Debug, Clone, Default)]
pub struct EventStats {
    /// Events handled (ended), whose latency is known.
    pub handled: u64,
    pub latency: Durations,
    /// Events started and not handled when the trace ends.
    pub in_progress: u64,
    /// Events handled whose start is not in the trace.
    pub without_start: u64,
}

impl EventStats {
    pub fn merge(&mut self, o: &EventStats) {
        self.handled += o.handled;
        self.latency.merge(&o.latency);
        self.in_progress += o.in_progress;
        self.without_start += o.without_start;
    }
}

/// One handled event, as the list of slowest events shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlowEvent {
    pub event_id: String,
    /// The agent that handled it.
    pub agent: Option<String>,
    /// Where its run routed next, if anywhere.
    pub route: Option<String>,
    pub error: bool,
    pub started: Timestamp,
    pub latency_ns: u64,
}

/// One error message and who raised it.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorGroup {
    pub message: String,
    pub count: u64,
    /// Agents and how often each raised it, by name.
    pub agents: BTreeMap<String, u64>,
    pub first: Timestamp,
    pub last: Timestamp,
}

impl ErrorGroup {
    pub fn merge(&mut self, o: &ErrorGroup) {
        self.count += o.count;
        for (agent, n) in &o.agents {
            *self.agents.entry(agent.clone()).or_default() += n;
        }
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
    }
}

/// A time during which no agent run was open.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub start: Timestamp,
    pub end: Timestamp,
    /// The agent whose run ended when the gap began (none at the session's start).
    pub after: Option<String>,
    /// The agent whose run ended the gap (none at the trace's end).
    pub before: Option<String>,
}

impl Gap {
    pub fn ns(&self) -> u64 {
        nanos_between(self.start, self.end).unwrap_or(0)
    }
}

/// One run as the timeline (waterfall) draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRun {
    pub agent: String,
    pub event_id: String,
    pub start: Timestamp,
    /// The run's end, or the trace's last entry for a run still in progress.
    pub end: Timestamp,
    pub error: bool,
    pub in_progress: bool,
}

impl TimelineRun {
    pub fn ns(&self) -> u64 {
        nanos_between(self.start, self.end).unwrap_or(0)
    }
}

/// The runs the timeline shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// The runs kept, by start time.
    pub runs: Vec<TimelineRun>,
    /// Runs there were in all (selected, including those in progress).
    pub total: u64,
    /// The session had more runs than kept, and these are the slowest.
    pub slowest_only: bool,
}

/// A run started and not ended when the trace ends.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenRun {
    pub agent: String,
    pub event_id: String,
    pub started: Timestamp,
}

/// How the entries paired up: the writer's known duplicates and everything unpaired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pairing {
    /// `BeforeAgentRun` entries for a run already started (the writer writes two per run).
    pub duplicate_starts: u64,
    /// `AgentError` / `AfterAgentRun` entries for a run already ended (the writer writes
    /// two `AgentError`s per failure).
    pub duplicate_ends: u64,
    /// `BeforeEventHandling` entries for an event already started.
    pub duplicate_event_starts: u64,
}

impl Pairing {
    pub fn merge(&mut self, o: &Pairing) {
        self.duplicate_starts += o.duplicate_starts;
        self.duplicate_ends += o.duplicate_ends;
        self.duplicate_event_starts += o.duplicate_event_starts;
    }
}

/// The slowest request: its hops, each with the time it waited and ran.
#[derive(Debug, Clone, PartialEq)]
pub struct CriticalPath {
    pub root_event: String,
    pub started: Timestamp,
    pub total_ns: u64,
    /// The request ended (its last run routed nowhere); otherwise the trace cut it off.
    pub complete: bool,
    pub hops: Vec<PathHop>,
    /// Hops beyond those kept.
    pub hops_not_shown: u64,
}

/// One hop of a critical path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathHop {
    pub agent: String,
    pub event_id: String,
    /// The run's start, when the trace has it.
    pub started: Option<Timestamp>,
    /// From the previous hop's end (or the request's start) to this run's start.
    pub wait_ns: Option<u64>,
    pub run_ns: Option<u64>,
    pub error: bool,
    /// What came next: an agent, `(end)`, or what the trace does not show.
    pub next: Next,
}

/// What followed a hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// The next hop's agent.
    Agent(String),
    /// The run routed nowhere: the request ended.
    End,
    /// The run routed to this agent, but the trace ends before its run.
    NotSeen(String),
    /// The run failed, and no error handler's run follows in the trace.
    Failed,
}

/// Everything the analysis of one session found. Aggregates merge across sessions
/// (`agentcli analyze`); the lists are the session's own.
#[derive(Debug, Clone, Default)]
pub struct SessionAnalysis {
    /// The first and last selected entries' times (the earliest and latest, whatever the
    /// order they were written in).
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Entries selected (all of them, without a filter).
    pub entries: u64,
    pub agents: BTreeMap<String, AgentStats>,
    pub events: EventStats,
    /// The slowest events, slowest first.
    pub slowest_events: Vec<SlowEvent>,
    /// Requests (chains of hops) that ended, and their end-to-end times.
    pub requests: u64,
    pub requests_unfinished: u64,
    pub request_latency: Durations,
    pub critical_path: Option<CriticalPath>,
    /// Error messages, most frequent first.
    pub errors: Vec<ErrorGroup>,
    /// Errors not grouped because there were too many distinct messages.
    pub errors_ungrouped: u64,
    /// The longest idle gaps, longest first.
    pub gaps: Vec<Gap>,
    pub gap_count: u64,
    pub idle_ns: u64,
    /// Runs in progress at the end, oldest first (at most a hundred listed).
    pub in_progress: Vec<OpenRun>,
    pub timeline: Timeline,
    pub pairing: Pairing,
    /// The routes the requests took.
    pub routes: RoutesReport,
}

impl SessionAnalysis {
    /// From the first to the last entry, in nanoseconds.
    pub fn span_ns(&self) -> u64 {
        match (self.first, self.last) {
            (Some(first), Some(last)) => nanos_between(first, last).unwrap_or(0),
            _ => 0,
        }
    }

    /// Runs ended, over all agents.
    pub fn runs(&self) -> u64 {
        self.agents.values().map(|a| a.runs).sum()
    }

    /// Runs that ended in an error, over all agents.
    pub fn errors(&self) -> u64 {
        self.agents.values().map(|a| a.errors).sum()
    }
}

/// Feeds on a session's entries and produces its [`SessionAnalysis`].
pub struct Analyzer {
    agents: Agents,
    stats: Vec<AgentStats>,
    runs: Open<(Box<str>, AgentIx), OpenRunState>,
    ended: Recent<(Box<str>, AgentIx)>,
    events: Open<Box<str>, OpenEvent>,
    event_stats: EventStats,
    slowest_events: TopN<SlowEventState>,
    chains: Chains,
    errors: HashMap<Box<str>, ErrorState>,
    errors_ungrouped: u64,
    gaps: GapTracker,
    timeline: TimelineKeeper,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    /// The last entry in file order, and whether it was selected.
    latest: Option<(Timestamp, bool)>,
    entries: u64,
    pairing: Pairing,
}

#[derive(Debug, Clone)]
struct OpenRunState {
    start: Timestamp,
    chain: ChainId,
    selected: bool,
}

#[derive(Debug, Clone)]
struct OpenEvent {
    start: Timestamp,
    /// Its start entry was selected.
    selected: bool,
    agent: Option<AgentIx>,
    route: Option<AgentIx>,
    error: bool,
}

#[derive(Debug, Clone)]
struct SlowEventState {
    event_id: Box<str>,
    agent: Option<AgentIx>,
    route: Option<AgentIx>,
    error: bool,
    started: Timestamp,
    latency_ns: u64,
}

#[derive(Debug, Clone)]
struct ErrorState {
    count: u64,
    agents: BTreeMap<AgentIx, u64>,
    first: Timestamp,
    last: Timestamp,
    order: u64,
}

/// A run as it ends, before it is recorded.
struct EndedRun {
    agent: AgentIx,
    event_id: Box<str>,
    start: Option<Timestamp>,
    end: Timestamp,
    measured_ns: Option<i64>,
    reported_ms: Option<f64>,
    error: Option<Box<str>>,
    route: Option<AgentIx>,
}

impl Analyzer {
    pub fn new(opts: AnalysisOptions) -> Analyzer {
        Analyzer {
            agents: Agents::default(),
            stats: Vec::new(),
            runs: Open::new(OPEN_LIMIT),
            ended: Recent::new(RECENT_LIMIT),
            events: Open::new(OPEN_LIMIT),
            event_stats: EventStats::default(),
            slowest_events: TopN::new(opts.top),
            chains: Chains::new(OPEN_LIMIT),
            errors: HashMap::new(),
            errors_ungrouped: 0,
            gaps: GapTracker::new(opts.top),
            timeline: TimelineKeeper::new(opts.timeline_runs),
            first: None,
            last: None,
            latest: None,
            entries: 0,
            pairing: Pairing::default(),
        }
    }

    /// Takes the next entry in file order. `selected` says whether it passes the user's
    /// filter: a run, event, gap or error is counted when the entry that completes it is
    /// selected, and pairing always sees every entry.
    pub fn add(&mut self, e: &TraceEntry<'_>, selected: bool) {
        let at = e.timestamp;
        if self.latest.is_none() {
            self.gaps.begin(at);
        }
        self.latest = Some((at, selected));
        if selected {
            self.entries += 1;
            self.first = Some(self.first.map_or(at, |f| f.min(at)));
            self.last = Some(self.last.map_or(at, |l| l.max(at)));
        }
        match e.hook {
            Hook::BeforeEventHandling => self.event_started(e, selected),
            Hook::BeforeAgentRun => self.run_started(e, selected),
            Hook::AfterAgentRun | Hook::AgentError => self.run_ended(e, selected),
            Hook::AfterEventHandling => self.event_handled(e, selected),
            // A sampling logger's entry: one whole run, with its duration.
            _ if e.duration_ns.is_some() && !e.agent_id.is_empty() => self.sampled_run(e, selected),
            _ => {}
        }
    }

    fn agent(&mut self, name: &str) -> AgentIx {
        let ix = self.agents.intern(name);
        if self.stats.len() <= ix as usize {
            self.stats.resize_with(ix as usize + 1, AgentStats::default);
        }
        ix
    }

    fn optional_agent(&mut self, name: &str) -> Option<AgentIx> {
        (!name.is_empty()).then(|| self.agent(name))
    }

    fn event_started(&mut self, e: &TraceEntry<'_>, selected: bool) {
        let event_id = clipped(&e.event_id);
        let source = self.optional_agent(&e.source_agent_id);
        let target = self.optional_agent(&e.target_agent_id);
        self.chains
            .for_event(&event_id, source, target, e.timestamp);
        if let Some(open) = self.events.get_mut(&event_id) {
            self.pairing.duplicate_event_starts += u64::from(selected);
            open.start = e.timestamp;
            open.selected = selected;
            return;
        }
        // Events given up on to bound memory are neither handled nor in progress: they are
        // dropped, which only a trace with tens of thousands of events in flight sees.
        let _given_up = self.events.insert(
            event_id,
            OpenEvent {
                start: e.timestamp,
                selected,
                agent: None,
                route: None,
                error: false,
            },
        );
    }

    fn run_started(&mut self, e: &TraceEntry<'_>, selected: bool) {
        let agent = self.agent(&e.agent_id);
        let key = (clipped(&e.event_id), agent);
        if let Some(open) = self.runs.get_mut(&key) {
            self.pairing.duplicate_starts += u64::from(selected);
            open.start = e.timestamp;
            open.selected = selected;
            return;
        }
        let source = self.optional_agent(&e.source_agent_id);
        let chain = self
            .chains
            .for_event(&key.0, source, Some(agent), e.timestamp);
        self.gaps.run_started(e.timestamp, agent, selected);
        let evicted = self.runs.insert(
            key,
            OpenRunState {
                start: e.timestamp,
                chain,
                selected,
            },
        );
        for ((_, agent), given_up) in evicted {
            self.abandon(agent, given_up.selected);
        }
    }

    /// A run started and will never end (its event was handled, or it was given up on);
    /// counted when `selected`.
    fn abandon(&mut self, agent: AgentIx, selected: bool) {
        self.stats[agent as usize].abandoned += u64::from(selected);
        self.gaps.run_gone();
    }

    fn run_ended(&mut self, e: &TraceEntry<'_>, selected: bool) {
        let agent = self.agent(&e.agent_id);
        let key = (clipped(&e.event_id), agent);
        let open = self.runs.remove(&key);
        if open.is_none() && self.ended.contains(&key) {
            self.pairing.duplicate_ends += u64::from(selected);
            return;
        }
        let error = e
            .error_message()
            .map(clipped)
            .or_else(|| (e.hook == Hook::AgentError).then(|| "(no message)".into()));
        let route = e.route().map(|r| self.agent(&r));
        let ended = EndedRun {
            agent,
            event_id: key.0.clone(),
            start: open.as_ref().map(|o| o.start),
            end: e.timestamp,
            measured_ns: open
                .as_ref()
                .map(|o| e.timestamp.unix_nanos.saturating_sub(o.start.unix_nanos)),
            reported_ms: e.reported_duration_ms(),
            error,
            route,
        };
        if let Some(open) = &open {
            self.gaps.run_ended(e.timestamp, agent);
            let hop = Hop {
                agent,
                event_id: key.0.clone(),
                start: Some(open.start),
                end: e.timestamp,
                error: ended.error.is_some(),
                route,
            };
            self.chains.run_ended(open.chain, hop, selected);
        }
        if let Some(event) = self.events.get_mut(&key.0) {
            event.agent = Some(agent);
            event.route = route;
            event.error |= ended.error.is_some();
        }
        self.ended.insert(key);
        if selected {
            self.record_run(ended);
        }
    }

    fn sampled_run(&mut self, e: &TraceEntry<'_>, selected: bool) {
        if !selected {
            return;
        }
        let agent = self.agent(&e.agent_id);
        let reported_ms = e.reported_duration_ms();
        let error = e.error_message().map(clipped);
        let start = reported_ms
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(|ms| shifted(e.timestamp, (ms * 1e6) as u64));
        self.record_run(EndedRun {
            agent,
            event_id: clipped(&e.event_id),
            start,
            end: e.timestamp,
            measured_ns: None,
            reported_ms,
            error,
            route: None,
        });
    }

    fn record_run(&mut self, run: EndedRun) {
        let stats = &mut self.stats[run.agent as usize];
        stats.runs += 1;
        let duration_ns = match (run.measured_ns, run.reported_ms) {
            (Some(measured), _) if measured < 0 => {
                stats.clock_skew += 1;
                stats.sources.missing += 1;
                None
            }
            (Some(measured), reported) => {
                let measured = measured as u64;
                stats.sources.timestamps += 1;
                if let Some(reported) = reported {
                    let reported_ns = (reported.max(0.0) * 1e6) as u64;
                    let difference = measured.abs_diff(reported_ns);
                    stats.sources.compared += 1;
                    stats.sources.max_difference_ns =
                        stats.sources.max_difference_ns.max(difference);
                    if difference > 1_000_000 && difference as f64 > 0.01 * measured as f64 {
                        stats.sources.disagreeing += 1;
                    }
                }
                Some(measured)
            }
            (None, Some(reported)) if reported >= 0.0 && reported.is_finite() => {
                stats.sources.reported += 1;
                Some((reported * 1e6) as u64)
            }
            (None, _) => {
                stats.sources.missing += 1;
                None
            }
        };
        if run.start.is_none() {
            stats.without_start += 1;
        }
        if let Some(ns) = duration_ns {
            stats.durations.record(ns);
        }
        if run.route == Some(run.agent) {
            if run.error.is_some() {
                stats.retries += 1;
            } else {
                stats.requeues += 1;
            }
        }
        if let Some(message) = &run.error {
            stats.errors += 1;
            self.group_error(message, run.agent, run.end);
        }
        let start = run
            .start
            .filter(|s| *s <= run.end)
            .or_else(|| duration_ns.map(|ns| shifted(run.end, ns)));
        if let Some(start) = start {
            self.timeline.push(TimelineState {
                agent: run.agent,
                event_id: run.event_id,
                start,
                end: run.end,
                error: run.error.is_some(),
                in_progress: false,
            });
        }
    }

    fn group_error(&mut self, message: &str, agent: AgentIx, at: Timestamp) {
        let order = self.errors.len() as u64;
        if !self.errors.contains_key(message) && self.errors.len() >= ERROR_GROUP_LIMIT {
            self.errors_ungrouped += 1;
            return;
        }
        let group = self.errors.entry(message.into()).or_insert(ErrorState {
            count: 0,
            agents: BTreeMap::new(),
            first: at,
            last: at,
            order,
        });
        group.count += 1;
        *group.agents.entry(agent).or_default() += 1;
        group.first = group.first.min(at);
        group.last = group.last.max(at);
    }

    fn event_handled(&mut self, e: &TraceEntry<'_>, selected: bool) {
        let event_id = clipped(&e.event_id);
        self.chains.event_ended(&event_id);
        let handler = self.optional_agent(&e.agent_id);
        // A run of this event that never ended will not end now.
        if let Some(agent) = handler
            && self.runs.remove(&(event_id.clone(), agent)).is_some()
        {
            self.abandon(agent, selected);
        }
        let open = self.events.remove(&event_id);
        if !selected {
            return;
        }
        let Some(open) = open else {
            self.event_stats.without_start += 1;
            return;
        };
        let Some(latency_ns) = nanos_between(open.start, e.timestamp) else {
            return;
        };
        self.event_stats.handled += 1;
        self.event_stats.latency.record(latency_ns);
        self.slowest_events.push(
            latency_ns,
            SlowEventState {
                event_id,
                agent: open.agent.or(handler),
                route: open.route,
                error: open.error,
                started: open.start,
                latency_ns,
            },
        );
    }

    /// Ends the analysis: what is still open is counted as in progress.
    pub fn finish(mut self) -> SessionAnalysis {
        let latest = self.latest;
        let open_runs = self.runs.drain();
        let mut in_progress = Vec::new();
        for ((event_id, agent), open) in open_runs {
            if !open.selected {
                continue;
            }
            self.stats[agent as usize].in_progress += 1;
            if in_progress.len() < IN_PROGRESS_LISTED {
                in_progress.push(OpenRun {
                    agent: self.agents.name(agent).to_owned(),
                    event_id: event_id.to_string(),
                    started: open.start,
                });
            }
            if let Some((last, _)) = latest {
                self.timeline.push(TimelineState {
                    agent,
                    event_id,
                    start: open.start,
                    end: last.max(open.start),
                    error: false,
                    in_progress: true,
                });
            }
        }
        self.event_stats.in_progress = self
            .events
            .drain()
            .iter()
            .filter(|(_, open)| open.selected)
            .count() as u64;
        if let Some((last, selected)) = latest {
            self.gaps.end(last, selected);
        }

        let names = &self.agents;
        let agent_name = |ix: AgentIx| names.name(ix).to_owned();
        let agents = self
            .stats
            .into_iter()
            .enumerate()
            .filter(|(_, s)| !s.is_empty())
            .map(|(ix, s)| (agent_name(ix as AgentIx), s))
            .collect();
        let slowest_events = self
            .slowest_events
            .into_sorted_vec()
            .into_iter()
            .map(|s| SlowEvent {
                event_id: s.event_id.into(),
                agent: s.agent.map(agent_name),
                route: s.route.map(agent_name),
                error: s.error,
                started: s.started,
                latency_ns: s.latency_ns,
            })
            .collect();
        let mut errors: Vec<(u64, ErrorGroup)> = self
            .errors
            .into_iter()
            .map(|(message, g)| {
                let group = ErrorGroup {
                    message: message.into(),
                    count: g.count,
                    agents: g
                        .agents
                        .into_iter()
                        .map(|(a, n)| (agent_name(a), n))
                        .collect(),
                    first: g.first,
                    last: g.last,
                };
                (g.order, group)
            })
            .collect();
        errors.sort_by(|(oa, a), (ob, b)| b.count.cmp(&a.count).then(oa.cmp(ob)));
        let chains = self.chains.finish();
        let gap_count = self.gaps.count;
        let idle_ns = self.gaps.idle_ns;
        let gaps = self
            .gaps
            .top
            .into_sorted_vec()
            .into_iter()
            .map(|g| Gap {
                start: g.start,
                end: g.end,
                after: g.after.map(agent_name),
                before: g.before.map(agent_name),
            })
            .collect();
        let (timeline_runs, total, slowest_only) = self.timeline.finish();
        let timeline = Timeline {
            runs: timeline_runs
                .into_iter()
                .map(|r| TimelineRun {
                    agent: agent_name(r.agent),
                    event_id: r.event_id.into(),
                    start: r.start,
                    end: r.end,
                    error: r.error,
                    in_progress: r.in_progress,
                })
                .collect(),
            total,
            slowest_only,
        };
        SessionAnalysis {
            first: self.first,
            last: self.last,
            entries: self.entries,
            agents,
            events: self.event_stats,
            slowest_events,
            requests: chains.completed,
            requests_unfinished: chains.unfinished,
            request_latency: chains.latency,
            critical_path: chains.slowest.map(|c| critical_path(c, names)),
            routes: chains.routes.finish(names),
            errors: errors.into_iter().map(|(_, g)| g).collect(),
            errors_ungrouped: self.errors_ungrouped,
            gaps,
            gap_count,
            idle_ns,
            in_progress,
            timeline,
            pairing: self.pairing,
        }
    }
}

fn critical_path(chain: Chain, names: &Agents) -> CriticalPath {
    let total_ns = chain.total_ns();
    let mut hops = Vec::with_capacity(chain.hops.len());
    let mut previous_end = chain.start;
    let last = chain.hops.len().saturating_sub(1);
    for (i, hop) in chain.hops.iter().enumerate() {
        let next = match chain.hops.get(i + 1) {
            Some(following) => Next::Agent(names.name(following.agent).to_owned()),
            None if i == last && chain.hops_dropped > 0 => Next::NotSeen("…".to_owned()),
            None if hop.error => Next::Failed,
            None => match hop.route {
                Some(route) if !chain.complete => Next::NotSeen(names.name(route).to_owned()),
                _ => Next::End,
            },
        };
        hops.push(PathHop {
            agent: names.name(hop.agent).to_owned(),
            event_id: hop.event_id.to_string(),
            started: hop.start,
            wait_ns: hop.start.and_then(|s| nanos_between(previous_end, s)),
            run_ns: hop.start.and_then(|s| nanos_between(s, hop.end)),
            error: hop.error,
            next,
        });
        previous_end = hop.end;
    }
    CriticalPath {
        root_event: chain.root_event.into(),
        started: chain.start,
        total_ns,
        complete: chain.complete,
        hops,
        hops_not_shown: chain.hops_dropped,
    }
}

/// Nanoseconds from `a` to `b`, when `b` is not earlier.
fn nanos_between(a: Timestamp, b: Timestamp) -> Option<u64> {
    u64::try_from(b.unix_nanos.checked_sub(a.unix_nanos)?).ok()
}

/// `at` moved back by `ns`.
fn shifted(at: Timestamp, ns: u64) -> Timestamp {
    Timestamp {
        unix_nanos: at
            .unix_nanos
            .saturating_sub(i64::try_from(ns).unwrap_or(i64::MAX)),
        offset_secs: at.offset_secs,
    }
}

/// Things started and not yet ended, in start order, at most `limit` of them: past that the
/// older half is given up on, so a trace whose ends are missing cannot exhaust memory.
struct Open<K, V> {
    map: HashMap<K, (u64, V)>,
    next: u64,
    limit: usize,
}

impl<K: Hash + Eq + Clone, V> Open<K, V> {
    fn new(limit: usize) -> Self {
        Open {
            map: HashMap::new(),
            next: 0,
            limit,
        }
    }

    /// Inserts, and returns what was given up on to make room.
    fn insert(&mut self, key: K, value: V) -> Vec<(K, V)> {
        let mut evicted = Vec::new();
        if self.map.len() >= self.limit {
            let mut order: Vec<u64> = self.map.values().map(|(n, _)| *n).collect();
            let middle = order.len() / 2;
            let (_, cut, _) = order.select_nth_unstable(middle);
            let cut = *cut;
            let old: Vec<K> = self
                .map
                .iter()
                .filter(|(_, (n, _))| *n <= cut)
                .map(|(k, _)| k.clone())
                .collect();
            for k in old {
                if let Some((_, v)) = self.map.remove(&k) {
                    evicted.push((k, v));
                }
            }
        }
        self.map.insert(key, (self.next, value));
        self.next += 1;
        evicted
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.map.get_mut(key).map(|(_, v)| v)
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(key).map(|(_, v)| v)
    }

    /// Everything left, in start order.
    fn drain(&mut self) -> Vec<(K, V)> {
        let mut all: Vec<(u64, K, V)> = self.map.drain().map(|(k, (n, v))| (n, k, v)).collect();
        all.sort_unstable_by_key(|(n, _, _)| *n);
        all.into_iter().map(|(_, k, v)| (k, v)).collect()
    }
}

/// The last `limit` keys seen, to recognise a duplicate end.
struct Recent<K> {
    order: VecDeque<K>,
    set: HashSet<K>,
    limit: usize,
}

impl<K: Hash + Eq + Clone> Recent<K> {
    fn new(limit: usize) -> Self {
        Recent {
            order: VecDeque::new(),
            set: HashSet::new(),
            limit,
        }
    }

    fn insert(&mut self, key: K) {
        if !self.set.insert(key.clone()) {
            return;
        }
        self.order.push_back(key);
        if self.order.len() > self.limit
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
    }

    fn contains(&self, key: &K) -> bool {
        self.set.contains(key)
    }
}

/// Finds the times when no run is open.
struct GapTracker {
    open_runs: u64,
    /// Since when no run has been open, and whose run ended then.
    idle_since: Option<(Timestamp, Option<AgentIx>)>,
    top: TopN<GapState>,
    count: u64,
    idle_ns: u64,
}

#[derive(Debug, Clone)]
struct GapState {
    start: Timestamp,
    end: Timestamp,
    after: Option<AgentIx>,
    before: Option<AgentIx>,
}

impl GapTracker {
    fn new(top: usize) -> Self {
        GapTracker {
            open_runs: 0,
            idle_since: None,
            top: TopN::new(top),
            count: 0,
            idle_ns: 0,
        }
    }

    fn begin(&mut self, at: Timestamp) {
        self.idle_since = Some((at, None));
    }

    fn record(&mut self, end: Timestamp, before: Option<AgentIx>, selected: bool) {
        if let Some((start, after)) = self.idle_since.take()
            && selected
            && let Some(ns) = nanos_between(start, end).filter(|ns| *ns > 0)
        {
            self.count += 1;
            self.idle_ns += ns;
            self.top.push(
                ns,
                GapState {
                    start,
                    end,
                    after,
                    before,
                },
            );
        }
    }

    fn run_started(&mut self, at: Timestamp, agent: AgentIx, selected: bool) {
        if self.open_runs == 0 {
            self.record(at, Some(agent), selected);
        }
        self.open_runs += 1;
    }

    fn run_ended(&mut self, at: Timestamp, agent: AgentIx) {
        self.open_runs = self.open_runs.saturating_sub(1);
        if self.open_runs == 0 {
            self.idle_since = Some((at, Some(agent)));
        }
    }

    /// A run that will never end: it no longer keeps the session busy. When it was the last
    /// open run, the time since it started is not known to be idle, so no gap starts.
    fn run_gone(&mut self) {
        self.open_runs = self.open_runs.saturating_sub(1);
    }

    fn end(&mut self, last: Timestamp, selected: bool) {
        if self.open_runs == 0 {
            self.record(last, None, selected);
        }
    }
}

#[derive(Debug, Clone)]
struct TimelineState {
    agent: AgentIx,
    event_id: Box<str>,
    start: Timestamp,
    end: Timestamp,
    error: bool,
    in_progress: bool,
}

/// Keeps every run up to a limit; past it, the slowest runs.
struct TimelineKeeper {
    limit: usize,
    all: Vec<TimelineState>,
    slowest: Option<TopN<TimelineState>>,
    total: u64,
}

impl TimelineKeeper {
    fn new(limit: usize) -> Self {
        TimelineKeeper {
            limit,
            all: Vec::new(),
            slowest: None,
            total: 0,
        }
    }

    fn push(&mut self, run: TimelineState) {
        self.total += 1;
        let ns = nanos_between(run.start, run.end).unwrap_or(0);
        if let Some(top) = &mut self.slowest {
            top.push(ns, run);
        } else if self.all.len() < self.limit {
            self.all.push(run);
        } else {
            let mut top = TopN::new(self.limit);
            for kept in self.all.drain(..) {
                let kept_ns = nanos_between(kept.start, kept.end).unwrap_or(0);
                top.push(kept_ns, kept);
            }
            top.push(ns, run);
            self.slowest = Some(top);
        }
    }

    /// The runs kept, by start time; how many there were; whether only the slowest are kept.
    fn finish(self) -> (Vec<TimelineState>, u64, bool) {
        let slowest_only = self.slowest.is_some();
        let mut runs = match self.slowest {
            Some(top) => top.into_sorted_vec(),
            None => self.all,
        };
        runs.sort_by_key(|r| (r.start, r.end));
        (runs, self.total, slowest_only)
    }
}
