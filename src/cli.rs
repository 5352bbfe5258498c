//! The command line, as clap parses it. Commands turn these raw arguments into typed options
//! once (`cmd::*`); nothing below them sees clap.

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The order of sessions, newest first, whose first is `latest` (`session::newest_first`).
macro_rules! newest_first {
    () => {
        "by their start (the time of their first entry), the latest first, and those whose \
         start cannot be read (no entry yet, or not a trace) last; sessions that started at the \
         same time, or have no start, go by their file's modification time, newest first; then \
         by id, then by file name."
    };
}

/// The exit codes of a command that reads sessions, shown in its `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the command ran, but some input was skipped as malformed (reported on stderr)
  2  usage error, unknown session, or unreadable file or directory";

/// The one exit code only `diff` gives.
const EXIT_CODE_FAIL_ON: &str = "  3  diff: a --fail-on condition holds (whatever else happened)";

/// Every exit code, as `agentcli --help` and `diff --help` show them.
pub fn all_exit_codes() -> String {
    format!("{EXIT_CODES}\n{EXIT_CODE_FAIL_ON}")
}

/// `completions --help`: the shell, and none of the options about sessions and tables that every
/// other command takes (they are accepted, and change nothing in a completion script).
const COMPLETIONS_TEMPLATE: &str = "\
{about-with-newline}
{usage-heading} {usage}

Arguments:
{positionals}

Options:
  -h, --help     Print help
  -V, --version  Print version";

#[derive(Debug, Parser)]
#[command(
    name = "agentcli",
    version,
    about = "Read and analyse the execution traces of multi-agent systems",
    long_about = "Read and analyse the execution traces of multi-agent systems.\n\n\
        Trace files are <session-id>.trace.json (as AgenticGoKit writes them, closed or not), \
        .trace.jsonl, and the same gzip-compressed (.gz).",
    after_help = all_exit_codes(),
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory holding the trace files [default: the current directory]
    #[arg(long, global = true, value_name = "DIR", env = "AGENTCLI_TRACE_DIR")]
    pub dir: Option<PathBuf>,

    /// When to colour the output (NO_COLOR in the environment means never, unless "always")
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Show times in UTC [default: in the zone each trace was written in]
    #[arg(long, global = true, conflicts_with = "local")]
    pub utc: bool,

    /// Show times in this machine's time zone
    #[arg(long, global = true)]
    pub local: bool,

    /// Width of tables in columns [default: the terminal's width, or 120 when not a terminal]
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(20..))]
    pub width: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the sessions in the trace directory, newest first
    #[command(
        long_about = concat!(
            "List the sessions in the trace directory, newest first: ",
            newest_first!(),
            " The first is the one `latest` names."
        ),
        after_help = EXIT_CODES
    )]
    List(ListArgs),

    /// Show a session's trace: a timeline of its entries, every detail of each, or its agent flow
    #[command(after_help = TRACE_HELP)]
    Trace(TraceArgs),
    /// Send sessions to an OpenTelemetry collector (OTLP/HTTP), as traces
    #[command(
        after_help = EXPORT_HELP,
        after_long_help = EXPORT_HELP
    )]
    Export(ExportArgs),

    /// Analyse performance across sessions: per-agent run statistics over every session in the
    /// trace directory (or those named), read in parallel
    #[command(
        long_about = "Analyse performance across sessions: per-agent runs, errors, time, \
            min / mean / p50 / p95 / p99 / max run duration and the response-time buckets, \
            event and request latency, and errors by message, over every session in the trace \
            directory (or those named). Sessions are read in parallel; memory does not grow \
            with the number of entries.",
        after_help = analysis_help()
    )]
    Analyze(AnalyzeArgs),

    /// Compare two sessions: durations, runs and errors per agent, hand-overs and routes,
    /// error messages; fail a CI job on a regression with --fail-on
    #[command(
        long_about = "Compare two sessions (A, the baseline, and B): the session's duration, \
            runs, errors, event and request latency, and per agent runs, errors, p50 and p95 run \
            duration, each with its change from A to B (absolute, and relative to A), marked ▲ \
            or ▼; then only what differs: hand-overs between agents found in one session only \
            and the condensed routes side by side, requests by the route they took (and by id, \
            when the sessions share request ids), error messages new in B or gone from A. \
            Each session is read once, closed or not, in any format.",
        after_help = diff_help()
    )]
    Diff(DiffArgs),

    /// Explore sessions in the terminal: the session list, each session's timeline, waterfall
    /// and flow, and any entry in full (needs a terminal; `trace` prints)
    #[command(after_help = crate::view::KEYS_HELP)]
    View(ViewArgs),

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(
        help_template = COMPLETIONS_TEMPLATE,
        override_usage = "agentcli completions <SHELL>"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Also read each file whole: entries, events, agents, duration, errors
    #[arg(short, long)]
    pub verbose: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// With --verbose, a column of each session's total of a number its runs reported: a
    /// dotted path into an AfterAgentRun's output state data, else its meta (--metric
    /// tokens_used adds TOKENS_USED); repeatable
    #[arg(long = "metric", value_name = "PATH", requires = "verbose")]
    pub metrics: Vec<String>,

    #[command(flatten, next_help_heading = SESSIONS_STARTED)]
    pub time: TimeRange,

    #[command(flatten)]
    pub redact: RedactArgs,
}

