//! The agent flow of a session: one hop per agent run (which agent ran, and which agent it
//! handed the work to), the requests those hops belong to, and the condensed route.
//!
//! A [`FlowBuilder`] is fed the session's entries in file order and keeps no entries. Runs are
//! paired by [`super::runs`] and linked to their requests by [`super::links`], as for the
//! analysis; this keeps what the views show of every hop, because the sequence diagram and the
//! pictures need them all. A hop is 32 bytes: its time, agents and what followed, an event
//! number (each event's id is stored once, a UUID in 16 bytes) and a message number (each
//! error message once). Memory is proportional to the number of runs, not to the file's size.
//!
//! Where a hop leads and what kind of hand-over it is, is the one hop rule ([`super::hops`]);
//! the condensed route and the hand-overs counted are the one route tally's
//! ([`super::routes`]), fed the same hops per request as the analysis's, so the flow view, the
//! pictures and the analysis show one route. `AfterEventHandling` entries add no hop (their
//! `target_agent_id` is the agent itself, which would make every event look like a requeue),
//! and the writer's duplicate `BeforeAgentRun` and `AgentError` entries never make a second
//! hop.

use super::compact::{EventIds, Messages};
use super::hops::{Hop, HopKind};
use super::links::{Next, RequestId, RunId};
use super::routes::{HOPS_KEPT, HopCount, RouteTally, RoutesReport, normalise_event_id};
use super::runs::{Ended, EventNo, Mark, Opened, Runs, Sink, Unfinished};
use super::{AgentIx, Agents};
use crate::model::{Hook, TraceEntry};
use crate::time::Timestamp;
use foldhash::fast::RandomState;

use hashbrown::HashTable;
use std::borrow::Cow;
use std::hash::BuildHasher;
use std::ops::Range;

/// No message, no event: the `u32` of a number that is absent.
const NONE: u32 = u32::MAX;

/// The error shown for a run that failed without a message (an `AgentError` with none).
const NO_MESSAGE: &str = "(no message)";

/// The entry a hop was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HopHook {
    AfterAgentRun,
    AgentError,
    /// An unfinished run: its last start.
    BeforeAgentRun,
    /// An unfinished event whose run had not begun.
    BeforeEventHandling,
}

/// What the numbers in hops stand for: agent names, event ids and messages, as written in the
/// trace (untrusted: escape before printing).
#[derive(Debug, Clone, Copy)]
pub struct HopText<'f> {
    agents: &'f Agents,
    event_ids: &'f EventIds,
    messages: &'f Messages,
}

impl<'f> HopText<'f> {
    /// An agent's name.
    pub fn agent(&self, agent: AgentIx) -> &'f str {
        self.agents.name(agent)
    }

    /// The id of the hop's event.
    pub fn event_id(&self, hop: &FlowHop) -> Cow<'f, str> {
        self.event_ids.get(hop.event)
    }

    /// The hop's error, or its result's.
    pub fn error(&self, hop: &FlowHop) -> Option<&'f str> {
        self.messages.get(hop.error)
    }
}

/// One agent run and where it led.
#[derive(Debug, Clone, Copy)]
pub struct FlowHop {
    unix_nanos: i64,
    offset_secs: i32,
    /// The event's number in [`Flow`]'s event ids.
    event: u32,
    agent: AgentIx,
    /// The agent `next` names, when it names one.
    next_agent: AgentIx,
    /// The run's error (or its result's) in [`Flow`]'s messages, or [`NONE`].
    error: u32,
    next: Next,
    hook: HopHook,
    /// `next` is where the runner sent the agent's failure, not a route in its output.
    failure_routed: bool,
    /// Whether the hop passed the caller's filter.
    shown: bool,
}

// What keeps a long session's flow small (see the module docs).
const _: () = assert!(std::mem::size_of::<FlowHop>() == 32);

impl FlowHop {
    /// A hop read from the entry at `at`, unfinished until told otherwise.
    fn new(at: Mark, agent: AgentIx, event: u64, hook: HopHook) -> FlowHop {
        FlowHop {
            unix_nanos: at.at.unix_nanos,
            offset_secs: at.at.offset_secs,
            event: small(event),
            agent,
            next_agent: NONE,
            error: NONE,
            next: Next::Unfinished,
            hook,
            failure_routed: false,
            shown: at.selected,
        }
    }

    /// When the run ended (when it was last seen, for an unfinished run).
    pub fn time(&self) -> Timestamp {
        Timestamp {
            unix_nanos: self.unix_nanos,
            offset_secs: self.offset_secs,
        }
    }

