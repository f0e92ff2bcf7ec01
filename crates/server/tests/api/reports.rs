//! Reports through the API on both engines: every format is served with its type, the XLSX holds the
//! JSON's numbers, the PDF's pages render and its Chinese text reads back, and bad requests get a precise
//! error.

use calamine::{Data, Reader, Xlsx};
use chrono::{TimeZone, Utc};
use xinfang_domain::fixtures::{self, CITY_BUREAU, DISTRICT_BUREAU};
use xinfang_domain::{Change, Role};

use super::*;

const BULLETIN: &str = "/api/v1/reports/bulletin?from=2025-04-16&to=2025-07-15";

async fn get_bytes(app: &TestApp, path: &str, token: &str) -> (u16, String, Vec<u8>) {
    let response = bearer_get(app, path, token).await;
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, media, response.bytes().await.unwrap().to_vec())
}

async fn reports_in_every_format(app: &TestApp) {
    let day0 = Utc.with_ymd_and_hms(2025, 3, 3, 1, 0, 0).unwrap();
    let (_, steps) = fixtures::varied_histories(day0, 40, 3);
    for (who, at, cmd) in steps {
        let _ = app.ledger.execute(&who, at, Change::Matter(cmd)).await;
    }
    let analyst = token(app, Role::Analyst, DISTRICT_BUREAU).await;

    let (status, media, json) = get_bytes(app, &format!("{BULLETIN}&format=json"), &analyst).await;
    assert_eq!(status, 200);
    assert_eq!(media, "application/json");
    let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(report["issuer"], "上城区信访局");
    assert!(
        report["figures"][0]["numerator"].as_u64().unwrap() > 0,
        "{report:#}"
    );
    assert!(report["overdue"]["total"].as_u64().unwrap() > 0);

    let (status, media, html) = get_bytes(app, BULLETIN, &analyst).await;
    assert_eq!((status, media.as_str()), (200, "text/html; charset=utf-8"));
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("上城区信访局信访工作情况通报"));
    assert!(
        html.contains("/api/v1/stats/matters?from=2025-04-16"),
        "figures drill down"
    );

    let (status, media, xlsx) = get_bytes(app, &format!("{BULLETIN}&format=xlsx"), &analyst).await;
    assert_eq!(status, 200);
    assert!(media.contains("spreadsheetml"));
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("概览").unwrap();
    for f in report["figures"].as_array().unwrap() {
        let row = sheet
            .rows()
            .find(|r| r[0] == Data::String(f["label"].as_str().unwrap().to_owned()))
            .unwrap();
        match (&row[1], f["value"].as_f64()) {
            (Data::Float(got), Some(want)) => assert!((got - want).abs() < 1e-9, "{f}"),
            (Data::Empty, None) => {}
            (got, _) => panic!("{f}: {got:?}"),
        }
    }

    let (status, media, docx) = get_bytes(app, &format!("{BULLETIN}&format=docx"), &analyst).await;
    assert_eq!(status, 200);
    assert!(media.contains("wordprocessingml"));
    assert_eq!(&docx[..2], b"PK");

    // The PDF: its pages render, its text is the report's, in Chinese, with the fonts embedded.
    let (status, media, pdf) = get_bytes(app, &format!("{BULLETIN}&format=pdf"), &analyst).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(media, "application/pdf");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bulletin.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let file = file.to_str().unwrap();
    match poppler("pdftotext", &["-layout", file, "-"]) {
        // CI installs poppler-utils (.ci/run): there the check must run.
        None if std::env::var_os("CI").is_some() => panic!("poppler-utils missing on CI"),
        None => eprintln!("poppler-utils not installed: PDF text and pages not checked"),
        Some(text) => {
            let text = String::from_utf8(text.stdout).unwrap();
            for words in [
                "上城区信访局信访工作情况通报",
                "2025年第8期",
                "主要指标",
                "按期答复率",
                "超期未办结事项",
            ] {
                assert!(
                    text.contains(words),
                    "{words} not in the PDF's text:\n{text}"
                );
            }
            let contacts = report["figures"][0]["numerator"].to_string();
            assert!(text.contains(&format!("共登记信访事项{contacts}件次")));
            let prefix = dir.path().join("page");
            poppler(
                "pdftoppm",
                &["-png", "-r", "60", file, prefix.to_str().unwrap()],
            );
            let pages: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
                .collect();
            assert!(!pages.is_empty());
            for p in &pages {
                // A blank A4 page at 60 dpi compresses to a few hundred bytes.
                assert!(
                    p.metadata().unwrap().len() > 5_000,
                    "{:?} looks blank",
                    p.path()
                );
            }
            let fonts = poppler("pdffonts", &[file]).unwrap();
            let fonts = String::from_utf8(fonts.stdout).unwrap();
            assert!(fonts.contains("CJK"), "{fonts}");
        }
    }

    // Bad requests: an unknown report, a bad format, a unit outside the scope, a long period.
    expect(
        bearer_get(
            app,
            "/api/v1/reports/monthly?from=2025-04-16&to=2025-04-30",
            &analyst,
        )
        .await,
        404,
    )
    .await;
    for (query, field) in [
        (format!("{BULLETIN}&format=doc"), "format"),
        (format!("{BULLETIN}&unit={CITY_BUREAU}"), "unit"),
        (
            "/api/v1/reports/weekly?from=2024-01-01&to=2025-07-15".to_owned(),
            "from",
        ),
        (
            "/api/v1/reports/weekly?from=2025-07-15&to=2025-07-01".to_owned(),
            "from",
        ),
        (format!("{BULLETIN}&base_year=1900"), "base_year"),
    ] {
        let body = expect(bearer_get(app, &query, &analyst).await, 400).await;
        assert_eq!(body["details"]["field"], field, "{query}: {body}");
    }
    let petitioner = token(app, Role::Petitioner, DISTRICT_BUREAU).await;
    expect(bearer_get(app, BULLETIN, &petitioner).await, 403).await;
}

#[tokio::test]
async fn reports_on_sqlite() {
    let app = spawn_app().await;
    reports_in_every_format(&app).await;
}

#[tokio::test]
async fn reports_on_postgres() {
    let (app, _) = spawn_app_pg().await;
    reports_in_every_format(&app).await;
}

/// Run a poppler tool on `input`, giving its output; None when poppler-utils is not installed.
fn poppler(tool: &str, args: &[&str]) -> Option<std::process::Output> {
    match std::process::Command::new(tool).args(args).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{tool}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(out)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("{tool}: {e}"),
    }
}