/// `trace --help`: the filter language, following, then the exit codes.
pub const TRACE_HELP: &str = concat!(
    "\
Filters (--filter EXPR, repeatable; an entry is shown when all hold):
  agent=NAME        the agent (on BeforeEventHandling, the agent the event is for)
  hook=NAME         the hook, any case (AgentError, HookAgentError, agenterror)
  event=ID          the event id, or a prefix of it
  type=NAME         the entry's type (empty from the callback writer)
  error             entries with an error; error=TEXT: with that error message
  meta.KEY=VALUE    the state's metadata (state and output_state merged)
  since=TIME        at or after TIME: a date (2024-01-01), an RFC 3339 time, an age (90m, 2h, 3d)
  until=TIME        before TIME (same forms)
  KEY!=VALUE        the opposite of KEY=VALUE: agent!=planner, every other agent's entries
                    (any key but since and until)
Values are compared whole (event= also takes a prefix): * matches any text, ? one character,
[abc] one of a set. Quote them for the shell: --filter 'agent=research*'.
With --flow-only and --format mermaid|dot, filters choose agent runs: a run is kept when the
entry it is read from (its AfterAgentRun, or its AgentError) matches: agent=NAME keeps the runs
of NAME, error the failed ones. Every entry is still read to follow the routing.

Exports (--format json, jsonl, csv) write each entry in one normalised shape: timestamp
(RFC 3339 with nanoseconds), hook, agent_id, event_id, session_id, source_agent_id,
target_agent_id, next_agent (the route), duration_ms (of a run or an event, when known), error,
and the state with data and meta merged; --format otlp writes the session as OpenTelemetry
spans. Exports honour --filter and --redact, and are never coloured.

Tables fit the width (--width, else the terminal's, else 120 columns). When space runs out
the hook names take short forms (BeforeEvent, AfterEvent, BeforeRun, AfterRun for
BeforeEventHandling, AfterEventHandling, BeforeAgentRun, AfterAgentRun), then STATE is cut,
then STATE and HOOK are left out. Times, agent names and error messages are never cut: an
error message wraps onto the lines below its row.

Following (--follow, -f): the entries already written (the last N with --tail N), then each new
entry as soon as it is complete, in the table, --verbose, --debug, --flow-only (each hop once
its next agent is known), or --format jsonl|csv. A file that does not exist yet is waited for;
a file truncated or replaced (a new run with the same session id) is read again from its start,
said on stderr. Ctrl-C stops, completes the output and says on stderr how many entries were
shown.

The latest session (`latest`, and each newer session --follow-new switches to) is the one
`list` shows first: sessions go ",
    newest_first!(),
    "

Exit codes:
  0  success, including when no entry matches the filters (said on stderr), and a follow
     stopped with Ctrl-C
  1  the command ran, but some input was skipped as malformed (reported on stderr)
  2  usage error, unknown session, or unreadable file or directory"
);

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("following").args(["follow", "follow_new"]).multiple(true)))]
pub struct TraceArgs {
    /// The session: an id, a unique prefix of one, a path to a trace file, or `latest`
    /// [default with --follow-new: latest]
    #[arg(value_name = "SESSION", required_unless_present = "follow_new")]
    pub session: Option<String>,

