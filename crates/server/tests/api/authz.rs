//! The authorization matrix: every role × every route × own unit / unit below / sibling unit, checked
//! against the table in docs/security.md, so that the policy page and the server cannot disagree.

use serde_json::json;
use xinfang_domain::Role;
use xinfang_domain::fixtures::{DISTRICT_BUREAU, DISTRICT_GOV, DISTRICT_HOUSING, DISTRICT_LABOUR};

use super::*;

/// One row of the policy table: the route, and per role the answers [own, below, sibling].
type PolicyRow = (String, Vec<(String, [String; 3])>);

fn policy() -> Vec<PolicyRow> {
    let page = include_str!("../../../../docs/security.md");
    let section = page
        .split("## Authorization matrix")
        .nth(1)
        .expect("docs/security.md has an authorization matrix");
    let mut lines = section.lines().filter(|l| l.starts_with('|'));
    let header: Vec<String> = lines
        .next()
        .expect("a header row")
        .split('|')
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    lines
        .filter(|l| !l.starts_with("|---"))
        .map(|line| {
            let cells: Vec<&str> = line
                .split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            let route = cells[0].to_owned();
            let by_role = header[1..]
                .iter()
                .zip(&cells[1..])
                .map(|(role, cell)| {
                    let parts: Vec<String> = cell.split('·').map(str::to_owned).collect();
                    assert_eq!(parts.len(), 3, "{route} / {role}: {cell}");
                    (
                        role.clone(),
                        [parts[0].clone(), parts[1].clone(), parts[2].clone()],
                    )
                })
                .collect();
            (route, by_role)
        })
        .collect()
}

fn role_of(code: &str) -> Role {
    serde_json::from_value(json!(code)).unwrap_or_else(|_| panic!("unknown role {code}"))
}

#[tokio::test]
async fn every_cell_of_the_documented_matrix_holds() {
    let app = spawn_app().await;
    let registrar = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    let dispatcher = token(&app, Role::Dispatcher, DISTRICT_BUREAU).await;
    let file = expect(
        app.client
            .post(app.url("/api/v1/files?name=scan.png"))
            .bearer_auth(&registrar)
            .header("content-type", "image/png")
            .body(b"png bytes".to_vec())
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let mut contact = contact_json("反映小区地下车库渗水");
    contact["attachments"] = json!([file.clone()]);
    let registered = expect(
        bearer_post(
            &app,
            "/api/v1/matters",
            &registrar,
            &json!({ "contact": contact }),
        )
        .await,
        201,
    )
    .await;
    let id = registered["matter"].as_str().unwrap().to_owned();
    expect(
        bearer_post(
            &app,
            &format!("/api/v1/matters/{id}/actions"),
            &dispatcher,
            &json!({"action": "triage", "decision": "transfer", "to": DISTRICT_HOUSING}),
        )
        .await,
        200,
    )
    .await;
    let sha = file["sha256"].as_str().unwrap();

    let positions = [DISTRICT_HOUSING, DISTRICT_GOV, DISTRICT_LABOUR];
    let mut mismatches = Vec::new();
    let mut cells = 0;
    for (route, by_role) in policy() {
        for (role_code, expected) in by_role {
            let role = role_of(&role_code);
            for (unit, want) in positions.iter().zip(expected) {
                let t = token(&app, role, unit).await;
                let got = outcome(&app, &route, &t, &id, sha).await;
                cells += 1;
                if got != want {
                    mismatches.push(format!(
                        "{route} | {role_code} @ {unit}: policy {want}, server {got}"
                    ));
                }
            }
        }
    }
    assert!(cells >= 11 * 8 * 3, "the matrix lost rows: {cells} cells");
    assert!(
        mismatches.is_empty(),
        "the server departs from docs/security.md:\n{}",
        mismatches.join("\n")
    );
}

/// What the server answers for one cell, in the table's vocabulary.
async fn outcome(app: &TestApp, route: &str, token: &str, id: &str, sha: &str) -> String {
    let status = |r: reqwest::Response| r.status().as_u16().to_string();
    match route {
        "`GET /api/v1/matters`" => {
            let r = bearer_get(app, "/api/v1/matters?per_page=200", token).await;
            if r.status() != 200 {
                return status(r);
            }
            let page: serde_json::Value = r.json().await.unwrap();
            let listed = page["items"].as_array().unwrap().iter().any(|m| m["id"] == id);
            if listed { "listed" } else { "absent" }.into()
        }
        "`GET /api/v1/matters/{id}`" => status(bearer_get(app, &format!("/api/v1/matters/{id}"), token).await),
        "identity in `GET /api/v1/matters/{id}`" => {
            let r = bearer_get(app, &format!("/api/v1/matters/{id}"), token).await;
            if r.status() != 200 {
                return "-".into();
            }
            let m: serde_json::Value = r.json().await.unwrap();
            m["identity"].as_str().unwrap().to_owned()
        }
        "`GET /api/v1/matters/{id}/documents`" => status(
            bearer_get(app, &format!("/api/v1/matters/{id}/documents"), token).await,
        ),
        "`GET /api/v1/document-templates`" => {
            status(bearer_get(app, "/api/v1/document-templates", token).await)
        }
        "`GET /api/v1/matters/{id}/attachments/{sha256}`" => status(
            bearer_get(app, &format!("/api/v1/matters/{id}/attachments/{sha}"), token).await,
        ),
        "`POST /api/v1/matters/{id}/actions` (催办)" => status(
            bearer_post(
                app,
                &format!("/api/v1/matters/{id}/actions"),
                token,
                &json!({"action": "remind", "note": "请抓紧受理"}),
            )
            .await,
        ),
        "`POST /api/v1/matters` (重复信访 of it)" => status(
            bearer_post(
                app,
                "/api/v1/matters",
                token,
                &json!({"contact": contact_json("再次反映车库渗水"), "link": {"matter": id, "relation": "repeat"}}),
            )
            .await,
        ),
        "`POST /api/v1/files`" => status(
            app.client
                .post(app.url("/api/v1/files?name=photo.jpg"))
                .bearer_auth(token)
                .header("content-type", "image/jpeg")
                .body(b"jpeg".to_vec())
                .send()
                .await
                .unwrap(),
        ),
        "`GET /api/v1/units`" | "`GET /api/v1/users`" | "`GET /api/v1/audit`" | "`GET /api/v1/tokens`" => {
            let path = route.trim_matches('`').trim_start_matches("GET ");
            status(bearer_get(app, path, token).await)
        }
        other => panic!("the test does not know the route {other}: add it to `outcome`"),
    }
}
