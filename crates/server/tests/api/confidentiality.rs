//! The unit complained about never learns who complained: not from a matter, a list, a file, or the audit
//! trail; and in 检举控告 matters neither does a unit above it that handles nothing. The checks read the
//! raw bodies, so a name slipping in through any field, note or opinion fails them.

use serde_json::json;
use xinfang_domain::Role;
use xinfang_domain::fixtures::{DISTRICT_BUREAU, DISTRICT_GOV, DISTRICT_HOUSING, DISTRICT_LABOUR};

use super::*;

/// Everything that identifies the fixture's petitioner, masked forms included (a masked name still
/// shows the surname).
const IDENTITY: [&str; 6] = [
    "张建国",
    "张**",
    "11010519491231002X",
    "002X",
    "13800138000",
    "江川市上城区望江街道",
];

fn assert_no_identity(what: &str, body: &str) {
    for needle in IDENTITY {
        assert!(!body.contains(needle), "{what} shows {needle}: {body}");
    }
}

/// A matter about the district labour bureau, handled by `handler`, whose opinions name the petitioner.
async fn matter_about_labour_bureau(
    app: &TestApp,
    purpose: &str,
    handler_unit: &str,
) -> (String, String) {
    let registrar = token(app, Role::Registrar, DISTRICT_BUREAU).await;
    let dispatcher = token(app, Role::Dispatcher, DISTRICT_BUREAU).await;
    let file = expect(
        app.client
            .post(app.url("/api/v1/files?name=张建国来信.jpg"))
            .bearer_auth(&registrar)
            .header("content-type", "image/jpeg")
            .body(b"signed letter".to_vec())
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let mut contact = contact_json("张建国反映劳动监察大队对欠薪投诉不作为");
    contact["purpose"] = json!(purpose);
    contact["target"] = json!({"name": "上城区人社局劳动监察大队", "unit": DISTRICT_LABOUR});
    contact["full_text"] =
        json!("本人张建国，身份证号11010519491231002X，电话13800138000，住江川市上城区望江街道。");
    contact["demands"] = json!("请为张建国追回工资");
    contact["attachments"] = json!([file.clone()]);
    let id = expect(
        bearer_post(
            app,
            "/api/v1/matters",
            &registrar,
            &json!({ "contact": contact }),
        )
        .await,
        201,
    )
    .await["matter"]
        .as_str()
        .unwrap()
        .to_owned();
    let actions = format!("/api/v1/matters/{id}/actions");
    expect(
        bearer_post(
            app,
            &actions,
            &dispatcher,
            &json!({"action": "triage", "decision": "assign", "to": handler_unit}),
        )
        .await,
        200,
    )
    .await;
    let handler = token(app, Role::Handler, handler_unit).await;
    expect(
        bearer_post(app, &actions, &handler, &json!({"action": "accept"})).await,
        200,
    )
    .await;
    expect(
        bearer_post(
            app,
            &actions,
            &handler,
            &json!({"action": "answer", "outcome": if purpose == "accusation" { "substantiated" } else { "supported" }, "opinion": "经核实，张建国（电话13800138000）反映属实，已责成整改。"}),
        )
        .await,
        200,
    )
    .await;
    (id, file["sha256"].as_str().unwrap().to_owned())
}

async fn body_of(response: reqwest::Response) -> (u16, String) {
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_unit_complained_about_sees_no_identity_anywhere() {
    let app = spawn_app().await;
    // The labour bureau is asked to handle a complaint about its own inspectors.
    let (id, sha) = matter_about_labour_bureau(&app, "demand", DISTRICT_LABOUR).await;
    for role in [
        Role::Handler,
        Role::Leader,
        Role::Registrar,
        Role::Supervisor,
        Role::Analyst,
    ] {
        let t = token(&app, role, DISTRICT_LABOUR).await;
        let (status, detail) =
            body_of(bearer_get(&app, &format!("/api/v1/matters/{id}"), &t).await).await;
        assert_eq!(
            status, 200,
            "{role:?} handles it and must see the matter: {detail}"
        );
        assert_no_identity(&format!("the matter for {role:?}"), &detail);
        let parsed: serde_json::Value = serde_json::from_str(&detail).unwrap();
        assert_eq!(parsed["identity"], "hidden");
        assert!(parsed["contacts"][0]["full_text"].is_null());
        assert_eq!(parsed["contacts"][0]["attachments_withheld"], 1);
        // What it needs to work on the problem is there.
        assert!(detail.contains("劳动监察大队对欠薪投诉不作为"), "{detail}");
        assert!(detail.contains("追回工资"), "{detail}");

        let (status, list) = body_of(bearer_get(&app, "/api/v1/matters", &t).await).await;
        assert_eq!(status, 200);
        assert!(list.contains(&id), "the list must show the matter itself");
        assert_no_identity(&format!("the list for {role:?}"), &list);

        let (status, export) =
            body_of(bearer_get(&app, "/api/v1/export?format=jsonl", &t).await).await;
        assert_eq!(status, 200, "{export}");
        assert!(
            export.contains(&id),
            "the export must hold the matter itself"
        );
        assert_no_identity(&format!("the export for {role:?}"), &export);
        let (status, file) =
            body_of(bearer_get(&app, &format!("/api/v1/matters/{id}/attachments/{sha}"), &t).await)
                .await;
        assert_eq!(status, 403, "{role:?} fetched the signed letter");
        assert_no_identity("the refusal", &file);
    }
    let admin = token(&app, Role::Admin, DISTRICT_LABOUR).await;
    let (status, trail) =
        body_of(bearer_get(&app, "/api/v1/audit?per_page=500", &admin).await).await;
    assert_eq!(status, 200);
    assert!(trail.contains(&id), "the trail records the reads: {trail}");
    assert_no_identity("the audit trail", &trail);

    // The bureau that registered it and the district government above the handler see who wrote.
    let bureau = token(&app, Role::Dispatcher, DISTRICT_BUREAU).await;
    let detail = body_of(bearer_get(&app, &format!("/api/v1/matters/{id}"), &bureau).await)
        .await
        .1;
    assert!(detail.contains("11010519491231002X"), "{detail}");
    let above = token(&app, Role::Leader, DISTRICT_GOV).await;
    let detail = body_of(bearer_get(&app, &format!("/api/v1/matters/{id}"), &above).await)
        .await
        .1;
    assert!(detail.contains("张建国"), "{detail}");
}

#[tokio::test]
async fn accusations_hide_the_reporter_from_units_above_that_handle_nothing() {
    let app = spawn_app().await;
    // A 检举控告 about the labour bureau, handled by the housing bureau beside it.
    let (id, _) = matter_about_labour_bureau(&app, "accusation", DISTRICT_HOUSING).await;
    let handler = token(&app, Role::Handler, DISTRICT_HOUSING).await;
    let detail = body_of(bearer_get(&app, &format!("/api/v1/matters/{id}"), &handler).await)
        .await
        .1;
    assert!(
        detail.contains("11010519491231002X"),
        "the handler sees the reporter: {detail}"
    );

    // The district government is above the handler, so it sees the matter, but not who reported.
    let above = token(&app, Role::Leader, DISTRICT_GOV).await;
    let (status, detail) =
        body_of(bearer_get(&app, &format!("/api/v1/matters/{id}"), &above).await).await;
    assert_eq!(status, 200);
    assert_no_identity("the accusation for the government above", &detail);
    let list = body_of(bearer_get(&app, "/api/v1/matters", &above).await)
        .await
        .1;
    assert!(list.contains(&id));
    assert_no_identity("the list for the government above", &list);

    // The labour bureau itself holds nothing: the matter does not exist for it.
    let target = token(&app, Role::Leader, DISTRICT_LABOUR).await;
    let (status, body) =
        body_of(bearer_get(&app, &format!("/api/v1/matters/{id}"), &target).await).await;
    assert_eq!(status, 404);
    assert_no_identity("the 404", &body);
    let list = body_of(bearer_get(&app, "/api/v1/matters", &target).await)
        .await
        .1;
    assert!(!list.contains(&id));
}

#[tokio::test]
async fn masked_roles_see_masked_identities_even_inside_free_text() {
    let app = spawn_app().await;
    let (id, _) = matter_about_labour_bureau(&app, "demand", DISTRICT_HOUSING).await;
    let analyst = token(&app, Role::Analyst, DISTRICT_HOUSING).await;
    let detail = body_of(bearer_get(&app, &format!("/api/v1/matters/{id}"), &analyst).await)
        .await
        .1;
    for plain in [
        "张建国",
        "11010519491231002X",
        "13800138000",
        "江川市上城区望江街道",
    ] {
        assert!(!detail.contains(plain), "{plain} unmasked: {detail}");
    }
    for masked in ["张**", "110***********002X", "138****8000"] {
        assert!(detail.contains(masked), "{masked} missing: {detail}");
    }
}
