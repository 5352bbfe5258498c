//! The comparison of two sessions (`agentcli diff A B`), made from their session reports: the
//! same figures side by side with their change (durations, runs, errors, event and request
//! latency, per agent), the numbers the runs reported (tokens, cost: per agent and in total),
//! the hand-overs and routes found in one session only, the requests whose route differs, and
//! the error messages new in B or gone from A. `docs/diff-json.md`
//! documents every field; [`conditions`] says when a CI job should fail.
//!
//! Event ids are not compared: the runner gives every routed event a new UUID, so no two runs
//! share them. Requests are compared by the route they took (which agents ran, in order, and
//! how the request ended), and by their id (the first event's id normalised, as `trace
//! --flow-only` labels requests) only when the two sessions share ids, as an application that
//! names its requests does.

pub mod conditions;

use super::durations::{DurationSummary, QUANTILE_ABSOLUTE_ERROR_MS, QUANTILE_RELATIVE_ERROR};
use super::hops::HopKind;
use super::metrics::{MetricReport, MetricTotal};
use super::report::{AgentReport, ErrorsReport, FileInfo, SessionReport};
use super::routes::{RequestRoute, RouteEnd, RoutesReport};
use crate::time::Timestamp;
use crate::units;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The name and version of the diff report's schema.
pub const DIFF_SCHEMA: &str = "agentcli.diff/1";

/// The comparison of session A (the baseline) with session B.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffReport {
    pub schema: String,
    pub a: Side,
    pub b: Side,
    /// Anything differs: a figure, a hop, a route, an error message.
    pub changed: bool,
    pub session: SessionChanges,
    /// Event latency (`BeforeEventHandling` to `AfterEventHandling`).
    pub events: LatencyChanges,
    pub requests: RequestChanges,
    /// Every agent of either session, by name.
    pub agents: Vec<AgentChanges>,
    /// The numbers the runs reported (tokens, cost, ...), summed over all agents, by metric.
    pub metrics: Vec<MetricChange>,
    pub routes: RouteChanges,
    pub errors: ErrorChanges,
    /// The `--fail-on` conditions, in the order given, and whether each holds.
    pub fail_on: Vec<ConditionResult>,
}

/// One of the sessions compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub session: String,
    pub file: FileInfo,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

/// A count in A and in B.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub a: u64,
    pub b: u64,
    /// `b - a`.
    pub change: i64,
    /// `(b - a) / a`; null when `a` is 0.
    pub relative: Option<f64>,
    /// `a != b`.
    pub changed: bool,
}

/// A measure (milliseconds, or a rate) in A and in B; null where a session has no such figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// `b - a`, when both are known.
    pub change: Option<f64>,
    /// `(b - a) / a`, when both are known and `a` is not 0.
    pub relative: Option<f64>,
    /// The two differ; for a quantile, by more than the histogram's error (two estimates of
    /// the same runs can differ by that much).
    pub changed: bool,
}

/// What a figure's numbers are: how they are written, and which units a condition's value
/// takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Milliseconds,
    Count,
    /// A fraction from 0 to 1, written as a percentage.
    Rate,
    /// A number a run reported (tokens, a cost): as written, whole or with decimals.
    Number,
}

impl Unit {
    /// A figure as tables show it: `1.17s`, `3`, `12.5%`.
    pub fn value(self, x: f64) -> String {
        match self {
            Unit::Milliseconds => units::duration_ms(x),
            Unit::Count => format!("{x:.0}"),
            Unit::Rate => format!("{:.1}%", x * 100.0),
            Unit::Number => units::number(x),
        }
    }

    /// A change, signed: `+500ms`, `-1`, `+12.5pp` (percentage points).
    pub fn change(self, x: f64) -> String {
        let sign = if x < 0.0 { "-" } else { "+" };
        match self {
            Unit::Milliseconds => format!("{sign}{}", units::duration_ms(x.abs())),
            Unit::Count => format!("{sign}{:.0}", x.abs()),
            Unit::Rate => format!("{sign}{:.1}pp", x.abs() * 100.0),
            Unit::Number => format!("{sign}{}", units::number(x.abs())),
        }
    }
}

