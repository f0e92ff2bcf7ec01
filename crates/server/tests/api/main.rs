//! The real server on a loopback port, over real SQLite. One test binary; the modules group the suites.

mod authz;
mod browser;
mod classify;
mod confidentiality;
mod console;
mod documents;
mod hotspots;
mod interchange;
mod matters;
mod open311;
mod portal;
mod reports;
mod search;
mod shared_database;
mod similar;
mod stats;

use std::net::SocketAddr;

use xinfang_domain::calendar::Calendar;
use xinfang_domain::fixtures;
use xinfang_domain::ids::{UnitId, UserId};
use xinfang_domain::org::{OrgCommand, User};
use xinfang_domain::rules::Rules;
use xinfang_domain::{Change, Role};
use xinfang_server::AppState;
use xinfang_store::{Ledger, Store, StoreOptions};

struct TestApp {
    addr: SocketAddr,
    client: reqwest::Client,
    ledger: Ledger,
    _dir: Option<tempfile::TempDir>,
    search: Option<std::sync::Arc<xinfang_search::SearchIndex>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// A fresh SQLite database and a server on port 0, as a deployment would run it.
async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path(), &StoreOptions::default())
        .await
        .unwrap();
    let mut app = spawn_seeded(store).await;
    app._dir = Some(dir);
    app
}

/// A fresh database on the test PostgreSQL cluster, and a server on it.
async fn spawn_app_pg() -> (TestApp, String) {
    let name = xinfang_testkit::unique_name("api");
    let url = xinfang_testkit::shared_pg().fresh_database(&name).unwrap();
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    (spawn_seeded(store).await, url)
}

/// The organisation and the user `wang` written, then a server.
async fn spawn_seeded(store: Store) -> TestApp {
    let ledger = Ledger::new(store, Rules::default(), Calendar::mainland());
    let now = chrono::Utc::now();
    for c in fixtures::org_commands() {
        ledger
            .execute(&fixtures::admin(), now, Change::Org(c))
            .await
            .unwrap();
    }
    let user = User {
        id: UserId::parse("wang").unwrap(),
        name: "王五".into(),
        unit: UnitId::parse(fixtures::DISTRICT_BUREAU).unwrap(),
        roles: vec![Role::Registrar, Role::Dispatcher],
        active: true,
    };
    ledger
        .execute(
            &fixtures::admin(),
            now,
            Change::Org(OrgCommand::CreateUser(user)),
        )
        .await
        .unwrap();
    ledger
        .set_password(
            &fixtures::admin(),
            now,
            &UserId::parse("wang").unwrap(),
            ONE_TIME.into(),
        )
        .await
        .unwrap();
    spawn_server(ledger).await
}

/// A server process over a database that is already set up.
async fn spawn_server(ledger: Ledger) -> TestApp {
    spawn_server_with(ledger, None).await
}

/// A server process with full-text search over an index of its own.
async fn spawn_server_with(
    ledger: Ledger,
    search: Option<std::sync::Arc<xinfang_search::SearchIndex>>,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(xinfang_server::serve(
        listener,
        match &search {
            Some(search) => AppState::new(ledger.clone()).with_search(search.clone()),
            None => AppState::new(ledger.clone()),
        },
        async {
            let _ = rx.await;
        },
    ));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        ledger,
        _dir: None,
        search,
        _shutdown: tx,
    }
}

