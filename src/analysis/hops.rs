//! The one hop rule: a hop is one agent run, finished or not, and where it handed the work.
//! The flow view's hops (`trace --flow-only`, Mermaid, DOT), the analysis's request chains and
//! critical path, and the route tally every view shows ([`super::routes`]) are all built from
//! [`Hop`]s made here, so no two views can disagree about a route.
//!
//! - A run that ended hands the work to the agent its output's `route` meta names: a
//!   [`HopKind::Route`], or a [`HopKind::Requeue`] when that is its own agent
//!   ([`HopKind::Retry`] when the run failed). With no route it ends its request
//!   ([`HopKind::End`]).
//! - A run that failed and routed nowhere waits for the runner's failure event: the hop hands
//!   the work to that event's agent (the error handler, [`HopKind::Failure`]); when no failure
//!   event comes, the request ends failed ([`HopKind::Failed`]).
//! - A run still open when the trace ends (its `BeforeAgentRun` written, its `AfterAgentRun`
//!   not: a running or crashed session), and an event queued for an agent whose run had not
//!   begun, is an [`HopKind::Unfinished`] hop. The work reached that agent, so the agent is on
//!   the route, as the last hop of its request: debugging a session that stopped, the first
//!   question is where the work was when it stopped.
//! - A run of no named agent is no hand-over between agents, and no hop.

use super::AgentIx;
use super::links::{Link, Next};
use serde::{Deserialize, Serialize};

/// What kind of hand-over a hop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HopKind {
    /// Routed to another agent (its output meta `route`).
    Route,
    /// Routed back to its own agent.
    Requeue,
    /// Routed back to its own agent, with an error in its result.
    Retry,
    /// The run failed, and the runner sent the failure on to the next agent (the error
    /// handler).
    Failure,
    /// Routed nowhere: the request ended.
    End,
    /// The run failed, and no agent's run handled the failure.
    Failed,
    /// The run had not finished when the trace ended (or its event was queued and its run not
    /// begun): the request was at this agent.
    Unfinished,
}

/// One agent run and where it led (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hop {
    agent: AgentIx,
    next: Next,
    /// The agent `next` names, when it names one.
    next_agent: Option<AgentIx>,
    failed: bool,
    /// `next_agent` is where the runner sent the run's failure, not a route in its output.
    failure_routed: bool,
}

impl Hop {
    /// A run of `agent` that ended, routing to `route`; `failed` by the one failed-run test
    /// ([`super::runs::ends_in_failure`]).
    pub(crate) fn ended(agent: AgentIx, route: Option<AgentIx>, failed: bool) -> Hop {
        let next = match route {
            Some(_) => Next::NotSeen,
            None if failed => Next::Failed,
            None => Next::End,
        };
        Hop {
            agent,
            next,
            next_agent: route,
            failed,
            failure_routed: false,
        }
    }

    /// A run of `agent` still open when the trace ends, or an event queued for it.
    pub(crate) fn unfinished(agent: AgentIx) -> Hop {
        Hop {
            agent,
            next: Next::Unfinished,
            next_agent: None,
            failed: false,
            failure_routed: false,
        }
    }

    /// Rebuilds a hop from its parts, as a compact store keeps them.
    pub(crate) fn from_parts(
        agent: AgentIx,
        next: Next,
        next_agent: Option<AgentIx>,
        failed: bool,
        failure_routed: bool,
    ) -> Hop {
        Hop {
            agent,
            next,
            next_agent,
            failed,
            failure_routed,
        }
    }

    /// The event that continues the run came: the trace shows the next agent taking the work
    /// (for a failure, the agent the runner sent it to).
    pub(crate) fn linked(&mut self, link: &Link) {
        self.next = Next::Ran;
        if link.failure {
            self.next_agent = Some(link.to);
            self.failure_routed = true;
        }
    }

    /// The agent that ran.
    pub fn agent(&self) -> AgentIx {
        self.agent
    }

    /// What followed the run. A route whose event the trace does not show is `NotSeen`, a
    /// failure nobody took is `Failed`.
    pub fn next(&self) -> Next {
        self.next
    }

    /// The agent `next` names (also for `NotSeen`), if any.
    pub(crate) fn next_agent(&self) -> Option<AgentIx> {
        self.next_agent
    }

    /// The agent the work was handed to, if it was handed to one.
    pub fn hands_to(&self) -> Option<AgentIx> {
        match self.next {
            Next::Ran | Next::NotSeen => self.next_agent,
            Next::End | Next::Failed | Next::Unfinished => None,
        }
    }

    /// Whether the run failed.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The next agent is where the runner sent the run's failure.
    pub fn failure_routed(&self) -> bool {
        self.failure_routed
    }

    /// The kind of hand-over: the one rule every view uses.
    pub fn kind(&self) -> HopKind {
        match (self.next, self.hands_to()) {
            (Next::Unfinished, _) => HopKind::Unfinished,
            (Next::Failed, _) => HopKind::Failed,
            (_, None) => HopKind::End,
            (_, Some(_)) if self.failure_routed => HopKind::Failure,
            (_, Some(to)) if to == self.agent && self.failed => HopKind::Retry,
            (_, Some(to)) if to == self.agent => HopKind::Requeue,
            (_, Some(_)) => HopKind::Route,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: AgentIx = 0;
    const B: AgentIx = 1;
    const HANDLER: AgentIx = 2;

    fn link(failure: bool, to: AgentIx) -> Link {
        Link {
            run: 0,
            request: 0,
            failure,
            to,
        }
    }

    #[test]
    fn the_kind_of_every_hand_over() {
        assert_eq!(Hop::ended(A, Some(B), false).kind(), HopKind::Route);
        assert_eq!(Hop::ended(A, Some(A), false).kind(), HopKind::Requeue);
        assert_eq!(Hop::ended(A, Some(A), true).kind(), HopKind::Retry);
        assert_eq!(Hop::ended(A, None, false).kind(), HopKind::End);
        assert_eq!(Hop::ended(A, None, true).kind(), HopKind::Failed);
        assert_eq!(Hop::unfinished(A).kind(), HopKind::Unfinished);
        let mut failed = Hop::ended(A, None, true);
        failed.linked(&link(true, HANDLER));
        assert_eq!(failed.kind(), HopKind::Failure);
        assert_eq!(failed.hands_to(), Some(HANDLER));
        let mut routed = Hop::ended(A, Some(B), false);
        assert_eq!(routed.next(), Next::NotSeen);
        routed.linked(&link(false, B));
        assert_eq!((routed.next(), routed.hands_to()), (Next::Ran, Some(B)));
    }
}
