//! The analysis of one session: entries go in one at a time, in file order; aggregates come
//! out. Runs are paired ([`super::runs`]: the writer's duplicates counted once), events timed,
//! requests followed (linked by [`super::links`]), errors grouped and idle gaps found as the
//! entries pass, so memory follows what is in flight (open events, chains waiting for their
//! next hop) and the bounded lists a report shows, never the file's size.

use super::chains::{Chain, Chains, TimedHop};
use super::durations::Durations;
use super::hops::Hop;
use super::links::{Next, RequestId, RunId};
use super::metrics::{MetricOptions, MetricReader, MetricSet, merge_sets};
use super::routes::RoutesReport;
use super::runs::{
    Ended, EventNo, Handled, Mark, OPEN_LIMIT, Opened, Runs, Sink, Started, Unfinished, sampled_run,
};
use super::top::TopN;
use super::{AgentIx, Agents, clipped};
use crate::model::{Hook, TraceEntry};
use crate::time::Timestamp;
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;

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
    /// The numbers the agent's runs reported (tokens, cost, ...), by metric.
    pub metrics: MetricSet,
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
        merge_sets(&mut self.metrics, &o.metrics);
    }

    /// Whether anything at all was recorded for the agent.
    fn is_empty(&self) -> bool {
        self.runs + self.in_progress + self.abandoned == 0
    }
}

/// The events of a session (`BeforeEventHandling` to `AfterEventHandling`), aggregated.
///
/// The one event count: an event is what the pairing ([`super::runs`]) opens, from its first
/// entry to its `AfterEventHandling` (an id used again after that is a new event), and every
/// event is either handled or not. `list -v` counts events with the same methods, so its
/// EVENTS is this [`EventStats::total`].
#[derive(Debug, Clone, Default)]
pub struct EventStats {
    /// Events handled (ended by `AfterEventHandling`).
    pub handled: u64,
    /// The latency of those whose start is in the trace (and not after their end).
    pub latency: Durations,
    /// Events not handled: still open when the trace ends (or given up on to bound memory).
    pub in_progress: u64,
    /// Events handled whose start is not in the trace (counted in `handled`; no latency).
    pub without_start: u64,
}

impl EventStats {
    /// Every event, handled or not.
    pub fn total(&self) -> u64 {
        self.handled + self.in_progress
    }

    /// Counts an event handled, when its `AfterEventHandling` was selected; says whether it
    /// was.
    pub(crate) fn count_handled(&mut self, event: &Handled<'_>) -> bool {
        if !event.at.selected {
            return false;
        }
        self.handled += 1;
        self.without_start += u64::from(event.started.is_none());
        true
    }

    /// Counts an event still open when the trace ends (`started`: its `BeforeEventHandling`,
    /// if it had one), or given up on.
    pub(crate) fn count_unfinished(&mut self, started: Option<Mark>) {
        self.in_progress += u64::from(started.is_none_or(|s| s.selected));
    }

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
    /// What came next: the next hop's agent (`Ran`), `End`, a route the trace does not follow
    /// (`NotSeen`), or a failure no error handler took (`Failed`).
    pub next: Next,
    /// The agent `next` names (`…` when the hops past those kept are not shown).
    pub next_agent: Option<String>,
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
    runs: Runs,
    tally: Tally,
}

