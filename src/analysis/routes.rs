//! The route tally every view shows: each request's hops ([`super::hops`]) go in as the
//! request ends, and out come every hand-over between two agents with how often it happened,
//! each distinct route with the requests that took it, and the condensed route. The analysis
//! (`trace --analyze`, its JSON, `diff`) feeds it as requests end, the flow view (`--flow-only`,
//! Mermaid, DOT) once per request at the end: both give the same report, because every order
//! in it comes from the requests' numbers and the hops' places, never from the order requests
//! were fed. Only tallies are kept, never the requests: distinct hops, distinct routes and the
//! request ids listed are capped, and what is past a cap is counted.

use super::hops::{Hop, HopKind};
use super::links::RequestId;
use super::{AgentIx, Agents, clipped};
use foldhash::HashMap;
use serde::{Deserialize, Serialize};

/// How many hops of one request are kept (and tallied); later hops are only counted, and the
/// request's route is [`RouteEnd::Cut`].
pub(crate) const HOPS_KEPT: usize = 200;
/// Distinct hops counted; runs of further hops are counted in `hops_not_counted`.
const HOP_LIMIT: usize = 10_000;
/// Distinct routes kept; further requests are counted in `requests_not_grouped`.
const ROUTE_LIMIT: usize = 1000;
/// Request ids listed, over all routes; further requests are counted in `ids_not_kept`.
const IDS_KEPT: usize = 1000;

/// How a request's route ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteEnd {
    /// The last run routed nowhere.
    End,
    /// The last run failed, and no error handler's run followed.
    Failed,
    /// The request was at the last agent listed when the trace ended: its run had not
    /// finished, or had not begun, or is not in the trace.
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
    /// Hand-overs not counted in `hops`: past the 10,000 distinct hops kept, or past the 200
    /// hops kept of one request.
    pub hops_not_counted: u64,
    /// Every distinct route a request took, most frequent first.
    pub requests: Vec<RequestRoute>,
    /// Requests whose route is not in `requests`: past the 1,000 distinct routes kept.
    pub requests_not_grouped: u64,
    /// Requests whose id is not listed: past the first 1,000.
    pub ids_not_kept: u64,
}

impl RoutesReport {
    /// Hops in all, counted or not.
    pub fn hop_count(&self) -> u64 {
        self.hops.iter().map(|h| h.count).sum::<u64>() + self.hops_not_counted
    }
}

/// One hand-over and how often it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HopCount {
    pub from: String,
    /// The agent the work went to; none when the request ended (or failed, or was unfinished)
    /// here.
    pub to: Option<String>,
    pub kind: HopKind,
    pub count: u64,
    /// How many of those runs failed.
    #[serde(default)]
    pub errors: u64,
}

/// A route some requests took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRoute {
    /// The agents that ran, in order (for an unfinished route, last the one it was at).
    pub agents: Vec<String>,
    pub end: RouteEnd,
    /// Requests that took it.
    pub count: u64,
    /// Their ids (first event ids normalised: `req-17461596-planner` -> `req-17461596`, a
    /// UUID -> its first 8 hex digits), in the order the requests started.
    pub ids: Vec<String>,
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

type HopKey = (AgentIx, Option<AgentIx>, HopKind);
type RouteKey = (Box<[AgentIx]>, RouteEnd);
/// Where something first appeared: a request's number, then a place in it.
type Place = (RequestId, usize);

#[derive(Debug)]
struct Tallied {
    count: u64,
    errors: u64,
    first: Place,
}

#[derive(Debug)]
struct RouteState {
    count: u64,
    first: RequestId,
    ids: Vec<(RequestId, Box<str>)>,
}

/// Tallies the routes of requests as they end (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct RouteTally {
    hops: HashMap<HopKey, Tallied>,
    hops_not_counted: u64,
    /// Each agent's first appearance: a hop's agent at twice its place, the agent it handed
    /// to just after.
    first_reached: HashMap<AgentIx, Place>,
    routes: HashMap<RouteKey, RouteState>,
    requests_not_grouped: u64,
    ids_kept: usize,
    ids_not_kept: u64,
}

impl RouteTally {
    /// Request `order` (requests numbered in the order they started), first event
    /// `root_event`, has ended or been cut off. `hops` are its first hops (at most
    /// [`HOPS_KEPT`]) in the order its runs ended, unfinished ones last; `dropped` counts the
    /// hops past those.
    pub fn request(&mut self, order: RequestId, root_event: &str, hops: &[Hop], dropped: u64) {
        let Some(last) = hops.last() else {
            return;
        };
        self.hops_not_counted += dropped;
        for (place, hop) in hops.iter().enumerate() {
            self.hop(hop, (order, place));
            self.reached(hop.agent(), (order, 2 * place));
            if let Some(to) = hop.hands_to() {
                self.reached(to, (order, 2 * place + 1));
            }
        }
        let mut agents: Vec<AgentIx> = hops.iter().map(Hop::agent).collect();
        let end = match last.kind() {
            _ if dropped > 0 => RouteEnd::Cut,
            HopKind::End => RouteEnd::End,
            HopKind::Failed => RouteEnd::Failed,
            HopKind::Unfinished => RouteEnd::Unfinished,
            HopKind::Route | HopKind::Requeue | HopKind::Retry | HopKind::Failure => {
                agents.extend(last.hands_to());
                RouteEnd::Unfinished
            }
        };
        let key = (agents.into_boxed_slice(), end);
        if !self.routes.contains_key(&key) && self.routes.len() >= ROUTE_LIMIT {
            self.requests_not_grouped += 1;
            return;
        }
        let state = self.routes.entry(key).or_insert(RouteState {
            count: 0,
            first: order,
            ids: Vec::new(),
        });
        state.count += 1;
        state.first = state.first.min(order);
        if self.ids_kept < IDS_KEPT {
            self.ids_kept += 1;
            state
                .ids
                .push((order, clipped(normalise_event_id(root_event))));
        } else {
            self.ids_not_kept += 1;
        }
    }

