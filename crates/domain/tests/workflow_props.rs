//! Property tests of the workflow: random sequences of commands by random people at random times.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use xinfang_domain::calendar::Calendar;
use xinfang_domain::catalog::{EvaluationTarget, LegalRoute, Outcome, Rating};
use xinfang_domain::event::EventBody;
use xinfang_domain::fixtures::{self, *};
use xinfang_domain::ids::{MatterId, OrderId, UnitId};
use xinfang_domain::petition::ContactRelation;
use xinfang_domain::rules::{Deadlines, Rules};
use xinfang_domain::workflow::{ExtensionState, Filing, ReviewDecision, Triage};
use xinfang_domain::{Actor, Command, Ctx, Matter, Principal, Role, Status, decide};

const UNITS: [&str; 9] = [
    PROVINCE_GOV,
    PROVINCE_BUREAU,
    CITY_GOV,
    CITY_BUREAU,
    CITY_HOUSING,
    DISTRICT_GOV,
    DISTRICT_BUREAU,
    DISTRICT_HOUSING,
    DISTRICT_LABOUR,
];

fn principals() -> Vec<Principal> {
    let mut out = Vec::new();
    for unit in UNITS {
        for role in [
            Role::Registrar,
            Role::Dispatcher,
            Role::Handler,
            Role::Supervisor,
            Role::Leader,
        ] {
            out.push(staff(unit, role));
        }
    }
    out.push(petitioner(DISTRICT_BUREAU));
    out
}

#[derive(Debug, Clone)]
struct Move {
    kind: u8,
    actor: usize,
    hours: i64,
    param: u8,
}

fn moves() -> impl Strategy<Value = Vec<Move>> {
    prop::collection::vec(
        (0u8..17, 0usize..80, 0i64..(24 * 12), any::<u8>()).prop_map(
            |(kind, actor, hours, param)| Move {
                kind,
                actor,
                hours,
                param,
            },
        ),
        1..60,
    )
}

fn unit(param: u8) -> UnitId {
    UnitId::parse(UNITS[param as usize % UNITS.len()]).unwrap()
}

fn command(
    m: &MatterId,
    mv: &Move,
    at: DateTime<Utc>,
    counter: usize,
    above: Option<UnitId>,
) -> Command {
    let matter = m.clone();
    let p = mv.param;
    match mv.kind {
        0 => Command::Register {
            filing: Filing::Existing {
                matter,
                relation: if p.is_multiple_of(2) {
                    ContactRelation::Repeat
                } else {
                    ContactRelation::MultiSubmission
                },
            },
            contact: Box::new(fixtures::draft(&format!("C-{counter}"), at)),
        },
        1 => Command::Triage {
            matter,
            triage: match p % 5 {
                0 | 1 => Triage::Transfer {
                    to: unit(p / 5),
                    co_handlers: vec![],
                },
                2 => Triage::Assign {
                    to: unit(p / 5),
                    co_handlers: vec![],
                    report_back_days: Some(u32::from(p % 40) + 1),
                },
                3 => Triage::AcceptDirectly,
                _ if p > 200 => Triage::Reject {
                    reason: "不属于信访事项".into(),
                },
                _ => Triage::RedirectToLegal {
                    route: LegalRoute::Litigation,
                    reason: "请依法起诉".into(),
                },
            },
        },
        2 => Command::ReturnToBureau {
            matter,
            reason: "非本单位职责".into(),
        },
        3 => Command::Accept { matter },
        4 => Command::DeclineAcceptance {
            matter,
            reason: "已起诉".into(),
        },
        5 => Command::RequestExtension {
            matter,
            days: u32::from(p % 40),
            reason: "情况复杂".into(),
        },
        6 => Command::DecideExtension {
            matter,
            approve: !p.is_multiple_of(4),
            note: String::new(),
        },
        7 => Command::Answer {
            matter,
            outcome: [
                Outcome::Supported,
                Outcome::PartlySupported,
                Outcome::NotSupported,
                Outcome::Adopted,
            ][p as usize % 4],
            opinion: "经调查".into(),
        },
        8 => Command::Evaluate {
            matter,
            target: EvaluationTarget::BOTH[p as usize % 2],
            rating: [
                Rating::Satisfied,
                Rating::BasicallySatisfied,
                Rating::Unsatisfied,
            ][p as usize % 3],
        },
        9 => Command::RequestReview {
            matter,
            authority: above
                .filter(|_| p.is_multiple_of(2))
                .unwrap_or_else(|| unit(p)),
        },
        10 => Command::HoldHearing {
            matter,
            days: u32::from(p % 70),
        },
        11 => Command::AnswerReview {
            matter,
            decision: ReviewDecision::Upheld,
            opinion: "维持".into(),
        },
        12 => Command::Resolve {
            matter,
            note: "已解决".into(),
        },
        13 => Command::IssueSupervision {
            matter,
            order: OrderId::parse(&format!("D{}", p % 3)).unwrap(),
            days: u32::from(p % 30),
            note: "请加快".into(),
        },
        14 => Command::CloseSupervision {
            matter,
            order: OrderId::parse(&format!("D{}", p % 3)).unwrap(),
            note: "已办结".into(),
        },
        15 => Command::Remind {
            matter,
            note: "催办".into(),
        },
        _ => Command::AssignLeader {
            matter,
            leader: "区长".into(),
            team: vec![],
            plan: "专班化解".into(),
        },
    }
}

