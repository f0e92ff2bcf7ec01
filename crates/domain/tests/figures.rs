//! The figures of brief §6 on small hand-built histories whose answers were worked out by hand.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use xinfang_domain::catalog::{Channel, EvaluationTarget, Outcome, Rating};
use xinfang_domain::figures::{
    Counts, Figures, GroupBy, Part, Period, Slice, Window, matters_behind, tally,
};
use xinfang_domain::fixtures::{self, *};
use xinfang_domain::ids::{MatterId, UnitId};
use xinfang_domain::petition::ContactRelation;
use xinfang_domain::rules::{Deadlines, Rules};
use xinfang_domain::workflow::{Filing, ReviewDecision, Triage};
use xinfang_domain::{Command, Principal, Role};

/// 09:00 Beijing time on a date.
fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 1, 0, 0).unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn matter(n: u32) -> MatterId {
    MatterId::parse(&format!("XF-{n}")).unwrap()
}

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

fn registrar() -> Principal {
    staff(DISTRICT_BUREAU, Role::Registrar)
}

fn dispatcher() -> Principal {
    staff(DISTRICT_BUREAU, Role::Dispatcher)
}

fn handler(u: &str) -> Principal {
    staff(u, Role::Handler)
}

/// Register contact `contact` of matter `n` (a new matter when `relation` is first).
fn register(
    h: &mut History,
    n: u32,
    contact: &str,
    when: DateTime<Utc>,
    relation: ContactRelation,
) {
    let filing = match relation {
        ContactRelation::First => Filing::NewMatter { matter: matter(n) },
        _ => Filing::Existing {
            matter: matter(n),
            relation,
        },
    };
    h.ok(
        &registrar(),
        when,
        Command::Register {
            filing,
            contact: Box::new(fixtures::draft(contact, when)),
        },
    );
}

/// A 求决 matter registered, sent to the district labour bureau and accepted by it on the given days.
fn accepted(
    h: &mut History,
    n: u32,
    received: DateTime<Utc>,
    sent: DateTime<Utc>,
    accepted: DateTime<Utc>,
) {
    register(h, n, &format!("C-{n}"), received, ContactRelation::First);
    h.ok(
        &dispatcher(),
        sent,
        Command::Triage {
            matter: matter(n),
            triage: Triage::Transfer {
                to: unit(DISTRICT_LABOUR),
                co_handlers: vec![],
            },
        },
    );
    h.ok(
        &handler(DISTRICT_LABOUR),
        accepted,
        Command::Accept { matter: matter(n) },
    );
}

fn answer(h: &mut History, n: u32, when: DateTime<Utc>) {
    h.ok(
        &handler(DISTRICT_LABOUR),
        when,
        Command::Answer {
            matter: matter(n),
            outcome: Outcome::Supported,
            opinion: "经调查，责令用工单位支付拖欠工资".into(),
        },
    );
}

fn counts(h: &History, w: &Window) -> Counts {
    tally(
        h.matters.values(),
        w,
        &h.rules.figures,
        &Slice::default(),
        GroupBy::Total,
    )
    .remove("")
    .unwrap_or_default()
}

fn window(from: &str, to: &str) -> Window {
    Window::closing(Period::new(day(from), day(to)).unwrap())
}

fn as_of(from: &str, to: &str, seen: &str) -> Window {
    Window::new(Period::new(day(from), day(to)).unwrap(), day(seen)).unwrap()
}

#[test]
fn an_approved_extension_moves_the_answer_into_a_later_period_and_makes_it_on_time() {
    let mut h = History::new(Rules::default());
    // Accepted 2025-03-07: due 2025-05-06 (60 days, rolled past 劳动节); extended 30 days to 2025-06-05.
    accepted(&mut h, 1, at(2025, 3, 3), at(2025, 3, 5), at(2025, 3, 7));
    h.ok(
        &handler(DISTRICT_LABOUR),
        at(2025, 4, 20),
        Command::RequestExtension {
            matter: matter(1),
            days: 30,
            reason: "需要协调用工单位".into(),
        },
    );
    h.ok(
        &staff(DISTRICT_LABOUR, Role::Leader),
        at(2025, 4, 21),
        Command::DecideExtension {
            matter: matter(1),
            approve: true,
            note: "同意".into(),
        },
    );
    answer(&mut h, 1, at(2025, 5, 20));

    // Seen in May: the deadline is in June, so May counts no answer at all.
    let may = counts(&h, &window("2025-05-01", "2025-05-31"));
    assert_eq!(may.get(Part::AnswerOnTime) + may.get(Part::AnswerLate), 0);
    let june = Figures::of(
        &counts(&h, &window("2025-06-01", "2025-06-30")),
        &h.rules.figures,
    );
    assert_eq!(
        (
            june.on_time_answer.numerator,
            june.on_time_answer.denominator
        ),
        (1, 1)
    );
    // Seen on 2025-04-20, before the approval, the answer was due on 2025-05-06 and not yet given.
    let before = counts(&h, &as_of("2025-05-01", "2025-05-31", "2025-05-10"));
    assert_eq!(before.get(Part::AnswerOnTime), 0);
    assert_eq!(
        before.get(Part::AnswerOverdue),
        0,
        "the extension was known by then"
    );
    // Both the triage (2 days) and the acceptance (2 days) were on time, in March.
    let march = Figures::of(
        &counts(&h, &window("2025-03-01", "2025-03-31")),
        &h.rules.figures,
    );
    assert_eq!(march.timely_acceptance.value, Some(1.0));
    assert_eq!(march.timely_acceptance.denominator, 2);
}

