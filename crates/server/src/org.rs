//! The organisation as staff read it: units, regions and the content-domain tree. No personal data here;
//! any signed-in staff member may read it.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use xinfang_domain::catalog::code as tag;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};

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
    Ok(Json(
        units
            .into_iter()
            .map(|u| UnitView {
                id: u.id.to_string(),
                name: u.name.clone(),
                kind: tag(&u.kind),
                kind_label: u.kind.label(),
                level: tag(&u.level),
                region: u.region.to_string(),
                parent: u.parent.as_ref().map(ToString::to_string),
                domains: u.domains.clone(),
            })
            .collect(),
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
