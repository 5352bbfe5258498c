//! `diff --fail-on` conditions: when a comparison of two sessions should fail a CI job (exit
//! code 3). A condition is a keyword (`route-changed`, `new-errors`) or a threshold on one
//! figure, `[SCOPE:]METRIC OP VALUE` (`p95>+20%`, `errors>0`, `agent=researcher:p95>+500ms`,
//! `metric.tokens_used>+10%`); [`GRAMMAR`] is the reference, shown in `diff --help`.

use super::{
    AgentChanges, DiffReport, Figure, LatencyChanges, Measure, MetricChange, Presence, Unit,
};
use crate::error::Error;
use crate::filter::Value;
use crate::text;
use std::fmt;
use std::str::FromStr;

/// The conditions' grammar, as `diff --help` shows it.
pub const GRAMMAR: &str = "\
Conditions (--fail-on EXPR, repeatable; exit code 3 when any holds):
  route-changed          a hand-over between agents happened in one session only, or the
                         condensed routes differ
  new-errors             B has an error message that A has not
  [SCOPE:]METRIC OP VALUE
SCOPE (default: every agent; the condition holds when it holds for one):
  agent=NAME             that agent (wildcards * ? [abc]: agent='research*')
  session                the session: duration, entries, runs, errors, error-rate,
                         metric.PATH (the total over all agents)
  events                 event latency: count, mean, p50, p95, p99, max
  requests               request latency: count (completed), unfinished, mean, p50, p95, p99, max
METRIC of an agent: runs, errors, error-rate, total (run time), mean, p50, p95, p99, max,
  metric.PATH            the total of a number its runs reported (see --metric):
                         metric.tokens_used, metric.usage.input_tokens, metric.cost_usd
OP: >  >=  <  <=
VALUE, against B's figure, or against its change from A when signed:
  12, 1.5s, 800ms        B's figure (durations take a unit: us, ms, s, m)
  +3, -1, +500ms         the change from A to B (B - A)
  +20%, -10%             the change relative to A ((B - A) / A; from 0 to more is +inf%)
  5%, +2pp               error-rate only: B's rate; its change in percentage points
  0.05, +1000            metric.PATH: B's total; its change (B - A)
Examples: --fail-on 'p95>+20%'  --fail-on 'errors>0'  --fail-on route-changed
          --fail-on 'agent=researcher:p95>+500ms'  --fail-on 'requests:p95>10s'
          --fail-on 'session:metric.tokens_used>+10%'  --fail-on 'agent=writer:metric.cost_usd>0.05'
A figure one session does not have (a duration of an agent that did not run, a metric its
runs did not report) never holds.";

/// A parsed `--fail-on` condition, with its text as given.
#[derive(Debug, Clone)]
pub struct FailOn {
    text: String,
    condition: Condition,
}

#[derive(Debug, Clone)]
enum Condition {
    RouteChanged,
    NewErrors,
    Threshold {
        scope: Scope,
        metric: Metric,
        op: Op,
        value: Threshold,
    },
}

#[derive(Debug, Clone)]
enum Scope {
    /// Agents matching the pattern; every agent when none.
    Agent(Option<Value>),
    Session,
    Events,
    Requests,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Metric {
    Runs,
    Errors,
    ErrorRate,
    Total,
    Mean,
    P50,
    P95,
    P99,
    Max,
    Duration,
    Entries,
    Count,
    Unfinished,
    /// `metric.PATH`: the total of a number the runs reported.
    Reported(String),
}

const METRICS: [(&str, Metric); 13] = [
    ("runs", Metric::Runs),
    ("errors", Metric::Errors),
    ("error-rate", Metric::ErrorRate),
    ("total", Metric::Total),
    ("mean", Metric::Mean),
    ("p50", Metric::P50),
    ("p95", Metric::P95),
    ("p99", Metric::P99),
    ("max", Metric::Max),
    ("duration", Metric::Duration),
    ("entries", Metric::Entries),
    ("count", Metric::Count),
    ("unfinished", Metric::Unfinished),
];

impl Metric {
    fn name(&self) -> String {
        if let Metric::Reported(path) = self {
            return format!("metric.{path}");
        }
        METRICS
            .iter()
            .find(|(_, m)| m == self)
            .map_or("?", |(name, _)| name)
            .to_owned()
    }

