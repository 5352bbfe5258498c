//! Run pairing: which entries of a session make one agent run, and one event. Decided here
//! once for every view: the flow view's hops, the analysis's durations, the exports' durations
//! and the OTLP spans are read from what [`Runs`] reports to its [`Sink`].
//!
//! The rules (TRACE_FORMAT.md, "Hooks for one event" and "Durations"):
//! - An event is open from its first entry to its `AfterEventHandling`; an id used again after
//!   that is a new event.
//! - A run is an agent's last `BeforeAgentRun` of an event to its first `AfterAgentRun` or
//!   `AgentError` of that event. The writer's second `BeforeAgentRun` moves the start; its
//!   second `AgentError` is a report of a run already ended. A run's agent is its entry's
//!   `agent_id`, else the event's target; an entry that names neither is a run of an unnamed
//!   agent (`""`: counted, as everything is, though the flow view leaves it out).
//! - A run started and not ended is abandoned when its event is handled, and unfinished when
//!   the input ends.
//! - Each new event is linked ([`super::links`]) to the run it continues, or begins a
//!   request of its own.
//!
//! Memory follows the events open: past [`OPEN_LIMIT`] of them the older half is given up on
//! (their runs reported abandoned, then the events themselves), so input whose events never
//! end cannot exhaust it.

use super::links::{Link, Links, RequestId, RunId, WAITING_LIMIT, is_failure_event};
use super::{AgentIx, Agents, clip};
use crate::model::{Hook, TraceEntry};
use crate::time::Timestamp;
use foldhash::{HashMap, HashMapExt};
use std::borrow::Borrow;
use std::hash::Hash;

/// Events, numbered in the order their first entry was seen.
pub(crate) type EventNo = u64;

/// How many events may be open at once before the older half is given up on.
pub(crate) const OPEN_LIMIT: usize = 1 << 16;

/// One entry's place: when it was written, whether the caller selected it, where it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    pub at: Timestamp,
    pub selected: bool,
    /// Its place among the entries, from 1.
    pub seq: u64,
    /// How many runs had ended before it.
    pub runs_before: RunId,
}

/// A new event, at its first entry.
#[derive(Debug)]
pub(crate) struct Opened<'e> {
    pub no: EventNo,
    /// The event's id, whole.
    pub id: &'e str,
    pub request: RequestId,
    /// The run it continues; `None` when it begins `request`.
    pub link: Option<Link>,
    pub at: Mark,
}

/// A `BeforeAgentRun`.
#[derive(Debug)]
pub(crate) struct Started<'e> {
    pub agent: AgentIx,
    /// The agent's name (`""` for an unnamed agent).
    pub agent_name: &'e str,
    pub event: EventNo,
    pub at: Mark,
    /// It moves the start of a run already started (the writer's second `BeforeAgentRun`).
    pub again: bool,
}

/// A run that ended.
#[derive(Debug)]
pub(crate) struct Ended<'e> {
    pub run: RunId,
    pub agent: AgentIx,
    /// The agent's name (`""` for an unnamed agent).
    pub agent_name: &'e str,
    pub event: EventNo,
    /// The event's id, [`clip`]ped.
    pub event_id: &'e str,
    pub request: RequestId,
    /// Its start, unless the trace does not have it.
    pub started: Option<Mark>,
    pub at: Mark,
    /// The entry that ended it (`AfterAgentRun` or `AgentError`).
    pub entry: &'e TraceEntry<'e>,
    /// Its error, or its result's.
    pub error: Option<&'e str>,
    /// It ended with `AgentError` or with an error.
    pub failed: bool,
    /// The agent its output routed to.
    pub route: Option<AgentIx>,
    /// It waits for the event that continues it (its route's, or the runner's failure event),
    /// until [`Opened::link`] names it or [`Sink::wait_given_up`] gives up on it. Never without
    /// linking.
    pub waits: bool,
}

/// What the runs of an event did, for the event's report.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Outcome {
    /// The agent of its last run to end.
    pub agent: Option<AgentIx>,
    /// Where that run routed.
    pub route: Option<AgentIx>,
    /// One of its runs failed.
    pub failed: bool,
}

