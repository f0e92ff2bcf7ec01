//! Figures through the API, on both engines: contacts registered today are counted in today's figures
//! for the units in the user's scope, drill down to their matters, and bad requests get a precise 400.

use serde_json::json;
use xinfang_domain::Role;
use xinfang_domain::fixtures::{CITY_BUREAU, DISTRICT_BUREAU};

use super::*;

async fn register(app: &TestApp, token: &str, summary: &str, channel: &str) -> String {
    let mut contact = contact_json(summary);
    contact["channel"] = json!(channel);
    let body = expect(
        bearer_post(
            app,
            "/api/v1/matters",
            token,
            &json!({ "contact": contact }),
        )
        .await,
        201,
    )
    .await;
    body["matter"].as_str().unwrap().to_owned()
}

async fn figures_count_within_scope_and_drill_down(app: &TestApp) {
    let district = token(app, Role::Registrar, DISTRICT_BUREAU).await;
    let city = token(app, Role::Registrar, CITY_BUREAU).await;
    let mut ours = vec![
        register(app, &district, "反映工地拖欠工资", "visit").await,
        register(app, &district, "反映工地拖欠工资二", "online").await,
        register(app, &district, "反映工地拖欠工资三", "online").await,
    ];
    ours.sort();
    register(app, &city, "市局登记的来信", "letter").await;

    let today = xinfang_domain::workflow::china_date(chrono::Utc::now());
    let reader = token(app, Role::Analyst, DISTRICT_BUREAU).await;
    let q = format!("from={today}&to={today}");
    let page = expect(
        bearer_get(app, &format!("/api/v1/stats?{q}"), &reader).await,
        200,
    )
    .await;
    let total = &page["rows"][0];
    assert_eq!(total["figures"]["contacts"], 3, "{page:#}");
    assert_eq!(total["figures"]["online_share"]["numerator"], 2);
    assert_eq!(total["figures"]["online_share"]["denominator"], 3);
    assert_eq!(total["counts"]["contacts"], 3);
    assert_eq!(page["as_of"], today.to_string());
    // The city's analyst sees the city bureau's letter too, and can group by unit.
    let above = token(app, Role::Analyst, CITY_BUREAU).await;
    let page = expect(
        bearer_get(
            app,
            &format!("/api/v1/stats?{q}&group_by=unit&rank_by=contacts"),
            &above,
        )
        .await,
        200,
    )
    .await;
    let rows = page["rows"].as_array().unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys, [DISTRICT_BUREAU, CITY_BUREAU], "{page:#}");
    assert_eq!(rows[0]["rank"], 1);
    assert_eq!(rows[0]["name"], "上城区信访局");

    // Drill down: the matters behind the contacts, and behind the online ones.
    let drill = expect(
        bearer_get(
            app,
            &format!("/api/v1/stats/matters?{q}&parts=contacts"),
            &reader,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(drill["total"], 3);
    let listed: Vec<String> = drill["matters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, ours);
    let online = expect(
        bearer_get(
            app,
            &format!("/api/v1/stats/matters?{q}&parts=online"),
            &reader,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(online["total"], 2);

    // Bad input: a precise 400; a unit outside the scope; a petitioner's account: 403.
    for (query, field) in [
        (format!("from={today}&to=2020-01-01"), "from"),
        (format!("{q}&group_by=person"), "group_by"),
        (format!("{q}&rank_by=nothing"), "rank_by"),
        (format!("{q}&unit={CITY_BUREAU}"), "unit"),
        (format!("{q}&region=33x"), "region"),
        (
            format!("{q}&region_digits=5&group_by=region"),
            "region_digits",
        ),
    ] {
        let body = expect(
            bearer_get(app, &format!("/api/v1/stats?{query}"), &reader).await,
            400,
        )
        .await;
        assert_eq!(body["details"]["field"], field, "{query}: {body}");
    }
    let body = expect(
        bearer_get(
            app,
            &format!("/api/v1/stats/matters?{q}&parts=nothing"),
            &reader,
        )
        .await,
        400,
    )
    .await;
    assert_eq!(body["details"]["field"], "parts");
    let petitioner = token(app, Role::Petitioner, DISTRICT_BUREAU).await;
    expect(
        bearer_get(app, &format!("/api/v1/stats?{q}"), &petitioner).await,
        403,
    )
    .await;
}

#[tokio::test]
async fn stats_on_sqlite() {
    let app = spawn_app().await;
    figures_count_within_scope_and_drill_down(&app).await;
}

#[tokio::test]
async fn stats_on_postgres() {
    let (app, _) = spawn_app_pg().await;
    figures_count_within_scope_and_drill_down(&app).await;
}
