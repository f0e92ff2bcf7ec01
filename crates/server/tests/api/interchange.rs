//! POST /api/v1/import (administrators only, larger bodies) and GET /api/v1/export (scoped, masked,
//! audited).

use xinfang_domain::Role;
use xinfang_domain::fixtures::DISTRICT_BUREAU;
use xinfang_store::audit::AuditFilter;

use super::*;

async fn post_import(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/import"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// One good row, one with an unknown region, and padding past the ordinary 2 MiB limit (blank lines are
/// not rows).
fn file() -> Vec<u8> {
    let good = serde_json::json!({
        "source_id": "H-1", "channel": "letter", "received_at": "2025-03-03 09:00",
        "registered_by": DISTRICT_BUREAU,
        "petitioners": [{"name": "李四", "id_number": "11010519491231002X"}],
        "location": {"region": "330102"}, "purpose": "demand", "domain": "其他",
        "summary": "反映小区路灯长期不亮"
    });
    let mut bad = good.clone();
    bad["source_id"] = "H-2".into();
    bad["location"]["region"] = "330199".into();
    let mut out = format!("{good}\n{bad}\n").into_bytes();
    out.extend(std::iter::repeat_n(b'\n', 3 * 1024 * 1024));
    out
}

async fn exports_audited(app: &TestApp) -> Vec<xinfang_store::audit::AuditEntry> {
    let filter = AuditFilter {
        action: Some("export".into()),
        limit: 10,
        ..AuditFilter::default()
    };
    app.ledger.store().audit_entries(&filter).await.unwrap().0
}

#[tokio::test]
async fn only_administrators_import_and_exports_follow_scope() {
    let app = spawn_app().await;
    let registrar = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    let admin = token(&app, Role::Admin, DISTRICT_BUREAU).await;

    let refused = post_import(&app, &registrar, "application/x-ndjson", file()).await;
    assert_eq!(expect(refused, 403).await["code"], "admin_required");
    let h1 = xinfang_domain::ids::MatterId::parse("H-1").unwrap();
    assert!(app.ledger.matter(&h1).await.unwrap().is_none());

    assert_eq!(
        post_import(&app, &admin, "text/plain", file())
            .await
            .status(),
        415
    );

    let report = expect(
        post_import(&app, &admin, "application/x-ndjson", file()).await,
        200,
    )
    .await;
    assert_eq!(report["imported"], 1);
    assert_eq!(report["rejected"][0]["row"], 2);
    assert_eq!(report["rejected"][0]["source_id"], "H-2");
    assert!(
        report["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("330199")
    );

    let broken = post_import(
        &app,
        &admin,
        "text/csv",
        b"nonsense,columns\n1,2\n".to_vec(),
    )
    .await;
    assert_eq!(broken.status(), 400);

    // The ordinary limit still holds elsewhere.
    let big = app
        .client
        .post(app.url("/api/v1/session"))
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);

    let export = bearer_get(&app, "/api/v1/export?format=jsonl", &registrar).await;
    assert_eq!(export.status(), 200);
    let text = export.text().await.unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(
        text.contains("11010519491231002X"),
        "a registrar sees identities"
    );
    let entries = exports_audited(&app).await;
    assert_eq!(entries.len(), 1);
    assert!(entries[0].user.starts_with("api:"));
    assert!(entries[0].detail.contains("H-1"));

    // The administrator sees them masked, and that is not a read of identities in full.
    let xlsx = bearer_get(&app, "/api/v1/export?format=xlsx", &admin).await;
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    assert_eq!(
        exports_audited(&app).await.len(),
        1,
        "a masked export is not audited as a full read"
    );
}
