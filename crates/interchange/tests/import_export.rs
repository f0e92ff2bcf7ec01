//! Import and export end to end, on SQLite and on a real PostgreSQL: mixed good and bad rows, re-import,
//! the flat formats, the export → import round trip, and what a scoped viewer gets.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use xinfang_domain::calendar::Calendar;
use xinfang_domain::catalog::{EvaluationTarget, Outcome, Rating};
use xinfang_domain::fixtures::{self, *};
use xinfang_domain::ids::{MatterId, OrderId, UnitId, UserId};
use xinfang_domain::petition::{ContactRelation, Target};
use xinfang_domain::rules::Rules;
use xinfang_domain::workflow::{Filing, Triage};
use xinfang_domain::{Change, Command, Matter, Role, Status};
use xinfang_interchange::{Format, ImportReport, export_jsonl, export_xlsx, import};
use xinfang_store::{Ledger, Store, StoreOptions};

struct Db {
    store: Store,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path(), &StoreOptions::default())
        .await
        .unwrap();
    Db {
        store,
        _dir: Some(dir),
    }
}

async fn postgres() -> Db {
    let name = xinfang_testkit::unique_name("xfio");
    let url = xinfang_testkit::shared_pg().fresh_database(&name).unwrap();
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    Db { store, _dir: None }
}

macro_rules! on_both_engines {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$scenario(super::sqlite().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$scenario(super::postgres().await).await;
            }
        }
    )*};
}

macro_rules! on_sqlite {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$scenario(super::sqlite().await).await;
            }
        }
    )*};
}

on_both_engines!(
    mixed_jsonl_imports_exactly_the_good_rows,
    export_then_import_reproduces_the_matters
);
on_sqlite!(
    mixed_csv_imports_exactly_the_good_rows,
    mixed_xlsx_imports_exactly_the_good_rows,
    scoped_export_hides_and_masks_identities
);

fn t0() -> DateTime<Utc> {
    // 2025-03-03 09:00 Beijing time, a Monday.
    Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap()
}

fn day(n: i64) -> DateTime<Utc> {
    t0() + Duration::days(n)
}

fn importer() -> UserId {
    UserId::parse("admin").unwrap()
}

async fn ledger_with_org(store: &Store) -> Ledger {
    let ledger = Ledger::new(store.clone(), Rules::default(), Calendar::mainland());
    let setup = fixtures::org_commands()
        .into_iter()
        .map(|c| (fixtures::admin(), t0() - Duration::days(30), Change::Org(c)))
        .collect();
    for r in ledger.execute_batch(setup).await.unwrap() {
        r.unwrap();
    }
    ledger
}

fn mid(s: &str) -> MatterId {
    MatterId::parse(s).unwrap()
}

/// A good row: a wage demand registered at the district bureau.
fn good(source_id: &str) -> Value {
    json!({
        "source_id": source_id,
        "channel": "visit",
        "received_at": "2025-03-03 09:00",
        "registered_by": DISTRICT_BUREAU,
        "petitioners": [{"name": "张建国", "id_number": "11010519491231002X", "phone": "13800138000",
                         "address": "江川市上城区望江街道"}],
        "person_count": 1,
        "location": {"region": "330102", "address": "望江街道某工地"},
        "purpose": "demand",
        "domain": "劳动和社会保障/拖欠农民工工资",
        "summary": "反映某工地拖欠农民工工资八万元",
        "full_text": "本人在某工地务工，包工头拖欠工资至今未付。",
        "demands": "要求支付拖欠的工资"
    })
}

fn with(mut row: Value, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    f(row.as_object_mut().unwrap());
    row
}

/// The events of a matter transferred, accepted, answered and rated by the petitioner.
fn history() -> Value {
    json!([
        {"at": "2025-03-04 10:00", "unit": DISTRICT_BUREAU, "action": "triage", "decision": "transfer",
         "to": DISTRICT_LABOUR},
        {"at": "2025-03-05 10:00", "unit": DISTRICT_LABOUR, "action": "accept"},
        {"at": "2025-03-20 10:00", "unit": DISTRICT_LABOUR, "action": "answer", "outcome": "supported",
         "opinion": "已责令施工单位支付工资。"},
        {"at": "2025-03-22 10:00", "unit": DISTRICT_BUREAU, "action": "evaluate", "target": "bureau",
         "rating": "satisfied"}
    ])
}

