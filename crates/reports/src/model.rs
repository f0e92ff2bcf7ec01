//! What a report says, gathered from the figures' facts: every number is a figure of
//! `xinfang_domain::figures` for the report's window, so the same report for a closed period comes out the
//! same however much is recorded later. Lists name matters by id with the dimensions they were counted by,
//! never a person.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;
use xinfang_domain::catalog::{Channel, EvaluationTarget, from_code};
use xinfang_domain::figures::{
    Counts, Fact, FactKind, Figures, GroupBy, Metric, Part, RankBy, Ratio, Slice, Window,
    domain_shares, rank,
};
use xinfang_domain::ids::{RegionCode, UnitId};
use xinfang_domain::org::Org;
use xinfang_domain::rules::FigureRules;
use xinfang_store::Store;

use crate::ReportError;
use crate::narrative;

/// The three reports of brief §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// 日监测.
    Daily,
    /// 周汇总.
    Weekly,
    /// 半月通报.
    Bulletin,
}

impl ReportKind {
    pub fn parse(code: &str) -> Option<ReportKind> {
        from_code(code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportKind::Daily => "信访工作日监测",
            ReportKind::Weekly => "信访工作周汇总",
            ReportKind::Bulletin => "信访工作情况通报",
        }
    }
}

/// Days ahead that count as due soon in the daily monitor (三日内到期).
pub const DUE_SOON_DAYS: u64 = 3;
/// Rows a list shows at most; its `total` says how many there are.
pub const LIST_LIMIT: usize = 200;

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub kind: ReportKind,
    pub window: Window,
    /// The unit the report is for: it counts the units of its jurisdiction (`Org::jurisdiction`).
    pub unit: UnitId,
    /// Compare with the same days of this year too.
    pub base_year: Option<i32>,
}

/// A report, ready for any format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub kind: ReportKind,
    /// "江川市信访局信访工作情况通报".
    pub title: String,
    /// The issue ("2026年第22期") or the days covered.
    pub subtitle: String,
    pub issuer: String,
    pub unit: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
    pub base_year: Option<i32>,
    /// The figures of brief §6 for the whole scope.
    pub figures: Vec<FigureLine>,
    /// A few paragraphs in the register of official reports.
    pub narrative: Vec<String>,
    /// Contacts by channel, domain and region (the daily monitor's intake).
    pub intake: Vec<Table>,
    /// Each domain's share of contacts, of 进京 contacts and of collective visits.
    pub domains: Vec<DomainLine>,
    /// Regions and units ranked by the composite score.
    pub regions: Vec<RankLine>,
    pub units: Vec<RankLine>,
    /// New collective and 进京 contacts (daily monitor).
    pub flagged: Listed<ContactLine>,
    /// Steps still owed after their deadline at the end of the period.
    pub overdue: Listed<StepLine>,
    /// Steps due within [`DUE_SOON_DAYS`] days after the period (daily monitor).
    pub due_soon: Listed<StepLine>,
    /// 不满意 ratings given in the period.
    pub unsatisfied: Listed<RatingLine>,
}

/// One figure now, a year earlier and in the base year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureLine {
    pub code: &'static str,
    pub label: &'static str,
    /// A ratio (shown as a percentage, changes in points) or a count (changes relative).
    pub is_rate: bool,
    pub value: Option<f64>,
    pub numerator: u64,
    pub denominator: Option<u64>,
    pub year_earlier: Option<f64>,
    /// Relative for counts (0.1 = up 10%), in points as a fraction for rates (0.02 = up 2 points).
    pub change: Option<f64>,
    pub base: Option<f64>,
    pub base_change: Option<f64>,
    /// The parts whose matters the numerator counts: the drill-down (`GET /api/v1/stats/matters`).
    pub parts: Vec<&'static str>,
}

