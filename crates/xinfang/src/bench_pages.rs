//! `xinfang bench --pages`: the server time of every console page for each role, on an existing database.

use std::time::Instant;

use chrono::Datelike;
use xinfang_domain::Role;

use crate::bench::median;

/// The accounts `bench --pages` signs in as, one per role, at the units of the demo's accounts.
const PAGE_USERS: [(&str, &str, Role); 6] = [
    ("bench-dengji", "", Role::Registrar),
    ("bench-fenliu", "", Role::Dispatcher),
    ("bench-ducha", "", Role::Supervisor),
    ("bench-chengban", "-zjj", Role::Handler),
    ("bench-lingdao", "", Role::Leader),
    ("bench-admin", "", Role::Admin),
];

/// `xinfang bench --pages`: the server time of every console page, for each role, on the existing
/// database, beside `/healthz` (the router's own cost) and the API call the matter list wraps, measured
/// in the same run. Requests go to the application's router in this process: no network, no browser.
pub async fn run(settings: &crate::config::Settings, rounds: u32) -> anyhow::Result<()> {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt as _;
    use xinfang_domain::ids::{UnitId, UserId};
    use xinfang_domain::org::{OrgCommand, User};

    anyhow::ensure!(rounds > 0, "--rounds 应大于 0");
    let ledger = crate::open_ledger(settings).await?;
    let search = crate::search::open(settings, &ledger).await?;
    let org = ledger.org().await?;
    let bureau = org
        .users()
        .find(|u| u.id.as_str() == "admin")
        .map(|u| u.unit.to_string())
        .ok_or_else(|| {
            anyhow::anyhow!("没有演示管理员 admin：请在 `xinfang demo` 生成的数据上运行")
        })?;
    let operator = xinfang_demo::admin();
    let now = chrono::Utc::now();
    let mut cookies = Vec::new();
    for (id, unit_suffix, role) in PAGE_USERS {
        let user = UserId::parse(id)?;
        let unit = if unit_suffix.is_empty() {
            UnitId::parse(&bureau)?
        } else {
            UnitId::parse(&bureau.replace("-xfj", unit_suffix))?
        };
        if org.user(&user).is_none() {
            let account = User {
                id: user.clone(),
                name: format!("性能测试{}", role.label()),
                unit,
                roles: vec![role],
                active: true,
            };
            ledger
                .execute(
                    &operator,
                    now,
                    xinfang_domain::Change::Org(OrgCommand::CreateUser(account.clone())),
                )
                .await?;
            // Set by the account itself, so the console does not ask for a new password first.
            ledger
                .set_password(
                    &account.principal(),
                    now,
                    &user,
                    xinfang_store::accounts::one_time_password(),
                )
                .await?;
        }
        let (token, _) = ledger
            .store()
            .create_session(&user, now.timestamp_millis(), 3_600_000, "bench")
            .await?;
        cookies.push((role, format!("xinfang_session={token}")));
    }
    let app =
        xinfang_server::app(xinfang_server::AppState::new(ledger.clone()).with_search(search));
    let get = |path: String, cookie: String| {
        let app = app.clone();
        async move {
            let request = Request::get(&path)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .expect("a request");
            let started = Instant::now();
            let response = app.oneshot(request).await.expect("the router answers");
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("a body");
            (started.elapsed().as_secs_f64() * 1000.0, status, body)
        }
    };
    // A matter each role may open: the first of its own list.
    let mut pages: Vec<(String, Role, String)> = Vec::new();
    let today = xinfang_domain::workflow::china_date(now);
    let month = today.with_day(1).expect("a first day");
    for (role, cookie) in &cookies {
        let (_, _, body) = get("/api/v1/matters?per_page=1".into(), cookie.clone()).await;
        let listed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let first = listed["items"][0]["id"].as_str().map(str::to_owned);
        let mut paths = vec![
            "/".to_owned(),
            "/matters".to_owned(),
            "/matters?todo=overdue".to_owned(),
            "/matters?q=拖欠+工资".to_owned(),
            format!("/stats?from={month}&to={today}"),
            format!("/stats/matters?from={month}&to={today}&parts=contacts"),
        ];
        if matches!(role, Role::Dispatcher | Role::Supervisor | Role::Leader) {
            paths.push("/supervision".into());
        }
        match role {
            Role::Registrar => paths.push("/register".into()),
            Role::Dispatcher => paths.push("/matters?todo=triage".into()),
            Role::Handler => paths.push("/matters?todo=handle".into()),
            Role::Admin => paths.push("/admin".into()),
            _ => {}
        }
        if let Some(id) = first {
            paths.push(format!("/matters/{id}"));
        }
        for p in paths {
            pages.push((p, *role, cookie.clone()));
        }
    }
    let baseline_cookie = cookies[0].1.clone();
    let baselines = [
        ("/healthz".to_owned(), baseline_cookie.clone()),
        ("/api/v1/matters".to_owned(), baseline_cookie),
    ];
    let matters = ledger.store().summary(today).await?.matters;
    println!(
        "xinfang bench --pages：{matters} 件信访事项，每页 {rounds} 轮（首轮预热不计），服务器处理时间（毫秒，中位数 / 最大）"
    );
    let mut base_medians = Vec::new();
    for (path, cookie) in &baselines {
        let mut times = Vec::new();
        for round in 0..=rounds {
            let (ms, _, _) = get(path.clone(), cookie.clone()).await;
            if round > 0 {
                times.push(ms);
            }
        }
        let med = median(&mut times);
        base_medians.push(med);
        println!(
            "{:>9.2} {:>9.2}  基线 {path}",
            med,
            times.iter().cloned().fold(0.0, f64::max)
        );
    }
    let mut worst: (f64, String) = (0.0, String::new());
    for (path, role, cookie) in &pages {
        let mut times = Vec::new();
        let mut status = axum::http::StatusCode::OK;
        for round in 0..=rounds {
            let (ms, s, _) = get(path.clone(), cookie.clone()).await;
            status = s;
            if round > 0 {
                times.push(ms);
            }
        }
        let max = times.iter().cloned().fold(0.0, f64::max);
        let med = median(&mut times);
        if med > worst.0 {
            worst = (med, format!("{path}（{}）", role.label()));
        }
        println!(
            "{med:>9.2} {max:>9.2}  {:<8} {path}  [{}]  ×{:.1} 列表接口",
            role.label(),
            status.as_u16(),
            med / base_medians[1].max(1e-9)
        );
        anyhow::ensure!(status.is_success(), "{path} 返回 {status}");
    }
    println!("最慢的页面：{}，中位数 {:.1} 毫秒", worst.1, worst.0);
    Ok(())
}