/// The mixed content of every format's test: (row content, what the bad ones must be rejected for).
/// Row numbers are assigned by each format.
enum Line {
    Good(Value),
    Bad(Value, &'static str),
    BrokenUtf8,
}

fn mixed(long_field: &'static str, long_len: usize) -> Vec<Line> {
    vec![
        Line::Good(with(good("G-1"), |r| {
            r.insert("events".into(), history());
        })),
        Line::Bad(
            with(good("B-ID"), |r| {
                r["petitioners"][0]["id_number"] = json!("110105194912310021");
            }),
            "校验位",
        ),
        Line::Bad(
            with(good("B-REGION"), |r| {
                r["location"]["region"] = json!("330199");
            }),
            "330199",
        ),
        Line::Bad(
            with(good("B-MISSING"), |r| {
                r.remove("summary");
            }),
            "摘要",
        ),
        Line::BrokenUtf8,
        Line::Bad(
            with(good("B-LONG"), |r| {
                r.insert(long_field.into(), json!("字".repeat(long_len)));
            }),
            "不得超过",
        ),
        Line::Bad(
            with(good("B-HISTORY"), |r| {
                // Accepted by a unit it was never sent to.
                r.insert(
                    "events".into(),
                    json!([{"at": "2025-03-04 10:00", "unit": DISTRICT_LABOUR, "action": "accept"}]),
                );
            }),
            "待分流",
        ),
        Line::Good(good("G-2")),
        Line::Good(with(good("G-3"), |r| {
            r.insert("matter".into(), json!("G-1"));
            r.insert("relation".into(), json!("repeat"));
            r.insert("received_at".into(), json!("2025-04-01T09:00:00+08:00"));
        })),
        Line::Bad(good("G-2"), "重复"),
    ]
}

const GOOD: [&str; 3] = ["G-1", "G-2", "G-3"];

fn jsonl(lines: &[Line]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        match l {
            Line::Good(v) | Line::Bad(v, _) => out.extend(v.to_string().into_bytes()),
            Line::BrokenUtf8 => {
                out.extend(b"{\"source_id\": \"B-UTF8\", \"summary\": \"\xE5\xB7\xA5\xFF\xFE\"}")
            }
        }
        out.push(b'\n');
    }
    out
}

/// The reasons expected for the bad rows, by row number, given the number of the first line.
fn expected_bad(lines: &[Line], first_row: usize) -> Vec<(usize, &'static str)> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| match l {
            Line::Good(_) => None,
            Line::Bad(_, why) => Some((i + first_row, *why)),
            Line::BrokenUtf8 => Some((i + first_row, "UTF-8")),
        })
        .collect()
}

fn assert_report(report: &ImportReport, lines: &[Line], first_row: usize) {
    let expected = expected_bad(lines, first_row);
    let got: Vec<usize> = report.rejected.iter().map(|r| r.row).collect();
    assert_eq!(
        got,
        expected.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        "{}",
        report.summary_text()
    );
    for (r, (_, why)) in report.rejected.iter().zip(&expected) {
        assert!(
            r.reason.contains(why),
            "row {} should say {why}: {}",
            r.row,
            r.reason
        );
    }
    assert_eq!(report.imported, GOOD.len(), "{}", report.summary_text());
    assert_eq!(report.rows, lines.len());
}

async fn assert_only_good_rows_exist(ledger: &Ledger) {
    let g1 = ledger.matter(&mid("G-1")).await.unwrap().unwrap();
    assert_eq!(g1.status, Status::Answered);
    assert_eq!(g1.contacts.len(), 2, "G-3 is a repeat of G-1");
    assert_eq!(g1.evaluations.len(), 1);
    assert!(!g1.evaluations[0].proxy, "rated by the petitioner");
    assert_eq!(
        g1.answer.as_ref().unwrap().by.as_str(),
        DISTRICT_LABOUR,
        "the historical unit is the actor's unit"
    );
    assert!(ledger.matter(&mid("G-2")).await.unwrap().is_some());
    for bad in [
        "B-ID",
        "B-REGION",
        "B-MISSING",
        "B-LONG",
        "B-HISTORY",
        "B-UTF8",
    ] {
        assert!(
            ledger.matter(&mid(bad)).await.unwrap().is_none(),
            "{bad} left something behind"
        );
    }
    let summary = ledger
        .store()
        .summary(chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap())
        .await
        .unwrap();
    assert_eq!(summary.matters, 2);
    assert_eq!(summary.contacts, 3);
}