    fn unit(&self) -> Unit {
        match self {
            Metric::Runs
            | Metric::Errors
            | Metric::Entries
            | Metric::Count
            | Metric::Unfinished => Unit::Count,
            Metric::ErrorRate => Unit::Rate,
            Metric::Reported(_) => Unit::Number,
            _ => Unit::Milliseconds,
        }
    }

    /// Whether `scope` has this metric: reported numbers are an agent's or the session's.
    fn belongs(&self, scope: &Scope) -> bool {
        match self {
            Metric::Reported(_) => matches!(scope, Scope::Agent(_) | Scope::Session),
            _ => Metric::of(scope).contains(self),
        }
    }

    /// The metrics a scope has.
    fn of(scope: &Scope) -> &'static [Metric] {
        use Metric::*;
        match scope {
            Scope::Agent(_) => &[Runs, Errors, ErrorRate, Total, Mean, P50, P95, P99, Max],
            Scope::Session => &[Duration, Entries, Runs, Errors, ErrorRate],
            Scope::Events => &[Count, Mean, P50, P95, P99, Max],
            Scope::Requests => &[Count, Unfinished, Mean, P50, P95, P99, Max],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn holds(self, x: f64, threshold: f64) -> bool {
        match self {
            Op::Gt => x > threshold,
            Op::Ge => x >= threshold,
            Op::Lt => x < threshold,
            Op::Le => x <= threshold,
        }
    }
}

/// What a figure is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Threshold {
    /// B's figure (milliseconds, a count, or a rate from 0 to 1).
    Value(f64),
    /// `B - A`, in the same unit.
    Change(f64),
    /// `(B - A) / A`, a fraction.
    Relative(f64),
}

impl FromStr for FailOn {
    type Err = Error;

    fn from_str(expr: &str) -> Result<FailOn, Error> {
        let usage = |message: String| Error::Usage {
            what: format!("--fail-on {}", text::quote_for_message(expr)),
            message,
        };
        let condition = parse(expr.trim()).map_err(usage)?;
        Ok(FailOn {
            text: expr.trim().to_owned(),
            condition,
        })
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse(expr: &str) -> Result<Condition, String> {
    match expr.to_ascii_lowercase().as_str() {
        "route-changed" => return Ok(Condition::RouteChanged),
        "new-errors" => return Ok(Condition::NewErrors),
        _ => {}
    }
    let Some(at) = expr.find(['<', '>']) else {
        return Err(format!(
            "expected `route-changed`, `new-errors` or METRIC OP VALUE (like 'p95>+20%'); \
             no operator (> >= < <=) in {}; see `agentcli diff --help`",
            text::quote_for_message(expr)
        ));
    };
    let (left, right) = expr.split_at(at);
    let (op, value) = match right.as_bytes() {
        [b'>', b'=', ..] => (Op::Ge, &right[2..]),
        [b'<', b'=', ..] => (Op::Le, &right[2..]),
        [b'>', ..] => (Op::Gt, &right[1..]),
        _ => (Op::Lt, &right[1..]),
    };
    let (scope, metric) = match left.rsplit_once(':') {
        Some((scope, metric)) => (Some(scope.trim()), metric.trim()),
        None => (None, left.trim()),
    };
    let metric = metric_named(metric)?;
    let scope = match scope {
        Some(scope) => scope_named(scope)?,
        None if metric.belongs(&Scope::Agent(None)) => Scope::Agent(None),
        None if metric.belongs(&Scope::Session) => Scope::Session,
        None => {
            return Err(format!(
                "'{}' needs a scope: events:{0} or requests:{0}",
                metric.name()
            ));
        }
    };
    if !metric.belongs(&scope) {
        let names: Vec<String> = Metric::of(&scope).iter().map(Metric::name).collect();
        return Err(format!(
            "{} has no '{}'; it has {}",
            scope_name(&scope),
            metric.name(),
            names.join(", ")
        ));
    }
    let value = threshold(value.trim(), &metric)?;
    Ok(Condition::Threshold {
        scope,
        metric,
        op,
        value,
    })
}

fn metric_named(name: &str) -> Result<Metric, String> {
    // A path is kept as written: state keys are case-sensitive.
    if let Some(path) = name
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("metric."))
        .and_then(|_| name.get(7..))
    {
        if path.is_empty() {
            return Err("'metric.' needs a path: metric.tokens_used".to_owned());
        }
        return Ok(Metric::Reported(path.to_owned()));
    }
    let lower = name.to_ascii_lowercase().replace('_', "-");
    if let Some((_, metric)) = METRICS.iter().find(|(n, _)| *n == lower) {
        return Ok(metric.clone());
    }
    let names: Vec<&str> = METRICS.iter().map(|(n, _)| *n).collect();
    let closest = names
        .iter()
        .map(|n| (strsim::levenshtein(&lower, n), *n))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, n)| format!(" (did you mean '{n}'?)"))
        .unwrap_or_default();
    Err(format!(
        "unknown metric '{}'{closest}; metrics: {}, metric.PATH (a number the runs reported)",
        text::escape(name, false),
        names.join(", ")
    ))
}

