//! Suggestions for a text being registered: a clear case, the roles that may ask, and bad input. SQLite
//! only: the route reads no data.

use serde_json::json;
use xinfang_domain::Role;
use xinfang_domain::fixtures::DISTRICT_BUREAU;

use super::*;

#[tokio::test]
async fn a_labour_arrears_text_is_suggested_labour_and_bad_input_is_refused() {
    let app = spawn_app().await;
    let registrar = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    let text = "我们是某建筑工地的农民工，包工头拖欠我们三十多人半年的工资共计四十多万元，\
                多次讨要无果，恳请劳动监察部门帮助我们追讨欠薪。";
    let res = bearer_post(
        &app,
        "/api/v1/classify",
        &registrar,
        &json!({ "text": text }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["domain"], "劳动和社会保障", "{body}");
    assert!(body["domain_confidence"].as_f64().unwrap() > 0.5, "{body}");
    assert_eq!(body["purpose"], "demand", "{body}");
    assert_eq!(body["purpose_source"], "rules");
    assert_eq!(body["alternatives"].as_array().unwrap().len(), 3);

    // Nothing to classify, a missing field, a wrong type: 4xx with a code and a Chinese message.
    for (body, status, code) in [
        (json!({ "text": "  😀！！ " }), 422, "invalid"),
        (json!({ "text": "" }), 422, "invalid"),
        (json!({}), 400, "bad_request"),
        (json!({ "text": 42 }), 400, "bad_request"),
    ] {
        let res = bearer_post(&app, "/api/v1/classify", &registrar, &body).await;
        assert_eq!(res.status(), status, "{body}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["code"], code, "{err}");
        let message = err["message"].as_str().unwrap();
        assert!(
            message
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{message}"
        );
    }
    // A body over the API's limit is refused before the classifier sees it.
    let huge = json!({ "text": "欠薪".repeat(1_200_000) });
    let res = bearer_post(&app, "/api/v1/classify", &registrar, &huge).await;
    assert_eq!(res.status(), 413);

    // Only staff roles that read matters may ask; without a sign-in, nobody.
    let petitioner = token(&app, Role::Petitioner, DISTRICT_BUREAU).await;
    let res = bearer_post(
        &app,
        "/api/v1/classify",
        &petitioner,
        &json!({ "text": text }),
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .post(app.url("/api/v1/classify"))
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
