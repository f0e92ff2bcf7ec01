//! Open311 GeoReport v2 (decision 0032, docs/open311.md): a city's 12345 platform, a 311 app or the level
//! above files matters with an API token and follows them, in the frozen spec's XML or JSON.
//!
//! Each answer is built once as a tree of elements and written as XML or as its JSON image under the
//! spec's Spark convention, so the two formats cannot say different things. What a matter shows comes
//! from `xinfang_domain::open311`: no person ever leaves through these routes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use xinfang_domain::catalog::{Channel, Purpose, code, from_code};
use xinfang_domain::ids::{ContactId, MatterId, Phone, RegionCode};
use xinfang_domain::open311::{PublicRequest, Service, public_request, service, services};
use xinfang_domain::org::{Org, UnitKind};
use xinfang_domain::petition::{ContactDraft, DeclaredFlags, Location, Petitioner};
use xinfang_domain::workflow::{Change, Command, Filing, Status, china_date};
use xinfang_store::query::{MatterQuery, MatterSort};

use crate::AppState;
use crate::error::ApiError;

/// The spec's limits on GET requests: "a span of 90 days or first 1000 requests returned, whichever is
/// smallest".
const WINDOW_DAYS: i64 = 90;
const MAX_REQUESTS: usize = 1000;
/// The spec's limit on a description.
const DESCRIPTION_LIMIT: usize = 4000;
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// When the service list last changed: the domain tree is read when the server starts.
static STARTED: LazyLock<DateTime<Utc>> = LazyLock::new(Utc::now);

pub(crate) fn router() -> Router<AppState> {
    LazyLock::force(&STARTED);
    Router::new()
        .route("/open311/{file}", get(discovery))
        .route("/open311/v2/{file}", get(list).post(create))
        .route("/open311/v2/services/{file}", get(definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

/// The answer's format, from the path's extension: the spec negotiates by nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xml,
    Json,
}

/// `services.json` → (`services`, JSON). An unknown extension is answered in XML, the required format.
fn split_file(file: &str) -> Result<(&str, Format), Open311Error> {
    let unknown = || {
        Open311Error::new(
            Format::Xml,
            StatusCode::NOT_FOUND,
            "资源不存在：格式应为 .xml 或 .json",
        )
    };
    let (stem, extension) = file.rsplit_once('.').ok_or_else(unknown)?;
    let format = match extension {
        "xml" => Format::Xml,
        "json" => Format::Json,
        _ => return Err(unknown()),
    };
    Ok((stem, format))
}

/// An element's value. Codes and ids are strings in both formats.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Text(String),
    Int(i64),
    Bool(bool),
    Null,
}

impl From<&str> for Scalar {
    fn from(s: &str) -> Self {
        Scalar::Text(s.to_owned())
    }
}

impl From<String> for Scalar {
    fn from(s: String) -> Self {
        Scalar::Text(s)
    }
}

impl<T: Into<Scalar>> From<Option<T>> for Scalar {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Scalar::Null)
    }
}

