//! A matter's life through the API: registration with a file, the list and its filters, actions, the
//! detail with its timeline, errors, and the audit trail of it all.

use serde_json::json;
use xinfang_domain::Role;
use xinfang_domain::fixtures::{CITY_BUREAU, DISTRICT_BUREAU, DISTRICT_GOV, DISTRICT_HOUSING};

use super::*;

#[tokio::test]
async fn a_matter_is_registered_listed_handled_and_audited_on_sqlite() {
    matter_life(spawn_app().await).await;
}

#[tokio::test]
async fn a_matter_is_registered_listed_handled_and_audited_on_postgres() {
    matter_life(spawn_app_pg().await.0).await;
}

async fn matter_life(app: TestApp) {
    let registrar = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    let dispatcher = token(&app, Role::Dispatcher, DISTRICT_BUREAU).await;
    let handler = token(&app, Role::Handler, DISTRICT_HOUSING).await;
    // Administrators read the trail of their unit and the units below: the bureaus' chain and the
    // government's are separate trees here.
    let bureau_admin = token(&app, Role::Admin, CITY_BUREAU).await;
    let admin = token(&app, Role::Admin, DISTRICT_GOV).await;

    // A scanned letter first, then the contact that carries it.
    let scan = b"%PDF-1.4 scanned letter".to_vec();
    let uploaded = app
        .client
        .post(app.url("/api/v1/files?name=来信扫描件.pdf"))
        .bearer_auth(&registrar)
        .header("content-type", "application/pdf")
        .body(scan.clone())
        .send()
        .await
        .unwrap();
    let file = expect(uploaded, 201).await;
    let mut contact = contact_json("反映某工地拖欠农民工工资八万元");
    contact["attachments"] = json!([{
        "name": file["name"], "media_type": file["media_type"],
        "size": file["size"], "sha256": file["sha256"]
    }]);
    contact["id"] = json!("SRC-0001");
    let registered = app
        .client
        .post(app.url("/api/v1/matters"))
        .bearer_auth(&registrar)
        .json(&json!({ "contact": contact }))
        .send()
        .await
        .unwrap();
    let location = registered.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let registered = expect(registered, 201).await;
    let id = registered["matter"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/matters/{id}"));
    assert_eq!(registered["contact"], "SRC-0001");

    // The same source id again is a conflict, not a second contact.
    let again = bearer_post(
        &app,
        "/api/v1/matters",
        &registrar,
        &json!({ "contact": contact }),
    )
    .await;
    assert_eq!(expect(again, 409).await["code"], "contact_exists");

    // The registering bureau lists it, with the petitioner's name.
    let page = expect(
        bearer_get(&app, "/api/v1/matters?status=awaiting_triage", &registrar).await,
        200,
    )
    .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], id.as_str());
    assert_eq!(page["items"][0]["petitioner"], "张建国");
    assert_eq!(page["items"][0]["channel"], "visit");
    assert_eq!(page["items"][0]["status_label"], "待分流");

    // 转送 to the district housing bureau, which accepts it.
    let transferred = bearer_post(
        &app,
        &format!("/api/v1/matters/{id}/actions"),
        &dispatcher,
        &json!({"action": "triage", "decision": "transfer", "to": DISTRICT_HOUSING}),
    )
    .await;
    assert_eq!(
        expect(transferred, 200).await["status"],
        "awaiting_acceptance"
    );
    // Accepting twice: the second is refused for the state it finds.
    let path = format!("/api/v1/matters/{id}/actions");
    let accepted = bearer_post(&app, &path, &handler, &json!({"action": "accept"})).await;
    assert_eq!(expect(accepted, 200).await["status_label"], "办理中");
    let twice = bearer_post(&app, &path, &handler, &json!({"action": "accept"})).await;
    let body = expect(twice, 409).await;
    assert_eq!(body["code"], "wrong_state");
    assert!(
        body["message"].as_str().unwrap().contains("办理中"),
        "{body}"
    );

    // Filters.
    for (query, expected) in [
        ("status=handling", 1),
        ("status=awaiting_triage,final", 0),
        ("q=拖欠 工资", 1),
        ("q=噪音", 0),
        ("flags=first", 1),
        ("flags=urgent", 0),
        ("channel=visit&purpose=demand", 1),
        ("domain=劳动和社会保障", 1),
        ("domain=城乡建设", 0),
        ("region=330100", 1),
        ("region=330200", 0),
        ("unit=dist-zjj", 1),
        ("unit=dist-rsj", 0),
        ("overdue=true", 0),
        ("sort=next_due&order=asc&page=1&per_page=10", 1),
    ] {
        let page = expect(
            bearer_get(&app, &format!("/api/v1/matters?{query}"), &handler).await,
            200,
        )
        .await;
        assert_eq!(page["total"], expected, "{query}: {page}");
    }
    for (query, field) in [
        ("status=nonsense", "status"),
        ("flags=vip", "flags"),
        ("per_page=1000", "per_page"),
        ("sort=petitioner", "sort"),
        ("due_from=yesterday", "due_from"),
        ("unit=nowhere", "unit"),
    ] {
        let body = expect(
            bearer_get(&app, &format!("/api/v1/matters?{query}"), &handler).await,
            400,
        )
        .await;
        assert_eq!(body["details"]["field"], field, "{query}: {body}");
    }

    // The detail: the contact with its people and file, and the timeline of what happened.
    let detail = expect(
        bearer_get(&app, &format!("/api/v1/matters/{id}"), &handler).await,
        200,
    )
    .await;
    assert_eq!(detail["status"], "handling");
    assert_eq!(detail["handler"], DISTRICT_HOUSING);
    assert_eq!(detail["identity"], "full");
    let c = &detail["contacts"][0];
    assert_eq!(c["petitioners"][0]["id_number"], "11010519491231002X");
    assert_eq!(c["attachments"][0]["name"], "来信扫描件.pdf");
    let labels: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["立项", "登记", "转送交办", "受理"]);
    assert!(
        detail["state"]["answer_due"].is_string(),
        "{}",
        detail["state"]
    );
    let url = c["attachments"][0]["url"].as_str().unwrap();
    let fetched = bearer_get(&app, url, &handler).await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), scan);

    // Every full read and every change is in the audit trail, with the address it came from.
    for (action, admin) in [
        ("register", &bureau_admin),
        ("list_matters", &bureau_admin),
        ("triage", &bureau_admin),
        ("accept", &admin),
        ("list_matters", &admin),
        ("read_matter", &admin),
        ("read_attachment", &admin),
    ] {
        let path = format!("/api/v1/audit?subject={id}&action={action}");
        let trail = expect(bearer_get(&app, &path, admin).await, 200).await;
        let first = &trail["items"][0];
        assert!(
            trail["total"].as_i64().unwrap() >= 1,
            "{action} missing: {trail}"
        );
        assert_eq!(first["address"], "127.0.0.1");
        assert!(
            first["user"].as_str().unwrap().starts_with("api:"),
            "{first}"
        );
        // The trail names matters, never the people in them.
        assert!(!trail.to_string().contains("张建国"), "{trail}");
    }
    // Only administrators read the trail.
    assert_eq!(
        bearer_get(&app, "/api/v1/audit", &handler).await.status(),
        403
    );
}

