//! Request chains: the hops one request takes from its first agent to `(end)`, linked as the
//! runner links them (TRACE_FORMAT.md, "Routing"): when an agent's run routes to `X`, the next
//! event targets `X` and names the agent as its `source_agent_id`; when a run fails, the next
//! event goes to the error handler with the failed agent as its source.
//!
//! Only chains still being followed are kept, plus the slowest finished one, and the routes
//! of finished ones tallied: memory follows the number of requests in flight, not the length
//! of the trace.

use super::AgentIx;
use super::durations::Durations;
use super::routes::RouteTally;
use crate::time::Timestamp;
use std::collections::{HashMap, VecDeque};

pub(crate) type ChainId = u64;

/// How many chains may wait for the next hop from one agent; the oldest are given up on.
const MAX_WAITING: usize = 16;

/// How many hops of one chain are kept for its critical path; later hops are only counted.
const MAX_HOPS: usize = 200;

/// One agent run in a chain.
#[derive(Debug, Clone)]
pub(crate) struct Hop {
    pub agent: AgentIx,
    pub event_id: Box<str>,
    /// The run's start, unless its start was not in the trace.
    pub start: Option<Timestamp>,
    pub end: Timestamp,
    pub error: bool,
    pub route: Option<AgentIx>,
}

/// A request: its hops so far, and what it waits for.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    pub root_event: Box<str>,
    pub start: Timestamp,
    pub end: Option<Timestamp>,
    pub hops: Vec<Hop>,
    /// Hops past [`MAX_HOPS`], counted only.
    pub hops_dropped: u64,
    /// Some hop's run was selected by the filter.
    pub selected: bool,
    /// The chain ended (its last run routed nowhere), rather than being cut off.
    pub complete: bool,
}

impl Chain {
    /// From the request's first entry to its last run's end.
    pub fn total_ns(&self) -> u64 {
        self.end
            .map_or(0, |end| {
                end.unix_nanos.saturating_sub(self.start.unix_nanos)
            })
            .max(0) as u64
    }
}

/// Follows every request of a session.
#[derive(Debug)]
pub(crate) struct Chains {
    open: HashMap<ChainId, Chain>,
    by_event: HashMap<Box<str>, ChainId>,
    /// Chains whose last run routed on, by that run's agent: (chain, the agent expected next;
    /// `None` after a failure, whose event goes to whichever agent handles errors).
    waiting: HashMap<AgentIx, VecDeque<(ChainId, Option<AgentIx>)>>,
    next_id: ChainId,
    limit: usize,
    /// Finished requests (selected ones).
    pub completed: u64,
    /// Requests cut off (still waiting for their next hop when the trace ended, or dropped
    /// to bound memory).
    pub unfinished: u64,
    pub latency: Durations,
    slowest_complete: Option<Chain>,
    slowest_unfinished: Option<Chain>,
    routes: RouteTally,
}

/// What following the chains found.
#[derive(Debug)]
pub(crate) struct ChainsResult {
    pub completed: u64,
    pub unfinished: u64,
    pub latency: Durations,
    /// The slowest finished request, or the slowest unfinished one when none finished.
    pub slowest: Option<Chain>,
    /// The routes the requests took.
    pub routes: RouteTally,
}

impl Chains {
    pub fn new(limit: usize) -> Chains {
        Chains {
            open: HashMap::new(),
            by_event: HashMap::new(),
            waiting: HashMap::new(),
            next_id: 0,
            limit,
            completed: 0,
            unfinished: 0,
            latency: Durations::new(),
            slowest_complete: None,
            slowest_unfinished: None,
            routes: RouteTally::default(),
        }
    }

    /// The chain an event belongs to: the one it was routed from (by its source agent), or a
    /// new request when it has no source or its source's run is not in the trace.
    pub fn for_event(
        &mut self,
        event_id: &str,
        source: Option<AgentIx>,
        target: Option<AgentIx>,
        at: Timestamp,
    ) -> ChainId {
        if let Some(id) = self.by_event.get(event_id) {
            return *id;
        }
        let id = source
            .and_then(|s| self.take_waiting(s, target))
            .unwrap_or_else(|| self.start_chain(event_id, at));
        if self.by_event.len() >= self.limit {
            let open = &self.open;
            self.by_event.retain(|_, id| open.contains_key(id));
            if self.by_event.len() >= self.limit {
                self.by_event.clear();
            }
        }
        self.by_event.insert(event_id.into(), id);
        id
    }

