//! The report of one session's analysis, as `trace --analyze` shows it and `--format json`
//! writes it: plain serialisable data, durations in milliseconds, times in RFC 3339 in the
//! zone asked for. docs/analysis-json.md documents every field.

use super::durations::{DurationSummary, Durations};
use super::links::Next;
use super::metrics::{self, MetricReport, MetricTotal};
use super::routes::RoutesReport;
use super::session::{
    AgentStats, CriticalPath, Gap, OpenRun, SessionAnalysis, SlowEvent, TimelineRun,
};
use crate::time::{DisplayZone, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The name and version of the JSON report's schema.
pub const SCHEMA: &str = "agentcli.analysis/1";

const NANOS_PER_MILLI: f64 = 1e6;

fn ms(ns: u64) -> f64 {
    ns as f64 / NANOS_PER_MILLI
}

fn ratio(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| part / whole)
}

/// The whole analysis of one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionReport {
    pub schema: String,
    pub session: String,
    pub file: FileInfo,
    /// The filter the figures were computed under, as typed.
    pub filter: Option<String>,
    pub summary: SummaryReport,
    /// Agents by name.
    pub agents: Vec<AgentReport>,
    pub events: EventsReport,
    pub requests: RequestsReport,
    pub bottleneck: Option<Bottleneck>,
    pub critical_path: Option<CriticalPathReport>,
    pub errors: ErrorsReport,
    pub gaps: GapsReport,
    /// Runs started and not ended when the trace ends, oldest first.
    pub in_progress: Vec<OpenRunReport>,
    pub pairing: PairingReport,
    pub timeline: TimelineReport,
    /// The hand-overs between agents and the routes of the requests.
    pub routes: RoutesReport,
    /// The numbers the runs reported (tokens, cost, ...), totalled over the session.
    #[serde(default)]
    pub metrics: Vec<MetricTotal>,
}

/// The trace file the report was read from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    pub path: String,
    /// `open` (no closing `]`: still being written, or the writer crashed), `closed`, or
    /// `empty`.
    pub status: String,
    /// Entries skipped as damaged (reported on stderr).
    pub entries_skipped: u64,
    /// The file ends inside an entry (being written, or cut off by a crash).
    pub ends_mid_entry: bool,
}

/// The session at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryReport {
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// From the first entry to the last.
    pub span_ms: f64,
    pub entries: u64,
    /// Events handled (`BeforeEventHandling` to `AfterEventHandling`).
    pub events: u64,
    /// Agent runs ended.
    pub runs: u64,
    /// Runs that ended in an error.
    pub errors: u64,
    /// `errors / runs`, from 0 to 1; null without runs.
    pub error_rate: Option<f64>,
    pub events_per_second: Option<f64>,
    pub runs_per_second: Option<f64>,
    /// Time during which at least one agent run was open.
    pub busy_ms: f64,
    /// Time during which no agent run was open (the sum of all gaps).
    pub idle_ms: f64,
    pub retries: u64,
    pub requeues: u64,
}

/// One agent's runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentReport {
    pub agent: String,
    pub runs: u64,
    pub errors: u64,
    pub error_rate: Option<f64>,
    /// Time spent in the agent's runs.
    pub total_ms: f64,
    /// `total_ms` over the session's span (over the sessions' spans summed, across sessions).
    pub share_of_session: Option<f64>,
    /// `total_ms` over all agents' run time.
    pub share_of_agent_time: Option<f64>,
    /// Run durations: count, min, mean, quantiles, max and response-time buckets.
    pub durations: DurationSummary,
    pub sources: SourcesReport,
    pub retries: u64,
    pub requeues: u64,
    pub in_progress: u64,
    pub abandoned: u64,
    pub without_start: u64,
    pub clock_skew: u64,
    /// The numbers the agent's runs reported (tokens, cost, ...), by metric.
    #[serde(default)]
    pub metrics: Vec<MetricReport>,
}