    fn reached(&mut self, agent: AgentIx, at: Place) {
        let first = self.first_reached.entry(agent).or_insert(at);
        *first = (*first).min(at);
    }

    fn hop(&mut self, hop: &Hop, at: Place) {
        let key = (hop.agent(), hop.hands_to(), hop.kind());
        let full = self.hops.len() >= HOP_LIMIT;
        match self.hops.get_mut(&key) {
            Some(tallied) => {
                tallied.count += 1;
                tallied.errors += u64::from(hop.failed());
                tallied.first = tallied.first.min(at);
            }
            None if full => self.hops_not_counted += 1,
            None => {
                self.hops.insert(
                    key,
                    Tallied {
                        count: 1,
                        errors: u64::from(hop.failed()),
                        first: at,
                    },
                );
            }
        }
    }

    /// The report, with agents named.
    pub fn finish(self, names: &Agents) -> RoutesReport {
        let name = |ix: AgentIx| names.name(ix).to_owned();
        let mut reached: Vec<(AgentIx, Place)> = self.first_reached.into_iter().collect();
        reached.sort_unstable_by_key(|(agent, first)| (*first, *agent));
        let mut hops: Vec<(HopKey, Tallied)> = self.hops.into_iter().collect();
        hops.sort_unstable_by_key(|(key, t)| (std::cmp::Reverse(t.count), t.first, *key));
        let mut routes: Vec<(RouteKey, RouteState)> = self.routes.into_iter().collect();
        routes.sort_unstable_by(|(ka, a), (kb, b)| {
            (std::cmp::Reverse(a.count), a.first, ka).cmp(&(
                std::cmp::Reverse(b.count),
                b.first,
                kb,
            ))
        });
        RoutesReport {
            condensed: reached.into_iter().map(|(agent, _)| name(agent)).collect(),
            hops: hops
                .into_iter()
                .map(|((from, to, kind), t)| HopCount {
                    from: name(from),
                    to: to.map(name),
                    kind,
                    count: t.count,
                    errors: t.errors,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::links::Link;
    use crate::analysis::{AnalysisOptions, Analyzer};
    use crate::read::Parse;
    use crate::read::read_file;
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
        // The researcher's run never ended: the route's last hop.
        assert_eq!(
            hops(&r),
            ["planner>researcher route 1", "researcher> unfinished 1"]
        );
        assert_eq!(r.requests.len(), 1);
        assert_eq!(r.requests[0].agents, ["planner", "researcher"]);
        assert_eq!(r.requests[0].end, RouteEnd::Unfinished);
        assert_eq!(r.condensed, ["planner", "researcher"]);
    }

    /// The hops of a request through `agents`, each routing to the next; the last ends it, or
    /// fails.
    fn hops_through(agents: &[AgentIx], error_last: bool) -> Vec<Hop> {
        let last = agents.len() - 1;
        agents
            .iter()
            .enumerate()
            .map(|(i, agent)| {
                let failed = i == last && error_last;
                let mut hop = Hop::ended(*agent, agents.get(i + 1).copied(), failed);
                if let Some(&to) = agents.get(i + 1) {
                    hop.linked(&Link {
                        run: 0,
                        request: 0,
                        failure: false,
                        to,
                    });
                }
                hop
            })
            .collect()
    }

    #[test]
    fn distinct_routes_hops_and_ids_are_bounded_and_the_rest_counted() {
        let mut names = Agents::bounded();
        let agents: Vec<AgentIx> = (0..3).map(|i| names.intern(&format!("a{i}"))).collect();
        let mut tally = RouteTally::default();
        // Routes a0 a1 a0 a1 ... of every length: each distinct.
        for n in 0..ROUTE_LIMIT as u64 + 5 {
            let route: Vec<AgentIx> = (0..n as usize + 1).map(|i| agents[i % 2]).collect();
            tally.request(n, "req-7-x", &hops_through(&route, false), 0);
        }
        for n in 0..10 {
            tally.request(10_000 + n, "req-7-x", &hops_through(&agents[..2], false), 0);
        }
        let failed = hops_through(&[agents[2]], true);
        tally.request(20_000, "req-7-x", &failed, 0);
        tally.request(20_001, "req-7-x", &failed, 3);
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
        assert_eq!(failed.len(), 1);
        assert_eq!((failed[0].kind, failed[0].count), (HopKind::Failed, 2));
        assert_eq!(failed[0].errors, 2);
        assert_eq!(
            r.hops_not_counted, 3,
            "the hops past those kept of a cut request"
        );
    }
}
