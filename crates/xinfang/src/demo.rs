//! `xinfang demo` and the crash-test probe: both write only through the workflow ledger.

use std::io::Write;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use xinfang_demo::{Simulation, Step};
use xinfang_domain::catalog::{Channel, DomainPath, Purpose};
use xinfang_domain::ids::{ContactId, Level, MatterId, RegionCode, UnitId, UserId};
use xinfang_domain::org::{OrgCommand, Region, Unit, UnitKind, User};
use xinfang_domain::petition::{ContactDraft, DeclaredFlags, Location};
use xinfang_domain::workflow::Filing;
use xinfang_domain::{Change, Command, Principal, Role};

use crate::config::Settings;

/// Commands per transaction: large enough to amortise commits, small enough to keep memory flat.
pub const BATCH: usize = 5_000;

pub async fn run(
    settings: &Settings,
    matters: u32,
    seed: u64,
    until: NaiveDate,
) -> anyhow::Result<()> {
    anyhow::ensure!(matters > 0, "--matters 应大于 0");
    let (settings, ledger) = empty_demo_ledger(settings, "演示数据").await?;
    let started = Instant::now();
    // Generate on a blocking thread while the previous batch is being written.
    let (tx, rx) = mpsc::sync_channel::<Vec<Step>>(2);
    let mut sim = Simulation::new(seed, matters, until);
    let city_bureau = sim.city_bureau();
    let generator = tokio::task::spawn_blocking(move || {
        loop {
            let batch = sim.next_batch(BATCH);
            if batch.is_empty() || tx.send(batch).is_err() {
                break;
            }
        }
    });
    let mut written = 0usize;
    let mut refused = Vec::new();
    let mut events = 0usize;
    let mut rx = Some(rx);
    loop {
        let receiver = rx.take().expect("receiver");
        let (batch, receiver) =
            tokio::task::spawn_blocking(move || (receiver.recv().ok(), receiver)).await?;
        rx = Some(receiver);
        let Some(batch) = batch else { break };
        let changes = batch
            .into_iter()
            .map(|s| (s.principal, s.at, s.change))
            .collect();
        for (i, result) in ledger.execute_batch(changes).await?.into_iter().enumerate() {
            match result {
                Ok(evs) => {
                    written += 1;
                    events += evs.len();
                }
                Err(e) => refused.push(format!("#{}: {e}", written + refused.len() + i)),
            }
        }
    }
    generator.await?;
    let elapsed = started.elapsed();
    println!(
        "演示数据已生成：{matters} 件信访事项，{written} 个操作，{events} 个事件，用时 {:.1} 秒（{}）",
        elapsed.as_secs_f64(),
        settings.describe_target()
    );
    // An administrator and one account for each staff role, to sign in to the console with: at the city's
    // petition bureau, and at its housing bureau for handling.
    let operator = xinfang_demo::admin();
    let housing = city_bureau.replace("-xfj", "-zjj");
    let accounts: [(&str, &str, &str, Vec<Role>); 7] = [
        ("admin", "系统管理员", &city_bureau, vec![Role::Admin]),
        ("dengji", "登记员", &city_bureau, vec![Role::Registrar]),
        ("fenliu", "交办员", &city_bureau, vec![Role::Dispatcher]),
        ("ducha", "督查员", &city_bureau, vec![Role::Supervisor]),
        ("lingdao", "信访局领导", &city_bureau, vec![Role::Leader]),
        ("chengban", "住建局承办人", &housing, vec![Role::Handler]),
        ("fenxi", "分析员", &city_bureau, vec![Role::Analyst]),
    ];
    println!("登录账号（首次登录须修改一次性密码）：");
    for (id, name, unit, roles) in accounts {
        let user = UserId::parse(id)?;
        let labels: Vec<&str> = roles.iter().map(|r| r.label()).collect();
        let create = OrgCommand::CreateUser(User {
            id: user.clone(),
            name: name.into(),
            unit: UnitId::parse(unit)?,
            roles,
            active: true,
        });
        ledger
            .execute(&operator, Utc::now(), Change::Org(create))
            .await?;
        let password = xinfang_store::accounts::one_time_password();
        ledger
            .set_password(&operator, Utc::now(), &user, password.clone())
            .await?;
        println!(
            "  {id:<9}{}（{unit}）一次性密码：{password}",
            labels.join("、")
        );
    }
    if !refused.is_empty() {
        println!("工作流拒绝了 {} 个操作，例如：", refused.len());
        for r in refused.iter().take(5) {
            println!("  {r}");
        }
    }
    Ok(())
}

/// The settings and ledger of a new database for demo data (`what` names it in the refusal): the demo's
/// texts use second-level domains beyond the brief's examples, and it is written only to an empty log.
pub async fn empty_demo_ledger(
    settings: &Settings,
    what: &str,
) -> anyhow::Result<(Settings, xinfang_store::Ledger)> {
    let mut settings = settings.clone();
    settings.rules.domains = xinfang_demo::domain_tree();
    let ledger = crate::open_ledger(&settings).await?;
    let (head, _) = ledger.head().await?;
    anyhow::ensure!(
        head == 0,
        "{} 中已有 {head} 个事件：{what}只能写入新的数据库（请换一个 --data 目录）",
        settings.describe_target()
    );
    Ok((settings, ledger))
}

/// Register one small matter per transaction, printing each contact id once committed. A crash test
/// kills this process and checks that every printed id survived.
pub async fn append_probe(settings: &Settings, count: u32) -> anyhow::Result<()> {
    let ledger = crate::open_ledger(settings).await?;
    let admin = xinfang_demo::admin();
    let bureau = UnitId::parse("probe-bureau")?;
    let code = RegionCode::parse("339900")?;
    if ledger.org().await?.unit(&bureau).is_none() {
        for change in [
            OrgCommand::DefineRegion(Region {
                code: code.clone(),
                name: "测试市".into(),
            }),
            OrgCommand::CreateUnit(Unit {
                id: bureau.clone(),
                name: "测试市信访局".into(),
                kind: UnitKind::PetitionBureau,
                level: Level::City,
                region: code.clone(),
                parent: None,
                domains: Vec::new(),
            }),
        ] {
            ledger
                .execute(&admin, Utc::now(), Change::Org(change))
                .await?;
        }
    }
    let clerk = Principal {
        user: UserId::parse("probe-clerk")?,
        unit: bureau,
        roles: vec![Role::Registrar],
    };
    let pid = std::process::id();
    let mut out = std::io::stdout().lock();
    for n in 0..count {
        let contact = ContactId::parse(&format!("P{pid}-{n}"))?;
        let now = Utc::now();
        let draft = ContactDraft {
            id: contact.clone(),
            channel: Channel::Letter,
            received_at: now,
            petitioners: Vec::new(),
            person_count: 1,
            location: Location {
                region: code.clone(),
                address: String::new(),
            },
            target: None,
            purpose: Purpose::Suggestion,
            domain: DomainPath::new("其他", None),
            summary: "测试登记".into(),
            full_text: String::new(),
            demands: String::new(),
            attachments: Vec::new(),
            flags: DeclaredFlags::default(),
        };
        let command = Command::Register {
            filing: Filing::NewMatter {
                matter: MatterId::parse(&format!("M{pid}-{n}"))?,
            },
            contact: Box::new(draft),
        };
        ledger
            .execute(&clerk, now, Change::Matter(command))
            .await
            .context("登记失败")?;
        writeln!(out, "{contact}")?;
        out.flush()?;
    }
    Ok(())
}
