//! Documents through the API on both engines: a receipt with its 查询码 at registration, notices only at
//! their step and from their unit, numbers counting per unit, kind and year, an administrator's template
//! used from then on (and a bad one refused), the PDF and DOCX holding the issued text, names masked for
//! a viewer who may not see them, and the log still verifying.

use std::io::Read as _;

use serde_json::json;
use xinfang_domain::Role;
use xinfang_domain::fixtures::{DISTRICT_BUREAU, DISTRICT_HOUSING};

use super::*;

async fn put(
    app: &TestApp,
    path: &str,
    token: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn bytes(app: &TestApp, path: &str, token: &str) -> Vec<u8> {
    let response = bearer_get(app, path, token).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.bytes().await.unwrap().to_vec()
}

/// The text of a DOCX's body.
fn docx_text(docx: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    archive
        .by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    // Keep the runs' text, drop the markup.
    let mut text = String::new();
    let mut in_tag = false;
    for c in xml.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// The text of a PDF as pdftotext reads it; None where poppler-utils is missing (never under CI).
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.pdf");
    std::fs::write(&file, pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .args([file.to_str().unwrap(), "-"])
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "poppler-utils missing on CI"
            );
            eprintln!("SKIPPED: pdftotext not installed");
            None
        }
        Err(e) => panic!("pdftotext: {e}"),
    }
}