fn natural_kind(m: &Matter) -> Option<u8> {
    Some(match m.status {
        Status::AwaitingTriage => 1,
        Status::AwaitingAcceptance => 3,
        Status::Handling => 7,
        Status::Answered | Status::Reviewed => 9,
        Status::UnderReview | Status::UnderReReview => 11,
        _ => return None,
    })
}

/// The person who would normally give this command, so that walks get deep; other moves pick anyone.
fn natural_actor(m: &Matter, kind: u8) -> Principal {
    let responsible = m.responsible_unit().as_str();
    let bureau = m.bureau.as_str();
    match kind {
        0 => staff(bureau, Role::Registrar),
        1 => staff(bureau, Role::Dispatcher),
        6 | 16 => staff(responsible, Role::Leader),
        8 | 9 => petitioner(bureau),
        13..=15 => staff(bureau, Role::Supervisor),
        _ => staff(responsible, Role::Handler),
    }
}

fn fold(events: &[(EventBody, DateTime<Utc>, Actor)]) -> Option<Matter> {
    let mut state: Option<Matter> = None;
    for (body, at, actor) in events {
        match &mut state {
            None => state = Matter::open(body, *at),
            Some(m) => m.apply(body, *at, actor),
        }
    }
    state
}

fn due_dates(body: &EventBody) -> Vec<NaiveDate> {
    match body {
        EventBody::MatterOpened { triage_due, .. }
        | EventBody::ReturnedToBureau { triage_due, .. } => vec![*triage_due],
        EventBody::Transferred {
            acceptance_due,
            return_due,
            report_back_due,
            ..
        } => {
            let mut v = vec![*acceptance_due, *return_due];
            v.extend(report_back_due);
            v
        }
        EventBody::AcceptedDirectly { answer_due, .. }
        | EventBody::Accepted { answer_due, .. }
        | EventBody::ExtensionDecided { answer_due, .. }
        | EventBody::ReviewRequested { answer_due, .. } => vec![*answer_due],
        EventBody::Answered {
            evaluation_due,
            review_request_due,
            ..
        } => vec![*evaluation_due, *review_request_due],
        EventBody::ReviewAnswered {
            next_request_due, ..
        } => next_request_due.iter().copied().collect(),
        _ => Vec::new(),
    }
}

/// Run the moves; check every invariant after every accepted command. Returns all events.
fn simulate(moves: &[Move], rules: &Rules) -> Vec<(EventBody, DateTime<Utc>, Actor)> {
    let calendar = Calendar::mainland();
    let org = fixtures::org();
    let people = principals();
    let id = MatterId::parse("XF-P").unwrap();
    let mut at = Utc.with_ymd_and_hms(2025, 1, 20, 1, 0, 0).unwrap();
    let mut events = Vec::new();
    let registrar = staff(DISTRICT_BUREAU, Role::Registrar);
    let ctx = Ctx {
        principal: &registrar,
        at,
        org: &org,
        rules,
        calendar: &calendar,
    };
    let first = Command::Register {
        filing: Filing::NewMatter { matter: id.clone() },
        contact: Box::new(fixtures::draft("C-0", at)),
    };
    for body in decide(None, &first, &ctx).expect("first registration") {
        events.push((body, at, registrar.actor()));
    }
    let mut state = fold(&events).expect("opened");
    for (n, mv) in moves.iter().enumerate() {
        at += Duration::hours(mv.hours);
        // A fifth of the moves take the matter's natural next step, so walks reach the late states.
        let mv = &Move {
            kind: if mv.actor < 16 {
                natural_kind(&state).unwrap_or(mv.kind)
            } else {
                mv.kind
            },
            ..mv.clone()
        };
        let natural;
        let who = if mv.actor < 40 {
            natural = natural_actor(&state, mv.kind);
            &natural
        } else {
            &people[mv.actor % people.len()]
        };
        let below = state
            .reviews
            .last()
            .map(|r| &r.authority)
            .or(state.handler.as_ref());
        let above = below
            .and_then(|u| org.unit(u))
            .and_then(|u| u.parent.clone());
        let cmd = command(&id, mv, at, n + 1, above);
        let ctx = Ctx {
            principal: who,
            at,
            org: &org,
            rules,
            calendar: &calendar,
        };
        let Ok(bodies) = decide(Some(&state), &cmd, &ctx) else {
            continue;
        };
        let before = state.clone();
        for body in bodies {
            // Every event survives its trip through the log's JSON.
            let json = serde_json::to_string(&body).unwrap();
            assert_eq!(serde_json::from_str::<EventBody>(&json).unwrap(), body);
            state.apply(&body, at, &who.actor());
            events.push((body, at, who.actor()));
        }
        check(&before, &state, &cmd, who, rules);
    }
    assert_eq!(
        fold(&events).as_ref(),
        Some(&state),
        "the projection is the fold of the events"
    );
    events
}