/// An answer as the spec's XML describes it.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Leaf(&'static str, Scalar),
    /// An element with named children: a JSON object.
    Record(&'static str, Vec<Node>),
    /// An element whose children all repeat one element: a JSON array even of one (Spark).
    List(&'static str, Vec<Node>),
}

fn leaf(name: &'static str, value: impl Into<Scalar>) -> Node {
    Node::Leaf(name, value.into())
}

impl Node {
    fn name(&self) -> &'static str {
        match self {
            Node::Leaf(n, _) | Node::Record(n, _) | Node::List(n, _) => n,
        }
    }

    /// The JSON image: the root element's name is dropped, as in Spark.
    fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Leaf(_, v) => match v {
                Scalar::Text(s) => Value::String(s.clone()),
                Scalar::Int(i) => Value::from(*i),
                Scalar::Bool(b) => Value::Bool(*b),
                Scalar::Null => Value::Null,
            },
            Node::Record(_, children) => Value::Object(
                children
                    .iter()
                    .map(|c| (c.name().to_owned(), c.json()))
                    .collect(),
            ),
            Node::List(_, items) => Value::Array(items.iter().map(Node::json).collect()),
        }
    }

    fn write_xml<W: std::io::Write>(&self, w: &mut Writer<W>) -> std::io::Result<()> {
        let name = self.name();
        let text = match self {
            Node::Leaf(_, Scalar::Null) => {
                return w.write_event(Event::Empty(BytesStart::new(name)));
            }
            Node::Leaf(_, Scalar::Text(s)) => Some(s.clone()),
            Node::Leaf(_, Scalar::Int(i)) => Some(i.to_string()),
            Node::Leaf(_, Scalar::Bool(b)) => Some(b.to_string()),
            Node::Record(..) | Node::List(..) => None,
        };
        w.write_event(Event::Start(BytesStart::new(name)))?;
        match (self, text) {
            (_, Some(text)) => w.write_event(Event::Text(BytesText::new(&text)))?,
            (Node::Record(_, children) | Node::List(_, children), None) => {
                for c in children {
                    c.write_xml(w)?;
                }
            }
            _ => {}
        }
        w.write_event(Event::End(BytesEnd::new(name)))
    }

    fn xml(&self) -> Vec<u8> {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        let written = w
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
            .and_then(|_| self.write_xml(&mut w));
        if let Err(e) = written {
            // Writing to memory fails only on a bug; say so rather than send half a document.
            tracing::error!(error = %e, "an Open311 answer failed to write");
            return b"<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>500</code><description>system error</description></error></errors>".to_vec();
        }
        w.into_inner()
    }
}

