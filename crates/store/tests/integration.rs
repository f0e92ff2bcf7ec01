//! The storage suite, run on SQLite and on a real PostgreSQL (a throwaway cluster started by the test
//! kit, or the server named by XINFANG_TEST_PG_URL).

use chrono::{DateTime, Duration, TimeZone, Utc};
use xinfang_domain::calendar::Calendar;
use xinfang_domain::catalog::{EvaluationTarget, Outcome, Rating};
use xinfang_domain::fixtures::{self, *};
use xinfang_domain::ids::{ContactId, MatterId, UnitId};
use xinfang_domain::petition::ContactRelation;
use xinfang_domain::rules::Rules;
use xinfang_domain::workflow::{Filing, ReviewDecision, Triage};
use xinfang_domain::{Change, Command, Role, Status, WorkflowError};
use xinfang_store::{Engine, Ledger, LedgerError, Store, StoreOptions};

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
    let name = xinfang_testkit::unique_name("xf");
    let url = xinfang_testkit::shared_pg().fresh_database(&name).unwrap();
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    Db { store, _dir: None }
}

/// Each scenario runs once per engine.
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

on_both_engines!(
    full_lifecycle_is_recorded_and_verifiable,
    refused_commands_write_nothing,
    failed_batch_leaves_nothing_half_written,
    refused_group_leaves_nothing_of_itself,
    a_contact_id_is_registered_once,
    concurrent_requests_commit_together_each_on_its_own,
    lists_keep_to_scope_for_wide_and_narrow_units,
    tampered_event_is_named_by_verify,
    tampered_projection_is_named_by_verify,
    two_writers_share_one_chain,
    repeat_contacts_link_to_the_matter,
    figure_rows_follow_a_transaction_of_many_changes,
    flag_lists_follow_orders_issued_and_closed,
);

fn t0() -> DateTime<Utc> {
    // 2025-03-03 09:00 Beijing time, a Monday.
    Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap()
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

async fn run(ledger: &Ledger, who: xinfang_domain::Principal, at: DateTime<Utc>, cmd: Command) {
    if let Err(e) = ledger.execute(&who, at, Change::Matter(cmd.clone())).await {
        panic!("{cmd:?} refused: {e}");
    }
}

async fn register(ledger: &Ledger, matter: &str, contact: &str, at: DateTime<Utc>) {
    run(
        ledger,
        staff(DISTRICT_BUREAU, Role::Registrar),
        at,
        Command::Register {
            filing: Filing::NewMatter {
                matter: mid(matter),
            },
            contact: Box::new(fixtures::draft(contact, at)),
        },
    )
    .await;
}

async fn assert_intact(store: &Store) {
    let report = store.verify().await.unwrap();
    assert!(report.is_intact(), "verify: {report:?}");
}

async fn full_lifecycle_is_recorded_and_verifiable(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    let m = mid("XF-1");
    let day = |n: i64| t0() + Duration::days(n);
    register(&ledger, "XF-1", "C-1", day(0)).await;
    run(
        &ledger,
        staff(DISTRICT_BUREAU, Role::Dispatcher),
        day(2),
        Command::Triage {
            matter: m.clone(),
            triage: Triage::Transfer {
                to: UnitId::parse(DISTRICT_LABOUR).unwrap(),
                co_handlers: vec![],
            },
        },
    )
    .await;
    run(
        &ledger,
        staff(DISTRICT_LABOUR, Role::Handler),
        day(4),
        Command::Accept { matter: m.clone() },
    )
    .await;
    let accepted = ledger.matter(&m).await.unwrap().unwrap();
    assert_eq!(accepted.status, Status::Handling);
    // Accepted 2025-03-07; 60 days later is 2025-05-06, the first working day after the 劳动节 holiday.
    assert_eq!(accepted.answer_due.unwrap().to_string(), "2025-05-06");

    run(
        &ledger,
        staff(DISTRICT_LABOUR, Role::Handler),
        day(40),
        Command::RequestExtension {
            matter: m.clone(),
            days: 30,
            reason: "需要协调施工单位".into(),
        },
    )
    .await;
    run(
        &ledger,
        staff(DISTRICT_LABOUR, Role::Leader),
        day(41),
        Command::DecideExtension {
            matter: m.clone(),
            approve: true,
            note: "同意".into(),
        },
    )
    .await;
    assert_eq!(
        ledger
            .matter(&m)
            .await
            .unwrap()
            .unwrap()
            .answer_due
            .unwrap()
            .to_string(),
        "2025-06-05"
    );
    run(
        &ledger,
        staff(DISTRICT_LABOUR, Role::Handler),
        day(70),
        Command::Answer {
            matter: m.clone(),
            outcome: Outcome::PartlySupported,
            opinion: "已督促施工单位支付部分工资".into(),
        },
    )
    .await;
    for target in EvaluationTarget::BOTH {
        run(
            &ledger,
            petitioner(DISTRICT_BUREAU),
            day(75),
            Command::Evaluate {
                matter: m.clone(),
                target,
                rating: Rating::Unsatisfied,
            },
        )
        .await;
    }
    run(
        &ledger,
        petitioner(DISTRICT_BUREAU),
        day(80),
        Command::RequestReview {
            matter: m.clone(),
            authority: UnitId::parse(DISTRICT_GOV).unwrap(),
        },
    )
    .await;
    run(
        &ledger,
        staff(DISTRICT_GOV, Role::Handler),
        day(95),
        Command::AnswerReview {
            matter: m.clone(),
            decision: ReviewDecision::Upheld,
            opinion: "维持原处理意见".into(),
        },
    )
    .await;
    run(
        &ledger,
        petitioner(DISTRICT_BUREAU),
        day(100),
        Command::RequestReview {
            matter: m.clone(),
            authority: UnitId::parse(CITY_GOV).unwrap(),
        },
    )
    .await;
    run(
        &ledger,
        staff(CITY_GOV, Role::Handler),
        day(120),
        Command::AnswerReview {
            matter: m.clone(),
            decision: ReviewDecision::Upheld,
            opinion: "复核维持".into(),
        },
    )
    .await;
    let final_state = ledger.matter(&m).await.unwrap().unwrap();
    assert_eq!(final_state.status, Status::Final);
    assert_eq!(final_state.reviews.len(), 2);
    assert_eq!(final_state.evaluations.len(), 2);
    assert_intact(&db.store).await;

    // The projection is a fold of the log: rebuilt, it is the same.
    db.store.rebuild_projections().await.unwrap();
    assert_eq!(ledger.matter(&m).await.unwrap().unwrap(), final_state);
    assert_intact(&db.store).await;
}

async fn refused_commands_write_nothing(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    let m = mid("XF-2");
    register(&ledger, "XF-2", "C-2", t0()).await;
    let head = ledger.head().await.unwrap();

    // The wrong unit, the wrong state, the wrong role: each refused with its reason, nothing written.
    let err = ledger
        .execute(
            &staff(CITY_HOUSING, Role::Dispatcher),
            t0(),
            Change::Matter(Command::Triage {
                matter: m.clone(),
                triage: Triage::AcceptDirectly,
            }),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, LedgerError::Workflow(WorkflowError::WrongUnit { .. })),
        "{err}"
    );
    let err = ledger
        .execute(
            &staff(DISTRICT_LABOUR, Role::Registrar),
            t0(),
            Change::Matter(Command::Accept { matter: m.clone() }),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::Workflow(WorkflowError::MissingRole { .. })
        ),
        "{err}"
    );
    let err = ledger
        .execute(
            &staff(DISTRICT_LABOUR, Role::Handler),
            t0(),
            Change::Matter(Command::Accept { matter: m.clone() }),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, LedgerError::Workflow(WorkflowError::WrongState { .. })),
        "{err}"
    );
    assert_eq!(err.to_string(), "事项当前状态为「待分流」，不能受理");
    assert_eq!(ledger.head().await.unwrap(), head);
    assert_eq!(
        ledger.matter(&m).await.unwrap().unwrap().status,
        Status::AwaitingTriage
    );
    assert_intact(&db.store).await;
}

