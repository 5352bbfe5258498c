//! The agent flow of a session: one hop per agent run (which agent ran, and which agent it
//! handed the work to), the requests those hops belong to, and the condensed route.
//!
//! A [`FlowBuilder`] is fed the session's entries in file order and keeps no entries: only the
//! hops, and a small record per event being handled (which agents run it, the request it
//! belongs to), dropped when the event is handled. Memory is therefore proportional to the
//! number of agent runs, not to the size of the file: a hop holds its time, agents, hook,
//! event id and error. The sequence diagram and the pictures need every hop of the session,
//! so nothing less can be kept.
//!
//! Where a hop leads: the `route` in the run's merged state meta ([`TraceEntry::route`]), else
//! the end. A failed run routes nowhere itself; the runner sends the failure on to the error
//! handler as a new event whose `source_agent_id` is the failed agent, and that event gives
//! the hop its next agent. `AfterEventHandling` entries add no hop (their `target_agent_id` is
//! the agent itself, which would make every event look like a requeue), and the writer's
//! duplicate `BeforeAgentRun` and `AgentError` entries never make a second hop.

use crate::model::{Hook, TraceEntry};
use crate::time::Timestamp;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// The agent the runner sends failures to.
pub const ERROR_HANDLER: &str = "error-handler";

/// An agent of a flow: an index into the flow's agent names ([`Flow::agent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentIndex(u32);

/// Where a hop led.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Next {
    /// The work was handed to this agent.
    Agent(AgentIndex),
    /// Nothing was routed on: the request ends here.
    End,
    /// The run had not finished when the trace ended (still running, or the writer crashed).
    Unfinished,
}

/// What kind of hand-over a hop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopKind {
    /// To another agent, or to the end.
    Route,
    /// The agent routed the work back to itself.
    Requeue,
    /// The agent routed the work back to itself, with an error in its result.
    Retry,
}

/// One agent run and where it led.
#[derive(Debug, Clone)]
pub struct FlowHop {
    /// When the run ended (when it was last seen, for an unfinished run).
    pub time: Timestamp,
    pub agent: AgentIndex,
    pub next: Next,
    /// The hook the hop was read from: `AfterAgentRun` or `AgentError`; for an unfinished run,
    /// the last hook seen (`BeforeAgentRun`, or `BeforeEventHandling` before the run began).
    pub hook: Hook<'static>,
    pub event_id: Arc<str>,
    /// The run's error, or its result's.
    pub error: Option<Box<str>>,
    /// `next` is where the runner sent the agent's failure, not a route in its output.
    pub failure_routed: bool,
    /// The request the hop belongs to: an index into [`Flow::groups`].
    pub group: usize,
    /// Place in the file, to keep hops with equal times in file order.
    seq: u64,
    /// Whether the hop passed the caller's filter.
    shown: bool,
}

impl FlowHop {
    /// Whether the hop passed the caller's filter.
    pub fn is_shown(&self) -> bool {
        self.shown
    }

    /// Requeue or retry when the agent routed to itself.
    pub fn kind(&self) -> HopKind {
        match self.next {
            Next::Agent(next) if next == self.agent && self.error.is_some() => HopKind::Retry,
            Next::Agent(next) if next == self.agent => HopKind::Requeue,
            _ => HopKind::Route,
        }
    }
}

/// The hops of one request, in time order.
///
/// A request is the event a user (or the application) sent, and every event that routing
/// created from it: the runner gives those new ids (UUIDs), so they are tied to their request
/// through `source_agent_id`. Requests are labelled with their first event's id normalised
/// ([`normalise_event_id`]); events with the same normalised id share a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventGroup {
    pub label: Arc<str>,
    /// Indices into [`Flow::hops`], in time order.
    pub hops: Vec<usize>,
}

/// A hand-over between two agents (or to the end), counted over the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowEdge {
    pub from: AgentIndex,
    pub to: Next,
    pub hops: usize,
    /// How many of those runs failed.
    pub errors: usize,
}

/// The flow of one session: its hops in time order and its requests in order of their first
/// hop. Only hops that passed the filter given to [`FlowBuilder::push`] are here.
#[derive(Debug, Clone, Default)]
pub struct Flow {
    agents: Vec<Box<str>>,
    pub hops: Vec<FlowHop>,
    pub groups: Vec<EventGroup>,
}

impl Flow {
    /// An agent's name, as written in the trace (untrusted: escape before printing).
    pub fn agent(&self, agent: AgentIndex) -> &str {
        &self.agents[agent.0 as usize]
    }

    pub fn is_empty(&self) -> bool {
        self.hops.is_empty()
    }

