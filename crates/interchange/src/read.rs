//! Reading a file into rows in their JSON form, each with its row number. A row that cannot even be read
//! (broken UTF-8, bad JSON) is a rejected row, not a failed file.

use std::io::Cursor;

use calamine::{Data, Reader};
use serde_json::{Map, Value};

use crate::columns::{COLUMNS, column_of, flat_to_value};
use crate::parse::Rejection;
use crate::{Format, ImportError};

/// One row of a file: its 1-based row number and its content, or why it could not be read.
pub struct RawRow {
    pub row: usize,
    pub value: Result<Map<String, Value>, Rejection>,
}

fn unreadable(reason: impl Into<String>) -> Rejection {
    Rejection {
        field: None,
        reason: reason.into(),
    }
}

pub fn read(format: Format, bytes: &[u8]) -> Result<Vec<RawRow>, ImportError> {
    match format {
        Format::Jsonl => Ok(read_jsonl(bytes)),
        Format::Csv => read_csv(bytes),
        Format::Xlsx => read_xlsx(bytes),
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn read_jsonl(bytes: &[u8]) -> Vec<RawRow> {
    strip_bom(bytes)
        .split(|b| *b == b'\n')
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let value = match std::str::from_utf8(line) {
                Err(e) => Err(unreadable(format!(
                    "该行不是有效的UTF-8编码（第{}个字节处）",
                    e.valid_up_to() + 1
                ))),
                Ok(text) if text.trim().is_empty() => return None,
                Ok(text) => match serde_json::from_str::<Value>(text) {
                    Ok(Value::Object(map)) => Ok(map),
                    Ok(_) => Err(unreadable("每行应为一个JSON对象")),
                    Err(e) => Err(unreadable(format!("JSON格式错误：{e}"))),
                },
            };
            Some(RawRow { row: i + 1, value })
        })
        .collect()
}

/// Header cells to column indexes, refusing unknown and repeated columns and a missing source id.
fn header(cells: &[String]) -> Result<Vec<usize>, ImportError> {
    let mut columns = Vec::with_capacity(cells.len());
    for (i, name) in cells.iter().enumerate() {
        let col = column_of(name).ok_or_else(|| ImportError::UnknownColumn {
            column: i + 1,
            name: name.trim().to_owned(),
        })?;
        if columns.contains(&col) {
            return Err(ImportError::DuplicateColumn(COLUMNS[col].1.to_owned()));
        }
        columns.push(col);
    }
    if !columns.contains(&0) {
        return Err(ImportError::MissingColumn(COLUMNS[0].1));
    }
    Ok(columns)
}

fn flat_row(row: usize, columns: &[usize], cells: Result<Vec<String>, Rejection>) -> RawRow {
    let value = cells.and_then(|cells| {
        if cells.len() > columns.len() {
            return Err(unreadable(format!(
                "该行有{}列，多于表头的{}列",
                cells.len(),
                columns.len()
            )));
        }
        let pairs: Vec<(usize, String)> = columns.iter().copied().zip(cells).collect();
        flat_to_value(&pairs)
    });
    RawRow { row, value }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(strip_bom(bytes));
    let mut records = reader.byte_records();
    let head = records
        .next()
        .ok_or(ImportError::NoHeader)?
        .map_err(|e| ImportError::Csv(e.to_string()))?;
    let names = head
        .iter()
        .map(|c| std::str::from_utf8(c).map(str::to_owned))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ImportError::HeaderEncoding)?;
    let columns = header(&names)?;
    let mut rows = Vec::new();
    // Rows are numbered as a spreadsheet shows them: the header is row 1.
    for (i, record) in records.enumerate() {
        let row = i + 2;
        let cells = match record {
            Err(e) => Err(unreadable(format!("CSV格式错误：{e}"))),
            Ok(r) if r.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) => continue,
            Ok(r) => r
                .iter()
                .enumerate()
                .map(|(c, cell)| {
                    std::str::from_utf8(cell).map(str::to_owned).map_err(|_| {
                        let code = columns.get(c).map(|col| COLUMNS[*col].0.to_owned());
                        Rejection {
                            reason: format!(
                                "第{}列不是有效的UTF-8编码，请以「CSV UTF-8」格式保存",
                                c + 1
                            ),
                            field: code,
                        }
                    })
                })
                .collect(),
        };
        rows.push(flat_row(row, &columns, cells));
    }
    Ok(rows)
}

fn cell_text(cell: &Data) -> Result<String, Rejection> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Whole numbers (phones, counts, region codes typed as numbers) without a trailing ".0".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .ok_or_else(|| unreadable("日期单元格无法解析"))?,
        Data::Error(e) => return Err(unreadable(format!("单元格有错误值：{e}"))),
    })
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawRow>, ImportError> {
    let mut book =
        calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| ImportError::Xlsx(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(ImportError::NoHeader)?
        .map_err(|e| ImportError::Xlsx(e.to_string()))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows_iter = range.rows();
    let head = rows_iter.next().ok_or(ImportError::NoHeader)?;
    let names: Vec<String> = head
        .iter()
        .map(|c| cell_text(c).unwrap_or_default())
        .collect();
    // Formatting can leave empty cells after the last named column.
    let width = names
        .iter()
        .rposition(|n| !n.trim().is_empty())
        .map_or(0, |p| p + 1);
    let columns = header(&names[..width])?;
    let mut rows = Vec::new();
    for (i, cells) in rows_iter.enumerate() {
        let row = first_row + i + 2;
        if cells.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let mut texts: Result<Vec<String>, Rejection> = cells.iter().map(cell_text).collect();
        if let Ok(t) = &mut texts {
            while t.len() > width && t.last().is_some_and(|c| c.trim().is_empty()) {
                t.pop();
            }
        }
        rows.push(flat_row(row, &columns, texts));
    }
    Ok(rows)
}
