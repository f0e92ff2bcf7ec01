//! The console in Debian's chromium, headless, at 1366×768, driven through chromedriver (WebDriver): a
//! registrar registers a visit and sees the planted earlier copy suggested, prints the receipt; a
//! supervisor sees the matter overdue; a dispatcher assigns it; a handling officer accepts, asks for an
//! extension and answers; the supervisor sees it leave the overdue list; the registrar records the
//! petitioner's rating and it shows in the 统计 page's figure. Screenshots go to
//! `$CARGO_TARGET_TMPDIR/screenshots` (or `XINFANG_SCREENSHOTS`); docs/images/console holds a few.

use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use xinfang_domain::fixtures::{self, DISTRICT_BUREAU, DISTRICT_HOUSING};
use xinfang_domain::ids::MatterId;
use xinfang_domain::workflow::Filing;

use super::console::{PASSWORD, console_app};
use super::*;

const WAIT: Duration = Duration::from_secs(20);

struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// chromedriver on a free loopback port, once it answers.
async fn chromedriver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut process = Process::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "chromedriver (Debian's chromium-driver, installed by .ci/run) must be on the PATH",
        );
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("{url}/status")).send().await
            && r.status().is_success()
        {
            return Driver { process, url };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = process.kill();
    let _ = process.wait();
    panic!("chromedriver did not start");
}

async fn browser(driver: &Driver, width: u32, height: u32) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--lang=zh-CN",
                format!("--window-size={width},{height}"),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a headless chromium session")
}

