//! Request chains as the analysis times them: the hops one request takes from its first
//! agent to `(end)`, each with its start and end. Which request a run belongs to is decided by
//! the linking ([`super::links`]) and what each hop is by the hop rule ([`super::hops`]), as
//! for the flow view; this keeps the chains' hops and times, and hands each ended request to
//! the route tally.
//!
//! Only chains still being followed are kept, plus the slowest finished one, and the routes
//! of finished ones tallied: memory follows the number of requests in flight, not the length
//! of the trace.

use super::clipped;
use super::durations::Durations;
use super::hops::{Hop, HopKind};
use super::links::{Link, Next, RequestId, RunId};
use super::routes::{HOPS_KEPT, RouteTally};
use super::runs::EventNo;
use crate::time::Timestamp;
use foldhash::{HashMap, HashMapExt};

/// One agent run in a chain, timed.
#[derive(Debug, Clone)]
pub(crate) struct TimedHop {
    pub hop: Hop,
    /// The run, unless it had not ended.
    pub run: Option<RunId>,
    pub event_id: Box<str>,
    /// The run's start, unless its start was not in the trace.
    pub start: Option<Timestamp>,
    /// The run's end; for an unfinished run, its start.
    pub end: Timestamp,
}

/// A request: its hops so far.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    pub root_event: Box<str>,
    pub start: Timestamp,
    pub end: Option<Timestamp>,
    pub hops: Vec<TimedHop>,
    /// Hops past [`HOPS_KEPT`], counted only.
    pub hops_dropped: u64,
    /// Some hop's run was selected by the filter.
    pub selected: bool,
    /// The chain ended (its last run routed nowhere), rather than being cut off or failing.
    pub complete: bool,
    /// The run whose next event the chain waits for.
    pub waiting_on: Option<RunId>,
    /// The event whose run ended the chain: the chain is counted once that event is handled,
    /// as another run of it (agents run side by side for one event) may still come.
    pub ending_event: Option<EventNo>,
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
    open: HashMap<RequestId, Chain>,
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
            limit,
            completed: 0,
            unfinished: 0,
            latency: Durations::new(),
            slowest_complete: None,
            slowest_unfinished: None,
            routes: RouteTally::default(),
        }
    }

    /// Request `request` begins with event `root_event`, first seen `at`.
    pub fn begin(&mut self, request: RequestId, root_event: &str, at: Timestamp) {
        if self.open.len() >= self.limit {
            self.drop_oldest();
        }
        self.open.insert(
            request,
            Chain {
                root_event: clipped(root_event),
                start: at,
                end: None,
                hops: Vec::new(),
                hops_dropped: 0,
                selected: false,
                complete: false,
                waiting_on: None,
                ending_event: None,
            },
        );
    }

    /// Ends the older half of the open chains as unfinished: a trace with more requests in
    /// flight than the limit loses links, not memory.
    fn drop_oldest(&mut self) {
        let mut ids: Vec<RequestId> = self.open.keys().copied().collect();
        ids.sort_unstable();
        for id in ids.iter().take(ids.len() / 2 + 1) {
            if let Some(chain) = self.open.remove(id) {
                self.finish_chain(*id, chain);
            }
        }
    }

    /// A run of event `event` of `request` ended: the hop is added, and the chain waits for
    /// its next hop (the run failed or routed on), or has ended once `event` is handled.
    pub fn run_ended(&mut self, request: RequestId, event: EventNo, hop: TimedHop, selected: bool) {
        let Some(chain) = self.open.get_mut(&request) else {
            return;
        };
        chain.end = Some(chain.end.map_or(hop.end, |e| e.max(hop.end)));
        let ends = hop.hop.kind() == HopKind::End;
        chain.complete = ends;
        chain.ending_event = ends.then_some(event);
        if !ends {
            chain.waiting_on = hop.run;
        }
        Self::push(chain, hop, selected);
    }

    /// Event `event` of `request` was handled: if a run of it ended the chain, no other run
    /// of it will come, and the chain is counted.
    pub fn event_handled(&mut self, request: RequestId, event: EventNo) {
        if self
            .open
            .get(&request)
            .is_some_and(|chain| chain.complete && chain.ending_event == Some(event))
            && let Some(chain) = self.open.remove(&request)
        {
            self.finish_chain(request, chain);
        }
    }

    /// A run of `request` had not ended when the trace did (or its event was queued and its
    /// run not begun): its hop is the chain's last so far.
    pub fn unfinished(&mut self, request: RequestId, hop: TimedHop, selected: bool) {
        if let Some(chain) = self.open.get_mut(&request) {
            chain.complete = false;
            chain.ending_event = None;
            Self::push(chain, hop, selected);
        }
    }

    fn push(chain: &mut Chain, hop: TimedHop, selected: bool) {
        chain.selected |= selected;
        if chain.hops.len() < HOPS_KEPT {
            chain.hops.push(hop);
        } else {
            chain.hops_dropped += 1;
        }
    }

    /// The event that continues run `link.run` of `request` came.
    pub fn linked(&mut self, request: RequestId, link: &Link) {
        let Some(chain) = self.open.get_mut(&request) else {
            return;
        };
        if let Some(timed) = chain
            .hops
            .iter_mut()
            .rev()
            .find(|h| h.run == Some(link.run))
            .filter(|h| h.hop.next() != Next::Ran)
        {
            timed.hop.linked(link);
        }
    }

    /// Run `run` of `request` waits in vain: unless the request went on since, it is cut off.
    pub fn given_up(&mut self, request: RequestId, run: RunId) {
        if self
            .open
            .get(&request)
            .is_some_and(|chain| chain.waiting_on == Some(run))
            && let Some(chain) = self.open.remove(&request)
        {
            self.finish_chain(request, chain);
        }
    }

    /// Counts a request that ended or was cut off; `request` numbers requests in start order.
    fn finish_chain(&mut self, request: RequestId, chain: Chain) {
        if !chain.selected || chain.hops.is_empty() {
            return;
        }
        let hops: Vec<Hop> = chain.hops.iter().map(|h| h.hop).collect();
        self.routes
            .request(request, &chain.root_event, &hops, chain.hops_dropped);
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
        let mut open: Vec<(RequestId, Chain)> = self.open.drain().collect();
        open.sort_unstable_by_key(|(id, _)| *id);
        for (request, chain) in open {
            self.finish_chain(request, chain);
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
