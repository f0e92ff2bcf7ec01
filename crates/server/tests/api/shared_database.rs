//! Several `xinfang serve` processes on one PostgreSQL database behind a load balancer: whatever one
//! process writes or remembers (matters, sessions, tokens, throttling), the others see.

use serde_json::json;
use xinfang_domain::Role;
use xinfang_domain::fixtures::{DISTRICT_BUREAU, DISTRICT_HOUSING};

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_agree() {
    let (a, url) = spawn_app_pg().await;
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    let b = spawn_server(Ledger::new(store, Rules::default(), Calendar::mainland())).await;

    // A session started on one server works on the other, and ends on both.
    let cookie = cookie_of(&login(&a, "wang", ONE_TIME).await);
    assert_eq!(get(&b, "/api/v1/me", Some(&cookie)).await.status(), 200);

    let registrar = token(&a, Role::Registrar, DISTRICT_BUREAU).await;
    let dispatcher = token(&a, Role::Dispatcher, DISTRICT_BUREAU).await;
    let handler = token(&a, Role::Handler, DISTRICT_HOUSING).await;

    // Registrations through both servers at once share one chain.
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..20 {
        let url = if i % 2 == 0 {
            a.url("/api/v1/matters")
        } else {
            b.url("/api/v1/matters")
        };
        let (client, token) = (a.client.clone(), registrar.clone());
        let body = json!({ "contact": contact_json(&format!("第{i}件：小区供暖不热")) });
        writes.spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        });
    }
    let mut ids = Vec::new();
    while let Some(done) = writes.join_next().await {
        let (status, body) = done.unwrap();
        assert_eq!(status, 201, "{body}");
        ids.push(body["matter"].as_str().unwrap().to_owned());
    }
    let page = expect(
        bearer_get(&b, "/api/v1/matters?per_page=50", &registrar).await,
        200,
    )
    .await;
    assert_eq!(page["total"], 20);

    // Written on one, acted on at the other, read back on the first.
    let id = &ids[0];
    let actions = format!("/api/v1/matters/{id}/actions");
    let triage = json!({"action": "triage", "decision": "transfer", "to": DISTRICT_HOUSING});
    expect(bearer_post(&b, &actions, &dispatcher, &triage).await, 200).await;
    expect(
        bearer_post(&a, &actions, &handler, &json!({"action": "accept"})).await,
        200,
    )
    .await;
    let detail = expect(
        bearer_get(&b, &format!("/api/v1/matters/{id}"), &handler).await,
        200,
    )
    .await;
    assert_eq!(detail["status"], "handling");
    assert_eq!(detail["timeline"].as_array().unwrap().len(), 4);
    // Each server's cached copy of the matter follows the other's writes.
    let again = bearer_post(&b, &actions, &handler, &json!({"action": "accept"})).await;
    assert_eq!(expect(again, 409).await["code"], "wrong_state");

    assert!(a.ledger.store().verify().await.unwrap().is_intact());
    let end = a
        .client
        .delete(a.url("/api/v1/session"))
        .header("cookie", &cookie)
        .header("x-csrf-token", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(
        end.status(),
        403,
        "a request that changes something needs the CSRF token"
    );
}