    /// The chain an event from `source` to `target` continues. One runner loop handles a
    /// session's events in turn, so at most one chain legitimately waits at a time: others
    /// waiting are stale (their next event is not in the trace), and the most recent waiter
    /// is the one. A chain waiting for exactly `target` goes before one that failed and waits
    /// for whichever agent handles errors.
    fn take_waiting(&mut self, source: AgentIx, target: Option<AgentIx>) -> Option<ChainId> {
        let queue = self.waiting.get_mut(&source)?;
        queue.retain(|(id, _)| self.open.contains_key(id));
        let exact = queue
            .iter()
            .rposition(|(_, expected)| target.is_some() && *expected == target);
        let at = exact.or_else(|| {
            queue
                .iter()
                .rposition(|(_, expected)| expected.is_none() || target.is_none())
        })?;
        let (id, _) = queue.remove(at)?;
        if queue.is_empty() {
            self.waiting.remove(&source);
        }
        Some(id)
    }

    fn start_chain(&mut self, event_id: &str, at: Timestamp) -> ChainId {
        if self.open.len() >= self.limit {
            self.drop_oldest();
        }
        let id = self.next_id;
        self.next_id += 1;
        self.open.insert(
            id,
            Chain {
                root_event: event_id.into(),
                start: at,
                end: None,
                hops: Vec::new(),
                hops_dropped: 0,
                selected: false,
                complete: false,
            },
        );
        id
    }

    /// Ends the older half of the open chains as unfinished: a trace with more requests in
    /// flight than the limit loses links, not memory.
    fn drop_oldest(&mut self) {
        let mut ids: Vec<ChainId> = self.open.keys().copied().collect();
        ids.sort_unstable();
        for id in ids.iter().take(ids.len() / 2 + 1) {
            if let Some(chain) = self.open.remove(id) {
                self.finish_chain(*id, chain);
            }
        }
    }

    /// A run of chain `id` ended: the hop is added, and the chain waits for its next hop or
    /// ends.
    pub fn run_ended(&mut self, id: ChainId, hop: Hop, selected: bool) {
        self.by_event.remove(&hop.event_id);
        let Some(chain) = self.open.get_mut(&id) else {
            return;
        };
        chain.selected |= selected;
        chain.end = Some(chain.end.map_or(hop.end, |e| e.max(hop.end)));
        let (agent, error, route) = (hop.agent, hop.error, hop.route);
        if chain.hops.len() < MAX_HOPS {
            chain.hops.push(hop);
        } else {
            chain.hops_dropped += 1;
        }
        let expected = match (error, route) {
            (true, _) => None,
            (false, Some(route)) => Some(route),
            (false, None) => {
                if let Some(mut chain) = self.open.remove(&id) {
                    chain.complete = true;
                    self.finish_chain(id, chain);
                }
                return;
            }
        };
        let queue = self.waiting.entry(agent).or_default();
        queue.push_back((id, expected));
        // Stale waiters are given up on, oldest first, so lookups stay cheap.
        if queue.len() > MAX_WAITING
            && let Some((stale, _)) = queue.pop_front()
            && let Some(chain) = self.open.remove(&stale)
        {
            self.finish_chain(stale, chain);
        }
    }

    /// An event was handled: it needs no link any more.
    pub fn event_ended(&mut self, event_id: &str) {
        self.by_event.remove(event_id);
    }

    /// Counts a request that ended or was cut off; `id` numbers requests in start order.
    fn finish_chain(&mut self, id: ChainId, chain: Chain) {
        if !chain.selected || chain.hops.is_empty() {
            return;
        }
        self.routes.request(id, &chain);
        let slot = if chain.complete {
            self.completed += 1;
            self.latency.record(chain.total_ns());
            &mut self.slowest_complete
        } else {
            self.unfinished += 1;
            &mut self.slowest_unfinished
        };
        if slot
            .as_ref()
            .is_none_or(|slowest| chain.total_ns() > slowest.total_ns())
        {
            *slot = Some(chain);
        }
    }

    /// Ends the chains still open as unfinished, and says what was found.
    pub fn finish(mut self) -> ChainsResult {
        let mut open: Vec<(ChainId, Chain)> = self.open.drain().collect();
        open.sort_unstable_by_key(|(id, _)| *id);
        for (id, chain) in open {
            self.finish_chain(id, chain);
        }
        ChainsResult {
            completed: self.completed,
            unfinished: self.unfinished,
            latency: self.latency,
            slowest: self.slowest_complete.or(self.slowest_unfinished),
            routes: self.routes,
        }
    }
}