    pub fn agent(&self) -> AgentIx {
        self.agent
    }

    /// The hop as the hop rule sees it.
    pub fn hop(&self) -> Hop {
        let next_agent = (self.next_agent != NONE).then_some(self.next_agent);
        Hop::from_parts(
            self.agent,
            self.next,
            next_agent,
            self.has_error(),
            self.failure_routed,
        )
    }

    /// Stores what the hop rule decided (all but the error, which is kept as its message).
    fn set(&mut self, hop: Hop) {
        self.next = hop.next();
        self.next_agent = hop.next_agent().unwrap_or(NONE);
        self.failure_routed = hop.failure_routed();
    }

    /// What followed the run. A route whose event the trace does not show is `NotSeen`, a
    /// failure nobody took is `Failed`: the views show both as the agent, and the end.
    pub fn next(&self) -> Next {
        self.next
    }

    /// The agent the work was handed to, if it was handed to one.
    pub fn hands_to(&self) -> Option<AgentIx> {
        self.hop().hands_to()
    }

    /// The hook the hop was read from: `AfterAgentRun` or `AgentError`; for an unfinished run,
    /// the last hook seen (`BeforeAgentRun`, or `BeforeEventHandling` before the run began).
    pub fn hook(&self) -> Hook<'static> {
        match self.hook {
            HopHook::AfterAgentRun => Hook::AfterAgentRun,
            HopHook::AgentError => Hook::AgentError,
            HopHook::BeforeAgentRun => Hook::BeforeAgentRun,
            HopHook::BeforeEventHandling => Hook::BeforeEventHandling,
        }
    }

    /// Whether the hop passed the caller's filter.
    pub fn is_shown(&self) -> bool {
        self.shown
    }

    /// Whether the run failed (it has an error, or its result has).
    pub fn has_error(&self) -> bool {
        self.error != NONE
    }

    /// The next agent is where the runner sent the agent's failure, not a route in its output.
    pub fn failure_routed(&self) -> bool {
        self.failure_routed
    }

    /// The kind of hand-over, by the one hop rule.
    pub fn kind(&self) -> HopKind {
        self.hop().kind()
    }
}

/// The flow of one session: its hops in time order, and its requests in order of their first
/// hop. Only hops that passed the filter given to [`FlowBuilder::push`] are here.
///
/// A request is the event a user (or the application) sent, and every event that routing
/// created from it: the runner gives those new ids (UUIDs), so they are tied to their request
/// through linking. Requests are labelled with their first event's id normalised
/// ([`normalise_event_id`]); events with the same normalised id share a request.
#[derive(Debug)]
pub struct Flow {
    agents: Agents,
    /// Every hop, in the order the runs ended (unfinished ones last).
    hops: Vec<FlowHop>,
    /// The hops shown, in time order.
    order: Vec<u32>,
    event_ids: EventIds,
    /// Each event's request (among those shown), or [`NONE`].
    event_requests: Vec<u32>,
    messages: Messages,
    /// Each request's labelling event.
    request_labels: Vec<u32>,
    /// Each request's hops in time order: `request_hops[request_ends[r - 1]..request_ends[r]]`.
    request_hops: Vec<u32>,
    request_ends: Vec<u32>,
    /// The route tally of the requests with a hop shown.
    routes: RoutesReport,
}