    /// The route without repeats: every agent the requests reached, in the order they reached
    /// it, each once. Each request's hops are a chain (an agent, the agent it handed to, ...);
    /// the chains are taken request after request, and an agent already on the route is not
    /// added again.
    pub fn condensed_route(&self) -> Vec<AgentIndex> {
        let by_request = self
            .groups
            .iter()
            .flat_map(|group| group.hops.iter().map(|&i| &self.hops[i]));
        self.first_appearances(by_request)
    }

    /// The agents of the hops, in order of first appearance (an agent, then where it led).
    pub fn participants(&self) -> Vec<AgentIndex> {
        self.first_appearances(self.hops.iter())
    }

    /// Each agent of `hops` once: a hop's agent, then the agent it handed to.
    fn first_appearances<'h>(&self, hops: impl Iterator<Item = &'h FlowHop>) -> Vec<AgentIndex> {
        let mut seen = vec![false; self.agents.len()];
        let mut out = Vec::new();
        for hop in hops {
            let next = match hop.next {
                Next::Agent(next) => Some(next),
                _ => None,
            };
            for agent in std::iter::once(hop.agent).chain(next) {
                if !std::mem::replace(&mut seen[agent.0 as usize], true) {
                    out.push(agent);
                }
            }
        }
        out
    }

    /// Every distinct hand-over with its counts, in order of first appearance.
    pub fn edges(&self) -> Vec<FlowEdge> {
        let mut index: HashMap<(AgentIndex, Next), usize> = HashMap::new();
        let mut edges: Vec<FlowEdge> = Vec::new();
        for hop in &self.hops {
            let i = *index.entry((hop.agent, hop.next)).or_insert_with(|| {
                edges.push(FlowEdge {
                    from: hop.agent,
                    to: hop.next,
                    hops: 0,
                    errors: 0,
                });
                edges.len() - 1
            });
            edges[i].hops += 1;
            edges[i].errors += usize::from(hop.error.is_some());
        }
        edges
    }
}

/// The request id inside an event id: `req-17461596-planner` -> `req-17461596`, a UUID ->
/// its first 8 hex digits; anything else unchanged.
pub fn normalise_event_id(id: &str) -> &str {
    if let Some(rest) = id.strip_prefix("req-") {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        return if digits > 0 { &id[..4 + digits] } else { id };
    }
    let b = id.as_bytes();
    if b.len() > 8 && b[8] == b'-' && b[..8].iter().all(u8::is_ascii_hexdigit) {
        return &id[..8];
    }
    id
}

/// An agent run that has begun (or been queued) and has no result yet.
#[derive(Debug, Clone, Copy)]
struct Pending {
    time: Timestamp,
    seq: u64,
    shown: bool,
}

#[derive(Debug, Clone, Copy)]
enum RunState {
    Running(Pending),
    /// Finished: the index of its hop.
    Done(usize),
}

#[derive(Debug)]
struct EventState {
    group: usize,
    /// The target of `BeforeEventHandling`, until a run of the event begins.
    queued: Option<(AgentIndex, Pending)>,
    /// Usually one; several when an orchestrator runs agents side by side for one event.
    runs: Vec<(AgentIndex, RunState)>,
}

/// Builds a [`Flow`] from a session's entries, fed in file order. See the module docs.
#[derive(Debug, Default)]
pub struct FlowBuilder {
    agents: Vec<Box<str>>,
    agent_index: HashMap<Box<str>, AgentIndex>,
    hops: Vec<FlowHop>,
    events: HashMap<Arc<str>, EventState>,
    group_labels: Vec<Arc<str>>,
    group_index: HashMap<Arc<str>, usize>,
    /// Hops routed to an agent whose event has not been seen yet, oldest first.
    routed: HashMap<(AgentIndex, AgentIndex), VecDeque<usize>>,
    /// Failed hops whose failure event has not been seen yet, oldest first, by agent.
    failed: HashMap<AgentIndex, VecDeque<usize>>,
    /// Hops before this one wait in vain. The runner handles a session's events in the order
    /// they were queued, so once the event of a hop has come, the events of every earlier hop
    /// have come too: a hop still waiting then (its event lost, or never sent, like a failure
    /// with no error handler) must not take a later request's event.
    stale_before: usize,
    seq: u64,
    /// Hops before this one were handed out as settled ([`FlowBuilder::settled`]).
    handed_out: usize,
}

impl FlowBuilder {
    pub fn new() -> FlowBuilder {
        FlowBuilder::default()
    }