fn screenshots() -> PathBuf {
    let dir = std::env::var_os("XINFANG_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

/// Nothing on the page is wider than the window: no sideways scrolling, no text running out.
async fn assert_fits(c: &Client, page: &str) {
    let overflow = c
        .execute(
            "const w = document.documentElement.clientWidth;\
             const wide = [...document.querySelectorAll('body *')]\
               .filter(e => e.getBoundingClientRect().right > w + 1 && getComputedStyle(e).position !== 'absolute')\
               .map(e => e.tagName + '.' + e.className + ':' + (e.textContent || '').slice(0, 30));\
             return [document.documentElement.scrollWidth - w, wide.slice(0, 5)];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow[0].as_i64(),
        Some(0),
        "{page} scrolls sideways: {}",
        overflow[1]
    );
    assert_eq!(overflow[1], json!([]), "{page}: elements beyond the window");
}

async fn text_of(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// The element's text once it has some (messages appear when the API answers).
async fn text_when_shown(c: &Client, css: &str) -> String {
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
            && !t.trim().is_empty()
        {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{css} never showed any text");
}

/// Wait until the element's text is `expected` (pages reload after an action).
async fn wait_text(c: &Client, css: &str, expected: &str) {
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && e.text().await.is_ok_and(|t| t.trim() == expected)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "{css} never read {expected:?}; it reads {:?}",
        text_of(c, css).await
    );
}

async fn sign_in(c: &Client, app: &TestApp, user: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#login-user"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Css("#login-password"))
        .await
        .unwrap()
        .send_keys(&format!("{PASSWORD}\n"))
        .await
        .unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#logout"))
        .await
        .unwrap();
}

async fn sign_out(c: &Client) {
    click(c, "#logout").await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#login-form"))
        .await
        .unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn fill(c: &Client, css: &str, text: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Fill in and send one of the matter page's action forms.
async fn act(c: &Client, code: &str, fields: &[(&str, &str)]) {
    let form = format!("form[data-code=\"{code}\"]");
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&form))
        .await
        .unwrap_or_else(|e| panic!("{code} is not offered: {e}"));
    for (name, value) in fields {
        let css = format!("{form} [name=\"{name}\"]");
        let e = c.find(Locator::Css(&css)).await.unwrap();
        if e.tag_name().await.unwrap() == "select" {
            e.select_by_value(value).await.unwrap();
        } else {
            e.clear().await.unwrap();
            e.send_keys(value).await.unwrap();
        }
    }
    click(c, &format!("{form} button[type=submit]")).await;
}

async fn in_list(c: &Client, app: &TestApp, list: &str, matter: &str) -> bool {
    c.goto(&app.url("/supervision")).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&format!("#list-{list}")))
        .await
        .unwrap();
    c.find(Locator::Css(&format!(
        "#list-{list} tr[data-matter=\"{matter}\"]"
    )))
    .await
    .is_ok()
}

#[tokio::test]
async fn a_visit_from_registration_to_rating_in_the_browser() {
    let app = console_app().await;
    let l = &app.ledger;
    // The planted copy: the same person came about the same problem two months ago.
    let earlier = chrono::Utc::now() - chrono::Duration::days(60);
    let planted = MatterId::parse("XF-PLANTED").unwrap();
    l.execute(
        &fixtures::staff(DISTRICT_BUREAU, Role::Registrar),
        earlier,
        Change::Matter(xinfang_domain::Command::Register {
            filing: Filing::NewMatter {
                matter: planted.clone(),
            },
            contact: Box::new(fixtures::draft("C-PLANTED", earlier)),
        }),
    )
    .await
    .unwrap();
    // The server reads the planted copy into its lookup when it starts.
    let app = spawn_server(app.ledger.clone()).await;

    let driver = chromedriver().await;
    let c = browser(&driver, 1366, 768).await;

    // A registrar signs in and registers a visit received twenty days ago.
    c.goto(&app.url("/")).await.unwrap();
    shot(&c, "login").await;
    sign_in(&c, &app, "reg").await;
    assert_fits(&c, "工作台").await;
    c.goto(&app.url("/register")).await.unwrap();
    let received = (chrono::Utc::now() + chrono::Duration::hours(8) - chrono::Duration::days(20))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    c.execute(
        "document.getElementById('r-received').value = arguments[0];",
        vec![json!(received)],
    )
    .await
    .unwrap();
    fill(&c, "#p0-name", "张建国").await;
    fill(&c, "#p0-id", "110105194912310021").await;
    wait_text(&c, "#p0-id-check", "身份证号码校验位错误").await;
    fill(&c, "#p0-id", "11010519491231002X").await;
    wait_text(&c, "#p0-id-check", "✔ 格式正确").await;
    fill(&c, "#p0-phone", "13800138000").await;
    fill(&c, "#r-region", "330102").await;
    wait_text(&c, "#r-region-check", "江川市上城区").await;
    fill(&c, "#r-address", "望江街道某工地").await;
    fill(
        &c,
        "#r-summary",
        "反映某工地拖欠农民工工资八万元，要求尽快支付",
    )
    .await;
    fill(
        &c,
        "#r-text",
        "本人于2025年在某工地务工，工程结束后包工头拖欠工资八万元至今未付，多次讨要无果。",
    )
    .await;
    // The classifier's suggestion and the planted copy appear as the text is typed.
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#apply-suggestion"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let domain = c
        .find(Locator::Css("#r-domain"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        domain.as_deref(),
        Some("劳动和社会保障"),
        "the suggestion applied"
    );
    let candidate = text_of(&c, "#similar .candidate[data-candidate=\"XF-PLANTED\"]").await;
    assert!(candidate.contains("重复信访"), "{candidate}");
    assert!(
        candidate.contains("身份证"),
        "the reason is given: {candidate}"
    );
    shot(&c, "register-duplicate").await;
    assert_fits(&c, "登记").await;
    // The clerk judges it a new problem this time: the decision is recorded with the registration.
    c.find(Locator::XPath(
        "//div[@data-candidate='XF-PLANTED']//button[text()='不是同一问题']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    click(&c, "#register-submit").await;
    let code = text_of(&c, "#query-code").await;
    assert_eq!(code.chars().count(), 12, "a 查询码: {code}");
    // The receipt also shows its 查询密码, once: it is gone from the address after it is shown.
    let secret = text_when_shown(&c, "#portal-secret").await;
    assert_eq!(secret.chars().count(), 8, "a 查询密码: {secret}");
    shot(&c, "receipt").await;
    let url = c.current_url().await.unwrap();
    assert_eq!(url.fragment(), None, "{url}");
    let matter = url
        .path()
        .trim_start_matches("/matters/")
        .trim_end_matches("/receipt")
        .to_owned();
    let registered = app
        .ledger
        .matter(&MatterId::parse(&matter).unwrap())
        .await
        .unwrap()
        .expect("the matter is registered");
    assert_eq!(
        registered.link_reviews.len(),
        1,
        "the rejected suggestion is recorded"
    );
    let portal = app
        .ledger
        .store()
        .open_portal_access(&code, &secret)
        .await
        .unwrap()
        .expect("the printed 查询码 and 查询密码 open the petition in the portal");
    assert_eq!(portal.matter, matter);
    sign_out(&c).await;

    // Twenty days after receipt its triage is overdue: the supervisor sees it.
    sign_in(&c, &app, "sup").await;
    assert!(
        in_list(&c, &app, "overdue", &matter).await,
        "overdue before triage"
    );
    shot(&c, "supervision").await;
    assert_fits(&c, "督办").await;
    sign_out(&c).await;

    // The dispatcher assigns it to the district housing bureau.
    sign_in(&c, &app, "dsp").await;
    c.goto(&app.url(&format!("/matters/{matter}")))
        .await
        .unwrap();
    shot(&c, "matter-triage").await;
    assert_fits(&c, "事项").await;
    act(&c, "triage.assign", &[("to", DISTRICT_HOUSING)]).await;
    wait_text(&c, "#status", "待受理").await;
    sign_out(&c).await;

    // The handling officer accepts, asks for an extension and answers.
    sign_in(&c, &app, "hz").await;
    let todo = text_of(&c, "a[data-todo=\"accept\"] .count").await;
    assert_eq!(todo, "1", "one matter to accept on the 工作台");
    c.goto(&app.url(&format!("/matters/{matter}")))
        .await
        .unwrap();
    act(&c, "accept", &[]).await;
    wait_text(&c, "#status", "办理中").await;
    // A refusal reads in Chinese beside the form, and nothing changes.
    act(
        &c,
        "request_extension",
        &[("days", "10"), ("reason", "   ")],
    )
    .await;
    let refusal = text_when_shown(&c, "form[data-code=\"request_extension\"] .error").await;
    assert!(refusal.contains("延期理由"), "{refusal}");
    act(
        &c,
        "request_extension",
        &[("days", "10"), ("reason", "需现场核实工程款结算情况")],
    )
    .await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//ol[@class='timeline']//strong[text()='申请延期']",
        ))
        .await
        .unwrap();
    act(
        &c,
        "answer",
        &[
            ("outcome", "supported"),
            ("opinion", "经核实，已督促施工单位于本月底前结清拖欠工资。"),
        ],
    )
    .await;
    wait_text(&c, "#status", "已办结").await;
    shot(&c, "matter-answered").await;
    sign_out(&c).await;

    // It has left the overdue list.
    sign_in(&c, &app, "sup").await;
    assert!(
        !in_list(&c, &app, "overdue", &matter).await,
        "answered, no longer overdue"
    );
    sign_out(&c).await;

    // The registrar records the petitioner's rating (代评); the 统计 page counts it.
    sign_in(&c, &app, "reg").await;
    c.goto(&app.url("/stats")).await.unwrap();
    assert_eq!(
        text_of(&c, "[data-figure=\"proxy_satisfaction\"] .value").await,
        "—"
    );
    c.goto(&app.url(&format!("/matters/{matter}")))
        .await
        .unwrap();
    act(&c, "evaluate.bureau", &[("rating", "satisfied")]).await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//ol[@class='timeline']//strong[text()='评价']",
        ))
        .await
        .unwrap();
    c.goto(&app.url("/stats")).await.unwrap();
    assert_eq!(
        text_of(&c, "[data-figure=\"proxy_satisfaction\"] .value").await,
        "100.0%"
    );
    let drill = text_of(
        &c,
        "[data-figure=\"proxy_satisfaction\"] [data-drill=\"numerator\"]",
    )
    .await;
    assert_eq!(drill, "1");
    shot(&c, "stats").await;
    assert_fits(&c, "统计").await;
    // The number leads to the matter behind it.
    click(
        &c,
        "[data-figure=\"proxy_satisfaction\"] [data-drill=\"numerator\"]",
    )
    .await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&format!("tr[data-matter=\"{matter}\"]")))
        .await
        .unwrap();
    sign_out(&c).await;

    // 管理: an administrator makes a token for the city's 12345 platform and sets the unit's receipt.
    sign_in(&c, &app, "adm").await;
    c.goto(&app.url("/admin")).await.unwrap();
    fill(&c, "#t-name", "市12345热线平台").await;
    click(&c, "#t-role-registrar").await;
    click(&c, "#token-form button[type=submit]").await;
    let secret = text_when_shown(&c, "#token-secret").await;
    assert!(secret.contains("只显示这一次"), "{secret}");
    c.execute(
        "document.querySelector('form[data-kind=\"receipt\"]').closest('details').open = true;",
        vec![],
    )
    .await
    .unwrap();
    fill(&c, "#tpl-receipt-title", "上城区信访局来访登记回执").await;
    click(&c, "form[data-kind=\"receipt\"] button[type=submit]").await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//details[@class='template']/summary[contains(., '登记回执') and contains(., '本单位模板')]",
        ))
        .await
        .unwrap();
    assert_fits(&c, "管理").await;
    shot(&c, "admin").await;
    c.close().await.unwrap();

    // A large screen shows the same pages without running out either.
    let wide = browser(&driver, 1920, 1080).await;
    sign_in(&wide, &app, "reg").await;
    for path in [
        "/",
        "/matters",
        "/register",
        "/stats",
        &format!("/matters/{matter}"),
    ] {
        wide.goto(&app.url(path)).await.unwrap();
        wide.wait()
            .at_most(WAIT)
            .for_element(Locator::Css("main h1"))
            .await
            .unwrap();
        assert_fits(&wide, path).await;
    }
    shot(&wide, "workbench-wide").await;
    wide.close().await.unwrap();
    let _ = planted;
}

