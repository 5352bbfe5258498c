//! Numbers agents report about their runs (tokens, cost, any numeric state field): read from
//! each run's output state, summed and summarised per agent and per session.
//!
//! A metric is a dotted path into an `AfterAgentRun`'s `agent_result.output_state.data`, else
//! its `meta` (`tokens_used`, `usage.total_tokens`). Without a path asked for, every member of
//! the data or meta whose key has `token(s)`, `cost(s)` or `usage` as a whole word is one
//! ([`is_metric_key`]); a matching key that holds an object gives its numeric members
//! (`usage` -> `usage.prompt_tokens`). Values are read only for those keys, from the data's
//! bytes, never parsed. The analyses read the data narrowly (`Parse::Metrics`): the reader
//! skips it unchecked, as `Parse::Light` does, keeping its bytes and marking where the keys
//! that may name a metric start ([`UnreadData`]), so that those members alone are read here;
//! data read whole (`Parse::Full`) is walked key by key, every other value skipped by its
//! quotes and brackets.
//!
//! A number counts, and so does a string holding one (`"2151"`); anything else is counted as
//! "not a number" and otherwise skipped; `null` or no member is no report at all. By default a
//! value counts as reported. With [`MetricOptions::delta`] an agent's value is read as a running
//! total: each run counts the increase since that agent's previous run, and a value lower than
//! the previous one (a counter that restarted) counts whole.

use super::durations::Durations;
use super::{AgentIx, clip};
use crate::json::{is_space, member_end, string_end};
use crate::model::{TraceEntry, UnreadData, may_name_metric};
use foldhash::{HashMap, HashMapExt};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Distinct metrics kept per session; further names are not read (their count is bounded so
/// a state whose keys are data cannot grow the analysis without end).
const METRIC_LIMIT: usize = 64;

/// Which metrics to read, decided once from `--metric`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MetricSelection {
    /// Numeric fields whose key names a token count, a cost or a usage.
    #[default]
    Auto,
    /// None (`--metric none`).
    Off,
    /// These dotted paths, in the order given.
    Paths(Arc<[String]>),
}

impl MetricSelection {
    /// From the `--metric` values: none given is [`Auto`](Self::Auto), `none` turns metrics off.
    pub fn from_args(paths: &[String]) -> MetricSelection {
        if paths.is_empty() {
            return MetricSelection::Auto;
        }
        if paths.iter().any(|p| p.eq_ignore_ascii_case("none")) {
            return MetricSelection::Off;
        }
        let mut unique: Vec<String> = Vec::new();
        for p in paths {
            if !unique.contains(p) {
                unique.push(p.clone());
            }
        }
        MetricSelection::Paths(unique.into())
    }
}

/// How to read metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricOptions {
    pub selection: MetricSelection,
    /// Read each value as an agent's running total and count the increase since its previous
    /// run (`--metric-delta`).
    pub delta: bool,
}

impl MetricOptions {
    /// No metrics.
    pub fn off() -> MetricOptions {
        MetricOptions {
            selection: MetricSelection::Off,
            delta: false,
        }
    }
}

/// Whether a state key names a metric by itself: it has `token`, `tokens`, `cost`, `costs` or
/// `usage` as a whole word, words being split at `_`, `-`, `.`, spaces and lower-to-upper case
/// changes (`tokens_used`, `promptTokens`, `cost_usd`; not `tokenizer` or `costume`).
pub fn is_metric_key(key: &str) -> bool {
    if key.is_ascii() {
        return ascii_words(key.as_bytes()).any(|w| {
            ["token", "tokens", "cost", "costs", "usage"]
                .iter()
                .any(|m| w.eq_ignore_ascii_case(m.as_bytes()))
        });
    }
    let mut found = false;
    words(key, |w| {
        found |= matches!(w, "token" | "tokens" | "cost" | "costs" | "usage");
        !found
    });
    found
}

/// The words of an ASCII key, as [`words`] splits them, in their case.
fn ascii_words(key: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        // Past separators, to the start of a word.
        at += key.get(at..)?.iter().position(u8::is_ascii_alphanumeric)?;
        let start = at;
        at += 1;
        while let Some(&c) = key.get(at) {
            let previous_lower = key[at - 1].is_ascii_lowercase() || key[at - 1].is_ascii_digit();
            if !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && previous_lower) {
                break;
            }
            at += 1;
        }
        key.get(start..at)
    })
}