async fn assert_intact(store: &Store) {
    let report = store.verify().await.unwrap();
    assert!(report.is_intact(), "verify: {report:?}");
}

async fn mixed_jsonl_imports_exactly_the_good_rows(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    let lines = mixed("full_text", 50_001);
    let file = jsonl(&lines);
    let report = import(&ledger, &importer(), Format::Jsonl, &file)
        .await
        .unwrap();
    assert_report(&report, &lines, 1);
    let history = report.rejected.iter().find(|r| r.row == 7).unwrap();
    assert_eq!(history.field.as_deref(), Some("events[0]"));
    assert_eq!(history.source_id.as_deref(), Some("B-HISTORY"));
    assert_only_good_rows_exist(&ledger).await;
    assert_intact(&db.store).await;

    let head = ledger.head().await.unwrap();
    let again = import(&ledger, &importer(), Format::Jsonl, &file)
        .await
        .unwrap();
    assert_eq!(again.imported, 0);
    assert_eq!(again.skipped, GOOD.len());
    assert_eq!(again.rejected.len(), report.rejected.len());
    assert_eq!(
        ledger.head().await.unwrap(),
        head,
        "a re-import writes nothing"
    );
}

fn csv_file(lines: &[Line]) -> Vec<u8> {
    let headers = [
        "来源编号",
        "事项编号",
        "件次关系",
        "信访形式",
        "收到时间",
        "登记单位",
        "信访人姓名",
        "身份证号码",
        "联系电话",
        "人数",
        "问题发生地区划代码",
        "信访目的",
        "内容分类",
        "摘要",
        "全文",
        "诉求",
        "办理记录",
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers).unwrap();
    for l in lines {
        let cells: Vec<Vec<u8>> = match l {
            Line::BrokenUtf8 => {
                let mut cells = vec![Vec::new(); headers.len()];
                cells[0] = b"B-UTF8".to_vec();
                cells[13] = b"\xE5\xB7\xA5\xFF".to_vec();
                cells
            }
            Line::Good(v) | Line::Bad(v, _) => {
                let s = |k: &str| -> Vec<u8> {
                    match &v[k] {
                        Value::Null => Vec::new(),
                        Value::String(s) => s.clone().into_bytes(),
                        other => other.to_string().into_bytes(),
                    }
                };
                let p = &v["petitioners"][0];
                vec![
                    s("source_id"),
                    s("matter"),
                    s("relation"),
                    // Clerks write the Chinese label.
                    "来访".into(),
                    s("received_at"),
                    s("registered_by"),
                    p["name"].as_str().unwrap_or_default().into(),
                    p["id_number"].as_str().unwrap_or_default().into(),
                    p["phone"].as_str().unwrap_or_default().into(),
                    s("person_count"),
                    v["location"]["region"].as_str().unwrap_or_default().into(),
                    "申诉求决".into(),
                    s("domain"),
                    s("summary"),
                    s("full_text"),
                    s("demands"),
                    s("events"),
                ]
            }
        };
        w.write_record(&cells).unwrap();
    }
    w.into_inner().unwrap()
}

async fn mixed_csv_imports_exactly_the_good_rows(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    let lines = mixed("full_text", 50_001);
    let report = import(&ledger, &importer(), Format::Csv, &csv_file(&lines))
        .await
        .unwrap();
    // The header is row 1.
    assert_report(&report, &lines, 2);
    assert_only_good_rows_exist(&ledger).await;
    assert_intact(&db.store).await;
}

async fn mixed_xlsx_imports_exactly_the_good_rows(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    // Excel cells hold at most 32,767 characters: the oversized text here is the demands (limit 5,000).
    let lines: Vec<Line> = mixed("demands", 5_001)
        .into_iter()
        .filter(|l| !matches!(l, Line::BrokenUtf8))
        .collect();
    let csv = csv_file(&lines);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_slice());
    for (r, record) in reader.records().enumerate() {
        for (c, cell) in record.unwrap().iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            // Numbers typed as numbers, as a clerk's sheet has them.
            match cell.parse::<f64>() {
                Ok(n) if c == 9 || c == 10 => sheet.write_number(r as u32, c as u16, n),
                _ => sheet.write_string(r as u32, c as u16, cell),
            }
            .unwrap();
        }
    }
    let file = book.save_to_buffer().unwrap();
    let report = import(&ledger, &importer(), Format::Xlsx, &file)
        .await
        .unwrap();
    assert_report(&report, &lines, 2);
    assert_only_good_rows_exist(&ledger).await;
    assert_intact(&db.store).await;
}