    /// Keep reading as the session is written: the entries already there, then each new one as
    /// soon as it is complete, until Ctrl-C. A session without a file yet is waited for
    #[arg(short, long)]
    pub follow: bool,

    /// Follow, and switch to each newer session as it appears in the trace directory
    #[arg(long)]
    pub follow_new: bool,

    /// Of the entries already written, show only the last N (of those the filters select)
    #[arg(long, value_name = "N")]
    pub tail: Option<u64>,

    /// With --follow: look at the file every 100 ms instead of waiting for file-system
    /// notifications (for network file systems, where notifications may not arrive)
    #[arg(long, requires = "following")]
    pub poll: bool,

    /// Every entry in full: all its fields and its whole state (data and meta), wrapped, nothing cut
    #[arg(short, long, conflicts_with_all = ["debug", "analyze"])]
    pub verbose: bool,

    /// The raw structure: each entry's JSON as read, then what the reader found (file shape,
    /// entries read, entries skipped and why)
    #[arg(long, conflicts_with = "analyze")]
    pub debug: bool,

    /// Analyse performance instead: per-agent run statistics and response-time buckets, the
    /// slowest events, the bottleneck and critical path, errors, idle gaps, and a waterfall.
    /// Quantiles are within 0.1% (or 1 µs) of the exact values; --filter selects what counts
    #[arg(long)]
    pub analyze: bool,

    /// With --analyze: how many slowest events and longest idle gaps to show
    #[arg(long, value_name = "N", default_value_t = 5, requires = "analyze")]
    pub top: usize,

    #[command(flatten, next_help_heading = "Metrics (with --analyze)")]
    pub metric: MetricArgs,

    /// Only the agent flow: one row per agent run and the agent it handed the work to, then
    /// the numbered sequence, the condensed route and each request's sequence (--verbose:
    /// whole event ids and errors)
    #[arg(long, conflicts_with_all = ["debug", "analyze"])]
    pub flow_only: bool,

    /// Draw arrows and shortened text with ASCII only (-> and ...) [default when the locale
    /// is not UTF-8]
    #[arg(long)]
    pub ascii: bool,

    /// Output format: table (the views above); the entries as data: json, jsonl, csv, otlp
    /// (see below; with --analyze, json is its report as one JSON document, see
    /// docs/analysis-json.md); or the agent flow as a picture: a Mermaid sequence diagram
    /// (paste it into Markdown) or a Graphviz digraph (`| dot -Tsvg`)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = TraceFormat::Table)]
    pub format: TraceFormat,

    /// With --format csv: put a ' before cells that start with =, +, -, @, a tab or a carriage
    /// return, so that spreadsheets show them instead of running them as formulas
    #[arg(long)]
    pub csv_safe: bool,

    #[command(flatten, next_help_heading = "Entries shown")]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub redact: RedactArgs,
}

/// `trace --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// The timeline table, or the view asked for (--verbose, --debug, --flow-only, --analyze)
    Table,
    /// A JSON array of normalised entries (agentcli reads it back as a session file); with
    /// --analyze, its report as one JSON document
    Json,
    /// The normalised entries as JSON Lines, one line per entry, written as it is read
    Jsonl,
    /// The normalised entries as CSV with a header row, one row per entry
    Csv,
    /// The session as OpenTelemetry spans: an OTLP/JSON ExportTraceServiceRequest
    Otlp,
    /// The agent flow as a Mermaid sequenceDiagram
    Mermaid,
    /// The agent flow as a Graphviz digraph
    Dot,
}

/// What `export --help` ends with.
pub const EXPORT_HELP: &str = "\
Each session becomes one trace (its id derived from the session id): a span for the session,
one per event, and one per agent run inside its event. Spans are sent as OTLP/JSON to
URL/v1/traces, as the OpenTelemetry Collector, Jaeger and Grafana Tempo accept them.