    /// Takes the next entry. `shown` says whether the entry passed the user's filter: a hop
    /// is shown when the entry it is read from was; every entry is still used to follow
    /// the routing.
    pub fn push(&mut self, entry: &TraceEntry<'_>, shown: bool) {
        self.seq += 1;
        let hook = match entry.hook {
            Hook::BeforeEventHandling => Hook::BeforeEventHandling,
            Hook::BeforeAgentRun => Hook::BeforeAgentRun,
            Hook::AfterAgentRun => Hook::AfterAgentRun,
            Hook::AgentError => Hook::AgentError,
            Hook::AfterEventHandling => Hook::AfterEventHandling,
            _ => return,
        };
        let pending = Pending {
            time: entry.timestamp,
            seq: self.seq,
            shown,
        };
        let key = self.open_event(entry);
        match hook {
            Hook::BeforeEventHandling => {
                let target = self.agent_of(entry, true);
                if let (Some(agent), Some(state)) = (target, self.events.get_mut(&key)) {
                    state.queued = Some((agent, pending));
                }
            }
            Hook::BeforeAgentRun => {
                let Some(agent) = self.agent_of(entry, false) else {
                    return;
                };
                let Some(state) = self.events.get_mut(&key) else {
                    return;
                };
                state.queued = None;
                match state.runs.iter_mut().find(|(a, _)| *a == agent) {
                    // The runner's and the orchestrator's entries for one run, or a new run
                    // of an agent that finished: either way the latest start counts.
                    Some((_, run)) => *run = RunState::Running(pending),
                    None => state.runs.push((agent, RunState::Running(pending))),
                }
            }
            Hook::AfterAgentRun | Hook::AgentError => {
                let Some(agent) = self.agent_of(entry, false) else {
                    return;
                };
                let Some(state) = self.events.get_mut(&key) else {
                    return;
                };
                state.queued = None;
                let group = state.group;
                let run = state.runs.iter().position(|(a, _)| *a == agent);
                if let Some(i) = run
                    && let RunState::Done(hop) = state.runs[i].1
                {
                    // A second report of a finished run (the writer's duplicate AgentError).
                    let hop = &mut self.hops[hop];
                    if hop.error.is_none() {
                        hop.error = entry.error_message().map(Box::from);
                    }
                    hop.shown |= shown;
                    return;
                }
                let hop = self.add_hop(entry, &key, agent, hook, group, pending);
                if let Some(state) = self.events.get_mut(&key) {
                    match run {
                        Some(i) => state.runs[i].1 = RunState::Done(hop),
                        None => state.runs.push((agent, RunState::Done(hop))),
                    }
                }
            }
            // The event is handled: its runs are over, with a result or without one.
            _ => {
                self.events.remove(&key);
            }
        }
    }

    /// The hops whose NEXT is final and that were not handed out before, in file order, as
    /// indices for [`FlowBuilder::hop`]: a live view shows each hop once, as soon as it is
    /// settled. A failed run's hop waits for the failure event that says where the runner sent
    /// it, or until a later hop's event shows that none will come (and holds back the hops
    /// after it, to keep their order). With `all` (the input has ended), every hop is settled.
    pub fn settled(&mut self, all: bool) -> std::ops::Range<usize> {
        let start = self.handed_out;
        let mut end = start;
        while end < self.hops.len() && (all || !self.awaits_failure_event(end)) {
            end += 1;
        }
        self.handed_out = end;
        start..end
    }

    /// A hop by its index (see [`FlowBuilder::settled`]).
    pub fn hop(&self, index: usize) -> &FlowHop {
        &self.hops[index]
    }

    /// An agent's name, as written in the trace (untrusted: escape before printing).
    pub fn agent(&self, agent: AgentIndex) -> &str {
        &self.agents[agent.0 as usize]
    }

    fn awaits_failure_event(&self, hop: usize) -> bool {
        hop >= self.stale_before && self.failed.values().any(|waiting| waiting.contains(&hop))
    }