#[tokio::test]
async fn probes_answer() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready: serde_json::Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert!(ready["head_seq"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn openapi_document_lists_the_routes_and_the_docs_page_works_offline() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/healthz", "/readyz"] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert_eq!(
        doc,
        serde_json::to_value(xinfang_server::openapi()).unwrap()
    );
    // Every schema a route refers to is in the document, and the inputs are described, not opaque.
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v.as_str()) {
                        ("$ref", Some(r)) => out.push(r.to_owned()),
                        _ => refs(v, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in &all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} is not in the document"
        );
    }
    for input in ["ContactDraft", "Command", "Triage", "Petitioner"] {
        assert!(
            doc["components"]["schemas"][input].is_object(),
            "{input} is not described"
        );
    }
    let page = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger"), "the docs page is Swagger UI");
    // Its assets are served by this binary, not fetched from the internet.
    let css = app
        .client
        .get(app.url("/api/docs/swagger-ui.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
}

#[tokio::test]
async fn errors_are_json_with_a_code_and_a_chinese_message() {
    let app = spawn_app().await;
    let missing = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["message"], "资源不存在");
    let wrong_method = app.client.delete(app.url("/healthz")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    let body: serde_json::Value = wrong_method.json().await.unwrap();
    assert_eq!(body["code"], "method_not_allowed");
}

const ONE_TIME: &str = "one-time-password-123";

/// Sign in; returns the session cookie and the CSRF token.
async fn login(app: &TestApp, user: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"user": user, "password": password}))
        .send()
        .await
        .unwrap()
}

fn cookie_of(response: &reqwest::Response) -> String {
    let set = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    set.split(';').next().unwrap().to_owned()
}

/// GET, with the session cookie when given.
async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

async fn get_json<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str, cookie: &str) -> T {
    let response = get(app, path, Some(cookie)).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

async fn code_of(response: reqwest::Response) -> serde_json::Value {
    response.json::<serde_json::Value>().await.unwrap()["code"].clone()
}

/// PUT /api/v1/me/password from the one-time password, with the CSRF token when given.
async fn change_password(
    app: &TestApp,
    cookie: &str,
    csrf: Option<&str>,
    new: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .put(app.url("/api/v1/me/password"))
        .header("cookie", cookie)
        .json(&serde_json::json!({"current_password": ONE_TIME, "new_password": new}));
    if let Some(csrf) = csrf {
        request = request.header("x-csrf-token", csrf);
    }
    request.send().await.unwrap()
}

const OWN_PASSWORD: &str = "my-own-secret-42";

#[tokio::test]
async fn sign_in_change_the_one_time_password_and_sign_out() {
    let app = spawn_app().await;
    // Wrong password and unknown user look the same.
    for (user, password) in [("wang", "not-the-password"), ("nobody", ONE_TIME)] {
        let r = login(&app, user, password).await;
        assert_eq!(r.status(), 401);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], "invalid_credentials");
        assert_eq!(body["message"], "用户名或密码错误");
    }
    let r = login(&app, "wang", ONE_TIME).await;
    assert_eq!(r.status(), 200);
    let cookie = cookie_of(&r);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["unit"], fixtures::DISTRICT_BUREAU);
    assert_eq!(body["unit_name"], "上城区信访局");
    assert_eq!(body["must_change_password"], true);
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();

    let me: serde_json::Value = get_json(&app, "/api/v1/me", &cookie).await;
    assert_eq!(me["name"], "王五");
    assert_eq!(me["roles"], serde_json::json!(["registrar", "dispatcher"]));
    assert_eq!(get(&app, "/api/v1/me", None).await.status(), 401);

    // Changing something needs the CSRF token as well as the cookie.
    let no_csrf = change_password(&app, &cookie, None, OWN_PASSWORD).await;
    assert_eq!(no_csrf.status(), 403);
    assert_eq!(code_of(no_csrf).await, "csrf");
    let r = change_password(&app, &cookie, Some(&csrf), "short").await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["details"]["field"],
        "password"
    );
    let r = change_password(&app, &cookie, Some(&csrf), OWN_PASSWORD).await;
    assert_eq!(r.status(), 204);
    let me: serde_json::Value = get_json(&app, "/api/v1/me", &cookie).await;
    assert_eq!(me["must_change_password"], false);
    assert_eq!(
        login(&app, "wang", ONE_TIME).await.status(),
        401,
        "the one-time password is gone"
    );

    let out = app
        .client
        .delete(app.url("/api/v1/session"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(get(&app, "/api/v1/me", Some(&cookie)).await.status(), 401);
    assert!(app.ledger.store().verify().await.unwrap().is_intact());
    // Sign-ins and the password change are in the audit trail, with the address.
    let filter = xinfang_store::audit::AuditFilter {
        user: Some("wang".into()),
        limit: 20,
        ..Default::default()
    };
    let (trail, _) = app.ledger.store().audit_entries(&filter).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"sign_in") && actions.contains(&"change_password"),
        "{actions:?}"
    );
    assert!(trail.iter().all(|e| e.address == "127.0.0.1"));
}