/// A figure of both sessions, as conditions and renderers read it.
pub trait Figure {
    fn a(&self) -> Option<f64>;
    fn b(&self) -> Option<f64>;

    /// Whether the two sessions differ in it.
    fn differs(&self) -> bool;
}

impl Count {
    pub fn new(a: u64, b: u64) -> Count {
        let change = i64::try_from(i128::from(b) - i128::from(a)).unwrap_or(i64::MAX);
        Count {
            a,
            b,
            change,
            relative: (a > 0).then(|| (b as f64 - a as f64) / a as f64),
            changed: a != b,
        }
    }
}

impl Figure for Count {
    fn a(&self) -> Option<f64> {
        Some(self.a as f64)
    }
    fn b(&self) -> Option<f64> {
        Some(self.b as f64)
    }
    fn differs(&self) -> bool {
        self.changed
    }
}

impl Measure {
    pub fn new(a: Option<f64>, b: Option<f64>) -> Measure {
        let change = a.zip(b).map(|(a, b)| b - a);
        Measure {
            a,
            b,
            change,
            relative: a
                .zip(change)
                .and_then(|(a, change)| (a != 0.0).then(|| change / a)),
            changed: a != b,
        }
    }

    /// Quantiles from the histogram: each is within its stated error of the exact value, so
    /// two within twice that of each other may be the same runs, and are not a change.
    pub fn quantile(a: Option<f64>, b: Option<f64>) -> Measure {
        let within_error = |(a, b): (f64, f64)| {
            let bound = QUANTILE_RELATIVE_ERROR * a.abs().max(b.abs()) + QUANTILE_ABSOLUTE_ERROR_MS;
            (b - a).abs() <= 2.0 * bound
        };
        Measure {
            changed: a != b && !a.zip(b).is_some_and(within_error),
            ..Measure::new(a, b)
        }
    }
}

impl Figure for Measure {
    fn a(&self) -> Option<f64> {
        self.a
    }
    fn b(&self) -> Option<f64> {
        self.b
    }
    fn differs(&self) -> bool {
        self.changed
    }
}

/// The sessions at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionChanges {
    /// From the first entry to the last.
    pub duration_ms: Measure,
    pub entries: Count,
    /// Events, handled or not.
    pub events: Count,
    /// Agent runs ended.
    pub runs: Count,
    /// Runs that ended in an error.
    pub errors: Count,
    /// `errors / runs`.
    pub error_rate: Measure,
}

/// A set of durations in both sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyChanges {
    pub count: Count,
    pub mean_ms: Measure,
    pub p50_ms: Measure,
    pub p95_ms: Measure,
    pub p99_ms: Measure,
    pub max_ms: Measure,
}

impl LatencyChanges {
    fn new(a: &DurationSummary, b: &DurationSummary) -> LatencyChanges {
        LatencyChanges {
            count: Count::new(a.count, b.count),
            mean_ms: Measure::new(a.mean_ms, b.mean_ms),
            p50_ms: Measure::quantile(a.p50_ms, b.p50_ms),
            p95_ms: Measure::quantile(a.p95_ms, b.p95_ms),
            p99_ms: Measure::quantile(a.p99_ms, b.p99_ms),
            max_ms: Measure::new(a.max_ms, b.max_ms),
        }
    }

    fn differs(&self) -> bool {
        self.count.differs()
            || [
                &self.mean_ms,
                &self.p50_ms,
                &self.p95_ms,
                &self.p99_ms,
                &self.max_ms,
            ]
            .iter()
            .any(|m| m.differs())
    }
}