fn scope_named(scope: &str) -> Result<Scope, String> {
    if let Some(pattern) = scope.strip_prefix("agent=") {
        if pattern.is_empty() {
            return Err("'agent=' needs a name: agent=NAME:METRIC OP VALUE".to_owned());
        }
        return Ok(Scope::Agent(Some(Value::new(pattern, true)?)));
    }
    match scope.to_ascii_lowercase().as_str() {
        "session" => Ok(Scope::Session),
        "events" => Ok(Scope::Events),
        "requests" => Ok(Scope::Requests),
        _ => Err(format!(
            "unknown scope '{}'; scopes: agent=NAME, session, events, requests",
            text::escape(scope, false)
        )),
    }
}

fn scope_name(scope: &Scope) -> String {
    match scope {
        Scope::Agent(Some(pattern)) => format!("agent '{}'", text::escape(pattern.as_str(), false)),
        Scope::Agent(None) => "an agent".to_owned(),
        Scope::Session => "the session".to_owned(),
        Scope::Events => "events".to_owned(),
        Scope::Requests => "requests".to_owned(),
    }
}

/// Parses VALUE for `metric`: a number, signed for a change, with the unit its kind takes.
fn threshold(value: &str, metric: &Metric) -> Result<Threshold, String> {
    let (sign, rest) = match value.strip_prefix('+') {
        Some(rest) => (Some(1.0), rest),
        None => match value.strip_prefix('-') {
            Some(rest) => (Some(-1.0), rest),
            None => (None, value),
        },
    };
    let digits = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, unit) = rest.split_at(digits);
    let bad = |why: &str| {
        format!(
            "bad value {} for {}: {why}",
            text::quote_for_message(value),
            metric.name()
        )
    };
    let number: f64 = match number.parse() {
        Ok(n) if f64::is_finite(n) => n,
        _ => return Err(bad("expected a number, like 12, +20%, 1.5s")),
    };
    let unit = unit.trim().to_ascii_lowercase();
    let signed = |x: f64| sign.map(|s| s * x);
    let time = match unit.as_str() {
        "us" | "µs" => Some(0.001),
        "ms" => Some(1.0),
        "s" => Some(1000.0),
        "m" => Some(60_000.0),
        _ => None,
    };
    Ok(match (metric.unit(), unit.as_str(), signed(number)) {
        (_, "%", Some(change)) => Threshold::Relative(change / 100.0),
        (Unit::Milliseconds, _, change) if time.is_some() => {
            let ms = number * time.unwrap_or(1.0);
            change.map_or(Threshold::Value(ms), |_| {
                Threshold::Change(signed(ms).unwrap_or(ms))
            })
        }
        (Unit::Milliseconds, _, _) => {
            return Err(bad(
                "a duration takes a unit: 800ms, 1.5s (B's), +500ms (its change) or +20% \
                 (its change relative to A)",
            ));
        }
        (Unit::Count, "", None) => Threshold::Value(number),
        (Unit::Count, "", Some(change)) => Threshold::Change(change),
        (Unit::Count, _, _) => {
            return Err(bad(
                "a count is a plain number: 3 (B's), +3 (its change) or +20% (its change \
                 relative to A)",
            ));
        }
        (Unit::Rate, "%", None) => Threshold::Value(number / 100.0),
        (Unit::Rate, "pp", Some(change)) => Threshold::Change(change / 100.0),
        (Unit::Rate, _, _) => {
            return Err(bad(
                "an error rate is a percentage: 5% (B's), +2pp (its change in percentage \
                 points) or +20% (its change relative to A)",
            ));
        }
        (Unit::Number, "", None) => Threshold::Value(number),
        (Unit::Number, "", Some(change)) => Threshold::Change(change),
        (Unit::Number, _, _) => {
            return Err(bad(
                "a reported number is plain: 0.05 (B's total), +1000 (its change) or +10% \
                 (its change relative to A)",
            ));
        }
    })
}

