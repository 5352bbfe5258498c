//! Synthetic traces, byte for byte in the shape AgenticGoKit's file trace logger writes (see
//! `TRACE_FORMAT.md`): for agentcli's tests, the criterion benchmarks (`crates/bench`),
//! `examples/generate.rs` and the fuzz targets. A dev-only crate: the product never links it.
//!
//! A session is a run of requests, each a chain of events routed from agent to agent through
//! the `route` meta of their output states, with the writer's quirks: Go's two-space indented
//! encoder, `[` then `,` between entries and no closing `]` (unless closed), HTML-escaped `<>&`,
//! zone offsets and trimmed fractions in timestamps, the duplicate `BeforeAgentRun` and
//! `AgentError` entries, failures routed to `error-handler`, requeues and retries (agents routing
//! to themselves), agents that measured their run and agents that did not (Go's zero time), and
//! LLM output of many KB with unicode, newlines, quotes and markup. The same seed and options
//! give the same bytes on every machine.

use std::io::{self, Write};

/// A small deterministic generator (SplitMix64). Its output is fixed forever, which a
/// general-purpose RNG crate does not promise across versions, and traces must not change.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// An independent stream for the `n`th item of a collection (a session of a directory).
    pub fn fork(seed: u64, n: u64) -> Rng {
        let mut base = Rng(seed ^ n.wrapping_mul(0xA076_1D64_78BD_642F));
        Rng(base.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// How a session file ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// No final `]`: a writer still running, or one that crashed between entries (most files).
    Open,
    /// Closed with `\n]`, as after a clean shutdown.
    Closed,
    /// Cut in the middle of an entry: a crash, or a read while the writer writes.
    Cut,
}

/// What to write for one session.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    pub id: String,
    /// Stop after the entry that brings the file to at least this many bytes.
    pub target_bytes: u64,
    pub ending: Ending,
    /// When the session starts, in Unix nanoseconds, and the writer's zone offset.
    pub start_unix_nanos: i64,
    pub offset_secs: i32,
    /// Fill each agent entry's `state` with the event's input, as the in-memory tracer does
    /// (the callback writer leaves it out).
    pub with_state: bool,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub bytes: u64,
    /// Complete entries (a cut entry is not counted).
    pub entries: u64,
    pub events: u64,
}

/// Zone offsets writers run in.
pub const ZONES: [i32; 5] = [0, 19_800, -25_200, 3_600, 32_400];

/// 2025-05-02T09:02:15Z, where generated sessions start.
pub const EPOCH_UNIX_NANOS: i64 = 1_746_176_535_000_000_000;

/// A session spec for the `n`th session of a generated directory (sizes vary around
/// `average_bytes`; most files open, some closed, a few cut).
pub fn directory_session(seed: u64, n: u64, average_bytes: u64) -> (SessionSpec, Rng) {
    let mut rng = Rng::fork(seed, n);
    let id = if rng.chance(0.7) {
        format!("req-{:08}", rng.between(10_000_000, 99_999_999))
    } else {
        uuid(&mut rng)
    };
    // Mostly around the average, some tiny and some several times larger (the mean of `scale`
    // is 1.205).
    let scale = match rng.below(10) {
        0 => 0.05,
        1..=7 => 0.5 + rng.below(1000) as f64 / 1000.0,
        _ => 1.5 + rng.below(2000) as f64 / 1000.0,
    };
    let ending = match rng.below(100) {
        0..=84 => Ending::Open,
        85..=94 => Ending::Closed,
        _ => Ending::Cut,
    };
    let spec = SessionSpec {
        id,
        target_bytes: ((average_bytes as f64) * scale / 1.205) as u64,
        ending,
        start_unix_nanos: EPOCH_UNIX_NANOS + (n as i64) * 97_000_000_000,
        offset_secs: ZONES[(seed % ZONES.len() as u64) as usize],
        with_state: false,
    };
    (spec, rng)
}

/// How big agents' output states are: what sets the bytes per entry, whose cost is per entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// Long LLM text in `output_state.data` (several KB per result; about 940 B per entry on
    /// average): the generator's original shape, kept as the big-entry benchmark row.
    #[default]
    Big,
    /// As AgenticGoKit's file logger writes real sessions: ~250 B hook entries and one
    /// `AfterAgentRun` per run whose `output_state.data` holds 0.5–3 KB of nested objects and
    /// lists; about 730 B per entry on average.
    Real,
    /// Light-state runs: the same hooks, `output_state.data` of a few hundred bytes; about
    /// 350 B per entry on average.
    Light,
}