/// Requests: how many, how long, and the routes they took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestChanges {
    /// Requests that ended.
    pub completed: Count,
    /// Requests the trace cut off.
    pub unfinished: Count,
    /// End-to-end time of completed requests.
    pub latency: LatencyChanges,
    /// Every distinct route a request took in either session, with how many requests took it
    /// in each: a route whose count is 0 on one side was taken in the other session only.
    pub routes: Vec<RouteCount>,
    /// Requests compared by id.
    pub ids: IdChanges,
}

/// A route requests took, and how many did in each session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteCount {
    pub agents: Vec<String>,
    pub end: RouteEnd,
    pub count: Count,
}

/// Requests matched by id across the sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdChanges {
    /// The sessions share at least one request id, so ids are compared; otherwise they were
    /// made afresh for each run, and the lists below are empty.
    pub compared: bool,
    /// Request ids in A only.
    pub only_in_a: Vec<String>,
    /// Request ids in B only.
    pub only_in_b: Vec<String>,
    /// Requests in both sessions whose route differs.
    pub rerouted: Vec<Rerouted>,
}

/// A request whose route differs between the sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rerouted {
    pub id: String,
    /// Its route in A (several when the session has several requests of that id).
    pub a: Vec<Route>,
    pub b: Vec<Route>,
}

/// The agents of a route, in order, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Route {
    pub agents: Vec<String>,
    pub end: RouteEnd,
}

/// Which sessions have an agent, a hop or an error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Both,
    OnlyA,
    OnlyB,
}

impl Presence {
    fn of(count: &Count) -> Presence {
        match (count.a > 0, count.b > 0) {
            (true, false) => Presence::OnlyA,
            (false, true) => Presence::OnlyB,
            _ => Presence::Both,
        }
    }
}

/// One agent in both sessions. An agent absent from a session has 0 runs there and no
/// durations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentChanges {
    pub agent: String,
    /// Which sessions ran it (or have a run of it in progress).
    pub present: Presence,
    pub runs: Count,
    pub errors: Count,
    pub error_rate: Measure,
    /// Time in its runs.
    pub total_ms: Measure,
    pub mean_ms: Measure,
    pub p50_ms: Measure,
    pub p95_ms: Measure,
    pub p99_ms: Measure,
    pub max_ms: Measure,
    /// The numbers its runs reported, by metric.
    pub metrics: Vec<MetricChange>,
}

/// A number the runs reported (`tokens_used`, `cost_usd`), in both sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    /// Its dotted path in the output state.
    pub metric: String,
    /// Runs that reported a number.
    pub runs: Count,
    /// Runs that reported something else.
    pub not_a_number: Count,
    /// The sum of the numbers reported; null in a session whose runs reported none.
    pub total: Measure,
    /// `total / runs`; null likewise.
    pub mean: Measure,
}

impl MetricChange {
    fn differs(&self) -> bool {
        self.runs.differs()
            || self.not_a_number.differs()
            || self.total.differs()
            || self.mean.differs()
    }
}

/// What a metric's comparison needs of one session: runs, not-a-number runs, total.
type Reported = (u64, u64, f64);

