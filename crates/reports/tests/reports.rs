//! The reports from a store holding varied histories, on SQLite and PostgreSQL: their numbers are the
//! figures and lists the domain defines, the XLSX holds the JSON's numbers, the PDF's Chinese text
//! extracts, and the bulletin of a closed period comes out byte for byte the same after later events.

use std::collections::BTreeSet;

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, Days, Duration, NaiveDate, TimeZone, Utc};
use xinfang_domain::calendar::Calendar;
use xinfang_domain::figures::{Part, Period, Window, facts};
use xinfang_domain::fixtures::{self, DISTRICT_BUREAU};
use xinfang_domain::ids::UnitId;
use xinfang_domain::rules::Rules;
use xinfang_domain::{Change, Matter};
use xinfang_reports::{Format, PdfInput, Report, ReportKind, ReportRequest, gather, render};
use xinfang_store::{Ledger, Store, StoreOptions};

fn day0() -> DateTime<Utc> {
    // 2025-03-03 09:00 Beijing time, a Monday.
    Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap()
}

async fn with_histories(store: Store) -> (Ledger, Vec<Matter>) {
    let ledger = Ledger::new(store, Rules::default(), Calendar::mainland());
    for c in fixtures::org_commands() {
        ledger
            .execute(
                &fixtures::admin(),
                day0() - Duration::days(30),
                Change::Org(c),
            )
            .await
            .unwrap();
    }
    let (ids, histories) = fixtures::varied_histories(day0(), 60, 11);
    for (who, at, cmd) in histories {
        let _ = ledger.execute(&who, at, Change::Matter(cmd)).await;
    }
    (ledger.clone(), load(&ledger, &ids).await)
}

async fn load(ledger: &Ledger, ids: &[xinfang_domain::ids::MatterId]) -> Vec<Matter> {
    let mut matters = Vec::new();
    for id in ids {
        matters.push(ledger.matter(id).await.unwrap().unwrap());
    }
    matters
}

fn no_pdf(_: &PdfInput) -> Result<Vec<u8>, String> {
    Err("PDF is tested with its engine below".into())
}

async fn report(ledger: &Ledger, kind: ReportKind, w: Window) -> Report {
    let org = ledger.org().await.unwrap();
    let req = ReportRequest {
        kind,
        window: w,
        unit: UnitId::parse(DISTRICT_BUREAU).unwrap(),
        base_year: Some(2024),
    };
    gather(ledger.store(), &org, &req).await.unwrap()
}

fn files(r: &Report) -> Vec<(Format, Vec<u8>)> {
    [Format::Json, Format::Html, Format::Xlsx, Format::Docx]
        .into_iter()
        .map(|f| (f, render(r, f, &no_pdf).unwrap()))
        .collect()
}

/// The overdue list the domain gives: steps owed at the end of `on` whose deadline has passed.
fn overdue_in_domain(
    matters: &[Matter],
    rules: &Rules,
    on: NaiveDate,
) -> BTreeSet<(String, NaiveDate)> {
    matters
        .iter()
        .flat_map(|m| {
            facts(m, &rules.figures).into_iter().filter_map(move |f| {
                f.owed_as_of(on)
                    .filter(|due| *due < on)
                    .map(|due| (m.id.as_str().to_owned(), due))
            })
        })
        .collect()
}