/// Calls `each` with the words of `key` in lower case, split as [`is_metric_key`] splits them,
/// until it returns false.
fn words(key: &str, mut each: impl FnMut(&str) -> bool) {
    let mut word = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        let boundary = !c.is_alphanumeric() || (c.is_uppercase() && previous_lower);
        if boundary && !word.is_empty() {
            if !each(&word) {
                return;
            }
            word.clear();
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        }
    }
    if !word.is_empty() {
        each(&word);
    }
}

/// Which tokens a metric counts, when its last key says: `prompt_tokens`, `inputTokens` and
/// `usage.input_tokens` count a model's input; `completion_tokens` and `output_tokens` its
/// output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Input,
    Output,
}

impl TokenKind {
    /// The kind of tokens the metric `path` counts, if its last key is exactly one of the names
    /// above (not `prompt_tokens_details`).
    pub fn of(path: &str) -> Option<TokenKind> {
        let last = path.rsplit('.').next().unwrap_or(path);
        let mut all: Vec<String> = Vec::new();
        words(last, |w| {
            all.push(w.to_owned());
            all.len() <= 2
        });
        match all.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["input" | "prompt", "tokens"] => Some(TokenKind::Input),
            ["output" | "completion", "tokens"] => Some(TokenKind::Output),
            _ => None,
        }
    }
}

/// A JSON value (its bytes) as a metric: `Some(Ok(n))` for a number or a string holding one,
/// `Some(Err(()))` for anything else, `None` for `null`.
fn value_of(json: &[u8]) -> Option<Result<f64, ()>> {
    let number = |text: &str| text.trim().parse::<f64>().ok().filter(|n| n.is_finite());
    match json.first() {
        Some(b'n') => None,
        Some(b'-' | b'0'..=b'9') => Some(
            std::str::from_utf8(json)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or(()),
        ),
        Some(b'"') => Some(string_of(json).as_deref().and_then(number).ok_or(())),
        _ => Some(Err(())),
    }
}

/// The text of a JSON string (its bytes, quotes and all), escapes decoded.
fn string_of(json: &[u8]) -> Option<Cow<'_, str>> {
    let inner = json.get(1..json.len().checked_sub(1)?)?;
    if inner.contains(&b'\\') {
        return serde_json::from_slice::<String>(json).ok().map(Cow::Owned);
    }
    std::str::from_utf8(inner).ok().map(Cow::Borrowed)
}

/// One metric of one agent (or of a session), aggregated. Mergeable across sessions.
#[derive(Debug, Clone, Default)]
pub struct MetricStats {
    /// Runs that reported a number.
    pub runs: u64,
    /// Runs whose value was not a number.
    pub not_a_number: u64,
    pub total: f64,
    pub max: Option<f64>,
    /// The smallest value, which bounds the quantiles.
    pub min: Option<f64>,
    /// Asked for by name (`--metric`): shown even with no number.
    pub asked: bool,
    /// The values, for quantiles: kept as if seconds, so a value is resolved to 1e-6.
    histogram: Durations,
}

/// Values are kept in the duration histogram as if they were seconds.
const SCALE: f64 = 1e9;

impl MetricStats {
    fn record(&mut self, value: f64) {
        self.runs += 1;
        self.total += value;
        self.max = Some(self.max.map_or(value, |m| m.max(value)));
        self.min = Some(self.min.map_or(value, |m| m.min(value)));
        // Negative values (rare: a refund) count in the total, and as 0 in the quantiles.
        self.histogram.record((value.max(0.0) * SCALE) as u64);
    }

