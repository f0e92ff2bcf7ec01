//! What a petitioner reads of their own matter: the steps in plain words, what is owed by when, the
//! ratings and the review they may still ask for; nothing written for staff only.

use chrono::{DateTime, TimeZone, Utc};
use xinfang_domain::catalog::{EvaluationTarget, Outcome, Rating};
use xinfang_domain::fixtures::{self, *};
use xinfang_domain::ids::{MatterId, OrderId, UnitId};
use xinfang_domain::portal::progress;
use xinfang_domain::rules::Rules;
use xinfang_domain::workflow::{Filing, Triage, china_date};
use xinfang_domain::{Command, Role};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 1, 0, 0).unwrap()
}

fn xf1() -> MatterId {
    MatterId::parse("XF-1").unwrap()
}

#[test]
fn the_petitioner_reads_each_step_and_never_a_supervision_note() {
    let mut h = History::new(Rules::default());
    let bureau = staff(DISTRICT_BUREAU, Role::Dispatcher);
    let labour = staff(DISTRICT_LABOUR, Role::Handler);
    h.ok(
        &fixtures::petitioner(DISTRICT_BUREAU),
        at(2025, 3, 3),
        Command::Register {
            filing: Filing::NewMatter { matter: xf1() },
            contact: Box::new(fixtures::draft("C-1", at(2025, 3, 3))),
        },
    );
    let view = |h: &History, day| {
        let m = &h.matters[&xf1()];
        progress(m, &h.org, china_date(day), &h.rules, &h.calendar)
    };
    let p = view(&h, at(2025, 3, 4));
    assert_eq!(p.status_label, "待分流");
    assert!(
        p.next.as_deref().unwrap().contains("前告知您是否受理"),
        "{p:?}"
    );
    assert!(p.ratings.is_empty() && p.review.is_none());

    h.ok(
        &bureau,
        at(2025, 3, 5),
        Command::Triage {
            matter: xf1(),
            triage: Triage::Transfer {
                to: UnitId::parse(DISTRICT_LABOUR).unwrap(),
                co_handlers: vec![],
            },
        },
    );
    h.ok(&labour, at(2025, 3, 6), Command::Accept { matter: xf1() });
    h.ok(
        &staff(DISTRICT_BUREAU, Role::Supervisor),
        at(2025, 4, 1),
        Command::IssueSupervision {
            matter: xf1(),
            order: OrderId::parse("DB-1").unwrap(),
            days: 5,
            note: "承办人不接电话，需约谈".into(),
        },
    );
    let p = view(&h, at(2025, 4, 2));
    assert_eq!(p.status_label, "办理中");
    assert!(
        p.next
            .as_deref()
            .unwrap()
            .starts_with("上城区人力资源和社会保障局应于"),
        "{p:?}"
    );
    h.ok(
        &labour,
        at(2025, 4, 10),
        Command::Answer {
            matter: xf1(),
            outcome: Outcome::Supported,
            opinion: "已责令用人单位支付拖欠工资".into(),
        },
    );
    h.ok(
        &fixtures::petitioner(DISTRICT_BUREAU),
        at(2025, 4, 12),
        Command::Evaluate {
            matter: xf1(),
            target: EvaluationTarget::Bureau,
            rating: Rating::Satisfied,
        },
    );

    let p = view(&h, at(2025, 4, 12));
    let steps: Vec<&str> = p.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        steps,
        [
            "上城区信访局收到并登记您的信访事项",
            "转送（交办）上城区人力资源和社会保障局办理",
            "上城区人力资源和社会保障局受理了您的信访事项",
            "上城区人力资源和社会保障局出具处理意见：支持",
            "对信访部门的评价：满意",
        ]
    );
    let whole = serde_json::to_string(&p).unwrap();
    assert!(
        !whole.contains("约谈"),
        "a supervision note reached the petitioner: {whole}"
    );
    assert_eq!(
        p.answer.as_ref().unwrap().opinion,
        "已责令用人单位支付拖欠工资"
    );
    // The bureau is rated; the responsible unit still may be, until the window closes.
    assert_eq!(p.ratings[0].rated, Some(Rating::Satisfied));
    assert!(p.ratings[1].rated.is_none() && p.ratings[1].open_until.is_some());
    assert_eq!(p.ratings[1].unit_name, "上城区人力资源和社会保障局");
    let review = p.review.as_ref().unwrap();
    assert_eq!(review.stage_label, "复查");
    assert_eq!(review.authorities[0].1, "上城区人民政府");

    // Past the windows nothing more is offered.
    let p = view(&h, at(2025, 9, 1));
    assert!(p.review.is_none());
    assert!(p.ratings[1].expired, "{p:?}");
}

#[test]
fn online_petitions_go_to_the_bureau_of_the_smallest_region_containing_the_place() {
    let org = fixtures::org();
    let code = |s: &str| xinfang_domain::ids::RegionCode::parse(s).unwrap();
    assert_eq!(
        org.bureau_of_region(&code("330102")).unwrap().id.as_str(),
        DISTRICT_BUREAU
    );
    assert_eq!(
        org.bureau_of_region(&code("330100")).unwrap().id.as_str(),
        CITY_BUREAU
    );
    // A district the organisation has no bureau of is received by the city's.
    assert_eq!(
        org.bureau_of_region(&code("330106")).unwrap().id.as_str(),
        CITY_BUREAU
    );
}
