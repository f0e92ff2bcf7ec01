//! Documents (文书) in the store: the templates administrators set (`document_templates`, part of the
//! organisation's projection) and the numbers issued (`documents`, one row per issued document, its
//! serial unique per issuing unit, kind and year). Both are projections of the log, rebuilt and verified
//! with the others; the documents' text lives in their events, on the matter.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};
use xinfang_domain::documents::{DocumentKind, IssuedDocument, Template};
use xinfang_domain::ids::{MatterId, UnitId};
use xinfang_domain::org::Org;

use crate::{Result, StoreError};

/// Whose serials a number counts in: the issuing unit, the kind, the year.
pub(crate) type SerialKey = (String, String, i32);

pub(crate) fn serial_key(unit: &UnitId, kind: DocumentKind, year: i32) -> SerialKey {
    (unit.as_str().to_owned(), kind.code(), year)
}

/// One row of `documents`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DocumentRow {
    pub matter_id: String,
    pub ordinal: i64,
    pub kind: String,
    pub issuer: String,
    pub year: i64,
    pub serial: i64,
}

impl DocumentRow {
    pub(crate) fn of(matter: &MatterId, ordinal: usize, d: &IssuedDocument) -> DocumentRow {
        DocumentRow {
            matter_id: matter.as_str().to_owned(),
            ordinal: ordinal as i64,
            kind: d.kind.code(),
            issuer: d.issued_by.as_str().to_owned(),
            year: i64::from(d.number.year),
            serial: i64::from(d.number.serial),
        }
    }

    pub(crate) fn key(&self) -> SerialKey {
        (self.issuer.clone(), self.kind.clone(), self.year as i32)
    }
}

pub(crate) async fn insert_documents(conn: &mut AnyConnection, rows: &[DocumentRow]) -> Result<()> {
    // Documents are few (a handful per matter, issued one at a time): one statement each.
    for r in rows {
        sqlx::query(
            "INSERT INTO documents (matter_id, ordinal, kind, issuer, year, serial) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.matter_id.clone())
        .bind(r.ordinal)
        .bind(r.kind.clone())
        .bind(r.issuer.clone())
        .bind(r.year)
        .bind(r.serial)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(crate) async fn all_document_rows(conn: &mut AnyConnection) -> Result<Vec<DocumentRow>> {
    let rows = sqlx::query("SELECT matter_id, ordinal, kind, issuer, year, serial FROM documents")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DocumentRow {
                matter_id: r.try_get("matter_id")?,
                ordinal: r.try_get("ordinal")?,
                kind: r.try_get("kind")?,
                issuer: r.try_get("issuer")?,
                year: r.try_get("year")?,
                serial: r.try_get("serial")?,
            })
        })
        .collect()
}

/// The last serial issued for each key (0 where none was).
pub(crate) async fn last_serials(
    conn: &mut AnyConnection,
    keys: impl IntoIterator<Item = SerialKey>,
) -> Result<HashMap<SerialKey, u32>> {
    let mut out = HashMap::new();
    for key in keys {
        if out.contains_key(&key) {
            continue;
        }
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(serial) FROM documents WHERE issuer = $1 AND kind = $2 AND year = $3",
        )
        .bind(key.0.clone())
        .bind(key.1.clone())
        .bind(i64::from(key.2))
        .fetch_one(&mut *conn)
        .await?;
        out.insert(key, u32::try_from(last.unwrap_or(0)).unwrap_or(0));
    }
    Ok(out)
}

pub(crate) async fn write_template(
    conn: &mut AnyConnection,
    unit: &UnitId,
    kind: DocumentKind,
    template: Option<&Template>,
) -> Result<()> {
    sqlx::query("DELETE FROM document_templates WHERE unit = $1 AND kind = $2")
        .bind(unit.as_str().to_owned())
        .bind(kind.code())
        .execute(&mut *conn)
        .await?;
    if let Some(t) = template {
        sqlx::query("INSERT INTO document_templates (unit, kind, data) VALUES ($1, $2, $3)")
            .bind(unit.as_str().to_owned())
            .bind(kind.code())
            .bind(serde_json::to_string(t).expect("templates serialize"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(crate) async fn load_templates(conn: &mut AnyConnection, org: &mut Org) -> Result<()> {
    for row in sqlx::query("SELECT unit, kind, data FROM document_templates")
        .fetch_all(&mut *conn)
        .await?
    {
        let unit: String = row.try_get("unit")?;
        let kind: String = row.try_get("kind")?;
        let data: String = row.try_get("data")?;
        let corrupt = || StoreError::Corrupt(format!("单位 {unit} 的文书模板 {kind} 无法解析"));
        org.insert_template(
            UnitId::parse(&unit).map_err(|_| corrupt())?,
            DocumentKind::parse(&kind).ok_or_else(corrupt)?,
            serde_json::from_str(&data).map_err(|_| corrupt())?,
        );
    }
    Ok(())
}