/// Writes one session file's bytes to `out`, in the big-entry profile ([`Profile::Big`]).
pub fn write_session(
    out: &mut dyn Write,
    rng: &mut Rng,
    spec: &SessionSpec,
) -> io::Result<Written> {
    write_profiled(out, rng, spec, Profile::Big)
}

/// One open session (`req-17461590`, pretty-printed as the writer leaves it) of about `bytes`
/// in `profile`, in memory: what the benchmarks and the scaling test read.
pub fn open_session(bytes: u64, profile: Profile, seed: u64) -> Vec<u8> {
    let spec = SessionSpec {
        id: "req-17461590".to_owned(),
        target_bytes: bytes,
        ending: Ending::Open,
        start_unix_nanos: EPOCH_UNIX_NANOS,
        offset_secs: 19_800,
        with_state: false,
    };
    let mut out = Vec::new();
    // Writing to memory cannot fail: `Vec<u8>`'s `Write` never errors.
    let _ = write_profiled(&mut out, &mut Rng::new(seed), &spec, profile);
    out
}

/// Writes one session file's bytes to `out`, with output states of the given profile.
pub fn write_profiled(
    out: &mut dyn Write,
    rng: &mut Rng,
    spec: &SessionSpec,
    profile: Profile,
) -> io::Result<Written> {
    let mut session = Session {
        out,
        spec,
        profile,
        rng,
        buf: Vec::with_capacity(64 * 1024),
        text: String::with_capacity(16 * 1024),
        written: Written::default(),
        done: false,
        now: spec.start_unix_nanos,
    };
    session.run()?;
    if spec.ending == Ending::Closed && session.written.entries > 0 {
        session.out.write_all(b"\n]")?;
        session.written.bytes += 2;
    }
    Ok(session.written)
}

/// The agents of the generated system, and what each writes.
const PLANNER: &str = "planner";
const RESEARCHER: &str = "researcher";
const ANALYZER: &str = "analyzer";
const SUMMARIZER: &str = "summarizer";
const ERROR_HANDLER: &str = "error-handler";

const FAILURES: [&str; 6] = [
    "tool 'web_search' returned invalid JSON",
    "llm: context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
    "rate limited: 429 Too Many Requests; retry after 2s",
    "output validation failed: missing field \"summary\"",
    "tool \"fetch_url\" failed: GET https://example.com/a?b=1&c=2: 503 <html>Service Unavailable</html>",
    "panic recovered: runtime error: index out of range [3] with length 3",
];

/// What an agent run ended with.
enum Outcome {
    /// Succeeded and routed on (`Some`), or ended the request's chain (`None`).
    Routed(Option<&'static str>),
    /// Failed: the runner routes a failure event to the error handler.
    Failed,
    /// The event's target is no registered agent: the orchestrator could not route it.
    Unroutable,
}

/// A JSON value as Go's encoder writes it; object keys are sorted as Go sorts map keys.
enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<(&'static str, Value)>),
}

impl Value {
    fn map(mut members: Vec<(&'static str, Value)>) -> Value {
        members.sort_by(|a, b| a.0.cmp(b.0));
        Value::Object(members)
    }
}

struct Session<'o, 's> {
    out: &'o mut dyn Write,
    spec: &'s SessionSpec,
    profile: Profile,
    rng: &'s mut Rng,
    /// The entry being written.
    buf: Vec<u8>,
    /// Scratch for LLM-like text.
    text: String,
    written: Written,
    done: bool,
    /// The writer's clock, Unix nanoseconds.
    now: i64,
}

/// One entry's fields, in the order the writer emits them.
#[derive(Default, Clone, Copy)]
struct Fields<'a> {
    event_id: &'a str,
    agent_id: &'a str,
    state: Option<&'a (Value, Value)>,
    error: Option<&'a str>,
    hook: &'a str,
    target: &'a str,
    source: &'a str,
    result: Option<RunResult<'a>>,
}

#[derive(Clone, Copy)]
struct RunResult<'a> {
    duration_ms: i64,
    /// `None`: Go's zero time (the agent did not time itself).
    start: Option<i64>,
    end: Option<i64>,
    error: Option<&'a str>,
    output: Option<&'a (Value, Value)>,
}

impl Session<'_, '_> {
    fn run(&mut self) -> io::Result<()> {
        while !self.done {
            self.request()?;
            // Time between requests.
            self.wait(200_000_000, 20_000_000_000);
        }
        Ok(())
    }

    /// Moves the clock on by `lo..=hi` nanoseconds.
    fn wait(&mut self, lo: u64, hi: u64) {
        self.now += self.rng.between(lo, hi) as i64;
    }