/// A small table of counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub title: String,
    pub key_label: String,
    pub rows: Vec<CountLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountLine {
    pub key: String,
    pub name: String,
    pub contacts: u64,
    pub persons: u64,
    pub share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainLine {
    pub domain: String,
    pub contacts: u64,
    pub share: Option<f64>,
    pub national: u64,
    pub national_share: Option<f64>,
    pub collective: u64,
    pub collective_share: Option<f64>,
    pub year_earlier: u64,
    pub change: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankLine {
    pub rank: Option<u32>,
    pub key: String,
    pub name: String,
    pub composite: Option<f64>,
    pub contacts: u64,
    pub contacts_change: Option<f64>,
    pub timely_acceptance: Option<f64>,
    pub on_time_answer: Option<f64>,
    pub satisfaction: Option<f64>,
    pub one_time_resolution: Option<f64>,
    pub repeat_rate: Option<f64>,
}

/// A list and how many it would hold without the limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed<T> {
    pub total: usize,
    pub rows: Vec<T>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Self {
            total: 0,
            rows: Vec::new(),
        }
    }
}

impl<T> Listed<T> {
    fn of(mut all: Vec<T>) -> Self {
        let total = all.len();
        all.truncate(LIST_LIMIT);
        Self { total, rows: all }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepLine {
    pub matter: String,
    /// 受理（分流） or 答复.
    pub step: &'static str,
    pub due: NaiveDate,
    /// Days past the deadline at the end of the period; negative: days left.
    pub days_overdue: i64,
    pub unit: String,
    pub region: String,
    pub domain: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingLine {
    pub matter: String,
    pub day: NaiveDate,
    /// 信访部门 or 责任单位.
    pub target: &'static str,
    /// 代评.
    pub proxy: bool,
    pub unit: String,
    pub region: String,
    pub domain: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactLine {
    pub matter: String,
    pub day: NaiveDate,
    pub channel: &'static str,
    pub persons: u64,
    pub collective: bool,
    pub national: bool,
    pub region: String,
    pub domain: String,
}

impl RatingLine {
    /// "信访部门" or "责任单位（代评）".
    pub fn target_text(&self) -> String {
        if self.proxy {
            format!("{}（代评）", self.target)
        } else {
            self.target.to_owned()
        }
    }
}

impl ContactLine {
    /// "集体访", "进京" or both.
    pub fn kind_text(&self) -> &'static str {
        match (self.collective, self.national) {
            (true, true) => "集体访、进京",
            (true, false) => "集体访",
            _ => "进京",
        }
    }
}

/// Names for codes, from the organisation.
struct Names<'a>(&'a Org);

impl Names<'_> {
    fn unit(&self, id: &UnitId) -> String {
        self.0
            .unit(id)
            .map_or_else(|| id.as_str().to_owned(), |u| u.name.clone())
    }

    fn unit_text(&self, id: &str) -> String {
        UnitId::parse(id).map_or_else(|_| id.to_owned(), |u| self.unit(&u))
    }

    fn region(&self, code: &RegionCode) -> String {
        self.0
            .region(code)
            .map_or_else(|| code.as_str().to_owned(), |r| r.name.clone())
    }

    fn region_text(&self, code: &str) -> String {
        RegionCode::parse(code).map_or_else(|_| code.to_owned(), |c| self.region(&c))
    }
}

/// The report `req` asks for, from the store's facts.
pub async fn gather(store: &Store, org: &Org, req: &ReportRequest) -> Result<Report, ReportError> {
    let rules = store.figure_rules();
    let top = org
        .unit(&req.unit)
        .ok_or_else(|| ReportError::UnknownUnit(req.unit.as_str().to_owned()))?;
    let names = Names(org);
    let w = req.window;
    let slice = Slice {
        units: Some(org.jurisdiction(&top.id)),
        ..Slice::default()
    };
    let not_yet_due = rules.answers_count_not_yet_due;
    let counts = |w: Window, group: GroupBy| {
        let slice = &slice;
        async move { store.figure_counts(&w, slice, group, not_yet_due).await }
    };
    let total_of = |rows: BTreeMap<String, Counts>| rows.into_values().next().unwrap_or_default();

    let now = total_of(counts(w, GroupBy::Total).await?);
    let earlier = total_of(counts(w.years_earlier(1), GroupBy::Total).await?);
    let base = match req.base_year {
        Some(y) => Some(total_of(counts(w.in_year(y), GroupBy::Total).await?)),
        None => None,
    };
    let figures = figure_lines(
        &Figures::of(&now, rules),
        &Figures::of(&earlier, rules),
        base.as_ref().map(|b| Figures::of(b, rules)).as_ref(),
    );

    let by_domain = counts(w, GroupBy::Domain).await?;
    let by_domain_earlier = counts(w.years_earlier(1), GroupBy::Domain).await?;
    let domains = domain_lines(&by_domain, &by_domain_earlier);

    let names = &names;
    let ranked = |group: GroupBy| async move {
        let now = counts(w, group).await?;
        let earlier = counts(w.years_earlier(1), group).await?;
        Ok::<_, ReportError>(rank_lines(&now, &earlier, rules, |key| match group {
            GroupBy::Unit => names.unit_text(key),
            _ => names.region_text(key),
        }))
    };
    let regions = ranked(GroupBy::Region { digits: 6 }).await?;
    let units = ranked(GroupBy::Unit).await?;

    let end = w.period.to.min(w.as_of);
    let step_line = |(id, f): &(xinfang_domain::ids::MatterId, Fact), on: NaiveDate| {
        let due = f.owed_as_of(on).unwrap_or(f.day);
        StepLine {
            matter: id.as_str().to_owned(),
            step: if f.kind == FactKind::Decision {
                "受理（分流）"
            } else {
                "答复"
            },
            due,
            days_overdue: (on - due).num_days(),
            unit: names.unit(&f.unit),
            region: names.region(&f.region),
            domain: f.domain.clone(),
        }
    };
    let owed = store
        .owed_steps(&slice, end, end + Days::new(DUE_SOON_DAYS))
        .await?;
    let (late, soon): (Vec<_>, Vec<_>) = owed
        .iter()
        .partition(|(_, f)| f.owed_as_of(end).is_some_and(|due| due < end));
    let overdue = Listed::of(late.into_iter().map(|s| step_line(s, end)).collect());
    let due_soon = match req.kind {
        ReportKind::Daily => Listed::of(soon.into_iter().map(|s| step_line(s, end)).collect()),
        _ => Listed::default(),
    };

    let unsatisfied_parts = [
        Part::BureauUnsatisfied,
        Part::BureauProxyUnsatisfied,
        Part::UnitUnsatisfied,
        Part::UnitProxyUnsatisfied,
    ];
    let ratings = store
        .counted_facts(&w, &slice, &unsatisfied_parts, LIST_LIMIT as i64 * 4)
        .await?;
    let unsatisfied = Listed::of(
        ratings
            .iter()
            .map(|(id, f)| {
                let part = f.rating_part();
                let proxy = matches!(
                    part,
                    Some(Part::BureauProxyUnsatisfied | Part::UnitProxyUnsatisfied)
                );
                let bureau = matches!(
                    part,
                    Some(Part::BureauUnsatisfied | Part::BureauProxyUnsatisfied)
                );
                RatingLine {
                    matter: id.as_str().to_owned(),
                    day: f.day,
                    target: if bureau {
                        EvaluationTarget::Bureau.label()
                    } else {
                        EvaluationTarget::ResponsibleUnit.label()
                    },
                    proxy,
                    unit: names.unit(&f.unit),
                    region: names.region(&f.region),
                    domain: f.domain.clone(),
                }
            })
            .collect(),
    );

    let (intake, flagged) = match req.kind {
        ReportKind::Daily => {
            let by_channel = counts(w, GroupBy::Channel).await?;
            let by_region = counts(w, GroupBy::Region { digits: 6 }).await?;
            let intake = vec![
                count_table("按信访形式", "信访形式", &by_channel, |k| {
                    from_code::<Channel>(k).map_or_else(|| k.to_owned(), |c| c.label().to_owned())
                }),
                count_table("按内容分类", "内容分类", &by_domain, str::to_owned),
                count_table("按问题属地", "地区", &by_region, |k| {
                    names.region_text(k)
                }),
            ];
            let contacts = store
                .counted_facts(
                    &w,
                    &slice,
                    &[Part::Collective, Part::National],
                    LIST_LIMIT as i64 * 4,
                )
                .await?;
            let flagged = Listed::of(
                contacts
                    .iter()
                    .map(|(id, f)| ContactLine {
                        matter: id.as_str().to_owned(),
                        day: f.day,
                        channel: f.channel.label(),
                        persons: f.amount,
                        collective: f.flags & contact_bit(Part::Collective) != 0,
                        national: f.flags & contact_bit(Part::National) != 0,
                        region: names.region(&f.region),
                        domain: f.domain.clone(),
                    })
                    .collect(),
            );
            (intake, flagged)
        }
        _ => (Vec::new(), Listed::default()),
    };

    let issuer = names.unit(&top.id);
    let mut report = Report {
        kind: req.kind,
        title: format!("{issuer}{}", req.kind.label()),
        subtitle: subtitle(req.kind, &w),
        issuer,
        unit: top.id.as_str().to_owned(),
        from: w.period.from,
        to: w.period.to,
        as_of: w.as_of,
        base_year: req.base_year,
        figures,
        narrative: Vec::new(),
        intake,
        domains,
        regions,
        units,
        flagged,
        overdue,
        due_soon,
        unsatisfied,
    };
    report.narrative = narrative::paragraphs(&report);
    Ok(report)
}

fn contact_bit(part: Part) -> u32 {
    xinfang_domain::figures::CONTACT_FLAGS
        .iter()
        .position(|p| *p == part)
        .map_or(0, |bit| 1 << bit)
}

/// "2026年第22期" for a half-month bulletin (two issues a month), else the days covered.
fn subtitle(kind: ReportKind, w: &Window) -> String {
    let (from, to) = (w.period.from, w.period.to);
    let days = if from == to {
        format!("{}年{}月{}日", from.year(), from.month(), from.day())
    } else {
        format!(
            "{}年{}月{}日至{}年{}月{}日",
            from.year(),
            from.month(),
            from.day(),
            to.year(),
            to.month(),
            to.day()
        )
    };
    match kind {
        ReportKind::Bulletin => {
            let issue = (from.month() - 1) * 2 + if from.day() > 15 { 2 } else { 1 };
            format!("{}年第{issue}期（{days}）", from.year())
        }
        _ => days,
    }
}

fn change(now: Option<f64>, before: Option<f64>, is_rate: bool) -> Option<f64> {
    match (now, before) {
        (Some(n), Some(b)) if is_rate => Some(n - b),
        (Some(n), Some(b)) if b > 0.0 => Some((n - b) / b),
        _ => None,
    }
}

fn figure_lines(now: &Figures, earlier: &Figures, base: Option<&Figures>) -> Vec<FigureLine> {
    enum Of<'a> {
        Count(u64, Part),
        Rate(&'a Ratio),
    }
    fn entries(f: &Figures) -> Vec<(&'static str, &'static str, Of<'_>)> {
        vec![
            (
                "contacts",
                "信访总量（件次）",
                Of::Count(f.contacts, Part::Contacts),
            ),
            ("persons", "人次", Of::Count(f.persons, Part::Persons)),
            ("matters", "事项（件）", Of::Count(f.matters, Part::Matters)),
            (
                "collective",
                "集体访（件次）",
                Of::Count(f.collective, Part::Collective),
            ),
            (
                "national",
                "进京（件次）",
                Of::Count(f.national, Part::National),
            ),
            ("online_share", "网上信访占比", Of::Rate(&f.online_share)),
            ("repeat_rate", "重复信访率", Of::Rate(&f.repeat_rate)),
            (
                "timely_acceptance",
                "及时受理率",
                Of::Rate(&f.timely_acceptance),
            ),
            ("on_time_answer", "按期答复率", Of::Rate(&f.on_time_answer)),
            ("participation", "参评率", Of::Rate(&f.participation)),
            ("satisfaction", "群众满意率", Of::Rate(&f.satisfaction)),
            (
                "bureau_satisfaction",
                "信访部门满意率",
                Of::Rate(&f.bureau_satisfaction),
            ),
            (
                "unit_satisfaction",
                "责任单位满意率",
                Of::Rate(&f.unit_satisfaction),
            ),
            (
                "proxy_satisfaction",
                "代评满意率（单列）",
                Of::Rate(&f.proxy_satisfaction),
            ),
            (
                "one_time_resolution",
                "一次性化解率",
                Of::Rate(&f.one_time_resolution),
            ),
        ]
    }
    let value = |of: &Of<'_>| match of {
        Of::Count(n, _) => Some(*n as f64),
        Of::Rate(r) => r.value,
    };
    let before = entries(earlier);
    let base_entries = base.map(entries);
    entries(now)
        .into_iter()
        .enumerate()
        .map(|(i, (code, label, of))| {
            let is_rate = matches!(of, Of::Rate(_));
            let v = value(&of);
            let y = value(&before[i].2);
            let b = base_entries.as_ref().and_then(|e| value(&e[i].2));
            let (numerator, denominator, parts) = match &of {
                Of::Count(n, part) => (*n, None, vec![part.code()]),
                Of::Rate(r) => (
                    r.numerator,
                    Some(r.denominator),
                    r.numerator_parts.iter().map(|p| p.code()).collect(),
                ),
            };
            FigureLine {
                code,
                label,
                is_rate,
                value: v,
                numerator,
                denominator,
                year_earlier: y,
                change: change(v, y, is_rate),
                base: b,
                base_change: base_entries.as_ref().and_then(|_| change(v, b, is_rate)),
                parts,
            }
        })
        .collect()
}

