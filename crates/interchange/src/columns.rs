//! The flat columns of CSV and XLSX files, and their mapping to and from the JSON form of a row, so that
//! all three formats go through one parser.

use serde_json::{Map, Value};

use crate::parse::Rejection;

/// Column code, Chinese header. Either may head a column in an imported file; exports use the Chinese.
pub const COLUMNS: &[(&str, &str)] = &[
    ("source_id", "来源编号"),
    ("matter", "事项编号"),
    ("relation", "件次关系"),
    ("channel", "信访形式"),
    ("received_at", "收到时间"),
    ("registered_by", "登记单位"),
    ("registered_at", "登记时间"),
    ("petitioner_name", "信访人姓名"),
    ("petitioner_id_number", "身份证号码"),
    ("petitioner_phone", "联系电话"),
    ("petitioner_address", "信访人住址"),
    ("more_petitioners", "其他信访人"),
    ("person_count", "人数"),
    ("region", "问题发生地区划代码"),
    ("location_address", "问题发生地址"),
    ("target_name", "反映对象"),
    ("target_unit", "反映对象单位编号"),
    ("purpose", "信访目的"),
    ("domain", "内容分类"),
    ("summary", "摘要"),
    ("full_text", "全文"),
    ("demands", "诉求"),
    ("attachments", "附件"),
    ("skip_level", "越级"),
    ("national", "进京"),
    ("provincial", "赴省"),
    ("joint", "联名"),
    ("consent_publication", "同意公开"),
    ("urgent", "重大紧急"),
    ("events", "办理记录"),
    ("identity", "身份信息"),
];

pub const FLAG_KEYS: [&str; 6] = [
    "skip_level",
    "national",
    "provincial",
    "joint",
    "consent_publication",
    "urgent",
];

/// The column a header cell names, by code or Chinese label.
pub fn column_of(header: &str) -> Option<usize> {
    let h = header.trim().trim_start_matches('\u{feff}').trim();
    COLUMNS
        .iter()
        .position(|(code, label)| h.eq_ignore_ascii_case(code) || h == *label)
}

pub fn label_of(code: &str) -> &'static str {
    COLUMNS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, l)| l)
}

fn json_cell(key: &'static str, text: &str) -> Result<Value, Rejection> {
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(Value::is_array)
        .ok_or_else(|| Rejection {
            field: Some(key.to_owned()),
            reason: format!("「{}」列应为JSON数组", label_of(key)),
        })
}

/// A flat row (cells by column index, already text) as the JSON form of a row.
pub fn flat_to_value(cells: &[(usize, String)]) -> Result<Map<String, Value>, Rejection> {
    let mut get = std::collections::HashMap::new();
    for (col, text) in cells {
        let text = text.trim();
        if !text.is_empty() {
            get.insert(COLUMNS[*col].0, text.to_owned());
        }
    }
    let mut row = Map::new();
    for key in [
        "source_id",
        "matter",
        "relation",
        "channel",
        "received_at",
        "registered_by",
        "registered_at",
        "person_count",
        "purpose",
        "domain",
        "summary",
        "full_text",
        "demands",
        "identity",
    ] {
        if let Some(v) = get.get(key) {
            row.insert(key.to_owned(), Value::String(v.clone()));
        }
    }
    let mut petitioners = Vec::new();
    let mut first = Map::new();
    for (col, key) in [
        ("petitioner_name", "name"),
        ("petitioner_id_number", "id_number"),
        ("petitioner_phone", "phone"),
        ("petitioner_address", "address"),
    ] {
        if let Some(v) = get.get(col) {
            first.insert(key.to_owned(), Value::String(v.clone()));
        }
    }
    if !first.is_empty() {
        petitioners.push(Value::Object(first));
    }
    if let Some(more) = get.get("more_petitioners")
        && let Value::Array(more) = json_cell("more_petitioners", more)?
    {
        petitioners.extend(more);
    }
    row.insert("petitioners".into(), Value::Array(petitioners));
    let mut location = Map::new();
    if let Some(v) = get.get("region") {
        location.insert("region".into(), Value::String(v.clone()));
    }
    if let Some(v) = get.get("location_address") {
        location.insert("address".into(), Value::String(v.clone()));
    }
    row.insert("location".into(), Value::Object(location));
    if get.contains_key("target_name") || get.contains_key("target_unit") {
        let mut target = Map::new();
        if let Some(v) = get.get("target_name") {
            target.insert("name".into(), Value::String(v.clone()));
        }
        if let Some(v) = get.get("target_unit") {
            target.insert("unit".into(), Value::String(v.clone()));
        }
        row.insert("target".into(), Value::Object(target));
    }
    for key in ["attachments", "events"] {
        if let Some(v) = get.get(key) {
            row.insert(key.to_owned(), json_cell(key, v)?);
        }
    }
    let mut flags = Map::new();
    for key in FLAG_KEYS {
        if let Some(v) = get.get(key) {
            flags.insert(key.to_owned(), Value::String(v.clone()));
        }
    }
    row.insert("flags".into(), Value::Object(flags));
    Ok(row)
}

fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "是".into(),
        Some(Value::Bool(false)) => "否".into(),
        Some(other) => other.to_string(),
    }
}

fn json_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::Array(a)) if !a.is_empty() => Value::Array(a.clone()).to_string(),
        _ => String::new(),
    }
}

/// The JSON form of an exported row as cells in [`COLUMNS`] order.
pub fn value_to_flat(row: &Value) -> Vec<String> {
    let empty = Vec::new();
    let petitioners = row["petitioners"].as_array().unwrap_or(&empty);
    let first = petitioners.first();
    let more: Vec<Value> = petitioners.iter().skip(1).cloned().collect();
    let domain = match (&row["domain"]["first"], &row["domain"]["second"]) {
        (Value::String(f), Value::String(s)) => format!("{f}/{s}"),
        (Value::String(f), _) => f.clone(),
        _ => String::new(),
    };
    COLUMNS
        .iter()
        .map(|(code, _)| match *code {
            "petitioner_name" => text(first.and_then(|p| p.get("name"))),
            "petitioner_id_number" => text(first.and_then(|p| p.get("id_number"))),
            "petitioner_phone" => text(first.and_then(|p| p.get("phone"))),
            "petitioner_address" => text(first.and_then(|p| p.get("address"))),
            "more_petitioners" => json_text(Some(&Value::Array(more.clone()))),
            "region" => text(row["location"].get("region")),
            "location_address" => text(row["location"].get("address")),
            "target_name" => text(row.get("target").and_then(|t| t.get("name"))),
            "target_unit" => text(row.get("target").and_then(|t| t.get("unit"))),
            "domain" => domain.clone(),
            "attachments" | "events" => json_text(row.get(*code)),
            flag if FLAG_KEYS.contains(&flag) => text(row["flags"].get(flag)),
            other => text(row.get(other)),
        })
        .collect()
}