    /// One request: a chain of events, from the planner until an agent routes nowhere.
    fn request(&mut self) -> io::Result<()> {
        let mut event_id = format!(
            "req-{:08}-planner",
            self.rng.between(10_000_000, 99_999_999)
        );
        let mut target: &'static str = PLANNER;
        let mut source: &'static str = "";
        let mut input = (
            Value::map(vec![(
                "message",
                Value::Str(self.llm_text(40, 400).to_owned()),
            )]),
            Value::map(vec![("session_id", Value::Str(self.spec.id.clone()))]),
        );
        let mut researched = 0;
        for _hop in 0..40 {
            if self.done {
                return Ok(());
            }
            let (outcome, output) = self.event(&event_id, target, source, &input, researched)?;
            if target == RESEARCHER {
                researched += 1;
            }
            let next = match outcome {
                Outcome::Routed(Some(next)) => next,
                Outcome::Routed(None) | Outcome::Unroutable => return Ok(()),
                Outcome::Failed => ERROR_HANDLER,
            };
            event_id = uuid(self.rng);
            source = target;
            target = next;
            if let Some(output) = output {
                input = output;
            }
            self.wait(50_000, 900_000);
        }
        Ok(())
    }

    /// Where an agent that succeeded routes next.
    fn route_after(&mut self, agent: &str, researched: u32) -> Option<&'static str> {
        let roll = self.rng.below(1000);
        match agent {
            PLANNER => Some(RESEARCHER),
            // A researcher requeues itself until it has enough.
            RESEARCHER if researched < 3 && roll < 250 => Some(RESEARCHER),
            RESEARCHER => Some(ANALYZER),
            ANALYZER if roll < 100 => Some(RESEARCHER),
            ANALYZER if roll < 130 => None,
            // A route to an agent nobody registered.
            ANALYZER if roll < 133 => Some("reviewer"),
            ANALYZER => Some(SUMMARIZER),
            SUMMARIZER if roll < 100 => Some(PLANNER),
            ERROR_HANDLER if roll < 500 => Some(PLANNER),
            _ => None,
        }
    }

    /// One event: its hooks, in the writer's order. Returns what the agent's run ended with
    /// and its output state.
    fn event(
        &mut self,
        event_id: &str,
        target: &'static str,
        source: &'static str,
        input: &(Value, Value),
        researched: u32,
    ) -> io::Result<(Outcome, Option<(Value, Value)>)> {
        let base = Fields {
            event_id,
            target,
            source,
            ..Fields::default()
        };
        self.entry(&Fields {
            hook: "BeforeEventHandling",
            ..base
        })?;
        self.written.events += 1;
        let state = self.spec.with_state.then_some(input);
        if target == "reviewer" {
            self.wait(20_000, 120_000);
            let error = format!("no agent registered for target {target:?}");
            self.entry(&Fields {
                agent_id: "orchestrator",
                error: Some(&error),
                hook: "AgentError",
                ..base
            })?;
            self.wait(20_000, 120_000);
            self.entry(&Fields {
                agent_id: "unknown",
                hook: "AfterEventHandling",
                ..base
            })?;
            return Ok((Outcome::Unroutable, None));
        }
        let run = Fields {
            agent_id: target,
            state,
            ..base
        };
        // The runner's BeforeAgentRun, then the orchestrator's a few µs later; their clocks
        // are not always in step.
        self.wait(30_000, 300_000);
        let runner_at = self.now;
        if self.rng.chance(0.003) {
            self.now -= self.rng.between(1_000, 40_000) as i64;
        }
        self.entry(&Fields {
            hook: "BeforeAgentRun",
            ..run
        })?;
        self.now = self.now.max(runner_at) + self.rng.between(5_000, 40_000) as i64;
        self.entry(&Fields {
            hook: "BeforeAgentRun",
            ..run
        })?;
        let started = self.now + self.rng.between(200, 900) as i64;
        self.wait(30_000_000, 4_000_000_000);
        let measured = self.rng.chance(0.4);
        if self.rng.chance(0.03) {
            let error = *self.rng.pick(&FAILURES);
            let zero = RunResult {
                duration_ms: 0,
                start: None,
                end: None,
                error: Some(error),
                output: None,
            };
            // The orchestrator's AgentError carries the error in the result too; the
            // runner's, written just after, does not.
            self.entry(&Fields {
                error: Some(error),
                hook: "AgentError",
                result: Some(zero),
                ..run
            })?;
            self.wait(20_000, 90_000);
            self.entry(&Fields {
                error: Some(error),
                hook: "AgentError",
                result: Some(RunResult {
                    error: None,
                    ..zero
                }),
                ..run
            })?;
            self.wait(40_000, 200_000);
            self.entry(&Fields {
                hook: "AfterEventHandling",
                ..run
            })?;
            return Ok((Outcome::Failed, None));
        }
        // A retry: the result carries an error and the agent routes to itself.
        let retry = self.rng.chance(0.01).then(|| *self.rng.pick(&FAILURES));
        let route = if retry.is_some() {
            Some(target)
        } else {
            self.route_after(target, researched)
        };
        let output = self.output_state(target, route, source);
        let ended = self.now - self.rng.between(200, 900) as i64;
        self.entry(&Fields {
            error: retry,
            hook: "AfterAgentRun",
            result: Some(RunResult {
                duration_ms: if measured {
                    (ended - started) / 1_000_000
                } else {
                    0
                },
                start: measured.then_some(started),
                end: measured.then_some(ended),
                error: retry,
                output: Some(&output),
            }),
            ..run
        })?;
        self.wait(40_000, 200_000);
        self.entry(&Fields {
            hook: "AfterEventHandling",
            ..run
        })?;
        Ok((Outcome::Routed(route), Some(output)))
    }

    /// An agent's output state: data as that agent writes it, and meta with the route.
    fn output_state(
        &mut self,
        agent: &str,
        route: Option<&'static str>,
        source: &str,
    ) -> (Value, Value) {
        let tokens = ("tokens", Value::Int(self.rng.between(80, 4000) as i64));
        let data = match self.profile {
            Profile::Big => self.big_data(agent, source, tokens),
            // Mostly 1.2–3 KB, some as small as 0.5 KB.
            Profile::Real if self.rng.chance(0.15) => {
                let budget = self.rng.between(500, 1200);
                self.structured_data(budget, tokens)
            }
            Profile::Real => {
                let budget = self.rng.between(1100, 2800);
                self.structured_data(budget, tokens)
            }
            Profile::Light => {
                let budget = self.rng.between(40, 260);
                self.structured_data(budget, tokens)
            }
        };
        let mut meta = vec![
            ("session_id", Value::Str(self.spec.id.clone())),
            ("status", Value::Str("success".to_owned())),
        ];
        if let Some(route) = route {
            meta.push(("route", Value::Str(route.to_owned())));
        }
        (Value::map(data), Value::map(meta))
    }

    /// Output data of about `budget` encoded bytes as agents with tools write it: a message,
    /// then (budget allowing) a list of result objects with nested tag lists, and metrics.
    fn structured_data(
        &mut self,
        budget: u64,
        tokens: (&'static str, Value),
    ) -> Vec<(&'static str, Value)> {
        let message = self
            .llm_text(budget.min(400) / 2, budget.min(400))
            .to_owned();
        // What the encoded members cost so far, indentation included (roughly).
        let mut used = message.len() as u64 + 60;
        let mut data = vec![("message", Value::Str(message)), tokens];
        if used + 120 < budget {
            data.push((
                "metrics",
                Value::map(vec![
                    ("items", Value::Int(self.rng.between(1, 500) as i64)),
                    ("latency_ms", Value::Int(self.rng.between(5, 3000) as i64)),
                    ("passed", Value::Bool(self.rng.chance(0.8))),
                ]),
            ));
            used += 120;
        }
        let mut results = Vec::new();
        while used + 200 < budget {
            let id = self.rng.below(100_000);
            let tags: Vec<Value> = (0..self.rng.between(0, 4))
                .map(|_| Value::Str((*self.rng.pick(&WORDS)).to_owned()))
                .collect();
            let title = self.llm_text(20, 90).to_owned();
            used += 150 + title.len() as u64 + 16 * tags.len() as u64;
            results.push(Value::map(vec![
                ("id", Value::Int(id as i64)),
                ("score", Value::Float(self.rng.below(1000) as f64 / 1000.0)),
                ("tags", Value::Array(tags)),
                ("title", Value::Str(title)),
                (
                    "url",
                    Value::Str(format!("https://docs.example.org/articles/{id}?ref=agent")),
                ),
            ]));
        }
        if !results.is_empty() {
            data.push(("results", Value::Array(results)));
        }
        data
    }

    /// Output data with long LLM text, different per agent (the big-entry profile).
    fn big_data(
        &mut self,
        agent: &str,
        source: &str,
        tokens: (&'static str, Value),
    ) -> Vec<(&'static str, Value)> {
        match agent {
            PLANNER => {
                let steps = (0..self.rng.between(2, 6))
                    .map(|_| Value::Str(self.llm_text(30, 160).to_owned()))
                    .collect();
                vec![
                    ("message", Value::Str(self.llm_text(200, 1200).to_owned())),
                    ("plan", Value::Array(steps)),
                    tokens,
                ]
            }
            RESEARCHER => {
                let sources = (0..self.rng.between(1, 5))
                    .map(|_| {
                        let id = self.rng.below(100_000);
                        Value::map(vec![
                            ("score", Value::Float(self.rng.below(1000) as f64 / 1000.0)),
                            ("title", Value::Str(self.llm_text(20, 70).to_owned())),
                            (
                                "url",
                                Value::Str(format!(
                                    "https://docs.example.org/articles/{id}?lang=en&ref=agent"
                                )),
                            ),
                        ])
                    })
                    .collect();
                vec![
                    ("findings", Value::Str(self.llm_text(1500, 9000).to_owned())),
                    ("message", Value::Str(self.llm_text(40, 200).to_owned())),
                    ("sources", Value::Array(sources)),
                    tokens,
                ]
            }
            ANALYZER => vec![
                ("analysis", Value::Str(self.llm_text(800, 4000).to_owned())),
                (
                    "confidence",
                    Value::Float(self.rng.between(500, 990) as f64 / 1000.0),
                ),
                ("message", Value::Str(self.llm_text(40, 200).to_owned())),
                (
                    "metrics",
                    Value::map(vec![
                        ("items", Value::Int(self.rng.between(1, 500) as i64)),
                        ("latency_ms", Value::Int(self.rng.between(5, 3000) as i64)),
                        ("passed", Value::Bool(self.rng.chance(0.8))),
                    ]),
                ),
                tokens,
            ],
            SUMMARIZER => vec![
                ("message", Value::Str(self.llm_text(40, 200).to_owned())),
                ("summary", Value::Str(self.llm_text(400, 2500).to_owned())),
                tokens,
            ],
            _ => vec![
                (
                    "message",
                    Value::Str(format!(
                        "recovered from a failure of {source}: {}",
                        self.llm_text(40, 300)
                    )),
                ),
                ("recovered", Value::Bool(true)),
                tokens,
            ],
        }
    }

    /// LLM-like text of `min..=max` bytes or so: sentences, paragraphs, lists, code, markup,
    /// quotes, accented and non-Latin words, emoji.
    fn llm_text(&mut self, min: u64, max: u64) -> &str {
        let target = self.rng.between(min, max) as usize;
        self.text.clear();
        let mut sentence_start = true;
        while self.text.len() < target {
            let roll = self.rng.below(1000);
            if roll < 8 && !self.text.is_empty() {
                self.text.push_str("\n\n");
                sentence_start = true;
                continue;
            }
            if roll < 11 {
                let snippet = *self.rng.pick(&SNIPPETS);
                self.text.push_str(snippet);
                sentence_start = true;
                continue;
            }
            let word = if roll < 40 {
                *self.rng.pick(&UNICODE_WORDS)
            } else {
                *self.rng.pick(&WORDS)
            };
            if !self.text.is_empty() && !self.text.ends_with('\n') {
                self.text.push(' ');
            }
            if sentence_start {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    self.text.extend(first.to_uppercase());
                    self.text.push_str(chars.as_str());
                }
                sentence_start = false;
            } else {
                self.text.push_str(word);
            }
            match self.rng.below(100) {
                0..=6 => {
                    self.text.push('.');
                    sentence_start = true;
                }
                7..=10 => self.text.push(','),
                _ => {}
            }
        }
        &self.text
    }

    /// Writes one entry (with the `[` or `,` before it), or as much of it as a cut leaves.
    fn entry(&mut self, f: &Fields) -> io::Result<()> {
        if self.done {
            return Ok(());
        }
        self.buf.clear();
        self.buf.extend_from_slice(if self.written.entries == 0 {
            b"[\n"
        } else {
            b",\n"
        });
        let body_start = self.buf.len();
        encode_entry(&mut self.buf, f, self.now, self.spec);
        self.buf.push(b'\n');
        let full = self.written.bytes + self.buf.len() as u64 >= self.spec.target_bytes;
        if full && self.spec.ending == Ending::Cut {
            // Cut inside the entry's body, never right at its end.
            let body = self.buf.len() - body_start;
            let keep = body_start + 1 + self.rng.below((body - 3) as u64) as usize;
            self.out.write_all(&self.buf[..keep])?;
            self.written.bytes += keep as u64;
            self.done = true;
            return Ok(());
        }
        self.out.write_all(&self.buf)?;
        self.written.bytes += self.buf.len() as u64;
        self.written.entries += 1;
        self.done = full;
        Ok(())
    }
}