fn domain_lines(
    now: &BTreeMap<String, Counts>,
    earlier: &BTreeMap<String, Counts>,
) -> Vec<DomainLine> {
    domain_shares(now)
        .into_iter()
        .filter(|d| d.contacts.numerator + d.national.numerator + d.collective.numerator > 0)
        .map(|d| {
            let before = earlier.get(&d.domain).map_or(0, |c| c.get(Part::Contacts));
            DomainLine {
                contacts: d.contacts.numerator,
                share: d.contacts.value,
                national: d.national.numerator,
                national_share: d.national.value,
                collective: d.collective.numerator,
                collective_share: d.collective.value,
                year_earlier: before,
                change: change(
                    Some(d.contacts.numerator as f64),
                    Some(before as f64),
                    false,
                ),
                domain: d.domain,
            }
        })
        .collect()
}

fn rank_lines(
    now: &BTreeMap<String, Counts>,
    earlier: &BTreeMap<String, Counts>,
    rules: &FigureRules,
    name: impl Fn(&str) -> String,
) -> Vec<RankLine> {
    let figures: BTreeMap<String, Figures> = now
        .iter()
        .map(|(k, c)| (k.clone(), Figures::of(c, rules)))
        .collect();
    rank(&figures, RankBy::Composite, &rules.weights)
        .into_iter()
        .map(|r| {
            let f = &figures[&r.key];
            let before = earlier.get(&r.key).map_or(0, |c| c.get(Part::Contacts));
            RankLine {
                rank: r.rank,
                name: name(&r.key),
                composite: r.value,
                contacts: f.contacts,
                contacts_change: change(Some(f.contacts as f64), Some(before as f64), false),
                timely_acceptance: f.metric(Metric::TimelyAcceptance),
                on_time_answer: f.metric(Metric::OnTimeAnswer),
                satisfaction: f.metric(Metric::Satisfaction),
                one_time_resolution: f.metric(Metric::OneTimeResolution),
                repeat_rate: f.metric(Metric::RepeatRate),
                key: r.key,
            }
        })
        .collect()
}

fn count_table(
    title: &str,
    key_label: &str,
    rows: &BTreeMap<String, Counts>,
    name: impl Fn(&str) -> String,
) -> Table {
    let total: u64 = rows.values().map(|c| c.get(Part::Contacts)).sum();
    let mut lines: Vec<CountLine> = rows
        .iter()
        .filter(|(_, c)| c.get(Part::Contacts) > 0)
        .map(|(k, c)| CountLine {
            key: k.clone(),
            name: name(k),
            contacts: c.get(Part::Contacts),
            persons: c.get(Part::Persons),
            share: (total > 0).then(|| c.get(Part::Contacts) as f64 / total as f64),
        })
        .collect();
    lines.sort_by(|a, b| b.contacts.cmp(&a.contacts).then_with(|| a.key.cmp(&b.key)));
    Table {
        title: title.to_owned(),
        key_label: key_label.to_owned(),
        rows: lines,
    }
}