Exit codes:
  0  success
  1  the command ran, but some input was skipped as malformed (reported on stderr)
  2  usage error, unknown session, unreadable file, or the collector could not be reached
     or refused the spans";

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Sessions to send: ids, unique prefixes, paths, or `latest` [default: every session in
    /// the trace directory]
    #[arg(value_name = "SESSION")]
    pub sessions: Vec<String>,

    /// The OTLP/HTTP collector: its base URL (http://localhost:4318), to which /v1/traces is
    /// added, or the full URL of its traces endpoint
    #[arg(long, value_name = "URL", env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: String,

    /// An HTTP header for every request, as NAME=VALUE (a hosted backend's credentials);
    /// repeatable
    #[arg(long = "header", value_name = "NAME=VALUE")]
    pub headers: Vec<String>,

    /// How many times to try a request again when the collector cannot be reached or asks to
    /// slow down (waiting 0.5 s, then twice as long each time)
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub retries: u32,

    /// The service.name the spans are reported under
    #[arg(long, value_name = "NAME", env = "OTEL_SERVICE_NAME", default_value = crate::export::otlp::DEFAULT_SERVICE_NAME)]
    pub service_name: String,

    /// A number a run reported that its span carries as an attribute: a dotted path into the
    /// AfterAgentRun's output state data, else its meta; repeatable. Input and output tokens
    /// take the OpenTelemetry GenAI names (gen_ai.usage.input_tokens), others
    /// agentcli.metric.PATH [default: numeric fields with token(s), cost(s) or usage as a word
    /// of their key; `none`: no metrics]
    #[arg(long = "metric", value_name = "PATH")]
    pub metrics: Vec<String>,

    #[command(flatten, next_help_heading = SESSIONS_STARTED)]
    pub time: TimeRange,

    #[command(flatten, next_help_heading = "Entries sent")]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub redact: RedactArgs,
}

#[derive(Debug, Args)]
pub struct ViewArgs {
    /// The session to open: an id, a unique prefix of one, a path to a trace file, or
    /// `latest` [default: the session list]
    #[arg(value_name = "SESSION")]
    pub session: Option<String>,

    /// Show only entries matching EXPR (repeatable: all must hold); the filter language of
    /// `trace --filter`, also typed in the view with `f`
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,

    #[command(flatten)]
    pub redact: RedactArgs,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Sessions to analyse: ids, unique prefixes, paths or `latest` [default: every session in
    /// the trace directory]
    #[arg(value_name = "SESSION")]
    pub sessions: Vec<String>,

    /// Also list each session: duration, events, runs, errors, slowest agent
    #[arg(long)]
    pub by_session: bool,

    /// Output format (JSON: see docs/analysis-json.md)
    #[arg(long, value_enum, default_value_t = AnalysisFormat::Table)]
    pub format: AnalysisFormat,

    #[command(
        flatten,
        next_help_heading = "Time range (a run counts when its end is in it)"
    )]
    pub time: TimeRange,

    #[command(
        flatten,
        next_help_heading = "Runs, events and errors counted (by the entry that completes them)"
    )]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub redact: RedactArgs,
    #[command(flatten, next_help_heading = "Metrics")]
    pub metric: MetricArgs,
}

/// `--metric` and `--metric-delta`: the numbers runs report that the analyses sum up.
#[derive(Debug, Clone, Default, Args)]
pub struct MetricArgs {
    /// A number the runs report, summed per agent and session: a dotted path into an
    /// AfterAgentRun's output state data, else its meta (tokens_used, usage.total_tokens);
    /// repeatable. [default: numeric fields with token(s), cost(s) or usage as a word of their
    /// key; `none`: no metrics]
    #[arg(long = "metric", value_name = "PATH")]
    pub metrics: Vec<String>,

    /// Read each metric as an agent's running total: count the increase since the agent's
    /// previous run (a value lower than the previous one counts whole)
    #[arg(long)]
    pub metric_delta: bool,
}

impl MetricArgs {
    /// The options these flags stand for.
    pub fn options(&self) -> crate::analysis::MetricOptions {
        crate::analysis::MetricOptions {
            selection: crate::analysis::MetricSelection::from_args(&self.metrics),
            delta: self.metric_delta,
        }
    }
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The baseline session: an id, a unique prefix of one, a path to a trace file, or `latest`
    #[arg(value_name = "A")]
    pub a: String,