async fn documents_from_templates(app: &TestApp) {
    let registrar = token(app, Role::Registrar, DISTRICT_BUREAU).await;
    let dispatcher = token(app, Role::Dispatcher, DISTRICT_BUREAU).await;
    let handler = token(app, Role::Handler, DISTRICT_HOUSING).await;
    let analyst = token(app, Role::Analyst, DISTRICT_BUREAU).await;
    let admin = token(app, Role::Admin, DISTRICT_BUREAU).await;
    let year = xinfang_domain::workflow::china_date(chrono::Utc::now()).format("%Y");

    let mut ids = Vec::new();
    for summary in [
        "反映小区电梯长期停运无人维修",
        "反映小区外墙脱落存在安全隐患",
    ] {
        let registered = expect(
            bearer_post(
                app,
                "/api/v1/matters",
                &registrar,
                &json!({ "contact": contact_json(summary) }),
            )
            .await,
            201,
        )
        .await;
        ids.push((
            registered["matter"].as_str().unwrap().to_owned(),
            registered["contact"].as_str().unwrap().to_owned(),
        ));
    }
    let (id, contact) = ids[0].clone();
    let docs = format!("/api/v1/matters/{id}/documents");

    // The receipt at registration: numbered, with a 查询码 in its text.
    let receipt = expect(
        bearer_post(
            app,
            &docs,
            &registrar,
            &json!({"kind": "receipt", "about": contact}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(receipt["number"], format!("信回执〔{year}〕1号"));
    let code = receipt["query_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 12);
    let receipt_json = expect(
        bearer_get(app, &format!("{docs}/1?format=json"), &registrar).await,
        200,
    )
    .await;
    let receipt_text = receipt_json["paragraphs"].to_string();
    assert!(receipt_text.contains(&code), "{receipt_text}");
    assert_eq!(receipt_json["addressee"], "张建国：");

    // Not yet accepted: no acceptance notice, and the bureau cannot issue the housing bureau's.
    let refused = expect(
        bearer_post(app, &docs, &handler, &json!({"kind": "acceptance_notice"})).await,
        404,
    )
    .await;
    assert_eq!(
        refused["code"], "not_found",
        "not the housing bureau's matter yet"
    );
    for (m, _) in &ids {
        expect(
            bearer_post(
                app,
                &format!("/api/v1/matters/{m}/actions"),
                &dispatcher,
                &json!({"action": "triage", "decision": "transfer", "to": DISTRICT_HOUSING}),
            )
            .await,
            200,
        )
        .await;
    }
    let early = expect(
        bearer_post(app, &docs, &handler, &json!({"kind": "acceptance_notice"})).await,
        422,
    )
    .await;
    assert_eq!(early["details"]["field"], "kind", "{early}");
    // Issuing is not a generic action, and an unknown kind is named.
    let generic = expect(
        bearer_post(
            app,
            &format!("/api/v1/matters/{id}/actions"),
            &handler,
            &json!({"action": "issue_document", "request": {"kind": "receipt"}}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(generic["details"]["field"], "action");
    let unknown = expect(
        bearer_post(app, &docs, &handler, &json!({"kind": "letter"})).await,
        400,
    )
    .await;
    assert_eq!(unknown["details"]["field"], "kind");

    // The administrator's template: a bad one refused on its field, a good one used from then on.
    let path = "/api/v1/document-templates/acceptance_notice";
    let mut template = json!({
        "prefix": "区住建受",
        "title": "受理告知书",
        "addressee": "{{ petitioner }}：",
        "body": "你反映的{{ summary }}一事（{{ matter_id }}），本局已于{{ accepted_on }}受理。\n我局将于{{ answer_due }}前书面答复。",
    });
    let forbidden = put(
        app,
        path,
        &handler,
        &json!({"unit": DISTRICT_HOUSING, "template": template}),
    )
    .await;
    assert_eq!(forbidden.status().as_u16(), 403);
    let mut broken = template.clone();
    broken["body"] = json!("{{ deadline }}前答复");
    let bad = expect(
        put(
            app,
            path,
            &admin,
            &json!({"unit": DISTRICT_HOUSING, "template": broken}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(bad["details"]["field"], "body", "{bad}");
    let set = expect(
        put(
            app,
            path,
            &admin,
            &json!({"unit": DISTRICT_HOUSING, "template": template}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(set["set_by"], DISTRICT_HOUSING);
    let listed = expect(
        bearer_get(
            app,
            &format!("/api/v1/document-templates?unit={DISTRICT_HOUSING}"),
            &handler,
        )
        .await,
        200,
    )
    .await;
    let acceptance = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "acceptance_notice")
        .unwrap();
    assert_eq!(acceptance["template"]["prefix"], "区住建受");
    assert!(acceptance["variables"].to_string().contains("answer_due"));

    // Accepted: notices numbered 1 and 2 for the housing bureau this year, one per matter.
    let mut numbers = Vec::new();
    for (m, _) in &ids {
        expect(
            bearer_post(
                app,
                &format!("/api/v1/matters/{m}/actions"),
                &handler,
                &json!({"action": "accept"}),
            )
            .await,
            200,
        )
        .await;
        let issued = expect(
            bearer_post(
                app,
                &format!("/api/v1/matters/{m}/documents"),
                &handler,
                &json!({"kind": "acceptance_notice"}),
            )
            .await,
            201,
        )
        .await;
        numbers.push(issued["number"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        numbers,
        [
            format!("区住建受〔{year}〕1号"),
            format!("区住建受〔{year}〕2号")
        ]
    );

    // A later template change leaves the issued document as it was.
    template["body"] = json!("已受理。{{ matter_id }}");
    expect(
        put(
            app,
            path,
            &admin,
            &json!({"unit": DISTRICT_HOUSING, "template": template}),
        )
        .await,
        200,
    )
    .await;
    let list = expect(bearer_get(app, &docs, &handler).await, 200).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[1]["kind_label"], "受理告知书");

    let docx = bytes(app, &format!("{docs}/2?format=docx"), &handler).await;
    let text = docx_text(&docx);
    for words in [
        "受理告知书",
        &format!("区住建受〔{year}〕1号"),
        "张建国：",
        "你反映的反映小区电梯长期停运无人维修一事",
        "书面答复",
    ] {
        assert!(text.contains(words), "{words} not in the DOCX: {text}");
    }
    let pdf = bytes(app, &format!("{docs}/2"), &handler).await;
    assert_eq!(&pdf[..5], b"%PDF-");
    if let Some(text) = pdf_text(&pdf) {
        let flat: String = text.split_whitespace().collect();
        for words in ["受理告知书", "张建国：", "我局将于", "书面答复"] {
            assert!(flat.contains(words), "{words} not in the PDF: {text}");
        }
    }
    // The same document again is the same file.
    assert_eq!(
        bytes(app, &format!("{docs}/2?format=docx"), &handler).await,
        docx
    );

    // An analyst sees the petitioner masked; a document that does not exist is 404.
    let masked = expect(
        bearer_get(app, &format!("{docs}/2?format=json"), &analyst).await,
        200,
    )
    .await;
    assert_eq!(masked["addressee"], "张**：", "{masked}");
    assert!(!masked.to_string().contains("张建国"));
    expect(bearer_get(app, &format!("{docs}/9"), &handler).await, 404).await;
    expect(
        bearer_get(app, &format!("{docs}/1?format=xlsx"), &handler).await,
        400,
    )
    .await;

    let report = app.ledger.store().verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
}

#[tokio::test]
async fn documents_on_sqlite() {
    let app = spawn_app().await;
    documents_from_templates(&app).await;
}

#[tokio::test]
async fn documents_on_postgres() {
    let (app, _) = spawn_app_pg().await;
    documents_from_templates(&app).await;
}