async fn failed_batch_leaves_nothing_half_written(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    let head = ledger.head().await.unwrap();
    let reg = |matter: &str, contact: &str| {
        (
            staff(DISTRICT_BUREAU, Role::Registrar),
            t0(),
            Change::Matter(Command::Register {
                filing: Filing::NewMatter {
                    matter: mid(matter),
                },
                contact: Box::new(fixtures::draft(contact, t0())),
            }),
        )
    };
    // The database fails while writing the second registration's contact (a full disk, a lost
    // connection): the whole batch, including the valid first registration, must leave no trace.
    let sabotage = match db.store.engine() {
        Engine::Sqlite => vec![
            "CREATE TRIGGER boom BEFORE INSERT ON contacts WHEN NEW.id = 'C-boom' \
             BEGIN SELECT RAISE(ABORT, 'boom'); END",
        ],
        Engine::Postgres => vec![
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.id = 'C-boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END; $$",
            "CREATE TRIGGER boom BEFORE INSERT ON contacts FOR EACH ROW EXECUTE FUNCTION boom()",
        ],
    };
    for sql in sabotage {
        sqlx::query(sql).execute(db.store.pool()).await.unwrap();
    }
    assert!(
        ledger
            .execute_batch(vec![reg("XF-A", "C-ok"), reg("XF-B", "C-boom")])
            .await
            .is_err()
    );
    assert_eq!(ledger.head().await.unwrap(), head);
    assert!(ledger.matter(&mid("XF-A")).await.unwrap().is_none());
    assert_intact(&db.store).await;
    // The ledger recovers: the next write goes on from the same head.
    register(&ledger, "XF-A", "C-ok", t0()).await;
    assert_eq!(ledger.head().await.unwrap().0, head.0 + 2);
    assert_intact(&db.store).await;
}

async fn a_contact_id_is_registered_once(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    register(&ledger, "XF-1", "C-same", t0()).await;
    let reg = |matter: &str| {
        (
            staff(DISTRICT_BUREAU, Role::Registrar),
            t0(),
            Change::Matter(Command::Register {
                filing: Filing::NewMatter {
                    matter: mid(matter),
                },
                contact: Box::new(fixtures::draft(
                    if matter == "XF-3" { "C-new" } else { "C-same" },
                    t0(),
                )),
            }),
        )
    };
    // Registered before, and twice within one batch: refused one by one, the rest still commits.
    let results = ledger
        .execute_batch(vec![reg("XF-2"), reg("XF-3"), reg("XF-4")])
        .await
        .unwrap();
    assert!(
        matches!(results[0], Err(WorkflowError::ContactExists(_))),
        "{results:?}"
    );
    assert!(results[1].is_ok());
    assert!(
        matches!(results[2], Err(WorkflowError::ContactExists(_))),
        "{results:?}"
    );
    assert_intact(&db.store).await;
}

