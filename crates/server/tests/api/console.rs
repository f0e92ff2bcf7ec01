//! The staff console over the real server: every page opens for every role (or says why not), every
//! form field has a label, and no matter page offers an action the API would refuse for that user in
//! that state — each offered action, sent as offered, is taken, and every action not offered is refused.

use std::collections::BTreeSet;

use xinfang_domain::fixtures::{
    self, CITY_BUREAU, DISTRICT_BUREAU, DISTRICT_GOV, DISTRICT_HOUSING, DISTRICT_LABOUR,
};
use xinfang_domain::ids::{UnitId, UserId};
use xinfang_domain::offers::{candidates, offer_code};
use xinfang_domain::org::{OrgCommand, User};

use super::*;

pub(crate) const PASSWORD: &str = "console-password-1";

/// A staff account with a password of its own (not a one-time one).
pub(crate) async fn add_user(ledger: &Ledger, id: &str, name: &str, unit: &str, roles: Vec<Role>) {
    let now = chrono::Utc::now();
    let user = User {
        id: UserId::parse(id).unwrap(),
        name: name.into(),
        unit: UnitId::parse(unit).unwrap(),
        roles: roles.clone(),
        active: true,
    };
    ledger
        .execute(
            &fixtures::admin(),
            now,
            Change::Org(OrgCommand::CreateUser(user.clone())),
        )
        .await
        .unwrap();
    ledger
        .set_password(&user.principal(), now, &user.id, PASSWORD.into())
        .await
        .unwrap();
}

/// A signed-in browser-less client: the session cookie and the CSRF token.
pub(crate) struct Session {
    cookie: String,
    csrf: String,
}

pub(crate) async fn session(app: &TestApp, user: &str) -> Session {
    let response = login(app, user, PASSWORD).await;
    assert_eq!(response.status(), 200, "{user} signs in");
    let cookie = cookie_of(&response);
    let body: serde_json::Value = response.json().await.unwrap();
    Session {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
    }
}