#[tokio::test]
async fn repeated_failures_are_throttled_even_with_the_right_password() {
    let app = spawn_app().await;
    for _ in 0..5 {
        assert_eq!(login(&app, "wang", "guess-guess-guess").await.status(), 401);
    }
    let r = login(&app, "wang", ONE_TIME).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(code_of(r).await, "too_many_requests");
}

#[tokio::test]
async fn the_organisation_is_readable_once_the_one_time_password_is_replaced() {
    let app = spawn_app().await;
    assert_eq!(get(&app, "/api/v1/units", None).await.status(), 401);
    let r = login(&app, "wang", ONE_TIME).await;
    let cookie = cookie_of(&r);
    let csrf = r.json::<serde_json::Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let blocked = get(&app, "/api/v1/units", Some(&cookie)).await;
    assert_eq!(blocked.status(), 403);
    assert_eq!(code_of(blocked).await, "password_change_required");
    let r = change_password(&app, &cookie, Some(&csrf), OWN_PASSWORD).await;
    assert_eq!(r.status(), 204);

    let units: Vec<serde_json::Value> = get_json(&app, "/api/v1/units", &cookie).await;
    assert_eq!(units.len(), 9);
    // Parents come before their children.
    let position = |id: &str| units.iter().position(|u| u["id"] == id).unwrap();
    assert!(position(fixtures::CITY_GOV) < position(fixtures::DISTRICT_GOV));
    assert!(position(fixtures::DISTRICT_GOV) < position(fixtures::DISTRICT_LABOUR));
    let bureau = &units[position(fixtures::DISTRICT_BUREAU)];
    assert_eq!(bureau["kind_label"], "信访部门");
    assert_eq!(bureau["parent"], fixtures::CITY_BUREAU);

    let regions: Vec<serde_json::Value> = get_json(&app, "/api/v1/regions", &cookie).await;
    assert_eq!(
        regions
            .iter()
            .map(|r| r["code"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["330000", "330100", "330102"]
    );
    assert_eq!(regions[2]["parent"], "330100");

    let domains: Vec<serde_json::Value> = get_json(&app, "/api/v1/domains", &cookie).await;
    assert_eq!(domains.len(), 17);
    assert_eq!(domains[0]["name"], "城乡建设");
    assert!(
        domains[0]["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "问题楼盘")
    );
}

/// An API token acting for `wang` as this role at this unit (tokens are how systems, and these tests,
/// act as many principals without a password sign-in each).
async fn token(app: &TestApp, role: Role, unit: &str) -> String {
    let (_, secret) = app
        .ledger
        .store()
        .create_token(
            &format!("{role:?}@{unit}"),
            &UserId::parse("wang").unwrap(),
            &UnitId::parse(unit).unwrap(),
            &[role],
            &UserId::parse("wang").unwrap(),
            chrono::Utc::now().timestamp_millis(),
        )
        .await
        .unwrap();
    secret
}

async fn bearer_get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn bearer_post(
    app: &TestApp,
    path: &str,
    token: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The body of a response that must have this status.
async fn expect(response: reqwest::Response, status: u16) -> serde_json::Value {
    let got = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// A contact as a client sends it: the fixture draft without its id.
fn contact_json(summary: &str) -> serde_json::Value {
    let mut c = serde_json::to_value(fixtures::draft("unused", chrono::Utc::now())).unwrap();
    let o = c.as_object_mut().unwrap();
    o.remove("id");
    o.insert("summary".into(), summary.into());
    c
}
