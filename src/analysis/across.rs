//! Analysis across sessions (`agentcli analyze`): the aggregates of many sessions merged,
//! in memory that does not grow with their entries, and one row per session on request.

use super::durations::{DurationSummary, Durations};
use super::metrics::{self, MetricTotal};
use super::report::{AgentReport, ErrorsReport, RequestsReport, SCHEMA};
use super::session::{AgentStats, ErrorGroup, EventStats, Pairing, SessionAnalysis};
use crate::time::{DisplayZone, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Distinct error messages kept across sessions.
const ERROR_GROUP_LIMIT: usize = 1000;

/// Many sessions' analyses, merged. Sessions can be added in any order and aggregates built
/// in parallel merged: the result is the same.
#[derive(Debug, Clone, Default)]
pub struct Aggregate {
    keep_rows: bool,
    sessions: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    span_ns: u64,
    entries: u64,
    agents: BTreeMap<String, AgentStats>,
    events: EventStats,
    requests: u64,
    requests_unfinished: u64,
    request_latency: Durations,
    errors: BTreeMap<String, ErrorGroup>,
    errors_ungrouped: u64,
    idle_ns: u64,
    pairing: Pairing,
    rows: Vec<SessionRow>,
}

/// One session, as `analyze --by-session` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    pub session: String,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub span_ms: f64,
    pub events: u64,
    pub runs: u64,
    pub errors: u64,
    /// The agent with the highest p95 run time.
    pub slowest_agent: Option<String>,
    pub slowest_agent_p95_ms: Option<f64>,
}