fn reply(format: Format, status: StatusCode, node: &Node) -> Response {
    let (content_type, body) = match format {
        Format::Xml => ("text/xml; charset=utf-8", node.xml()),
        Format::Json => (
            "application/json; charset=utf-8",
            node.json().to_string().into_bytes(),
        ),
    };
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn ok(format: Format, node: Node) -> Result<Response, Open311Error> {
    Ok(reply(format, StatusCode::OK, &node))
}

/// An error in the spec's shape: `<errors><error><code/><description/></error></errors>`, 404 for what
/// does not exist, 403 for a missing or wrong api_key, 400 for the rest.
#[derive(Debug)]
struct Open311Error {
    format: Format,
    status: StatusCode,
    description: String,
}

impl Open311Error {
    fn new(format: Format, status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error {
            format,
            status,
            description: description.into(),
        }
    }

    fn bad(format: Format, description: impl Into<String>) -> Self {
        Self::new(format, StatusCode::BAD_REQUEST, description)
    }

    fn not_found(format: Format, description: impl Into<String>) -> Self {
        Self::new(format, StatusCode::NOT_FOUND, description)
    }

    /// The xinfang error behind a refusal, in the statuses the spec allows.
    fn from_api(format: Format, error: ApiError) -> Self {
        let status = match error.status() {
            StatusCode::NOT_FOUND => StatusCode::NOT_FOUND,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => StatusCode::FORBIDDEN,
            s if s.is_server_error() => s,
            _ => StatusCode::BAD_REQUEST,
        };
        if status.is_server_error() {
            tracing::error!(error = ?error, "an Open311 request failed");
            return Self::new(format, status, "系统暂时无法处理，请稍后再试");
        }
        Self::new(format, status, error.to_string())
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let body = Node::List(
            "errors",
            vec![Node::Record(
                "error",
                vec![
                    leaf("code", Scalar::Int(i64::from(self.status.as_u16()))),
                    leaf("description", self.description),
                ],
            )],
        );
        reply(self.format, self.status, &body)
    }
}

type Open311Result = Result<Response, Open311Error>;

/// Parameters as the spec reads them: an empty one is one not sent, and the first of a repeated one
/// counts (the spec's lists are comma-separated in one value).
struct Params(HashMap<String, String>);

impl Params {
    fn new(pairs: Vec<(String, String)>) -> Self {
        let mut map = HashMap::new();
        for (k, v) in pairs {
            let v = v.trim().to_owned();
            if !v.is_empty() {
                map.entry(k).or_insert(v);
            }
        }
        Params(map)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn list(&self, name: &str) -> Vec<&str> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn query_params(
    format: Format,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Params, Open311Error> {
    let Query(pairs) = query.map_err(|_| Open311Error::bad(format, "查询参数无法解析"))?;
    Ok(Params::new(pairs))
}

/// What every GET names: the resource and format from the path, the parameters, the organisation it is
/// read against and the jurisdiction asked for (checked, so an unknown one is 404 on every method).
struct Asked<'a> {
    name: &'a str,
    format: Format,
    params: Params,
    org: std::sync::Arc<Org>,
    jurisdiction: Option<RegionCode>,
}

async fn asked<'a>(
    state: &AppState,
    file: &'a str,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Asked<'a>, Open311Error> {
    let (name, format) = split_file(file)?;
    let params = query_params(format, query)?;
    let org = state
        .ledger
        .org()
        .await
        .map_err(|e| Open311Error::from_api(format, e.into()))?;
    let jurisdiction = jurisdiction(format, &org, &params)?;
    Ok(Asked {
        name,
        format,
        params,
        org,
        jurisdiction,
    })
}

/// The region a jurisdiction_id names: one with a petition bureau of its own. Absent, the whole system
/// answers (one jurisdiction, as the spec allows).
fn jurisdiction(
    format: Format,
    org: &Org,
    params: &Params,
) -> Result<Option<RegionCode>, Open311Error> {
    let Some(id) = params.get("jurisdiction_id") else {
        return Ok(None);
    };
    let not_found = || {
        Open311Error::not_found(
            format,
            format!("jurisdiction_id「{id}」未找到：应为设有信访局的行政区划代码"),
        )
    };
    let region = RegionCode::parse(id).map_err(|_| not_found())?;
    org.units()
        .any(|u| u.kind == UnitKind::PetitionBureau && u.region == region)
        .then_some(Some(region))
        .ok_or_else(not_found)
}

fn in_jurisdiction(region: &RegionCode, jurisdiction: &Option<RegionCode>) -> bool {
    jurisdiction.as_ref().is_none_or(|j| {
        region
            .as_str()
            .starts_with(j.as_str().trim_end_matches("00"))
    })
}

/// The base address of the endpoint as the client reached it.
fn endpoint_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/open311/v2")
}

fn changeset() -> String {
    STARTED
        .with_timezone(&beijing())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

fn w3c(at: DateTime<Utc>) -> String {
    at.with_timezone(&beijing())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// The end of a deadline's day in Beijing: the day is the unit of the legal clocks.
fn end_of_day(day: NaiveDate) -> String {
    format!("{day}T23:59:59+08:00")
}

/// Service discovery, in both formats as its spec requires.
async fn discovery(Path(file): Path<String>, headers: HeaderMap) -> Open311Result {
    let (stem, format) = split_file(&file)?;
    if stem != "discovery" {
        return Err(Open311Error::not_found(format, "资源不存在"));
    }
    let formats = ["text/xml", "application/json"]
        .into_iter()
        .map(|f| leaf("format", f))
        .collect();
    ok(
        format,
        Node::Record(
            "discovery",
            vec![
                leaf("changeset", changeset()),
                leaf("contact", "信访事项接口：请联系本级信访局信息化工作人员"),
                leaf(
                    "key_service",
                    "接口令牌（api_key）由系统管理员在 管理 → 接口令牌 中签发",
                ),
                Node::List(
                    "endpoints",
                    vec![Node::Record(
                        "endpoint",
                        vec![
                            leaf("specification", SPECIFICATION),
                            leaf("url", endpoint_url(&headers)),
                            leaf("changeset", changeset()),
                            leaf("type", "production"),
                            Node::List("formats", formats),
                        ],
                    )],
                ),
            ],
        ),
    )
}

fn service_node(s: &Service) -> Node {
    Node::Record(
        "service",
        vec![
            leaf("service_code", s.code.clone()),
            leaf("service_name", s.name.clone()),
            leaf(
                "description",
                if s.path.second.is_some() {
                    format!("{}类信访事项中的{}问题", s.group, s.name)
                } else {
                    format!("{}类信访事项（未细分）", s.group)
                },
            ),
            leaf("metadata", Scalar::Bool(true)),
            leaf("type", "realtime"),
            leaf("keywords", s.name.clone()),
            leaf("group", s.group.clone()),
        ],
    )
}

/// `GET /open311/v2/services.{format}` and `GET /open311/v2/requests.{format}`.
async fn list(
    State(state): State<AppState>,
    Path(file): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Open311Result {
    let Asked {
        name: stem,
        format,
        params,
        org,
        jurisdiction,
    } = asked(&state, &file, query).await?;
    match stem {
        "services" => ok(
            format,
            Node::List(
                "services",
                services(&state.ledger.rules().domains)
                    .iter()
                    .map(service_node)
                    .collect(),
            ),
        ),
        "requests" => requests(&state, format, &org, &params, jurisdiction).await,
        _ => Err(Open311Error::not_found(format, "资源不存在")),
    }
}

/// What a platform may send besides the spec's own fields, as `attribute[code]`.
fn attributes() -> Vec<Node> {
    let values = |items: Vec<(String, &'static str)>| {
        Node::List(
            "values",
            items
                .into_iter()
                .map(|(key, name)| {
                    Node::Record("value", vec![leaf("key", key), leaf("name", name)])
                })
                .collect(),
        )
    };
    let attribute = |code: &'static str,
                     datatype: &'static str,
                     order: i64,
                     description: &'static str,
                     extra: Option<Node>| {
        let mut fields = vec![
            leaf("variable", Scalar::Bool(true)),
            leaf("code", code),
            leaf("datatype", datatype),
            leaf("required", Scalar::Bool(false)),
            leaf("datatype_description", Scalar::Null),
            leaf("order", Scalar::Int(order)),
            leaf("description", description),
        ];
        fields.extend(extra);
        Node::Record("attribute", fields)
    };
    vec![
        attribute(
            "purpose",
            "singlevaluelist",
            1,
            "信访目的，未填按申诉求决登记",
            Some(values(
                Purpose::ALL.iter().map(|p| (code(p), p.label())).collect(),
            )),
        ),
        attribute("demands", "text", 2, "信访人的具体诉求", None),
        attribute(
            "channel",
            "singlevaluelist",
            3,
            "信访形式，未填按网上信访登记",
            Some(values(
                Channel::ALL.iter().map(|c| (code(c), c.label())).collect(),
            )),
        ),
    ]
}

/// `GET /open311/v2/services/{service_code}.{format}`.
async fn definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Open311Result {
    let Asked {
        name: code, format, ..
    } = asked(&state, &file, query).await?;
    let service = known_service(&state, format, code)?;
    ok(
        format,
        Node::Record(
            "service_definition",
            vec![
                leaf("service_code", service.code),
                Node::List("attributes", attributes()),
            ],
        ),
    )
}

fn known_service(state: &AppState, format: Format, code: &str) -> Result<Service, Open311Error> {
    service(&state.ledger.rules().domains, code)
        .ok_or_else(|| Open311Error::not_found(format, format!("service_code「{code}」未找到")))
}

fn request_node(r: &PublicRequest) -> Node {
    Node::Record(
        "request",
        vec![
            leaf("service_request_id", r.id.clone()),
            leaf("status", if r.closed { "closed" } else { "open" }),
            leaf("status_notes", r.status_label),
            leaf("service_name", r.service_name.clone()),
            leaf("service_code", r.service_code.clone()),
            leaf("description", r.description.clone()),
            leaf("agency_responsible", r.agency.clone()),
            leaf("service_notice", Scalar::Null),
            leaf("requested_datetime", w3c(r.requested_at)),
            leaf("updated_datetime", w3c(r.updated_at)),
            leaf("expected_datetime", r.expected_on.map(end_of_day)),
            leaf("address", r.address.clone()),
            leaf("address_id", r.region.as_str()),
            leaf("zipcode", Scalar::Null),
            leaf("lat", Scalar::Null),
            leaf("long", Scalar::Null),
            leaf("media_url", Scalar::Null),
        ],
    )
}

/// A W3C date-time with its zone; the minutes-only form of the note is taken too.
fn parse_datetime(format: Format, name: &str, value: &str) -> Result<DateTime<Utc>, Open311Error> {
    DateTime::parse_from_rfc3339(value)
        .or_else(|_| DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M%:z"))
        .or_else(|_| {
            value
                .strip_suffix('Z')
                .map(|v| format!("{v}+00:00"))
                .ok_or(())
                .and_then(|v| DateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M%:z").map_err(|_| ()))
        })
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            Open311Error::bad(
                format,
                format!(
                    "{name}「{value}」不是带时区的 W3C 日期时间，例如 2026-01-01T00:00:00+08:00"
                ),
            )
        })
}

/// The window GET requests searches: at most 90 days; without dates, the last 90.
fn window(format: Format, params: &Params) -> Result<(DateTime<Utc>, DateTime<Utc>), Open311Error> {
    let span = chrono::Duration::days(WINDOW_DAYS);
    let start = params
        .get("start_date")
        .map(|v| parse_datetime(format, "start_date", v))
        .transpose()?;
    let end = params
        .get("end_date")
        .map(|v| parse_datetime(format, "end_date", v))
        .transpose()?;
    let (start, end) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s + span),
        (None, Some(e)) => (e - span, e),
        (None, None) => {
            let now = Utc::now();
            (now - span, now)
        }
    };
    if start > end {
        return Err(Open311Error::bad(format, "start_date 晚于 end_date"));
    }
    if end - start > span {
        return Err(Open311Error::bad(
            format,
            format!("查询时段不得超过{WINDOW_DAYS}天"),
        ));
    }
    Ok((start, end))
}

async fn public_of(
    state: &AppState,
    format: Format,
    org: &Org,
    id: &str,
) -> Result<Option<PublicRequest>, Open311Error> {
    let Ok(id) = MatterId::parse(id) else {
        return Ok(None);
    };
    let matter = state
        .ledger
        .matter(&id)
        .await
        .map_err(|e| Open311Error::from_api(format, e.into()))?;
    Ok(matter.map(|m| public_request(&m, org)))
}

/// GET requests: the filters of the spec, newest first, within its limits.
async fn requests(
    state: &AppState,
    format: Format,
    org: &Org,
    params: &Params,
    jurisdiction: Option<RegionCode>,
) -> Open311Result {
    let mut found: Vec<PublicRequest> = Vec::new();
    let ids = params.list("service_request_id");
    if !ids.is_empty() {
        // "This overrides all other arguments", the date window and the cap included.
        for id in ids {
            if let Some(r) = public_of(state, format, org, id).await?
                && in_jurisdiction(&r.region, &jurisdiction)
                && !found.iter().any(|f| f.id == r.id)
            {
                found.push(r);
            }
        }
        return ok(
            format,
            Node::List("service_requests", found.iter().map(request_node).collect()),
        );
    }
    let mut statuses = Vec::new();
    for s in params.list("status") {
        let closed = match s {
            "open" => false,
            "closed" => true,
            other => {
                return Err(Open311Error::bad(
                    format,
                    format!("status「{other}」应为 open 或 closed"),
                ));
            }
        };
        statuses.extend(
            Status::ALL
                .iter()
                .filter(|st| xinfang_domain::open311::is_closed(**st) == closed)
                .map(|st| st.as_str().to_owned()),
        );
    }
    let mut domains = Vec::new();
    for c in params.list("service_code") {
        domains.push(Some(known_service(state, format, c)?.path.to_string()));
    }
    if domains.is_empty() {
        domains.push(None);
    }
    let (start, end) = window(format, params)?;
    for domain in domains {
        let mut query = MatterQuery {
            scope: None,
            region: jurisdiction.as_ref().map(|r| r.as_str().to_owned()),
            statuses: statuses.clone(),
            domain,
            received_from: Some(china_date(start)),
            received_to: Some(china_date(end)),
            sort: MatterSort::Received,
            descending: true,
            limit: MAX_REQUESTS as i64,
            offset: 0,
            ..MatterQuery::default()
        };
        // The list is ordered by day, so the newest thousand are known only once a page ends on a day
        // before the day of the thousandth; a day's matters at either end may fall outside the window's
        // hours.
        let mut cutoff_day: Option<String> = None;
        let mut taken = 0;
        loop {
            let (rows, _) = state
                .ledger
                .store()
                .list_matters(&query)
                .await
                .map_err(|e| Open311Error::from_api(format, e.into()))?;
            let exhausted = (rows.len() as i64) < query.limit;
            let last_day = rows.last().map(|r| r.received_on.clone());
            for row in rows {
                if let Some(r) = public_of(state, format, org, &row.id).await?
                    && r.requested_at >= start
                    && r.requested_at <= end
                    && !found.iter().any(|f| f.id == r.id)
                {
                    found.push(r);
                    taken += 1;
                    if taken == MAX_REQUESTS {
                        cutoff_day = Some(row.received_on.clone());
                    }
                }
            }
            let past_cutoff = matches!((&cutoff_day, &last_day), (Some(c), Some(l)) if l < c);
            if exhausted || past_cutoff {
                break;
            }
            query.offset += query.limit;
        }
    }
    found.sort_by(|a, b| b.requested_at.cmp(&a.requested_at).then(b.id.cmp(&a.id)));
    found.truncate(MAX_REQUESTS);
    ok(
        format,
        Node::List("service_requests", found.iter().map(request_node).collect()),
    )
}

/// `GET /open311/v2/requests/{service_request_id}.{format}`.
async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Open311Result {
    let Asked {
        name: id,
        format,
        org,
        jurisdiction,
        ..
    } = asked(&state, &file, query).await?;
    let request = public_of(&state, format, &org, id)
        .await?
        .filter(|r| in_jurisdiction(&r.region, &jurisdiction))
        .ok_or_else(|| {
            Open311Error::not_found(format, format!("service_request_id「{id}」未找到"))
        })?;
    ok(
        format,
        Node::List("service_requests", vec![request_node(&request)]),
    )
}

/// `GET /open311/v2/tokens/{token}.{format}`. Every service is realtime: a request's id is answered when
/// it is filed, so no token is ever issued and every token is unknown.
async fn token(
    State(state): State<AppState>,
    Path(file): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Open311Result {
    let Asked {
        name: token,
        format,
        ..
    } = asked(&state, &file, query).await?;
    Err(Open311Error::not_found(
        format,
        format!(
            "token「{token}」未找到：本系统的服务均为实时受理（realtime），提交即返回 service_request_id"
        ),
    ))
}

/// `POST /open311/v2/requests.{format}`: file a matter as the token's unit, as the desk would register it.
async fn create(
    State(state): State<AppState>,
    Path(file): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Open311Result {
    let (stem, format) = split_file(&file)?;
    if stem != "requests" {
        return Err(Open311Error::not_found(format, "资源不存在"));
    }
    let Form(pairs) = form.map_err(|e| {
        Open311Error::bad(
            format,
            format!("请求体应为 application/x-www-form-urlencoded 表单：{e}"),
        )
    })?;
    let mut attributes: HashMap<String, String> = HashMap::new();
    for (k, v) in &pairs {
        if let Some(code) = k
            .strip_prefix("attribute[")
            .and_then(|r| r.split(']').next())
            && !v.trim().is_empty()
        {
            attributes
                .entry(code.to_owned())
                .or_insert_with(|| v.trim().to_owned());
        }
    }
    let mut all = pairs;
    all.extend(query_params(format, query)?.0);
    let params = Params::new(all);
    let bad = |m: String| Open311Error::bad(format, m);

    let api_key = params
        .get("api_key")
        .ok_or_else(|| Open311Error::new(format, StatusCode::FORBIDDEN, "缺少 api_key"))?;
    let auth = crate::auth::token_auth(&state, api_key, peer.ip().to_string())
        .await
        .map_err(|_| Open311Error::new(format, StatusCode::FORBIDDEN, "api_key 无效或已撤销"))?;
    let org = auth.org.clone();
    let jurisdiction = jurisdiction(format, &org, &params)?;
    let service_code = params
        .get("service_code")
        .ok_or_else(|| bad("缺少 service_code".into()))?;
    let service = known_service(&state, format, service_code)?;

    let address_string = params.get("address_string").unwrap_or_default();
    let lat_long = match (params.get("lat"), params.get("long")) {
        (Some(lat), Some(long)) => {
            let lat: f64 = lat
                .parse()
                .ok()
                .filter(|v: &f64| (-90.0..=90.0).contains(v))
                .ok_or_else(|| bad(format!("lat「{lat}」不是纬度")))?;
            let long: f64 = long
                .parse()
                .ok()
                .filter(|v: &f64| (-180.0..=180.0).contains(v))
                .ok_or_else(|| bad(format!("long「{long}」不是经度")))?;
            Some((lat, long))
        }
        _ => None,
    };
    let region = match params.get("address_id") {
        Some(id) => {
            let region = RegionCode::parse(id)
                .ok()
                .filter(|r| org.region(r).is_some())
                .ok_or_else(|| bad(format!("address_id「{id}」不是已登记的行政区划代码")))?;
            if !in_jurisdiction(&region, &jurisdiction) {
                return Err(bad(format!(
                    "address_id「{id}」不在 jurisdiction_id 所辖范围内"
                )));
            }
            region
        }
        None if address_string.is_empty() && lat_long.is_none() => {
            return Err(bad(
                "缺少位置：应提供 lat 和 long、address_string 或 address_id 之一".into(),
            ));
        }
        None => match &jurisdiction {
            Some(j) => j.clone(),
            None => org
                .unit(&auth.principal.unit)
                .map(|u| u.region.clone())
                .ok_or_else(|| Open311Error::from_api(format, ApiError::NotFound))?,
        },
    };
    let mut place = address_string.to_owned();
    if let Some((lat, long)) = lat_long {
        if !place.is_empty() {
            place.push(' ');
        }
        place.push_str(&format!("（坐标 {lat},{long}）"));
    }

    let description = params
        .get("description")
        .ok_or_else(|| bad("缺少 description：信访事项须写明反映的问题".into()))?;
    if description.chars().count() > DESCRIPTION_LIMIT {
        return Err(bad(format!("description 不得超过{DESCRIPTION_LIMIT}字")));
    }
    let mut full_text = description.to_owned();
    if let Some(url) = params.get("media_url") {
        // Kept as text, never fetched: the server does not reach out to addresses a client names.
        full_text.push_str(&format!("\n\n附件链接：{url}"));
    }
    for code in attributes.keys() {
        if !matches!(code.as_str(), "purpose" | "demands" | "channel") {
            return Err(bad(format!("attribute[{code}] 不是该服务定义的属性")));
        }
    }
    let purpose = match attributes.get("purpose") {
        None => Purpose::Demand,
        Some(p) => {
            from_code(p).ok_or_else(|| bad(format!("attribute[purpose]「{p}」不是信访目的代码")))?
        }
    };
    let channel = match attributes.get("channel") {
        None => Channel::Online,
        Some(c) => {
            from_code(c).ok_or_else(|| bad(format!("attribute[channel]「{c}」不是信访形式代码")))?
        }
    };
    let name = format!(
        "{}{}",
        params.get("last_name").unwrap_or_default(),
        params.get("first_name").unwrap_or_default()
    );
    let phone = params
        .get("phone")
        .map(|p| Phone::parse(p).map_err(|_| bad(format!("phone「{p}」不是有效的电话号码"))))
        .transpose()?;
    let petitioners = if name.is_empty() {
        Vec::new()
    } else {
        vec![Petitioner {
            name,
            id_number: None,
            phone,
            address: String::new(),
        }]
    };

    let now = Utc::now();
    let matter = MatterId::parse(&crate::matters::new_id("XF")).expect("a valid id");
    let contact = ContactId::parse(&crate::matters::new_id("C")).expect("a valid id");
    let draft = ContactDraft {
        id: contact.clone(),
        channel,
        received_at: now,
        person_count: petitioners.len().max(1) as u32,
        petitioners,
        location: Location {
            region,
            address: place,
        },
        target: None,
        purpose,
        domain: service.path,
        summary: description.chars().take(60).collect(),
        full_text,
        demands: attributes.get("demands").cloned().unwrap_or_default(),
        attachments: Vec::new(),
        flags: DeclaredFlags::default(),
    };
    let principal = auth
        .ready()
        .map_err(|e| Open311Error::from_api(format, e))?;
    let audit = auth.audit("open311_register", matter.as_str(), contact.to_string());
    state
        .ledger
        .execute_group_audited(
            principal,
            now,
            vec![Change::Matter(Command::Register {
                filing: Filing::NewMatter {
                    matter: matter.clone(),
                },
                contact: Box::new(draft),
            })],
            audit,
        )
        .await
        .map_err(|e| Open311Error::from_api(format, e.into()))?;
    let notice = state.ledger.matter(&matter).await.ok().flatten().map(|m| {
        let bureau = org
            .unit(&m.bureau)
            .map(|u| u.name.as_str())
            .unwrap_or("信访部门");
        format!(
            "已登记，{bureau}将于{}前分流",
            xinfang_domain::documents::date_text(m.triage_due)
        )
    });
    ok(
        format,
        Node::List(
            "service_requests",
            vec![Node::Record(
                "request",
                vec![
                    leaf("service_request_id", matter.to_string()),
                    leaf("service_notice", notice),
                    leaf("account_id", Scalar::Null),
                ],
            )],
        ),
    )
}