    pub fn merge(&mut self, o: &MetricStats) {
        self.runs += o.runs;
        self.not_a_number += o.not_a_number;
        self.asked |= o.asked;
        self.total += o.total;
        self.max = match (self.max, o.max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.min = match (self.min, o.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.histogram.merge(&o.histogram);
    }

    pub fn mean(&self) -> Option<f64> {
        (self.runs > 0).then(|| self.total / self.runs as f64)
    }

    /// The nearest-rank quantile `q` to the histogram's 3 significant digits (it is within
    /// 0.1% of the exact value, or 1e-6).
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let value = self.histogram.quantile_ms(q)? * 1e6 / SCALE;
        if value == 0.0 {
            return Some(0.0);
        }
        let scale = 10f64.powi(2 - value.abs().log10().floor() as i32);
        let rounded = (value * scale).round() / scale;
        let rounded = self.max.map_or(rounded, |max| rounded.min(max));
        Some(self.min.map_or(rounded, |min| rounded.max(min)))
    }
}

/// An agent's (or a session's) metrics, by name.
pub type MetricSet = BTreeMap<Box<str>, MetricStats>;

/// Reads the metrics of each run as a session's runs end.
#[derive(Debug, Default)]
pub(crate) struct MetricReader {
    opts: MetricOptions,
    /// Each agent's previous value of each metric, for [`MetricOptions::delta`].
    previous: HashMap<(AgentIx, Box<str>), f64>,
    /// Metric names met so far, bounded by [`METRIC_LIMIT`].
    names: Vec<Box<str>>,
}

impl MetricReader {
    pub fn new(opts: MetricOptions) -> MetricReader {
        MetricReader {
            opts,
            previous: HashMap::new(),
            names: Vec::new(),
        }
    }

    /// Records the metrics of `agent`'s run that `e` ended into `into`.
    pub fn read(&mut self, agent: AgentIx, e: &TraceEntry<'_>, into: &mut MetricSet) {
        if self.opts.selection == MetricSelection::Off {
            return;
        }
        for (name, value) in reported(e, &self.opts.selection) {
            let Some(value) = value else { continue };
            let name = clip(&name);
            if into.get(name).is_none() {
                // A name not met before takes room, while there is some.
                if !self.names.iter().any(|n| &**n == name) {
                    if self.names.len() >= METRIC_LIMIT {
                        continue;
                    }
                    self.names.push(name.into());
                }
                into.insert(name.into(), MetricStats::default());
            }
            let Some(stats) = into.get_mut(name) else {
                continue;
            };
            stats.asked |= matches!(self.opts.selection, MetricSelection::Paths(_));
            match value {
                Ok(n) if n.is_finite() => {
                    let counted = if self.opts.delta {
                        match self.previous.insert((agent, name.into()), n) {
                            Some(before) if n >= before => n - before,
                            _ => n,
                        }
                    } else {
                        n
                    };
                    stats.record(counted);
                }
                _ => stats.not_a_number += 1,
            }
        }
    }
}

/// The metrics that the run `e` ended reported, as `selection` picks them, in order: each with
/// its value (`None` for `null`, `Err` for what is not a number).
fn reported<'e>(e: &TraceEntry<'e>, selection: &'e MetricSelection) -> Vec<Found<'e>> {
    let mut found = Vec::new();
    if *selection == MetricSelection::Off {
        return found;
    }
    let Some(state) = e.output_state() else {
        return found;
    };
    // The data as checked and kept (`Parse::Full`), else as skipped unread (`Parse::Metrics`,
    // its keys marked).
    let data = match (
        state.data,
        e.agent_result.as_ref().and_then(|r| r.unread_data),
    ) {
        (Some(raw), _) => Some(UnreadData::unmarked(raw.get().as_bytes())),
        (None, unread) => unread,
    };
    let sources = [
        data,
        state
            .meta
            .map(|raw| UnreadData::unmarked(raw.get().as_bytes())),
    ];
    match selection {
        MetricSelection::Off => {}
        MetricSelection::Paths(paths) => {
            for path in paths.iter() {
                let value = sources
                    .iter()
                    .flatten()
                    .find_map(|json| at_path(json, path));
                if let Some(value) = value {
                    found.push((Cow::Borrowed(path.as_str()), value_of(value)));
                }
            }
        }
        MetricSelection::Auto => {
            for json in sources.iter().flatten() {
                auto_metrics(json, &mut found);
            }
        }
    }
    found
}

/// The numbers that the run `e` ended reported, as `selection` picks them (for exports, which
/// show each run's own figures: a value that is not a number is left out).
pub fn run_numbers(e: &TraceEntry<'_>, selection: &MetricSelection) -> Vec<(String, f64)> {
    reported(e, selection)
        .into_iter()
        .filter_map(|(name, value)| match value {
            Some(Ok(n)) if n.is_finite() => Some((name.into_owned(), n)),
            _ => None,
        })
        .collect()
}

/// A metric a run reported: its name, and its value (`None` for `null`, `Err` for what is not
/// a number).
type Found<'e> = (Cow<'e, str>, Option<Result<f64, ()>>);