/// Every metric of either side, by name.
fn metric_changes<'r>(
    a: impl IntoIterator<Item = (&'r str, Reported)>,
    b: impl IntoIterator<Item = (&'r str, Reported)>,
) -> Vec<MetricChange> {
    let mut by_name: BTreeMap<&str, (Option<Reported>, Option<Reported>)> = BTreeMap::new();
    for (name, r) in a {
        by_name.entry(name).or_default().0 = Some(r);
    }
    for (name, r) in b {
        by_name.entry(name).or_default().1 = Some(r);
    }
    by_name
        .into_iter()
        .map(|(name, (a, b))| {
            let runs = |r: Option<Reported>| r.map_or(0, |r| r.0);
            let nan = |r: Option<Reported>| r.map_or(0, |r| r.1);
            // No number reported is no figure, not 0: a condition on it never holds.
            let total = |r: Option<Reported>| r.filter(|r| r.0 > 0).map(|r| r.2);
            let mean = |r: Option<Reported>| r.filter(|r| r.0 > 0).map(|r| r.2 / r.0 as f64);
            MetricChange {
                metric: name.to_owned(),
                runs: Count::new(runs(a), runs(b)),
                not_a_number: Count::new(nan(a), nan(b)),
                total: Measure::new(total(a), total(b)),
                mean: Measure::new(mean(a), mean(b)),
            }
        })
        .collect()
}

fn agent_metrics(r: Option<&AgentReport>) -> impl Iterator<Item = (&str, Reported)> {
    r.into_iter()
        .flat_map(|r| r.metrics.iter())
        .map(|m: &MetricReport| (m.metric.as_str(), (m.runs, m.not_a_number, m.total)))
}

fn session_metrics(totals: &[MetricTotal]) -> impl Iterator<Item = (&str, Reported)> {
    totals
        .iter()
        .map(|m| (m.metric.as_str(), (m.runs, m.not_a_number, m.total)))
}

impl AgentChanges {
    fn new(agent: &str, a: Option<&AgentReport>, b: Option<&AgentReport>) -> AgentChanges {
        let count = |r: Option<&AgentReport>, f: fn(&AgentReport) -> u64| r.map_or(0, f);
        let measure =
            |f: fn(&AgentReport) -> Option<f64>| Measure::new(a.and_then(f), b.and_then(f));
        let quantile =
            |f: fn(&AgentReport) -> Option<f64>| Measure::quantile(a.and_then(f), b.and_then(f));
        AgentChanges {
            agent: agent.to_owned(),
            present: match (a, b) {
                (Some(_), None) => Presence::OnlyA,
                (None, Some(_)) => Presence::OnlyB,
                _ => Presence::Both,
            },
            runs: Count::new(count(a, |r| r.runs), count(b, |r| r.runs)),
            errors: Count::new(count(a, |r| r.errors), count(b, |r| r.errors)),
            error_rate: measure(|r| r.error_rate),
            total_ms: measure(|r| Some(r.total_ms)),
            mean_ms: measure(|r| r.durations.mean_ms),
            p50_ms: quantile(|r| r.durations.p50_ms),
            p95_ms: quantile(|r| r.durations.p95_ms),
            p99_ms: quantile(|r| r.durations.p99_ms),
            max_ms: measure(|r| r.durations.max_ms),
            metrics: metric_changes(agent_metrics(a), agent_metrics(b)),
        }
    }

    fn differs(&self) -> bool {
        self.present != Presence::Both
            || self.runs.differs()
            || self.errors.differs()
            || [
                &self.error_rate,
                &self.total_ms,
                &self.mean_ms,
                &self.p50_ms,
                &self.p95_ms,
                &self.p99_ms,
                &self.max_ms,
            ]
            .iter()
            .any(|m| m.differs())
            || self.metrics.iter().any(MetricChange::differs)
    }
}

/// The hand-overs between agents in both sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteChanges {
    /// A hop is in one session only, or the condensed routes differ.
    pub changed: bool,
    pub condensed: Condensed,
    /// Every distinct hand-over of either session, with how often it happened in each.
    pub hops: Vec<HopChange>,
}

/// The condensed route of each session: every agent the requests reached, in order, once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condensed {
    pub a: Vec<String>,
    pub b: Vec<String>,
}

/// A hand-over and how often it happened in each session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HopChange {
    pub from: String,
    pub to: Option<String>,
    pub kind: HopKind,
    pub present: Presence,
    pub count: Count,
}

