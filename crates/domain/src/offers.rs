//! What a person may do with a matter now: the actions a page offers.
//!
//! Each action is tried against [`decide`] with arguments that are valid whenever the action is allowed at
//! all (a reason written, one day, the first unit of the choices a form lists). So an action is offered
//! exactly when the workflow would take it from this person in this state, and the rules stay in one
//! place: a page can never offer what the API would refuse for its role, unit, state or window.

use crate::catalog::{EvaluationTarget, LegalRoute, Outcome, Rating};
use crate::ids::{OrderId, UnitId};
use crate::org::{Org, Unit};
use crate::workflow::{Command, Ctx, Matter, ReviewDecision, Triage, decide};

/// Units a matter may be transferred or assigned to: every unit but the bureau holding it. First (the
/// routing suggestion) the units within its jurisdiction competent for the matter's domain, then the rest
/// of its jurisdiction, then everyone else.
pub fn triage_targets<'a>(m: &Matter, org: &'a Org) -> Vec<&'a Unit> {
    let within = org.jurisdiction(&m.bureau);
    let mut units: Vec<&Unit> = org.units().filter(|u| u.id != m.bureau).collect();
    units.sort_by_key(|u| (!within.contains(&u.id), !is_competent(u, m), u.id.clone()));
    units
}

/// Whether the unit's routing rule names the matter's domain (its first level).
pub fn is_competent(unit: &Unit, m: &Matter) -> bool {
    unit.domains.contains(&m.domain.first)
}

/// Units that may review the matter's last answer: those above the unit that gave it.
pub fn review_authorities<'a>(m: &Matter, org: &'a Org) -> Vec<&'a Unit> {
    let below = match m.reviews.last() {
        Some(r) if m.status == crate::Status::Reviewed => Some(&r.authority),
        _ => m.handler.as_ref(),
    };
    let Some(below) = below else {
        return Vec::new();
    };
    org.chain_up(below).filter(|u| &u.id != below).collect()
}

/// Units that may join as co-handlers: any unit not already handling the matter.
pub fn co_handler_choices<'a>(m: &Matter, org: &'a Org) -> Vec<&'a Unit> {
    org.units()
        .filter(|u| Some(&u.id) != m.handler.as_ref() && !m.co_handlers.contains(&u.id))
        .collect()
}

/// Every action this person may take on the matter now, as the command a filled-in form would send.
/// Decisions on proposed links and documents are offered by their own panels, not here.
pub fn offered(m: &Matter, ctx: &Ctx<'_>) -> Vec<Command> {
    candidates(m, ctx.org)
        .into_iter()
        .filter(|c| decide(Some(m), c, ctx).is_ok())
        .collect()
}

/// One command of every kind a matter's page may offer, with arguments valid whenever its kind is
/// allowed: what [`offered`] tries.
pub fn candidates(m: &Matter, org: &Org) -> Vec<Command> {
    let placeholder = || "（待填写）".to_owned();
    let id = || m.id.clone();
    let first = |units: Vec<&Unit>| -> Option<UnitId> { units.first().map(|u| u.id.clone()) };
    let mut tries = Vec::new();
    if let Some(to) = first(triage_targets(m, org)) {
        tries.push(Command::Triage {
            matter: id(),
            triage: Triage::Assign {
                to: to.clone(),
                co_handlers: Vec::new(),
                report_back_days: None,
            },
        });
        tries.push(Command::Triage {
            matter: id(),
            triage: Triage::Transfer {
                to,
                co_handlers: Vec::new(),
            },
        });
    }
    tries.extend([
        Command::Triage {
            matter: id(),
            triage: Triage::AcceptDirectly,
        },
        Command::Triage {
            matter: id(),
            triage: Triage::Reject {
                reason: placeholder(),
            },
        },
        Command::Triage {
            matter: id(),
            triage: Triage::RedirectToLegal {
                route: LegalRoute::Litigation,
                reason: placeholder(),
            },
        },
        Command::Accept { matter: id() },
        Command::DeclineAcceptance {
            matter: id(),
            reason: placeholder(),
        },
        Command::ReturnToBureau {
            matter: id(),
            reason: placeholder(),
        },
        Command::RequestExtension {
            matter: id(),
            days: 1,
            reason: placeholder(),
        },
        Command::DecideExtension {
            matter: id(),
            approve: true,
            note: placeholder(),
        },
    ]);
    if let Some(outcome) = Outcome::allowed_for(m.purpose).first() {
        tries.push(Command::Answer {
            matter: id(),
            outcome: *outcome,
            opinion: placeholder(),
        });
    }
    for target in EvaluationTarget::BOTH {
        tries.push(Command::Evaluate {
            matter: id(),
            target,
            rating: Rating::Satisfied,
        });
    }
    if let Some(authority) = first(review_authorities(m, org)) {
        tries.push(Command::RequestReview {
            matter: id(),
            authority,
        });
    }
    tries.extend([
        Command::HoldHearing {
            matter: id(),
            days: 1,
        },
        Command::AnswerReview {
            matter: id(),
            decision: ReviewDecision::Upheld,
            opinion: placeholder(),
        },
        Command::Resolve {
            matter: id(),
            note: placeholder(),
        },
        Command::IssueSupervision {
            matter: id(),
            order: OrderId::parse("DB-probe").expect("a valid order id"),
            days: 1,
            note: placeholder(),
        },
    ]);
    for order in m.supervision.iter().filter(|o| o.closed_on.is_none()) {
        tries.push(Command::CloseSupervision {
            matter: id(),
            order: order.id.clone(),
            note: placeholder(),
        });
    }
    tries.extend([
        Command::Remind {
            matter: id(),
            note: placeholder(),
        },
        Command::AssignLeader {
            matter: id(),
            leader: placeholder(),
            team: Vec::new(),
            plan: placeholder(),
        },
    ]);
    if let Some(unit) = first(co_handler_choices(m, org)) {
        tries.push(Command::AddCoHandler { matter: id(), unit });
    }
    tries
}

/// The code of an offered action, as the API's `action` field names it; triage adds its decision
/// (`triage.assign`), evaluation its target (`evaluate.bureau`), closing an order its id.
pub fn offer_code(command: &Command) -> String {
    let value = serde_json::to_value(command).expect("commands serialize");
    let action = value["action"].as_str().unwrap_or_default().to_owned();
    match command {
        Command::Triage { .. } => format!("{action}.{}", value["decision"].as_str().unwrap_or("")),
        Command::Evaluate { .. } => format!("{action}.{}", value["target"].as_str().unwrap_or("")),
        Command::CloseSupervision { order, .. } => format!("{action}.{order}"),
        _ => action,
    }
}
