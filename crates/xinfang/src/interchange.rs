//! `xinfang import` and `xinfang export`: the operator's side of data interchange (docs/import.md).

use std::path::Path;

use anyhow::{Context, bail};
use xinfang_domain::Role;
use xinfang_domain::ids::UserId;
use xinfang_interchange::{ExportFormat, Format};

use crate::config::Settings;

pub async fn import(
    settings: &Settings,
    file: &Path,
    format: Option<&str>,
    as_user: Option<&str>,
) -> anyhow::Result<()> {
    let format = match format {
        Some(name) => Format::from_name(name)
            .with_context(|| format!("不支持的导入格式「{name}」（应为 jsonl、csv 或 xlsx）"))?,
        None => Format::from_path(file).with_context(|| {
            format!(
                "无法从文件名 {} 判断格式，请用 --format 指定 jsonl、csv 或 xlsx",
                file.display()
            )
        })?,
    };
    let bytes = std::fs::read(file).with_context(|| format!("无法读取文件 {}", file.display()))?;
    let ledger = crate::open_ledger(settings).await?;
    let org = ledger.org().await?;
    let admin = |u: &xinfang_domain::org::User| u.active && u.roles.contains(&Role::Admin);
    let user: UserId = match as_user {
        Some(name) => {
            let id =
                UserId::parse(name).map_err(|e| anyhow::anyhow!("用户名「{name}」无效：{e}"))?;
            match org.user(&id) {
                Some(u) if admin(u) => id,
                Some(_) => bail!("用户 {name} 不是启用中的管理员，不能作为导入人"),
                None => bail!("用户 {name} 不存在"),
            }
        }
        None => {
            let mut admins: Vec<&UserId> =
                org.users().filter(|u| admin(u)).map(|u| &u.id).collect();
            admins.sort();
            match admins.first() {
                Some(id) => (*id).clone(),
                None => bail!("没有启用中的管理员账户，请先用 xinfang init 或 xinfang user 创建"),
            }
        }
    };
    let report = xinfang_interchange::import(&ledger, &user, format, &bytes).await?;
    println!("{}", report.summary_text());
    println!("导入人：{user}");
    if report.rejected.is_empty() {
        Ok(())
    } else {
        bail!(
            "有 {} 行未导入，请修正后重新导入（已导入的行会自动跳过）",
            report.rejected.len()
        )
    }
}

pub async fn export(settings: &Settings, out: &Path, format: Option<&str>) -> anyhow::Result<()> {
    let format = match format {
        Some(name) => ExportFormat::from_name(name)
            .with_context(|| format!("不支持的导出格式「{name}」（应为 jsonl 或 xlsx）"))?,
        None => ExportFormat::from_path(out).unwrap_or(ExportFormat::Jsonl),
    };
    let ledger = crate::open_ledger(settings).await?;
    let write_err = || format!("无法写入文件 {}", out.display());
    let summary = match format {
        ExportFormat::Jsonl => {
            let file = std::fs::File::create(out).with_context(write_err)?;
            let mut w = std::io::BufWriter::new(file);
            let s = xinfang_interchange::export_jsonl(&ledger, None, &mut w).await?;
            std::io::Write::flush(&mut w).with_context(write_err)?;
            s
        }
        ExportFormat::Xlsx => {
            let (bytes, s) = xinfang_interchange::export_xlsx(&ledger, None).await?;
            std::fs::write(out, bytes).with_context(write_err)?;
            s
        }
    };
    println!(
        "已导出 {} 件信访事项、{} 个件次到 {}",
        summary.matters,
        summary.contacts,
        out.display()
    );
    Ok(())
}