/// What the analysis counts as pairing reports runs and events.
struct Tally {
    stats: Vec<AgentStats>,
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
    in_progress: Vec<OpenRunState>,
    metrics: MetricReader,
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

/// A run in progress when the trace ends.
#[derive(Debug, Clone)]
struct OpenRunState {
    agent: AgentIx,
    event_id: Box<str>,
    started: Timestamp,
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
            runs: Runs::new(Agents::bounded()),
            tally: Tally {
                stats: Vec::new(),
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
                in_progress: Vec::new(),
                metrics: MetricReader::default(),
            },
        }
    }

    /// Reads the numbers runs report (tokens, cost, ...) as `opts` says; without this, those
    /// the default picks up.
    pub fn with_metrics(mut self, opts: MetricOptions) -> Analyzer {
        self.tally.metrics = MetricReader::new(opts);
        self
    }

    /// Takes the next entry in file order. `selected` says whether it passes the user's
    /// filter: a run, event, gap or error is counted when the entry that completes it is
    /// selected, and pairing always sees every entry.
    pub fn add(&mut self, e: &TraceEntry<'_>, selected: bool) {
        let t = &mut self.tally;
        let at = e.timestamp;
        if t.latest.is_none() {
            t.gaps.begin(at);
        }
        t.latest = Some((at, selected));
        if selected {
            t.entries += 1;
            t.first = Some(t.first.map_or(at, |f| f.min(at)));
            t.last = Some(t.last.map_or(at, |l| l.max(at)));
        }
        match e.hook {
            Hook::BeforeEventHandling
            | Hook::BeforeAgentRun
            | Hook::AfterAgentRun
            | Hook::AgentError
            | Hook::AfterEventHandling => self.runs.add(e, selected, &mut self.tally),
            // A sampling logger's entry: one whole run, with its duration.
            _ if selected && sampled_run(e).is_some() => {
                let agent = self.runs.intern(&e.agent_id);
                self.tally.sampled_run(agent, e);
            }
            _ => {}
        }
    }

    /// Ends the analysis: what is still open is counted as in progress.
    pub fn finish(self) -> SessionAnalysis {
        let Analyzer { runs, mut tally } = self;
        let agents = runs.finish(&mut tally);
        tally.into_analysis(&agents)
    }
}

impl Sink for Tally {
    fn event_opened(&mut self, event: &Opened<'_>) {
        match &event.link {
            Some(link) => self.chains.linked(event.request, link),
            None => self.chains.begin(event.request, event.id, event.at.at),
        }
    }

    fn event_started(&mut self, at: Mark, again: bool) {
        self.pairing.duplicate_event_starts += u64::from(again && at.selected);
    }

    fn run_started(&mut self, run: &Started<'_>) {
        if run.again {
            self.pairing.duplicate_starts += u64::from(run.at.selected);
        } else {
            self.gaps.run_started(run.at.at, run.agent, run.at.selected);
        }
    }

    fn run_ended(&mut self, run: &Ended<'_>) {
        let e = run.entry;
        let error = run
            .error
            .map(clipped)
            .or_else(|| (e.hook == Hook::AgentError).then(|| "(no message)".into()));
        let start = run.started.map(|s| s.at);
        if start.is_some() {
            self.gaps.run_ended(run.at.at, run.agent);
        }
        if !run.agent_name.is_empty() {
            let hop = TimedHop {
                hop: Hop::ended(run.agent, run.route, run.failed),
                run: Some(run.run),
                event_id: run.event_id.into(),
                start,
                end: run.at.at,
            };
            (self.chains).run_ended(run.request, run.event, hop, run.at.selected);
        }
        if run.at.selected {
            self.stats(run.agent);
            if let Some(stats) = self.stats.get_mut(run.agent as usize) {
                self.metrics.read(run.agent, e, &mut stats.metrics);
            }
            self.record_run(EndedRun {
                agent: run.agent,
                event_id: run.event_id.into(),
                start,
                end: run.at.at,
                measured_ns: start.map(|s| run.at.at.unix_nanos.saturating_sub(s.unix_nanos)),
                reported_ms: e.reported_duration_ms(),
                error,
                route: run.route,
            });
        }
    }

    fn run_ended_again(&mut self, _event: EventNo, _run: RunId, _entry: &TraceEntry<'_>, at: Mark) {
        self.pairing.duplicate_ends += u64::from(at.selected);
    }

    fn run_abandoned(&mut self, agent: AgentIx, started: Mark, handled: Option<Mark>) {
        let selected = handled.map_or(started.selected, |h| h.selected);
        self.stats(agent).abandoned += u64::from(selected);
        self.gaps.run_gone();
    }