    /// The flow so far; runs without a result become unfinished hops.
    pub fn finish(mut self) -> Flow {
        let mut unfinished = Vec::new();
        for (key, state) in &self.events {
            if let Some((agent, pending)) = state.queued {
                unfinished.push((pending, agent, Hook::BeforeEventHandling, key, state.group));
            }
            for (agent, run) in &state.runs {
                if let RunState::Running(pending) = *run {
                    unfinished.push((pending, *agent, Hook::BeforeAgentRun, key, state.group));
                }
            }
        }
        unfinished.sort_by_key(|(pending, ..)| pending.seq);
        for (pending, agent, hook, key, group) in unfinished {
            self.hops.push(FlowHop {
                time: pending.time,
                agent,
                next: Next::Unfinished,
                hook,
                event_id: key.clone(),
                error: None,
                failure_routed: false,
                group,
                seq: pending.seq,
                shown: pending.shown,
            });
        }

        // In place: a second list of hops would double the peak memory.
        let mut hops = self.hops;
        hops.retain(|h| h.shown);
        hops.shrink_to_fit();
        // `seq` is unique, so an unstable sort keeps file order among equal times.
        hops.sort_unstable_by_key(|h| (h.time, h.seq));
        let mut renumbered: Vec<Option<usize>> = vec![None; self.group_labels.len()];
        let mut groups: Vec<EventGroup> = Vec::new();
        for (i, hop) in hops.iter_mut().enumerate() {
            let group = *renumbered[hop.group].get_or_insert_with(|| {
                groups.push(EventGroup {
                    label: self.group_labels[hop.group].clone(),
                    hops: Vec::new(),
                });
                groups.len() - 1
            });
            hop.group = group;
            groups[group].hops.push(i);
        }
        Flow {
            agents: self.agents,
            hops,
            groups,
        }
    }

    fn intern(&mut self, name: &str) -> AgentIndex {
        if let Some(&agent) = self.agent_index.get(name) {
            return agent;
        }
        let agent = AgentIndex(self.agents.len() as u32);
        self.agents.push(name.into());
        self.agent_index.insert(name.into(), agent);
        agent
    }

    /// The agent an entry is about: the one that ran, else the event's target (or, with
    /// `target_first`, the other way round: `BeforeEventHandling` names no agent that ran).
    fn agent_of(&mut self, entry: &TraceEntry<'_>, target_first: bool) -> Option<AgentIndex> {
        let (first, second) = if target_first {
            (&entry.target_agent_id, &entry.agent_id)
        } else {
            (&entry.agent_id, &entry.target_agent_id)
        };
        let name = [first, second].into_iter().find(|n| !n.is_empty())?;
        Some(self.intern(name))
    }

    /// The key of the entry's event, creating its record (and finding its request) when the
    /// event is new. An event's record is dropped when it is handled, so an application that
    /// gives one id to several events gets several events.
    fn open_event(&mut self, entry: &TraceEntry<'_>) -> Arc<str> {
        if let Some((key, _)) = self.events.get_key_value(&*entry.event_id) {
            return key.clone();
        }
        let group = self.request_of(entry);
        let key: Arc<str> = Arc::from(&*entry.event_id);
        self.events.insert(
            key.clone(),
            EventState {
                group,
                queued: None,
                runs: Vec::new(),
            },
        );
        key
    }

    /// The request a new event belongs to: that of the hop that created it (found through
    /// `source_agent_id`), else the one labelled with its normalised id.
    fn request_of(&mut self, entry: &TraceEntry<'_>) -> usize {
        let source = &*entry.source_agent_id;
        let target = [&entry.target_agent_id, &entry.agent_id]
            .into_iter()
            .find(|n| !n.is_empty());
        if let (Some(&from), Some(target)) = (self.agent_index.get(source), target) {
            let routed = match self.agent_index.get(&**target) {
                Some(&to) => self.routed.get_mut(&(from, to)),
                None => None,
            };
            if let Some(hop) = routed.and_then(|waiting| take_oldest(waiting, self.stale_before)) {
                self.stale_before = hop;
                return self.hops[hop].group;
            }
            let failed = self.failed.get(&from);
            if failed.is_some_and(|waiting| waiting.iter().any(|&h| h >= self.stale_before))
                && is_failure_event(entry, source, target)
            {
                let to = self.intern(target);
                let waiting = self.failed.get_mut(&from);
                if let Some(hop) = waiting.and_then(|w| take_oldest(w, self.stale_before)) {
                    self.stale_before = hop;
                    let hop = &mut self.hops[hop];
                    hop.next = Next::Agent(to);
                    hop.failure_routed = true;
                    return hop.group;
                }
            }
        }
        let label = normalise_event_id(&entry.event_id);
        if let Some(&group) = self.group_index.get(label) {
            return group;
        }
        let group = self.group_labels.len();
        let label: Arc<str> = label.into();
        self.group_labels.push(label.clone());
        self.group_index.insert(label, group);
        group
    }

