//! Hot spots through the API, on both engines: letters about one estate's lift written by different
//! people come back as one hot spot with their figures; letters about other problems do not; matters
//! outside the user's scope are neither shown nor counted.

use serde_json::json;
use xinfang_domain::Role;
use xinfang_domain::fixtures::{CITY_BUREAU, DISTRICT_BUREAU};

use super::*;

const LIFT: [&str; 6] = [
    "锦绣花园小区3号楼的电梯自上月起多次停运，老人只能爬楼。物业说锦绣花园维修基金用不了，电梯一直没人修。请督促物业尽快修好锦绣花园3号楼电梯。",
    "我住锦绣花园3号楼，电梯困人两次，物业不管。锦绣花园3号楼住着很多老人，电梯停运后出行非常困难，要求启用维修基金更换电梯。",
    "反映锦绣花园小区3号楼电梯停运问题。电梯自上月起多次故障，锦绣花园物业公司推说维修基金用不了。希望相关部门督促物业修好3号楼电梯。",
    "锦绣花园3号楼电梯又坏了，这个月已经是第三次停运，老人只能爬楼。物业说维修基金用不了，锦绣花园的电梯一直没人修，请领导重视。",
    "关于锦绣花园小区3号楼电梯：自上月起多次停运，困人两次。锦绣花园物业不作为，维修基金用不了，电梯一直没人修，恳请督促解决。",
    "锦绣花园3号楼电梯停运一个多月，楼里老人出行非常困难。多次找物业，物业说维修基金用不了。要求尽快修好锦绣花园3号楼电梯。",
];

const OTHERS: [&str; 5] = [
    "小区门口的路灯坏了半年没人修，晚上出行很不安全，希望尽快修复。",
    "村里的土地承包费多年没有公开，村民有意见，要求公开账目。",
    "饭店油烟直排进居民楼，窗户都不敢打开，要求环保部门查处。",
    "我的养老保险转移手续办了三个月还没有办好，请帮助协调。",
    "孩子上学划片不合理，离家近的学校进不去，请教育局说明理由。",
];

/// Register a contact about `text` (signed by the fixture's petitioner) at `unit`; the matter's id.
async fn register(app: &TestApp, token: &str, summary: &str, text: &str) -> String {
    let mut contact = contact_json(summary);
    contact["full_text"] = json!(format!("{text}反映人：张建国。"));
    contact["demands"] = json!("请尽快处理");
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

async fn hot_spots_are_found_within_scope(app: &TestApp) {
    let district = token(app, Role::Registrar, DISTRICT_BUREAU).await;
    let city = token(app, Role::Registrar, CITY_BUREAU).await;
    let mut lift = Vec::new();
    for (k, text) in LIFT.iter().enumerate() {
        let summary = format!("反映锦绣花园3号楼电梯停运（{}）", k + 1);
        lift.push(register(app, &district, &summary, text).await);
    }
    for text in OTHERS {
        register(app, &district, &text[..text.len().min(30)], text).await;
    }
    // The same problem registered at the city bureau: outside the district bureau's scope.
    let mut above = Vec::new();
    for (k, text) in LIFT.iter().take(5).enumerate() {
        let summary = format!("反映锦绣花园3号楼电梯停运（{}）", k + 7);
        above.push(register(app, &city, &summary, text).await);
    }

    let reader = token(app, Role::Supervisor, DISTRICT_BUREAU).await;
    // Letters written by different people about one problem are less alike than the demo's templated
    // ones, for which the default (0.5) was tuned: ask for looser hot spots, as a user may.
    let loose = "/api/v1/hotspots?similarity=0.4";
    let page = expect(bearer_get(app, loose, &reader).await, 200).await;
    assert_eq!(page["matters"], 11, "{page:#}");
    let spots = page["hotspots"].as_array().unwrap();
    assert_eq!(spots.len(), 1, "{page:#}");
    let spot = &spots[0];
    let mut members: Vec<String> = spot["matters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    members.sort();
    lift.sort();
    assert_eq!(members, lift);
    assert_eq!(spot["size"], 6);
    assert_eq!(spot["people"], 6);
    assert_eq!(spot["region"], "330102");
    let label = spot["label"].as_str().unwrap();
    assert!(label.contains("锦绣花园"), "{label}");
    assert!(!label.contains("张建国"), "{label}");
    assert_eq!(
        spot["earlier_half"].as_u64().unwrap() + spot["later_half"].as_u64().unwrap(),
        6
    );
    assert_eq!(spot["collective_share"], 0.0);

    // The city bureau sees both units' letters, and its hot spot holds letters of both.
    let city_reader = token(app, Role::Supervisor, CITY_BUREAU).await;
    let page = expect(bearer_get(app, loose, &city_reader).await, 200).await;
    assert_eq!(page["matters"], 16, "{page:#}");
    let all = page["hotspots"][0]["matters"].as_array().unwrap();
    assert!(all.len() > 6, "{page:#}");
    assert!(above.iter().any(|m| all.iter().any(|a| a == m)), "{page:#}");
    assert!(lift.iter().any(|m| all.iter().any(|a| a == m)), "{page:#}");

    // Filters and a floor.
    let narrow = expect(
        bearer_get(app, "/api/v1/hotspots?similarity=0.4&min_size=7", &reader).await,
        200,
    )
    .await;
    assert_eq!(narrow["hotspots"].as_array().unwrap().len(), 0);
    let elsewhere = expect(
        bearer_get(app, "/api/v1/hotspots?region=330000&domain=教育", &reader).await,
        200,
    )
    .await;
    assert_eq!(elsewhere["matters"], 0);
    let past = expect(
        bearer_get(
            app,
            "/api/v1/hotspots?from=2020-01-01&to=2020-01-31",
            &reader,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(past["matters"], 0);

    // Bad input: a precise 400; a petitioner's account: 403.
    for (query, field) in [
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=2024-01-01&to=2026-01-01", "from"),
        ("region=33x", "region"),
        ("min_size=1", "min_size"),
        ("similarity=2", "similarity"),
    ] {
        let body = expect(
            bearer_get(app, &format!("/api/v1/hotspots?{query}"), &reader).await,
            400,
        )
        .await;
        assert_eq!(body["details"]["field"], field, "{query}: {body}");
    }
    let petitioner = token(app, Role::Petitioner, DISTRICT_BUREAU).await;
    expect(bearer_get(app, "/api/v1/hotspots", &petitioner).await, 403).await;
}

#[tokio::test]
async fn hot_spots_on_sqlite() {
    let app = spawn_app().await;
    hot_spots_are_found_within_scope(&app).await;
}

#[tokio::test]
async fn hot_spots_on_postgres() {
    let (app, _) = spawn_app_pg().await;
    hot_spots_are_found_within_scope(&app).await;
}