impl FailOn {
    /// The path of the reported number the condition is on (`metric.PATH`), if it is on one.
    pub fn metric_path(&self) -> Option<&str> {
        match &self.condition {
            Condition::Threshold {
                metric: Metric::Reported(path),
                ..
            } => Some(path),
            _ => None,
        }
    }

    /// Whether the condition holds for `diff`, and what makes it hold. A condition naming an
    /// agent that neither session has does not hold, as any figure a session lacks (a CI gate
    /// on healthy runs asks for `agent=error-handler:runs>0`); its note says so.
    pub fn evaluate(&self, diff: &DiffReport) -> super::ConditionResult {
        let mut note = None;
        let findings = match &self.condition {
            Condition::RouteChanged => route_findings(diff),
            Condition::NewErrors => diff
                .errors
                .messages
                .iter()
                .filter(|m| m.present == Presence::OnlyB)
                .map(|m| {
                    format!(
                        "new error \"{}\": {} (by {})",
                        m.message,
                        m.count.b,
                        m.agents.join(", ")
                    )
                })
                .collect(),
            Condition::Threshold {
                scope,
                metric,
                op,
                value,
            } => {
                let (figures, absent) = self.figures(scope, metric, diff);
                note = absent;
                figures
                    .into_iter()
                    .filter(|(_, figure)| holds(figure, *op, *value))
                    .map(|(label, figure)| {
                        format!(
                            "{label}{}",
                            describe(&metric.name(), metric.unit(), &figure)
                        )
                    })
                    .collect()
            }
        };
        super::ConditionResult {
            condition: self.text.clone(),
            holds: !findings.is_empty(),
            findings,
            note,
        }
    }