async fn run(ledger: &Ledger, who: xinfang_domain::Principal, at: DateTime<Utc>, cmd: Command) {
    if let Err(e) = ledger.execute(&who, at, Change::Matter(cmd.clone())).await {
        panic!("{cmd:?} refused: {e}");
    }
}

async fn register(ledger: &Ledger, matter: &str, contact: &str, at: DateTime<Utc>, filing: Filing) {
    let _ = matter;
    run(
        ledger,
        staff(DISTRICT_BUREAU, Role::Registrar),
        at,
        Command::Register {
            filing,
            contact: Box::new(fixtures::draft(contact, at)),
        },
    )
    .await;
}

/// A database written by staff through the workflow, with most kinds of events.
async fn busy_database(ledger: &Ledger) {
    let a = mid("XF-A");
    register(
        ledger,
        "XF-A",
        "C-A1",
        day(0),
        Filing::NewMatter { matter: a.clone() },
    )
    .await;
    let steps = [
        (
            staff(DISTRICT_BUREAU, Role::Dispatcher),
            day(1),
            Command::Triage {
                matter: a.clone(),
                triage: Triage::Assign {
                    to: UnitId::parse(DISTRICT_HOUSING).unwrap(),
                    co_handlers: vec![UnitId::parse(DISTRICT_LABOUR).unwrap()],
                    report_back_days: None,
                },
            },
        ),
        (
            staff(DISTRICT_HOUSING, Role::Handler),
            day(2),
            Command::Accept { matter: a.clone() },
        ),
        (
            staff(DISTRICT_BUREAU, Role::Supervisor),
            day(3),
            Command::IssueSupervision {
                matter: a.clone(),
                order: OrderId::parse("DB-1").unwrap(),
                days: 20,
                note: "请加快办理".into(),
            },
        ),
        (
            staff(DISTRICT_HOUSING, Role::Handler),
            day(40),
            Command::RequestExtension {
                matter: a.clone(),
                days: 20,
                reason: "需要现场核查".into(),
            },
        ),
        (
            staff(DISTRICT_HOUSING, Role::Leader),
            day(41),
            Command::DecideExtension {
                matter: a.clone(),
                approve: true,
                note: "同意".into(),
            },
        ),
        (
            staff(DISTRICT_HOUSING, Role::Handler),
            day(70),
            Command::Answer {
                matter: a.clone(),
                outcome: Outcome::PartlySupported,
                opinion: "部分支持。".into(),
            },
        ),
        (
            staff(DISTRICT_BUREAU, Role::Registrar),
            day(72),
            Command::Evaluate {
                matter: a.clone(),
                target: EvaluationTarget::Bureau,
                rating: Rating::BasicallySatisfied,
            },
        ),
        (
            fixtures::petitioner(DISTRICT_BUREAU),
            day(73),
            Command::RequestReview {
                matter: a.clone(),
                authority: UnitId::parse(DISTRICT_GOV).unwrap(),
            },
        ),
    ];
    for (who, at, cmd) in steps {
        run(ledger, who, at, cmd).await;
    }
    register(
        ledger,
        "XF-A",
        "C-A2",
        day(80),
        Filing::Existing {
            matter: a.clone(),
            relation: ContactRelation::Repeat,
        },
    )
    .await;
    let b = mid("XF-B");
    register(
        ledger,
        "XF-B",
        "C-B1",
        day(5),
        Filing::NewMatter { matter: b.clone() },
    )
    .await;
    run(
        ledger,
        staff(DISTRICT_BUREAU, Role::Dispatcher),
        day(6),
        Command::Triage {
            matter: b,
            triage: Triage::Reject {
                reason: "不属于信访事项".into(),
            },
        },
    )
    .await;
}

/// A matter with the user fields that name who did it (the import records the importer instead).
fn without_users(mut m: Matter) -> Matter {
    for e in &mut m.evaluations {
        e.by = importer();
    }
    if let Some(x) = &mut m.extension {
        x.decided_by = Some(importer());
    }
    m
}