/// Where an agent's run durations came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourcesReport {
    /// Durations measured from the run's hook timestamps.
    pub timestamps: u64,
    /// Durations the agent reported (`agent_result.duration_ms`), for runs whose start is not
    /// in the trace.
    pub reported: u64,
    /// Runs without a duration.
    pub missing: u64,
    /// Runs with both figures.
    pub compared: u64,
    /// Runs whose figures differ by more than 1 ms and 1%.
    pub disagreeing: u64,
    pub max_difference_ms: f64,
}

/// The events of the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventsReport {
    pub handled: u64,
    pub in_progress: u64,
    pub without_start: u64,
    /// End-to-end latency of handled events.
    pub latency: DurationSummary,
    /// The slowest events, slowest first.
    pub slowest: Vec<SlowEventReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlowEventReport {
    pub event_id: String,
    pub agent: Option<String>,
    /// Where the event's run routed next; null when it routed nowhere.
    pub route: Option<String>,
    pub error: bool,
    pub started: Timestamp,
    pub latency_ms: f64,
}

/// Requests: chains of hops from a first agent to `(end)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestsReport {
    pub completed: u64,
    /// Requests the trace cut off before their end.
    pub unfinished: u64,
    /// End-to-end time of completed requests.
    pub latency: DurationSummary,
}

/// The agent that accounts for most of the run time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bottleneck {
    pub agent: String,
    pub total_ms: f64,
    pub share_of_agent_time: Option<f64>,
    pub share_of_session: Option<f64>,
}