impl Flow {
    /// What the numbers in the hops stand for.
    pub fn text(&self) -> HopText<'_> {
        HopText {
            agents: &self.agents,
            event_ids: &self.event_ids,
            messages: &self.messages,
        }
    }

    /// An agent's name, as written in the trace (untrusted: escape before printing).
    pub fn agent(&self, agent: AgentIx) -> &str {
        self.agents.name(agent)
    }

    /// The hops shown, in time order.
    pub fn hops(&self) -> impl ExactSizeIterator<Item = &FlowHop> + Clone + '_ {
        self.order.iter().map(|&i| &self.hops[i as usize])
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The id of the hop's event (untrusted).
    pub fn event_id(&self, hop: &FlowHop) -> Cow<'_, str> {
        self.event_ids.get(hop.event)
    }

    /// The hop's error, or its result's (untrusted).
    pub fn error(&self, hop: &FlowHop) -> Option<&str> {
        self.messages.get(hop.error)
    }

    /// How many requests have hops shown.
    pub fn requests(&self) -> usize {
        self.request_labels.len()
    }

    /// The request a hop belongs to: a number below [`Flow::requests`].
    pub fn request_of(&self, hop: &FlowHop) -> usize {
        self.event_requests
            .get(hop.event as usize)
            .map_or(0, |&r| r as usize)
    }

    /// A request's label: its first event's id, normalised (untrusted).
    pub fn request_label(&self, request: usize) -> String {
        let first = self.request_labels.get(request).copied().unwrap_or(NONE);
        normalise_event_id(&self.event_ids.get(first)).to_owned()
    }

    /// A request's hops, in time order.
    pub fn request_hops(&self, request: usize) -> impl Iterator<Item = &FlowHop> + '_ {
        let start = match request {
            0 => 0,
            r => self.request_ends.get(r - 1).map_or(0, |&e| e as usize),
        };
        let end = self
            .request_ends
            .get(request)
            .map_or(start, |&e| e as usize);
        self.request_hops
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .filter_map(|&i| self.hops.get(i as usize))
    }

    /// The route without repeats: every agent the requests reached, in the order they reached
    /// it, each once (the route tally's `condensed`).
    pub fn condensed_route(&self) -> &[String] {
        &self.routes.condensed
    }

    /// Every distinct hand-over with its counts, most frequent first (the route tally's).
    pub fn hand_overs(&self) -> &[HopCount] {
        &self.routes.hops
    }

    /// The agents of the hops, in order of first appearance (an agent, then where it led).
    pub fn participants(&self) -> Vec<AgentIx> {
        let mut seen = vec![false; self.agents.count()];
        let mut out = Vec::new();
        for hop in self.hops() {
            for agent in std::iter::once(hop.agent).chain(hop.hands_to()) {
                if let Some(seen) = seen.get_mut(agent as usize)
                    && !std::mem::replace(seen, true)
                {
                    out.push(agent);
                }
            }
        }
        out
    }
}

/// Builds a [`Flow`] from a session's entries, fed in file order. See the module docs.
#[derive(Debug)]
pub struct FlowBuilder {
    runs: Runs,
    hops: HopRecorder,
    /// Hops before this one were handed out as settled ([`FlowBuilder::settled`]).
    handed_out: usize,
}

/// What the flow keeps as pairing reports runs and events.
#[derive(Debug, Default)]
struct HopRecorder {
    /// Hop `i` is run `i`; unfinished runs come after the last run that ended.
    hops: Vec<FlowHop>,
    /// For each unfinished hop: its place in the file, as (runs ended before it, entry).
    unfinished: Vec<(RunId, u64)>,
    event_ids: EventIds,
    /// Each event's request, as linking numbered them.
    event_requests: Vec<u32>,
    /// Each request's first event.
    request_roots: Vec<u32>,
    /// Each event's request label (a number in `labels`).
    event_labels: Vec<u32>,
    /// Each request's label.
    request_labels: Vec<u32>,
    /// Each label's event: its id, normalised, is the label's text.
    label_events: Vec<u32>,
    /// The unnamed agent (`""`), once met.
    unnamed: Option<AgentIx>,
    /// Labels by text, holding only their numbers (the text is in `event_ids`): a session has
    /// a label per request, and a hundred thousand boxed strings would outweigh the hops.
    labels: HashTable<u32>,
    hasher: RandomState,
    messages: Messages,
}

impl Default for FlowBuilder {
    fn default() -> Self {
        FlowBuilder::new()
    }
}

impl FlowBuilder {
    pub fn new() -> FlowBuilder {
        FlowBuilder {
            runs: Runs::new(Agents::all()),
            hops: HopRecorder::default(),
            handed_out: 0,
        }
    }

    /// Takes the next entry. `shown` says whether the entry passed the user's filter: a hop
    /// is shown when the entry it is read from was; every entry is still used to follow
    /// the routing.
    pub fn push(&mut self, entry: &TraceEntry<'_>, shown: bool) {
        self.runs.add(entry, shown, &mut self.hops);
    }

    /// The hops whose NEXT is final and that were not handed out before, in the order their
    /// runs ended, as indices for [`FlowBuilder::hop`]: a live view shows each hop once, as
    /// soon as it is settled. A failed run's hop waits for the failure event that says where
    /// the runner sent it, or until a later run's event shows that none will come (and holds
    /// back the hops after it, to keep their order). With `all` (the input has ended), every
    /// hop is settled.
    pub fn settled(&mut self, all: bool) -> Range<usize> {
        let start = self.handed_out;
        let mut end = start;
        while end < self.hops.hops.len() && (all || !self.runs.awaits_failure_event(end as RunId)) {
            end += 1;
        }
        self.handed_out = end;
        start..end
    }

