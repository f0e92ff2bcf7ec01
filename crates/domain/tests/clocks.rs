//! The legal clocks on known dates, worked out by hand from the 2024–2026 holiday notices.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use xinfang_domain::calendar::Calendar;
use xinfang_domain::catalog::{EvaluationTarget, Outcome, Rating};
use xinfang_domain::event::EventBody;
use xinfang_domain::fixtures::{self, *};
use xinfang_domain::ids::{MatterId, UnitId};
use xinfang_domain::rules::{Deadlines, Rules};
use xinfang_domain::workflow::{EvaluationStatus, Filing, Triage};
use xinfang_domain::{Command, Ctx, Matter, Principal, Role, WorkflowError, decide};

/// 09:00 Beijing time on a date.
fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 1, 0, 0).unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

struct Case {
    rules: Rules,
    calendar: Calendar,
    org: xinfang_domain::org::Org,
    matter: Option<Matter>,
}

impl Case {
    fn new(rules: Rules) -> Self {
        Self {
            rules,
            calendar: Calendar::mainland(),
            org: fixtures::org(),
            matter: None,
        }
    }

    fn run(
        &mut self,
        who: Principal,
        when: DateTime<Utc>,
        cmd: Command,
    ) -> Result<Vec<EventBody>, WorkflowError> {
        let ctx = Ctx {
            principal: &who,
            at: when,
            org: &self.org,
            rules: &self.rules,
            calendar: &self.calendar,
        };
        let events = decide(self.matter.as_ref(), &cmd, &ctx)?;
        for e in &events {
            match &mut self.matter {
                None => self.matter = Matter::open(e, when),
                Some(m) => m.apply(e, when, &who.actor()),
            }
        }
        Ok(events)
    }

    fn ok(&mut self, who: Principal, when: DateTime<Utc>, cmd: Command) -> Vec<EventBody> {
        self.run(who, when, cmd)
            .unwrap_or_else(|e| panic!("refused: {e}"))
    }

    /// The handling unit (the district labour bureau) accepts.
    fn accept(&mut self, when: DateTime<Utc>) {
        self.ok(
            staff(DISTRICT_LABOUR, Role::Handler),
            when,
            Command::Accept { matter: id() },
        );
    }

    /// The handling unit answers.
    fn answer(&mut self, when: DateTime<Utc>, outcome: Outcome, opinion: &str) {
        self.ok(
            staff(DISTRICT_LABOUR, Role::Handler),
            when,
            Command::Answer {
                matter: id(),
                outcome,
                opinion: opinion.into(),
            },
        );
    }

    fn m(&self) -> &Matter {
        self.matter.as_ref().unwrap()
    }
}

fn id() -> MatterId {
    MatterId::parse("XF-T").unwrap()
}

fn register_and_transfer(case: &mut Case, received: DateTime<Utc>, transfer: DateTime<Utc>) {
    case.ok(
        staff(DISTRICT_BUREAU, Role::Registrar),
        received,
        Command::Register {
            filing: Filing::NewMatter { matter: id() },
            contact: Box::new(fixtures::draft("C-T", received)),
        },
    );
    case.ok(
        staff(DISTRICT_BUREAU, Role::Dispatcher),
        transfer,
        Command::Triage {
            matter: id(),
            triage: Triage::Transfer {
                to: UnitId::parse(DISTRICT_LABOUR).unwrap(),
                co_handlers: vec![],
            },
        },
    );
}

#[test]
fn working_days_skip_national_day_and_count_the_make_up_saturday() {
    let mut case = Case::new(Rules {
        deadlines: Deadlines::default().all_working_days(),
        ..Rules::default()
    });
    register_and_transfer(&mut case, at(2026, 9, 29), at(2026, 9, 30));
    // Working days after 2026-09-30: 10-08, 10-09, 10-10 (调休 Saturday), 10-12 … the 15th is 10-27.
    assert_eq!(case.m().acceptance_due, Some(date("2026-10-27")));
    assert_eq!(case.m().return_due, Some(date("2026-10-13")));
    // Triage: 15 working days after receipt on 09-29: 09-30, 10-08, 10-09, 10-10, … the 15th is 10-26.
    assert_eq!(case.m().triage_due, date("2026-10-26"));
}

#[test]
fn calendar_days_roll_past_a_holiday_and_an_extension_adds_to_the_due_date() {
    let mut case = Case::new(Rules::default());
    register_and_transfer(&mut case, at(2025, 3, 3), at(2025, 3, 5));
    case.accept(at(2025, 3, 7));
    // 2025-03-07 + 60 days = 2025-05-06, the first day after the 劳动节 holiday (05-01 … 05-05).
    assert_eq!(case.m().answer_due, Some(date("2025-05-06")));
    case.ok(
        staff(DISTRICT_LABOUR, Role::Handler),
        at(2025, 4, 20),
        Command::RequestExtension {
            matter: id(),
            days: 30,
            reason: "需要协调".into(),
        },
    );
    // Only a leader of the handling unit approves.
    assert!(matches!(
        case.run(
            staff(DISTRICT_LABOUR, Role::Handler),
            at(2025, 4, 21),
            Command::DecideExtension {
                matter: id(),
                approve: true,
                note: String::new()
            }
        ),
        Err(WorkflowError::MissingRole { .. })
    ));
    case.ok(
        staff(DISTRICT_LABOUR, Role::Leader),
        at(2025, 4, 21),
        Command::DecideExtension {
            matter: id(),
            approve: true,
            note: "同意".into(),
        },
    );
    assert_eq!(case.m().answer_due, Some(date("2025-06-05")));
    // One extension only.
    assert!(matches!(
        case.run(
            staff(DISTRICT_LABOUR, Role::Handler),
            at(2025, 4, 22),
            Command::RequestExtension {
                matter: id(),
                days: 5,
                reason: "再延".into()
            }
        ),
        Err(WorkflowError::AlreadyDone(_))
    ));
}

