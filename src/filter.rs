//! The one filter language: `--filter` expressions that select trace entries, shared by every
//! view (timeline, flow, analysis, exports, follow). It knows entries, not how they are shown.
//!
//! An expression is `KEY=VALUE` (or a bare `error`), or `KEY!=VALUE` for its opposite; a
//! [`Filter`] holds several, and an entry passes when all of them hold. Values are compared
//! whole and may hold glob wildcards (`agent=research*`).

use crate::error::Error;
use crate::model::{Hook, TraceEntry};
use crate::text;
use crate::time::{Timestamp, parse_time_bound};
use chrono::{DateTime, Local};
use glob::{MatchOptions, Pattern};
use std::fmt;
use std::str::FromStr;

/// The keys an expression may use, as usage errors list them.
pub const KEYS: [&str; 8] = [
    "agent", "hook", "event", "type", "error", "meta.KEY", "since", "until",
];

/// One filter expression: a condition an entry must meet.
#[derive(Debug, Clone)]
pub enum Condition {
    /// `agent=NAME`: the entry's agent (`TraceEntry::agent`: on `BeforeEventHandling`, the
    /// event's target).
    Agent(Value),
    /// `hook=NAME`: the hook, in any case, with or without Go's `Hook` prefix.
    Hook(Value),
    /// `event=ID`: the event id, or a prefix of it.
    Event(Value),
    /// `type=NAME`: the entry's `type` field.
    Type(Value),
    /// `error`: the entry has an error (its own or its agent result's); `error=TEXT`: that error.
    Error(Option<Value>),
    /// `meta.KEY=VALUE`: the merged state's metadata (`state` and `output_state`).
    Meta { key: String, value: Value },
    /// `since=TIME`: at or after the time.
    Since(Timestamp),
    /// `until=TIME`: before the time.
    Until(Timestamp),
    /// `KEY!=VALUE`: the entry does not meet the condition (`agent!=planner`: every other
    /// agent's entries, and those without an agent).
    Not(Box<Condition>),
}

/// What a field is compared with: text compared whole, where `*`, `?` and `[...]` are
/// wildcards as in a shell.
#[derive(Debug, Clone)]
pub struct Value {
    /// As the user typed it (for messages).
    text: String,
    /// Set when the text holds wildcards; plain text is compared directly, which is faster.
    pattern: Option<Pattern>,
    case_sensitive: bool,
}

impl Value {
    /// A value to compare fields with, a wildcard pattern when it holds `*`, `?` or `[`.
    pub fn new(text: &str, case_sensitive: bool) -> Result<Value, String> {
        let pattern = if text.contains(['*', '?', '[']) {
            // Values are not paths: `**` means what `*` does (the glob crate would reject it
            // unless it is a whole path component).
            let mut glob = String::with_capacity(text.len());
            for c in text.chars() {
                if !(c == '*' && glob.ends_with('*')) {
                    glob.push(c);
                }
            }
            Some(Pattern::new(&glob).map_err(|e| {
                format!(
                    "bad wildcard pattern {}: {}",
                    text::quote_for_message(text),
                    e.msg
                )
            })?)
        } else {
            None
        };
        Ok(Value {
            text: text.to_owned(),
            pattern,
            case_sensitive,
        })
    }

    /// Whether `field` is this value (or matches its pattern).
    pub fn matches(&self, field: &str) -> bool {
        match &self.pattern {
            Some(pattern) => pattern.matches_with(
                field,
                MatchOptions {
                    case_sensitive: self.case_sensitive,
                    require_literal_separator: false,
                    require_literal_leading_dot: false,
                },
            ),
            None if self.case_sensitive => field == self.text,
            None if field.is_ascii() && self.text.is_ascii() => {
                field.eq_ignore_ascii_case(&self.text)
            }
            None => field.to_lowercase() == self.text.to_lowercase(),
        }
    }