async fn export_then_import_reproduces_the_matters(db: Db) {
    let source = ledger_with_org(&db.store).await;
    busy_database(&source).await;
    let mut first = Vec::new();
    let summary = export_jsonl(&source, None, &mut first).await.unwrap();
    assert_eq!((summary.matters, summary.contacts), (2, 3));

    let fresh = sqlite().await;
    let target = ledger_with_org(&fresh.store).await;
    let report = import(&target, &importer(), Format::Jsonl, &first)
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{}", report.summary_text());
    assert_eq!(report.imported, 3);
    for id in ["XF-A", "XF-B"] {
        let before = source.matter(&mid(id)).await.unwrap().unwrap();
        let after = target.matter(&mid(id)).await.unwrap().unwrap();
        assert_eq!(without_users(after), without_users(before), "{id}");
    }
    let mut second = Vec::new();
    export_jsonl(&target, None, &mut second).await.unwrap();
    assert_eq!(
        String::from_utf8(second).unwrap(),
        String::from_utf8(first).unwrap()
    );
    assert_intact(&fresh.store).await;

    // The XLSX export of the same database is readable and can be imported again as well.
    let (xlsx, _) = export_xlsx(&source, None).await.unwrap();
    let third = sqlite().await;
    let target = ledger_with_org(&third.store).await;
    let report = import(&target, &importer(), Format::Xlsx, &xlsx)
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{}", report.summary_text());
    assert_eq!(report.imported, 3);
    let a = target.matter(&mid("XF-A")).await.unwrap().unwrap();
    assert_eq!(a.status, Status::UnderReview);
}

async fn scoped_export_hides_and_masks_identities(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    // About the district labour bureau, and handled by it.
    let mut draft = fixtures::draft("C-T", t0());
    draft.target = Some(Target {
        name: "上城区人力资源和社会保障局".into(),
        unit: Some(UnitId::parse(DISTRICT_LABOUR).unwrap()),
    });
    run(
        &ledger,
        staff(DISTRICT_BUREAU, Role::Registrar),
        t0(),
        Command::Register {
            filing: Filing::NewMatter {
                matter: mid("XF-T"),
            },
            contact: Box::new(draft),
        },
    )
    .await;
    run(
        &ledger,
        staff(DISTRICT_BUREAU, Role::Dispatcher),
        day(1),
        Command::Triage {
            matter: mid("XF-T"),
            triage: Triage::Transfer {
                to: UnitId::parse(DISTRICT_LABOUR).unwrap(),
                co_handlers: vec![],
            },
        },
    )
    .await;
    // Registered at the city bureau and kept there: out of the district's scope.
    let city = fixtures::draft("C-CITY", t0());
    run(
        &ledger,
        staff(CITY_BUREAU, Role::Registrar),
        t0(),
        Command::Register {
            filing: Filing::NewMatter {
                matter: mid("XF-CITY"),
            },
            contact: Box::new(city),
        },
    )
    .await;

    let export = |who: xinfang_domain::Principal| {
        let ledger = ledger.clone();
        async move {
            let mut out = Vec::new();
            let s = export_jsonl(&ledger, Some(&who), &mut out).await.unwrap();
            (String::from_utf8(out).unwrap(), s)
        }
    };

    let (text, summary) = export(staff(DISTRICT_LABOUR, Role::Handler)).await;
    assert!(!text.contains("XF-CITY"), "out of scope: {text}");
    let row: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(row["source_id"], "C-T");
    assert_eq!(row["identity"], "hidden");
    assert_eq!(row["petitioners"], json!([]));
    assert_eq!(row["full_text"], "");
    for personal in ["张建国", "11010519491231002X", "13800138000", "望江街道\""] {
        assert!(
            !text.contains(personal),
            "{personal} reached the unit complained about"
        );
    }
    assert!(summary.full_identity.is_empty());

    let (text, summary) = export(staff(DISTRICT_BUREAU, Role::Analyst)).await;
    assert!(text.contains("110***********002X") && text.contains("138****8000"));
    assert!(!text.contains("11010519491231002X") && !text.contains("张建国"));
    assert!(summary.full_identity.is_empty());

    let (text, summary) = export(staff(CITY_BUREAU, Role::Registrar)).await;
    assert!(text.contains("11010519491231002X"));
    assert_eq!(
        summary.full_identity.len(),
        2,
        "both matters, for the audit trail"
    );

    // Masked and hidden rows are not raw data: importing them is refused.
    let (masked, _) = export(staff(DISTRICT_BUREAU, Role::Analyst)).await;
    let fresh = sqlite().await;
    let target = ledger_with_org(&fresh.store).await;
    let report = import(&target, &importer(), Format::Jsonl, masked.as_bytes())
        .await
        .unwrap();
    assert_eq!(report.imported, 0);
    assert!(report.rejected.iter().all(|r| r.reason.contains("脱敏")));
}