/// Encodes one entry as Go's `json.Encoder` with `SetIndent("", "  ")` does.
fn encode_entry(out: &mut Vec<u8>, f: &Fields, now: i64, spec: &SessionSpec) {
    let mut o = ObjectWriter::open(out, 0);
    o.key("timestamp");
    time(o.out, now, spec.offset_secs);
    o.string("type", "");
    o.string("event_id", f.event_id);
    o.string("session_id", &spec.id);
    if !f.agent_id.is_empty() {
        o.string("agent_id", f.agent_id);
    }
    if let Some(state) = f.state {
        o.key("state");
        state_object(o.out, state, 1);
    }
    if let Some(error) = f.error {
        o.string("error", error);
    }
    o.string("hook", f.hook);
    if !f.target.is_empty() {
        o.string("target_agent_id", f.target);
    }
    if !f.source.is_empty() {
        o.string("source_agent_id", f.source);
    }
    if let Some(r) = &f.result {
        o.key("agent_result");
        let mut a = ObjectWriter::open(o.out, 1);
        a.key("duration_ms");
        a.out
            .extend_from_slice(r.duration_ms.to_string().as_bytes());
        a.key("end_time");
        optional_time(a.out, r.end, spec.offset_secs);
        if let Some(error) = r.error {
            a.string("error", error);
        }
        a.key("output_state");
        match r.output {
            Some(state) => state_object(a.out, state, 2),
            None => a.out.extend_from_slice(b"null"),
        }
        a.key("start_time");
        optional_time(a.out, r.start, spec.offset_secs);
        a.close();
    }
    o.close();
}