/// The member of a JSON object whose key's opening quote is at `start` in `json`: its key,
/// its value's bytes, and where it ends (at the `,` or `}` after it). The bytes are not
/// checked: the value is skipped by its quotes and brackets alone, as a light parse skips data
/// (valid JSON is read exactly; damage may end a walk early).
fn member_at(json: &[u8], start: usize) -> Option<(Cow<'_, str>, &[u8], usize)> {
    if json.get(start) != Some(&b'"') {
        return None;
    }
    let end = string_end(json, start);
    let key = string_of(json.get(start..end)?)?;
    let colon = end + json.get(end..)?.iter().position(|c| *c == b':')?;
    let value = colon + 1 + json.get(colon + 1..)?.iter().position(|c| !is_space(*c))?;
    let after = member_end(json, value);
    Some((key, json.get(value..after)?.trim_ascii_end(), after))
}

/// Calls `each` with the key and the value (its bytes) of each member of the JSON object
/// `json`, in order, until it returns false; nothing for another value.
fn each_member<'j>(json: &'j [u8], mut each: impl FnMut(Cow<'j, str>, &'j [u8]) -> bool) {
    let next = |from: usize| {
        let rest = json.get(from..)?;
        rest.iter().position(|c| !is_space(*c)).map(|p| from + p)
    };
    // At the `{`, then at the `,` after each member.
    let Some(mut at) = next(0).filter(|&at| json[at] == b'{') else {
        return;
    };
    while let Some((key, value, end)) = next(at + 1).and_then(|start| member_at(json, start)) {
        if !each(key, value) || json.get(end) != Some(&b',') {
            return;
        }
        at = end;
    }
}

/// The members of `data` whose keys may name a metric ([`may_name_metric`]), or all of them
/// when they were not marked.
fn each_candidate<'j>(data: &UnreadData<'j>, mut each: impl FnMut(Cow<'j, str>, &'j [u8]) -> bool) {
    let Some(marked) = data.marked() else {
        return each_member(data.bytes, each);
    };
    for &at in marked {
        if let Some((key, value, _)) = member_at(data.bytes, at as usize)
            && !each(key, value)
        {
            return;
        }
    }
}

/// The value (its bytes) at a dotted `path` in the JSON object `data`, if there is one.
fn at_path<'j>(data: &UnreadData<'j>, path: &str) -> Option<&'j [u8]> {
    let mut segments = path.split('.');
    let first = segments.next()?;
    let mut at = None;
    let find = |key: Cow<'_, str>, value: &'j [u8], at: &mut Option<&'j [u8]>| {
        if key == first {
            *at = Some(value);
        }
        at.is_none()
    };
    // The marks hold every key that may name a metric, and only those.
    if may_name_metric(first.as_bytes()) {
        each_candidate(data, |key, value| find(key, value, &mut at));
    } else {
        each_member(data.bytes, |key, value| find(key, value, &mut at));
    }
    let mut at = at?;
    for segment in segments {
        let mut found = None;
        each_member(at, |key, value| {
            if key == segment {
                found = Some(value);
            }
            found.is_none()
        });
        at = found?;
    }
    Some(at)
}

/// The members of `data` that [`is_metric_key`] names, and the numeric members of those that
/// are objects.
fn auto_metrics<'j>(data: &UnreadData<'j>, found: &mut Vec<Found<'j>>) {
    // Unmarked (the meta, data read whole): no key can name a metric when no byte of it could.
    if data.marked().is_none() && !may_name_metric(data.bytes) {
        return;
    }
    each_candidate(data, |key, value| {
        if !(may_name_metric(key.as_bytes()) && is_metric_key(&key)) {
            return true;
        }
        if value.first() == Some(&b'{') {
            each_member(value, |inner, v| {
                if let Some(Ok(n)) = value_of(v) {
                    found.push((Cow::Owned(format!("{key}.{inner}")), Some(Ok(n))));
                }
                true
            });
            return true;
        }
        // A named field that is not a number is no metric unless it sometimes is one: kept
        // as "not a number" and shown only beside numbers.
        found.push((key, value_of(value)));
        true
    });
}

/// One metric of one agent, as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricReport {
    /// The metric's dotted path in the output state.
    pub metric: String,
    /// Runs that reported a number.
    pub runs: u64,
    /// Runs that reported something else (counted, otherwise ignored).
    pub not_a_number: u64,
    pub total: f64,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
}