fn check(before: &Matter, after: &Matter, cmd: &Command, who: &Principal, rules: &Rules) {
    assert!(
        before.status.may_become(after.status),
        "forbidden transition {:?} -> {:?} by {cmd:?}",
        before.status,
        after.status
    );
    // Terminal states stay terminal.
    if matches!(
        before.status,
        Status::NotAccepted | Status::Redirected | Status::Final
    ) {
        assert_eq!(before.status, after.status);
    }
    match after.status {
        Status::AwaitingAcceptance | Status::Handling => assert!(after.handler.is_some()),
        Status::Answered
        | Status::UnderReview
        | Status::Reviewed
        | Status::UnderReReview
        | Status::Final => {
            assert!(
                after.answer.is_some() && after.accepted_on.is_some() && after.handler.is_some()
            );
        }
        Status::NotAccepted | Status::Redirected => {
            assert!(after.closure.is_some() && after.answer.is_none())
        }
        Status::AwaitingTriage => assert!(after.handler.is_none()),
    }
    if after.status == Status::Final {
        assert_eq!(after.reviews.len(), 2);
        assert!(after.reviews.iter().all(|r| r.decision.is_some()));
    }
    // Only the handling unit answers, and the answer fits the purpose.
    if let (None, Some(a)) = (&before.answer, &after.answer) {
        assert_eq!(Some(&who.unit), before.handler.as_ref());
        assert!(Outcome::allowed_for(before.purpose).contains(&a.outcome));
    }
    // One extension, at most the configured days, approved by a leader of the handling unit.
    if let Some(ext) = &after.extension {
        assert!(ext.days >= 1 && ext.days <= rules.deadlines.max_extension_days);
        if ext.state == ExtensionState::Approved
            && before
                .extension
                .as_ref()
                .is_some_and(|e| e.state == ExtensionState::Requested)
        {
            assert!(who.roles.contains(&Role::Leader));
            assert!(after.answer_due > before.answer_due);
        }
    }
    for target in EvaluationTarget::BOTH {
        assert!(
            after
                .evaluations
                .iter()
                .filter(|e| e.target == target)
                .count()
                <= 1
        );
    }
    if after.evaluations.len() > before.evaluations.len() {
        let e = after.evaluations.last().unwrap();
        assert_eq!(e.proxy, !who.roles.contains(&Role::Petitioner));
        if let Some(due) = before.evaluation_due {
            assert!(e.on <= due, "rated after the window closed");
        }
    }
    if after.reviews.len() > before.reviews.len() {
        let due = before
            .review_request_due
            .expect("a review needs an open window");
        assert!(after.reviews.last().unwrap().requested_on <= due);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_sequence_reaches_a_forbidden_state(moves in moves()) {
        simulate(&moves, &Rules::default());
    }

    #[test]
    fn working_day_deadlines_never_fall_on_rest_days(moves in moves()) {
        let rules = Rules { deadlines: Deadlines::default().all_working_days(), ..Rules::default() };
        let calendar = Calendar::mainland();
        for (body, _, _) in simulate(&moves, &rules) {
            for due in due_dates(&body) {
                // Hearing days extend a review period by calendar days (听证 time is not counted), so
                // only deadlines computed from the settings are checked here.
                prop_assert!(calendar.is_working_day(due), "{due} in {body:?}");
            }
        }
    }
}

/// The same random walk often does reach the later states: a property test that never leaves the
/// first state would prove nothing.
#[test]
fn random_walks_reach_every_status() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..3000 {
        let mv = moves().new_tree(&mut runner).unwrap().current();
        let events = simulate(&mv, &Rules::default());
        if let Some(m) = fold(&events) {
            seen.insert(m.status);
        }
    }
    for status in Status::ALL {
        assert!(
            seen.contains(&status),
            "never reached {status:?}; saw {seen:?}"
        );
    }
}