    /// The session compared with it (the same forms)
    #[arg(value_name = "B")]
    pub b: String,

    /// Exit with code 3 when EXPR holds (repeatable: when any holds), e.g. 'p95>+20%',
    /// 'errors>0', route-changed, 'agent=researcher:p95>+500ms' (see below; quote an EXPR with
    /// > or < for the shell)
    #[arg(long = "fail-on", value_name = "EXPR")]
    pub fail_on: Vec<String>,

    /// Output format (JSON: the whole comparison, see docs/diff-json.md)
    #[arg(long, value_enum, default_value_t = AnalysisFormat::Table)]
    pub format: AnalysisFormat,

    /// Draw arrows and changes with ASCII only (-> and +/- instead of → and ▲/▼) [default
    /// when the locale is not UTF-8]
    #[arg(long)]
    pub ascii: bool,

    /// Also say on stderr why a --fail-on condition could not hold (an agent that neither
    /// session has)
    #[arg(short, long)]
    pub verbose: bool,

    #[command(flatten)]
    pub redact: RedactArgs,
    #[command(flatten, next_help_heading = "Metrics")]
    pub metric: MetricArgs,
}

/// `diff --help` after the options: the conditions, what is compared, the exit codes.
pub fn diff_help() -> String {
    format!(
        "{}\n\n\
         Requests: event ids are made afresh in each run (UUIDs), so events are not matched \
         one by one. Requests are compared by their route (the agents that ran, in order, and \
         how the request ended) and, when the sessions share request ids (the first event's id \
         normalised, req-17461596-planner -> req-17461596), by id.\n\
         Accuracy: {}.\n\n{}",
        crate::analysis::diff::conditions::GRAMMAR,
        crate::analysis::QUANTILE_ERROR,
        all_exit_codes()
    )
}

/// Output formats of the analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalysisFormat {
    Table,
    Json,
}

/// What the analyses' figures are, shown after their `--help`.
pub fn analysis_help() -> String {
    format!(
        "Run durations: from a run's last BeforeAgentRun to its AfterAgentRun or AgentError \
         (the writer's duplicate entries are paired once); agent_result.duration_ms only for runs \
         whose start is not in the trace.\n\
         Accuracy: {}.\n\n{EXIT_CODES}",
        crate::analysis::QUANTILE_ERROR
    )
}

/// The help heading of `--since` and `--until` where they choose sessions.
const SESSIONS_STARTED: &str = "Time range (of when sessions started)";

/// `--since` and `--until`: a window of time, as each command applies it (its help heading says
/// to what). Parsed once, by `cmd::Context::time_window`.
#[derive(Debug, Clone, Default, Args)]
pub struct TimeRange {
    /// At or after TIME: a date (2024-01-01), an RFC 3339 time, or an age (90m, 2h, 3d)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Before TIME (the same forms as --since)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

/// `--filter`: the entries a command shows, sends or counts (its help heading says which), in
/// the one filter language (`filter.rs`).
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Only entries matching EXPR (repeatable: all must hold), e.g. agent=planner,
    /// agent!=planner, hook=AgentError, error, meta.correlation_id=abc, 'agent=research*'
    /// (the language: `agentcli trace --help`)
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,
}

/// `--redact`, `--redact-key` and `--redact-pattern`: secrets kept out of what is shown or
/// sent, by every command that shows or sends trace text.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Redaction")]
pub struct RedactArgs {
    /// Hide secrets before anything is shown or sent: values of secret keys in the state, and
    /// the secret part of credentials, tokens and keys written in any text (see --help)
    #[arg(long, long_help = crate::redact::RULE)]
    pub redact: bool,

    /// Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)
    #[arg(long = "redact-key", value_name = "NAME")]
    pub redact_keys: Vec<String>,

    /// Also hide whatever the regular expression REGEX matches, in any text of an entry
    /// (repeatable; implies --redact), e.g. --redact-pattern 'cust-[0-9]{6}'
    #[arg(long = "redact-pattern", value_name = "REGEX")]
    pub redact_patterns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Csv,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