async fn reports_say_what_the_domain_defines(store: Store) {
    let (ledger, matters) = with_histories(store).await;
    let rules = Rules::default();
    // Three months from mid-April 2025: registrations, deadlines, answers and ratings all fall in it.
    let period = Period::new(
        NaiveDate::from_ymd_opt(2025, 4, 16).unwrap(),
        NaiveDate::from_ymd_opt(2025, 7, 15).unwrap(),
    )
    .unwrap();
    let closed = Window::closing(period);
    let bulletin = report(&ledger, ReportKind::Bulletin, closed).await;

    // The figures are the store's sums, which its own suite checks against the domain.
    let slice = xinfang_domain::figures::Slice {
        units: Some(
            ledger
                .org()
                .await
                .unwrap()
                .units()
                .filter(|u| u.id.as_str().starts_with("dist-"))
                .map(|u| u.id.clone())
                .collect(),
        ),
        ..Default::default()
    };
    let counts = xinfang_domain::figures::tally(
        matters.iter(),
        &closed,
        &rules.figures,
        &slice,
        xinfang_domain::figures::GroupBy::Total,
    );
    let counts = counts.get("").cloned().unwrap_or_default();
    let line = |code: &str| bulletin.figures.iter().find(|f| f.code == code).unwrap();
    assert_eq!(line("contacts").numerator, counts.get(Part::Contacts));
    assert!(line("contacts").numerator > 0, "{bulletin:#?}");
    let answers = line("on_time_answer");
    assert_eq!(answers.numerator, counts.get(Part::AnswerOnTime));
    assert_eq!(
        answers.denominator,
        Some(
            counts.get(Part::AnswerOnTime)
                + counts.get(Part::AnswerLate)
                + counts.get(Part::AnswerOverdue)
        )
    );
    assert_eq!(
        line("satisfaction").denominator,
        Some(
            [
                Part::BureauSatisfied,
                Part::BureauBasicallySatisfied,
                Part::BureauUnsatisfied,
                Part::UnitSatisfied,
                Part::UnitBasicallySatisfied,
                Part::UnitUnsatisfied
            ]
            .iter()
            .map(|p| counts.get(*p))
            .sum()
        )
    );

    // The overdue list is every step still owed after its deadline at the period's end.
    let listed: BTreeSet<(String, NaiveDate)> = bulletin
        .overdue
        .rows
        .iter()
        .map(|s| (s.matter.clone(), s.due))
        .collect();
    let want = overdue_in_domain(&matters, &rules, period.to);
    assert!(!want.is_empty());
    assert_eq!(listed, want);
    assert_eq!(bulletin.overdue.total, want.len());
    // The unsatisfied list is the 不满意 ratings of the period, 代评 included and marked.
    let unsatisfied = [
        Part::BureauUnsatisfied,
        Part::BureauProxyUnsatisfied,
        Part::UnitUnsatisfied,
        Part::UnitProxyUnsatisfied,
    ]
    .iter()
    .map(|p| counts.get(*p))
    .sum::<u64>();
    assert_eq!(bulletin.unsatisfied.total as u64, unsatisfied);
    assert!(unsatisfied > 0);
    // Units are ranked, best first; the narrative states the total in the official register.
    assert!(!bulletin.units.is_empty());
    assert_eq!(bulletin.units[0].rank, Some(1));
    assert!(
        bulletin.narrative[0]
            .contains(&format!("共登记信访事项{}件次", counts.get(Part::Contacts))),
        "{:?}",
        bulletin.narrative
    );
    assert_eq!(
        bulletin.subtitle,
        "2025年第8期（2025年4月16日至2025年7月15日）"
    );

    // The XLSX holds the JSON's numbers.
    let before = files(&bulletin);
    let json: serde_json::Value = serde_json::from_slice(&before[0].1).unwrap();
    let xlsx = &before[2].1;
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.clone())).unwrap();
    let sheet = book.worksheet_range("概览").unwrap();
    let mut seen = 0;
    for f in json["figures"].as_array().unwrap() {
        let label = f["label"].as_str().unwrap();
        let row = sheet
            .rows()
            .find(|r| r.first() == Some(&Data::String(label.to_owned())))
            .unwrap_or_else(|| panic!("{label} not in the workbook"));
        let cell = |i: usize| match &row[i] {
            Data::Float(v) => Some(*v),
            Data::Int(v) => Some(*v as f64),
            Data::Empty => None,
            other => panic!("{label}: {other:?}"),
        };
        let near = |a: Option<f64>, b: &serde_json::Value| match (a, b.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (None, None) => true,
            _ => false,
        };
        assert!(
            near(cell(1), &f["value"]),
            "{label}: {:?} vs {}",
            cell(1),
            f["value"]
        );
        assert!(near(cell(2), &f["numerator"]), "{label}");
        assert!(near(cell(4), &f["year_earlier"]), "{label}");
        assert!(near(cell(5), &f["change"]), "{label}");
        seen += 1;
    }
    assert_eq!(seen, bulletin.figures.len());
    let domains = book.worksheet_range("各类问题").unwrap();
    assert_eq!(domains.height() as usize, 1 + bulletin.domains.len());

    // A closed period's bulletin does not move when later events arrive (late letters, acceptances),
    // in any format; seen as of a later day it shows them.
    let later = day0() + Duration::days(400);
    let ids: Vec<_> = matters.iter().map(|m| m.id.clone()).collect();
    for (who, at, cmd) in fixtures::later_corrections(&ids, day0(), later) {
        let _ = ledger.execute(&who, at, Change::Matter(cmd)).await;
    }
    let again = report(&ledger, ReportKind::Bulletin, closed).await;
    assert_eq!(again, bulletin);
    for ((format, a), (_, b)) in before.iter().zip(files(&again)) {
        assert!(*a == b, "{format:?} changed after later events");
    }
    let corrected = Window::new(period, xinfang_domain::workflow::china_date(later)).unwrap();
    let now = report(&ledger, ReportKind::Bulletin, corrected).await;
    assert_ne!(now.figures, bulletin.figures);

    // The daily monitor: a day's intake, and the steps due in the next three days.
    let day = xinfang_domain::workflow::china_date(matters[0].contacts[0].received_at);
    let daily = report(
        &ledger,
        ReportKind::Daily,
        Window::closing(Period::new(day, day).unwrap()),
    )
    .await;
    let soon: BTreeSet<(String, NaiveDate)> = matters
        .iter()
        .flat_map(|m| {
            facts(m, &rules.figures).into_iter().filter_map(move |f| {
                f.owed_as_of(day)
                    .filter(|due| *due >= day && *due <= day + Days::new(3))
                    .map(|due| (m.id.as_str().to_owned(), due))
            })
        })
        .collect();
    let listed: BTreeSet<(String, NaiveDate)> = daily
        .due_soon
        .rows
        .iter()
        .map(|s| (s.matter.clone(), s.due))
        .collect();
    assert_eq!(listed, soon);
    let intake: u64 = daily.intake[0].rows.iter().map(|r| r.contacts).sum();
    assert_eq!(intake, daily.figures[0].numerator);
    assert!(intake > 0);
    let html = String::from_utf8(render(&daily, Format::Html, &no_pdf).unwrap()).unwrap();
    assert!(html.contains("三日内到期事项"));
    assert!(html.contains("<svg"), "the charts are inline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path(), &StoreOptions::default())
        .await
        .unwrap();
    reports_say_what_the_domain_defines(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_on_postgres() {
    let name = xinfang_testkit::unique_name("xfrep");
    let url = xinfang_testkit::shared_pg().fresh_database(&name).unwrap();
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    reports_say_what_the_domain_defines(store).await;
}