#[test]
fn without_the_extension_the_same_answer_is_late_and_before_it_overdue() {
    let mut h = History::new(Rules::default());
    accepted(&mut h, 1, at(2025, 3, 3), at(2025, 3, 5), at(2025, 3, 7));
    // Seen on 2025-05-10: due 2025-05-06, still unanswered: overdue.
    let seen = counts(&h, &as_of("2025-05-01", "2025-05-31", "2025-05-10"));
    assert_eq!(seen.get(Part::AnswerOverdue), 1);
    answer(&mut h, 1, at(2025, 5, 20));
    let may = counts(&h, &window("2025-05-01", "2025-05-31"));
    assert_eq!(may.get(Part::AnswerLate), 1);
    assert_eq!(may.get(Part::AnswerOverdue), 0);
    // The drill-down of the late answers is this matter.
    let w = window("2025-05-01", "2025-05-31");
    assert_eq!(
        matters_behind(
            h.matters.values(),
            &w,
            &h.rules.figures,
            &Slice::default(),
            &[Part::AnswerLate]
        ),
        [matter(1)]
    );
}

#[test]
fn working_day_deadlines_across_national_day_and_a_make_up_saturday() {
    let rules = Rules {
        deadlines: Deadlines::default().all_working_days(),
        ..Rules::default()
    };
    let mut h = History::new(rules);
    // Received 2026-09-29: triage due 2026-10-26 (15 working days over 国庆 and the 调休 Saturday 10-10).
    register(&mut h, 1, "C-1", at(2026, 9, 29), ContactRelation::First);
    register(&mut h, 2, "C-2", at(2026, 9, 29), ContactRelation::First);
    assert_eq!(h.matters[&matter(1)].triage_due, day("2026-10-26"));
    // Matter 1 is sent on the deadline itself: on time. Matter 2 the day after: late.
    for (n, when) in [(1, at(2026, 10, 26)), (2, at(2026, 10, 27))] {
        h.ok(
            &dispatcher(),
            when,
            Command::Triage {
                matter: matter(n),
                triage: Triage::Transfer {
                    to: unit(DISTRICT_LABOUR),
                    co_handlers: vec![],
                },
            },
        );
    }
    let oct = counts(&h, &window("2026-10-01", "2026-10-31"));
    assert_eq!(oct.get(Part::DecisionOnTime), 1);
    assert_eq!(oct.get(Part::DecisionLate), 1);
    // The acceptance of matter 1 is due 15 working days after 10-26: 2026-11-16; not yet in October.
    assert_eq!(
        h.matters[&matter(1)].acceptance_due,
        Some(day("2026-11-16"))
    );
    // Counted in calendar days the same triage would have been due on 2026-10-14.
    let mut calendar_days = History::new(Rules::default());
    register(
        &mut calendar_days,
        1,
        "C-1",
        at(2026, 9, 29),
        ContactRelation::First,
    );
    assert_eq!(
        calendar_days.matters[&matter(1)].triage_due,
        day("2026-10-14")
    );
    let oct = counts(&calendar_days, &window("2026-10-01", "2026-10-31"));
    assert_eq!(oct.get(Part::DecisionOverdue), 1);
}

