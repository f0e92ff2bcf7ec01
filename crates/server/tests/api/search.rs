//! Full-text search through the API: Chinese words with snippets, filters and both orders, the list's
//! scope, identities no viewer may search by, several servers on one PostgreSQL database, and an index
//! that was deleted or left behind while the server was stopped.

use std::sync::Arc;

use serde_json::json;
use xinfang_domain::Role;
use xinfang_domain::fixtures::{DISTRICT_BUREAU, DISTRICT_HOUSING, DISTRICT_LABOUR};
use xinfang_search::{Dictionary, Opened, SearchIndex};

use super::*;

/// A server with a search index of its own in `dir`.
async fn with_search(ledger: Ledger, dir: &std::path::Path) -> TestApp {
    let org = ledger.org().await.unwrap();
    let (index, _) = SearchIndex::open(dir, ledger.store(), &Dictionary::of_org(&org))
        .await
        .unwrap();
    let index = Arc::new(index);
    index.follow(
        ledger.store().clone(),
        std::time::Duration::from_millis(200),
    );
    spawn_server_with(ledger, Some(index)).await
}

async fn register(app: &TestApp, token: &str, contact: serde_json::Value) -> String {
    expect(
        bearer_post(
            app,
            "/api/v1/matters",
            token,
            &json!({ "contact": contact }),
        )
        .await,
        201,
    )
    .await["matter"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn letter(summary: &str, text: &str, received: &str) -> serde_json::Value {
    let mut c = contact_json(summary);
    c["full_text"] = json!(text);
    c["received_at"] = json!(format!("{received}T02:00:00Z"));
    c
}

async fn search(app: &TestApp, token: &str, query: &str) -> serde_json::Value {
    expect(
        bearer_get(app, &format!("/api/v1/search?{query}"), token).await,
        200,
    )
    .await
}

fn ids(page: &serde_json::Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn q(word: &str) -> String {
    format!("q={}", urlencode(word))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn words_filters_orders_and_scope(app: TestApp) {
    let registrar = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    let dispatcher = token(&app, Role::Dispatcher, DISTRICT_BUREAU).await;
    let heating = register(
        &app,
        &registrar,
        letter(
            "小区冬季供暖不热",
            "我们小区今年冬天供暖不好，暖气一直不热，室温只有十二度，物业不管供暖。",
            "2025-01-10",
        ),
    )
    .await;
    let wages = register(
        &app,
        &registrar,
        letter(
            "工地拖欠农民工工资",
            "包工头拖欠工资八万元，冬天供暖费都交不起。",
            "2025-02-20",
        ),
    )
    .await;
    let other = register(
        &app,
        &registrar,
        letter("道路破损", "村口道路坑洼不平。", "2025-03-01"),
    )
    .await;

    // A Chinese word of the text, with a snippet marking it.
    let page = search(&app, &registrar, &q("暖气")).await;
    assert_eq!(ids(&page), [heating.as_str()]);
    let hit = &page["items"][0];
    let snippet: Vec<char> = hit["snippet"].as_str().unwrap().chars().collect();
    let [a, b] = [0, 1].map(|i| hit["highlights"][0][i].as_u64().unwrap() as usize);
    assert_eq!(snippet[a..b].iter().collect::<String>(), "暖气");
    assert_eq!(hit["received_on"], "2025-01-10");
    assert_eq!(hit["identity"], "full");

    // Both orders; two words must both occur.
    let relevance = search(&app, &registrar, &q("供暖")).await;
    assert_eq!(relevance["total"], 2);
    assert_eq!(relevance["total_is_exact"], true);
    assert_eq!(ids(&relevance)[0], heating, "in the summary and the text");
    let newest = search(&app, &registrar, &format!("{}&order=received", q("供暖"))).await;
    assert_eq!(ids(&newest), [wages.clone(), heating.clone()]);
    assert_eq!(
        ids(&search(&app, &registrar, &q("供暖 包工头")).await),
        [wages.as_str()]
    );

    // Filters.
    let from = search(
        &app,
        &registrar,
        &format!("{}&received_from=2025-02-01", q("供暖")),
    )
    .await;
    assert_eq!(ids(&from), [wages.as_str()]);
    let to = search(
        &app,
        &registrar,
        &format!("{}&received_to=2025-01-31", q("供暖")),
    )
    .await;
    assert_eq!(ids(&to), [heating.as_str()]);
    let filtered = format!(
        "{}&status=awaiting_triage&region=330100&domain={}",
        q("供暖"),
        urlencode("劳动和社会保障")
    );
    assert_eq!(search(&app, &registrar, &filtered).await["total"], 2);
    let elsewhere = format!("{}&region=330200", q("供暖"));
    assert_eq!(search(&app, &registrar, &elsewhere).await["total"], 0);

    // Scope: the housing bureau finds only what it holds; out of scope is simply not found.
    let housing = token(&app, Role::Handler, DISTRICT_HOUSING).await;
    assert_eq!(search(&app, &housing, &q("供暖")).await["total"], 0);
    let actions = format!("/api/v1/matters/{heating}/actions");
    let triage = json!({"action": "triage", "decision": "transfer", "to": DISTRICT_HOUSING});
    expect(bearer_post(&app, &actions, &dispatcher, &triage).await, 200).await;
    assert_eq!(
        ids(&search(&app, &housing, &q("供暖")).await),
        [heating.as_str()]
    );
    let unit = format!("{}&unit={DISTRICT_HOUSING}", q("供暖"));
    assert_eq!(ids(&search(&app, &registrar, &unit).await), [heating]);
    let _ = other;

    // Bad input gets a precise 400, never a panic.
    for bad in [
        "q=",
        "q=%20%20",
        "q=%2B%3A%28%22",
        &q("😀"),
        &q(&"工".repeat(300)),
    ] {
        let r = bearer_get(&app, &format!("/api/v1/search?{bad}"), &registrar).await;
        let body = expect(r, 400).await;
        assert_eq!(body["details"]["field"], "q", "{bad}");
    }
    for odd in ["工资\u{1}😀", "title:工资 OR 1=1", "\"拖欠 工资\""] {
        search(&app, &registrar, &q(odd)).await;
    }
    let sideways = format!("/api/v1/search?{}&order=sideways", q("供暖"));
    let r = bearer_get(&app, &sideways, &registrar).await;
    assert_eq!(expect(r, 400).await["details"]["field"], "order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_words_with_filters_orders_and_scope_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(&dir.path().join("db"), &StoreOptions::default())
        .await
        .unwrap();
    let seeded = spawn_seeded(store).await;
    let app = with_search(seeded.ledger.clone(), &dir.path().join("search")).await;
    words_filters_orders_and_scope(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_words_with_filters_orders_and_scope_postgres() {
    let (seeded, _) = spawn_app_pg().await;
    let dir = tempfile::tempdir().unwrap();
    let app = with_search(seeded.ledger.clone(), dir.path()).await;
    words_filters_orders_and_scope(app).await;
}

/// A complaint about the district labour bureau, handed to it, naming the petitioner everywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_finds_a_matter_by_an_identity_they_may_not_see() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(&dir.path().join("db"), &StoreOptions::default())
        .await
        .unwrap();
    let seeded = spawn_seeded(store).await;
    let app = with_search(seeded.ledger.clone(), &dir.path().join("search")).await;
    let registrar = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    let dispatcher = token(&app, Role::Dispatcher, DISTRICT_BUREAU).await;
    let mut contact = letter(
        "张建国反映劳动监察大队对欠薪投诉不作为",
        "本人张建国，电话13800138000，多次投诉欠薪，劳动监察大队至今不处理。",
        "2025-03-03",
    );
    contact["target"] = json!({"name": "上城区人社局劳动监察大队", "unit": DISTRICT_LABOUR});
    contact["demands"] = json!("请为张建国追回工资");
    let id = register(&app, &registrar, contact).await;
    let assign = json!({"action": "triage", "decision": "assign", "to": DISTRICT_LABOUR});
    expect(
        bearer_post(
            &app,
            &format!("/api/v1/matters/{id}/actions"),
            &dispatcher,
            &assign,
        )
        .await,
        200,
    )
    .await;

    // The unit complained about finds the problem, never the person.
    let labour = token(&app, Role::Handler, DISTRICT_LABOUR).await;
    for who in ["张建国", "13800138000", "建国"] {
        let page = search(&app, &labour, &q(who)).await;
        assert_eq!(page["total"], 0, "{who}: {page}");
    }
    let page = search(&app, &labour, &q("欠薪")).await;
    assert_eq!(ids(&page), [id.as_str()]);
    assert_eq!(page["items"][0]["identity"], "hidden");
    let text = page.to_string();
    for needle in ["张建国", "张**", "13800138000"] {
        assert!(!text.contains(needle), "{needle} in {text}");
    }
    // A masked viewer at the bureau finds the problem, and the name only masked.
    let analyst = token(&app, Role::Analyst, DISTRICT_BUREAU).await;
    assert_eq!(search(&app, &analyst, &q("张建国")).await["total"], 0);
    let page = search(&app, &analyst, &q("工资")).await;
    assert_eq!(page["items"][0]["identity"], "masked");
    assert!(!page.to_string().contains("张建国"));
    // The bureau that handles it finds it by the name, and that read is audited.
    let page = search(&app, &dispatcher, &q("张建国")).await;
    assert_eq!(ids(&page), [id.as_str()]);
    assert!(
        page["items"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("张建国")
    );
    let filter = xinfang_store::audit::AuditFilter {
        limit: 50,
        ..Default::default()
    };
    let (trail, _) = app.ledger.store().audit_entries(&filter).await.unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "search_matters" && e.detail.contains(&id)),
        "the full read is audited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matter_written_through_one_server_is_found_through_another() {
    let (a, url) = spawn_app_pg().await;
    let store = Store::open(&url, &StoreOptions::default()).await.unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let b = with_search(
        Ledger::new(store, Rules::default(), Calendar::mainland()),
        dir_b.path(),
    )
    .await;
    let registrar = token(&a, Role::Registrar, DISTRICT_BUREAU).await;
    let id = register(
        &a,
        &registrar,
        letter(
            "化工厂夜间偷排废水",
            "河里的鱼都死了，化工厂夜里偷排。",
            "2025-03-03",
        ),
    )
    .await;
    // B follows the log by itself, without a search to prompt it.
    let head = a.ledger.store().head_seq().await.unwrap();
    let index = b.search.clone().unwrap();
    let started = std::time::Instant::now();
    while index.indexed_seq() < head {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "server B's index did not catch up within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ids(&search(&b, &registrar, &q("偷排")).await), [id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_deleted_or_left_behind_while_stopped_is_made_whole_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(&dir.path().join("db"), &StoreOptions::default())
        .await
        .unwrap();
    let app = spawn_seeded(store).await;
    let registrar = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    let first = register(
        &app,
        &registrar,
        letter("违建", "邻居私搭乱建阳台。", "2025-03-03"),
    )
    .await;
    let search_dir = dir.path().join("search");
    let dict = Dictionary::of_org(&app.ledger.org().await.unwrap());
    let store = app.ledger.store();
    let found = |index: &SearchIndex, word: &str| {
        let q = xinfang_search::SearchQuery {
            text: word.into(),
            limit: 10,
            ..Default::default()
        };
        let found = index
            .search(&q, &xinfang_search::Viewer::operator())
            .unwrap();
        found.hits.into_iter().map(|h| h.matter).collect::<Vec<_>>()
    };
    let (index, opened) = SearchIndex::open(&search_dir, store, &dict).await.unwrap();
    assert_eq!(opened, Opened::Rebuilt(1));
    drop(index);
    // Deleted while stopped: rebuilt.
    std::fs::remove_dir_all(search_dir.join("index")).unwrap();
    let (index, opened) = SearchIndex::open(&search_dir, store, &dict).await.unwrap();
    assert_eq!(opened, Opened::Rebuilt(1));
    assert_eq!(found(&index, "私搭乱建"), [first.as_str()]);
    drop(index);
    // Written while stopped: caught up.
    let second = register(
        &app,
        &registrar,
        letter("噪音", "广场舞音响扰民。", "2025-03-04"),
    )
    .await;
    let (index, opened) = SearchIndex::open(&search_dir, store, &dict).await.unwrap();
    assert_eq!(opened, Opened::CaughtUp(1));
    assert_eq!(found(&index, "扰民"), [second]);
    assert_eq!(found(&index, "私搭乱建"), [first]);
    drop(index);
    // A damaged index: rebuilt.
    std::fs::write(search_dir.join("index").join("meta.json"), "{").unwrap();
    let (_, opened) = SearchIndex::open(&search_dir, store, &dict).await.unwrap();
    assert_eq!(opened, Opened::Rebuilt(2));
}