    /// The figures a threshold looks at, each with what it is of (`agent researcher: `), and
    /// a note when an agent pattern matches no agent of either session, or a metric is in
    /// neither session.
    fn figures(
        &self,
        scope: &Scope,
        metric: &Metric,
        diff: &DiffReport,
    ) -> (Vec<(String, Measure)>, Option<String>) {
        if let Metric::Reported(path) = metric
            && let Some(note) = metric_absent(path, diff)
        {
            return (Vec::new(), Some(note));
        }
        let reported = |metrics: &[MetricChange]| {
            metrics
                .iter()
                .find(|m| matches!(metric, Metric::Reported(path) if *path == m.metric))
                .map_or(Measure::new(None, None), |m| m.total)
        };
        let latency = |l: &LatencyChanges| match metric {
            Metric::Mean => l.mean_ms,
            Metric::P50 => l.p50_ms,
            Metric::P95 => l.p95_ms,
            Metric::P99 => l.p99_ms,
            Metric::Max => l.max_ms,
            _ => counted(&l.count),
        };
        let figures = match scope {
            Scope::Agent(pattern) => {
                let agents: Vec<&AgentChanges> = diff
                    .agents
                    .iter()
                    .filter(|a| pattern.as_ref().is_none_or(|p| p.matches(&a.agent)))
                    .collect();
                if let Some(pattern) = pattern
                    && agents.is_empty()
                {
                    let names: Vec<String> = diff
                        .agents
                        .iter()
                        .map(|a| text::escape(&a.agent, false).into_owned())
                        .collect();
                    let note = format!(
                        "no agent '{}' in either session, so it does not hold; agents: {}",
                        text::escape(pattern.as_str(), false),
                        if names.is_empty() {
                            "none".to_owned()
                        } else {
                            names.join(", ")
                        }
                    );
                    return (Vec::new(), Some(note));
                }
                agents
                    .into_iter()
                    .map(|a| {
                        let figure = match metric {
                            Metric::Reported(_) => reported(&a.metrics),
                            Metric::Runs => counted(&a.runs),
                            Metric::Errors => counted(&a.errors),
                            Metric::ErrorRate => a.error_rate,
                            Metric::Total => a.total_ms,
                            Metric::Mean => a.mean_ms,
                            Metric::P50 => a.p50_ms,
                            Metric::P95 => a.p95_ms,
                            Metric::P99 => a.p99_ms,
                            _ => a.max_ms,
                        };
                        (format!("agent {}: ", a.agent), figure)
                    })
                    .collect()
            }
            Scope::Session => {
                let s = &diff.session;
                let figure = match metric {
                    Metric::Reported(_) => reported(&diff.metrics),
                    Metric::Duration => s.duration_ms,
                    Metric::Entries => counted(&s.entries),
                    Metric::Runs => counted(&s.runs),
                    Metric::Errors => counted(&s.errors),
                    _ => s.error_rate,
                };
                vec![("session: ".to_owned(), figure)]
            }
            Scope::Events => vec![("events: ".to_owned(), latency(&diff.events))],
            Scope::Requests => {
                let figure = match metric {
                    Metric::Count => counted(&diff.requests.completed),
                    Metric::Unfinished => counted(&diff.requests.unfinished),
                    _ => latency(&diff.requests.latency),
                };
                vec![("requests: ".to_owned(), figure)]
            }
        };
        (figures, None)
    }
}

/// Why a condition on metric `path` cannot hold, when no run of either session reported it.
fn metric_absent(path: &str, diff: &DiffReport) -> Option<String> {
    let reported = |m: &&MetricChange| m.runs.a + m.runs.b > 0;
    if diff
        .metrics
        .iter()
        .filter(reported)
        .any(|m| m.metric == path)
    {
        return None;
    }
    let names: Vec<String> = diff
        .metrics
        .iter()
        .filter(reported)
        .map(|m| text::escape(&m.metric, false).into_owned())
        .collect();
    Some(format!(
        "no run of either session reported metric '{}', so it does not hold; metrics read: {} \
         (without --metric, only numeric fields named for tokens, a cost or usage are read)",
        text::escape(path, false),
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    ))
}

/// A count as a measure, to be compared like one.
fn counted(count: &super::Count) -> Measure {
    Measure::new(count.a(), count.b())
}

