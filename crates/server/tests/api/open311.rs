//! Open311 GeoReport v2 conformance: each method in XML and JSON, the spec's errors, the empty-parameter
//! rule and the search limits, and no person in anything it answers.

use chrono::{Duration, Utc};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Value, json};
use xinfang_domain::Role;
use xinfang_domain::fixtures::DISTRICT_BUREAU;
use xinfang_domain::ids::MatterId;
use xinfang_domain::workflow::{Command, Filing};

use super::*;

const WAGES: &str = "劳动和社会保障-拖欠农民工工资";

struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        assert!(
            self.content_type.starts_with("application/json"),
            "{}",
            self.content_type
        );
        serde_json::from_str(&self.body).unwrap()
    }

    /// The text of every element with this name, in document order (empty elements give "").
    fn xml(&self, element: &str) -> Vec<String> {
        assert!(
            self.content_type.starts_with("text/xml"),
            "{}",
            self.content_type
        );
        assert!(
            self.body
                .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
            "{}",
            self.body
        );
        let mut reader = Reader::from_str(&self.body);
        let mut out = Vec::new();
        let mut inside = false;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) if e.name().as_ref() == element.as_bytes() => {
                    inside = true;
                    out.push(String::new());
                }
                Event::Empty(e) if e.name().as_ref() == element.as_bytes() => {
                    out.push(String::new())
                }
                Event::Text(t) if inside => {
                    out.last_mut().unwrap().push_str(&t.decode().unwrap());
                }
                Event::GeneralRef(r) if inside => {
                    let name = r.decode().unwrap();
                    let c = match name.as_ref() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        "apos" => "'",
                        other => panic!("unexpected entity {other}"),
                    };
                    out.last_mut().unwrap().push_str(c);
                }
                Event::End(e) if e.name().as_ref() == element.as_bytes() => inside = false,
                Event::Eof => break,
                _ => {}
            }
        }
        out
    }

    /// The spec's error body: `<errors><error><code/><description/></error></errors>` or its JSON image.
    fn error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        if self.content_type.starts_with("text/xml") {
            assert_eq!(self.xml("code"), [status.to_string()]);
            let description = self.xml("description");
            assert_eq!(description.len(), 1, "{}", self.body);
            description[0].clone()
        } else {
            let body = self.json();
            assert_eq!(body[0]["code"], status, "{body}");
            body[0]["description"].as_str().unwrap().to_owned()
        }
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    Answer {
        status,
        content_type,
        body: response.text().await.unwrap(),
    }
}

async fn open311_get(app: &TestApp, path: &str) -> Answer {
    answer(app.client.get(app.url(path)).send().await.unwrap()).await
}