impl HopChange {
    /// `researcher → reviewer`, `summarizer → (end)`, `analyzer → error-handler [failure]`
    /// (names as written in the trace: escape before printing).
    pub fn label(&self, arrow: &str) -> String {
        let to = match (&self.to, self.kind) {
            (Some(to), _) => to.as_str(),
            (None, HopKind::Failed) => "(failed)",
            (None, HopKind::Unfinished) => "(unfinished)",
            (None, _) => "(end)",
        };
        let kind = match self.kind {
            HopKind::Requeue => " [requeue]",
            HopKind::Retry => " [retry]",
            HopKind::Failure => " [failure]",
            HopKind::Route | HopKind::End | HopKind::Failed | HopKind::Unfinished => "",
        };
        format!("{} {arrow} {to}{kind}", self.from)
    }
}

/// A route as text: `planner → researcher → (end)`; an unfinished route ends with
/// `(unfinished)`, a cut one with `…` (names as written: escape before printing).
pub fn route_label(agents: &[String], end: RouteEnd, arrow: &str) -> String {
    let mut parts: Vec<&str> = agents.iter().map(String::as_str).collect();
    parts.push(match end {
        RouteEnd::End => "(end)",
        RouteEnd::Failed => "(failed)",
        RouteEnd::Unfinished => "(unfinished)",
        RouteEnd::Cut => "…",
    });
    parts.join(&format!(" {arrow} "))
}

/// Errors by message in both sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorChanges {
    /// Runs that ended in an error.
    pub total: Count,
    /// Every message of either session: new in B first, then gone from A, then the rest;
    /// by count in B, then in A, within each.
    pub messages: Vec<ErrorChange>,
    /// Errors not grouped by message (past 1,000 distinct messages).
    pub ungrouped: Count,
}

/// One error message in both sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorChange {
    pub message: String,
    /// `only_b`: a new error; `only_a`: no longer raised.
    pub present: Presence,
    pub count: Count,
    /// The agents that raised it, in either session.
    pub agents: Vec<String>,
}

/// A `--fail-on` condition and what it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionResult {
    /// As given.
    pub condition: String,
    pub holds: bool,
    /// What made it hold, one finding a line (empty when it does not hold).
    pub findings: Vec<String>,
    /// Why it could not hold, when what it names is in neither session (`agent=NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl DiffReport {
    /// Compares session A (the baseline) with session B.
    pub fn new(a: &SessionReport, b: &SessionReport) -> DiffReport {
        let session = SessionChanges {
            duration_ms: Measure::new(Some(a.summary.span_ms), Some(b.summary.span_ms)),
            entries: Count::new(a.summary.entries, b.summary.entries),
            events: Count::new(a.summary.events, b.summary.events),
            runs: Count::new(a.summary.runs, b.summary.runs),
            errors: Count::new(a.summary.errors, b.summary.errors),
            error_rate: Measure::new(a.summary.error_rate, b.summary.error_rate),
        };
        let events = LatencyChanges::new(&a.events.latency, &b.events.latency);
        let requests = RequestChanges {
            completed: Count::new(a.requests.completed, b.requests.completed),
            unfinished: Count::new(a.requests.unfinished, b.requests.unfinished),
            latency: LatencyChanges::new(&a.requests.latency, &b.requests.latency),
            routes: route_counts(&a.routes, &b.routes),
            ids: id_changes(&a.routes.requests, &b.routes.requests),
        };
        let agents = agent_changes(&a.agents, &b.agents);
        let metrics = metric_changes(session_metrics(&a.metrics), session_metrics(&b.metrics));
        let routes = route_changes(&a.routes, &b.routes);
        let errors = error_changes(&a.errors, &b.errors);
        let changed = [
            &session.runs,
            &session.errors,
            &session.entries,
            &session.events,
            &requests.completed,
            &requests.unfinished,
        ]
        .iter()
        .any(|c| c.differs())
            || session.duration_ms.differs()
            || session.error_rate.differs()
            || events.differs()
            || requests.latency.differs()
            || requests.routes.iter().any(|r| r.count.differs())
            || !requests.ids.only_in_a.is_empty()
            || !requests.ids.only_in_b.is_empty()
            || !requests.ids.rerouted.is_empty()
            || agents.iter().any(AgentChanges::differs)
            || metrics.iter().any(MetricChange::differs)
            || routes.changed
            || routes.hops.iter().any(|h| h.count.differs())
            || errors.messages.iter().any(|m| m.count.differs())
            || errors.ungrouped.differs();
        DiffReport {
            schema: DIFF_SCHEMA.to_owned(),
            a: side(a),
            b: side(b),
            changed,
            session,
            events,
            requests,
            agents,
            metrics,
            routes,
            errors,
            fail_on: Vec::new(),
        }
    }
}