    fn event_handled(&mut self, event: &Handled<'_>) {
        if let (Some(request), Some(no)) = (event.request, event.event) {
            self.chains.event_handled(request, no);
        }
        if !self.event_stats.count_handled(event) {
            return;
        }
        let Some(started) = event.started else {
            return;
        };
        let Some(latency_ns) = nanos_between(started.at, event.at.at) else {
            return;
        };
        self.event_stats.latency.record(latency_ns);
        self.slowest_events.push(
            latency_ns,
            SlowEventState {
                event_id: event.event_id.into(),
                agent: event.outcome.agent.or(event.handler),
                route: event.outcome.route,
                error: event.outcome.failed,
                started: started.at,
                latency_ns,
            },
        );
    }

    fn wait_given_up(&mut self, run: RunId, request: RequestId) {
        self.chains.given_up(request, run);
    }

    fn unfinished(&mut self, u: &Unfinished<'_>) {
        if !u.agent_name.is_empty() {
            let hop = TimedHop {
                hop: Hop::unfinished(u.agent),
                run: None,
                event_id: u.event_id.into(),
                start: u.began.then_some(u.since.at),
                end: u.since.at,
            };
            self.chains.unfinished(u.request, hop, u.since.selected);
        }
        if !u.began || !u.since.selected {
            return;
        }
        self.stats(u.agent).in_progress += 1;
        if self.in_progress.len() < IN_PROGRESS_LISTED {
            self.in_progress.push(OpenRunState {
                agent: u.agent,
                event_id: u.event_id.into(),
                started: u.since.at,
            });
        }
        if let Some((last, _)) = self.latest {
            self.timeline.push(TimelineState {
                agent: u.agent,
                event_id: u.event_id.into(),
                start: u.since.at,
                end: last.max(u.since.at),
                error: false,
                in_progress: true,
            });
        }
    }

    fn event_unfinished(&mut self, started: Option<Mark>) {
        self.event_stats.count_unfinished(started);
    }

    fn event_given_up(&mut self, _event: EventNo) {
        self.event_stats.count_unfinished(None);
    }
}

impl Tally {
    fn stats(&mut self, agent: AgentIx) -> &mut AgentStats {
        let ix = agent as usize;
        if self.stats.len() <= ix {
            self.stats.resize_with(ix + 1, AgentStats::default);
        }
        &mut self.stats[ix]
    }

    fn sampled_run(&mut self, agent: AgentIx, e: &TraceEntry<'_>) {
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
        let stats = self.stats(run.agent);
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

    /// The analysis, once pairing has reported everything; `names` names the agents.
    fn into_analysis(mut self, names: &Agents) -> SessionAnalysis {
        if let Some((last, selected)) = self.latest {
            self.gaps.end(last, selected);
        }
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
            in_progress: self
                .in_progress
                .into_iter()
                .map(|r| OpenRun {
                    agent: agent_name(r.agent),
                    event_id: r.event_id.into(),
                    started: r.started,
                })
                .collect(),
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
    for (i, timed) in chain.hops.iter().enumerate() {
        let hop = &timed.hop;
        let (next, next_agent) = if i == last && chain.hops_dropped > 0 {
            (Next::NotSeen, Some("…".to_owned()))
        } else {
            let to = hop.hands_to();
            (hop.next(), to.map(|a| names.name(a).to_owned()))
        };
        let run_end = timed.run.map(|_| timed.end);
        hops.push(PathHop {
            agent: names.name(hop.agent()).to_owned(),
            event_id: timed.event_id.to_string(),
            started: timed.start,
            wait_ns: timed.start.and_then(|s| nanos_between(previous_end, s)),
            run_ns: timed
                .start
                .zip(run_end)
                .and_then(|(s, e)| nanos_between(s, e)),
            error: hop.failed(),
            next,
            next_agent,
        });
        previous_end = run_end.unwrap_or(previous_end);
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