async fn open311_post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Answer {
    answer(
        app.client
            .post(app.url(path))
            .form(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn path_of(service_code: &str) -> String {
    service_code
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn discovery_services_and_definitions_in_xml_and_json() {
    let app = spawn_app().await;

    let xml = open311_get(&app, "/open311/discovery.xml").await;
    assert_eq!(xml.status, 200);
    assert_eq!(
        xml.xml("specification"),
        ["http://wiki.open311.org/GeoReport_v2"]
    );
    assert_eq!(xml.xml("format"), ["text/xml", "application/json"]);
    assert_eq!(xml.xml("url"), [app.url("/open311/v2")]);
    let json = open311_get(&app, "/open311/discovery.json").await.json();
    assert_eq!(json["endpoints"][0]["url"], app.url("/open311/v2"));
    assert_eq!(
        json["endpoints"][0]["formats"],
        json!(["text/xml", "application/json"])
    );
    assert!(json["changeset"].is_string() && json["contact"].is_string());

    // The service list is the domain tree, the same in both formats, first levels with their children.
    let xml = open311_get(&app, "/open311/v2/services.xml").await;
    assert_eq!(xml.status, 200);
    let codes = xml.xml("service_code");
    let json = open311_get(&app, "/open311/v2/services.json").await.json();
    let json_codes: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, json_codes);
    assert!(codes.iter().any(|c| c == "劳动和社会保障"));
    assert!(codes.iter().any(|c| c == WAGES));
    let wages = json
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == WAGES)
        .unwrap();
    assert_eq!(wages["service_name"], "拖欠农民工工资");
    assert_eq!(wages["group"], "劳动和社会保障");
    assert_eq!(wages["metadata"], true);
    assert_eq!(wages["type"], "realtime");
    assert_eq!(
        xml.xml("type").iter().filter(|t| *t == "realtime").count(),
        codes.len()
    );

    // A service definition names the attributes POST takes, with the values a list allows.
    let path = format!("/open311/v2/services/{}.json", path_of(WAGES));
    let definition = open311_get(&app, &path).await.json();
    assert_eq!(definition["service_code"], WAGES);
    let attributes = definition["attributes"].as_array().unwrap();
    let attribute_codes: Vec<&str> = attributes
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(attribute_codes, ["purpose", "demands", "channel"]);
    assert!(
        attributes[0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["key"] == "accusation")
    );
    let path = format!("/open311/v2/services/{}.xml", path_of(WAGES));
    let definition = open311_get(&app, &path).await;
    assert_eq!(definition.status, 200);
    assert_eq!(definition.xml("service_code"), [WAGES]);
    assert_eq!(definition.xml("code"), ["purpose", "demands", "channel"]);

    // Errors, in the format asked for, saying what went wrong.
    let unknown = open311_get(&app, "/open311/v2/services/no-such-service.xml").await;
    assert!(unknown.error(404).contains("no-such-service"));
    let unknown = open311_get(&app, "/open311/v2/services/no-such-service.json").await;
    assert!(unknown.error(404).contains("no-such-service"));
    let unknown = open311_get(&app, "/open311/v2/services.xml?jurisdiction_id=990000").await;
    assert!(unknown.error(404).contains("jurisdiction_id"));
    open311_get(&app, "/open311/v2/services.csv")
        .await
        .error(404);
    // A jurisdiction is a region with a petition bureau; an empty parameter is one not sent.
    assert_eq!(
        open311_get(&app, "/open311/v2/services.xml?jurisdiction_id=330102")
            .await
            .status,
        200
    );
    let empty = open311_get(&app, "/open311/v2/services.json?jurisdiction_id=").await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json().as_array().unwrap().len(), codes.len());
    // Every service is realtime: no token is ever issued.
    let token = open311_get(&app, "/open311/v2/tokens/123456.json").await;
    assert!(token.error(404).contains("123456"));
}

#[tokio::test]
async fn a_platform_files_with_its_key_and_follows_without_any_person_leaving() {
    let app = spawn_app().await;
    let key = token(&app, Role::Registrar, DISTRICT_BUREAU).await;
    let good = |extra: &[(&'static str, &'static str)]| {
        let mut form = vec![
            ("api_key", key.as_str()),
            ("service_code", WAGES),
            ("address_string", "望江街道某工地"),
            (
                "description",
                "某工地拖欠农民工工资八万元，联系电话13912345678",
            ),
            ("first_name", "建国"),
            ("last_name", "张"),
            ("phone", "13912345678"),
            ("attribute[demands]", "要求支付工资"),
        ];
        for (k, v) in extra {
            form.retain(|(name, _)| name != k);
            form.push((k, v));
        }
        form
    };

    let before = app.ledger.head().await.unwrap();
    // The key: missing or wrong → 403.
    let mut no_key = good(&[]);
    no_key.remove(0);
    assert!(
        open311_post(&app, "/open311/v2/requests.xml", &no_key)
            .await
            .error(403)
            .contains("api_key")
    );
    let wrong = open311_post(
        &app,
        "/open311/v2/requests.json",
        &good(&[("api_key", "not-a-key")]),
    )
    .await;
    assert!(wrong.error(403).contains("api_key"));
    // Missing parameters → 400, an unknown service → 404; an empty value counts as missing.
    let mut no_code = good(&[]);
    no_code.retain(|(k, _)| *k != "service_code");
    assert!(
        open311_post(&app, "/open311/v2/requests.xml", &no_code)
            .await
            .error(400)
            .contains("service_code")
    );
    let unknown = open311_post(
        &app,
        "/open311/v2/requests.xml",
        &good(&[("service_code", "no-such")]),
    )
    .await;
    assert!(unknown.error(404).contains("no-such"));
    let empty = open311_post(
        &app,
        "/open311/v2/requests.json",
        &good(&[("description", "")]),
    )
    .await;
    assert!(empty.error(400).contains("description"));
    let nowhere = open311_post(
        &app,
        "/open311/v2/requests.json",
        &good(&[("address_string", "")]),
    )
    .await;
    assert!(nowhere.error(400).contains("位置"));
    let unknown_attribute = open311_post(
        &app,
        "/open311/v2/requests.json",
        &good(&[("attribute[color]", "red")]),
    )
    .await;
    assert!(unknown_attribute.error(400).contains("color"));
    let far = open311_post(
        &app,
        "/open311/v2/requests.json",
        &good(&[("lat", "91"), ("long", "120")]),
    )
    .await;
    assert!(far.error(400).contains("lat"));
    let long_text = "很".repeat(4001);
    let mut too_long = good(&[]);
    too_long.retain(|(k, _)| *k != "description");
    too_long.push(("description", &long_text));
    assert!(
        open311_post(&app, "/open311/v2/requests.json", &too_long)
            .await
            .error(400)
            .contains("4000")
    );
    assert_eq!(
        app.ledger.head().await.unwrap(),
        before,
        "nothing written by a refusal"
    );
    assert!(
        list_ids(&app, "/open311/v2/requests.json").await.is_empty(),
        "nothing written by a refusal"
    );

    // Filed in XML and in JSON: each answer carries the new id and when it will be triaged.
    let filed = open311_post(&app, "/open311/v2/requests.xml", &good(&[])).await;
    assert_eq!(filed.status, 200, "{}", filed.body);
    let first = filed.xml("service_request_id").remove(0);
    assert!(filed.xml("service_notice")[0].contains("分流"));
    assert_eq!(filed.xml("account_id"), [""]);
    let filed = open311_post(
        &app,
        "/open311/v2/requests.json",
        &good(&[("address_id", "330102")]),
    )
    .await;
    assert_eq!(filed.status, 200, "{}", filed.body);
    let second = filed.json()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let matter = app
        .ledger
        .matter(&MatterId::parse(&first).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(matter.domain.second.as_deref(), Some("拖欠农民工工资"));
    assert_eq!(matter.contacts[0].petitioner_names, ["张建国"]);

    // Followed: one request, and the list, in both formats, with nothing of the person.
    let one = open311_get(&app, &format!("/open311/v2/requests/{first}.json")).await;
    assert_eq!(one.status, 200);
    let request = &one.json()[0];
    assert_eq!(request["service_request_id"], first.as_str());
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], WAGES);
    assert_eq!(request["agency_responsible"], "上城区信访局");
    assert_eq!(request["address_id"], "330102");
    assert!(request["address"].as_str().unwrap().ends_with("上城区"));
    assert!(
        request["description"].is_null(),
        "no consent to publication was given"
    );
    assert!(
        request["expected_datetime"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );
    let one = open311_get(&app, &format!("/open311/v2/requests/{first}.xml")).await;
    assert_eq!(one.xml("service_request_id"), [first.as_str()]);
    assert_eq!(one.xml("status"), ["open"]);
    assert_eq!(one.xml("description"), [""]);
    let list = open311_get(&app, "/open311/v2/requests.xml").await;
    assert_eq!(
        list.xml("service_request_id"),
        [second.as_str(), first.as_str()],
        "newest first"
    );
    for body in [
        &one.body,
        &list.body,
        &open311_get(&app, "/open311/v2/requests.json").await.body,
    ] {
        for personal in ["张建国", "建国", "13912345678", "望江街道"] {
            assert!(
                !body.contains(personal),
                "{personal} left through Open311: {body}"
            );
        }
    }
    assert!(
        open311_get(&app, "/open311/v2/requests/XF-NOPE.xml")
            .await
            .error(404)
            .contains("XF-NOPE")
    );

    // A contact whose petitioners agreed to publication shows its summary, without names or numbers.
    let mut contact = contact_json("张建国反映某工地拖欠工资，电话13800138000");
    contact["flags"]["consent_publication"] = json!(true);
    let registered = expect(
        bearer_post(
            &app,
            "/api/v1/matters",
            &key,
            &json!({ "contact": contact }),
        )
        .await,
        201,
    )
    .await;
    let published = registered["matter"].as_str().unwrap();
    let one = open311_get(&app, &format!("/open311/v2/requests/{published}.json"))
        .await
        .json();
    let description = one[0]["description"].as_str().unwrap();
    assert!(description.contains("拖欠工资"), "{description}");
    assert!(
        !description.contains("张建国") && !description.contains("13800138000"),
        "{description}"
    );

    // The filing is audited as the platform's.
    let filter = xinfang_store::audit::AuditFilter {
        action: Some("open311_register".into()),
        limit: 10,
        ..Default::default()
    };
    let (trail, _) = app.ledger.store().audit_entries(&filter).await.unwrap();
    assert_eq!(trail.len(), 2);
    assert!(app.ledger.store().verify().await.unwrap().is_intact());
}

async fn list_ids(app: &TestApp, path: &str) -> Vec<String> {
    let answer = open311_get(app, path).await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    answer
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn get_requests_keeps_to_ninety_days_and_a_thousand_and_its_filters() {
    search_limits(spawn_app().await).await;
}

#[tokio::test]
async fn get_requests_keeps_its_limits_on_postgresql() {
    search_limits(spawn_app_pg().await.0).await;
}

async fn search_limits(app: TestApp) {
    let registrar = fixtures::staff(DISTRICT_BUREAU, Role::Registrar);
    let now = Utc::now();
    // 1,010 matters over the last 60 days, and one 120 days ago.
    let mut groups = Vec::new();
    for n in 0..1011 {
        let at = if n == 1010 {
            now - Duration::days(120)
        } else {
            now - Duration::minutes(85 * n)
        };
        let command = Command::Register {
            filing: Filing::NewMatter {
                matter: MatterId::parse(&format!("XF-{n:05}")).unwrap(),
            },
            contact: Box::new(fixtures::draft(&format!("C-{n:05}"), at)),
        };
        groups.push(vec![(registrar.clone(), at, Change::Matter(command))]);
    }
    groups.reverse();
    for result in app.ledger.execute_groups(groups).await.unwrap() {
        result.unwrap();
    }

    // The default window is the last 90 days, capped at the newest 1,000.
    let ids = list_ids(&app, "/open311/v2/requests.json").await;
    assert_eq!(ids.len(), 1000);
    assert_eq!(ids[0], "XF-00000");
    assert_eq!(ids[999], "XF-00999");
    // Empty parameters are parameters not sent.
    let empty =
        "/open311/v2/requests.json?start_date=&end_date=&status=&service_code=&service_request_id=";
    assert_eq!(list_ids(&app, empty).await, ids);

    // A window of the client's choosing, at most 90 days; one date anchors a 90-day window.
    let start = (now - Duration::days(130))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let end = (now - Duration::days(100))
        .format("%Y-%m-%dT%H:%M:%S+08:00")
        .to_string();
    let old = list_ids(
        &app,
        &format!(
            "/open311/v2/requests.json?start_date={start}&end_date={}",
            end.replace('+', "%2B")
        ),
    )
    .await;
    assert_eq!(old, ["XF-01010"]);
    let too_long = (now - Duration::days(10))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let refused = open311_get(
        &app,
        &format!("/open311/v2/requests.xml?start_date={start}&end_date={too_long}"),
    )
    .await;
    assert!(refused.error(400).contains("90"));
    let backwards = open311_get(
        &app,
        &format!("/open311/v2/requests.json?start_date={too_long}&end_date={start}"),
    )
    .await;
    backwards.error(400);
    let garbled = open311_get(&app, "/open311/v2/requests.json?start_date=yesterday").await;
    assert!(garbled.error(400).contains("start_date"));
    let anchored = list_ids(
        &app,
        &format!("/open311/v2/requests.json?start_date={start}"),
    )
    .await;
    assert_eq!(anchored.last().map(String::as_str), Some("XF-01010"));
    assert!(
        !anchored.contains(&"XF-00000".to_owned()),
        "90 days from the start only"
    );

    // status and service_code filter; a wrong value of either is refused.
    assert!(
        list_ids(&app, "/open311/v2/requests.json?status=closed")
            .await
            .is_empty()
    );
    assert_eq!(
        list_ids(&app, "/open311/v2/requests.json?status=open,closed")
            .await
            .len(),
        1000
    );
    open311_get(&app, "/open311/v2/requests.json?status=pending")
        .await
        .error(400);
    let unknown = open311_get(&app, "/open311/v2/requests.xml?service_code=no-such").await;
    assert!(unknown.error(404).contains("no-such"));
    let path = format!("/open311/v2/requests.json?service_code={}", path_of(WAGES));
    assert_eq!(list_ids(&app, &path).await.len(), 1000);
    let services = open311_get(&app, "/open311/v2/services.json").await.json();
    let other = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .find(|c| !c.starts_with("劳动和社会保障"))
        .unwrap();
    let path = format!("/open311/v2/requests.json?service_code={}", path_of(other));
    assert!(list_ids(&app, &path).await.is_empty());
    assert_eq!(
        list_ids(&app, "/open311/v2/requests.json?jurisdiction_id=330102")
            .await
            .len(),
        1000
    );

    // service_request_id overrides every other argument, the window and the filters included.
    let path = format!(
        "/open311/v2/requests.xml?service_request_id=XF-01010,XF-00003&status=closed&end_date={start}"
    );
    let answer = open311_get(&app, &path).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.xml("service_request_id"), ["XF-01010", "XF-00003"]);
}
