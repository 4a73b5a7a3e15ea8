//! Explaining a wrong message: the spec required one message and the implementation sent another
//! of the same kind from the same node. The finding says what the node had to do, why (read from
//! the node's state before the step, by the rule the spec applies), and what it did instead:
//!
//! `wrong reply: n2 must reject RequestVote from n1 (t1): its log (last (2,t1)) is more up to date
//! than the candidate's (1,t1); it granted`

use raftcheck_spec::{AppendAnswer, ClusterState, Input, Message, Payload};

/// One line explaining why `got` is not the `want` the spec requires after `input` in `before`.
pub fn explain(before: &ClusterState, input: &Input, want: &Message, got: &Message) -> String {
    let noun = if is_reply(want) {
        "wrong reply"
    } else {
        "wrong message"
    };
    let request = match input {
        Input::Receive { message } => Some(message),
        _ => None,
    };
    let what = if got.to != want.to {
        let whom = match request {
            Some(r) if r.from == want.to => " (the sender of the request)".to_string(),
            _ => String::new(),
        };
        format!(
            "n{} must send its {} to n{}{whom}; it sent it to n{}",
            want.from,
            want.payload.kind(),
            want.to,
            got.to
        )
    } else {
        match (request, decision(want), decision(got)) {
            (Some(r), Some(must), Some(did)) if must != did => {
                let why = reason(before, r, want);
                format!(
                    "n{} must {} {} from n{} (t{}){}; it {}",
                    want.from,
                    must.verb(),
                    r.payload.kind(),
                    r.from,
                    r.term,
                    why.map(|w| format!(": {w}")).unwrap_or_default(),
                    did.past()
                )
            }
            _ => format!("n{} must send {want}; it sent {got}", want.from),
        }
    };
    format!("{noun}: {what} (spec: {want}; impl: {got})")
}

/// True for the messages a node sends in answer to another's.
fn is_reply(m: &Message) -> bool {
    matches!(
        m.payload,
        Payload::RequestVoteResponse { .. }
            | Payload::AppendEntriesResponse(_)
            | Payload::HeartbeatResponse { .. }
    )
}

/// Grant or refuse, accept or reject.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Decision {
    Grant,
    Refuse,
    Accept,
    Reject,
}

impl Decision {
    fn verb(self) -> &'static str {
        match self {
            Decision::Grant => "grant",
            Decision::Refuse => "reject",
            Decision::Accept => "accept",
            Decision::Reject => "reject",
        }
    }

    fn past(self) -> &'static str {
        match self {
            Decision::Grant => "granted",
            Decision::Refuse | Decision::Reject => "rejected",
            Decision::Accept => "accepted",
        }
    }
}

/// The decision a reply carries, if it is a decision.
fn decision(m: &Message) -> Option<Decision> {
    match m.payload {
        Payload::RequestVoteResponse { reject, .. } => Some(if reject {
            Decision::Refuse
        } else {
            Decision::Grant
        }),
        Payload::AppendEntriesResponse(AppendAnswer { reject, .. }) => Some(if reject {
            Decision::Reject
        } else {
            Decision::Accept
        }),
        _ => None,
    }
}