    fn add_hop(
        &mut self,
        entry: &TraceEntry<'_>,
        key: &Arc<str>,
        agent: AgentIndex,
        hook: Hook<'static>,
        group: usize,
        pending: Pending,
    ) -> usize {
        let error: Option<Box<str>> = entry.error_message().map(Box::from);
        let next = match entry.route() {
            Some(route) => Next::Agent(self.intern(&route)),
            None => Next::End,
        };
        let index = self.hops.len();
        // A failed run's next agent is where the runner sends the failure; a route in its
        // state is only kept if no failure event follows.
        let awaits_failure_event =
            hook == Hook::AgentError || (error.is_some() && next == Next::End);
        if awaits_failure_event {
            self.failed.entry(agent).or_default().push_back(index);
        } else if let Next::Agent(to) = next {
            self.routed.entry((agent, to)).or_default().push_back(index);
        }
        self.hops.push(FlowHop {
            time: pending.time,
            agent,
            next,
            hook,
            event_id: key.clone(),
            error,
            failure_routed: false,
            group,
            seq: pending.seq,
            shown: pending.shown,
        });
        index
    }
}

/// The oldest hop still waiting for its event, dropping those older than `stale_before`.
fn take_oldest(waiting: &mut VecDeque<usize>, stale_before: usize) -> Option<usize> {
    while let Some(hop) = waiting.pop_front() {
        if hop >= stale_before {
            return Some(hop);
        }
    }
    None
}