#[test]
fn a_matter_returned_and_sent_to_another_unit_counts_each_units_own_steps() {
    let mut h = History::new(Rules::default());
    register(&mut h, 1, "C-1", at(2025, 6, 2), ContactRelation::First);
    h.ok(
        &dispatcher(),
        at(2025, 6, 3),
        Command::Triage {
            matter: matter(1),
            triage: Triage::Transfer {
                to: unit(DISTRICT_HOUSING),
                co_handlers: vec![],
            },
        },
    );
    h.ok(
        &handler(DISTRICT_HOUSING),
        at(2025, 6, 5),
        Command::ReturnToBureau {
            matter: matter(1),
            reason: "拖欠工资不属于住建部门职责".into(),
        },
    );
    h.ok(
        &dispatcher(),
        at(2025, 6, 6),
        Command::Triage {
            matter: matter(1),
            triage: Triage::Transfer {
                to: unit(DISTRICT_LABOUR),
                co_handlers: vec![],
            },
        },
    );
    h.ok(
        &handler(DISTRICT_LABOUR),
        at(2025, 6, 30),
        Command::Accept { matter: matter(1) },
    );
    let w = window("2025-06-01", "2025-07-31");
    let by_unit = tally(
        h.matters.values(),
        &w,
        &h.rules.figures,
        &Slice::default(),
        GroupBy::Unit,
    );
    // The bureau: two triages, both on time. Housing: its return within the period, on time.
    // Labour: acceptance due 2025-06-21, given 06-30: late.
    assert_eq!(by_unit[DISTRICT_BUREAU].get(Part::DecisionOnTime), 2);
    assert_eq!(by_unit[DISTRICT_HOUSING].get(Part::DecisionOnTime), 1);
    assert_eq!(by_unit[DISTRICT_LABOUR].get(Part::DecisionLate), 1);
    assert_eq!(by_unit[DISTRICT_LABOUR].get(Part::DecisionOnTime), 0);
    // The labour bureau's answer duty is its own, due 60 days after acceptance.
    let m = &h.matters[&matter(1)];
    let last = m.duties.last().unwrap();
    assert_eq!(
        (last.unit.as_str(), last.due),
        (DISTRICT_LABOUR, day("2025-08-29"))
    );
    // A slice of units counts only their steps.
    let labour_only = Slice {
        units: Some([unit(DISTRICT_LABOUR)].into()),
        ..Slice::default()
    };
    let t = tally(
        h.matters.values(),
        &w,
        &h.rules.figures,
        &labour_only,
        GroupBy::Total,
    );
    let f = Figures::of(&t[""], &h.rules.figures);
    assert_eq!(f.timely_acceptance.value, Some(0.0));
    assert_eq!(
        f.contacts, 0,
        "the contact was registered by the district bureau"
    );
}

#[test]
fn a_repeat_89_days_after_the_answer_undoes_one_time_resolution_and_91_days_does_not() {
    let mut h = History::new(Rules::default());
    for n in [1, 2, 3] {
        accepted(&mut h, n, at(2025, 1, 6), at(2025, 1, 7), at(2025, 1, 8));
        answer(&mut h, n, at(2025, 2, 10));
    }
    // 2025-02-10 + 89 days = 2025-05-10; + 91 days = 2025-05-12.
    register(&mut h, 1, "C-1b", at(2025, 5, 10), ContactRelation::Repeat);
    register(&mut h, 2, "C-2b", at(2025, 5, 12), ContactRelation::Repeat);
    let feb = window("2025-02-01", "2025-02-28");
    let late = as_of("2025-02-01", "2025-02-28", "2025-06-30");
    let c = counts(&h, &late);
    assert_eq!(c.get(Part::OneTimeResolved), 2, "matters 2 and 3");
    assert_eq!(c.get(Part::OneTimeNotResolved), 1, "matter 1");
    assert_eq!(
        matters_behind(
            h.matters.values(),
            &late,
            &h.rules.figures,
            &Slice::default(),
            &[Part::OneTimeNotResolved]
        ),
        [matter(1)]
    );
    // As of the period's close nobody had come back yet: all three resolved, all still watched.
    let c = counts(&h, &feb);
    assert_eq!(c.get(Part::OneTimeResolved), 3);
    assert_eq!(c.get(Part::OneTimeWatching), 3);
    // Both repeats are 重复信访 contacts of May, whatever the window of one-time resolution.
    let may = Figures::of(
        &counts(&h, &window("2025-05-01", "2025-05-31")),
        &h.rules.figures,
    );
    assert_eq!(
        (may.repeat_rate.numerator, may.repeat_rate.denominator),
        (2, 2)
    );
    // A rating of 不满意 undoes it too.
    h.ok(
        &fixtures::petitioner(DISTRICT_BUREAU),
        at(2025, 2, 20),
        Command::Evaluate {
            matter: matter(3),
            target: EvaluationTarget::ResponsibleUnit,
            rating: Rating::Unsatisfied,
        },
    );
    assert_eq!(counts(&h, &late).get(Part::OneTimeResolved), 1);
}