    /// A hop by its index (see [`FlowBuilder::settled`]).
    pub fn hop(&self, index: usize) -> &FlowHop {
        &self.hops.hops[index]
    }

    /// What the numbers in the hops stand for, so far.
    pub fn text(&self) -> HopText<'_> {
        HopText {
            agents: self.runs.agents(),
            event_ids: &self.hops.event_ids,
            messages: &self.hops.messages,
        }
    }

    /// The flow so far; runs without a result become unfinished hops.
    pub fn finish(self) -> Flow {
        let FlowBuilder { runs, mut hops, .. } = self;
        let agents = runs.finish(&mut hops);
        hops.into_flow(agents)
    }
}

/// A count as the flow stores it.
fn small(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(NONE)
}

impl Sink for HopRecorder {
    fn event_opened(&mut self, event: &Opened<'_>) {
        self.event_ids.push(event.id);
        self.event_requests.push(small(event.request));
        let label = match event.link {
            Some(link) => {
                if let Some(hop) = self.hops.get_mut(link.run as usize) {
                    let mut rule = hop.hop();
                    rule.linked(&link);
                    hop.set(rule);
                }
                self.label_of(link.request)
            }
            None => {
                if self.request_roots.len() as u64 == event.request {
                    self.request_roots.push(small(event.no));
                }
                let label = self.label(event.id, event.no);
                self.request_labels.push(label);
                label
            }
        };
        self.event_labels.push(label);
    }

    fn run_ended(&mut self, run: &Ended<'_>) {
        let hook = if run.entry.hook == Hook::AgentError {
            HopHook::AgentError
        } else {
            HopHook::AfterAgentRun
        };
        let mut hop = FlowHop::new(run.at, run.agent, run.event, hook);
        hop.shown &= self.named(run.agent, run.agent_name);
        if run.failed {
            hop.error = self.messages.intern(run.error.unwrap_or(NO_MESSAGE));
        }
        hop.set(Hop::ended(run.agent, run.route, run.failed));
        self.hops.push(hop);
    }

    fn run_ended_again(&mut self, _event: EventNo, run: RunId, entry: &TraceEntry<'_>, at: Mark) {
        // A second report of a finished run (the writer's duplicate AgentError).
        let error = entry.error_message();
        let Some(hop) = self.hops.get_mut(run as usize) else {
            return;
        };
        if let Some(error) = error
            && (hop.error == NONE || self.messages.get(hop.error) == Some(NO_MESSAGE))
        {
            hop.error = self.messages.intern(error);
        }
        hop.shown |= at.selected && Some(hop.agent) != self.unnamed;
    }

    fn unfinished(&mut self, u: &Unfinished<'_>) {
        let hook = if u.began {
            HopHook::BeforeAgentRun
        } else {
            HopHook::BeforeEventHandling
        };
        let mut hop = FlowHop::new(u.since, u.agent, u.event, hook);
        hop.shown &= self.named(u.agent, u.agent_name);
        self.hops.push(hop);
        self.unfinished.push((u.since.runs_before, u.since.seq));
    }
}

impl HopRecorder {
    /// Whether `agent` has a name: a run of no named agent is no hand-over between agents,
    /// and the flow leaves it out.
    fn named(&mut self, agent: AgentIx, name: &str) -> bool {
        if name.is_empty() {
            self.unnamed = Some(agent);
        }
        !name.is_empty()
    }

    /// The label of a request.
    fn label_of(&self, request: RequestId) -> u32 {
        self.request_labels
            .get(request as usize)
            .copied()
            .unwrap_or(NONE)
    }

    /// The label of a new request whose first event is `id` (number `event`, already in
    /// `event_ids`): the request id in it, shared by every request whose first event has the
    /// same one.
    fn label(&mut self, id: &str, event: u64) -> u32 {
        let text = normalise_event_id(id);
        let HopRecorder {
            event_ids,
            label_events,
            labels,
            hasher,
            ..
        } = self;
        let id_of = |label: &u32, label_events: &[u32]| {
            event_ids.get(label_events.get(*label as usize).copied().unwrap_or(NONE))
        };
        let hash = hasher.hash_one(text);
        let same = |label: &u32| normalise_event_id(&id_of(label, label_events)) == text;
        if let Some(&label) = labels.find(hash, same) {
            return label;
        }
        let label = small(label_events.len() as u64);
        label_events.push(small(event));
        labels.insert_unique(hash, label, |label| {
            hasher.hash_one(normalise_event_id(&id_of(label, label_events)))
        });
        label
    }

