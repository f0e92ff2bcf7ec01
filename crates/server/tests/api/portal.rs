//! The petitioner portal: filing, following, rating and asking for review as a petitioner would, with no
//! staff sign-in; guessing, oversized uploads and scripts in the text met as an attacker would try them.

use reqwest::multipart::{Form, Part};
use serde_json::json;
use xinfang_domain::Role;
use xinfang_domain::fixtures::{DISTRICT_BUREAU, DISTRICT_HOUSING};

use super::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/// The form a petitioner fills in, about the fixture's district.
fn filing(summary: &str, text: &str, phone: &str) -> Form {
    Form::new()
        .text("name", "李秀英")
        .text("phone", phone.to_owned())
        .text("purpose", "demand")
        .text("domain", "城乡建设/物业")
        .text("region", "330102")
        .text("place", "望江街道某小区")
        .text("summary", summary.to_owned())
        .text("full_text", text.to_owned())
        .text("demands", "要求物业公司退还多收的费用")
        .text("consent", "yes")
}

async fn post_filing(app: &TestApp, form: Form) -> (u16, String) {
    let response = app
        .client
        .post(app.url("/portal/file"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The text of the element with this id in a page.
fn by_id(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no #{id} in {page}"))
        + id.len()
        + 6;
    page[start..][..page[start..].find('<').unwrap()].to_owned()
}

/// File a petition and return its 查询码 and secret.
async fn file(app: &TestApp, summary: &str, phone: &str) -> (String, String) {
    let (status, page) = post_filing(
        app,
        filing(
            summary,
            "小区物业公司按每平方米三元收取物业费，超出备案标准。",
            phone,
        ),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    (by_id(&page, "query-code"), by_id(&page, "secret"))
}

async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn track(app: &TestApp, code: &str, secret: &str) -> (u16, String) {
    post_form(app, "/portal/track", &[("code", code), ("secret", secret)]).await
}

#[tokio::test]
async fn a_petitioner_files_follows_rates_and_asks_for_review() {
    let app = spawn_app().await;
    let form_page = get(&app, "/portal/file", None).await.text().await.unwrap();
    for label in [
        "信访目的",
        "问题类别",
        "问题发生地",
        "个人信息处理告知",
        "江川市上城区",
    ] {
        assert!(form_page.contains(label), "the form lacks {label}");
    }
    let (status, page) = post_filing(
        &app,
        filing(
            "小区物业多收物业费",
            "小区物业公司按每平方米三元收取物业费，超出备案标准。",
            "13900139000",
        )
        .part(
            "attachment",
            Part::bytes(PNG.to_vec())
                .file_name("收费单.png")
                .mime_str("image/png")
                .unwrap(),
        ),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("上城区信访局已收到并登记"), "{page}");
    let (code, secret) = (by_id(&page, "query-code"), by_id(&page, "secret"));
    assert_eq!(code.len(), 12);

    // Typed as people type it: lower case, with spaces.
    let (status, page) = track(&app, &format!(" {} ", code.to_lowercase()), &secret).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(by_id(&page, "status"), "待分流");
    assert!(
        page.contains("信访事项登记回执"),
        "the receipt is among the notices: {page}"
    );
    let matter = by_id(&page, "matter");

    // The desk sees an online petition with its attachment, registered at the district bureau.
    let dispatcher = token(&app, Role::Dispatcher, DISTRICT_BUREAU).await;
    let detail = expect(
        bearer_get(&app, &format!("/api/v1/matters/{matter}"), &dispatcher).await,
        200,
    )
    .await;
    let contact = &detail["contacts"][0];
    assert_eq!(contact["channel"], "online", "{detail}");
    assert_eq!(contact["attachments"][0]["media_type"], "image/png");
    assert_eq!(contact["attachments"][0]["name"], "收费单.png");

    let actions = format!("/api/v1/matters/{matter}/actions");
    let handler = token(&app, Role::Handler, DISTRICT_HOUSING).await;
    for (who, body) in [
        (
            &dispatcher,
            json!({"action": "triage", "decision": "assign", "to": DISTRICT_HOUSING}),
        ),
        (&handler, json!({"action": "accept"})),
        (
            &handler,
            json!({"action": "answer", "outcome": "supported", "opinion": "经核查，已责成物业公司按备案标准收费并退还多收部分。"}),
        ),
    ] {
        expect(bearer_post(&app, &actions, who, &body).await, 200).await;
    }

    let (_, page) = track(&app, &code, &secret).await;
    assert_eq!(by_id(&page, "status"), "已办结");
    assert!(
        page.contains("已责成物业公司按备案标准收费"),
        "the opinion is shown: {page}"
    );
    assert!(
        page.contains("上城区住房和城乡建设局受理了您的信访事项"),
        "{page}"
    );
    for (target, rating) in [("bureau", "satisfied"), ("responsible_unit", "unsatisfied")] {
        let (status, page) = post_form(
            &app,
            "/portal/rate",
            &[
                ("code", &code),
                ("secret", &secret),
                ("target", target),
                ("rating", rating),
            ],
        )
        .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("评价已提交"), "{page}");
    }
    // Once only: the second rating of the same target is refused by the workflow, in words.
    let (status, page) = post_form(
        &app,
        "/portal/rate",
        &[
            ("code", &code),
            ("secret", &secret),
            ("target", "bureau"),
            ("rating", "unsatisfied"),
        ],
    )
    .await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("不能重复评价"), "{page}");

    let (_, page) = track(&app, &code, &secret).await;
    assert!(page.contains("申请复查"), "review is offered: {page}");
    let (status, page) = post_form(
        &app,
        "/portal/review",
        &[
            ("code", &code),
            ("secret", &secret),
            ("authority", "dist-gov"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(by_id(&page, "status"), "复查中");
    assert!(page.contains("上城区人民政府应于"), "{page}");

    // The staff see the petitioner's own ratings, not proxies, and every portal read is audited.
    let detail = expect(
        bearer_get(&app, &format!("/api/v1/matters/{matter}"), &dispatcher).await,
        200,
    )
    .await;
    let evaluations = detail["state"]["evaluations"].as_array().unwrap();
    assert_eq!(evaluations.len(), 2, "{detail}");
    assert!(evaluations.iter().all(|e| e["proxy"] == false));
    let (_, views) = app
        .ledger
        .store()
        .audit_entries(&xinfang_store::audit::AuditFilter {
            action: Some("portal_view".into()),
            subject: Some(matter.clone()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(views >= 4, "{views} portal views audited");
}

#[tokio::test]
async fn wrong_keys_reveal_nothing_and_guessing_is_throttled() {
    let app = spawn_app().await;
    let (code, secret) = file(&app, "电梯长期停运无人维修", "13700137000").await;
    let (status, wrong_code) = track(&app, "ABCDEFGHJKMN", &secret).await;
    let (status2, wrong_secret) = track(&app, &code, "WRONGWRN").await;
    assert_eq!((status, status2), (400, 400));
    // The same page whichever part was wrong, and nothing of the petition on it.
    assert_eq!(wrong_code, wrong_secret);
    assert!(wrong_code.contains("查询码或查询密码不正确"));
    assert!(!wrong_secret.contains("电梯"));

    // Four more wrong secrets make five for this code: now even the right one is refused.
    for _ in 0..4 {
        assert_eq!(track(&app, &code, "WRONGWRN").await.0, 400);
    }
    let (status, page) = track(&app, &code, &secret).await;
    assert_eq!(status, 429, "{page}");
    assert!(!page.contains("电梯"));

    // Another petition's right key still opens it until this address has failed ten times.
    let (other_code, other_secret) = file(&app, "小区路灯不亮", "13700137001").await;
    assert_eq!(track(&app, &other_code, &other_secret).await.0, 200);
    for n in 0..4 {
        let guess = format!("GUESS{n:07}");
        assert_eq!(track(&app, &guess, "WRONGWRN").await.0, 400);
    }
    assert_eq!(track(&app, &other_code, &other_secret).await.0, 429);
    // Rating and review go through the same check.
    let (status, _) = post_form(
        &app,
        "/portal/rate",
        &[
            ("code", &other_code),
            ("secret", &other_secret),
            ("target", "bureau"),
            ("rating", "satisfied"),
        ],
    )
    .await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn oversized_uploads_foreign_files_and_scripts_are_met_safely() {
    let app = spawn_app().await;
    // A file over 5 MB, named in the message.
    let big = Part::bytes({
        let mut v = PNG.to_vec();
        v.resize(5 * 1024 * 1024 + 1, 0);
        v
    })
    .file_name("照片.png");
    let (status, page) = post_filing(
        &app,
        filing("大文件", "正文", "13600136000").part("attachment", big),
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("附件「照片.png」超过5MB"), "{page}");
    // A whole body over the limit is cut off before it is read into memory.
    let mut form = filing("很多文件", "正文", "13600136000");
    for n in 0..4 {
        let mut photo = PNG.to_vec();
        photo.resize(4 * 1024 * 1024 + 512, 0);
        form = form.part(
            "attachment",
            Part::bytes(photo).file_name(format!("{n}.png")),
        );
    }
    let (status, page) = post_filing(&app, form).await;
    assert_eq!(status, 413, "{page}");
    assert!(page.contains("提交的内容过大"), "{page}");
    // A page dressed as a picture is refused by what it is, not by what it claims.
    let html = Part::bytes(b"<html><script>alert(1)</script></html>".to_vec())
        .file_name("照片.png")
        .mime_str("image/png")
        .unwrap();
    let (status, page) = post_filing(
        &app,
        filing("伪装文件", "正文", "13600136000").part("attachment", html),
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("不是JPG、PNG图片或PDF文件"), "{page}");
    // No consent, no filing.
    let form = Form::new()
        .text("name", "李秀英")
        .text("phone", "13600136000");
    let (status, page) = post_filing(&app, form).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("个人信息处理告知"), "{page}");
    // Nothing of the refused filings was registered.
    let today = xinfang_domain::workflow::china_date(chrono::Utc::now());
    assert_eq!(app.ledger.store().summary(today).await.unwrap().matters, 0);

    // A script in the text is kept as text and shown as text, to the petitioner and to the staff.
    let script = "<script>alert('x')</script>";
    let (status, page) = post_filing(
        &app,
        filing(
            &format!("物业{script}"),
            &format!("正文{script}"),
            "13600136000",
        ),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let (code, secret) = (by_id(&page, "query-code"), by_id(&page, "secret"));
    let response = app
        .client
        .post(app.url("/portal/track"))
        .form(&[("code", code.as_str()), ("secret", secret.as_str())])
        .send()
        .await
        .unwrap();
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    let matter = by_id(&page, "matter");
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;"), "{page}");
    let detail = expect(
        bearer_get(
            &app,
            &format!("/api/v1/matters/{matter}"),
            &token(&app, Role::Dispatcher, DISTRICT_BUREAU).await,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        detail["summary"],
        format!("物业{script}"),
        "kept as written"
    );

    // Three filings a day from one phone number; the fourth waits.
    for n in 0..2 {
        file(&app, &format!("第{n}件"), "13600136000").await;
    }
    let (status, page) = post_filing(&app, filing("第四件", "正文", "13600136000")).await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("尝试次数过多"), "{page}");
}

#[tokio::test]
async fn a_receipt_printed_at_the_desk_opens_the_petition_in_the_portal() {
    let app = spawn_app().await;
    let registrar = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    let registered = expect(
        bearer_post(
            &app,
            "/api/v1/matters",
            &registrar,
            &json!({ "contact": contact_json("来访反映拖欠工资") }),
        )
        .await,
        201,
    )
    .await;
    let matter = registered["matter"].as_str().unwrap();
    let receipt = expect(
        bearer_post(
            &app,
            &format!("/api/v1/matters/{matter}/documents"),
            &registrar,
            &json!({"kind": "receipt", "about": registered["contact"]}),
        )
        .await,
        201,
    )
    .await;
    let code = receipt["query_code"].as_str().unwrap();
    let secret = receipt["portal_secret"].as_str().unwrap();
    let (status, page) = track(&app, code, secret).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(by_id(&page, "matter"), matter);
    assert!(page.contains("信访事项登记回执"), "{page}");
    // The secret is shown once: the list of documents never repeats it.
    let listed = expect(
        bearer_get(
            &app,
            &format!("/api/v1/matters/{matter}/documents"),
            &registrar,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(listed[0]["query_code"], code);
    assert!(listed[0].get("portal_secret").is_none(), "{listed}");
}
