//! The routes a session's requests took, tallied as each request ends: every hand-over between
//! two agents (a hop) with how often it happened, each distinct route with the requests that
//! took it, and the condensed route. Only tallies are kept, never the requests: distinct hops,
//! distinct routes and the request ids listed are capped, and what is past a cap is counted.

use super::chains::{Chain, Hop};
use super::flow::normalise_event_id;
use super::{AgentIx, Agents, clipped};
use foldhash::HashMap;
use serde::{Deserialize, Serialize};

/// Distinct hops counted; runs of further hops are counted in `hops_not_counted`.
const HOP_LIMIT: usize = 10_000;
/// Distinct routes kept; further requests are counted in `requests_not_grouped`.
const ROUTE_LIMIT: usize = 1000;
/// Request ids listed, over all routes; further requests are counted in `ids_not_kept`.
const IDS_KEPT: usize = 1000;

/// How a run handed the work on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handoff {
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
}

/// How a request's route ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteEnd {
    /// The last run routed nowhere.
    End,
    /// The last run failed, and no error handler's run followed.
    Failed,
    /// The work was handed to the last agent listed, whose run the trace does not hold (still
    /// running, or the file ends).
    Unfinished,
    /// The request had more hops than are kept (200); the route lists the first ones.
    Cut,
}

/// The routes of a session: `routes` in the session report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoutesReport {
    /// Every agent the requests reached, each once, in the order they first reached it
    /// (requests taken in the order they started).
    pub condensed: Vec<String>,
    /// Every distinct hand-over, most frequent first.
    pub hops: Vec<HopCount>,
    /// Hand-overs not counted in `hops`: past the 10,000 distinct hops kept.
    pub hops_not_counted: u64,
    /// Every distinct route a request took, most frequent first.
    pub requests: Vec<RequestRoute>,
    /// Requests whose route is not in `requests`: past the 1,000 distinct routes kept.
    pub requests_not_grouped: u64,
    /// Requests whose id is not listed: past the first 1,000.
    pub ids_not_kept: u64,
}

/// One hand-over and how often it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HopCount {
    pub from: String,
    /// The agent the work went to; none when the request ended (or failed) here.
    pub to: Option<String>,
    pub kind: Handoff,
    pub count: u64,
}

/// A route some requests took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRoute {
    /// The agents that ran, in order (for an unfinished route, last the one it was handed to).
    pub agents: Vec<String>,
    pub end: RouteEnd,
    /// Requests that took it.
    pub count: u64,
    /// Their ids (first event ids normalised: `req-17461596-planner` -> `req-17461596`, a
    /// UUID -> its first 8 hex digits), in the order the requests started.
    pub ids: Vec<String>,
}

type HopKey = (AgentIx, Option<AgentIx>, Handoff);
type RouteKey = (Box<[AgentIx]>, RouteEnd);

#[derive(Debug)]
struct Tallied {
    count: u64,
    /// When it was first seen, to keep equal counts in order of appearance.
    first: u64,
}

#[derive(Debug)]
struct RouteState {
    count: u64,
    first: u64,
    ids: Vec<(u64, Box<str>)>,
}

/// Tallies the routes of requests as they end (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct RouteTally {
    hops: HashMap<HopKey, Tallied>,
    hops_not_counted: u64,
    /// Each agent's first appearance: the request (in start order), then its place in it.
    first_reached: HashMap<AgentIx, (u64, usize)>,
    routes: HashMap<RouteKey, RouteState>,
    requests_not_grouped: u64,
    ids_kept: usize,
    ids_not_kept: u64,
    seen: u64,
}

impl RouteTally {
    /// A request has ended (or been cut off): `order` numbers requests in the order they
    /// started.
    pub fn request(&mut self, order: u64, chain: &Chain) {
        let Some(last) = chain.hops.last() else {
            return;
        };
        let end = if chain.hops_dropped > 0 {
            RouteEnd::Cut
        } else if chain.complete {
            RouteEnd::End
        } else if last.error {
            RouteEnd::Failed
        } else if last.route.is_some() {
            RouteEnd::Unfinished
        } else {
            RouteEnd::End
        };
        let mut agents: Vec<AgentIx> = chain.hops.iter().map(|h| h.agent).collect();
        for (hop, next) in chain.hops.iter().zip(chain.hops.iter().skip(1)) {
            self.hop((hop.agent, Some(next.agent), handoff(hop, next.agent)));
        }
        match end {
            RouteEnd::End => self.hop((last.agent, None, Handoff::End)),
            RouteEnd::Failed => self.hop((last.agent, None, Handoff::Failed)),
            RouteEnd::Unfinished => {
                if let Some(to) = last.route {
                    self.hop((last.agent, Some(to), handoff(last, to)));
                    agents.push(to);
                }
            }
            RouteEnd::Cut => {}
        }
        for (place, agent) in agents.iter().enumerate() {
            let first = self.first_reached.entry(*agent).or_insert((order, place));
            *first = (*first).min((order, place));
        }
        let key = (agents.into_boxed_slice(), end);
        if !self.routes.contains_key(&key) && self.routes.len() >= ROUTE_LIMIT {
            self.requests_not_grouped += 1;
            return;
        }
        let seen = self.next_seen();
        let state = self.routes.entry(key).or_insert(RouteState {
            count: 0,
            first: seen,
            ids: Vec::new(),
        });
        state.count += 1;
        if self.ids_kept < IDS_KEPT {
            self.ids_kept += 1;
            let id = clipped(normalise_event_id(&chain.root_event));
            state.ids.push((order, id));
        } else {
            self.ids_not_kept += 1;
        }
    }