fn state_object(out: &mut Vec<u8>, (data, meta): &(Value, Value), depth: usize) {
    let mut s = ObjectWriter::open(out, depth);
    s.key("data");
    value(s.out, data, depth + 1);
    s.key("meta");
    value(s.out, meta, depth + 1);
    s.close();
}

/// Writes the members of one object, indented as Go indents them.
struct ObjectWriter<'o> {
    out: &'o mut Vec<u8>,
    depth: usize,
    members: usize,
}

impl<'o> ObjectWriter<'o> {
    fn open(out: &'o mut Vec<u8>, depth: usize) -> ObjectWriter<'o> {
        out.push(b'{');
        ObjectWriter {
            out,
            depth,
            members: 0,
        }
    }

    fn key(&mut self, key: &str) {
        if self.members > 0 {
            self.out.push(b',');
        }
        self.members += 1;
        newline(self.out, self.depth + 1);
        string(self.out, key);
        self.out.extend_from_slice(b": ");
    }

    fn string(&mut self, key: &str, v: &str) {
        self.key(key);
        string(self.out, v);
    }

    fn close(self) {
        if self.members > 0 {
            newline(self.out, self.depth);
        }
        self.out.push(b'}');
    }
}

fn newline(out: &mut Vec<u8>, depth: usize) {
    out.push(b'\n');
    for _ in 0..depth {
        out.extend_from_slice(b"  ");
    }
}

fn value(out: &mut Vec<u8>, v: &Value, depth: usize) {
    match v {
        Value::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
        // Rust's shortest round-trip form is Go's for the magnitudes generated here.
        Value::Float(x) => out.extend_from_slice(x.to_string().as_bytes()),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Str(s) => string(out, s),
        Value::Array(items) if items.is_empty() => out.extend_from_slice(b"[]"),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                newline(out, depth + 1);
                value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push(b']');
        }
        Value::Object(members) => {
            let mut o = ObjectWriter::open(out, depth);
            for (k, v) in members {
                o.key(k);
                value(o.out, v, depth + 1);
            }
            o.close();
        }
    }
}

