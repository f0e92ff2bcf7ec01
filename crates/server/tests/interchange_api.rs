//! POST /api/v1/import and GET /api/v1/export on the real server over real SQLite.

use std::net::SocketAddr;

use xinfang_domain::calendar::Calendar;
use xinfang_domain::fixtures;
use xinfang_domain::ids::{UnitId, UserId};
use xinfang_domain::org::{OrgCommand, User};
use xinfang_domain::rules::Rules;
use xinfang_domain::{Change, Role};
use xinfang_server::AppState;
use xinfang_store::audit::AuditFilter;
use xinfang_store::{Ledger, Store, StoreOptions};

const PASSWORD: &str = "a-long-password-42";

struct TestApp {
    addr: SocketAddr,
    client: reqwest::Client,
    ledger: Ledger,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// A server with the fixture organisation, a registrar (wang) and an administrator (root), both with
/// passwords of their own.
async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path(), &StoreOptions::default())
        .await
        .unwrap();
    let ledger = Ledger::new(store, Rules::default(), Calendar::mainland());
    let now = chrono::Utc::now();
    for c in fixtures::org_commands() {
        ledger
            .execute(&fixtures::admin(), now, Change::Org(c))
            .await
            .unwrap();
    }
    for (id, roles) in [
        ("wang", vec![Role::Registrar, Role::Dispatcher]),
        ("root", vec![Role::Admin]),
    ] {
        let user = User {
            id: UserId::parse(id).unwrap(),
            name: id.into(),
            unit: UnitId::parse(fixtures::DISTRICT_BUREAU).unwrap(),
            roles,
            active: true,
        };
        let principal = user.principal();
        ledger
            .execute(
                &fixtures::admin(),
                now,
                Change::Org(OrgCommand::CreateUser(user)),
            )
            .await
            .unwrap();
        // Set by the user themself: not a one-time password.
        ledger
            .set_password(&principal, now, &principal.user, PASSWORD.into())
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(xinfang_server::serve(
        listener,
        AppState {
            ledger: ledger.clone(),
        },
        async {
            let _ = rx.await;
        },
    ));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        ledger,
        _dir: dir,
        _shutdown: tx,
    }
}

/// Sign in; the session cookie and the CSRF token.
async fn sign_in(app: &TestApp, user: &str) -> (String, String) {
    let r = app
        .client
        .post(format!("http://{}/api/v1/session", app.addr))
        .json(&serde_json::json!({"user": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = r.json().await.unwrap();
    (cookie, body["csrf_token"].as_str().unwrap().to_owned())
}

async fn post_import(
    app: &TestApp,
    who: &(String, String),
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .post(format!("http://{}/api/v1/import", app.addr))
        .header("cookie", &who.0)
        .header("x-csrf-token", &who.1)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn file() -> Vec<u8> {
    let good = serde_json::json!({
        "source_id": "H-1", "channel": "letter", "received_at": "2025-03-03 09:00",
        "registered_by": fixtures::DISTRICT_BUREAU,
        "petitioners": [{"name": "李四", "id_number": "11010519491231002X"}],
        "location": {"region": "330102"}, "purpose": "demand", "domain": "其他",
        "summary": "反映小区路灯长期不亮"
    });
    let mut bad = good.clone();
    bad["source_id"] = "H-2".into();
    bad["location"]["region"] = "330199".into();
    let mut out = format!("{good}\n{bad}\n").into_bytes();
    // Padding past the server's ordinary 2 MiB limit: blank lines are not rows.
    out.extend(std::iter::repeat_n(b'\n', 3 * 1024 * 1024));
    out
}

#[tokio::test]
async fn only_administrators_import_and_exports_follow_scope() {
    let app = spawn_app().await;
    let wang = sign_in(&app, "wang").await;
    let root = sign_in(&app, "root").await;

    let refused = post_import(&app, &wang, "application/x-ndjson", file()).await;
    assert_eq!(refused.status(), 403);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "admin_required");
    assert!(
        app.ledger
            .matter(&"H-1".parse_matter())
            .await
            .unwrap()
            .is_none()
    );

    let wrong_type = post_import(&app, &root, "text/plain", file()).await;
    assert_eq!(wrong_type.status(), 415);

    let r = post_import(&app, &root, "application/x-ndjson", file()).await;
    assert_eq!(r.status(), 200);
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(report["imported"], 1);
    assert_eq!(report["rejected"][0]["row"], 2);
    assert_eq!(report["rejected"][0]["source_id"], "H-2");
    assert!(
        report["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("330199")
    );

    let broken = post_import(&app, &root, "text/csv", b"nonsense,columns\n1,2\n".to_vec()).await;
    assert_eq!(broken.status(), 400);

    // The ordinary limit still holds elsewhere.
    let big = app
        .client
        .post(format!("http://{}/api/v1/session", app.addr))
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);

    let export = app
        .client
        .get(format!("http://{}/api/v1/export?format=jsonl", app.addr))
        .header("cookie", &wang.0)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    let text = export.text().await.unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(
        text.contains("11010519491231002X"),
        "a registrar sees identities"
    );
    let (entries, _) = app
        .ledger
        .store()
        .audit_entries(&AuditFilter {
            action: Some("export".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].user, "wang");
    assert!(entries[0].detail.contains("H-1"));

    // The administrator sees them masked, and that read is not one of identities in full.
    let xlsx = app
        .client
        .get(format!("http://{}/api/v1/export?format=xlsx", app.addr))
        .header("cookie", &root.0)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    let (entries, _) = app
        .ledger
        .store()
        .audit_entries(&AuditFilter {
            action: Some("export".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        entries.len(),
        1,
        "a masked export is not audited as a read in full"
    );
}

trait ParseMatter {
    fn parse_matter(&self) -> xinfang_domain::ids::MatterId;
}

impl ParseMatter for &str {
    fn parse_matter(&self) -> xinfang_domain::ids::MatterId {
        xinfang_domain::ids::MatterId::parse(self).unwrap()
    }
}