/// The slowest request, hop by hop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriticalPathReport {
    pub root_event: String,
    pub started: Timestamp,
    pub total_ms: f64,
    /// The request ended; when false, the trace cut it off and it is the slowest of those.
    pub complete: bool,
    pub hops: Vec<HopReport>,
    pub hops_not_shown: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HopReport {
    pub agent: String,
    pub event_id: String,
    pub started: Option<Timestamp>,
    /// From the previous hop's end (or the request's first entry) to this run's start.
    pub wait_ms: Option<f64>,
    pub run_ms: Option<f64>,
    pub error: bool,
    /// What followed: `ran` (`next_agent` ran next), `end` (routed nowhere), `not_seen`
    /// (routed to `next_agent`, whose run the trace does not hold), `failed` (no error
    /// handler followed).
    pub next: Next,
    pub next_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorsReport {
    /// Runs that ended in an error.
    pub total: u64,
    /// By message, most frequent first.
    pub groups: Vec<ErrorGroupReport>,
    /// Errors not grouped (past a thousand distinct messages).
    pub ungrouped: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorGroupReport {
    pub message: String,
    pub count: u64,
    pub agents: Vec<AgentCount>,
    pub first: Timestamp,
    pub last: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentCount {
    pub agent: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapsReport {
    pub count: u64,
    pub idle_ms: f64,
    /// The longest, longest first.
    pub longest: Vec<GapReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapReport {
    pub start: Timestamp,
    pub end: Timestamp,
    pub ms: f64,
    /// The agent whose run ended as the gap began; null at the session's start.
    pub after: Option<String>,
    /// The agent whose run ended the gap; null at the trace's end.
    pub before: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenRunReport {
    pub agent: String,
    pub event_id: String,
    pub started: Timestamp,
    /// From its start to the trace's last entry.
    pub elapsed_ms: Option<f64>,
}

/// How entries paired into runs and events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairingReport {
    pub duplicate_starts: u64,
    pub duplicate_ends: u64,
    pub duplicate_event_starts: u64,
    pub runs_without_start: u64,
    pub runs_in_progress: u64,
    pub runs_abandoned: u64,
    pub runs_clock_skew: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineReport {
    pub runs_total: u64,
    /// The session has more runs than kept, and `runs` holds the slowest.
    pub slowest_only: bool,
    /// By start time.
    pub runs: Vec<TimelineRunReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineRunReport {
    pub agent: String,
    pub event_id: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub duration_ms: f64,
    pub error: bool,
    pub in_progress: bool,
}

impl AgentReport {
    /// An agent's figures; shares are of `span_ns` and of `agent_time_ms`.
    pub fn new(name: &str, s: &AgentStats, span_ns: u64, agent_time_ms: f64) -> AgentReport {
        let total_ms = s.durations.total_ms();
        AgentReport {
            agent: name.to_owned(),
            runs: s.runs,
            errors: s.errors,
            error_rate: ratio(s.errors as f64, s.runs as f64),
            total_ms,
            share_of_session: ratio(total_ms, ms(span_ns)),
            share_of_agent_time: ratio(total_ms, agent_time_ms),
            durations: s.durations.summary(),
            sources: SourcesReport {
                timestamps: s.sources.timestamps,
                reported: s.sources.reported,
                missing: s.sources.missing,
                compared: s.sources.compared,
                disagreeing: s.sources.disagreeing,
                max_difference_ms: ms(s.sources.max_difference_ns),
            },
            retries: s.retries,
            requeues: s.requeues,
            in_progress: s.in_progress,
            abandoned: s.abandoned,
            without_start: s.without_start,
            clock_skew: s.clock_skew,
            metrics: metrics::agent_reports(&s.metrics),
        }
    }

    /// Reports for each agent, by name, and the agent with the most run time.
    pub fn all(
        agents: &BTreeMap<String, AgentStats>,
        span_ns: u64,
    ) -> (Vec<AgentReport>, Option<Bottleneck>) {
        let agent_time_ms: f64 = agents.values().map(|a| a.durations.total_ms()).sum();
        let reports: Vec<AgentReport> = agents
            .iter()
            .map(|(name, s)| AgentReport::new(name, s, span_ns, agent_time_ms))
            .collect();
        let bottleneck = reports
            .iter()
            .filter(|a| a.total_ms > 0.0)
            .fold(None::<&AgentReport>, |best, a| match best {
                Some(b) if b.total_ms >= a.total_ms => Some(b),
                _ => Some(a),
            })
            .map(|a| Bottleneck {
                agent: a.agent.clone(),
                total_ms: a.total_ms,
                share_of_agent_time: a.share_of_agent_time,
                share_of_session: a.share_of_session,
            });
        (reports, bottleneck)
    }
}

impl ErrorsReport {
    pub fn new<'a>(
        groups: impl IntoIterator<Item = &'a super::session::ErrorGroup>,
        total: u64,
        ungrouped: u64,
        zone: DisplayZone,
    ) -> ErrorsReport {
        ErrorsReport {
            total,
            groups: groups
                .into_iter()
                .map(|g| ErrorGroupReport {
                    message: g.message.clone(),
                    count: g.count,
                    agents: g
                        .agents
                        .iter()
                        .map(|(agent, count)| AgentCount {
                            agent: agent.clone(),
                            count: *count,
                        })
                        .collect(),
                    first: g.first.in_zone(zone),
                    last: g.last.in_zone(zone),
                })
                .collect(),
            ungrouped,
        }
    }
}

impl RequestsReport {
    pub fn new(completed: u64, unfinished: u64, latency: &Durations) -> RequestsReport {
        RequestsReport {
            completed,
            unfinished,
            latency: latency.summary(),
        }
    }
}

impl SessionReport {
    /// The report of `analysis`, with times shown in `zone`.
    pub fn new(
        session: &str,
        file: FileInfo,
        filter: Option<String>,
        analysis: &SessionAnalysis,
        zone: DisplayZone,
    ) -> SessionReport {
        let a = analysis;
        let span_ns = a.span_ns();
        let (agents, bottleneck) = AgentReport::all(&a.agents, span_ns);
        let per_second = |n: u64| ratio(n as f64, span_ns as f64 / 1e9);
        let runs = a.runs();
        let errors = a.errors();
        let sum = |f: fn(&AgentStats) -> u64| a.agents.values().map(f).sum::<u64>();
        let z = |t: Timestamp| t.in_zone(zone);
        let idle_ms = ms(a.idle_ns);
        SessionReport {
            schema: SCHEMA.to_owned(),
            session: session.to_owned(),
            file,
            filter,
            summary: SummaryReport {
                first: a.first.map(z),
                last: a.last.map(z),
                span_ms: ms(span_ns),
                entries: a.entries,
                events: a.events.total(),
                runs,
                errors,
                error_rate: ratio(errors as f64, runs as f64),
                events_per_second: per_second(a.events.total()),
                runs_per_second: per_second(runs),
                busy_ms: (ms(span_ns) - idle_ms).max(0.0),
                idle_ms,
                retries: sum(|s| s.retries),
                requeues: sum(|s| s.requeues),
            },
            agents,
            events: EventsReport {
                handled: a.events.handled,
                in_progress: a.events.in_progress,
                without_start: a.events.without_start,
                latency: a.events.latency.summary(),
                slowest: a
                    .slowest_events
                    .iter()
                    .map(|e| slow_event(e, zone))
                    .collect(),
            },
            requests: RequestsReport::new(a.requests, a.requests_unfinished, &a.request_latency),
            bottleneck,
            critical_path: a.critical_path.as_ref().map(|p| critical_path(p, zone)),
            metrics: metrics::totals(a.agents.values().map(|s| &s.metrics)),
            errors: ErrorsReport::new(&a.errors, errors, a.errors_ungrouped, zone),
            gaps: GapsReport {
                count: a.gap_count,
                idle_ms,
                longest: a.gaps.iter().map(|g| gap(g, zone)).collect(),
            },
            in_progress: a
                .in_progress
                .iter()
                .map(|r| open_run(r, a.last, zone))
                .collect(),
            pairing: PairingReport {
                duplicate_starts: a.pairing.duplicate_starts,
                duplicate_ends: a.pairing.duplicate_ends,
                duplicate_event_starts: a.pairing.duplicate_event_starts,
                runs_without_start: sum(|s| s.without_start),
                runs_in_progress: sum(|s| s.in_progress),
                runs_abandoned: sum(|s| s.abandoned),
                runs_clock_skew: sum(|s| s.clock_skew),
            },
            timeline: TimelineReport {
                runs_total: a.timeline.total,
                slowest_only: a.timeline.slowest_only,
                runs: a
                    .timeline
                    .runs
                    .iter()
                    .map(|r| timeline_run(r, zone))
                    .collect(),
            },
            routes: a.routes.clone(),
        }
    }
}

fn slow_event(e: &SlowEvent, zone: DisplayZone) -> SlowEventReport {
    SlowEventReport {
        event_id: e.event_id.clone(),
        agent: e.agent.clone(),
        route: e.route.clone(),
        error: e.error,
        started: e.started.in_zone(zone),
        latency_ms: ms(e.latency_ns),
    }
}

fn critical_path(p: &CriticalPath, zone: DisplayZone) -> CriticalPathReport {
    CriticalPathReport {
        root_event: p.root_event.clone(),
        started: p.started.in_zone(zone),
        total_ms: ms(p.total_ns),
        complete: p.complete,
        hops: p
            .hops
            .iter()
            .map(|h| HopReport {
                agent: h.agent.clone(),
                event_id: h.event_id.clone(),
                started: h.started.map(|t| t.in_zone(zone)),
                wait_ms: h.wait_ns.map(ms),
                run_ms: h.run_ns.map(ms),
                error: h.error,
                next: h.next,
                next_agent: h.next_agent.clone(),
            })
            .collect(),
        hops_not_shown: p.hops_not_shown,
    }
}

fn gap(g: &Gap, zone: DisplayZone) -> GapReport {
    GapReport {
        start: g.start.in_zone(zone),
        end: g.end.in_zone(zone),
        ms: ms(g.ns()),
        after: g.after.clone(),
        before: g.before.clone(),
    }
}

fn open_run(r: &OpenRun, last: Option<Timestamp>, zone: DisplayZone) -> OpenRunReport {
    OpenRunReport {
        agent: r.agent.clone(),
        event_id: r.event_id.clone(),
        started: r.started.in_zone(zone),
        elapsed_ms: last.map(|l| r.started.millis_until(l).max(0.0)),
    }
}

fn timeline_run(r: &TimelineRun, zone: DisplayZone) -> TimelineRunReport {
    TimelineRunReport {
        agent: r.agent.clone(),
        event_id: r.event_id.clone(),
        start: r.start.in_zone(zone),
        end: r.end.in_zone(zone),
        duration_ms: ms(r.ns()),
        error: r.error,
        in_progress: r.in_progress,
    }
}
