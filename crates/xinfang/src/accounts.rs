//! `xinfang init --unit-name … --region …` and `xinfang user add|disable|enable|reset`.

use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;
use xinfang_domain::ids::{RegionCode, UnitId, UserId};
use xinfang_domain::org::{OrgCommand, Region, Unit, UnitKind, User};
use xinfang_domain::{Change, Principal, Role};
use xinfang_store::{Ledger, accounts};

use crate::config::Settings;

#[derive(Subcommand)]
pub enum UserCmd {
    /// Create a staff account and print its one-time password.
    Add {
        /// User name (login), e.g. zhangsan.
        #[arg(long)]
        id: String,
        /// Full name, e.g. 张三.
        #[arg(long)]
        name: String,
        /// The unit the user works for.
        #[arg(long)]
        unit: String,
        /// Roles: registrar, dispatcher, handler, supervisor, leader, analyst, admin (repeat the flag).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Stop an account from signing in.
    Disable {
        #[arg(long)]
        id: String,
    },
    /// Let a disabled account sign in again.
    Enable {
        #[arg(long)]
        id: String,
    },
    /// Replace a user's password with a new one-time password, printed once.
    Reset {
        #[arg(long)]
        id: String,
    },
}

/// The operator at the console acts as the system administrator.
fn operator() -> anyhow::Result<Principal> {
    Ok(Principal {
        user: UserId::parse("system")?,
        unit: UnitId::parse("system")?,
        roles: vec![Role::Admin],
    })
}

/// Roles given on the command line, by code or by Chinese name.
fn parse_roles(names: &[String]) -> anyhow::Result<Vec<Role>> {
    names
        .iter()
        .map(|s| {
            Role::ALL
                .into_iter()
                .find(|r| xinfang_domain::catalog::code(r) == *s || r.label() == s)
                .with_context(|| format!("未知角色：{s}"))
        })
        .collect()
}

async fn add_user(ledger: &Ledger, user: User) -> anyhow::Result<String> {
    let op = operator()?;
    let id = user.id.clone();
    ledger
        .execute(&op, Utc::now(), Change::Org(OrgCommand::CreateUser(user)))
        .await?;
    let password = accounts::one_time_password();
    ledger
        .set_password(&op, Utc::now(), &id, password.clone())
        .await?;
    Ok(password)
}

fn print_password(user: &str, password: &str) {
    println!("用户 {user} 的一次性密码：{password}");
    println!("（只显示这一次；首次登录后须修改密码）");
}

/// The first unit and its administrator, on a database without users.
pub async fn bootstrap(
    settings: &Settings,
    unit_name: &str,
    region: &str,
    admin: &str,
) -> anyhow::Result<()> {
    let ledger = crate::open_ledger(settings).await?;
    if ledger.org().await?.users().next().is_some() {
        anyhow::bail!("数据库中已有用户：请用 xinfang user add 添加账号");
    }
    let code = RegionCode::parse(region)?;
    let unit_id = UnitId::parse(&format!("{code}-xfj"))?;
    let op = operator()?;
    for change in [
        OrgCommand::DefineRegion(Region {
            code: code.clone(),
            name: unit_name.trim_end_matches("信访局").to_owned(),
        }),
        OrgCommand::CreateUnit(Unit {
            id: unit_id.clone(),
            name: unit_name.to_owned(),
            kind: UnitKind::PetitionBureau,
            level: code.level(),
            region: code,
            parent: None,
            domains: Vec::new(),
        }),
    ] {
        ledger.execute(&op, Utc::now(), Change::Org(change)).await?;
    }
    let password = add_user(
        &ledger,
        User {
            id: UserId::parse(admin)?,
            name: "系统管理员".into(),
            unit: unit_id.clone(),
            roles: vec![Role::Admin],
            active: true,
        },
    )
    .await?;
    println!("已创建单位 {unit_name}（{unit_id}）和管理员 {admin}");
    print_password(admin, &password);
    Ok(())
}

pub async fn run(settings: &Settings, cmd: UserCmd) -> anyhow::Result<()> {
    let ledger = crate::open_ledger(settings).await?;
    let op = operator()?;
    match cmd {
        UserCmd::Add {
            id,
            name,
            unit,
            roles,
        } => {
            let roles = parse_roles(&roles)?;
            let password = add_user(
                &ledger,
                User {
                    id: UserId::parse(&id)?,
                    name,
                    unit: UnitId::parse(&unit)?,
                    roles,
                    active: true,
                },
            )
            .await?;
            println!("已创建用户 {id}");
            print_password(&id, &password);
        }
        UserCmd::Disable { id } => {
            let change = OrgCommand::SetUserActive {
                user: UserId::parse(&id)?,
                active: false,
            };
            ledger.execute(&op, Utc::now(), Change::Org(change)).await?;
            println!("已停用用户 {id}");
        }
        UserCmd::Enable { id } => {
            let change = OrgCommand::SetUserActive {
                user: UserId::parse(&id)?,
                active: true,
            };
            ledger.execute(&op, Utc::now(), Change::Org(change)).await?;
            println!("已启用用户 {id}");
        }
        UserCmd::Reset { id } => {
            let password = accounts::one_time_password();
            ledger
                .set_password(&op, Utc::now(), &UserId::parse(&id)?, password.clone())
                .await?;
            print_password(&id, &password);
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum TokenCmd {
    /// Make an API token for a system and print its secret (shown once).
    Add {
        /// What it is for, e.g. 市12345热线平台.
        #[arg(long)]
        name: String,
        /// The unit it acts as.
        #[arg(long)]
        unit: String,
        /// Roles it acts with (repeat the flag); not admin.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The account it acts for (default: the first active administrator); it stops working when
        /// that account is disabled.
        #[arg(long = "for")]
        user: Option<String>,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        #[arg(long)]
        id: String,
    },
}

pub async fn run_token(settings: &Settings, cmd: TokenCmd) -> anyhow::Result<()> {
    let ledger = crate::open_ledger(settings).await?;
    let store = ledger.store();
    let now = Utc::now().timestamp_millis();
    match cmd {
        TokenCmd::Add {
            name,
            unit,
            roles,
            user,
        } => {
            let roles = parse_roles(&roles)?;
            if roles.contains(&Role::Admin) {
                anyhow::bail!("令牌不能具有管理员角色");
            }
            let org = ledger.org().await?;
            let unit = UnitId::parse(&unit)?;
            if org.unit(&unit).is_none() {
                anyhow::bail!("单位 {unit} 不存在");
            }
            let user = match user {
                Some(u) => org
                    .user(&UserId::parse(&u)?)
                    .filter(|u| u.active)
                    .with_context(|| format!("用户 {u} 不存在或已停用"))?,
                None => {
                    let mut admins: Vec<&User> = org
                        .users()
                        .filter(|u| u.active && u.roles.contains(&Role::Admin))
                        .collect();
                    admins.sort_by(|a, b| a.id.cmp(&b.id));
                    admins
                        .into_iter()
                        .next()
                        .context("没有可用的管理员账号：请用 --for 指定令牌所属账号")?
                }
            };
            let (token, secret) = store
                .create_token(&name, &user.id, &unit, &roles, &user.id, now)
                .await?;
            println!(
                "已创建令牌 {}（{name}），代表 {} 以单位 {unit} 操作",
                token.id, user.id
            );
            println!("{secret}");
            println!("（只显示这一次；请求时发送 Authorization: Bearer <令牌>）");
        }
        TokenCmd::Revoke { id } => {
            if store.revoke_token(&id, now).await? {
                println!("已吊销令牌 {id}");
            } else {
                anyhow::bail!("令牌 {id} 不存在或已吊销");
            }
        }
    }
    Ok(())
}