    /// The route tally of the requests with a hop shown: each request's hops in the order its
    /// runs ended (unfinished ones last), as the analysis feeds them.
    fn tally_routes(&self, agents: &Agents) -> RoutesReport {
        let mut by_request: Vec<(u32, usize)> = (self.hops.iter().enumerate())
            .filter(|(_, h)| Some(h.agent) != self.unnamed)
            .map(|(i, h)| {
                let request = self.event_requests.get(h.event as usize).copied();
                (request.unwrap_or(NONE), i)
            })
            .collect();
        by_request.sort_unstable();
        let mut tally = RouteTally::default();
        for group in by_request.chunk_by(|a, b| a.0 == b.0) {
            let request = group[0].0;
            if request == NONE || !group.iter().any(|&(_, i)| self.hops[i].shown) {
                continue;
            }
            let kept: Vec<Hop> = (group.iter().take(HOPS_KEPT))
                .map(|&(_, i)| self.hops[i].hop())
                .collect();
            let root = self.request_roots.get(request as usize).copied();
            let root = self.event_ids.get(root.unwrap_or(NONE));
            let dropped = (group.len() - kept.len()) as u64;
            tally.request(RequestId::from(request), &root, &kept, dropped);
        }
        tally.finish(agents)
    }

    fn into_flow(self, agents: Agents) -> Flow {
        let routes = self.tally_routes(&agents);
        let HopRecorder {
            hops,
            unfinished,
            mut event_ids,
            event_labels,
            labels,
            label_events,
            messages,
            ..
        } = self;
        drop(labels);
        event_ids.shrink_to_fit();
        // Time order, and file order among equal times: a hop's place in the file is its end
        // entry's, and runs are numbered in that order; an unfinished hop's is its last start,
        // which came after `runs_before` runs had ended.
        let ended = hops.len() - unfinished.len();
        let place = |i: usize| match i.checked_sub(ended) {
            None => (2 * i as u64 + 1, 0),
            Some(u) => unfinished
                .get(u)
                .map_or((u64::MAX, 0), |&(runs_before, seq)| (2 * runs_before, seq)),
        };
        let mut order: Vec<u32> = (0..hops.len())
            .filter(|&i| hops[i].shown)
            .map(|i| small(i as u64))
            .collect();
        order.sort_unstable_by_key(|&i| (hops[i as usize].unix_nanos, place(i as usize)));

        // Requests are numbered in order of their first hop shown.
        let mut renumbered = vec![NONE; label_events.len()];
        let mut request_labels = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        for &i in &order {
            let hop = &hops[i as usize];
            let label = event_labels
                .get(hop.event as usize)
                .copied()
                .unwrap_or(NONE);
            let Some(slot) = renumbered.get_mut(label as usize) else {
                continue;
            };
            if *slot == NONE {
                *slot = small(request_labels.len() as u64);
                request_labels.push(label_events[label as usize]);
                counts.push(0);
            }
            counts[*slot as usize] += 1;
        }
        // Each event's label becomes its request, in place.
        let mut event_requests = event_labels;
        for label in &mut event_requests {
            *label = renumbered.get(*label as usize).copied().unwrap_or(NONE);
        }
        let mut request_ends = counts;
        let mut total = 0;
        for end in &mut request_ends {
            total += *end;
            *end = total;
        }
        let mut next_slot: Vec<u32> = std::iter::once(0)
            .chain(request_ends.iter().copied())
            .take(request_ends.len())
            .collect();
        let mut request_hops = vec![0u32; order.len()];
        for &i in &order {
            let hop = &hops[i as usize];
            let request = event_requests
                .get(hop.event as usize)
                .copied()
                .unwrap_or(NONE);
            if let Some(slot) = next_slot.get_mut(request as usize) {
                request_hops[*slot as usize] = i;
                *slot += 1;
            }
        }
        Flow {
            agents,
            hops,
            order,
            event_ids,
            event_requests,
            messages,
            request_labels,
            request_hops,
            request_ends,
            routes,
        }
    }
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
        flow.hops()
            .map(|h| {
                let next = match (h.next(), h.hands_to()) {
                    (_, Some(a)) => flow.agent(a).to_owned(),
                    (Next::Unfinished, _) => "(unfinished)".into(),
                    _ => "(end)".into(),
                };
                let kind = match h.kind() {
                    HopKind::Requeue => " [requeue]",
                    HopKind::Retry => " [retry]",
                    HopKind::Failure => " [failure]",
                    _ => "",
                };
                let label = flow.request_label(flow.request_of(h));
                format!("{} -> {next}{kind} ({label})", flow.agent(h.agent()))
            })
            .collect()
    }

    /// Hop `i` in time order.
    fn hop(flow: &Flow, i: usize) -> &FlowHop {
        flow.hops().nth(i).unwrap()
    }

    /// The labels of the requests, in order.
    fn labels(flow: &Flow) -> Vec<String> {
        (0..flow.requests())
            .map(|r| flow.request_label(r))
            .collect()
    }

    /// A request's hops, by their place in time order.
    fn places(flow: &Flow, request: usize) -> Vec<usize> {
        flow.request_hops(request)
            .map(|h| flow.hops().position(|o| std::ptr::eq(o, h)).unwrap())
            .collect()
    }

    fn route(flow: &Flow) -> Vec<&str> {
        flow.condensed_route().iter().map(String::as_str).collect()
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
        assert_eq!(hop(&flow, 0).hook(), Hook::AfterAgentRun);
        assert_eq!(
            flow.event_id(hop(&flow, 1)),
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
        assert_eq!(hop(&flow, 1).hook(), Hook::AgentError);
        assert_eq!(flow.error(hop(&flow, 1)), Some("boom"));
        assert_eq!(route(&flow), ["planner", "researcher", "error-handler"]);
        assert_eq!(flow.requests(), 1);
        let edges = flow.hand_overs();
        assert_eq!(edges.len(), 4);
        assert_eq!((edges[0].count, edges[0].errors), (2, 0));
        assert_eq!(
            (edges[1].kind, edges[1].count, edges[1].errors),
            (HopKind::Failure, 1, 1)
        );
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
                let text = builder.text();
                let next = hop.hands_to().map_or("(end)", |a| text.agent(a));
                handed_out.push(format!("{n}: {} -> {next}", text.agent(hop.agent())));
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

    #[test]
    fn a_failure_nobody_handled_ends_the_route() {
        let lines = event("req-1-planner", "planner", "", "researcher")
            + &failed_event("aaaaaaaa-0001", "researcher", "planner", "boom");
        let flow = flow_of(&lines, all);
        assert_eq!(hop(&flow, 1).next(), Next::Failed);
        assert_eq!(hop(&flow, 1).hands_to(), None);
        assert_eq!(flow.error(hop(&flow, 1)), Some("boom"));
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
        assert_eq!(labels(&flow), ["req-2", "req-1"]);
        assert_eq!(places(&flow, 0), [0, 2]);
        // Requests are taken in the order they started for the route, as in the analysis.
        assert_eq!(route(&flow), ["planner", "researcher", "writer"]);
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
        assert_eq!(hop(&flow, 1).hook(), Hook::BeforeAgentRun);
        assert_eq!(hop(&flow, 2).hook(), Hook::BeforeEventHandling);
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
    fn runs_of_no_named_agent_are_no_hops() {
        let lines = "BeforeAgentRun e1 -\nAgentError e1 - err=boom\nAgentError e1 - err=boom\n\
                     BeforeAgentRun e2 -\nAfterAgentRun e3 a";
        let flow = flow_of(lines, all);
        assert_eq!(hops(&flow), ["a -> (end) (e3)"]);
    }

    #[test]
    fn a_reused_event_id_is_a_new_event() {
        let lines = event("job", "a", "", "") + &event("job", "a", "", "");
        let flow = flow_of(&lines, all);
        assert_eq!(hops(&flow), ["a -> (end) (job)", "a -> (end) (job)"]);
        assert_eq!(flow.requests(), 1);
        assert_eq!(places(&flow, 0), [0, 1]);
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
        // The route is the whole route of the requests the filter chose, as in the analysis.
        assert_eq!(route(&flow), ["planner", "researcher", "error-handler"]);
        assert_eq!(flow.requests(), 1);
        assert_eq!(places(&flow, 0), [0]);
        let flow = flow_of(&lines, |e| e.error_message().is_some());
        assert_eq!(flow.len(), 1);
        let flow = flow_of(&lines, |_| false);
        assert!(flow.is_empty() && flow.requests() == 0);
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
