//! Request linking: which earlier agent run a new event continues, as the runner links them
//! (TRACE_FORMAT.md, "Routing"). When a run's output routes to `X`, the runner queues a new
//! event targeted at `X` whose `source_agent_id` is the agent that ran; when a run fails, it
//! queues a failure event for the error handler, with the failed agent as its source. Linked
//! events make requests: the flow view's hops and sequences and the analysis's request chains
//! and critical paths all come from here, so they cannot disagree about where a run led.
//!
//! Runs waiting in vain. One runner loop handles a session's events in the order they were
//! queued, so once the event of a run has come, the events of every run that ended earlier
//! have come too: a run still waiting then (its event lost, or never sent, like a failure with
//! no error handler) is given up on, and cannot take a later request's event. Among runs
//! waiting for the same hand-over the oldest is served first, so requests queued side by side
//! keep their own events. Memory follows the runs waiting, which this keeps bounded.

use super::AgentIx;
use crate::model::TraceEntry;
use foldhash::{HashMap, HashMapExt};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// The agent the runner sends failures to.
pub const ERROR_HANDLER: &str = "error-handler";

/// Runs, numbered in the order they ended.
pub(crate) type RunId = u64;

/// Requests, numbered in the order their first event was seen.
pub(crate) type RequestId = u64;

/// What followed a hop (one agent run): the one answer the flow view, the critical path and
/// the JSON report (`next`) give. Where it names an agent, the hop carries it alongside
/// (`next_agent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Next {
    /// The run handed the work to the next agent, and the trace shows that agent taking it.
    Ran,
    /// The run routed to the next agent, and the trace does not show it taking the work.
    NotSeen,
    /// The run routed nowhere: its request ends here.
    End,
    /// The run failed, and no error handler took the failure.
    Failed,
    /// The run had not finished when the trace ended (still running, or the writer crashed).
    Unfinished,
}

/// A hand-over a run waits for: its agent, and the agent it routed to (none after a failure,
/// whose event goes to whichever agent handles errors).
type Handover = (AgentIx, Option<AgentIx>);

/// Runs waiting past this many make room by giving up on the older half.
pub(crate) const WAITING_LIMIT: usize = 1 << 16;

/// How a new event continues an earlier run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Link {
    pub run: RunId,
    pub request: RequestId,
    /// The event is the runner's report of the run's failure, sent to `to`.
    pub failure: bool,
    /// The agent the event is for.
    pub to: AgentIx,
}

/// The runs of a session waiting for the event they lead to.
#[derive(Debug)]
pub(crate) struct Links {
    /// Runs waiting, oldest first, with their requests and whether they failed.
    waiting: BTreeMap<RunId, (RequestId, bool)>,
    /// Runs by the hand-over they wait for, oldest first. Runs no longer waiting are skipped
    /// (and dropped) when met.
    queues: HashMap<Handover, VecDeque<RunId>>,
    /// Entries in `queues`, live or not.
    queued: usize,
    /// Runs given up on since the caller last asked.
    given_up: Vec<(RunId, RequestId)>,
    limit: usize,
}

impl Links {
    pub fn new(limit: usize) -> Links {
        Links {
            waiting: BTreeMap::new(),
            queues: HashMap::new(),
            queued: 0,
            given_up: Vec::new(),
            limit: limit.max(2),
        }
    }

    /// Run `run` of `request` by agent `from` ended and routed to `to` (`None`: it failed, and
    /// its failure goes to the error handler): it waits for the event that continues it.
    pub fn wait(&mut self, run: RunId, request: RequestId, from: AgentIx, to: Option<AgentIx>) {
        self.waiting.insert(run, (request, to.is_none()));
        self.queues.entry((from, to)).or_default().push_back(run);
        self.queued += 1;
        if self.waiting.len() > self.limit
            && let Some(&middle) = self.waiting.keys().nth(self.waiting.len() / 2)
        {
            self.give_up_before(middle);
        }
        // Queues of hand-overs that never come again keep runs given up on: drop them now and
        // then, so the queues stay in proportion to the runs waiting.
        if self.queued > 2 * self.waiting.len() + 1024 {
            let waiting = &self.waiting;
            self.queues.retain(|_, queue| {
                queue.retain(|run| waiting.contains_key(run));
                !queue.is_empty()
            });
            self.queued = self.queues.values().map(VecDeque::len).sum();
        }
    }

    /// The run a new event from `from` continues. `to` is the event's agent, when it is known
    /// (a run may be waiting for it); `failure` says, when asked, whether the event is the
    /// runner's report of `from`'s failure, and gives the agent it goes to.
    pub fn link(
        &mut self,
        from: AgentIx,
        to: Option<AgentIx>,
        failure: impl FnOnce() -> Option<AgentIx>,
    ) -> Option<Link> {
        if let Some(to) = to
            && let Some((run, request)) = self.take((from, Some(to)))
        {
            return Some(Link {
                run,
                request,
                failure: false,
                to,
            });
        }
        if !self.is_waiting((from, None)) {
            return None;
        }
        let to = failure()?;
        let (run, request) = self.take((from, None))?;
        Some(Link {
            run,
            request,
            failure: true,
            to,
        })
    }

