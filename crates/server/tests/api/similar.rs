//! While a clerk types a contact, `POST /api/v1/similar` shows the earlier matters it may belong to —
//! copies of the same letter and the same person's problem again — with scores and reasons; the clerk's
//! decision is recorded with the registration. Only matters the clerk may see are shown.

use serde_json::json;
use xinfang_domain::Role;
use xinfang_domain::fixtures::{CITY_BUREAU, DISTRICT_BUREAU, DISTRICT_LABOUR};

use super::*;

const LETTER: &str = "尊敬的领导：本人于二零二五年三月起在望江街道锦江华府二期工地做木工，\
    工程去年十二月完工，包工头李某以开发商未结算为由拖欠我们十二名工人工资共计八万六千元，\
    多次到工地讨要无果，春节前家里急等用钱。";
const OTHER: &str = "望江街道滨江花园小区电梯自去年十月起多次困人，物业公司只做简单维修，\
    业主多次投诉无人处理，老人孩子上下楼非常困难，请有关部门督促更换电梯。";

fn letter_contact(
    full_text: &str,
    name: &str,
    id_number: Option<&str>,
    phone: &str,
) -> serde_json::Value {
    let mut c = contact_json("反映工地拖欠工资");
    c["full_text"] = json!(full_text);
    c["petitioners"] = json!([{ "name": name, "id_number": id_number, "phone": phone }]);
    c
}

async fn similar(app: &TestApp, token: &str, body: serde_json::Value) -> Vec<serde_json::Value> {
    let answer = expect(bearer_post(app, "/api/v1/similar", token, &body).await, 200).await;
    answer["candidates"].as_array().unwrap().clone()
}

async fn register(app: &TestApp, token: &str, body: serde_json::Value) -> String {
    let r = expect(bearer_post(app, "/api/v1/matters", token, &body).await, 201).await;
    r["matter"].as_str().unwrap().to_owned()
}

fn codes(candidate: &serde_json::Value) -> Vec<&str> {
    candidate["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn copies_and_repeats_are_proposed_and_the_decision_is_recorded_on_sqlite() {
    proposals_and_decisions(spawn_app().await).await;
}

#[tokio::test]
async fn copies_and_repeats_are_proposed_and_the_decision_is_recorded_on_postgres() {
    proposals_and_decisions(spawn_app_pg().await.0).await;
}

async fn proposals_and_decisions(app: TestApp) {
    let clerk = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    let wages = register(
        &app,
        &clerk,
        json!({ "contact": letter_contact(LETTER, "张建国", Some("11010519491231002X"), "13800138000") }),
    )
    .await;
    let lift = register(
        &app,
        &clerk,
        json!({ "contact": letter_contact(OTHER, "赵六", None, "13600136000") }),
    )
    .await;

    // The same letter, edited a little, with a greeting and a signature, from nobody named yet.
    let edited = format!(
        "市信访局领导您好！\n{}\n此致敬礼",
        LETTER.replace("十二名", "12名")
    );
    let found = similar(&app, &clerk, json!({ "full_text": edited })).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["matter"]["id"], wages.as_str());
    assert_eq!(found[0]["relation"], "repeat", "same office: it came back");
    assert!(found[0]["text_similarity"].as_f64().unwrap() >= 0.8);
    assert!(codes(&found[0]).contains(&"same_text"));
    // The registering bureau sees the petitioner in full.
    assert_eq!(found[0]["matter"]["petitioner"], "张建国");

    // The same letter arriving at the city bureau days later is one letter sent to several offices.
    let city = token(&app, Role::Registrar, CITY_BUREAU).await;
    let found = similar(&app, &city, json!({ "full_text": LETTER })).await;
    assert_eq!(found[0]["matter"]["id"], wages.as_str());
    assert_eq!(found[0]["relation"], "multi_submission");
    assert_eq!(found[0]["relation_label"], "一信多投");

    // Another problem in other words, by the same person (ID number typed in lower case): a repeat,
    // for the reasons shown.
    let found = similar(
        &app,
        &clerk,
        json!({
            "summary": "再次反映工钱至今没有结清",
            "petitioners": [{ "name": "张建国", "id_number": "11010519491231002x" }],
            "region": "330102",
            "domain": "劳动和社会保障",
        }),
    )
    .await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["matter"]["id"], wages.as_str());
    assert_eq!(
        codes(&found[0]),
        ["same_id_number", "same_domain", "same_place"]
    );

    // A unit that holds neither matter sees no candidate: out of scope is as if it did not exist.
    let sideways = token(&app, Role::Registrar, DISTRICT_LABOUR).await;
    assert!(
        similar(&app, &sideways, json!({ "full_text": LETTER }))
            .await
            .is_empty()
    );

    // The clerk registers the copy as a repeat of the wages matter, confirming that proposal and
    // rejecting a (made-up) proposal of the lift matter: both decisions are events of the registration.
    let body = json!({
        "contact": letter_contact(&edited, "张建国", Some("11010519491231002X"), "13800138000"),
        "link": { "matter": wages, "relation": "repeat" },
        "reviews": [
            { "candidate": wages, "relation": "repeat", "confirmed": true,
              "reasons": ["same_text", "same_id_number"], "score_permille": 870 },
            { "candidate": lift, "relation": "repeat", "confirmed": false, "reasons": ["same_place"] },
        ],
    });
    assert_eq!(register(&app, &clerk, body).await, wages);
    let detail = expect(
        bearer_get(&app, &format!("/api/v1/matters/{wages}"), &clerk).await,
        200,
    )
    .await;
    let labels: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.ends_with(&["登记", "确认关联", "否定关联"]),
        "{labels:?}"
    );
    assert_eq!(detail["contacts"].as_array().unwrap().len(), 2);

    // Confirming a link the contact was not registered by is refused, and nothing is written.
    let body = json!({
        "contact": letter_contact(LETTER, "张建国", None, "13800138000"),
        "reviews": [{ "candidate": wages, "relation": "repeat", "confirmed": true }],
    });
    let refused = expect(
        bearer_post(&app, "/api/v1/matters", &clerk, &body).await,
        422,
    )
    .await;
    assert_eq!(refused["details"]["field"], "confirmed");
    let page = expect(bearer_get(&app, "/api/v1/matters", &clerk).await, 200).await;
    assert_eq!(
        page["total"], 2,
        "the refused registration left nothing behind"
    );

    // The new contact is in the lookup at once: the copy just registered is found as well.
    let found = similar(&app, &clerk, json!({ "full_text": edited })).await;
    assert_eq!(found[0]["matter"]["id"], wages.as_str());
}