/// An event handled (`AfterEventHandling`).
#[derive(Debug)]
pub(crate) struct Handled<'e> {
    /// The event, unless it was not open: this entry is the only one of it seen (and it was
    /// reported to no [`Sink::event_opened`]).
    pub event: Option<EventNo>,
    /// Its request, when it was open.
    pub request: Option<RequestId>,
    /// The event's id, [`clip`]ped.
    pub event_id: &'e str,
    pub at: Mark,
    /// Its `BeforeEventHandling`, unless the trace does not have it.
    pub started: Option<Mark>,
    pub outcome: Outcome,
    /// The entry's `agent_id`.
    pub handler: Option<AgentIx>,
}

/// Something begun and not finished when the input ended: a run, or an event whose run had
/// not begun (`began` false: its agent is the event's target).
#[derive(Debug)]
pub(crate) struct Unfinished<'e> {
    pub agent: AgentIx,
    /// The agent's name (`""` for an unnamed agent).
    pub agent_name: &'e str,
    pub event: EventNo,
    /// The event's id, [`clip`]ped.
    pub event_id: &'e str,
    pub request: RequestId,
    /// Its last start (`BeforeAgentRun`, or `BeforeEventHandling` when `began` is false).
    pub since: Mark,
    pub began: bool,
}

/// What pairing finds, as it finds it. Every method has a default that ignores it.
pub(crate) trait Sink {
    /// An event was seen for the first time.
    fn event_opened(&mut self, _event: &Opened<'_>) {}
    /// A `BeforeEventHandling`; `again` when its event had already started.
    fn event_started(&mut self, _at: Mark, _again: bool) {}
    fn run_started(&mut self, _run: &Started<'_>) {}
    fn run_ended(&mut self, _run: &Ended<'_>) {}
    /// Another `AfterAgentRun` or `AgentError` for run `run` of event `event`, already ended.
    fn run_ended_again(
        &mut self,
        _event: EventNo,
        _run: RunId,
        _entry: &TraceEntry<'_>,
        _at: Mark,
    ) {
    }
    /// A run started will never end: its event was handled without it (`handled` is that
    /// entry), or it was given up on to bound memory.
    fn run_abandoned(&mut self, _agent: AgentIx, _started: Mark, _handled: Option<Mark>) {}
    /// Event `event` was given up on to bound memory, after its runs were reported abandoned;
    /// it is reported neither handled nor unfinished. Events given up on together come oldest
    /// first.
    fn event_given_up(&mut self, _event: EventNo) {}
    fn event_handled(&mut self, _event: &Handled<'_>) {}
    /// Run `run` of `request` waits in vain for the event it leads to.
    fn wait_given_up(&mut self, _run: RunId, _request: RequestId) {}
    /// At the end of the input, once per run begun and not ended, in the order of their
    /// last start.
    fn unfinished(&mut self, _unfinished: &Unfinished<'_>) {}
    /// At the end of the input, once per event still open; `started` is its
    /// `BeforeEventHandling`.
    fn event_unfinished(&mut self, _started: Option<Mark>) {}
}

/// An open event.
#[derive(Debug)]
struct EventRecord {
    no: EventNo,
    request: RequestId,
    started: Option<Mark>,
    /// The target of its `BeforeEventHandling`, until one of its runs begins.
    queued: Option<(AgentIx, Mark)>,
    /// Usually one; several when an orchestrator runs agents side by side for one event.
    runs: Vec<(AgentIx, RunState)>,
    outcome: Outcome,
}

#[derive(Debug, Clone, Copy)]
enum RunState {
    Running(Mark),
    Ended(RunId),
}

/// Pairs one session's entries, fed in file order. See the module docs.
#[derive(Debug)]
pub(crate) struct Runs {
    agents: Agents,
    events: Open<Box<str>, EventRecord>,
    links: Links,
    /// Whether new events are linked to their requests (and runs' routes read): the exports'
    /// clock needs only the pairing.
    linking: bool,
    runs_ended: RunId,
    events_seen: EventNo,
    requests: RequestId,
    seq: u64,
}

impl Runs {
    /// Pairing that names agents in `agents`, and links every new event to its request.
    pub fn new(agents: Agents) -> Runs {
        Runs {
            agents,
            events: Open::new(OPEN_LIMIT),
            links: Links::new(WAITING_LIMIT),
            linking: true,
            runs_ended: 0,
            events_seen: 0,
            requests: 0,
            seq: 0,
        }
    }

    /// Pairing alone: every event begins a request of its own, and runs have no route.
    pub fn without_linking(agents: Agents) -> Runs {
        Runs {
            linking: false,
            ..Runs::new(agents)
        }
    }

    /// An agent's number, given now if it is new (for entries that pair with nothing, like a
    /// sampling logger's).
    pub fn intern(&mut self, name: &str) -> AgentIx {
        self.agents.intern(name)
    }

    /// The agents met so far.
    pub fn agents(&self) -> &Agents {
        &self.agents
    }

    /// The open event whose id is `id`, if there is one.
    pub fn open_event(&self, id: &str) -> Option<EventNo> {
        self.events.get(clip(id)).map(|record| record.no)
    }

    /// Whether run `run` failed and waits for the event that says where the runner sent its
    /// failure (until it comes, or a later run's event shows that it will not).
    pub fn awaits_failure_event(&self, run: RunId) -> bool {
        self.links.awaits_failure_event(run)
    }

    /// Takes the next entry in file order; `selected` is passed on in its [`Mark`].
    pub fn add(&mut self, e: &TraceEntry<'_>, selected: bool, sink: &mut impl Sink) {
        self.seq += 1;
        let at = Mark {
            at: e.timestamp,
            selected,
            seq: self.seq,
            runs_before: self.runs_ended,
        };
        match e.hook {
            Hook::BeforeEventHandling => self.event_started(e, at, sink),
            Hook::BeforeAgentRun => self.run_started(e, at, sink),
            Hook::AfterAgentRun | Hook::AgentError => self.run_ended(e, at, sink),
            Hook::AfterEventHandling => self.event_handled(e, at, sink),
            _ => {}
        }
        for (run, request) in self.links.given_up() {
            sink.wait_given_up(run, request);
        }
    }

    /// Ends the input: what is still open is reported unfinished. Gives back the agents.
    pub fn finish(mut self, sink: &mut impl Sink) -> Agents {
        let open = self.events.drain();
        let mut unfinished = Vec::new();
        for (id, record) in &open {
            sink.event_unfinished(record.started);
            let queued = record.queued.map(|(agent, since)| (agent, since, false));
            let runs = record.runs.iter().filter_map(|(agent, run)| match run {
                RunState::Running(since) => Some((*agent, *since, true)),
                RunState::Ended(_) => None,
            });
            for (agent, since, began) in queued.into_iter().chain(runs) {
                unfinished.push(Unfinished {
                    agent,
                    agent_name: self.agents.name(agent),
                    event: record.no,
                    event_id: id,
                    request: record.request,
                    since,
                    began,
                });
            }
        }
        unfinished.sort_by_key(|u| u.since.seq);
        for u in &unfinished {
            sink.unfinished(u);
        }
        self.agents
    }

    /// The agent of a run entry: its `agent_id`, else the event's target, else the unnamed
    /// agent.
    fn run_agent(&mut self, e: &TraceEntry<'_>) -> AgentIx {
        let name = [&e.agent_id, &e.target_agent_id]
            .into_iter()
            .find(|n| !n.is_empty())
            .map_or("", |n| &**n);
        self.agents.intern(name)
    }

    /// The agent an event is for: the target of its `BeforeEventHandling`, else its
    /// `agent_id`.
    fn target_agent(&mut self, e: &TraceEntry<'_>) -> Option<AgentIx> {
        let name = [&e.target_agent_id, &e.agent_id]
            .into_iter()
            .find(|n| !n.is_empty())?;
        Some(self.agents.intern(name))
    }

    /// The entry's event, opened (and linked to its request) if it is new.
    fn open(
        &mut self,
        e: &TraceEntry<'_>,
        at: Mark,
        sink: &mut impl Sink,
    ) -> Option<&mut EventRecord> {
        let key = clip(&e.event_id);
        if self.events.get_mut(key).is_none() {
            let no = self.events_seen;
            self.events_seen += 1;
            let link = if self.linking { self.link(e) } else { None };
            let request = match link {
                Some(link) => link.request,
                None => {
                    self.requests += 1;
                    self.requests - 1
                }
            };
            sink.event_opened(&Opened {
                no,
                id: &e.event_id,
                request,
                link,
                at,
            });
            let record = EventRecord {
                no,
                request,
                started: None,
                queued: None,
                runs: Vec::new(),
                outcome: Outcome::default(),
            };
            for (_, given_up) in self.events.insert(key.into(), record) {
                for (agent, run) in given_up.runs {
                    if let RunState::Running(started) = run {
                        sink.run_abandoned(agent, started, None);
                    }
                }
                sink.event_given_up(given_up.no);
            }
        }
        self.events.get_mut(key)
    }

    /// The run a new event continues: found through its `source_agent_id` and its agent.
    fn link(&mut self, e: &TraceEntry<'_>) -> Option<Link> {
        let source = &*e.source_agent_id;
        let target = [&e.target_agent_id, &e.agent_id]
            .into_iter()
            .find(|n| !n.is_empty())?;
        let from = self.agents.get(source).filter(|_| !source.is_empty())?;
        let to = self.agents.get(target);
        let agents = &mut self.agents;
        self.links.link(from, to, || {
            is_failure_event(e, source, target).then(|| agents.intern(target))
        })
    }

    fn event_started(&mut self, e: &TraceEntry<'_>, at: Mark, sink: &mut impl Sink) {
        let target = self.target_agent(e);
        let Some(record) = self.open(e, at, sink) else {
            return;
        };
        let again = record.started.replace(at).is_some();
        if let Some(agent) = target {
            record.queued = Some((agent, at));
        }
        sink.event_started(at, again);
    }

    fn run_started(&mut self, e: &TraceEntry<'_>, at: Mark, sink: &mut impl Sink) {
        let agent = self.run_agent(e);
        let Some(record) = self.open(e, at, sink) else {
            return;
        };
        record.queued = None;
        let event = record.no;
        let again = match record.runs.iter_mut().find(|(a, _)| *a == agent) {
            // The runner's and the orchestrator's entries for one run.
            Some((_, state @ RunState::Running(_))) => {
                *state = RunState::Running(at);
                true
            }
            // A new run of an agent that finished this event's run before.
            Some((_, state)) => {
                *state = RunState::Running(at);
                false
            }
            None => {
                record.runs.push((agent, RunState::Running(at)));
                false
            }
        };
        sink.run_started(&Started {
            agent,
            agent_name: self.agents.name(agent),
            event,
            at,
            again,
        });
    }

    fn run_ended(&mut self, e: &TraceEntry<'_>, at: Mark, sink: &mut impl Sink) {
        let agent = self.run_agent(e);
        let route = if self.linking {
            e.route().map(|r| self.agents.intern(&r))
        } else {
            None
        };
        let run = self.runs_ended;
        let Some(record) = self.open(e, at, sink) else {
            return;
        };
        record.queued = None;
        let slot = record.runs.iter().position(|(a, _)| *a == agent);
        let started = match slot.map(|i| record.runs[i].1) {
            Some(RunState::Ended(ended)) => {
                sink.run_ended_again(record.no, ended, e, at);
                return;
            }
            Some(RunState::Running(started)) => Some(started),
            None => None,
        };
        match slot {
            Some(i) => record.runs[i].1 = RunState::Ended(run),
            None => record.runs.push((agent, RunState::Ended(run))),
        }
        let error = e.error_message();
        let failed = ends_in_failure(&e.hook, error);
        record.outcome = Outcome {
            agent: Some(agent),
            route,
            failed: record.outcome.failed || failed,
        };
        let (event, request) = (record.no, record.request);
        self.runs_ended += 1;
        // The event that continues the run: the runner's failure event after an AgentError
        // (or an error with nowhere to go), else the event its route queued.
        let waits_for = if !self.linking {
            None
        } else if e.hook == Hook::AgentError || (failed && route.is_none()) {
            Some(None)
        } else {
            route.map(Some)
        };
        sink.run_ended(&Ended {
            run,
            agent,
            agent_name: self.agents.name(agent),
            event,
            event_id: clip(&e.event_id),
            request,
            started,
            at,
            entry: e,
            error,
            failed,
            route,
            waits: waits_for.is_some(),
        });
        if let Some(to) = waits_for {
            self.links.wait(run, request, agent, to);
        }
    }

    fn event_handled(&mut self, e: &TraceEntry<'_>, at: Mark, sink: &mut impl Sink) {
        let handler = (!e.agent_id.is_empty()).then(|| self.agents.intern(&e.agent_id));
        let event_id = clip(&e.event_id);
        let record = self.events.remove(event_id);
        if let Some(record) = &record {
            for &(agent, run) in &record.runs {
                if let RunState::Running(started) = run {
                    sink.run_abandoned(agent, started, Some(at));
                }
            }
        }
        sink.event_handled(&Handled {
            event: record.as_ref().map(|r| r.no),
            request: record.as_ref().map(|r| r.request),
            event_id,
            at,
            started: record.as_ref().and_then(|r| r.started),
            outcome: record.map_or_else(Outcome::default, |r| r.outcome),
            handler,
        });
    }
}

/// Whether an entry with `hook` and `error` (its error, or its result's) ends a failed run:
/// the one failed-run test, for the analysis, the flow view, `list -v` and the OTLP spans. An
/// `AgentError` always does (with or without a message); an `AfterAgentRun` does when it
/// carries an error (a retry's result, say).
pub(crate) fn ends_in_failure(hook: &Hook<'_>, error: Option<&str>) -> bool {
    match hook {
        Hook::AgentError => true,
        Hook::AfterAgentRun => error.is_some(),
        _ => false,
    }
}

/// A sampling logger's entry (no hook of the five, a duration and an agent): one whole run of
/// its agent; whether it failed (it carries an error).
pub(crate) fn sampled_run(e: &TraceEntry<'_>) -> Option<bool> {
    let hooked = matches!(
        e.hook,
        Hook::BeforeEventHandling
            | Hook::BeforeAgentRun
            | Hook::AfterAgentRun
            | Hook::AgentError
            | Hook::AfterEventHandling
    );
    (!hooked && e.duration_ns.is_some() && !e.agent_id.is_empty())
        .then(|| e.error_message().is_some())
}

/// Things open, in the order they were opened, at most `limit` of them: past that the older
/// half is given up on, so input whose ends are missing cannot exhaust memory.
#[derive(Debug)]
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

    /// Inserts, and returns what was given up on to make room, in the order it was opened.
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
                if let Some((n, v)) = self.map.remove(&k) {
                    evicted.push((n, k, v));
                }
            }
            evicted.sort_unstable_by_key(|(n, _, _)| *n);
        }
        self.map.insert(key, (self.next, value));
        self.next += 1;
        evicted.into_iter().map(|(_, k, v)| (k, v)).collect()
    }

    fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key).map(|(_, v)| v)
    }

    fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.map.get_mut(key).map(|(_, v)| v)
    }

    fn remove<Q: Hash + Eq + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map.remove(key).map(|(_, v)| v)
    }

    /// Everything left, in the order it was opened.
    fn drain(&mut self) -> Vec<(K, V)> {
        let mut all: Vec<(u64, K, V)> = self.map.drain().map(|(k, (n, v))| (n, k, v)).collect();
        all.sort_unstable_by_key(|(n, _, _)| *n);
        all.into_iter().map(|(_, k, v)| (k, v)).collect()
    }
}