async fn refused_group_leaves_nothing_of_itself(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    let registrar = || staff(DISTRICT_BUREAU, Role::Registrar);
    let reg = |matter: &str, contact: &str| {
        (
            registrar(),
            t0(),
            Change::Matter(Command::Register {
                filing: Filing::NewMatter {
                    matter: mid(matter),
                },
                contact: Box::new(fixtures::draft(contact, t0())),
            }),
        )
    };
    let accept_directly = |matter: &str, who| {
        (
            who,
            t0() + Duration::hours(1),
            Change::Matter(Command::Triage {
                matter: mid(matter),
                triage: Triage::AcceptDirectly,
            }),
        )
    };
    let head = ledger.head().await.unwrap().0;
    let results = ledger
        .execute_groups(vec![
            vec![
                reg("XF-G1", "C-G1"),
                accept_directly("XF-G1", staff(DISTRICT_BUREAU, Role::Dispatcher)),
            ],
            // The registration is fine, but a registrar may not triage: the group goes as a whole.
            vec![reg("XF-G2", "C-G2"), accept_directly("XF-G2", registrar())],
            vec![reg("XF-G3", "C-G3")],
        ])
        .await
        .unwrap();
    assert_eq!(results[0].as_ref().unwrap().len(), 3);
    let refusal = results[1].as_ref().unwrap_err();
    assert_eq!(refusal.index, 1);
    assert!(
        matches!(refusal.error, WorkflowError::MissingRole { .. }),
        "{refusal:?}"
    );
    assert_eq!(results[2].as_ref().unwrap().len(), 2);
    assert_eq!(ledger.head().await.unwrap().0, head + 5);
    assert_eq!(
        ledger.matter(&mid("XF-G1")).await.unwrap().unwrap().status,
        Status::Handling
    );
    assert!(ledger.matter(&mid("XF-G2")).await.unwrap().is_none());
    assert!(ledger.matter(&mid("XF-G3")).await.unwrap().is_some());
    assert_intact(&db.store).await;
    // The refused group's contact id is free: the same row can go in once corrected.
    register(&ledger, "XF-G2", "C-G2", t0()).await;
    assert_intact(&db.store).await;
}

/// The ledger writes only the figure rows a transaction changed, against the rows as they stood at its
/// start: several changes to one matter, a refused group after an accepted one on the same matter, a
/// refused group on a matter nothing else changed, a matter opened by a refused group, and a repeat
/// contact that moves every later fact to the next ordinal must all leave the rows `verify` expects.
async fn figure_rows_follow_a_transaction_of_many_changes(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    let day = |n: i64| t0() + Duration::days(n);
    register(&ledger, "XF-H1", "C-H1", day(0)).await;
    register(&ledger, "XF-H2", "C-H2", day(0)).await;
    let dispatcher = || staff(DISTRICT_BUREAU, Role::Dispatcher);
    let handler = || staff(DISTRICT_LABOUR, Role::Handler);
    let registrar = || staff(DISTRICT_BUREAU, Role::Registrar);
    let transfer = |matter: &str| {
        Change::Matter(Command::Triage {
            matter: mid(matter),
            triage: Triage::Transfer {
                to: UnitId::parse(DISTRICT_LABOUR).unwrap(),
                co_handlers: vec![],
            },
        })
    };
    let accept = |matter: &str| {
        Change::Matter(Command::Accept {
            matter: mid(matter),
        })
    };
    let open = |matter: &str, contact: &str| {
        Change::Matter(Command::Register {
            filing: Filing::NewMatter {
                matter: mid(matter),
            },
            contact: Box::new(fixtures::draft(contact, day(1))),
        })
    };
    let results = ledger
        .execute_groups(vec![
            vec![
                (dispatcher(), day(2), transfer("XF-H1")),
                (handler(), day(4), accept("XF-H1")),
            ],
            vec![
                (
                    handler(),
                    day(30),
                    Change::Matter(Command::Answer {
                        matter: mid("XF-H1"),
                        outcome: Outcome::PartlySupported,
                        opinion: "已协调支付部分工资".into(),
                    }),
                ),
                (handler(), day(31), accept("XF-H1")),
            ],
            vec![(
                registrar(),
                day(10),
                Change::Matter(Command::Register {
                    filing: Filing::Existing {
                        matter: mid("XF-H1"),
                        relation: ContactRelation::Repeat,
                    },
                    contact: Box::new(fixtures::draft("C-H1r", day(10))),
                }),
            )],
            vec![
                (dispatcher(), day(2), transfer("XF-H2")),
                (registrar(), day(4), accept("XF-H2")),
            ],
            vec![
                (registrar(), day(1), open("XF-H3", "C-H3")),
                (registrar(), day(2), transfer("XF-H3")),
            ],
            vec![
                (registrar(), day(1), open("XF-H4", "C-H4")),
                (dispatcher(), day(2), transfer("XF-H4")),
            ],
        ])
        .await
        .unwrap();
    let refused: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_err())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(refused, [1, 3, 4], "{results:?}");
    let h1 = ledger.matter(&mid("XF-H1")).await.unwrap().unwrap();
    assert_eq!((h1.status, h1.contacts.len()), (Status::Handling, 2));
    assert!(ledger.matter(&mid("XF-H3")).await.unwrap().is_none());
    assert_intact(&db.store).await;

    run(
        &ledger,
        handler(),
        day(30),
        Command::Answer {
            matter: mid("XF-H1"),
            outcome: Outcome::PartlySupported,
            opinion: "已协调支付部分工资".into(),
        },
    )
    .await;
    assert_intact(&db.store).await;
}