/// A phone, as chromium emulates one: a 390×844 viewport at twice the pixel density, touch, and a
/// phone's user agent.
async fn phone(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN"],
            "mobileEmulation": {
                "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 2.0, "touch": true },
                "userAgent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36",
            },
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a headless chromium session")
}

/// Wait until the element, on whatever page is loaded by then, contains the text.
async fn wait_contains(c: &Client, css: &str, expected: &str) {
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && e.text().await.is_ok_and(|t| t.contains(expected))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{css} never contained {expected:?}");
}

async fn choose(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap();
}

/// On a phone: a petitioner files a petition with a photo, keeps the 查询码, follows it until it is
/// answered, rates both the bureau and the responsible unit, and asks for 复查.
#[tokio::test]
async fn a_petition_filed_followed_rated_and_reviewed_on_a_phone() {
    let app = spawn_app().await;
    let driver = chromedriver().await;
    let c = phone(&driver).await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("收费单.png");
    std::fs::write(&photo, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();

    c.goto(&app.url("/portal")).await.unwrap();
    assert_fits(&c, "门户首页").await;
    shot(&c, "portal-home").await;
    click(&c, "a.button.primary").await;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#full_text"))
        .await
        .unwrap();
    assert_fits(&c, "我要信访").await;
    fill(&c, "#name", "李秀英").await;
    fill(&c, "#phone", "13900139000").await;
    choose(&c, "#purpose", "demand").await;
    choose(&c, "#domain", "城乡建设/物业").await;
    choose(&c, "#region", "330102").await;
    fill(&c, "#place", "望江街道某小区").await;
    fill(
        &c,
        "#full_text",
        "小区物业公司按每平方米三元收取物业费，超出备案标准。",
    )
    .await;
    fill(&c, "#demands", "要求按备案标准收费并退还多收部分").await;
    c.find(Locator::Css("#attachment"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    shot(&c, "portal-file").await;
    click(&c, "input[name=consent]").await;
    click(&c, "form button[type=submit]").await;

    let code = text_of(&c, "#query-code").await;
    let secret = text_of(&c, "#secret").await;
    assert_eq!(code.len(), 12);
    assert_fits(&c, "提交成功").await;
    shot(&c, "portal-filed").await;
    click(&c, "form button[type=submit]").await;
    wait_text(&c, "#status", "待分流").await;
    let matter = text_of(&c, "#matter").await;

    let dispatcher = token(&app, Role::Dispatcher, DISTRICT_BUREAU).await;
    let handler = token(&app, Role::Handler, DISTRICT_HOUSING).await;
    let actions = format!("/api/v1/matters/{matter}/actions");
    let detail = expect(
        bearer_get(&app, &format!("/api/v1/matters/{matter}"), &dispatcher).await,
        200,
    )
    .await;
    assert_eq!(
        detail["contacts"][0]["attachments"][0]["media_type"],
        "image/png"
    );
    for (who, body) in [
        (
            &dispatcher,
            json!({"action": "triage", "decision": "assign", "to": DISTRICT_HOUSING}),
        ),
        (&handler, json!({"action": "accept"})),
        (
            &handler,
            json!({"action": "answer", "outcome": "supported", "opinion": "经核查，已责成物业公司按备案标准收费，并于三十日内退还多收部分。"}),
        ),
    ] {
        expect(bearer_post(&app, &actions, who, &body).await, 200).await;
    }

    // Later, from the tracking page, as typed by hand.
    c.goto(&app.url("/portal/track")).await.unwrap();
    fill(&c, "#code", &code.to_lowercase()).await;
    fill(&c, "#secret", &secret).await;
    click(&c, "form button[type=submit]").await;
    wait_text(&c, "#status", "已办结").await;
    assert!(text_of(&c, "#answer").await.contains("退还多收部分"));
    assert_fits(&c, "办理进展").await;
    shot(&c, "portal-progress").await;
    for (target, rating, label) in [
        ("bureau", "satisfied", "您的评价：满意"),
        (
            "responsible_unit",
            "basically_satisfied",
            "您的评价：基本满意",
        ),
    ] {
        let form = format!("#ratings form:has(input[name=target][value={target}])");
        click(&c, &format!("{form} input[value={rating}]")).await;
        click(&c, &format!("{form} button[type=submit]")).await;
        wait_contains(&c, "#ratings", label).await;
    }
    assert_eq!(text_of(&c, ".done").await, "评价已提交，感谢您的评价");
    choose(&c, "#authority", "dist-gov").await;
    click(&c, "#review button[type=submit]").await;
    wait_text(&c, "#status", "复查中").await;
    assert_fits(&c, "申请复查后").await;
    shot(&c, "portal-review").await;

    let detail = expect(
        bearer_get(&app, &format!("/api/v1/matters/{matter}"), &dispatcher).await,
        200,
    )
    .await;
    assert_eq!(detail["state"]["evaluations"].as_array().unwrap().len(), 2);
    assert_eq!(detail["state"]["reviews"][0]["authority"], "dist-gov");
    c.close().await.unwrap();
}
