//! Checking registration fields as they are typed, by the same parsers registration uses, so the form's
//! hints and the API's refusals always agree.

use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::ids::{IdNumber, Phone, RegionCode};

use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckParams {
    /// 公民身份号码 as typed.
    pub id_number: Option<String>,
    /// A telephone number as typed.
    pub phone: Option<String>,
    /// A GB/T 2260 region code as typed.
    pub region: Option<String>,
}

/// The verdict on one field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldCheck {
    pub ok: bool,
    /// Why not, in Chinese; for a region, its name when it is known.
    pub message: String,
    /// The value as it will be stored (upper-case X, phone with its area code separated).
    pub value: Option<String>,
}

/// The verdicts on the fields asked about.
#[derive(Debug, Serialize, ToSchema)]
pub struct Checked {
    pub id_number: Option<FieldCheck>,
    pub phone: Option<FieldCheck>,
    pub region: Option<FieldCheck>,
}

fn verdict<T>(
    parsed: Result<T, impl std::fmt::Display>,
    shown: impl Fn(&T) -> String,
) -> FieldCheck {
    match parsed {
        Ok(v) => FieldCheck {
            ok: true,
            message: String::new(),
            value: Some(shown(&v)),
        },
        Err(e) => FieldCheck {
            ok: false,
            message: e.to_string(),
            value: None,
        },
    }
}

/// Check an ID number, a phone number and a region code before registering.
#[utoipa::path(
    get,
    path = "/api/v1/check",
    tag = "信访事项",
    params(CheckParams),
    responses((status = 200, body = Checked), (status = 401, body = ErrorBody))
)]
pub async fn check(
    auth: Auth,
    ApiQuery(p): ApiQuery<CheckParams>,
) -> Result<Json<Checked>, ApiError> {
    auth.ready()?;
    let region = p.region.as_deref().map(|typed| {
        let known = RegionCode::parse(typed.trim())
            .map_err(|e| e.to_string())
            .and_then(|code| {
                auth.org
                    .region(&code)
                    .map(|r| (code.clone(), r.name.clone()))
                    .ok_or_else(|| format!("行政区划代码 {code} 不在区划表中"))
            });
        match known {
            Ok((code, name)) => FieldCheck {
                ok: true,
                message: name,
                value: Some(code.to_string()),
            },
            Err(message) => FieldCheck {
                ok: false,
                message,
                value: None,
            },
        }
    });
    Ok(Json(Checked {
        id_number: p
            .id_number
            .as_deref()
            .map(|s| verdict(IdNumber::parse(s), |n| n.as_str().to_owned())),
        phone: p
            .phone
            .as_deref()
            .map(|s| verdict(Phone::parse(s), |n| n.as_str().to_owned())),
        region,
    }))
}