#[test]
fn return_after_five_working_days_is_refused() {
    let mut case = Case::new(Rules::default());
    register_and_transfer(&mut case, at(2024, 9, 26), at(2024, 9, 27));
    // 5 working days after Friday 2024-09-27: 09-29 (Sunday, 调休), 09-30, 10-08, 10-09, 10-10.
    assert_eq!(case.m().return_due, Some(date("2024-10-10")));
    let late = case.run(
        staff(DISTRICT_LABOUR, Role::Handler),
        at(2024, 10, 11),
        Command::ReturnToBureau {
            matter: id(),
            reason: "非本单位职责".into(),
        },
    );
    assert_eq!(
        late.unwrap_err().to_string(),
        "退回期限已于 2024-10-10 届满"
    );
    case.ok(
        staff(DISTRICT_LABOUR, Role::Handler),
        at(2024, 10, 10),
        Command::ReturnToBureau {
            matter: id(),
            reason: "非本单位职责".into(),
        },
    );
    assert_eq!(
        case.m().previous_handlers,
        vec![UnitId::parse(DISTRICT_LABOUR).unwrap()]
    );
}

#[test]
fn evaluation_window_closes_into_expired_and_opens_early_without_an_answer() {
    let mut case = Case::new(Rules::default());
    register_and_transfer(&mut case, at(2025, 6, 2), at(2025, 6, 3));
    case.accept(at(2025, 6, 4));
    // No answer yet: rating opens only after 90 days from receipt (2025-08-31).
    let evaluate = |target| Command::Evaluate {
        matter: id(),
        target,
        rating: Rating::Unsatisfied,
    };
    assert!(matches!(
        case.run(
            petitioner(DISTRICT_BUREAU),
            at(2025, 8, 20),
            evaluate(EvaluationTarget::Bureau)
        ),
        Err(WorkflowError::EvaluationNotOpen)
    ));
    case.ok(
        petitioner(DISTRICT_BUREAU),
        at(2025, 9, 2),
        evaluate(EvaluationTarget::Bureau),
    );
    case.answer(at(2025, 9, 3), Outcome::NotSupported, "不予支持");
    // 30 days from 2025-09-03 is 2025-10-03, inside the 国庆 holiday: the window ends on 2025-10-09.
    assert_eq!(case.m().evaluation_due, Some(date("2025-10-09")));
    let staff_rating = case.ok(
        staff(DISTRICT_BUREAU, Role::Registrar),
        at(2025, 10, 9),
        evaluate(EvaluationTarget::ResponsibleUnit),
    );
    assert!(
        matches!(staff_rating[0], EventBody::Evaluated { proxy: true, .. }),
        "staff ratings are 代评"
    );
    assert!(matches!(
        case.run(
            petitioner(DISTRICT_BUREAU),
            at(2025, 10, 10),
            evaluate(EvaluationTarget::Bureau)
        ),
        Err(WorkflowError::AlreadyDone(_))
    ));

    // Another matter whose window passes unrated: 超期未评价.
    let mut other = Case::new(Rules::default());
    register_and_transfer(&mut other, at(2025, 6, 2), at(2025, 6, 3));
    other.accept(at(2025, 6, 4));
    other.answer(at(2025, 7, 1), Outcome::Supported, "已解决");
    let rules = Rules::default();
    let cal = Calendar::mainland();
    let status = |day: &str| {
        other
            .m()
            .evaluation_status(EvaluationTarget::Bureau, date(day), &rules, &cal)
    };
    assert_eq!(
        status("2025-07-31"),
        EvaluationStatus::Open {
            until: Some(date("2025-07-31"))
        }
    );
    assert_eq!(status("2025-08-01"), EvaluationStatus::Expired);
    let late = other.run(
        petitioner(DISTRICT_BUREAU),
        at(2025, 8, 1),
        evaluate(EvaluationTarget::Bureau),
    );
    assert!(matches!(late, Err(WorkflowError::WindowClosed { .. })));
}

#[test]
fn review_must_go_up_and_hearing_days_do_not_count() {
    let mut case = Case::new(Rules::default());
    register_and_transfer(&mut case, at(2025, 6, 2), at(2025, 6, 3));
    case.accept(at(2025, 6, 4));
    case.answer(at(2025, 7, 1), Outcome::PartlySupported, "部分支持");
    // A sideways unit is no review authority.
    let sideways = case.run(
        petitioner(DISTRICT_BUREAU),
        at(2025, 7, 10),
        Command::RequestReview {
            matter: id(),
            authority: UnitId::parse(DISTRICT_HOUSING).unwrap(),
        },
    );
    assert!(matches!(
        sideways,
        Err(WorkflowError::Invalid {
            field: "authority",
            ..
        })
    ));
    case.ok(
        petitioner(DISTRICT_BUREAU),
        at(2025, 7, 10),
        Command::RequestReview {
            matter: id(),
            authority: UnitId::parse(DISTRICT_GOV).unwrap(),
        },
    );
    assert_eq!(case.m().reviews[0].answer_due, date("2025-08-11")); // 08-09 is a Saturday
    case.ok(
        staff(DISTRICT_GOV, Role::Handler),
        at(2025, 7, 20),
        Command::HoldHearing {
            matter: id(),
            days: 7,
        },
    );
    assert_eq!(case.m().reviews[0].answer_due, date("2025-08-18"));
}