#[test]
fn proxy_ratings_are_reported_apart_and_unrated_windows_expire() {
    let mut h = History::new(Rules::default());
    for n in [1, 2, 3] {
        accepted(&mut h, n, at(2025, 1, 6), at(2025, 1, 7), at(2025, 1, 8));
        answer(&mut h, n, at(2025, 2, 10));
    }
    // Evaluation windows close 30 days after the answer: 2025-03-12.
    assert_eq!(
        h.matters[&matter(1)].evaluation_due,
        Some(day("2025-03-12"))
    );
    let petitioner = fixtures::petitioner(DISTRICT_BUREAU);
    let rate = |h: &mut History, who: &Principal, n, target, rating| {
        h.ok(
            who,
            at(2025, 2, 20),
            Command::Evaluate {
                matter: matter(n),
                target,
                rating,
            },
        )
    };
    rate(
        &mut h,
        &petitioner,
        1,
        EvaluationTarget::Bureau,
        Rating::Satisfied,
    );
    rate(
        &mut h,
        &petitioner,
        1,
        EvaluationTarget::ResponsibleUnit,
        Rating::BasicallySatisfied,
    );
    // 代评 by the registrar for matter 2's responsible unit.
    rate(
        &mut h,
        &registrar(),
        2,
        EvaluationTarget::ResponsibleUnit,
        Rating::Unsatisfied,
    );

    let feb = Figures::of(
        &counts(&h, &window("2025-02-01", "2025-02-28")),
        &h.rules.figures,
    );
    assert_eq!(feb.bureau_satisfaction.value, Some(1.0));
    assert_eq!(
        feb.unit_satisfaction.value,
        Some(1.0),
        "the proxy rating is not in it"
    );
    assert_eq!(feb.unit_fully_satisfied.value, Some(0.0));
    assert_eq!(
        (
            feb.proxy_satisfaction.numerator,
            feb.proxy_satisfaction.denominator
        ),
        (0, 1)
    );
    // March holds the windows' close: 6 windows; rated: matter 1 both, matter 2 the unit = 3.
    let march = Figures::of(
        &counts(&h, &window("2025-03-01", "2025-03-31")),
        &h.rules.figures,
    );
    assert_eq!(
        (
            march.participation.numerator,
            march.participation.denominator
        ),
        (3, 6)
    );
    assert_eq!(march.bureau_participation.value, Some(1.0 / 3.0));
    // Seen on 03-12 itself the windows are still open: nothing has expired yet.
    let on_close = counts(&h, &as_of("2025-03-01", "2025-03-31", "2025-03-12"));
    assert_eq!(
        on_close.get(Part::BureauExpired) + on_close.get(Part::UnitExpired),
        0
    );
    assert_eq!(
        on_close.get(Part::BureauRated) + on_close.get(Part::UnitRated),
        3
    );
}

#[test]
fn a_review_and_a_re_review_leave_the_first_answer_where_it_was() {
    let mut h = History::new(Rules::default());
    accepted(&mut h, 1, at(2025, 1, 6), at(2025, 1, 7), at(2025, 1, 8));
    answer(&mut h, 1, at(2025, 2, 10));
    let petitioner = fixtures::petitioner(DISTRICT_BUREAU);
    h.ok(
        &petitioner,
        at(2025, 2, 20),
        Command::RequestReview {
            matter: matter(1),
            authority: unit(DISTRICT_GOV),
        },
    );
    h.ok(
        &staff(DISTRICT_GOV, Role::Handler),
        at(2025, 3, 10),
        Command::HoldHearing {
            matter: matter(1),
            days: 10,
        },
    );
    h.ok(
        &staff(DISTRICT_GOV, Role::Handler),
        at(2025, 3, 25),
        Command::AnswerReview {
            matter: matter(1),
            decision: ReviewDecision::Upheld,
            opinion: "维持原处理意见".into(),
        },
    );
    h.ok(
        &petitioner,
        at(2025, 4, 1),
        Command::RequestReview {
            matter: matter(1),
            authority: unit(CITY_GOV),
        },
    );
    h.ok(
        &staff(CITY_GOV, Role::Handler),
        at(2025, 4, 20),
        Command::AnswerReview {
            matter: matter(1),
            decision: ReviewDecision::Upheld,
            opinion: "维持复查意见".into(),
        },
    );
    let m = &h.matters[&matter(1)];
    let kinds: Vec<_> = m.duties.iter().map(|d| (d.kind, d.unit.as_str())).collect();
    use xinfang_domain::workflow::DutyKind::*;
    assert_eq!(
        kinds,
        [
            (Triage, DISTRICT_BUREAU),
            (Acceptance, DISTRICT_LABOUR),
            (Answer, DISTRICT_LABOUR),
            (Review, DISTRICT_GOV),
            (ReReview, CITY_GOV)
        ]
    );
    // The review was due 2025-03-22, a Saturday, so 03-24; the 10 hearing days move it to 04-03.
    let review = &m.duties[3];
    assert_eq!(review.due, day("2025-03-24"));
    assert_eq!(review.due_as_of(day("2025-03-10")), day("2025-04-03"));
    assert_eq!(review.done_on, Some(day("2025-03-25")));
    // The first answer is still the one 一次性化解率 and 按期答复率 count, in February.
    let feb = Figures::of(
        &counts(&h, &window("2025-02-01", "2025-02-28")),
        &h.rules.figures,
    );
    assert_eq!(feb.one_time_resolution.denominator, 1);
    let april = counts(&h, &window("2025-04-01", "2025-04-30"));
    assert_eq!(
        april.get(Part::AnswerOnTime) + april.get(Part::AnswerLate),
        0
    );
}