    /// The value as the user typed it.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Condition {
    /// Parses one expression. `now` is the reference for relative times (`since=2h`).
    pub fn parse(expr: &str, now: DateTime<Local>) -> Result<Condition, Error> {
        let usage = |message: String| Error::Usage {
            what: format!("--filter {}", text::quote_for_message(expr)),
            message,
        };
        let (key, value) = match expr.split_once('=') {
            Some((key, value)) => (key.trim(), Some(value)),
            None => (expr.trim(), None),
        };
        if let Some(value) = value.and_then(|v| v.strip_prefix('=')) {
            // `agent==x` would otherwise look for the agent `=x`.
            let key = text::escape(key.trim_end_matches('!'), false);
            let value = text::escape(value, false);
            return Err(usage(format!(
                "'==' is not an operator: write {key}={value}, or {key}!={value} for the \
                 opposite (a value that starts with = is written [=]...)"
            )));
        }
        if let (Some(positive), Some(value)) = (key.strip_suffix('!'), value) {
            let positive = positive.trim();
            let lower = positive.to_ascii_lowercase();
            if lower == "since" || lower == "until" {
                let other = if lower == "since" { "until" } else { "since" };
                return Err(usage(format!(
                    "'{lower}' cannot be negated: write {other}=TIME"
                )));
            }
            if positive.ends_with('!') {
                return Err(usage(unknown_key(key)));
            }
            let inner =
                Condition::parse(&format!("{positive}={value}"), now).map_err(|e| match e {
                    Error::Usage { message, .. } => usage(message),
                    other => other,
                })?;
            return Ok(Condition::Not(Box::new(inner)));
        }
        let lower = key.to_ascii_lowercase();
        let exact = |v: &str| Value::new(v, true).map_err(usage);
        let needs_value = || {
            value.ok_or_else(|| {
                usage(format!(
                    "'{}' needs a value: write {}=VALUE",
                    text::escape(key, false),
                    text::escape(key, false)
                ))
            })
        };
        Ok(match lower.as_str() {
            "agent" => Condition::Agent(exact(needs_value()?)?),
            "type" => Condition::Type(exact(needs_value()?)?),
            "hook" => {
                let v = needs_value()?;
                // A known hook in any spelling the writer's Go code uses: `HookAgentError`.
                let hook = Hook::from_name(v.into());
                let canonical = match &hook {
                    Hook::Other(_) | Hook::Missing => v,
                    known => known.as_str(),
                };
                Condition::Hook(Value::new(canonical, false).map_err(usage)?)
            }
            "event" => {
                let v = needs_value()?;
                if v.is_empty() {
                    return Err(usage(
                        "'event' needs an id or a prefix of one: write event=ID".to_owned(),
                    ));
                }
                // Exact or prefix: a pattern that ends in `*` covers both.
                Condition::Event(Value::new(&format!("{v}*"), true).map_err(usage)?)
            }
            "error" => Condition::Error(value.map(exact).transpose()?),
            "since" | "until" => {
                let v = needs_value()?;
                let t = parse_time_bound(v, now).map_err(usage)?;
                if lower == "since" {
                    Condition::Since(t)
                } else {
                    Condition::Until(t)
                }
            }
            _ => match lower.strip_prefix("meta.") {
                Some(_) if key.len() > "meta.".len() => Condition::Meta {
                    key: key["meta.".len()..].to_owned(),
                    value: exact(needs_value()?)?,
                },
                Some(_) => {
                    return Err(usage(
                        "'meta.' needs a key: write meta.KEY=VALUE, e.g. meta.correlation_id=abc"
                            .to_owned(),
                    ));
                }
                None => return Err(usage(unknown_key(key))),
            },
        })
    }

    /// Whether the entry meets the condition.
    pub fn matches(&self, entry: &TraceEntry<'_>) -> bool {
        match self {
            Condition::Agent(v) => v.matches(entry.agent()),
            Condition::Hook(v) => v.matches(entry.hook.as_str()),
            Condition::Event(v) => v.matches(&entry.event_id),
            Condition::Type(v) => v.matches(&entry.kind),
            Condition::Error(None) => entry.error_message().is_some(),
            Condition::Error(Some(v)) => entry.error_message().is_some_and(|m| v.matches(m)),
            Condition::Meta { key, value } => entry.meta(key).is_some_and(|m| value.matches(&m)),
            Condition::Since(t) => entry.timestamp >= *t,
            Condition::Until(t) => entry.timestamp < *t,
            Condition::Not(c) => !c.matches(entry),
        }
    }

    /// The condition itself, or, when negated (`KEY!=VALUE`), the one it negates: what it is
    /// about.
    pub fn unnegated(&self) -> &Condition {
        match self {
            Condition::Not(c) => c.unnegated(),
            c => c,
        }
    }
}

