//! What a petitioner sees of their own petition in the portal (网上信访): the steps in plain words, what
//! is owed to them and by when, the notices addressed to them, and what they may still do. It is built from
//! the matter's state, never from raw events, so nothing written for staff (supervision notes, reasons for
//! extension requests, link decisions) and no other person's identity can reach the page.

use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::Calendar;
use crate::catalog::{EvaluationTarget, Rating};
use crate::documents::date_text;
use crate::ids::UnitId;
use crate::org::Org;
use crate::rules::Rules;
use crate::workflow::{EvaluationStatus, ExtensionState, Matter, ReviewStage, Status};

/// One step of the handling, as the petitioner reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub on: NaiveDate,
    pub text: String,
}

/// A notice (告知书, 意见书, 回执) addressed to the petitioner, in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub title: String,
    pub number: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub paragraphs: Vec<String>,
}

/// Where the petitioner's rating of one target stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatingSlot {
    pub target: EvaluationTarget,
    pub target_label: &'static str,
    /// Whose work is rated: the bureau's or the responsible unit's name.
    pub unit_name: String,
    /// Open until this day (inclusive); `None` when not open.
    pub open_until: Option<NaiveDate>,
    pub rated: Option<Rating>,
    pub rated_label: Option<&'static str>,
    pub expired: bool,
}

/// A 复查 or 复核 the petitioner may still ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewSlot {
    pub stage_label: &'static str,
    pub until: NaiveDate,
    /// The units that may review, nearest first.
    pub authorities: Vec<(UnitId, String)>,
}

/// The petitioner's page of one matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub matter: String,
    pub status_label: &'static str,
    pub summary: String,
    pub received_on: NaiveDate,
    pub steps: Vec<Step>,
    /// What is owed next and by when, in one sentence.
    pub next: Option<String>,
    pub answer: Option<Answer>,
    pub notices: Vec<Notice>,
    pub ratings: Vec<RatingSlot>,
    pub review: Option<ReviewSlot>,
}

/// The written opinion (处理意见) as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub by: String,
    pub on: NaiveDate,
    pub outcome_label: &'static str,
    pub opinion: String,
}