/// Whether a new event is the runner's report of `source`'s failure: sent to the error
/// handler, or marked as a failure in its state.
fn is_failure_event(entry: &TraceEntry<'_>, source: &str, target: &str) -> bool {
    target == ERROR_HANDLER
        || entry.meta("failed_agent_id").as_deref() == Some(source)
        || entry.meta("status").as_deref() == Some("failure")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One entry per line: `HOOK EVENT AGENT [key=value ...]` with keys `src`, `tgt`, `route`,
    /// `err`, `t` (seconds after 14:32:15, default: the line number / 1000).
    fn flow_of(lines: &str, shown: impl Fn(&TraceEntry<'_>) -> bool) -> Flow {
        let mut builder = FlowBuilder::new();
        for (n, line) in lines
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            let json = entry_json(line, n);
            let entry = TraceEntry::parse(json.as_bytes()).unwrap();
            builder.push(&entry, shown(&entry));
        }
        builder.finish()
    }

    fn entry_json(line: &str, n: usize) -> String {
        let mut words = line.split_whitespace();
        let hook = words.next().unwrap();
        let event = words.next().unwrap();
        let agent = words.next().unwrap_or("-");
        let mut fields = serde_json::Map::new();
        let mut seconds = n as f64 / 1000.0;
        fields.insert("hook".into(), hook.into());
        fields.insert("event_id".into(), event.into());
        if agent != "-" {
            fields.insert("agent_id".into(), agent.into());
            fields.insert("target_agent_id".into(), agent.into());
        }
        let mut result = serde_json::json!({"duration_ms": 0});
        for word in words {
            let (key, value) = word.split_once('=').unwrap();
            match key {
                "src" => {
                    fields.insert("source_agent_id".into(), value.into());
                }
                "tgt" => {
                    fields.insert("target_agent_id".into(), value.into());
                }
                "route" => {
                    result["output_state"] =
                        serde_json::json!({"data": {}, "meta": {"route": value}})
                }
                "err" => {
                    fields.insert("error".into(), value.into());
                    result["error"] = value.into();
                }
                "t" => seconds = value.parse().unwrap(),
                _ => panic!("unknown key {key}"),
            }
        }
        if matches!(hook, "AfterAgentRun" | "AgentError") {
            fields.insert("agent_result".into(), result);
        }
        let whole = seconds.floor() as u32;
        let nanos = ((seconds - whole as f64) * 1e9).round() as u64;
        fields.insert(
            "timestamp".into(),
            format!("2025-05-02T14:32:{:02}.{nanos:09}+05:30", 15 + whole).into(),
        );
        serde_json::Value::Object(fields).to_string()
    }

    /// The writer's entries for one event handled by `agent`, routed to `route`.
    fn event(id: &str, agent: &str, src: &str, route: &str) -> String {
        let src = if src.is_empty() {
            String::new()
        } else {
            format!("src={src}")
        };
        let route = if route.is_empty() {
            String::new()
        } else {
            format!("route={route}")
        };
        format!(
            "BeforeEventHandling {id} - tgt={agent} {src}\n\
             BeforeAgentRun {id} {agent} {src}\n\
             BeforeAgentRun {id} {agent} {src}\n\
             AfterAgentRun {id} {agent} {src} {route}\n\
             AfterEventHandling {id} {agent} {src}\n"
        )
    }

    fn failed_event(id: &str, agent: &str, src: &str, error: &str) -> String {
        format!(
            "BeforeEventHandling {id} - tgt={agent} src={src}\n\
             BeforeAgentRun {id} {agent} src={src}\n\
             BeforeAgentRun {id} {agent} src={src}\n\
             AgentError {id} {agent} src={src} err={error}\n\
             AgentError {id} {agent} src={src} err={error}\n\
             AfterEventHandling {id} {agent} src={src}\n"
        )
    }

    /// Each hop as `agent -> next [kind] (group)`.
    fn hops(flow: &Flow) -> Vec<String> {
        flow.hops
            .iter()
            .map(|h| {
                let next = match h.next {
                    Next::Agent(a) => flow.agent(a).to_owned(),
                    Next::End => "(end)".into(),
                    Next::Unfinished => "(unfinished)".into(),
                };
                let kind = match h.kind() {
                    HopKind::Route => "",
                    HopKind::Requeue => " [requeue]",
                    HopKind::Retry => " [retry]",
                };
                let error = if h.failure_routed { " [failure]" } else { "" };
                let label = &flow.groups[h.group].label;
                format!("{} -> {next}{kind}{error} ({label})", flow.agent(h.agent))
            })
            .collect()
    }

    fn route(flow: &Flow) -> Vec<&str> {
        flow.condensed_route()
            .into_iter()
            .map(|a| flow.agent(a))
            .collect()
    }

    fn all(_: &TraceEntry<'_>) -> bool {
        true
    }

    #[test]
    fn a_linear_route_is_one_hop_per_run_and_ignores_after_event_handling() {
        let lines = event("req-17461596-planner", "planner", "", "summarizer")
            + &event(
                "1f78e6e6-beb2-4c3a-9d1e-000000000001",
                "summarizer",
                "planner",
                "",
            );
        let flow = flow_of(&lines, all);
        assert_eq!(
            hops(&flow),
            [
                "planner -> summarizer (req-17461596)",
                "summarizer -> (end) (req-17461596)"
            ]
        );
        assert_eq!(route(&flow), ["planner", "summarizer"]);
        assert_eq!(flow.hops[0].hook, Hook::AfterAgentRun);
        assert_eq!(
            &*flow.hops[1].event_id,
            "1f78e6e6-beb2-4c3a-9d1e-000000000001"
        );
    }

    #[test]
    fn a_failure_is_routed_to_the_error_handler_once_and_back() {
        let lines = event("req-1-planner", "planner", "", "researcher")
            + &failed_event("aaaaaaaa-0001", "researcher", "planner", "boom")
            + &event("bbbbbbbb-0002", "error-handler", "researcher", "planner")
            + &event("cccccccc-0003", "planner", "error-handler", "researcher")
            + &event("dddddddd-0004", "researcher", "planner", "");
        let flow = flow_of(&lines, all);
        assert_eq!(
            hops(&flow),
            [
                "planner -> researcher (req-1)",
                "researcher -> error-handler [failure] (req-1)",
                "error-handler -> planner (req-1)",
                "planner -> researcher (req-1)",
                "researcher -> (end) (req-1)",
            ]
        );
        assert_eq!(flow.hops[1].hook, Hook::AgentError);
        assert_eq!(flow.hops[1].error.as_deref(), Some("boom"));
        assert_eq!(route(&flow), ["planner", "researcher", "error-handler"]);
        assert_eq!(flow.groups.len(), 1);
        let edges = flow.edges();
        assert_eq!(edges.len(), 4);
        assert_eq!((edges[0].hops, edges[0].errors), (2, 0));
        assert_eq!((edges[1].hops, edges[1].errors), (1, 1));
    }

    #[test]
    fn hops_are_settled_once_their_next_is_final() {
        let lines = event("req-1-planner", "planner", "", "researcher")
            + &failed_event("aaaaaaaa-0001", "researcher", "planner", "boom")
            + &event("bbbbbbbb-0002", "error-handler", "researcher", "planner");
        let mut builder = FlowBuilder::new();
        let mut handed_out = Vec::new();
        for (n, line) in lines.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            let json = entry_json(line.trim(), n);
            builder.push(&TraceEntry::parse(json.as_bytes()).unwrap(), true);
            for i in builder.settled(false) {
                let hop = builder.hop(i);
                let next = next_of(&builder, hop);
                handed_out.push(format!("{n}: {} -> {next}", builder.agent(hop.agent)));
            }
        }
        // The failed run (its AgentError entries are lines 8 and 9) is handed out when the
        // error handler's event (line 11) names where it went; each hop once.
        assert_eq!(
            handed_out,
            [
                "3: planner -> researcher",
                "11: researcher -> error-handler",
                "14: error-handler -> planner"
            ]
        );
        assert!(builder.settled(true).is_empty());
    }

    fn next_of<'b>(builder: &'b FlowBuilder, hop: &FlowHop) -> &'b str {
        match hop.next {
            Next::Agent(agent) => builder.agent(agent),
            Next::End => "(end)",
            Next::Unfinished => "(unfinished)",
        }
    }

    #[test]
    fn a_failure_nobody_handled_ends_the_route() {
        let lines = event("req-1-planner", "planner", "", "researcher")
            + &failed_event("aaaaaaaa-0001", "researcher", "planner", "boom");
        let flow = flow_of(&lines, all);
        assert_eq!(flow.hops[1].next, Next::End);
        assert_eq!(flow.hops[1].error.as_deref(), Some("boom"));
    }

    #[test]
    fn self_routes_are_requeues_or_retries() {
        let lines = event("req-1-planner", "planner", "", "researcher")
            + &event("aaaaaaaa-0001", "researcher", "planner", "researcher")
            + "BeforeEventHandling bbbbbbbb-0002 - tgt=researcher src=researcher\n\
               BeforeAgentRun bbbbbbbb-0002 researcher src=researcher\n\
               AfterAgentRun bbbbbbbb-0002 researcher src=researcher route=researcher err=timeout\n\
               AfterEventHandling bbbbbbbb-0002 researcher\n"
            + &event("cccccccc-0003", "researcher", "researcher", "");
        let flow = flow_of(&lines, all);
        assert_eq!(
            hops(&flow),
            [
                "planner -> researcher (req-1)",
                "researcher -> researcher [requeue] (req-1)",
                "researcher -> researcher [retry] (req-1)",
                "researcher -> (end) (req-1)",
            ]
        );
        assert_eq!(route(&flow), ["planner", "researcher"]);
    }

    #[test]
    fn interleaved_requests_keep_their_own_hops() {
        // Two requests in flight: their events alternate in the file.
        let lines = "BeforeEventHandling req-1-planner - tgt=planner
            BeforeEventHandling req-2-planner - tgt=planner
            BeforeAgentRun req-1-planner planner
            BeforeAgentRun req-2-planner planner
            AfterAgentRun req-2-planner planner route=writer
            AfterAgentRun req-1-planner planner route=researcher
            AfterEventHandling req-2-planner planner
            BeforeEventHandling 22222222-0001 - tgt=writer src=planner
            AfterEventHandling req-1-planner planner
            BeforeEventHandling 11111111-0001 - tgt=researcher src=planner
            BeforeAgentRun 11111111-0001 researcher src=planner
            BeforeAgentRun 22222222-0001 writer src=planner
            AfterAgentRun 22222222-0001 writer src=planner
            AfterAgentRun 11111111-0001 researcher src=planner";
        let flow = flow_of(lines, all);
        assert_eq!(
            hops(&flow),
            [
                "planner -> writer (req-2)",
                "planner -> researcher (req-1)",
                "writer -> (end) (req-2)",
                "researcher -> (end) (req-1)",
            ]
        );
        let labels: Vec<&str> = flow.groups.iter().map(|g| &*g.label).collect();
        assert_eq!(labels, ["req-2", "req-1"]);
        assert_eq!(flow.groups[0].hops, [0, 2]);
        assert_eq!(route(&flow), ["planner", "writer", "researcher"]);
    }

    #[test]
    fn hops_are_in_time_order_whatever_the_file_order() {
        let lines = "AfterAgentRun e2 b t=2\nAfterAgentRun e1 a t=1 route=b";
        let flow = flow_of(lines, all);
        assert_eq!(hops(&flow), ["a -> b (e1)", "b -> (end) (e2)"]);
    }

    #[test]
    fn runs_without_a_result_are_unfinished_unless_their_event_was_handled() {
        let lines = event("req-1-planner", "planner", "", "researcher")
            + "BeforeEventHandling aaaaaaaa-0001 - tgt=researcher src=planner\n\
               BeforeAgentRun aaaaaaaa-0001 researcher src=planner\n\
               BeforeEventHandling bbbbbbbb-0002 - tgt=idle\n\
               BeforeEventHandling cccccccc-0003 - tgt=skipped\n\
               AfterEventHandling cccccccc-0003 skipped\n";
        let flow = flow_of(&lines, all);
        assert_eq!(
            hops(&flow),
            [
                "planner -> researcher (req-1)",
                "researcher -> (unfinished) (req-1)",
                "idle -> (unfinished) (bbbbbbbb)",
            ]
        );
        assert_eq!(flow.hops[1].hook, Hook::BeforeAgentRun);
        assert_eq!(flow.hops[2].hook, Hook::BeforeEventHandling);
        // A request that reached an agent, even one still waiting for it, is on the route.
        assert_eq!(route(&flow), ["planner", "researcher", "idle"]);
    }

    /// A hop whose event never came (a failure nobody handled, a route the runner dropped)
    /// must not take a later request's event (the mistake issue 5's request chains made on a
    /// 1 GB trace).
    #[test]
    fn a_hop_waiting_in_vain_does_not_capture_later_requests() {
        let lines = event("req-1-planner", "planner", "", "researcher")
            + &failed_event("aaaaaaaa-0001", "researcher", "planner", "first")
            + &event("req-2-planner", "planner", "", "researcher")
            + &failed_event("bbbbbbbb-0002", "researcher", "planner", "second")
            + &event("cccccccc-0003", "error-handler", "researcher", "")
            + &event("req-3-planner", "planner", "", "writer")
            + &event("req-4-planner", "planner", "", "researcher")
            + &event("dddddddd-0004", "researcher", "planner", "")
            + &event("req-5-planner", "planner", "", "writer")
            + &event("eeeeeeee-0005", "writer", "planner", "");
        let flow = flow_of(&lines, all);
        assert_eq!(
            hops(&flow),
            [
                "planner -> researcher (req-1)",
                "researcher -> (end) (req-1)",
                "planner -> researcher (req-2)",
                "researcher -> error-handler [failure] (req-2)",
                "error-handler -> (end) (req-2)",
                "planner -> writer (req-3)",
                "planner -> researcher (req-4)",
                "researcher -> (end) (req-4)",
                "planner -> writer (req-5)",
                "writer -> (end) (req-5)",
            ]
        );
    }

    #[test]
    fn a_reused_event_id_is_a_new_event() {
        let lines = event("job", "a", "", "") + &event("job", "a", "", "");
        let flow = flow_of(&lines, all);
        assert_eq!(hops(&flow), ["a -> (end) (job)", "a -> (end) (job)"]);
        assert_eq!(flow.groups.len(), 1);
        assert_eq!(flow.groups[0].hops, [0, 1]);
    }

    #[test]
    fn the_filter_chooses_hops_but_routing_still_follows_every_entry() {
        let lines = event("req-1-planner", "planner", "", "researcher")
            + &failed_event("aaaaaaaa-0001", "researcher", "planner", "boom")
            + &event("bbbbbbbb-0002", "error-handler", "researcher", "");
        let flow = flow_of(&lines, |e| e.agent_id == "researcher");
        assert_eq!(
            hops(&flow),
            ["researcher -> error-handler [failure] (req-1)"]
        );
        assert_eq!(route(&flow), ["researcher", "error-handler"]);
        assert_eq!(flow.groups.len(), 1);
        assert_eq!(flow.groups[0].hops, [0]);
        let flow = flow_of(&lines, |e| e.error_message().is_some());
        assert_eq!(flow.hops.len(), 1);
        let flow = flow_of(&lines, |_| false);
        assert!(flow.is_empty() && flow.groups.is_empty());
        assert!(flow.condensed_route().is_empty());
    }

    #[test]
    fn participants_come_in_order_of_appearance() {
        let lines = event("req-1-planner", "planner", "", "researcher")
            + &event("aaaaaaaa-0001", "researcher", "planner", "planner")
            + &event("bbbbbbbb-0002", "planner", "researcher", "");
        let flow = flow_of(&lines, all);
        let names: Vec<&str> = flow
            .participants()
            .into_iter()
            .map(|a| flow.agent(a))
            .collect();
        assert_eq!(names, ["planner", "researcher"]);
        assert_eq!(route(&flow), ["planner", "researcher"]);
    }

    #[test]
    fn event_ids_are_normalised_to_their_request() {
        assert_eq!(normalise_event_id("req-17461596-planner"), "req-17461596");
        assert_eq!(normalise_event_id("req-17461596"), "req-17461596");
        assert_eq!(normalise_event_id("req-planner"), "req-planner");
        assert_eq!(normalise_event_id("1f78e6e6-beb2-4c3a-9d1e-1"), "1f78e6e6");
        assert_eq!(normalise_event_id("1f78e6eg-beb2"), "1f78e6eg-beb2");
        assert_eq!(
            normalise_event_id("日本語日本語日本-x"),
            "日本語日本語日本-x"
        );
        assert_eq!(normalise_event_id(""), "");
    }
}