    fn next_seen(&mut self) -> u64 {
        self.seen += 1;
        self.seen
    }

    fn hop(&mut self, key: HopKey) {
        let full = self.hops.len() >= HOP_LIMIT;
        let seen = self.next_seen();
        match self.hops.get_mut(&key) {
            Some(tallied) => tallied.count += 1,
            None if full => self.hops_not_counted += 1,
            None => {
                self.hops.insert(
                    key,
                    Tallied {
                        count: 1,
                        first: seen,
                    },
                );
            }
        }
    }

    /// The report, with agents named.
    pub fn finish(self, names: &Agents) -> RoutesReport {
        let name = |ix: AgentIx| names.name(ix).to_owned();
        let mut reached: Vec<(AgentIx, (u64, usize))> = self.first_reached.into_iter().collect();
        reached.sort_unstable_by_key(|(agent, first)| (*first, *agent));
        let mut hops: Vec<(HopKey, Tallied)> = self.hops.into_iter().collect();
        hops.sort_unstable_by_key(|(_, t)| (std::cmp::Reverse(t.count), t.first));
        let mut routes: Vec<(RouteKey, RouteState)> = self.routes.into_iter().collect();
        routes.sort_unstable_by_key(|(_, r)| (std::cmp::Reverse(r.count), r.first));
        RoutesReport {
            condensed: reached.into_iter().map(|(agent, _)| name(agent)).collect(),
            hops: hops
                .into_iter()
                .map(|((from, to, kind), t)| HopCount {
                    from: name(from),
                    to: to.map(name),
                    kind,
                    count: t.count,
                })
                .collect(),
            hops_not_counted: self.hops_not_counted,
            requests: routes
                .into_iter()
                .map(|((agents, end), mut r)| {
                    r.ids.sort_unstable_by_key(|(order, _)| *order);
                    RequestRoute {
                        agents: agents.iter().map(|a| name(*a)).collect(),
                        end,
                        count: r.count,
                        ids: r.ids.into_iter().map(|(_, id)| id.into()).collect(),
                    }
                })
                .collect(),
            requests_not_grouped: self.requests_not_grouped,
            ids_not_kept: self.ids_not_kept,
        }
    }
}

