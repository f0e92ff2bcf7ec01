//! `xinfang import` and `xinfang export` end to end on SQLite.

use std::process::Command;

fn xinfang(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xinfang"))
        .env_remove("XINFANG_DATABASE_URL")
        .env_remove("XINFANG_DATA")
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

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

#[test]
fn import_reports_skips_and_exports() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let (ok, out) = xinfang(
        dir,
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
    let (ok, out) = xinfang(dir, &["import", file]);
    assert!(!ok, "a rejected row makes the command fail: {out}");
    assert!(out.contains("导入 1 行"), "{out}");
    assert!(out.contains("第 2 行（来源编号 RX-2）"), "{out}");
    assert!(out.contains("校验位"), "{out}");
    assert!(out.contains("错误："), "{out}");

    let (_, out) = xinfang(dir, &["import", file, "--as", "admin"]);
    assert!(out.contains("导入 0 行，已导入跳过 1 行"), "{out}");
    let (ok, out) = xinfang(dir, &["import", file, "--as", "nobody"]);
    assert!(!ok && out.contains("不存在"), "{out}");

    let jsonl = dir.join("out.jsonl");
    let (ok, out) = xinfang(dir, &["export", "--out", jsonl.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("已导出 1 件信访事项、1 个件次"), "{out}");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert!(text.contains("\"source_id\":\"RX-1\"") && text.contains("accept_directly"));

    let xlsx = dir.join("out.xlsx");
    let (ok, out) = xinfang(dir, &["export", "--out", xlsx.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));

    let (ok, out) = xinfang(dir, &["verify"]);
    assert!(ok, "{out}");
}