/// Why the spec decides as `want` says, from the replying node's state before the request.
fn reason(before: &ClusterState, request: &Message, want: &Message) -> Option<String> {
    let node = before.node(want.from);
    match (&request.payload, decision(want)?) {
        (
            Payload::RequestVote {
                pre,
                last_log_index,
                last_log_term,
                ..
            },
            Decision::Refuse,
        ) => {
            let pre = *pre;
            if request.term < node.term {
                Some(format!("its term t{} is newer", node.term))
            } else if !node.is_up_to_date(*last_log_index, *last_log_term) {
                Some(format!(
                    "its log (last ({},t{})) is more up to date than the candidate's ({},t{})",
                    node.last_index(),
                    node.last_term(),
                    last_log_index,
                    last_log_term
                ))
            } else if !pre && request.term == node.term {
                match (node.vote, node.leader) {
                    (Some(v), _) if v != request.from => {
                        Some(format!("it already voted for n{v} in t{}", node.term))
                    }
                    (_, Some(l)) => Some(format!("it knows n{l} as leader of t{}", node.term)),
                    _ => None,
                }
            } else {
                None
            }
        }
        (Payload::RequestVote { .. }, Decision::Grant) => {
            Some("the candidate's log is at least as up to date and nothing binds its vote".into())
        }
        (
            Payload::AppendEntries {
                prev_log_index,
                prev_log_term,
                ..
            },
            decided,
        ) => {
            let at = *prev_log_index;
            Some(match (node.term_at(at), decided) {
                (_, Decision::Accept) if at < node.commit => {
                    format!("index {at} is below its commit index {}", node.commit)
                }
                (Some(t), Decision::Accept) => format!("its entry {at} has term t{t} too"),
                (None, Decision::Reject) => format!(
                    "its log has no entry {at} (last index {})",
                    node.last_index()
                ),
                (Some(t), Decision::Reject) => {
                    format!("its entry {at} has term t{t}, not t{prev_log_term}")
                }
                (None, _) => return None,
                _ => return None,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftcheck_spec::{Bounds, Flavour, Mode, RaftModel};

    fn vote_request(term: u64, last: (u64, u64)) -> Message {
        Message {
            from: 1,
            to: 2,
            term,
            payload: Payload::RequestVote {
                pre: false,
                last_log_index: last.0,
                last_log_term: last.1,
                commit: 0,
                commit_term: 0,
            },
        }
    }

    fn vote_response(term: u64, reject: bool) -> Message {
        Message {
            from: 2,
            to: 1,
            term,
            payload: Payload::RequestVoteResponse {
                pre: false,
                reject,
                commit: 0,
                commit_term: 0,
            },
        }
    }

    #[test]
    fn a_vote_granted_against_the_rule_names_the_rule() {
        let model = RaftModel::new(Bounds::default(), Flavour::etcd(), Mode::Lockstep);
        // n2 wins term 1 with n1's vote and appends its empty entry; then n1, with an empty
        // log, asks for n2's vote in term 2.
        let mut s = model.initial_state();
        let vote_of_n1 = Message {
            from: 1,
            to: 2,
            term: 1,
            payload: Payload::RequestVoteResponse {
                pre: false,
                reject: false,
                commit: 0,
                commit_term: 0,
            },
        };
        for input in [
            Input::Timeout { node: 2 },
            Input::Receive {
                message: vote_of_n1,
            },
        ] {
            s = model.apply(&s, &input).state;
        }
        assert_eq!(s.node(2).last_index(), 1, "n2 leads with its empty entry");
        let input = Input::Receive {
            message: vote_request(2, (0, 0)),
        };
        let text = explain(
            &s,
            &input,
            &vote_response(2, true),
            &vote_response(2, false),
        );
        assert_eq!(
            text,
            "wrong reply: n2 must reject RequestVote from n1 (t2): its log (last (1,t1)) is more \
             up to date than the candidate's (0,t0); it granted (spec: RequestVoteResponse \
             n2→n1 t2 rejected; impl: RequestVoteResponse n2→n1 t2 granted)"
        );
    }

    #[test]
    fn a_reply_to_the_wrong_node_says_whom_it_should_reach() {
        let model = RaftModel::new(Bounds::default(), Flavour::etcd(), Mode::Lockstep);
        let s = model.initial_state();
        let input = Input::Receive {
            message: vote_request(1, (0, 0)),
        };
        let mut got = vote_response(1, false);
        got.to = 3;
        let text = explain(&s, &input, &vote_response(1, false), &got);
        assert!(
            text.contains(
                "n2 must send its RequestVoteResponse to n1 (the sender of the request); it \
                 sent it to n3"
            ),
            "{text}"
        );
    }
}