/// How `hop` handed the work to `next`: a failed run that did not route there itself had its
/// failure sent on by the runner.
fn handoff(hop: &Hop, next: AgentIx) -> Handoff {
    if hop.error && hop.route != Some(next) {
        return Handoff::Failure;
    }
    match (next == hop.agent, hop.error) {
        (true, true) => Handoff::Retry,
        (true, false) => Handoff::Requeue,
        (false, _) => Handoff::Route,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{AnalysisOptions, Analyzer};
    use crate::read::Parse;
    use crate::read::read_file;
    use crate::time::Timestamp;
    use std::path::Path;

    fn routes_of(fixture: &str) -> RoutesReport {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
        let mut analyzer = Analyzer::new(AnalysisOptions::default());
        read_file::<std::io::Error>(&path, Parse::Full, |item| {
            let e = item.unwrap_or_else(|p| panic!("{p}"));
            analyzer.add(&e.entry, true);
            Ok(())
        })
        .expect("fixture readable");
        analyzer.finish().routes
    }

    /// `FROM>TO kind count`.
    fn hops(r: &RoutesReport) -> Vec<String> {
        r.hops
            .iter()
            .map(|h| {
                let kind = serde_json::to_value(h.kind).unwrap();
                let to = h.to.as_deref().unwrap_or("");
                format!("{}>{to} {} {}", h.from, kind.as_str().unwrap(), h.count)
            })
            .collect()
    }

    #[test]
    fn hand_overs_routes_and_the_condensed_route_of_a_known_session() {
        // fixtures/analysis/README.md: req-1 fails in the summarizer and the error handler
        // ends it; req-2 requeues and retries in the researcher.
        let r = routes_of("fixtures/analysis/known.trace.json");
        assert_eq!(
            hops(&r),
            [
                "planner>researcher route 2",
                "researcher>summarizer route 2",
                "summarizer>error-handler failure 1",
                "error-handler> end 1",
                "researcher>researcher requeue 1",
                "researcher>researcher retry 1",
                "summarizer> end 1",
            ]
        );
        assert_eq!(
            r.condensed,
            ["planner", "researcher", "summarizer", "error-handler"]
        );
        let routes: Vec<(Vec<&str>, RouteEnd, u64, &[String])> = r
            .requests
            .iter()
            .map(|q| {
                let agents = q.agents.iter().map(String::as_str).collect();
                (agents, q.end, q.count, q.ids.as_slice())
            })
            .collect();
        assert_eq!(
            routes,
            [
                (
                    vec!["planner", "researcher", "summarizer", "error-handler"],
                    RouteEnd::End,
                    1,
                    &["req-1".to_owned()][..]
                ),
                (
                    vec![
                        "planner",
                        "researcher",
                        "researcher",
                        "researcher",
                        "summarizer"
                    ],
                    RouteEnd::End,
                    1,
                    &["req-2".to_owned()][..]
                ),
            ]
        );
    }

    #[test]
    fn a_request_cut_off_by_the_end_of_the_file_is_unfinished() {
        let r = routes_of("fixtures/analysis/unclosed.trace.json");
        assert_eq!(hops(&r), ["planner>researcher route 1"]);
        assert_eq!(r.requests.len(), 1);
        assert_eq!(r.requests[0].agents, ["planner", "researcher"]);
        assert_eq!(r.requests[0].end, RouteEnd::Unfinished);
        assert_eq!(r.condensed, ["planner", "researcher"]);
    }

    fn chain(agents: &[AgentIx], complete: bool, error_last: bool) -> Chain {
        let at = Timestamp {
            unix_nanos: 0,
            offset_secs: 0,
        };
        let last = agents.len() - 1;
        Chain {
            root_event: "req-7-x".into(),
            start: at,
            end: Some(at),
            hops: agents
                .iter()
                .enumerate()
                .map(|(i, agent)| Hop {
                    agent: *agent,
                    event_id: "e".into(),
                    start: Some(at),
                    end: at,
                    error: i == last && error_last,
                    route: agents.get(i + 1).copied(),
                })
                .collect(),
            hops_dropped: 0,
            selected: true,
            complete,
            waiting_on: None,
        }
    }

    #[test]
    fn distinct_routes_hops_and_ids_are_bounded_and_the_rest_counted() {
        let mut names = Agents::bounded();
        let agents: Vec<AgentIx> = (0..3).map(|i| names.intern(&format!("a{i}"))).collect();
        let mut tally = RouteTally::default();
        // Routes a0 a1 a0 a1 ... of every length: each distinct.
        for n in 0..ROUTE_LIMIT as u64 + 5 {
            let route: Vec<AgentIx> = (0..n as usize + 1).map(|i| agents[i % 2]).collect();
            tally.request(n, &chain(&route, true, false));
        }
        for n in 0..10 {
            tally.request(10_000 + n, &chain(&agents[..2], true, false));
        }
        let mut failed = chain(&[agents[2]], false, true);
        tally.request(20_000, &failed);
        failed.hops_dropped = 3;
        tally.request(20_001, &failed);
        let r = tally.finish(&names);
        assert_eq!(r.requests.len(), ROUTE_LIMIT);
        assert_eq!(r.requests_not_grouped, 7);
        let listed: usize = r.requests.iter().map(|q| q.ids.len()).sum();
        assert_eq!(listed, IDS_KEPT);
        assert_eq!(
            r.ids_not_kept,
            ROUTE_LIMIT as u64 + 5 + 12 - 7 - IDS_KEPT as u64
        );
        // The most frequent route first: a0 a1, taken 11 times.
        assert_eq!((r.requests[0].agents.len(), r.requests[0].count), (2, 11));
        assert_eq!(r.condensed, ["a0", "a1", "a2"]);
        let failed: Vec<&HopCount> = r.hops.iter().filter(|h| h.from == "a2").collect();
        assert_eq!(failed.len(), 1, "a cut route adds no last hop");
        assert_eq!((failed[0].kind, failed[0].count), (Handoff::Failed, 1));
    }
}