/// One metric over a whole session (or all sessions), as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricTotal {
    pub metric: String,
    /// Runs that reported a number.
    pub runs: u64,
    /// Runs that reported something else.
    pub not_a_number: u64,
    pub total: f64,
}

/// Whether a metric is worth showing: it has a number, or was asked for by name.
fn shown(s: &MetricStats) -> bool {
    s.runs > 0 || s.asked
}

/// An agent's metrics as reports show them, by name; metrics with only non-numbers are left
/// out unless asked for.
pub fn agent_reports(set: &MetricSet) -> Vec<MetricReport> {
    set.iter()
        .filter(|(_, s)| shown(s))
        .map(|(name, s)| MetricReport {
            metric: name.to_string(),
            runs: s.runs,
            not_a_number: s.not_a_number,
            total: s.total,
            mean: s.mean(),
            p50: s.quantile(0.50),
            p95: s.quantile(0.95),
            max: s.max,
        })
        .collect()
}

/// The totals of every agent's metrics, by name.
pub fn totals<'a>(sets: impl IntoIterator<Item = &'a MetricSet>) -> Vec<MetricTotal> {
    let mut all = MetricSet::new();
    for set in sets {
        merge_sets(&mut all, set);
    }
    all.iter()
        .filter(|(_, s)| shown(s))
        .map(|(name, s)| MetricTotal {
            metric: name.to_string(),
            runs: s.runs,
            not_a_number: s.not_a_number,
            total: s.total,
        })
        .collect()
}

