//! The organisation as staff read it: units, regions and the content-domain tree. No personal data here;
//! any signed-in staff member may read it. Administrators add units and regions inside their own unit's
//! region, below their own unit, and change the name and routing rule of the units at or below theirs.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xinfang_domain::catalog::code as tag;
use xinfang_domain::ids::{Level, RegionCode, UnitId};
use xinfang_domain::org::{Org, OrgCommand, Region, Unit, UnitKind};
use xinfang_domain::{Change, Principal};

use crate::AppState;
use crate::admin::unit_in_scope;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitView {
    pub id: String,
    pub name: String,
    /// petition_bureau, department, government or judicial.
    pub kind: String,
    /// 单位类型（中文）
    pub kind_label: &'static str,
    /// national, province, city, county, township or village.
    pub level: String,
    pub region: String,
    pub parent: Option<String>,
    /// First-level content domains the unit is competent for.
    pub domains: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionView {
    /// GB/T 2260 code (6 digits; 9 and 12 for streets and communities).
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DomainView {
    pub name: String,
    pub children: Vec<String>,
}

/// Every unit, parents before children.
#[utoipa::path(
    get,
    path = "/api/v1/units",
    tag = "组织机构",
    responses((status = 200, body = Vec<UnitView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn units(auth: Auth) -> Result<Json<Vec<UnitView>>, ApiError> {
    auth.ready()?;
    let org = auth.org.clone();
    let mut units: Vec<_> = org.units().collect();
    // Parents first (depth), then by id, so a client can build the tree in one pass.
    units.sort_by_key(|u| (org.chain_up(&u.id).count(), u.id.clone()));
    Ok(Json(units.into_iter().map(unit_view).collect()))
}

fn unit_view(u: &Unit) -> UnitView {
    UnitView {
        id: u.id.to_string(),
        name: u.name.clone(),
        kind: tag(&u.kind),
        kind_label: u.kind.label(),
        level: tag(&u.level),
        region: u.region.to_string(),
        parent: u.parent.as_ref().map(ToString::to_string),
        domains: u.domains.clone(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUnit {
    /// Unit code (letters, digits, `-`), e.g. xc-zjj.
    pub id: String,
    pub name: String,
    /// petition_bureau, department, government or judicial.
    #[schema(value_type = String)]
    pub kind: UnitKind,
    /// national, province, city, county, township or village.
    #[schema(value_type = String)]
    pub level: Level,
    /// A defined region inside the administrator's unit's region.
    pub region: String,
    /// The administrator's unit or one below it.
    pub parent: String,
    /// First-level content domains the unit is competent for (its routing rule).
    #[serde(default)]
    pub domains: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UnitChange {
    pub name: String,
    /// First-level content domains the unit is competent for (its routing rule).
    pub domains: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewRegion {
    /// GB/T 2260 code inside the administrator's unit's region.
    pub code: String,
    pub name: String,
}

/// Every name is a first level of the domain tree in force.
fn known_domains(state: &AppState, domains: &[String]) -> Result<(), ApiError> {
    let rules = state.ledger.rules();
    match domains
        .iter()
        .find(|d| !rules.domains.first_levels().any(|f| f == d.as_str()))
    {
        Some(d) => Err(ApiError::Invalid {
            field: "domains",
            message: format!("「{d}」不是内容分类的一级分类"),
        }),
        None => Ok(()),
    }
}

/// A region the administrator's unit covers.
fn region_in_scope(org: &Org, principal: &Principal, code: &str) -> Result<RegionCode, ApiError> {
    let own = org
        .unit(&principal.unit)
        .map(|u| u.region.clone())
        .ok_or(ApiError::NotFound)?;
    let code = RegionCode::parse(code.trim()).map_err(|e| ApiError::Invalid {
        field: "region",
        message: e.to_string(),
    })?;
    if code.is_within(&own) {
        Ok(code)
    } else {
        Err(ApiError::Invalid {
            field: "region",
            message: format!("行政区划 {code} 不在本单位的辖区之内"),
        })
    }
}

async fn change_org(
    state: &AppState,
    auth: &Auth,
    command: OrgCommand,
    action: &'static str,
    target: &str,
    note: String,
) -> Result<(), ApiError> {
    let principal = auth.admin()?;
    state
        .ledger
        .execute(principal, Utc::now(), Change::Org(command))
        .await?;
    state
        .ledger
        .record(auth.audit(action, target, note))
        .await?;
    Ok(())
}

/// Add a unit below the administrator's unit, in a region it covers.
#[utoipa::path(
    post,
    path = "/api/v1/units",
    tag = "组织机构",
    request_body = NewUnit,
    responses(
        (status = 201, body = UnitView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A bad or taken code, an unknown region or domain, or a parent or region outside the administrator's")
    )
)]
pub async fn create_unit(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<NewUnit>,
) -> Result<(StatusCode, Json<UnitView>), ApiError> {
    let principal = auth.admin()?;
    let org = auth.org.clone();
    let parent =
        unit_in_scope(&org, &principal.unit, &request.parent).map_err(|_| ApiError::Invalid {
            field: "parent",
            message: "上级单位不存在，或不在本单位及下级单位之中".into(),
        })?;
    let region = region_in_scope(&org, principal, &request.region)?;
    if org.region(&region).is_none() {
        return Err(ApiError::Invalid {
            field: "region",
            message: format!("行政区划 {region} 尚未设立"),
        });
    }
    let id = UnitId::parse(request.id.trim()).map_err(|e| ApiError::Invalid {
        field: "id",
        message: e.to_string(),
    })?;
    known_domains(&state, &request.domains)?;
    let unit = Unit {
        id: id.clone(),
        name: request.name.trim().to_owned(),
        kind: request.kind,
        level: request.level,
        region,
        parent: Some(parent),
        domains: request.domains,
    };
    let note = unit.name.clone();
    change_org(
        &state,
        &auth,
        OrgCommand::CreateUnit(unit.clone()),
        "create_unit",
        id.as_str(),
        note,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(unit_view(&unit))))
}

/// Rename a unit at or below the administrator's, or set the domains it is competent for (the routing
/// rule that puts it first among the units suggested at triage).
#[utoipa::path(
    put,
    path = "/api/v1/units/{id}",
    tag = "组织机构",
    params(("id" = String, Path)),
    request_body = UnitChange,
    responses(
        (status = 200, body = UnitView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub async fn update_unit(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(change): ApiJson<UnitChange>,
) -> Result<Json<UnitView>, ApiError> {
    let principal = auth.admin()?;
    let unit = unit_in_scope(&auth.org, &principal.unit, &id).map_err(|_| ApiError::NotFound)?;
    known_domains(&state, &change.domains)?;
    let command = OrgCommand::UpdateUnit {
        unit: unit.clone(),
        name: change.name.clone(),
        domains: change.domains.clone(),
    };
    change_org(
        &state,
        &auth,
        command,
        "update_unit",
        unit.as_str(),
        change.name,
    )
    .await?;
    let org = state.ledger.org().await?;
    let updated = org.unit(&unit).ok_or(ApiError::NotFound)?;
    Ok(Json(unit_view(updated)))
}

/// Define (or rename) a region inside the administrator's unit's region.
#[utoipa::path(
    post,
    path = "/api/v1/regions",
    tag = "组织机构",
    request_body = NewRegion,
    responses(
        (status = 201, body = RegionView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A bad code, an empty name, or a region outside the administrator's")
    )
)]
pub async fn define_region(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(request): ApiJson<NewRegion>,
) -> Result<(StatusCode, Json<RegionView>), ApiError> {
    let principal = auth.admin()?;
    let code = region_in_scope(&auth.org, principal, &request.code)?;
    let region = Region {
        code: code.clone(),
        name: request.name.trim().to_owned(),
    };
    let note = region.name.clone();
    change_org(
        &state,
        &auth,
        OrgCommand::DefineRegion(region.clone()),
        "define_region",
        code.as_str(),
        note,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(RegionView {
            code: code.to_string(),
            name: region.name,
            parent: code.parent().map(|p| p.to_string()),
        }),
    ))
}

/// Every region, by code.
#[utoipa::path(
    get,
    path = "/api/v1/regions",
    tag = "组织机构",
    responses((status = 200, body = Vec<RegionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn regions(auth: Auth) -> Result<Json<Vec<RegionView>>, ApiError> {
    auth.ready()?;
    let org = auth.org.clone();
    let mut regions: Vec<_> = org
        .regions()
        .map(|r| RegionView {
            code: r.code.to_string(),
            name: r.name.clone(),
            parent: r.code.parent().map(|p| p.to_string()),
        })
        .collect();
    regions.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(Json(regions))
}

/// The content-domain tree (内容分类) in force.
#[utoipa::path(
    get,
    path = "/api/v1/domains",
    tag = "组织机构",
    responses((status = 200, body = Vec<DomainView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn domains(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<DomainView>>, ApiError> {
    auth.ready()?;
    Ok(Json(
        state
            .ledger
            .rules()
            .domains
            .domains
            .iter()
            .map(|d| DomainView {
                name: d.name.clone(),
                children: d.children.clone(),
            })
            .collect(),
    ))
}