/// The petitioner's view of `m` on `today`.
pub fn progress(
    m: &Matter,
    org: &Org,
    today: NaiveDate,
    rules: &Rules,
    calendar: &Calendar,
) -> Progress {
    let name = |id: &UnitId| {
        org.unit(id)
            .map_or_else(|| id.to_string(), |u| u.name.clone())
    };
    let mut steps = vec![Step {
        on: m.received_on,
        text: format!("{}收到并登记您的信访事项", name(&m.bureau)),
    }];
    if let (Some(on), Some(handler)) = (m.triaged_on, &m.handler)
        && handler != &m.bureau
    {
        steps.push(Step {
            on,
            text: format!("转送（交办）{}办理", name(handler)),
        });
    }
    if let Some(on) = m.accepted_on {
        let by = m.handler.as_ref().map(&name).unwrap_or_default();
        steps.push(Step {
            on,
            text: format!("{by}受理了您的信访事项"),
        });
    }
    if let Some(ext) = &m.extension
        && ext.state == ExtensionState::Approved
    {
        steps.push(Step {
            on: ext.decided_on.unwrap_or(ext.requested_on),
            text: format!("办理期限延长{}日", ext.days),
        });
    }
    if let Some(a) = &m.answer {
        steps.push(Step {
            on: a.on,
            text: format!("{}出具处理意见：{}", name(&a.by), a.outcome.label()),
        });
    }
    for e in &m.evaluations {
        steps.push(Step {
            on: e.on,
            text: format!("对{}的评价：{}", e.target.label(), e.rating.label()),
        });
    }
    for r in &m.reviews {
        steps.push(Step {
            on: r.requested_on,
            text: format!("申请{}，由{}办理", r.stage.label(), name(&r.authority)),
        });
        if let (Some(on), Some(decision)) = (r.answered_on, r.decision) {
            steps.push(Step {
                on,
                text: format!(
                    "{}出具{}意见：{}",
                    name(&r.authority),
                    r.stage.label(),
                    decision.label()
                ),
            });
        }
    }
    if let Some(c) = &m.closure {
        let what = match m.status {
            Status::Redirected => "告知您通过法定途径解决",
            _ => "决定不予受理",
        };
        steps.push(Step {
            on: c.on,
            text: format!("{}{what}：{}", name(&c.by), c.reason),
        });
    }
    if let Some(on) = m.resolved_on {
        steps.push(Step {
            on,
            text: "事项已化解".into(),
        });
    }
    steps.sort_by_key(|s| s.on);

    let next = match m.status {
        Status::AwaitingTriage => Some(format!(
            "应于{}前告知您是否受理或转送有关单位",
            date_text(m.triage_due)
        )),
        Status::AwaitingAcceptance => m.acceptance_due.map(|d| {
            format!(
                "{}应于{}前决定是否受理",
                m.handler.as_ref().map(&name).unwrap_or_default(),
                date_text(d)
            )
        }),
        Status::Handling => m.answer_due.map(|d| {
            format!(
                "{}应于{}前出具书面处理意见",
                m.handler.as_ref().map(&name).unwrap_or_default(),
                date_text(d)
            )
        }),
        Status::UnderReview | Status::UnderReReview => m.reviews.last().map(|r| {
            format!(
                "{}应于{}前出具{}意见",
                name(&r.authority),
                date_text(r.answer_due),
                r.stage.label()
            )
        }),
        _ => None,
    };

    let answer = m.answer.as_ref().map(|a| Answer {
        by: name(&a.by),
        on: a.on,
        outcome_label: a.outcome.label(),
        opinion: a.opinion.clone(),
    });
    let notices = m
        .documents
        .iter()
        .filter(|d| d.kind.to_petitioner())
        .map(|d| Notice {
            title: d.title.clone(),
            number: d.number.to_string(),
            issuer: d.issuer_name.clone(),
            issued_on: d.issued_on,
            paragraphs: d.paragraphs.clone(),
        })
        .collect();

    let ratings = if m.answer.is_some() {
        EvaluationTarget::BOTH
            .iter()
            .map(|&target| {
                let unit = match target {
                    EvaluationTarget::Bureau => Some(&m.bureau),
                    EvaluationTarget::ResponsibleUnit => m.answer.as_ref().map(|a| &a.by),
                };
                let status = m.evaluation_status(target, today, rules, calendar);
                RatingSlot {
                    target,
                    target_label: target.label(),
                    unit_name: unit.map(&name).unwrap_or_default(),
                    open_until: match status {
                        EvaluationStatus::Open { until } => until.or(Some(today)),
                        _ => None,
                    },
                    rated: match status {
                        EvaluationStatus::Rated(r) => Some(r),
                        _ => None,
                    },
                    rated_label: match status {
                        EvaluationStatus::Rated(r) => Some(r.label()),
                        _ => None,
                    },
                    expired: status == EvaluationStatus::Expired,
                }
            })
            .collect()
    } else {
        Vec::new()
    };

    let review = match (m.status, m.review_request_due) {
        (Status::Answered | Status::Reviewed, Some(until)) if today <= until => {
            let authorities: Vec<(UnitId, String)> = crate::offers::review_authorities(m, org)
                .into_iter()
                .map(|u| (u.id.clone(), u.name.clone()))
                .collect();
            (!authorities.is_empty()).then_some(ReviewSlot {
                stage_label: if m.status == Status::Answered {
                    ReviewStage::Review.label()
                } else {
                    ReviewStage::ReReview.label()
                },
                until,
                authorities,
            })
        }
        _ => None,
    };

    Progress {
        matter: m.id.to_string(),
        status_label: m.status.label(),
        summary: m.summary.clone(),
        received_on: m.received_on,
        steps,
        next,
        answer,
        notices,
        ratings,
        review,
    }
}