async fn tampered_event_is_named_by_verify(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    register(&ledger, "XF-3", "C-3", t0()).await;
    register(&ledger, "XF-4", "C-4", t0()).await;
    let (head, _) = ledger.head().await.unwrap();
    let target = head - 2; // C-3's registration, which holds the amount
    // The log refuses ordinary updates.
    let refused = sqlx::query("UPDATE events SET payload = payload WHERE seq = $1")
        .bind(target)
        .execute(db.store.pool())
        .await;
    assert!(refused.is_err(), "events must be append-only");
    // Someone with direct access to the database disables that and edits one event.
    let disable = match db.store.engine() {
        Engine::Sqlite => "DROP TRIGGER events_no_update",
        Engine::Postgres => "ALTER TABLE events DISABLE TRIGGER events_no_update",
    };
    sqlx::query(disable).execute(db.store.pool()).await.unwrap();
    sqlx::query("UPDATE events SET payload = replace(payload, '八万元', '八千元') WHERE seq = $1")
        .bind(target)
        .execute(db.store.pool())
        .await
        .unwrap();
    let report = db.store.verify().await.unwrap();
    let chain_break = report.chain_break.expect("the edit must break the chain");
    assert_eq!(chain_break.seq, Some(target));
    assert!(
        chain_break.reason.contains(&format!("第 {target} 号事件")),
        "{}",
        chain_break.reason
    );
}

async fn tampered_projection_is_named_by_verify(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    register(&ledger, "XF-5", "C-5", t0()).await;
    let (head, _) = ledger.head().await.unwrap();
    sqlx::query("UPDATE matters SET status = 'handling' WHERE id = 'XF-5'")
        .execute(db.store.pool())
        .await
        .unwrap();
    let report = db.store.verify().await.unwrap();
    assert!(report.chain_break.is_none());
    let b = report.projection_break.expect("the edit must be found");
    assert_eq!(
        b.seq,
        Some(head),
        "the contact_registered event (channel, flags, petitioner) last changed its row"
    );
    assert!(b.reason.contains("XF-5"), "{}", b.reason);
    // Rebuilding from the log repairs it.
    db.store.rebuild_projections().await.unwrap();
    assert_intact(&db.store).await;
}

async fn two_writers_share_one_chain(db: Db) {
    // Two ledgers stand for two server processes on one database.
    let first = ledger_with_org(&db.store).await;
    let second = Ledger::new(db.store.clone(), Rules::default(), Calendar::mainland());
    let write = |ledger: Ledger, prefix: &'static str| async move {
        for n in 0..25 {
            register(
                &ledger,
                &format!("{prefix}-{n}"),
                &format!("{prefix}-C{n}"),
                t0(),
            )
            .await;
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(write(first.clone(), "A")),
        tokio::spawn(write(second.clone(), "B"))
    );
    a.unwrap();
    b.unwrap();
    // Each sees the other's writes: the cache of one is invalidated by the other's commits.
    run(
        &second,
        staff(DISTRICT_BUREAU, Role::Dispatcher),
        t0() + Duration::days(1),
        Command::Triage {
            matter: mid("A-3"),
            triage: Triage::AcceptDirectly,
        },
    )
    .await;
    run(
        &first,
        staff(DISTRICT_BUREAU, Role::Handler),
        t0() + Duration::days(2),
        Command::Answer {
            matter: mid("A-3"),
            outcome: Outcome::Supported,
            opinion: "已支付".into(),
        },
    )
    .await;
    let report = db.store.verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.matters, 50);
}

async fn repeat_contacts_link_to_the_matter(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    register(&ledger, "XF-6", "C-6", t0()).await;
    let later = t0() + Duration::days(20);
    for (contact, relation, bureau) in [
        ("C-6b", ContactRelation::Repeat, DISTRICT_BUREAU),
        ("C-6c", ContactRelation::MultiSubmission, CITY_BUREAU),
    ] {
        run(
            &ledger,
            staff(bureau, Role::Registrar),
            later,
            Command::Register {
                filing: Filing::Existing {
                    matter: mid("XF-6"),
                    relation,
                },
                contact: Box::new(fixtures::draft(contact, later)),
            },
        )
        .await;
    }
    let m = ledger.matter(&mid("XF-6")).await.unwrap().unwrap();
    let relations: Vec<_> = m.contacts.iter().map(|c| c.relation).collect();
    assert_eq!(
        relations,
        [
            ContactRelation::First,
            ContactRelation::Repeat,
            ContactRelation::MultiSubmission
        ]
    );
    assert_eq!(
        m.status,
        Status::AwaitingTriage,
        "a linked contact does not restart the matter"
    );
    // The same contact cannot be registered twice.
    let err = ledger
        .execute(
            &staff(DISTRICT_BUREAU, Role::Registrar),
            later,
            Change::Matter(Command::Register {
                filing: Filing::Existing {
                    matter: mid("XF-6"),
                    relation: ContactRelation::Repeat,
                },
                contact: Box::new(fixtures::draft("C-6b", later)),
            }),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, LedgerError::Workflow(WorkflowError::ContactExists(ref c)) if c == &ContactId::parse("C-6b").unwrap())
    );
    assert_intact(&db.store).await;
}