    /// Whether `run` failed and waits for the event that says where the runner sent its
    /// failure.
    pub fn awaits_failure_event(&self, run: RunId) -> bool {
        self.waiting.get(&run).is_some_and(|(_, failed)| *failed)
    }

    /// Runs given up on since last asked, with their requests, oldest first.
    pub fn given_up(&mut self) -> std::vec::Drain<'_, (RunId, RequestId)> {
        self.given_up.drain(..)
    }

    /// The oldest run waiting for `handover`; every run that ended before it waits in vain.
    fn take(&mut self, handover: Handover) -> Option<(RunId, RequestId)> {
        let queue = self.queues.get_mut(&handover)?;
        let mut found = None;
        while let Some(run) = queue.pop_front() {
            self.queued -= 1;
            if let Some((request, _)) = self.waiting.remove(&run) {
                found = Some((run, request));
                break;
            }
        }
        if queue.is_empty() {
            self.queues.remove(&handover);
        }
        let (run, request) = found?;
        self.give_up_before(run);
        Some((run, request))
    }

    /// Whether a run waits for `handover`.
    fn is_waiting(&mut self, handover: Handover) -> bool {
        let Some(queue) = self.queues.get_mut(&handover) else {
            return false;
        };
        while let Some(run) = queue.front() {
            if self.waiting.contains_key(run) {
                return true;
            }
            queue.pop_front();
            self.queued -= 1;
        }
        self.queues.remove(&handover);
        false
    }

    fn give_up_before(&mut self, run: RunId) {
        while let Some(oldest) = self.waiting.first_entry()
            && *oldest.key() < run
        {
            let (run, (request, _)) = oldest.remove_entry();
            self.given_up.push((run, request));
        }
    }
}

/// Whether a new event from `source` to `target` is the runner's report of `source`'s
/// failure: sent to the error handler, or marked as a failure in its state.
pub(crate) fn is_failure_event(entry: &TraceEntry<'_>, source: &str, target: &str) -> bool {
    target == ERROR_HANDLER
        || entry.meta("failed_agent_id").as_deref() == Some(source)
        || entry.meta("status").as_deref() == Some("failure")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLANNER: AgentIx = 0;
    const RESEARCHER: AgentIx = 1;
    const HANDLER: AgentIx = 2;

    #[test]
    fn the_oldest_run_waiting_for_a_hand_over_takes_its_event() {
        let mut links = Links::new(100);
        links.wait(0, 10, PLANNER, Some(RESEARCHER));
        links.wait(1, 11, PLANNER, Some(RESEARCHER));
        let first = links.link(PLANNER, Some(RESEARCHER), || None).unwrap();
        let second = links.link(PLANNER, Some(RESEARCHER), || None).unwrap();
        assert_eq!((first.run, first.request), (0, 10));
        assert_eq!((second.run, second.request), (1, 11));
        assert_eq!(links.link(PLANNER, Some(RESEARCHER), || None), None);
        assert_eq!(links.given_up().count(), 0);
    }

    #[test]
    fn a_failure_is_taken_only_by_a_failure_event() {
        let mut links = Links::new(100);
        links.wait(0, 10, RESEARCHER, None);
        assert_eq!(links.link(RESEARCHER, Some(PLANNER), || None), None);
        let link = links.link(RESEARCHER, None, || Some(HANDLER)).unwrap();
        assert_eq!((link.run, link.failure, link.to), (0, true, HANDLER));
    }

    #[test]
    fn runs_older_than_one_served_wait_in_vain() {
        let mut links = Links::new(100);
        links.wait(0, 10, RESEARCHER, None);
        links.wait(1, 11, PLANNER, Some(RESEARCHER));
        assert_eq!(
            links.link(PLANNER, Some(RESEARCHER), || None).unwrap().run,
            1
        );
        assert_eq!(links.given_up().collect::<Vec<_>>(), [(0, 10)]);
        // The failure's event, had it come now, belongs to no one.
        assert_eq!(links.link(RESEARCHER, None, || Some(HANDLER)), None);
    }

    #[test]
    fn too_many_waiting_gives_up_on_the_older_half() {
        let mut links = Links::new(4);
        for run in 0..5 {
            links.wait(run, run, PLANNER, Some(run as AgentIx + 10));
        }
        let given_up: Vec<RunId> = links.given_up().map(|(run, _)| run).collect();
        assert_eq!(given_up, [0, 1]);
        assert_eq!(links.link(PLANNER, Some(10), || None), None);
        assert_eq!(links.link(PLANNER, Some(14), || None).unwrap().run, 4);
    }
}