/// The merged analysis of many sessions, as `analyze` shows it and writes it as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateReport {
    pub schema: String,
    /// The filter the figures were computed under, as typed.
    pub filter: Option<String>,
    pub summary: AggregateSummary,
    pub agents: Vec<AgentReport>,
    pub events: AggregateEvents,
    pub requests: RequestsReport,
    pub errors: ErrorsReport,
    /// Present with `--by-session`: sessions by start time.
    pub sessions: Option<Vec<SessionRow>>,
    /// The numbers the runs reported (tokens, cost, ...), totalled over all sessions.
    #[serde(default)]
    pub metrics: Vec<MetricTotal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateSummary {
    /// Sessions with at least one selected entry.
    pub sessions: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// The sessions' spans, summed.
    pub session_time_ms: f64,
    pub entries: u64,
    pub events: u64,
    pub runs: u64,
    pub errors: u64,
    pub error_rate: Option<f64>,
    pub idle_ms: f64,
    pub retries: u64,
    pub requeues: u64,
    pub runs_in_progress: u64,
    pub runs_without_start: u64,
    pub duplicate_starts: u64,
    pub duplicate_ends: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateEvents {
    pub handled: u64,
    pub in_progress: u64,
    pub latency: DurationSummary,
}

impl Aggregate {
    /// An empty aggregate; `keep_rows` keeps one row per session.
    pub fn new(keep_rows: bool) -> Aggregate {
        Aggregate {
            keep_rows,
            ..Aggregate::default()
        }
    }

    /// Adds one session's analysis. Sessions without a selected entry are not counted.
    pub fn add(&mut self, session: &str, a: &SessionAnalysis) {
        if a.entries == 0 {
            return;
        }
        self.sessions += 1;
        self.first = min_some(self.first, a.first);
        self.last = max_some(self.last, a.last);
        self.span_ns += a.span_ns();
        self.entries += a.entries;
        for (name, stats) in &a.agents {
            self.agents.entry(name.clone()).or_default().merge(stats);
        }
        self.events.merge(&a.events);
        self.requests += a.requests;
        self.requests_unfinished += a.requests_unfinished;
        self.request_latency.merge(&a.request_latency);
        self.errors_ungrouped += a.errors_ungrouped;
        for group in &a.errors {
            self.add_error_group(group);
        }
        self.idle_ns += a.idle_ns;
        self.pairing.merge(&a.pairing);
        if self.keep_rows {
            self.rows.push(row(session, a));
        }
    }

    fn add_error_group(&mut self, group: &ErrorGroup) {
        if let Some(mine) = self.errors.get_mut(&group.message) {
            mine.merge(group);
        } else if self.errors.len() < ERROR_GROUP_LIMIT {
            self.errors.insert(group.message.clone(), group.clone());
        } else {
            self.errors_ungrouped += group.count;
        }
    }

    /// Merges another aggregate (built from other sessions) into this one.
    pub fn merge(&mut self, o: Aggregate) {
        self.keep_rows |= o.keep_rows;
        self.sessions += o.sessions;
        self.first = min_some(self.first, o.first);
        self.last = max_some(self.last, o.last);
        self.span_ns += o.span_ns;
        self.entries += o.entries;
        for (name, stats) in &o.agents {
            self.agents.entry(name.clone()).or_default().merge(stats);
        }
        self.events.merge(&o.events);
        self.requests += o.requests;
        self.requests_unfinished += o.requests_unfinished;
        self.request_latency.merge(&o.request_latency);
        self.errors_ungrouped += o.errors_ungrouped;
        for group in o.errors.values() {
            self.add_error_group(group);
        }
        self.idle_ns += o.idle_ns;
        self.pairing.merge(&o.pairing);
        self.rows.extend(o.rows);
    }

    /// The report, times shown in `zone`.
    pub fn report(&self, filter: Option<String>, zone: DisplayZone) -> AggregateReport {
        let (agents, _) = AgentReport::all(&self.agents, self.span_ns);
        let runs: u64 = self.agents.values().map(|a| a.runs).sum();
        let errors: u64 = self.agents.values().map(|a| a.errors).sum();
        let sum = |f: fn(&AgentStats) -> u64| self.agents.values().map(f).sum::<u64>();
        let mut groups: Vec<&ErrorGroup> = self.errors.values().collect();
        groups.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.first.cmp(&b.first))
                .then(a.message.cmp(&b.message))
        });
        let sessions = self.keep_rows.then(|| {
            let mut rows: Vec<SessionRow> = self
                .rows
                .iter()
                .map(|r| SessionRow {
                    first: r.first.map(|t| t.in_zone(zone)),
                    last: r.last.map(|t| t.in_zone(zone)),
                    ..r.clone()
                })
                .collect();
            rows.sort_by(|a, b| a.first.cmp(&b.first).then(a.session.cmp(&b.session)));
            rows
        });
        AggregateReport {
            schema: SCHEMA.to_owned(),
            filter,
            summary: AggregateSummary {
                sessions: self.sessions,
                first: self.first.map(|t| t.in_zone(zone)),
                last: self.last.map(|t| t.in_zone(zone)),
                session_time_ms: self.span_ns as f64 / 1e6,
                entries: self.entries,
                events: self.events.total(),
                runs,
                errors,
                error_rate: (runs > 0).then(|| errors as f64 / runs as f64),
                idle_ms: self.idle_ns as f64 / 1e6,
                retries: sum(|s| s.retries),
                requeues: sum(|s| s.requeues),
                runs_in_progress: sum(|s| s.in_progress),
                runs_without_start: sum(|s| s.without_start),
                duplicate_starts: self.pairing.duplicate_starts,
                duplicate_ends: self.pairing.duplicate_ends,
            },
            agents,
            events: AggregateEvents {
                handled: self.events.handled,
                in_progress: self.events.in_progress,
                latency: self.events.latency.summary(),
            },
            requests: RequestsReport::new(
                self.requests,
                self.requests_unfinished,
                &self.request_latency,
            ),
            errors: ErrorsReport::new(groups, errors, self.errors_ungrouped, zone),
            sessions,
            metrics: metrics::totals(self.agents.values().map(|s| &s.metrics)),
        }
    }
}

fn row(session: &str, a: &SessionAnalysis) -> SessionRow {
    let slowest = a
        .agents
        .iter()
        .filter_map(|(name, s)| Some((name, s.durations.quantile_ms(0.95)?)))
        .fold(None::<(&String, f64)>, |best, (name, p95)| match best {
            Some((_, b)) if b >= p95 => best,
            _ => Some((name, p95)),
        });
    SessionRow {
        session: session.to_owned(),
        first: a.first,
        last: a.last,
        span_ms: a.span_ns() as f64 / 1e6,
        events: a.events.total(),
        runs: a.runs(),
        errors: a.errors(),
        slowest_agent: slowest.map(|(name, _)| name.clone()),
        slowest_agent_p95_ms: slowest.map(|(_, p95)| p95),
    }
}

fn min_some(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_some(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