on_both_engines!(accounts_keep_hashes_out_of_the_log);

async fn accounts_keep_hashes_out_of_the_log(db: Db) {
    use xinfang_domain::ids::UserId;
    use xinfang_domain::org::{OrgCommand, User};
    use xinfang_store::accounts::PasswordCheck;
    let ledger = ledger_with_org(&db.store).await;
    let id = UserId::parse("wang").unwrap();
    let create = OrgCommand::CreateUser(User {
        id: id.clone(),
        name: "王五".into(),
        unit: UnitId::parse(DISTRICT_BUREAU).unwrap(),
        roles: vec![Role::Registrar],
        active: true,
    });
    ledger
        .execute(&fixtures::admin(), t0(), Change::Org(create))
        .await
        .unwrap();
    let secret = "correct-horse-battery".to_owned();
    ledger
        .set_password(&fixtures::admin(), t0(), &id, secret.clone())
        .await
        .unwrap();
    assert_eq!(
        db.store.check_password(&id, &secret).await.unwrap(),
        PasswordCheck::Valid { must_change: true },
        "a password set by an administrator is a one-time password"
    );
    assert_eq!(
        db.store
            .check_password(&id, "wrong-password")
            .await
            .unwrap(),
        PasswordCheck::Invalid
    );
    assert_eq!(
        db.store
            .check_password(&UserId::parse("nobody").unwrap(), &secret)
            .await
            .unwrap(),
        PasswordCheck::Invalid
    );
    // Too short a password is refused and changes nothing.
    assert!(
        ledger
            .set_password(&fixtures::admin(), t0(), &id, "short".into())
            .await
            .is_err()
    );
    // The log records that a password was set, never the hash.
    let leaked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE payload LIKE '%argon2%'")
            .fetch_one(db.store.pool())
            .await
            .unwrap();
    assert_eq!(leaked, 0);
    // A disabled account cannot sign in, whatever the password.
    let disable = OrgCommand::SetUserActive {
        user: id.clone(),
        active: false,
    };
    ledger
        .execute(&fixtures::admin(), t0(), Change::Org(disable))
        .await
        .unwrap();
    assert_eq!(
        db.store.check_password(&id, &secret).await.unwrap(),
        PasswordCheck::Invalid
    );
    assert!(!ledger.org().await.unwrap().user(&id).unwrap().active);
    // Users are a projection; credentials survive a rebuild.
    db.store.rebuild_projections().await.unwrap();
    assert_intact(&db.store).await;
    let enable = OrgCommand::SetUserActive {
        user: id.clone(),
        active: true,
    };
    ledger
        .execute(&fixtures::admin(), t0(), Change::Org(enable))
        .await
        .unwrap();
    assert!(matches!(
        db.store.check_password(&id, &secret).await.unwrap(),
        PasswordCheck::Valid { .. }
    ));
    assert_intact(&db.store).await;
}

on_both_engines!(organisation_reads_follow_other_writers);

async fn organisation_reads_follow_other_writers(db: Db) {
    use xinfang_domain::ids::UserId;
    use xinfang_domain::org::{OrgCommand, User};
    let reader = ledger_with_org(&db.store).await;
    let before = reader.org().await.unwrap();
    assert_eq!(before.units().count(), 9);
    assert!(
        std::sync::Arc::ptr_eq(&before, &reader.org().await.unwrap()),
        "unchanged: served from memory"
    );
    // Another process adds a user; the reader sees it on its next read.
    let writer = Ledger::new(db.store.clone(), Rules::default(), Calendar::mainland());
    let create = OrgCommand::CreateUser(User {
        id: UserId::parse("zhao").unwrap(),
        name: "赵六".into(),
        unit: UnitId::parse(CITY_BUREAU).unwrap(),
        roles: vec![Role::Supervisor],
        active: true,
    });
    writer
        .execute(&fixtures::admin(), t0(), Change::Org(create))
        .await
        .unwrap();
    let after = reader.org().await.unwrap();
    assert!(after.user(&UserId::parse("zhao").unwrap()).is_some());
    // Matter events do not invalidate it.
    register(&writer, "XF-9", "C-9", t0()).await;
    assert!(std::sync::Arc::ptr_eq(&after, &reader.org().await.unwrap()));
}

