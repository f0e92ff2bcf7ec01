//! Settings: built-in defaults, then a TOML file, then `XINFANG_*` environment variables, then flags.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use xinfang_domain::calendar::Calendar;
use xinfang_domain::rules::Rules;
use xinfang_store::{Store, StoreOptions};

/// A value that must not appear in logs or debug output.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The data folder: the embedded SQLite database and attachments live here.
    pub data: PathBuf,
    /// A PostgreSQL URL; when set, it is used instead of the embedded SQLite file.
    pub database_url: Option<Secret>,
    /// SQLite durability: "full" (default; survives power loss) or "normal" (survives process crashes).
    pub sqlite_synchronous: String,
    /// A holiday calendar file replacing the built-in mainland China calendar.
    pub calendar_file: Option<PathBuf>,
    /// The region whose local holidays apply (GB/T 2260 code prefix), if any.
    pub calendar_region: Option<String>,
    /// A classifier model file (`xinfang train`) replacing the built-in one.
    pub classify_model: Option<PathBuf>,
    /// The full-text index's folder (default: `search` in the data folder). Each server process needs
    /// its own: with PostgreSQL and several processes, give each a different one.
    pub search_dir: Option<PathBuf>,
    /// Extra words for Chinese segmentation, one per line (default: `userdict.txt` in the search folder).
    pub search_userdict: Option<PathBuf>,
    pub rules: Rules,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data: PathBuf::from("xinfang-data"),
            database_url: None,
            sqlite_synchronous: "full".into(),
            calendar_file: None,
            calendar_region: None,
            classify_model: None,
            search_dir: None,
            search_userdict: None,
            rules: Rules::default(),
        }
    }
}

const SETTING_KEYS: [&str; 9] = [
    "data",
    "database_url",
    "sqlite_synchronous",
    "calendar_file",
    "calendar_region",
    "classify_model",
    "search_dir",
    "search_userdict",
    "rules",
];

/// The file looked for in the data folder when no `--config` is given.
pub const CONFIG_FILE: &str = "xinfang.toml";

impl Settings {
    /// Layer: defaults < config file < environment < command-line overrides.
    pub fn load(
        config: Option<&Path>,
        data: Option<&Path>,
        database_url: Option<&str>,
    ) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        let file = match config {
            Some(path) => {
                anyhow::ensure!(path.exists(), "配置文件不存在：{}", path.display());
                Some(path.to_path_buf())
            }
            None => {
                let dir = data
                    .map(Path::to_path_buf)
                    .or_else(|| std::env::var_os("XINFANG_DATA").map(PathBuf::from))
                    .unwrap_or_else(|| Settings::default().data);
                Some(dir.join(CONFIG_FILE)).filter(|p| p.exists())
            }
        };
        if let Some(file) = &file {
            figment = figment.merge(Toml::file(file));
        }
        // Only our own keys: other XINFANG_* variables (test settings, XINFANG_CONFIG) are not settings.
        figment = figment.merge(
            Env::prefixed("XINFANG_")
                .filter(|k| {
                    let key = k.as_str().to_ascii_lowercase();
                    SETTING_KEYS.iter().any(|s| key.starts_with(s))
                })
                .split("__"),
        );
        if let Some(d) = data {
            figment = figment.merge(Serialized::default("data", d));
        }
        if let Some(url) = database_url {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        figment.extract().context("读取配置失败")
    }

    pub fn store_options(&self) -> anyhow::Result<StoreOptions> {
        let full = match self.sqlite_synchronous.as_str() {
            "full" => true,
            "normal" => false,
            other => anyhow::bail!("sqlite_synchronous 应为 full 或 normal，而不是 {other}"),
        };
        Ok(StoreOptions {
            sqlite_synchronous_full: full,
            figure_rules: self.rules.figures.clone(),
            ..StoreOptions::default()
        })
    }

    pub async fn open_store(&self) -> anyhow::Result<Store> {
        let options = self.store_options()?;
        let store = match &self.database_url {
            Some(url) => Store::open(url.expose(), &options).await?,
            None => Store::open_dir(&self.data, &options).await?,
        };
        Ok(store)
    }

    pub fn calendar(&self) -> anyhow::Result<Calendar> {
        let calendar = match &self.calendar_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("无法读取日历文件 {}", path.display()))?;
                Calendar::from_toml(&text)?
            }
            None => Calendar::mainland(),
        };
        Ok(match &self.calendar_region {
            Some(region) => calendar.for_region(region),
            None => calendar,
        })
    }

    /// The full-text index's folder.
    pub fn search_dir(&self) -> PathBuf {
        self.search_dir
            .clone()
            .unwrap_or_else(|| self.data.join("search"))
    }

    /// The user dictionary for segmentation (it need not exist).
    pub fn search_userdict(&self) -> PathBuf {
        self.search_userdict
            .clone()
            .unwrap_or_else(|| self.search_dir().join("userdict.txt"))
    }

    /// Where the data lives, for messages (never the URL, which may carry a password).
    pub fn describe_target(&self) -> String {
        match &self.database_url {
            Some(_) => "PostgreSQL 数据库".to_owned(),
            None => format!("{}", self.data.join(xinfang_store::SQLITE_FILE).display()),
        }
    }
}

/// The commented settings file `xinfang init` writes.
pub fn default_config_file() -> String {
    let rules = toml::to_string_pretty(&Rules::default()).expect("rules serialize");
    let mut out = String::from(
        "# xinfang 配置文件。环境变量 XINFANG_* 优先于本文件（嵌套项用双下划线，如 XINFANG_RULES__COLLECTIVE_THRESHOLD=5）。\n\
         # 使用 PostgreSQL 时设置 database_url（或环境变量 XINFANG_DATABASE_URL），否则使用数据目录中的 SQLite 文件。\n\
         # database_url = \"postgres://xinfang:密码@127.0.0.1:5432/xinfang\"\n\
         sqlite_synchronous = \"full\"\n\
         # calendar_file = \"holidays.toml\"   # 替换内置的全国节假日与调休数据\n\
         # calendar_region = \"330000\"        # 适用该地区的地方性假日\n\
         # classify_model = \"classify.xfc\"   # 替换内置的内容分类模型（xinfang train 生成）\n\
         # search_dir = \"/var/lib/xinfang/search\"   # 全文索引目录（默认为数据目录下的 search；多个进程共用 PostgreSQL 时各用各的）\n\
         # search_userdict = \"userdict.txt\"         # 分词用户词典，每行一个词（默认为全文索引目录下的 userdict.txt）\n\n\
         # 各项期限与规则（默认值依据《信访工作条例》）。count = \"working\" 表示按工作日计算。\n",
    );
    out.push_str("[rules]\n");
    for line in rules.lines() {
        let line = if let Some(rest) = line.strip_prefix("[[") {
            format!("[[rules.{rest}")
        } else if let Some(rest) = line.strip_prefix('[') {
            format!("[rules.{rest}")
        } else {
            line.to_owned()
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}