fn unknown_key(key: &str) -> String {
    let mut message = format!("unknown key '{}'", text::escape(key, false));
    let lower = key.to_ascii_lowercase();
    let closest = KEYS
        .iter()
        .map(|k| (strsim::levenshtein(&lower, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min();
    if let Some((_, k)) = closest {
        message.push_str(&format!(" (did you mean '{k}'?)"));
    }
    message.push_str(&format!(
        "; valid keys: {} (as KEY=VALUE, or a bare `error`)",
        KEYS.join(", ")
    ));
    message
}

impl FromStr for Condition {
    type Err = Error;

    /// Parses one expression, relative times counted from now.
    fn from_str(expr: &str) -> Result<Condition, Error> {
        Condition::parse(expr, Local::now())
    }
}

impl fmt::Display for Condition {
    /// The condition in words, for messages: `agent 'planner'`, `hook 'AgentError'`, `errors`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted = |v: &Value| text::escape(v.as_str(), false).into_owned();
        match self {
            Condition::Agent(v) => write!(f, "agent '{}'", quoted(v)),
            Condition::Hook(v) => write!(f, "hook '{}'", quoted(v)),
            Condition::Event(v) => {
                let prefix = v.as_str().strip_suffix('*').unwrap_or(v.as_str());
                write!(f, "event '{}'", text::escape(prefix, false))
            }
            Condition::Type(v) => write!(f, "type '{}'", quoted(v)),
            Condition::Error(None) => f.write_str("errors"),
            Condition::Error(Some(v)) => write!(f, "error '{}'", quoted(v)),
            Condition::Meta { key, value } => {
                write!(f, "meta {}='{}'", text::escape(key, false), quoted(value))
            }
            Condition::Since(t) => write!(f, "since {t}"),
            Condition::Until(t) => write!(f, "until {t}"),
            Condition::Not(c) => write!(f, "not {c}"),
        }
    }
}

/// A set of conditions, all of which must hold. The empty filter passes every entry.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    conditions: Vec<Condition>,
}

impl Filter {
    pub fn new(conditions: Vec<Condition>) -> Filter {
        Filter { conditions }
    }

    /// Parses each expression (as given to `--filter`); `now` for relative times.
    pub fn parse_all<S: AsRef<str>>(exprs: &[S], now: DateTime<Local>) -> Result<Filter, Error> {
        exprs
            .iter()
            .map(|e| Condition::parse(e.as_ref(), now))
            .collect::<Result<_, _>>()
            .map(Filter::new)
    }

    /// Whether the filter passes everything.
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Whether the entry meets every condition.
    pub fn matches(&self, entry: &TraceEntry<'_>) -> bool {
        self.conditions.iter().all(|c| c.matches(entry))
    }
}

impl fmt::Display for Filter {
    /// The conditions in words, joined with "and".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.conditions.iter().enumerate() {
            if i > 0 {
                f.write_str(" and ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Local> {
        Local.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap()
    }

    fn filter(exprs: &[&str]) -> Filter {
        Filter::parse_all(exprs, now()).unwrap()
    }

    fn entry(json: &str) -> TraceEntry<'_> {
        TraceEntry::parse(json.as_bytes()).unwrap()
    }

    const RUN: &str = r#"{"timestamp":"2025-05-02T14:32:15.5+05:30","type":"",
        "event_id":"req-88000918-planner","agent_id":"researcher","hook":"AfterAgentRun",
        "state":{"meta":{"correlation_id":"abc"}},
        "agent_result":{"output_state":{"data":{},"meta":{"route":"analyzer"}}}}"#;
    const FAILED: &str = r#"{"timestamp":"2025-05-02T14:32:19Z","event_id":"eca61503-2dc7",
        "agent_id":"summarizer","hook":"AgentError","agent_result":{"error":"rate limit (429)"}}"#;

    /// Whether the filter of `exprs` passes RUN, and FAILED.
    fn passes(exprs: &[&str]) -> (bool, bool) {
        let f = filter(exprs);
        (f.matches(&entry(RUN)), f.matches(&entry(FAILED)))
    }

    #[test]
    fn each_key_selects_on_its_field() {
        assert_eq!(passes(&[]), (true, true));
        assert_eq!(passes(&["agent=researcher"]), (true, false));
        assert_eq!(passes(&["agent=Researcher"]), (false, false));
        assert_eq!(passes(&["agent=research*"]), (true, false));
        assert_eq!(passes(&["agent=*er"]), (true, true));
        assert_eq!(passes(&["hook=agenterror"]), (false, true));
        assert_eq!(passes(&["hook=HookAgentError"]), (false, true));
        assert_eq!(passes(&["HOOK=after*"]), (true, false));
        assert_eq!(passes(&["event=req-88000918-planner"]), (true, false));
        assert_eq!(passes(&["event=eca6"]), (false, true));
        assert_eq!(passes(&["event=req-*-planner"]), (true, false));
        assert_eq!(passes(&["event=eca6*"]), (false, true));
        assert_eq!(passes(&["agent=**/x**"]), (false, false));
        assert_eq!(passes(&["type="]), (true, true));
        assert_eq!(passes(&["error"]), (false, true));
        assert_eq!(passes(&["error=*429*"]), (false, true));
        assert_eq!(passes(&["meta.correlation_id=abc"]), (true, false));
        assert_eq!(passes(&["meta.route=analyzer"]), (true, false));
        assert_eq!(passes(&["meta.route=*"]), (true, false));
        assert_eq!(passes(&["since=2025-05-02T09:02:16Z"]), (false, true));
        assert_eq!(passes(&["until=2025-05-02T09:02:16Z"]), (true, false));
        assert_eq!(passes(&["agent=*er", "error"]), (false, true));
        assert_eq!(passes(&["agent=researcher", "error"]), (false, false));
    }

    #[test]
    fn bad_expressions_are_usage_errors_that_list_the_keys() {
        let message = |expr: &str| Condition::parse(expr, now()).unwrap_err().to_string();
        let m = message("agnet=planner");
        assert!(
            m.starts_with("invalid --filter \"agnet=planner\": unknown key 'agnet' (did you mean 'agent'?); valid keys: agent, hook, event, type, error, meta.KEY, since, until"),
            "{m}"
        );
        assert!(message("planner").contains("unknown key 'planner'"));
        assert!(message("agent").contains("'agent' needs a value"));
        assert!(message("meta.=x").contains("'meta.' needs a key"));
        assert!(message("event=").contains("needs an id"));
        assert!(message("since=soon").contains("invalid time 'soon'"));
        assert!(message("agent=[a").contains("bad wildcard pattern"));
    }

    #[test]
    fn not_equal_selects_the_opposite() {
        assert_eq!(passes(&["agent!=researcher"]), (false, true));
        assert_eq!(passes(&["agent!=research*"]), (false, true));
        assert_eq!(passes(&["hook!=agenterror"]), (true, false));
        assert_eq!(passes(&["event!=eca6"]), (true, false));
        assert_eq!(passes(&["error!=*429*"]), (true, false));
        assert_eq!(passes(&["meta.correlation_id!=abc"]), (false, true));
        assert_eq!(
            passes(&["agent!=summarizer", "agent!=researcher"]),
            (false, false)
        );
        assert_eq!(
            filter(&["agent!=planner", "hook!=AgentError"]).to_string(),
            "not agent 'planner' and not hook 'AgentError'"
        );
    }

    /// `agent==x` used to filter for the agent `=x`, silently.
    #[test]
    fn a_double_equals_is_a_usage_error_that_says_what_to_write() {
        let message = |expr: &str| Condition::parse(expr, now()).unwrap_err().to_string();
        assert_eq!(
            message("agent==x"),
            "invalid --filter \"agent==x\": '==' is not an operator: write agent=x, or agent!=x \
             for the opposite (a value that starts with = is written [=]...)"
        );
        assert!(message("agent!==x").contains("write agent=x, or agent!=x"));
        assert!(message("since!=2h").contains("'since' cannot be negated: write until=TIME"));
        assert!(message("agent!!=x").contains("unknown key 'agent!!'"));
        assert!(message("agnet!=x").contains("unknown key 'agnet' (did you mean 'agent'?)"));
        assert!(message("agent!").contains("unknown key 'agent!'"));
        // A value that does start with `=` can still be asked for.
        let f = filter(&["agent=[=]x"]);
        assert!(f.matches(&entry(
            r#"{"timestamp":"2025-05-02T14:32:19Z","agent_id":"=x"}"#
        )));
    }

    #[test]
    fn conditions_read_as_words() {
        let f = filter(&["agent=planner", "error", "event=req-1", "meta.k=v"]);
        assert_eq!(
            f.to_string(),
            "agent 'planner' and errors and event 'req-1' and meta k='v'"
        );
        let parsed: Condition = "hook=AgentError".parse().unwrap();
        assert_eq!(parsed.to_string(), "hook 'AgentError'");
    }
}