#[tokio::test]
async fn bad_requests_get_precise_json_errors_and_write_nothing() {
    let app = spawn_app().await;
    let registrar = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    let head = app.ledger.head().await.unwrap();
    let post = |body: serde_json::Value| {
        let (app, registrar) = (&app, &registrar);
        async move { bearer_post(app, "/api/v1/matters", registrar, &body).await }
    };

    let mut missing = contact_json("x");
    missing.as_object_mut().unwrap().remove("summary");
    let body = expect(post(json!({ "contact": missing })).await, 400).await;
    assert_eq!(body["details"]["field"], "summary");

    let mut bad_id = contact_json("身份证号校验位错误");
    bad_id["petitioners"][0]["id_number"] = json!("110105194912310021");
    let body = expect(post(json!({ "contact": bad_id })).await, 400).await;
    assert_eq!(body["code"], "bad_request");

    let mut unknown_region = contact_json("区划不存在");
    unknown_region["location"]["region"] = json!("330199");
    let body = expect(post(json!({ "contact": unknown_region })).await, 422).await;
    assert_eq!(body["details"]["field"], "location");

    let mut long = contact_json("全文过长");
    long["full_text"] = json!("字".repeat(50_001));
    let body = expect(post(json!({ "contact": long })).await, 422).await;
    assert_eq!(body["details"]["field"], "full_text");

    let mut attached = contact_json("附件未上传");
    attached["attachments"] =
        json!([{"name": "a.pdf", "media_type": "application/pdf", "size": 3, "sha256": "00"}]);
    let body = expect(post(json!({ "contact": attached })).await, 422).await;
    assert_eq!(body["details"]["field"], "attachments");

    let not_json = app
        .client
        .post(app.url("/api/v1/matters"))
        .bearer_auth(&registrar)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(expect(not_json, 400).await["code"], "bad_request");
    let no_type = app
        .client
        .post(app.url("/api/v1/matters"))
        .bearer_auth(&registrar)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(expect(no_type, 415).await["code"], "unsupported_media_type");
    let huge = app
        .client
        .post(app.url("/api/v1/matters"))
        .bearer_auth(&registrar)
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(expect(huge, 413).await["code"], "payload_too_large");

    let unknown_action = bearer_post(
        &app,
        "/api/v1/matters/XF-none/actions",
        &registrar,
        &json!({"action": "accept"}),
    )
    .await;
    assert_eq!(expect(unknown_action, 404).await["code"], "not_found");

    // None of it reached the log.
    assert_eq!(app.ledger.head().await.unwrap(), head);
    // A revoked token stops working at once.
    let tokens = app.ledger.store().tokens().await.unwrap();
    app.ledger
        .store()
        .revoke_token(&tokens[0].id, 0)
        .await
        .unwrap();
    assert_eq!(
        bearer_get(&app, "/api/v1/matters", &registrar)
            .await
            .status(),
        401
    );
}