#[tokio::test]
async fn bad_input_gets_a_clear_answer() {
    let app = spawn_app().await;
    let clerk = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    register(
        &app,
        &clerk,
        json!({ "contact": letter_contact(LETTER, "张建国", None, "13800138000") }),
    )
    .await;
    let bad_id = expect(
        bearer_post(
            &app,
            "/api/v1/similar",
            &clerk,
            &json!({ "petitioners": [{ "name": "张建国", "id_number": "110105194912310021" }] }),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(bad_id["details"]["field"], "petitioners[0].id_number");
    assert!(bad_id["message"].as_str().unwrap().contains("身份证"));
    let unknown = expect(
        bearer_post(
            &app,
            "/api/v1/similar",
            &clerk,
            &json!({ "txt": "拼错的字段" }),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(unknown["code"], "bad_request");
    for text in [
        String::new(),
        "😀🏠👍".repeat(100),
        "\u{0}\u{7}\u{1b}[31m Привет مرحبا 工资".into(),
        "欠薪".repeat(170_000),
    ] {
        assert!(
            similar(&app, &clerk, json!({ "full_text": text }))
                .await
                .is_empty()
        );
    }
    // A petitioner may not ask.
    let petitioner = token(&app, Role::Petitioner, DISTRICT_BUREAU).await;
    let r = bearer_post(
        &app,
        "/api/v1/similar",
        &petitioner,
        &json!({ "full_text": LETTER }),
    )
    .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_registered_through_one_server_is_proposed_by_another() {
    let (a, url) = spawn_app_pg().await;
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    let b = spawn_server(Ledger::new(store, Rules::default(), Calendar::mainland())).await;
    let clerk = token(&a, Role::Registrar, DISTRICT_BUREAU).await;
    // B has read the log once already, so what follows is caught up, not read for the first time.
    let _ = bearer_post(
        &b,
        "/api/v1/similar",
        &clerk,
        &json!({ "full_text": LETTER }),
    )
    .await;
    let wages = register(
        &a,
        &clerk,
        json!({ "contact": letter_contact(LETTER, "张建国", None, "13800138000") }),
    )
    .await;
    let found = similar(&b, &clerk, json!({ "full_text": LETTER })).await;
    assert_eq!(found[0]["matter"]["id"], wages.as_str());
}