/// A JSON string as Go's encoder writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped as
/// `\u00XX` / `\u20XX`, control characters as `\n`-style or `\u00XX` escapes, the rest raw.
pub fn go_string(out: &mut Vec<u8>, s: &str) {
    string(out, s)
}

fn string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut plain = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            b'<' | b'>' | b'&' | 0x00..=0x1f => None,
            // U+2028 and U+2029 are E2 80 A8 / E2 80 A9.
            0xE2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) =>
            {
                None
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[plain..i]);
        match escape {
            Some(e) => {
                out.extend_from_slice(e);
                i += 1;
            }
            None if b == 0xE2 => {
                out.extend_from_slice(if bytes[i + 2] == 0xA8 {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 3;
            }
            None => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
                i += 1;
            }
        }
        plain = i;
    }
    out.extend_from_slice(&bytes[plain..]);
    out.push(b'"');
}

fn optional_time(out: &mut Vec<u8>, t: Option<i64>, offset_secs: i32) {
    match t {
        Some(t) => time(out, t, offset_secs),
        None => out.extend_from_slice(b"\"0001-01-01T00:00:00Z\""),
    }
}

/// A quoted RFC 3339 time as Go's `time.Time` marshals it: nanoseconds with trailing zeros
/// dropped, `Z` for UTC, else the zone's offset.
fn time(out: &mut Vec<u8>, unix_nanos: i64, offset_secs: i32) {
    let local = unix_nanos + i64::from(offset_secs) * 1_000_000_000;
    let secs = local.div_euclid(1_000_000_000);
    let nanos = local.rem_euclid(1_000_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let mut s = format!(
        "\"{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if nanos > 0 {
        let fraction = format!("{nanos:09}");
        s.push('.');
        s.push_str(fraction.trim_end_matches('0'));
    }
    if offset_secs == 0 {
        s.push('Z');
    } else {
        let sign = if offset_secs < 0 { '-' } else { '+' };
        let o = offset_secs.unsigned_abs();
        s.push_str(&format!("{sign}{:02}:{:02}", o / 3600, o / 60 % 60));
    }
    s.push('"');
    out.extend_from_slice(s.as_bytes());
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A UUID-shaped event id, as the runner makes them.
pub fn uuid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

const WORDS: [&str; 64] = [
    "the",
    "agent",
    "model",
    "data",
    "result",
    "analysis",
    "of",
    "and",
    "to",
    "in",
    "for",
    "with",
    "latency",
    "throughput",
    "users",
    "report",
    "trend",
    "quarterly",
    "revenue",
    "growth",
    "market",
    "risk",
    "is",
    "are",
    "was",
    "this",
    "that",
    "shows",
    "suggests",
    "significant",
    "increase",
    "decrease",
    "compared",
    "previous",
    "period",
    "source",
    "according",
    "study",
    "dataset",
    "pipeline",
    "cache",
    "request",
    "response",
    "error",
    "rate",
    "percent",
    "median",
    "average",
    "we",
    "should",
    "consider",
    "next",
    "step",
    "summary",
    "findings",
    "confidence",
    "high",
    "low",
    "evidence",
    "customer",
    "retention",
    "cost",
    "per",
    "query",
];

const UNICODE_WORDS: [&str; 16] = [
    "café",
    "naïve",
    "résumé",
    "Zürich",
    "São Paulo",
    "日本語",
    "東京",
    "データ",
    "Ελληνικά",
    "русский",
    "مرحبا",
    "שלום",
    "🚀",
    "✅",
    "—",
    "“quoted”",
];

/// Multi-line pieces of LLM output that stress a string's escapes.
const SNIPPETS: [&str; 8] = [
    "\n\n## Key findings\n\n- revenue grew 12% <b>quarter over quarter</b>\n- costs & margins held\n",
    "\n\n```json\n{\"status\": \"ok\", \"items\": [1, 2, 3], \"path\": \"C:\\\\data\\\\q3.csv\"}\n```\n\n",
    "\n\n| metric | value |\n|---|---|\n| p50 | 120 ms |\n| p99 | 2.3 s |\n",
    " (see <https://docs.example.org/q?a=1&b=2>) ",
    "\n\n1. Collect the data\n2. Clean it\n3. Run the model\n",
    " He said \"it's fine\" — but the logs disagree. ",
    "\n\tindented line with a tab\n",
    " 5 > 3 && 2 < 4 ",
];

#[cfg(test)]
mod tests {
    use super::*;
    use agentcli::model::Hook;
    use agentcli::read::TraceReader;
    use std::path::Path;

    fn spec(ending: Ending, target_bytes: u64) -> SessionSpec {
        SessionSpec {
            id: "req-12345678".to_owned(),
            target_bytes,
            ending,
            start_unix_nanos: EPOCH_UNIX_NANOS,
            offset_secs: 19_800,
            with_state: false,
        }
    }

    fn generate(seed: u64, spec: &SessionSpec) -> (Vec<u8>, Written) {
        let mut out = Vec::new();
        let written = write_session(&mut out, &mut Rng::new(seed), spec).unwrap();
        (out, written)
    }

    #[test]
    fn profiles_have_the_bytes_per_entry_of_real_files() {
        for (profile, lo, hi) in [
            (Profile::Big, 850, 1050),
            (Profile::Real, 680, 780),
            (Profile::Light, 320, 390),
        ] {
            let mut out = Vec::new();
            let s = spec(Ending::Open, 3_000_000);
            let written = write_profiled(&mut out, &mut Rng::new(5), &s, profile).unwrap();
            let per_entry = written.bytes / written.entries;
            assert!(
                (lo..=hi).contains(&per_entry),
                "{profile:?}: {per_entry} bytes per entry, not {lo}..={hi}"
            );
            // Every entry reads back.
            let mut reader =
                TraceReader::from_source(Path::new("t"), io::Cursor::new(out)).unwrap();
            let mut read = 0;
            while let Some(item) = reader.next_entry() {
                item.unwrap();
                read += 1;
            }
            assert_eq!(read, written.entries, "{profile:?}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let s = spec(Ending::Open, 200_000);
        assert_eq!(generate(7, &s), generate(7, &s));
        assert_ne!(generate(7, &s).0, generate(8, &s).0);
    }

    #[test]
    fn go_escapes_strings_as_its_encoder_does() {
        let mut out = Vec::new();
        go_string(&mut out, "a<b>&\"\\\n\t\u{1}\u{2028}é🚀\u{8}");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""a\u003cb\u003e\u0026\"\\\n\t\u0001\u2028é🚀\b""#
        );
    }

    #[test]
    fn times_are_written_as_go_writes_them() {
        let mut out = Vec::new();
        time(&mut out, EPOCH_UNIX_NANOS + 123_400_000, 19_800);
        time(&mut out, EPOCH_UNIX_NANOS, 0);
        time(&mut out, EPOCH_UNIX_NANOS + 5, -25_200);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"2025-05-02T14:32:15.1234+05:30\"\"2025-05-02T09:02:15Z\"\"2025-05-02T02:02:15.000000005-07:00\""
        );
    }

    #[test]
    fn a_session_reads_back_with_the_writers_quirks() {
        let (bytes, written) = generate(1, &spec(Ending::Open, 2_000_000));
        assert!(bytes.starts_with(b"[\n{\n  \"timestamp\": \"2025-05-02T14:32:15"));
        assert!(bytes.ends_with(b"}\n"));
        let text = String::from_utf8(bytes.clone()).unwrap();
        for quirk in [
            "\\u003c",
            "\\u0026",
            "\\n",
            "日本語",
            "\"route\": \"researcher\"",
        ] {
            assert!(text.contains(quirk), "no {quirk}");
        }
        let mut reader = TraceReader::from_source(Path::new("t"), io::Cursor::new(bytes)).unwrap();
        // (hook, agent, target, whether the result carries the error) of every entry.
        let mut seen = Vec::new();
        let mut routes_to_self = 0;
        while let Some(item) = reader.next_entry() {
            let e = item.unwrap().entry;
            if e.hook == Hook::AfterAgentRun && e.route().as_deref() == Some(&*e.agent_id) {
                routes_to_self += 1;
            }
            let result_error = e.agent_result.as_ref().is_some_and(|r| r.error.is_some());
            seen.push((
                e.hook.as_str().to_owned(),
                e.agent_id.into_owned(),
                e.target_agent_id.into_owned(),
                result_error,
            ));
        }
        assert_eq!(seen.len() as u64, written.entries);
        let hooks: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(
            hooks[..5],
            [
                "BeforeEventHandling",
                "BeforeAgentRun",
                "BeforeAgentRun",
                "AfterAgentRun",
                "AfterEventHandling"
            ]
        );
        assert!(routes_to_self > 0);
        // A failure: the orchestrator's AgentError (with the error in its result), the
        // runner's, AfterEventHandling, then an event for the error handler.
        let mut failures = 0;
        for w in seen.windows(4) {
            if w[0].0 == "AgentError" && w[0].3 && w[0].1 != "orchestrator" {
                failures += 1;
                assert_eq!(
                    (w[1].0.as_str(), &w[1].1, w[1].3),
                    ("AgentError", &w[0].1, false)
                );
                assert_eq!(w[2].0, "AfterEventHandling");
                assert_eq!(
                    (w[3].0.as_str(), w[3].2.as_str()),
                    ("BeforeEventHandling", ERROR_HANDLER)
                );
            }
        }
        assert!(failures > 3, "{failures}");
        assert_eq!(reader.summary().tail, None);
    }

    #[test]
    fn closed_and_cut_sessions_end_as_the_writer_leaves_them() {
        let (closed, _) = generate(3, &spec(Ending::Closed, 20_000));
        assert!(closed.ends_with(b"}\n\n]"));
        let (cut, written) = generate(3, &spec(Ending::Cut, 20_000));
        let mut reader = TraceReader::from_source(Path::new("t"), io::Cursor::new(cut)).unwrap();
        while reader.next_entry().is_some() {}
        let summary = reader.summary();
        assert_eq!(summary.entries, written.entries);
        assert!(summary.tail.is_some());
    }
}