/// Adds `o`'s metrics into `into`.
pub fn merge_sets(into: &mut MetricSet, o: &MetricSet) {
    for (name, s) in o {
        into.entry(name.clone()).or_default().merge(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_keys_are_whole_words() {
        for key in [
            "tokens_used",
            "prompt_tokens",
            "cost_usd",
            "usage",
            "promptTokens",
            "TotalCost",
            "TOKENS",
            "llm-usage",
            "über_tokens",
            "CostÜbersicht",
        ] {
            assert!(is_metric_key(key), "{key}");
            assert!(may_name_metric(key.as_bytes()), "the marks hold {key}");
        }
        assert!(!may_name_metric(b"message") && !may_name_metric(b"session_id"));
        // The ASCII path splits words as the general one does.
        for key in [
            "promptTokens",
            "HTTPTokens",
            "a1Token",
            "x__cost__y",
            "tokens2",
            "usageX",
        ] {
            let mut general = false;
            words(key, |w| {
                general |= matches!(w, "token" | "tokens" | "cost" | "costs" | "usage");
                true
            });
            assert_eq!(is_metric_key(key), general, "{key}");
        }
        for key in [
            "tokenizer",
            "costume",
            "message",
            "usages",
            "session_tok",
            "",
        ] {
            assert!(!is_metric_key(key), "{key}");
        }
    }

    fn raw(json: &str) -> &[u8] {
        json.as_bytes()
    }

    fn data(json: &str) -> UnreadData<'_> {
        UnreadData::unmarked(json.as_bytes())
    }

    #[test]
    fn token_kinds_are_named_by_the_last_key() {
        use TokenKind::*;
        for (path, kind) in [
            ("prompt_tokens", Some(Input)),
            ("usage.input_tokens", Some(Input)),
            ("usage.promptTokens", Some(Input)),
            ("InputTokens", Some(Input)),
            ("completion_tokens", Some(Output)),
            ("llm.output-tokens", Some(Output)),
            ("tokens_used", None),
            ("prompt_tokens_details", None),
            ("input_tokens.cached", None),
            ("total_tokens", None),
        ] {
            assert_eq!(TokenKind::of(path), kind, "{path}");
        }
    }

    #[test]
    fn a_run_reports_its_numbers_and_not_its_non_numbers() {
        let line = r#"{"timestamp":"2025-05-02T10:00:00Z","hook":"AfterAgentRun","agent_id":"a","agent_result":{"output_state":{"data":{"tokens_used":"n/a","cost_usd":"0.5","usage":{"prompt_tokens":7}},"meta":{"route":"b"}}}}"#;
        let e = TraceEntry::parse(line.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            run_numbers(&e, &MetricSelection::Auto),
            [
                ("cost_usd".to_owned(), 0.5),
                ("usage.prompt_tokens".to_owned(), 7.0)
            ]
        );
        let named = MetricSelection::from_args(&["usage.prompt_tokens".to_owned()]);
        assert_eq!(
            run_numbers(&e, &named),
            [("usage.prompt_tokens".to_owned(), 7.0)]
        );
        assert!(run_numbers(&e, &MetricSelection::Off).is_empty());
    }

    #[test]
    fn numbers_and_numeric_strings_count_and_others_do_not() {
        assert_eq!(value_of(raw("2151")), Some(Ok(2151.0)));
        assert_eq!(value_of(raw("\" 2151 \"")), Some(Ok(2151.0)));
        assert_eq!(value_of(raw("0.05")), Some(Ok(0.05)));
        assert_eq!(value_of(raw("\"lots\"")), Some(Err(())));
        assert_eq!(value_of(raw("\"NaN\"")), Some(Err(())));
        assert_eq!(value_of(raw("[1]")), Some(Err(())));
        assert_eq!(value_of(raw("null")), None);
    }

    #[test]
    fn a_dotted_path_reaches_into_nested_objects() {
        let r = data(r#"{"message":"x","usage":{"total_tokens":30,"prompt_tokens":"12"}}"#);
        assert_eq!(at_path(&r, "usage.total_tokens"), Some(&b"30"[..]));
        assert_eq!(at_path(&r, "usage.prompt_tokens"), Some(&b"\"12\""[..]));
        assert!(at_path(&r, "usage.missing").is_none());
        assert!(at_path(&r, "message.inner").is_none());
    }

    #[test]
    fn the_default_finds_token_cost_and_usage_fields() {
        let r = data(
            r#"{"cost_usd":0.5,"message":"42","tokenizer":7,"tokens_used":"100","usage":{"output_tokens":3,"model":"m"}}"#,
        );
        let mut found = Vec::new();
        auto_metrics(&r, &mut found);
        let names: Vec<&str> = found.iter().map(|(n, _)| &**n).collect();
        assert_eq!(names, ["cost_usd", "tokens_used", "usage.output_tokens"]);
    }

    #[test]
    fn members_are_found_in_any_layout_and_escapes_are_decoded() {
        let data = br#"{
            "message": "a \"quoted\" } ] , text",
            "nested": {"a": [1, {"b": "}"}], "c": "]"},
            "to\u006bens_used" :  "12" ,
            "usage": {
                "prompt_tokens": 3,
                "model": "m"
            },
            "cost_usd": 0.5
        }"#;
        let mut seen = Vec::new();
        each_member(data, |key, value| {
            seen.push((
                key.into_owned(),
                String::from_utf8_lossy(value).into_owned(),
            ));
            true
        });
        let keys: Vec<&str> = seen.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["message", "nested", "tokens_used", "usage", "cost_usd"]
        );
        assert_eq!(seen[2].1, r#""12""#);
        assert_eq!(seen[4].1, "0.5");
        let data = &UnreadData::unmarked(data);
        assert_eq!(at_path(data, "usage.prompt_tokens"), Some(&b"3"[..]));
        assert_eq!(at_path(data, "tokens_used"), Some(&b"\"12\""[..]));
        assert!(at_path(data, "nested.c.d").is_none());
        let mut found = Vec::new();
        auto_metrics(data, &mut found);
        let found: Vec<(String, Option<Result<f64, ()>>)> = found
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v))
            .collect();
        assert_eq!(
            found,
            [
                ("tokens_used".to_owned(), Some(Ok(12.0))),
                ("usage.prompt_tokens".to_owned(), Some(Ok(3.0))),
                ("cost_usd".to_owned(), Some(Ok(0.5))),
            ]
        );
        // Not an object, or cut short: no members, no panic.
        for json in [
            &b"[1,2]"[..],
            b"\"text\"",
            b"",
            b"{",
            br#"{"a":"#,
            br#"{"a" 1}"#,
        ] {
            each_member(json, |_, _| panic!("{json:?}"));
        }
    }

    /// The narrow read (`Parse::Metrics`: the output data's bytes, unchecked) finds the very
    /// metrics the full parse does, on the scanner's path and on serde_json's (an escaped error
    /// message sends an entry there).
    #[test]
    fn the_narrow_read_finds_what_the_full_parse_finds() {
        use crate::read::Parse;
        let fixture = include_str!("../../fixtures/metrics/metrics-a.trace.json");
        let mut runs = 0;
        let selections = [
            MetricSelection::Auto,
            MetricSelection::from_args(&["usage.input_tokens".into(), "retrieved_docs".into()]),
        ];
        for entry in fixture.split("\n,\n") {
            let entry = entry
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim();
            let escaped = entry.replacen(
                r#""hook": "AfterAgentRun","#,
                r#""hook": "AfterAgentRun", "error": "\"x\"","#,
                1,
            );
            for bytes in [entry, escaped.as_str()] {
                let full = TraceEntry::parse_with(bytes.as_bytes(), Parse::Full)
                    .unwrap_or_else(|e| panic!("{e}: {bytes}"));
                let narrow = TraceEntry::parse_with(bytes.as_bytes(), Parse::Metrics)
                    .unwrap_or_else(|e| panic!("{e}: {bytes}"));
                let Some(state) = narrow.output_state() else {
                    continue;
                };
                runs += 1;
                assert!(state.data.is_none());
                let unread = narrow.agent_result.as_ref().and_then(|r| r.unread_data);
                assert_eq!(
                    unread.map(|u| u.bytes),
                    full.output_state()
                        .and_then(|s| s.data)
                        .map(|d| d.get().as_bytes())
                );
                // The scanner marks the keys that may name a metric; serde_json's path marks
                // none, and every key is looked at.
                let marked = unread.and_then(|u| u.marked().map(<[u32]>::len));
                if bytes == entry && entry.contains("tokens_used") {
                    assert!(marked.is_some_and(|n| n > 0), "{bytes}");
                } else if bytes != entry {
                    assert_eq!(marked, None);
                }
                for selection in &selections {
                    assert_eq!(
                        run_numbers(&narrow, selection),
                        run_numbers(&full, selection)
                    );
                }
                let light = TraceEntry::parse_with(bytes.as_bytes(), Parse::Light)
                    .unwrap_or_else(|e| panic!("{e}: {bytes}"));
                assert!(run_numbers(&light, &MetricSelection::Auto).is_empty());
            }
        }
        assert_eq!(runs, 12, "six runs, each read on both paths");
    }

    /// Only first-level keys are marked (not a nested `tokens`, nor a string in an array);
    /// past the marks kept, every key is looked at. Either way the narrow read finds what the
    /// full parse finds.
    #[test]
    fn the_narrow_read_marks_first_level_keys_only() {
        use crate::read::Parse;
        for (data, marks) in [
            (
                r#"{"list":["tokens",":",{"cost":1}],"nested":{"tokens":9},"a_tokens":1,"f":"cost","usage":{"x":"3"}}"#,
                Some(2),
            ),
            (
                r#"{"a_tokens":1,"b_cost":2,"c_usage":{"x":3},"d_tokens":4,"e_tokens":5,"z":"6"}"#,
                None,
            ),
            (r#"{"message":"no metrics here"}"#, Some(0)),
            (r#"["tokens"]"#, Some(0)),
        ] {
            let entry = format!(
                r#"{{"timestamp":"2025-05-02T10:00:00Z","hook":"AfterAgentRun","agent_id":"a","agent_result":{{"output_state":{{"data":{data}}}}}}}"#
            );
            let narrow = TraceEntry::parse_with(entry.as_bytes(), Parse::Metrics)
                .unwrap_or_else(|e| panic!("{e}"));
            let full = TraceEntry::parse_with(entry.as_bytes(), Parse::Full)
                .unwrap_or_else(|e| panic!("{e}"));
            let unread = narrow.agent_result.as_ref().and_then(|r| r.unread_data);
            assert_eq!(unread.map(|u| u.bytes), Some(data.as_bytes()));
            assert_eq!(
                unread.and_then(|u| u.marked().map(<[u32]>::len)),
                marks,
                "{data}"
            );
            for selection in [
                MetricSelection::Auto,
                MetricSelection::from_args(&["usage.x".into(), "z".into(), "d_tokens".into()]),
            ] {
                assert_eq!(
                    run_numbers(&narrow, &selection),
                    run_numbers(&full, &selection),
                    "{data}"
                );
            }
        }
    }

    #[test]
    fn quantiles_keep_small_values() {
        let mut s = MetricStats::default();
        for v in [0.01, 0.02, 0.03, 0.04] {
            s.record(v);
        }
        let p50 = s.quantile(0.5).unwrap_or_default();
        assert!((p50 - 0.02).abs() < 1e-4, "{p50}");
        assert_eq!(s.max, Some(0.04));
        assert!((s.total - 0.1).abs() < 1e-12);
    }
}