async fn concurrent_requests_commit_together_each_on_its_own(db: Db) {
    let ledger = ledger_with_org(&db.store).await;
    register(&ledger, "XF-0", "C-taken", t0()).await;
    let head = ledger.head().await.unwrap().0;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let ledger = ledger.clone();
        tasks.spawn(async move {
            // Every tenth reuses a contact id already registered: refused alone, the others unharmed.
            let contact = if i % 10 == 0 {
                "C-taken".to_owned()
            } else {
                format!("C-{i}")
            };
            let change = Change::Matter(Command::Register {
                filing: Filing::NewMatter {
                    matter: mid(&format!("XF-{}", i + 1)),
                },
                contact: Box::new(fixtures::draft(&contact, t0())),
            });
            let audit = xinfang_store::audit::AuditEntry {
                at_ms: 0,
                user: "u".into(),
                unit: DISTRICT_BUREAU.into(),
                action: "register".into(),
                subject: format!("XF-{}", i + 1),
                detail: String::new(),
                address: "127.0.0.1".into(),
            };
            let result = ledger
                .execute_audited(
                    &staff(DISTRICT_BUREAU, Role::Registrar),
                    t0(),
                    change,
                    audit,
                )
                .await;
            (i, result)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (i, result) = done.unwrap();
        if i % 10 == 0 {
            assert!(
                matches!(
                    result,
                    Err(LedgerError::Workflow(WorkflowError::ContactExists(_)))
                ),
                "{i}: {result:?}"
            );
        } else {
            assert_eq!(result.unwrap().len(), 2, "{i}");
        }
    }
    assert_eq!(ledger.head().await.unwrap().0, head + 36 * 2);
    let (entries, total) = db
        .store
        .audit_entries(&xinfang_store::audit::AuditFilter {
            action: Some("register".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        total, 36,
        "only the accepted requests are in the trail: {entries:?}"
    );
    assert_intact(&db.store).await;
}

async fn lists_keep_to_scope_for_wide_and_narrow_units(db: Db) {
    use xinfang_store::query::MatterQuery;
    let ledger = ledger_with_org(&db.store).await;
    // Enough matters that a bureau's scope takes the wide path (checking each row) rather than collecting
    // its matters first; one in ten goes to the district housing bureau.
    let mut changes = Vec::new();
    for i in 0..2_100 {
        let matter = mid(&format!("XF-W{i:05}"));
        changes.push((
            staff(DISTRICT_BUREAU, Role::Registrar),
            t0(),
            Change::Matter(Command::Register {
                filing: Filing::NewMatter {
                    matter: matter.clone(),
                },
                contact: Box::new(fixtures::draft(&format!("C-W{i:05}"), t0())),
            }),
        ));
        if i % 10 == 0 {
            changes.push((
                staff(DISTRICT_BUREAU, Role::Dispatcher),
                t0() + Duration::hours(1),
                Change::Matter(Command::Triage {
                    matter,
                    triage: Triage::Transfer {
                        to: UnitId::parse(DISTRICT_HOUSING).unwrap(),
                        co_handlers: vec![],
                    },
                }),
            ));
        }
    }
    for r in ledger.execute_batch(changes).await.unwrap() {
        r.unwrap();
    }
    let org = ledger.org().await.unwrap();
    let count = |unit: &str, status: Option<&str>| {
        let q = MatterQuery {
            scope: Some(org.unit_path(&UnitId::parse(unit).unwrap())),
            statuses: status.into_iter().map(str::to_owned).collect(),
            limit: 20,
            ..MatterQuery::default()
        };
        let store = db.store.clone();
        async move {
            let (rows, total) = store.list_matters(&q).await.unwrap();
            (rows.len(), total.count, total.exact)
        }
    };
    // The registering bureau and the bureaus above it: every matter (counted to the cap).
    assert_eq!(count(DISTRICT_BUREAU, None).await, (20, 1_000, false));
    assert_eq!(
        count(PROVINCE_BUREAU, Some("awaiting_acceptance")).await,
        (20, 210, true)
    );
    // The government above the housing bureau: only what was transferred there.
    assert_eq!(count(DISTRICT_GOV, None).await, (20, 210, true));
    assert_eq!(
        count(DISTRICT_HOUSING, Some("awaiting_triage")).await,
        (0, 0, true)
    );
    // Sideways: nothing.
    assert_eq!(count(DISTRICT_LABOUR, None).await, (0, 0, true));
    assert_eq!(count(CITY_HOUSING, None).await, (0, 0, true));
}

on_both_engines!(search_feed_follows_changes_with_contacts);

/// The full-text index reads what changed since a point of the log, with every contact's text.
async fn search_feed_follows_changes_with_contacts(db: Db) {
    use xinfang_store::search_feed::FeedCursor;
    let ledger = ledger_with_org(&db.store).await;
    register(&ledger, "XF-7", "C-7", t0()).await;
    register(&ledger, "XF-8", "C-8", t0()).await;
    let start = FeedCursor::default();
    let all = db.store.matters_changed_after(&start, 10).await.unwrap();
    let ids: Vec<&str> = all.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["XF-7", "XF-8"]);
    assert_eq!(all[0].contacts.len(), 1);
    assert!(!all[0].holder_paths.is_empty());
    // Paging by cursor gives the same walk.
    let first = db.store.matters_changed_after(&start, 1).await.unwrap();
    let cursor = FeedCursor {
        changed_seq: first[0].changed_seq,
        id: Some(first[0].id.clone()),
    };
    let second = db.store.matters_changed_after(&cursor, 1).await.unwrap();
    assert_eq!(second[0].id, "XF-8");
    // A linked contact moves the matter past the cursor, and its text comes with it.
    let head = db.store.head_seq().await.unwrap();
    let later = t0() + Duration::days(3);
    run(
        &ledger,
        staff(DISTRICT_BUREAU, Role::Registrar),
        later,
        Command::Register {
            filing: Filing::Existing {
                matter: mid("XF-7"),
                relation: ContactRelation::Repeat,
            },
            contact: Box::new(fixtures::draft("C-7b", later)),
        },
    )
    .await;
    let since = FeedCursor {
        changed_seq: head,
        id: None,
    };
    let changed = db.store.matters_changed_after(&since, 10).await.unwrap();
    let changed_ids: Vec<(&str, i64)> = changed
        .iter()
        .map(|d| (d.id.as_str(), d.changed_seq))
        .collect();
    assert_eq!(changed.len(), 1, "{changed_ids:?} after {head}");
    assert_eq!(changed[0].contacts.len(), 2);
    assert!(db.store.head_seq().await.unwrap() > head);
    let docs = db
        .store
        .matter_docs(&["XF-8".into(), "nope".into(), "XF-7".into()])
        .await
        .unwrap();
    let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["XF-8", "XF-7"]);
}

on_both_engines!(figures_in_sql_equal_the_domain_definitions);

/// Histories with every kind of step on varied days: returns, extensions, late and missing answers,
/// ratings by petitioners and by staff, repeats before and after 90 days. The figures the store sums in
/// SQL must be those the domain defines, for any window, grouping and slice, before and after a rebuild;
/// and a closed period's counts must not move when later events arrive.
async fn figures_in_sql_equal_the_domain_definitions(db: Db) {
    use xinfang_domain::figures::{GroupBy, Period, Slice, Window, tally};
    let ledger = ledger_with_org(&db.store).await;
    let day0 = t0();
    let (ids, steps) = fixtures::varied_histories(day0, 40, 7);
    for (who, at, cmd) in steps {
        // Some steps are refused on purpose (an extension after the deadline, say): the figures count
        // what happened.
        let _ = ledger.execute(&who, at, Change::Matter(cmd)).await;
    }
    assert_intact(&db.store).await;

    let rules = db.store.figure_rules().clone();
    let domain_counts = |matters: &[xinfang_domain::Matter], w: &Window, slice: &Slice, g| {
        tally(matters.iter(), w, &rules, slice, g)
    };
    let load = || async {
        let mut ms = Vec::new();
        for id in &ids {
            ms.push(ledger.matter(id).await.unwrap().unwrap());
        }
        ms
    };
    let matters = load().await;
    let start = xinfang_domain::workflow::china_date(day0);
    let labour_slice = Slice {
        units: Some([UnitId::parse(DISTRICT_LABOUR).unwrap()].into()),
        ..Slice::default()
    };
    let region_slice = Slice {
        region: Some(xinfang_domain::ids::RegionCode::parse("330100").unwrap()),
        domain: Some("劳动和社会保障".into()),
        ..Slice::default()
    };
    let everything = Slice::default();
    let groups = [
        GroupBy::Total,
        GroupBy::Unit,
        GroupBy::Region { digits: 4 },
        GroupBy::Channel,
    ];
    let mut windows: Vec<Window> = [
        (0, 30, 0),
        (10, 15, 0),
        (30, 60, 45),
        (60, 14, -5),
        (90, 90, 200),
        (150, 30, 0),
        (200, 60, 100),
    ]
    .into_iter()
    .map(|(offset, length, lag)| {
        let from = start + Duration::days(offset);
        let period = Period::new(from, from + Duration::days(length)).unwrap();
        Window::new(period, period.to + Duration::days(lag)).unwrap()
    })
    .collect();
    // Seen on the very days deadlines and evaluation windows end, and the day after: the edges.
    for m in matters.iter().take(12) {
        let edges = m.duties.iter().map(|d| d.due).chain(m.evaluation_due);
        for (k, edge) in edges.enumerate() {
            let period = Period::new(start, edge.max(start)).unwrap();
            let as_of = period.to + Duration::days((k % 2) as i64);
            windows.push(Window::new(period, as_of).unwrap());
        }
    }
    let windows_seen = windows.clone();
    let mut compared = 0;
    for w in windows {
        for (gi, g) in groups.iter().enumerate() {
            let slice = [&everything, &labour_slice, &region_slice][gi % 3];
            let sql = db.store.figure_counts(&w, slice, *g, true).await.unwrap();
            let want = domain_counts(&matters, &w, slice, *g);
            let sql: std::collections::BTreeMap<_, _> = sql
                .into_iter()
                .filter(|(_, c)| c.entries().any(|(_, n)| n > 0))
                .collect();
            let want: std::collections::BTreeMap<_, _> = want
                .into_iter()
                .filter(|(_, c)| c.entries().any(|(_, n)| n > 0))
                .collect();
            assert_eq!(sql, want, "window {w:?}, {g:?}");
            compared += want.len();
        }
    }
    assert!(compared > 20, "the windows count things: {compared}");

    // The day-by-day roll-ups give what the facts give, for every slice and grouping they hold (one
    // dimension besides the unit) and windows seen on or after their last day.
    let nonzero = |rows: std::collections::BTreeMap<String, xinfang_domain::figures::Counts>| {
        rows.into_iter()
            .filter(|(_, c)| c.entries().any(|(_, n)| n > 0))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let rollup_slices = [
        everything.clone(),
        labour_slice.clone(),
        Slice {
            domain: Some("劳动和社会保障".into()),
            ..Slice::default()
        },
        Slice {
            region: Some(xinfang_domain::ids::RegionCode::parse("330100").unwrap()),
            units: labour_slice.units.clone(),
            ..Slice::default()
        },
        Slice {
            channel: Some(xinfang_domain::catalog::Channel::Visit),
            ..Slice::default()
        },
    ];
    let mut rolled = 0;
    for w in windows_seen.iter().filter(|w| w.as_of >= w.period.to) {
        for (si, slice) in rollup_slices.iter().enumerate() {
            let groups = [
                GroupBy::Total,
                GroupBy::Unit,
                GroupBy::Region { digits: 4 },
                GroupBy::Region { digits: 6 },
                GroupBy::Domain,
                GroupBy::Channel,
                GroupBy::Purpose,
            ];
            for g in groups {
                let by_rollups =
                    nonzero(db.store.figure_counts(w, slice, g, si == 1).await.unwrap());
                let by_scan = nonzero(
                    db.store
                        .figure_counts_by_scan(w, slice, g, si == 1)
                        .await
                        .unwrap(),
                );
                assert_eq!(by_rollups, by_scan, "window {w:?}, slice {slice:?}, {g:?}");
                rolled += by_scan.len();
            }
        }
    }
    assert!(
        rolled > 50,
        "the roll-ups were compared on counted things: {rolled}"
    );

    // The drill-down lists the matters the domain says are behind a part.
    let w = Window::closing(Period::new(start, start + Duration::days(200)).unwrap());
    let parts = [
        xinfang_domain::figures::Part::AnswerLate,
        xinfang_domain::figures::Part::DecisionOverdue,
    ];
    let (listed, total) = db
        .store
        .figure_matters(&w, &Slice::default(), &parts, 1000, 0)
        .await
        .unwrap();
    let want = xinfang_domain::figures::matters_behind(
        matters.iter(),
        &w,
        &rules,
        &Slice::default(),
        &parts,
    );
    assert_eq!(listed, want);
    assert_eq!(total as usize, want.len());
    assert!(!want.is_empty());

    // A closed period does not move when later events arrive, nor after a rebuild.
    let closed = Window::closing(Period::new(start, start + Duration::days(60)).unwrap());
    let before = db
        .store
        .figure_counts(&closed, &Slice::default(), GroupBy::Unit, false)
        .await
        .unwrap();
    let later = day0 + Duration::days(400);
    for (who, at, cmd) in fixtures::later_corrections(&ids, day0, later) {
        let _ = ledger.execute(&who, at, Change::Matter(cmd)).await;
    }
    db.store.rebuild_projections().await.unwrap();
    let after = db
        .store
        .figure_counts(&closed, &Slice::default(), GroupBy::Unit, false)
        .await
        .unwrap();
    assert_eq!(before, after);
    // Seen as of today, the late letters are there.
    let corrected =
        Window::new(closed.period, xinfang_domain::workflow::china_date(later)).unwrap();
    let now = db
        .store
        .figure_counts(&corrected, &Slice::default(), GroupBy::Total, false)
        .await
        .unwrap();
    let then = db
        .store
        .figure_counts(&closed, &Slice::default(), GroupBy::Total, false)
        .await
        .unwrap();
    assert!(
        now[""].get(xinfang_domain::figures::Part::Contacts)
            > then[""].get(xinfang_domain::figures::Part::Contacts)
    );
    assert_intact(&db.store).await;
}

/// 督办中 lists read `matter_flags`: a matter joins when an order is issued and leaves when it is closed,
/// in the same transaction as the change; a flag row the log does not explain is named by verify.
async fn flag_lists_follow_orders_issued_and_closed(db: Db) {
    use xinfang_domain::ids::OrderId;
    use xinfang_store::query::MatterQuery;
    let ledger = ledger_with_org(&db.store).await;
    for i in 1..=3 {
        register(&ledger, &format!("XF-F{i}"), &format!("C-F{i}"), t0()).await;
    }
    let supervised = || {
        let store = db.store.clone();
        async move {
            let q = MatterQuery {
                flags: vec!["supervised".into()],
                limit: 20,
                ..MatterQuery::default()
            };
            let (rows, total) = store.list_matters(&q).await.unwrap();
            assert_eq!(total.count as usize, rows.len());
            rows.into_iter().map(|r| r.id).collect::<Vec<_>>()
        }
    };
    assert!(supervised().await.is_empty());
    let order = |matter: &str| Command::IssueSupervision {
        matter: mid(matter),
        order: OrderId::parse("D1").unwrap(),
        days: 10,
        note: "请加快办理".into(),
    };
    let supervisor = || staff(DISTRICT_BUREAU, Role::Supervisor);
    run(
        &ledger,
        supervisor(),
        t0() + Duration::hours(1),
        order("XF-F1"),
    )
    .await;
    run(
        &ledger,
        supervisor(),
        t0() + Duration::hours(1),
        order("XF-F3"),
    )
    .await;
    assert_eq!(supervised().await, ["XF-F1", "XF-F3"]);
    run(
        &ledger,
        supervisor(),
        t0() + Duration::hours(2),
        Command::CloseSupervision {
            matter: mid("XF-F3"),
            order: OrderId::parse("D1").unwrap(),
            note: "已按期办结".into(),
        },
    )
    .await;
    assert_eq!(supervised().await, ["XF-F1"]);
    assert_intact(&db.store).await;

    sqlx::query("INSERT INTO matter_flags (flag, matter_id) VALUES ('supervised', 'XF-F2')")
        .execute(db.store.pool())
        .await
        .unwrap();
    let report = db.store.verify().await.unwrap();
    let b = report
        .projection_break
        .expect("the stray flag must be found");
    assert!(b.reason.contains("XF-F2"), "{}", b.reason);
    db.store.rebuild_projections().await.unwrap();
    assert_intact(&db.store).await;
    assert_eq!(supervised().await, ["XF-F1"]);
}