/// Whether the figure meets the threshold. A figure that did not change (a quantile that moved
/// less than the histogram's error) has a change of 0.
fn holds(figure: &Measure, op: Op, threshold: Threshold) -> bool {
    let (a, b) = (figure.a, if figure.changed { figure.b } else { figure.a });
    let (x, t) = match threshold {
        Threshold::Value(t) => (figure.b, t),
        Threshold::Change(t) => (a.zip(b).map(|(a, b)| b - a), t),
        Threshold::Relative(t) => (a.zip(b).map(|(a, b)| relative(a, b)), t),
    };
    x.is_some_and(|x| op.holds(x, t))
}

/// `(b - a) / a`; from 0, any rise is infinite.
pub fn relative(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        if b == 0.0 {
            0.0
        } else {
            b.signum() * f64::INFINITY
        }
    } else {
        (b - a) / a
    }
}

/// `p95 from 670ms to 1.17s (+500ms, +74.6%)`.
fn describe(name: &str, unit: Unit, figure: &Measure) -> String {
    let shown = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |x| unit.value(x));
    let mut out = format!("{name} from {} to {}", shown(figure.a), shown(figure.b));
    if let (Some(a), Some(b)) = (figure.a, figure.b) {
        let change = unit.change(b - a);
        match relative(a, b) {
            r if r.is_finite() => out.push_str(&format!(" ({change}, {:+.1}%)", r * 100.0)),
            _ => out.push_str(&format!(" ({change})")),
        }
    }
    out
}

fn route_findings(diff: &DiffReport) -> Vec<String> {
    let r = &diff.routes;
    let mut findings = Vec::new();
    if r.condensed.a != r.condensed.b {
        findings.push(format!(
            "condensed route {} in A, {} in B",
            route_text(&r.condensed.a),
            route_text(&r.condensed.b)
        ));
    }
    for hop in &r.hops {
        match hop.present {
            Presence::OnlyA => findings.push(format!("hop {} only in A", hop.label("->"))),
            Presence::OnlyB => findings.push(format!("hop {} only in B", hop.label("->"))),
            Presence::Both => {}
        }
    }
    findings
}