fn side(r: &SessionReport) -> Side {
    Side {
        session: r.session.clone(),
        file: r.file.clone(),
        first: r.summary.first,
        last: r.summary.last,
    }
}

fn agent_changes(a: &[AgentReport], b: &[AgentReport]) -> Vec<AgentChanges> {
    let mut by_name: BTreeMap<&str, (Option<&AgentReport>, Option<&AgentReport>)> = BTreeMap::new();
    for r in a {
        by_name.entry(&r.agent).or_default().0 = Some(r);
    }
    for r in b {
        by_name.entry(&r.agent).or_default().1 = Some(r);
    }
    by_name
        .into_iter()
        .map(|(name, (a, b))| AgentChanges::new(name, a, b))
        .collect()
}

fn route_changes(a: &RoutesReport, b: &RoutesReport) -> RouteChanges {
    // Hops in order of first appearance, A's first.
    type Hop<'r> = (&'r str, Option<&'r str>, HopKind);
    let mut counts: Vec<(Hop<'_>, u64, u64)> = Vec::new();
    let mut index = BTreeMap::new();
    for (side, hops) in [(0, &a.hops), (1, &b.hops)] {
        for h in hops {
            let key = (h.from.as_str(), h.to.as_deref(), h.kind);
            let at = *index.entry(key).or_insert_with(|| {
                counts.push((key, 0, 0));
                counts.len() - 1
            });
            if side == 0 {
                counts[at].1 += h.count;
            } else {
                counts[at].2 += h.count;
            }
        }
    }
    let hops: Vec<HopChange> = counts
        .into_iter()
        .map(|((from, to, kind), a, b)| {
            let count = Count::new(a, b);
            HopChange {
                from: from.to_owned(),
                to: to.map(str::to_owned),
                kind,
                present: Presence::of(&count),
                count,
            }
        })
        .collect();
    RouteChanges {
        changed: a.condensed != b.condensed || hops.iter().any(|h| h.present != Presence::Both),
        condensed: Condensed {
            a: a.condensed.clone(),
            b: b.condensed.clone(),
        },
        hops,
    }
}

fn route_counts(a: &RoutesReport, b: &RoutesReport) -> Vec<RouteCount> {
    let mut counts: BTreeMap<Route, (u64, u64, usize)> = BTreeMap::new();
    let mut order = 0;
    for (side, routes) in [(0, &a.requests), (1, &b.requests)] {
        for r in routes {
            let entry = counts.entry(route_of(r)).or_insert_with(|| {
                order += 1;
                (0, 0, order)
            });
            if side == 0 {
                entry.0 += r.count;
            } else {
                entry.1 += r.count;
            }
        }
    }
    let mut counts: Vec<(Route, (u64, u64, usize))> = counts.into_iter().collect();
    counts.sort_by_key(|(_, (_, _, order))| *order);
    counts
        .into_iter()
        .map(|(route, (a, b, _))| RouteCount {
            agents: route.agents,
            end: route.end,
            count: Count::new(a, b),
        })
        .collect()
}

fn route_of(r: &RequestRoute) -> Route {
    Route {
        agents: r.agents.clone(),
        end: r.end,
    }
}

fn id_changes(a: &[RequestRoute], b: &[RequestRoute]) -> IdChanges {
    let by_id = |routes: &[RequestRoute]| {
        let mut ids: BTreeMap<String, Vec<Route>> = BTreeMap::new();
        for r in routes {
            for id in &r.ids {
                ids.entry(id.clone()).or_default().push(route_of(r));
            }
        }
        for routes in ids.values_mut() {
            routes.sort();
        }
        ids
    };
    let (a, b) = (by_id(a), by_id(b));
    let a_ids: BTreeSet<&String> = a.keys().collect();
    let b_ids: BTreeSet<&String> = b.keys().collect();
    if a_ids.is_disjoint(&b_ids) {
        return IdChanges {
            compared: false,
            only_in_a: Vec::new(),
            only_in_b: Vec::new(),
            rerouted: Vec::new(),
        };
    }
    let rerouted = a
        .iter()
        .filter_map(|(id, routes_a)| {
            let routes_b = b.get(id)?;
            (routes_a != routes_b).then(|| Rerouted {
                id: id.clone(),
                a: routes_a.clone(),
                b: routes_b.clone(),
            })
        })
        .collect();
    IdChanges {
        compared: true,
        only_in_a: a_ids.difference(&b_ids).map(|s| (*s).clone()).collect(),
        only_in_b: b_ids.difference(&a_ids).map(|s| (*s).clone()).collect(),
        rerouted,
    }
}

fn error_changes(a: &ErrorsReport, b: &ErrorsReport) -> ErrorChanges {
    let mut by_message: BTreeMap<&str, (u64, u64, BTreeSet<&str>)> = BTreeMap::new();
    for (side, errors) in [(0, a), (1, b)] {
        for g in &errors.groups {
            let entry = by_message.entry(&g.message).or_default();
            if side == 0 {
                entry.0 += g.count;
            } else {
                entry.1 += g.count;
            }
            entry.2.extend(g.agents.iter().map(|c| c.agent.as_str()));
        }
    }
    let mut messages: Vec<ErrorChange> = by_message
        .into_iter()
        .map(|(message, (a, b, agents))| {
            let count = Count::new(a, b);
            ErrorChange {
                message: message.to_owned(),
                present: Presence::of(&count),
                count,
                agents: agents.into_iter().map(str::to_owned).collect(),
            }
        })
        .collect();
    let rank = |p: Presence| match p {
        Presence::OnlyB => 0,
        Presence::OnlyA => 1,
        Presence::Both => 2,
    };
    messages.sort_by(|x, y| {
        rank(x.present)
            .cmp(&rank(y.present))
            .then(y.count.b.cmp(&x.count.b))
            .then(y.count.a.cmp(&x.count.a))
            .then(x.message.cmp(&y.message))
    });
    ErrorChanges {
        total: Count::new(a.total, b.total),
        messages,
        ungrouped: Count::new(a.ungrouped, b.ungrouped),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metric_no_run_reported_is_no_figure_and_others_compare() {
        let a = [("tokens_used", (2, 0, 300.0)), ("cost_usd", (0, 2, 0.0))];
        let b = [
            ("tokens_used", (3, 0, 600.0)),
            ("usage.input_tokens", (1, 0, 5.0)),
        ];
        let changes = metric_changes(a, b);
        let names: Vec<&str> = changes.iter().map(|m| m.metric.as_str()).collect();
        assert_eq!(names, ["cost_usd", "tokens_used", "usage.input_tokens"]);
        let cost = &changes[0];
        assert_eq!(
            (cost.total.a, cost.total.b),
            (None, None),
            "only non-numbers"
        );
        assert_eq!(cost.not_a_number.a, 2);
        let tokens = &changes[1];
        assert_eq!(tokens.total, Measure::new(Some(300.0), Some(600.0)));
        assert_eq!(tokens.total.relative, Some(1.0));
        assert_eq!(tokens.mean, Measure::new(Some(150.0), Some(200.0)));
        assert_eq!(tokens.runs, Count::new(2, 3));
        let only_b = &changes[2];
        assert_eq!((only_b.total.a, only_b.total.b), (None, Some(5.0)));
        assert!(only_b.differs());
    }
}