#[test]
fn volumes_shares_and_late_registrations_as_of_the_close() {
    let mut h = History::new(Rules::default());
    register(&mut h, 1, "C-1", at(2025, 7, 1), ContactRelation::First);
    register(&mut h, 1, "C-1b", at(2025, 7, 3), ContactRelation::Repeat);
    // An online petition of 6 people, the last day of the period.
    let mut online = fixtures::draft("C-2", at(2025, 7, 15));
    online.channel = Channel::Online;
    online.person_count = 6;
    h.ok(
        &registrar(),
        at(2025, 7, 15),
        Command::Register {
            filing: Filing::NewMatter { matter: matter(2) },
            contact: Box::new(online),
        },
    );
    let w = window("2025-07-01", "2025-07-15");
    let before = Figures::of(&counts(&h, &w), &h.rules.figures);
    assert_eq!((before.contacts, before.persons, before.matters), (3, 8, 2));
    assert_eq!(before.online_share.value, Some(1.0 / 3.0));
    assert_eq!(before.repeat_rate.value, Some(1.0 / 3.0));

    // A letter received on 07-10 but registered on 07-20: not in the bulletin as it closed.
    let mut late = fixtures::draft("C-3", at(2025, 7, 10));
    late.channel = Channel::Letter;
    h.ok(
        &registrar(),
        at(2025, 7, 20),
        Command::Register {
            filing: Filing::NewMatter { matter: matter(3) },
            contact: Box::new(late),
        },
    );
    assert_eq!(Figures::of(&counts(&h, &w), &h.rules.figures), before);
    // Seen as of later, with the correction.
    let corrected = Figures::of(
        &counts(&h, &as_of("2025-07-01", "2025-07-15", "2025-07-31")),
        &h.rules.figures,
    );
    assert_eq!(corrected.contacts, 4);
    // One year earlier there was nothing: the change of volume has no base.
    let earlier = Figures::of(&counts(&h, &w.years_earlier(1)), &h.rules.figures);
    let change = before.change_from(&earlier);
    assert_eq!(
        change[&xinfang_domain::figures::Metric::Contacts].change,
        None
    );
}

#[test]
fn a_bureau_reports_on_its_region_and_a_government_on_its_units() {
    let org = fixtures::org();
    let ids = |unit: &str| -> Vec<String> {
        org.jurisdiction(&UnitId::parse(unit).unwrap())
            .into_iter()
            .map(|u| u.as_str().to_owned())
            .collect()
    };
    assert_eq!(
        ids(DISTRICT_BUREAU),
        [
            DISTRICT_GOV,
            DISTRICT_LABOUR,
            DISTRICT_BUREAU,
            DISTRICT_HOUSING
        ]
    );
    assert_eq!(
        ids(DISTRICT_GOV),
        [DISTRICT_GOV, DISTRICT_LABOUR, DISTRICT_HOUSING]
    );
    let city = ids(CITY_BUREAU);
    assert!(city.contains(&CITY_HOUSING.to_owned()) && city.contains(&DISTRICT_LABOUR.to_owned()));
    assert!(!city.contains(&PROVINCE_BUREAU.to_owned()));
}