fn route_text(agents: &[String]) -> String {
    if agents.is_empty() {
        "(none)".to_owned()
    } else {
        format!("\"{}\"", agents.join(" -> "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threshold_of(expr: &str) -> (String, Metric, Op, Threshold) {
        let parsed: FailOn = expr.parse().unwrap_or_else(|e| panic!("{expr}: {e}"));
        match parsed.condition {
            Condition::Threshold {
                scope,
                metric,
                op,
                value,
            } => (scope_name(&scope), metric, op, value),
            other => panic!("{expr}: {other:?}"),
        }
    }

    #[test]
    fn the_grammar() {
        use Metric::*;
        use Threshold::*;
        let any = || "an agent".to_owned();
        for (expr, parsed) in [
            ("p95>+20%", (any(), P95, Op::Gt, Relative(0.2))),
            ("errors>0", (any(), Errors, Op::Gt, Value(0.0))),
            (
                "agent=researcher:p95>+500ms",
                ("agent 'researcher'".to_owned(), P95, Op::Gt, Change(500.0)),
            ),
            ("  P95 >= 1.5s ", (any(), P95, Op::Ge, Value(1500.0))),
            ("p50<-10%", (any(), P50, Op::Lt, Relative(-0.1))),
            ("max<=-250us", (any(), Max, Op::Le, Change(-0.25))),
            ("total>2m", (any(), Total, Op::Gt, Value(120_000.0))),
            ("error_rate>5%", (any(), ErrorRate, Op::Gt, Value(0.05))),
            ("error-rate>+2pp", (any(), ErrorRate, Op::Gt, Change(0.02))),
            ("runs<-1", (any(), Runs, Op::Lt, Change(-1.0))),
            (
                "duration>+10%",
                ("the session".to_owned(), Duration, Op::Gt, Relative(0.1)),
            ),
            (
                "requests:count<2",
                ("requests".to_owned(), Count, Op::Lt, Value(2.0)),
            ),
            (
                "events:p99>1s",
                ("events".to_owned(), P99, Op::Gt, Value(1000.0)),
            ),
            (
                "metric.tokens_used>+10%",
                (any(), Reported("tokens_used".into()), Op::Gt, Relative(0.1)),
            ),
            (
                "agent=researcher:metric.cost_usd>0.05",
                (
                    "agent 'researcher'".to_owned(),
                    Reported("cost_usd".into()),
                    Op::Gt,
                    Value(0.05),
                ),
            ),
            (
                "session:Metric.usage.promptTokens<=-100",
                (
                    "the session".to_owned(),
                    Reported("usage.promptTokens".into()),
                    Op::Le,
                    Change(-100.0),
                ),
            ),
        ] {
            assert_eq!(threshold_of(expr), parsed, "{expr}");
        }
        let keyword = |expr: &str| expr.parse::<FailOn>().unwrap().condition;
        assert!(matches!(keyword("ROUTE-CHANGED"), Condition::RouteChanged));
        assert!(matches!(keyword("new-errors"), Condition::NewErrors));
        assert_eq!(keyword_text("  p95>+20% "), "p95>+20%");
    }

    fn keyword_text(expr: &str) -> String {
        expr.parse::<FailOn>().unwrap().to_string()
    }

    #[test]
    fn a_change_from_nothing_is_infinite_and_a_quantile_within_its_error_is_none() {
        let from_zero = Measure::new(Some(0.0), Some(3.0));
        assert!(holds(&from_zero, Op::Gt, Threshold::Relative(10.0)));
        assert!(!holds(&from_zero, Op::Lt, Threshold::Relative(0.0)));
        let unchanged = Measure::new(Some(0.0), Some(0.0));
        assert!(!holds(&unchanged, Op::Gt, Threshold::Relative(0.0)));
        assert!(holds(&unchanged, Op::Ge, Threshold::Relative(0.0)));
        // Two estimates of the same runs: 328.191 and 328.057 ms are within 0.2% + 2 µs.
        let noise = Measure::quantile(Some(328.191), Some(328.057));
        assert!(!noise.changed);
        assert!(!holds(&noise, Op::Lt, Threshold::Change(0.0)));
        assert!(
            holds(&noise, Op::Lt, Threshold::Value(328.1)),
            "B's value as it is"
        );
        let moved = Measure::quantile(Some(328.191), Some(330.0));
        assert!(moved.changed && holds(&moved, Op::Gt, Threshold::Change(1.0)));
        // A figure one side lacks never holds.
        let missing = Measure::new(None, Some(9.0));
        assert!(!holds(&missing, Op::Gt, Threshold::Change(0.0)));
        assert!(!holds(&missing, Op::Gt, Threshold::Relative(0.0)));
        assert!(holds(&missing, Op::Gt, Threshold::Value(5.0)));
    }

    #[test]
    fn findings_say_what_moved() {
        let m = Measure::new(Some(670.0), Some(1270.0));
        assert_eq!(
            describe("p95", Unit::Milliseconds, &m),
            "p95 from 670ms to 1.27s (+600ms, +89.6%)"
        );
        let tokens = Measure::new(Some(2151.0), Some(3226.0));
        assert_eq!(
            describe("metric.tokens_used", Unit::Number, &tokens),
            "metric.tokens_used from 2151 to 3226 (+1075, +50.0%)"
        );
        let cost = Measure::new(Some(0.05), Some(0.0125));
        assert_eq!(
            describe("metric.cost_usd", Unit::Number, &cost),
            "metric.cost_usd from 0.05 to 0.0125 (-0.0375, -75.0%)"
        );
        let errors = Measure::new(Some(0.0), Some(1.0));
        assert_eq!(
            describe("errors", Unit::Count, &errors),
            "errors from 0 to 1 (+1)"
        );
        let rate = Measure::new(Some(0.1), Some(0.25));
        assert_eq!(
            describe("error-rate", Unit::Rate, &rate),
            "error-rate from 10.0% to 25.0% (+15.0pp, +150.0%)"
        );
    }
}
