//! The `xinfang` binary end to end, on SQLite and on a real PostgreSQL.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use xinfang_store::{Engine, Store, StoreOptions};

fn xinfang() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xinfang"));
    cmd.env_remove("XINFANG_DATABASE_URL")
        .env_remove("XINFANG_DATA");
    cmd
}

/// Where a test's data lives: a data folder, or a PostgreSQL database.
enum Target {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Target {
    fn sqlite() -> Self {
        Target::Sqlite(tempfile::tempdir().unwrap())
    }

    fn postgres() -> Self {
        let name = xinfang_testkit::unique_name("xfcli");
        Target::Postgres(xinfang_testkit::shared_pg().fresh_database(&name).unwrap())
    }

    fn args(&self) -> Vec<String> {
        match self {
            Target::Sqlite(dir) => vec!["--data".into(), dir.path().display().to_string()],
            Target::Postgres(url) => vec!["--database-url".into(), url.clone()],
        }
    }

    async fn store(&self) -> Store {
        match self {
            Target::Sqlite(dir) => Store::open_dir(dir.path(), &StoreOptions::default())
                .await
                .unwrap(),
            Target::Postgres(url) => Store::open(url, &StoreOptions::default()).await.unwrap(),
        }
    }
}

fn run(target: &Target, args: &[&str]) -> (bool, String) {
    let out = xinfang().args(target.args()).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn demo_verify_and_tamper(target: Target) {
    let (ok, out) = run(
        &target,
        &[
            "demo",
            "--matters",
            "1200",
            "--seed",
            "5",
            "--until",
            "2026-06-30",
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("演示数据已生成：1200 件信访事项"), "{out}");
    assert!(
        !out.contains("工作流拒绝"),
        "every demo step goes through the workflow: {out}"
    );

    let (ok, out) = run(&target, &["verify"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("哈希链完整") && out.contains("当前状态与事件重放结果一致"),
        "{out}"
    );

    let (ok, out) = run(&target, &["status"]);
    assert!(ok, "{out}");
    assert!(out.contains("已办结") && out.contains("办理中"), "{out}");

    // The demo data has what the brief asks for.
    let store = target.store().await;
    let count = |sql: &'static str| {
        let pool = store.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM matters").await, 1200);
    assert!(count("SELECT COUNT(*) FROM contacts WHERE relation = 'repeat'").await > 20);
    assert!(count("SELECT COUNT(*) FROM contacts WHERE relation = 'multi_submission'").await > 5);
    assert!(count("SELECT COUNT(*) FROM events WHERE kind = 'review_requested'").await > 0);
    assert!(count("SELECT COUNT(*) FROM events WHERE kind = 'extension_decided'").await > 10);
    assert!(count("SELECT COUNT(*) FROM events WHERE kind = 'evaluated'").await > 300);
    assert!(count("SELECT COUNT(DISTINCT domain) FROM matters").await >= 17);

    // Someone edits one stored event behind xinfang's back: verify fails and names it.
    let disable = match store.engine() {
        Engine::Sqlite => "DROP TRIGGER events_no_update",
        Engine::Postgres => "ALTER TABLE events DISABLE TRIGGER events_no_update",
    };
    sqlx::query(disable).execute(store.pool()).await.unwrap();
    let seq: i64 =
        sqlx::query_scalar("SELECT MIN(seq) FROM events WHERE kind = 'answered' AND seq > 5000")
            .fetch_one(store.pool())
            .await
            .unwrap();
    sqlx::query("UPDATE events SET payload = replace(payload, '\"outcome\":\"not_supported\"', '\"outcome\":\"supported\"') WHERE seq = $1")
        .bind(seq)
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE events SET at_ms = at_ms + 1 WHERE seq = $1")
        .bind(seq)
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let (ok, out) = run(&target, &["verify"]);
    assert!(!ok, "verify must fail on a tampered log: {out}");
    assert!(out.contains(&format!("问题始于第 {seq} 号事件")), "{out}");
}

#[test]
fn demo_verify_and_tamper_on_sqlite() {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(demo_verify_and_tamper(Target::sqlite()));
}

#[test]
fn demo_verify_and_tamper_on_postgres() {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(demo_verify_and_tamper(Target::postgres()));
}

/// Kill a writing process with SIGKILL at random points, several times; every contact it acknowledged
/// must be there afterwards, and the chain intact.
async fn kill_nine_keeps_acknowledged_events(target: Target) {
    let mut acknowledged = Vec::new();
    // Random kill points, printed so a failing run can be repeated with XINFANG_KILL_DELAYS.
    let delays: Vec<u64> = match std::env::var("XINFANG_KILL_DELAYS") {
        Ok(list) => list.split(',').map(|d| d.trim().parse().unwrap()).collect(),
        Err(_) => {
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as u64;
            (0..4).map(|i| 50 + (seed / (i * 7 + 1)) % 900).collect()
        }
    };
    println!("kill delays (ms): {delays:?}");
    for delay_ms in delays {
        let mut child = xinfang()
            .args(target.args())
            .args(["append-probe", "--count", "100000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            })
        };
        // Let it start writing, then kill it in the middle of its writes.
        let started = Instant::now();
        while lines.lock().unwrap().is_empty() && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let lines = std::mem::take(&mut *lines.lock().unwrap());
        assert!(
            lines.len() > 1,
            "the probe acknowledged too little before the kill"
        );
        acknowledged.extend(lines);
    }
    let store = target.store().await;
    let report = store.verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    for id in &acknowledged {
        let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE id = $1")
            .bind(id.clone())
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(found, 1, "acknowledged contact {id} was lost");
    }
}

#[test]
fn kill_nine_keeps_acknowledged_events_on_sqlite() {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(kill_nine_keeps_acknowledged_events(Target::sqlite()));
}

#[test]
fn kill_nine_keeps_acknowledged_events_on_postgres() {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(kill_nine_keeps_acknowledged_events(Target::postgres()));
}

#[test]
fn init_writes_settings_that_load_back() {
    let target = Target::sqlite();
    let (ok, out) = run(&target, &["init"]);
    assert!(ok, "{out}");
    let Target::Sqlite(dir) = &target else {
        unreachable!()
    };
    let config = std::fs::read_to_string(dir.path().join("xinfang.toml")).unwrap();
    assert!(config.contains("[rules.deadlines.answer]"), "{config}");
    // The written file loads back (status reads it), and environment variables override it.
    let out = xinfang()
        .args(target.args())
        .arg("status")
        .env("XINFANG_RULES__COLLECTIVE_THRESHOLD", "3")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = xinfang()
        .args(target.args())
        .arg("status")
        .env("XINFANG_SQLITE_SYNCHRONOUS", "sometimes")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("sqlite_synchronous"));
    // Nested settings are read from the environment too.
    let bad = xinfang()
        .args(target.args())
        .arg("status")
        .env("XINFANG_RULES__COLLECTIVE_THRESHOLD", "many")
        .output()
        .unwrap();
    assert!(
        !bad.status.success(),
        "a non-number threshold must be refused"
    );
}

/// The one-time password a command printed.
fn printed_password(out: &str) -> String {
    out.lines()
        .find_map(|l| l.split("一次性密码：").nth(1))
        .unwrap_or_else(|| panic!("no password in: {out}"))
        .trim()
        .to_owned()
}

#[test]
fn first_admin_and_staff_accounts_from_the_command_line() {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use xinfang_domain::ids::UserId;
        use xinfang_store::accounts::PasswordCheck;
        let target = Target::sqlite();
        let (ok, out) = run(
            &target,
            &["init", "--unit-name", "江川市信访局", "--region", "339900"],
        );
        assert!(ok, "{out}");
        let admin_password = printed_password(&out);
        let (ok, out) = run(
            &target,
            &[
                "user",
                "add",
                "--id",
                "zhangsan",
                "--name",
                "张三",
                "--unit",
                "339900-xfj",
                "--role",
                "registrar",
                "--role",
                "交办转送人员",
            ],
        );
        assert!(ok, "{out}");
        let staff_password = printed_password(&out);
        assert_ne!(admin_password, staff_password);
        // A second bootstrap is refused; so is an unknown role.
        let (ok, out) = run(
            &target,
            &["init", "--unit-name", "另一个局", "--region", "339900"],
        );
        assert!(!ok && out.contains("已有用户"), "{out}");
        let (ok, out) = run(
            &target,
            &[
                "user",
                "add",
                "--id",
                "x",
                "--name",
                "某",
                "--unit",
                "339900-xfj",
                "--role",
                "boss",
            ],
        );
        assert!(!ok && out.contains("未知角色"), "{out}");

        let store = target.store().await;
        let zhang = UserId::parse("zhangsan").unwrap();
        assert_eq!(
            store.check_password(&zhang, &staff_password).await.unwrap(),
            PasswordCheck::Valid { must_change: true }
        );
        let (ok, out) = run(&target, &["user", "reset", "--id", "zhangsan"]);
        assert!(ok, "{out}");
        let new_password = printed_password(&out);
        assert_eq!(
            store.check_password(&zhang, &staff_password).await.unwrap(),
            PasswordCheck::Invalid
        );
        assert!(matches!(
            store.check_password(&zhang, &new_password).await.unwrap(),
            PasswordCheck::Valid { .. }
        ));
        let (ok, out) = run(&target, &["user", "disable", "--id", "zhangsan"]);
        assert!(ok, "{out}");
        assert_eq!(
            store.check_password(&zhang, &new_password).await.unwrap(),
            PasswordCheck::Invalid
        );
        let admin = UserId::parse("admin").unwrap();
        assert!(matches!(
            store.check_password(&admin, &admin_password).await.unwrap(),
            PasswordCheck::Valid { .. }
        ));
        store.close().await;
        let (ok, out) = run(&target, &["verify"]);
        assert!(ok, "{out}");
    });
}

/// A row of an import file (docs/import.md): one contact and what followed it.
fn row(source_id: &str, id_number: &str) -> String {
    serde_json::json!({
        "source_id": source_id, "channel": "hotline", "received_at": "2025-03-03 09:00",
        "registered_by": "330102-xfj",
        "petitioners": [{"name": "王芳", "id_number": id_number, "phone": "0571-87654321"}],
        "location": {"region": "330102", "address": "某小区"}, "purpose": "suggestion",
        "domain": "城乡建设/物业", "summary": "建议更换小区老旧电梯",
        "events": [{"at": "2025-03-04 09:00", "unit": "330102-xfj", "action": "triage",
                    "decision": "accept_directly"}]
    })
    .to_string()
}

/// `xinfang import` and `xinfang export` end to end.
#[test]
fn import_reports_skips_and_exports() {
    let target = Target::sqlite();
    let Target::Sqlite(data) = &target else {
        unreachable!()
    };
    let dir = data.path();
    let (ok, out) = run(
        &target,
        &["init", "--unit-name", "上城区信访局", "--region", "330102"],
    );
    assert!(ok, "{out}");

    let file = dir.join("history.jsonl");
    std::fs::write(
        &file,
        format!(
            "{}\n{}\n",
            row("RX-1", "11010519491231002X"),
            row("RX-2", "110105194912310021")
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let (ok, out) = run(&target, &["import", file]);
    assert!(!ok, "a rejected row makes the command fail: {out}");
    assert!(out.contains("导入 1 行"), "{out}");
    assert!(out.contains("第 2 行（来源编号 RX-2）"), "{out}");
    assert!(out.contains("校验位"), "{out}");
    assert!(out.contains("错误："), "{out}");

    let (_, out) = run(&target, &["import", file, "--as", "admin"]);
    assert!(out.contains("导入 0 行，已导入跳过 1 行"), "{out}");
    let (ok, out) = run(&target, &["import", file, "--as", "nobody"]);
    assert!(!ok && out.contains("不存在"), "{out}");

    let jsonl = dir.join("out.jsonl");
    let (ok, out) = run(&target, &["export", "--out", jsonl.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("已导出 1 件信访事项、1 个件次"), "{out}");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert!(text.contains("\"source_id\":\"RX-1\"") && text.contains("accept_directly"));

    let xlsx = dir.join("out.xlsx");
    let (ok, out) = run(&target, &["export", "--out", xlsx.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));

    let (ok, out) = run(&target, &["verify"]);
    assert!(ok, "{out}");
}

/// `xinfang classify`: one answer per input line, in order; bad lines get an error on their line and the
/// rest go on; odd texts get a clear answer.
#[test]
fn classify_answers_every_line_in_order() {
    let huge = "工资".repeat(500_000);
    let input = [
        r#"{"text": "建筑公司拖欠我们农民工半年工资，多次讨要无果，恳请帮助追讨欠薪"}"#.to_owned(),
        "not json".to_owned(),
        r#"{"title": "no text field"}"#.to_owned(),
        r#"{"text": ""}"#.to_owned(),
        r#"{"text": "😀🏠\u0007\u001b"}"#.to_owned(),
        String::new(),
        format!(r#"{{"text": "{huge}"}}"#),
        r#"{"text": "实名举报某局局长贪污受贿，请纪委查处"}"#.to_owned(),
    ]
    .join("\n");
    let mut child = xinfang()
        .arg("classify")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(input.as_bytes()).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8, "{lines:?}");
    assert_eq!(lines[0]["domain"], "劳动和社会保障", "{}", lines[0]);
    assert_eq!(lines[0]["purpose"], "demand");
    let confidence = lines[0]["domain_confidence"].as_f64().unwrap();
    assert!(confidence > 0.5 && confidence <= 1.0, "{confidence}");
    let codes: Vec<&str> = lines[1..6]
        .iter()
        .map(|l| l["error"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "invalid_json",
            "missing_text",
            "no_text",
            "no_text",
            "empty_line"
        ]
    );
    assert!(
        lines[3]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("文字")
    );
    assert_eq!(lines[6]["domain"], "劳动和社会保障");
    assert_eq!(lines[7]["purpose"], "accusation", "{}", lines[7]);

    // A file that is not a model is refused with a reason.
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("model.xfc");
    std::fs::write(&bogus, b"not a model").unwrap();
    let out = xinfang()
        .args(["classify", "--model", bogus.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("不是 xinfang 分类模型文件"));
}

/// `xinfang train` from the staff choices in a database: the demo's registered contacts with their
/// matters' domains (two levels) and purposes; the model it writes suggests both.
async fn train_from_staff_choices(target: Target) {
    let (ok, out) = run(
        &target,
        &["demo", "--matters", "700", "--until", "2026-10-31"],
    );
    assert!(ok, "{out}");
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("staff.xfc");
    let model_arg = model.to_str().unwrap();
    let (ok, out) = run(&target, &["train", "--out", model_arg]);
    assert!(ok, "{out}");
    assert!(out.contains("由工作人员的选择学得"), "{out}");
    let mut child = xinfang()
        .args(["classify", "--model", model_arg])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(
            stdin,
            r#"{{"text": "小区物业公司乱收费，电梯长期停运无人维修"}}"#
        )
        .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["purpose_source"], "model", "{answer}");
    assert!(answer["domain"].is_string(), "{answer}");
}

#[test]
fn train_from_staff_choices_on_sqlite() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(train_from_staff_choices(Target::sqlite()));
}

#[test]
fn train_from_staff_choices_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(train_from_staff_choices(Target::postgres()));
}