async fn page(app: &TestApp, s: &Session, path: &str) -> (u16, String) {
    let response = get(app, path, Some(&s.cookie)).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn act(app: &TestApp, s: &Session, matter: &str, body: &serde_json::Value) -> (u16, String) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/matters/{matter}/actions")))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The values of an attribute on every element carrying it.
fn attributes(html: &str, name: &str) -> Vec<String> {
    let marker = format!(" {name}=\"");
    html.match_indices(&marker)
        .map(|(i, _)| {
            let rest = &html[i + marker.len()..];
            unescape(&rest[..rest.find('"').unwrap()])
        })
        .collect()
}

/// The actions a matter page offers: each form's code and the command it was offered with.
fn offers_on(html: &str) -> Vec<(String, serde_json::Value)> {
    attributes(html, "data-code")
        .into_iter()
        .zip(attributes(html, "data-probe"))
        .map(|(code, probe)| (code, serde_json::from_str(&probe).unwrap()))
        .collect()
}

/// Every input, select and textarea a person fills in has a label pointing at it.
fn assert_labelled(path: &str, html: &str) {
    let labelled: BTreeSet<String> = attributes(html, "for").into_iter().collect();
    for tag in ["<input", "<select", "<textarea"] {
        for (i, _) in html.match_indices(tag) {
            let element = &html[i..i + html[i..].find('>').unwrap()];
            if element.contains("type=\"hidden\"") || element.contains("type=\"submit\"") {
                continue;
            }
            let id = attributes(&format!("{element}>"), "id");
            assert!(
                id.first().is_some_and(|id| labelled.contains(id)),
                "{path}: a field without a label: {element}>"
            );
        }
    }
}

/// A server with an account for each role at the fixture's district units (and one at the city).
pub(crate) async fn console_app() -> TestApp {
    let app = spawn_app().await;
    let l = &app.ledger;
    add_user(l, "reg", "登记员甲", DISTRICT_BUREAU, vec![Role::Registrar]).await;
    add_user(
        l,
        "dsp",
        "分流员乙",
        DISTRICT_BUREAU,
        vec![Role::Dispatcher],
    )
    .await;
    add_user(
        l,
        "sup",
        "督查员丙",
        DISTRICT_BUREAU,
        vec![Role::Supervisor],
    )
    .await;
    add_user(l, "lead", "局长丁", DISTRICT_BUREAU, vec![Role::Leader]).await;
    add_user(l, "hz", "住建承办", DISTRICT_HOUSING, vec![Role::Handler]).await;
    add_user(l, "hzl", "住建局长", DISTRICT_HOUSING, vec![Role::Leader]).await;
    add_user(l, "hr", "人社承办", DISTRICT_LABOUR, vec![Role::Handler]).await;
    add_user(
        l,
        "gov",
        "区政府",
        DISTRICT_GOV,
        vec![Role::Handler, Role::Leader],
    )
    .await;
    add_user(
        l,
        "city",
        "市局",
        CITY_BUREAU,
        vec![Role::Supervisor, Role::Dispatcher],
    )
    .await;
    add_user(l, "ana", "分析员", DISTRICT_BUREAU, vec![Role::Analyst]).await;
    add_user(l, "adm", "管理员", DISTRICT_BUREAU, vec![Role::Admin]).await;
    app
}

const USERS: [&str; 11] = [
    "reg", "dsp", "sup", "lead", "hz", "hzl", "hr", "gov", "city", "ana", "adm",
];

#[tokio::test]
async fn every_page_opens_for_every_role_with_labelled_fields() {
    let app = console_app().await;
    let day0 = chrono::Utc::now() - chrono::Duration::days(40);
    let (ids, steps) = fixtures::varied_histories(day0, 3, 11);
    for (who, at, command) in steps {
        let _ = app.ledger.execute(&who, at, Change::Matter(command)).await;
    }
    // Without a session a page sends the browser to sign in, and back afterwards.
    let anonymous = get(&app, "/matters?status=handling", None).await;
    assert_eq!(
        anonymous.status(),
        200,
        "redirects are followed to the sign-in page"
    );
    assert!(anonymous.url().path().starts_with("/login"));
    assert_eq!(
        anonymous.url().query(),
        Some("next=/matters%3Fstatus%3Dhandling")
    );
    let matter = format!("/matters/{}", ids[0]);
    for user in USERS {
        let s = session(&app, user).await;
        for path in [
            "/",
            "/matters",
            "/matters?todo=overdue",
            "/register",
            "/supervision",
            "/stats",
            "/admin",
            matter.as_str(),
        ] {
            let (status, html) = page(&app, &s, path).await;
            let allowed = match path {
                "/admin" => user == "adm",
                "/register" => user == "reg",
                "/supervision" => ["dsp", "sup", "lead", "hzl", "gov", "city"].contains(&user),
                // The matter belongs to the district: the city sees it, the housing bureau only if it
                // holds it; a 404 says nothing about it to anyone else.
                p if p == matter => status != 404,
                _ => true,
            };
            if allowed {
                assert_eq!(status, 200, "{user} opens {path}: {html}");
                assert!(html.contains("<html lang=\"zh-CN\">"), "{path}");
                assert_labelled(path, &html);
            } else {
                assert!([403, 404].contains(&status), "{user} on {path}: {status}");
                assert!(html.contains("无法打开此页"), "{path}: an error page");
            }
        }
    }
    let s = session(&app, "reg").await;
    let (_, html) = page(&app, &s, "/").await;
    for todo in ["待评价", "不满意待回访"] {
        assert!(html.contains(todo), "the registrar's 工作台 lists {todo}");
    }
    assert!(!html.contains("待分流"), "triage is the dispatcher's list");
    let export = app
        .client
        .get(app.url("/matters/export.xlsx?status="))
        .header("cookie", &s.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    let bytes = export.bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    use calamine::Reader as _;
    let sheet = book.worksheet_range("信访事项").unwrap();
    assert_eq!(sheet.height(), ids.len() + 1, "a header and every matter");
}

#[tokio::test]
async fn no_page_offers_an_action_the_api_refuses() {
    let app = console_app().await;
    let day0 = chrono::Utc::now() - chrono::Duration::days(250);
    let (mut ids, steps) = fixtures::varied_histories(day0, 16, 5);
    for (who, at, command) in steps {
        let _ = app.ledger.execute(&who, at, Change::Matter(command)).await;
    }
    // And some just registered, still to be triaged.
    let now = chrono::Utc::now();
    for n in 0..3 {
        let id = xinfang_domain::ids::MatterId::parse(&format!("XF-NEW{n}")).unwrap();
        let command = xinfang_domain::Command::Register {
            filing: xinfang_domain::workflow::Filing::NewMatter { matter: id.clone() },
            contact: Box::new(fixtures::draft(&format!("C-NEW{n}"), now)),
        };
        app.ledger
            .execute(
                &fixtures::staff(DISTRICT_BUREAU, Role::Registrar),
                now,
                Change::Matter(command),
            )
            .await
            .unwrap();
        ids.push(id);
    }
    let org = app.ledger.org().await.unwrap();
    let mut sessions = Vec::new();
    for user in USERS {
        sessions.push((user, session(&app, user).await));
    }
    let mut taken = BTreeSet::new();
    let mut refused = 0;
    // Three rounds: each takes one offered action per matter, so later rounds see later states.
    for round in 0..3 {
        for (i, id) in ids.iter().enumerate() {
            let path = format!("/matters/{id}");
            let mut offered_somewhere = Vec::new();
            for (user, s) in &sessions {
                let (status, html) = page(&app, s, &path).await;
                if status == 404 {
                    continue;
                }
                assert_eq!(status, 200, "{user} {path}");
                let offers = offers_on(&html);
                let codes: BTreeSet<&str> = offers.iter().map(|(c, _)| c.as_str()).collect();
                let m = app.ledger.matter(id).await.unwrap().unwrap();
                let head = app.ledger.head().await.unwrap();
                for candidate in candidates(&m, &org) {
                    let code = offer_code(&candidate);
                    if codes.contains(code.as_str()) {
                        continue;
                    }
                    let body = serde_json::to_value(&candidate).unwrap();
                    let (status, text) = act(&app, s, id.as_str(), &body).await;
                    assert!(
                        status >= 400,
                        "{user} on {id} ({:?}): {code} not offered but the API took it",
                        m.status
                    );
                    assert!(text.contains("\"message\""), "{text}");
                    refused += 1;
                }
                assert_eq!(
                    app.ledger.head().await.unwrap(),
                    head,
                    "refusals write nothing"
                );
                for (code, probe) in offers {
                    offered_somewhere.push((*user, s, code, probe));
                }
            }
            if offered_somewhere.is_empty() {
                continue;
            }
            let (user, s, code, probe) = &offered_somewhere[(i + round) % offered_somewhere.len()];
            let (status, text) = act(&app, s, id.as_str(), probe).await;
            assert_eq!(
                status, 200,
                "{user} offered {code} on {id}, the API said {text}"
            );
            taken.insert(code.split('.').next().unwrap().to_owned());
        }
    }
    assert!(refused > 500, "only {refused} refusals checked");
    for kind in ["triage", "accept", "answer"] {
        assert!(taken.contains(kind), "no {kind} taken: {taken:?}");
    }
}

#[tokio::test]
async fn administrators_manage_the_accounts_of_their_units() {
    let app = console_app().await;
    let adm = session(&app, "adm").await;
    let send = |method: reqwest::Method, path: &str, s: &Session, body: serde_json::Value| {
        app.client
            .request(method, app.url(path))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .json(&body)
            .send()
    };
    let created = send(
        reqwest::Method::POST,
        "/api/v1/users",
        &adm,
        serde_json::json!({"id": "newclerk", "name": "新登记员", "unit": DISTRICT_BUREAU, "roles": ["registrar"]}),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    let password = created["one_time_password"].as_str().unwrap();
    let signed_in = login(&app, "newclerk", password).await;
    assert_eq!(signed_in.status(), 200);
    // Never sideways or above: the city bureau is not the district administrator's.
    let above = send(
        reqwest::Method::POST,
        "/api/v1/users",
        &adm,
        serde_json::json!({"id": "cityclerk", "name": "市登记员", "unit": CITY_BUREAU, "roles": ["registrar"]}),
    )
    .await
    .unwrap();
    assert_eq!(above.status(), 422);
    let taken = send(
        reqwest::Method::POST,
        "/api/v1/users",
        &adm,
        serde_json::json!({"id": "newclerk", "name": "重名", "unit": DISTRICT_BUREAU, "roles": ["registrar"]}),
    )
    .await
    .unwrap();
    assert_eq!(taken.status(), 422, "a taken user name");
    let not_admin = session(&app, "reg").await;
    let refused = send(
        reqwest::Method::POST,
        "/api/v1/users",
        &not_admin,
        serde_json::json!({"id": "x1", "name": "某", "unit": DISTRICT_BUREAU, "roles": ["registrar"]}),
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 403);
    // New roles, then disabled: the account can no longer sign in.
    let changed = send(
        reqwest::Method::PUT,
        "/api/v1/users/newclerk",
        &adm,
        serde_json::json!({"roles": ["registrar", "dispatcher"]}),
    )
    .await
    .unwrap();
    assert_eq!(changed.status(), 200);
    let changed: serde_json::Value = changed.json().await.unwrap();
    assert_eq!(
        changed["roles"],
        serde_json::json!(["registrar", "dispatcher"])
    );
    let city_user = send(
        reqwest::Method::PUT,
        "/api/v1/users/city",
        &adm,
        serde_json::json!({"active": false}),
    )
    .await
    .unwrap();
    assert_eq!(
        city_user.status(),
        404,
        "an account above is not the administrator's"
    );
    let disabled = send(
        reqwest::Method::PUT,
        "/api/v1/users/newclerk",
        &adm,
        serde_json::json!({"active": false}),
    )
    .await
    .unwrap();
    assert_eq!(disabled.status(), 200);
    assert_eq!(login(&app, "newclerk", password).await.status(), 401);
    let again = send(
        reqwest::Method::PUT,
        "/api/v1/users/newclerk",
        &adm,
        serde_json::json!({"active": false}),
    )
    .await
    .unwrap();
    assert_eq!(again.status(), 200, "the same change again is no change");
}

/// 管理 changes the organisation inside the administrator's own unit and region, and nowhere else; the
/// page shows what changed.
#[tokio::test]
async fn administrators_change_units_and_regions_of_their_own() {
    let app = console_app().await;
    let adm = session(&app, "adm").await;
    let send = |method: reqwest::Method, path: &str, s: &Session, body: serde_json::Value| {
        app.client
            .request(method, app.url(path))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .json(&body)
            .send()
    };
    let status = |r: reqwest::Response| r.status().as_u16();
    let post = reqwest::Method::POST;
    let put = reqwest::Method::PUT;

    let region = serde_json::json!({"code": "330102001", "name": "湖滨街道"});
    assert_eq!(
        status(
            send(post.clone(), "/api/v1/regions", &adm, region)
                .await
                .unwrap()
        ),
        201
    );
    let outside = serde_json::json!({"code": "330103", "name": "下城区"});
    assert_eq!(
        status(
            send(post.clone(), "/api/v1/regions", &adm, outside)
                .await
                .unwrap()
        ),
        422,
        "a region outside the administrator's"
    );

    let office = serde_json::json!({
        "id": "hubin-xfb", "name": "湖滨街道信访办", "kind": "petition_bureau", "level": "township",
        "region": "330102001", "parent": DISTRICT_BUREAU, "domains": ["城乡建设"],
    });
    assert_eq!(
        status(
            send(post.clone(), "/api/v1/units", &adm, office.clone())
                .await
                .unwrap()
        ),
        201
    );
    assert_eq!(
        status(
            send(post.clone(), "/api/v1/units", &adm, office)
                .await
                .unwrap()
        ),
        422,
        "a taken unit code"
    );
    let sideways = serde_json::json!({
        "id": "x-zjj", "name": "某局", "kind": "department", "level": "county",
        "region": "330102", "parent": DISTRICT_GOV,
    });
    assert_eq!(
        status(
            send(post.clone(), "/api/v1/units", &adm, sideways)
                .await
                .unwrap()
        ),
        422,
        "a parent outside the administrator's units"
    );

    let rule =
        serde_json::json!({"name": "上城区信访局", "domains": ["劳动和社会保障", "城乡建设"]});
    let changed = send(
        put.clone(),
        &format!("/api/v1/units/{DISTRICT_BUREAU}"),
        &adm,
        rule,
    )
    .await
    .unwrap();
    assert_eq!(changed.status(), 200);
    let changed: serde_json::Value = changed.json().await.unwrap();
    assert_eq!(
        changed["domains"],
        serde_json::json!(["劳动和社会保障", "城乡建设"])
    );
    let unknown = serde_json::json!({"name": "上城区信访局", "domains": ["不存在的分类"]});
    let refused = send(
        put.clone(),
        &format!("/api/v1/units/{DISTRICT_BUREAU}"),
        &adm,
        unknown,
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("不存在的分类"),
        "{body}"
    );
    let housing = serde_json::json!({"name": "某局", "domains": []});
    assert_eq!(
        status(
            send(
                put.clone(),
                &format!("/api/v1/units/{DISTRICT_HOUSING}"),
                &adm,
                housing.clone()
            )
            .await
            .unwrap()
        ),
        404,
        "a unit that is not the administrator's"
    );
    let reg = session(&app, "reg").await;
    assert_eq!(
        status(
            send(
                put,
                &format!("/api/v1/units/{DISTRICT_BUREAU}"),
                &reg,
                housing
            )
            .await
            .unwrap()
        ),
        403
    );

    let page = app
        .client
        .get(app.url("/admin"))
        .header("cookie", &adm.cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("湖滨街道信访办") && page.contains("330102001 湖滨街道"));
    assert!(
        page.contains("劳动和社会保障、城乡建设"),
        "the routing rule as saved"
    );
}
