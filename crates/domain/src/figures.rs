//! The figures of brief §6, defined once: which matters, contacts, steps and ratings each one counts, for
//! any period, any slice and "as of" any day. docs/metrics.md says the same in words.
//!
//! Every figure is a sum of [`Part`]s. [`count_matter`] says which parts one matter contributes to a
//! [`Window`] (a period and the day it is seen from), with the dimensions to slice and group by; a tally of
//! parts is [`Counts`], and [`Figures`] are ratios of counts. The store keeps the same facts in tables and
//! sums the same parts in SQL; its tests check that both agree.
//!
//! "As of" a day means: only what the system knew by the end of that day (Beijing time). A contact counts
//! from the day it was registered, a step from the day it was done, a deadline change from the day it was
//! approved. By default a period is seen as of its last day, so a bulletin for a closed period comes out
//! the same however much is recorded later; seeing it as of a later day shows the later corrections.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::catalog::{Channel, EvaluationTarget, Purpose, Rating};
use crate::ids::{MatterId, RegionCode, UnitId};
use crate::petition::ContactRelation;
use crate::rules::FigureRules;
use crate::workflow::{DutyKind, Matter, china_date};

/// Days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Why a period or window was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("统计期的开始日期不能晚于结束日期")]
    Reversed,
    #[error("统计截止日期不能早于统计期的开始日期")]
    AsOfBeforeStart,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, PeriodError> {
        if from > to {
            return Err(PeriodError::Reversed);
        }
        Ok(Self { from, to })
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// The same days `years` years earlier (29 February becomes 28 February).
    pub fn years_earlier(&self, years: u32) -> Period {
        self.shifted_years(-(years as i32))
    }

    /// The same days in `year` (the base year of a comparison).
    pub fn in_year(&self, year: i32) -> Period {
        self.shifted_years(year - self.to.year())
    }

    fn shifted_years(&self, years: i32) -> Period {
        let months = Months::new(12 * years.unsigned_abs());
        let shift = |d: NaiveDate| {
            if years >= 0 {
                d.checked_add_months(months)
            } else {
                d.checked_sub_months(months)
            }
            .expect("a day within chrono's range of years")
        };
        Period {
            from: shift(self.from),
            to: shift(self.to),
        }
    }
}

/// A period seen as of a day: only what was known by the end of `as_of` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Window {
    pub period: Period,
    pub as_of: NaiveDate,
}

impl Window {
    /// The period as it stood when it closed: what a bulletin issued then showed.
    pub fn closing(period: Period) -> Window {
        Window {
            period,
            as_of: period.to,
        }
    }

    pub fn new(period: Period, as_of: NaiveDate) -> Result<Window, PeriodError> {
        if as_of < period.from {
            return Err(PeriodError::AsOfBeforeStart);
        }
        Ok(Window { period, as_of })
    }

    /// The same window `years` years earlier, seen the same number of days after its close.
    pub fn years_earlier(&self, years: u32) -> Window {
        self.shifted(self.period.years_earlier(years))
    }

    pub fn in_year(&self, year: i32) -> Window {
        self.shifted(self.period.in_year(year))
    }

    fn shifted(&self, period: Period) -> Window {
        let lag = (self.as_of - self.period.to).num_days();
        Window {
            period,
            as_of: period.to + chrono::Duration::days(lag),
        }
    }

    /// The last day of the period that has been seen: the period's end, or `as_of` if earlier.
    fn seen_until(&self) -> NaiveDate {
        self.period.to.min(self.as_of)
    }
}

macro_rules! parts {
    ($($part:ident = $code:literal, $label:literal;)*) => {
        /// One countable thing; every figure is a ratio or a sum of parts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Part { $($part),* }

        impl Part {
            pub const ALL: &'static [Part] = &[$(Part::$part),*];

            /// The part's code in the API and the store.
            pub fn code(self) -> &'static str {
                match self { $(Part::$part => $code),* }
            }

            pub fn label(self) -> &'static str {
                match self { $(Part::$part => $label),* }
            }

            pub fn parse(code: &str) -> Option<Part> {
                match code { $($code => Some(Part::$part),)* _ => None }
            }
        }
    };
}

parts! {
    Contacts = "contacts", "件次";
    Persons = "persons", "人次";
    Matters = "matters", "事项（件）";
    Online = "online", "网上信访件次";
    Repeat = "repeat", "重复信访件次";
    Collective = "collective", "集体访件次";
    National = "national", "进京件次";
    Provincial = "provincial", "赴省件次";
    DecisionOnTime = "decision_on_time", "按时受理（分流）";
    DecisionLate = "decision_late", "超期受理（分流）";
    DecisionOverdue = "decision_overdue", "逾期未受理（分流）";
    AnswerOnTime = "answer_on_time", "按期答复";
    AnswerLate = "answer_late", "超期答复";
    AnswerOverdue = "answer_overdue", "逾期未答复";
    AnswerNotYetDue = "answer_not_yet_due", "办理中未到期";
    BureauRated = "bureau_rated", "信访部门已评价";
    BureauExpired = "bureau_expired", "信访部门超期未评价";
    UnitRated = "unit_rated", "责任单位已评价";
    UnitExpired = "unit_expired", "责任单位超期未评价";
    BureauSatisfied = "bureau_satisfied", "信访部门满意";
    BureauBasicallySatisfied = "bureau_basically_satisfied", "信访部门基本满意";
    BureauUnsatisfied = "bureau_unsatisfied", "信访部门不满意";
    BureauProxySatisfied = "bureau_proxy_satisfied", "信访部门满意（代评）";
    BureauProxyBasicallySatisfied = "bureau_proxy_basically_satisfied", "信访部门基本满意（代评）";
    BureauProxyUnsatisfied = "bureau_proxy_unsatisfied", "信访部门不满意（代评）";
    UnitSatisfied = "unit_satisfied", "责任单位满意";
    UnitBasicallySatisfied = "unit_basically_satisfied", "责任单位基本满意";
    UnitUnsatisfied = "unit_unsatisfied", "责任单位不满意";
    UnitProxySatisfied = "unit_proxy_satisfied", "责任单位满意（代评）";
    UnitProxyBasicallySatisfied = "unit_proxy_basically_satisfied", "责任单位基本满意（代评）";
    UnitProxyUnsatisfied = "unit_proxy_unsatisfied", "责任单位不满意（代评）";
    OneTimeResolved = "one_time_resolved", "一次性化解";
    OneTimeNotResolved = "one_time_not_resolved", "未一次性化解";
    OneTimeWatching = "one_time_watching", "一次性化解（观察期未满）";
}

impl Part {
    fn rating(target: EvaluationTarget, proxy: bool, rating: Rating) -> Part {
        use EvaluationTarget::*;
        use Rating::*;
        match (target, proxy, rating) {
            (Bureau, false, Satisfied) => Part::BureauSatisfied,
            (Bureau, false, BasicallySatisfied) => Part::BureauBasicallySatisfied,
            (Bureau, false, Unsatisfied) => Part::BureauUnsatisfied,
            (Bureau, true, Satisfied) => Part::BureauProxySatisfied,
            (Bureau, true, BasicallySatisfied) => Part::BureauProxyBasicallySatisfied,
            (Bureau, true, Unsatisfied) => Part::BureauProxyUnsatisfied,
            (ResponsibleUnit, false, Satisfied) => Part::UnitSatisfied,
            (ResponsibleUnit, false, BasicallySatisfied) => Part::UnitBasicallySatisfied,
            (ResponsibleUnit, false, Unsatisfied) => Part::UnitUnsatisfied,
            (ResponsibleUnit, true, Satisfied) => Part::UnitProxySatisfied,
            (ResponsibleUnit, true, BasicallySatisfied) => Part::UnitProxyBasicallySatisfied,
            (ResponsibleUnit, true, Unsatisfied) => Part::UnitProxyUnsatisfied,
        }
    }
}

/// What a counted thing can be sliced and grouped by. `unit` is the unit the thing is counted for: the
/// registering unit for a contact, the unit that owed a step, the unit rated.
#[derive(Debug, Clone, Copy)]
pub struct Dims<'a> {
    pub region: &'a RegionCode,
    pub domain: &'a str,
    pub purpose: Purpose,
    pub channel: Channel,
    pub unit: &'a UnitId,
}

/// Which things to count. Empty fields match everything; `units` is a set the caller builds from the
/// organisation (a unit and those below it, or every unit of a level).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Slice {
    pub region: Option<RegionCode>,
    pub units: Option<BTreeSet<UnitId>>,
    pub domain: Option<String>,
    pub channel: Option<Channel>,
    pub purpose: Option<Purpose>,
}

impl Slice {
    pub fn matches(&self, d: &Dims<'_>) -> bool {
        self.region.as_ref().is_none_or(|r| d.region.is_within(r))
            && self.units.as_ref().is_none_or(|u| u.contains(d.unit))
            && self.domain.as_deref().is_none_or(|x| x == d.domain)
            && self.channel.is_none_or(|c| c == d.channel)
            && self.purpose.is_none_or(|p| p == d.purpose)
    }
}

/// How to split a tally into rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum GroupBy {
    Total,
    /// By region code cut to `digits` (2 province, 4 city, 6 county, 9 town), padded with zeros to 6.
    Region {
        digits: usize,
    },
    Unit,
    Domain,
    Channel,
    Purpose,
}

impl GroupBy {
    pub fn key(&self, d: &Dims<'_>) -> String {
        match self {
            GroupBy::Total => String::new(),
            GroupBy::Region { digits } => {
                let code = d.region.as_str();
                let cut = &code[..(*digits).min(code.len())];
                format!("{cut:0<6}")
            }
            GroupBy::Unit => d.unit.as_str().to_owned(),
            GroupBy::Domain => d.domain.to_owned(),
            GroupBy::Channel => crate::catalog::code(&d.channel),
            GroupBy::Purpose => crate::catalog::code(&d.purpose),
        }
    }
}

/// What kind of countable thing a [`Fact`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// A contact (件次): `day` received, `known_on` registered; `amount` 人次; `flags` [`CONTACT_FLAGS`].
    Contact,
    /// A triage or acceptance decision: `day` its deadline, `known_on` the day it arose, `done_on`.
    Decision,
    /// A written answer, as a decision.
    Answer,
    /// The petitioner's evaluation window for one target: `day` the window's last day, `known_on` the answer,
    /// `done_on` the first rating of that target. `flags` 0 for the bureau, 1 for the responsible unit.
    Window,
    /// A rating: `day` rated; `flags` is [`RATING_PARTS`]' index of its part.
    Rating,
    /// A 求决 matter's first answer: `day` answered, `done_on` the first day a repeat within the window or a
    /// 不满意 rating was known, `changed_day` the window's last day.
    OneTime,
}

impl FactKind {
    pub fn code(self) -> &'static str {
        match self {
            FactKind::Contact => "contact",
            FactKind::Decision => "decision",
            FactKind::Answer => "answer",
            FactKind::Window => "window",
            FactKind::Rating => "rating",
            FactKind::OneTime => "one_time",
        }
    }

    pub const ALL: [FactKind; 6] = [
        FactKind::Contact,
        FactKind::Decision,
        FactKind::Answer,
        FactKind::Window,
        FactKind::Rating,
        FactKind::OneTime,
    ];

    pub fn parse(code: &str) -> Option<FactKind> {
        FactKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The contact parts a contact fact's `flags` carry, bit `i` for `CONTACT_FLAGS[i]`; stored, so never
/// reordered.
pub const CONTACT_FLAGS: [Part; 6] = [
    Part::Matters,
    Part::Online,
    Part::Repeat,
    Part::Collective,
    Part::National,
    Part::Provincial,
];

/// The parts a rating fact's `flags` index; stored, so never reordered.
pub const RATING_PARTS: [Part; 12] = [
    Part::BureauSatisfied,
    Part::BureauBasicallySatisfied,
    Part::BureauUnsatisfied,
    Part::BureauProxySatisfied,
    Part::BureauProxyBasicallySatisfied,
    Part::BureauProxyUnsatisfied,
    Part::UnitSatisfied,
    Part::UnitBasicallySatisfied,
    Part::UnitUnsatisfied,
    Part::UnitProxySatisfied,
    Part::UnitProxyBasicallySatisfied,
    Part::UnitProxyUnsatisfied,
];

/// One countable thing of a matter, with every day that decides where and whether it counts. The store
/// keeps these rows as they are, maintained from the events, and sums their parts in SQL the way
/// [`Fact::count`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub kind: FactKind,
    pub day: NaiveDate,
    pub known_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
    /// A deadline's later value and the day it was known (decisions and answers).
    pub changed_on: Option<NaiveDate>,
    pub changed_day: Option<NaiveDate>,
    pub region: RegionCode,
    pub domain: String,
    pub purpose: Purpose,
    pub channel: Channel,
    pub unit: UnitId,
    pub amount: u64,
    pub flags: u32,
}

impl Fact {
    pub fn dims(&self) -> Dims<'_> {
        Dims {
            region: &self.region,
            domain: &self.domain,
            purpose: self.purpose,
            channel: self.channel,
            unit: &self.unit,
        }
    }

    /// The deadline as known at the end of `as_of` (decisions and answers).
    fn due_as_of(&self, as_of: NaiveDate) -> NaiveDate {
        match (self.changed_on, self.changed_day) {
            (Some(on), Some(day)) if on <= as_of => day,
            _ => self.day,
        }
    }

    fn done_as_of(&self, as_of: NaiveDate) -> Option<NaiveDate> {
        self.done_on.filter(|d| *d <= as_of)
    }

    /// A decision or answer still owed at the end of `as_of`, with its deadline as then known: what the
    /// overdue and due-soon lists show. `None` for other kinds and for steps done or not yet arisen.
    pub fn owed_as_of(&self, as_of: NaiveDate) -> Option<NaiveDate> {
        let step = matches!(self.kind, FactKind::Decision | FactKind::Answer);
        (step && self.known_on <= as_of && self.done_as_of(as_of).is_none())
            .then(|| self.due_as_of(as_of))
    }

    /// The part a rating fact counts in.
    pub fn rating_part(&self) -> Option<Part> {
        (self.kind == FactKind::Rating)
            .then(|| RATING_PARTS.get(self.flags as usize).copied())
            .flatten()
    }

    /// The parts this thing adds to `w`, with their amounts.
    pub fn count(&self, w: &Window, mut visit: impl FnMut(Part, u64)) {
        let as_of = w.as_of;
        let period = &w.period;
        if self.known_on > as_of {
            return;
        }
        match self.kind {
            FactKind::Contact => {
                if !period.contains(self.day) {
                    return;
                }
                visit(Part::Contacts, 1);
                visit(Part::Persons, self.amount);
                for (bit, part) in CONTACT_FLAGS.iter().enumerate() {
                    if self.flags & (1 << bit) != 0 {
                        visit(*part, 1);
                    }
                }
            }
            FactKind::Decision | FactKind::Answer => {
                let (on_time, late, overdue) = if self.kind == FactKind::Decision {
                    (
                        Part::DecisionOnTime,
                        Part::DecisionLate,
                        Part::DecisionOverdue,
                    )
                } else {
                    (Part::AnswerOnTime, Part::AnswerLate, Part::AnswerOverdue)
                };
                let due = self.due_as_of(as_of);
                let done = self.done_as_of(as_of);
                if period.contains(due) {
                    match done {
                        Some(day) if day <= due => return visit(on_time, 1),
                        Some(_) => return visit(late, 1),
                        None if due < as_of => return visit(overdue, 1),
                        None => {}
                    }
                }
                let end = w.seen_until();
                if self.kind == FactKind::Answer
                    && self.known_on <= end
                    && self.done_as_of(end).is_none()
                    && due >= end
                {
                    visit(Part::AnswerNotYetDue, 1);
                }
            }
            FactKind::Window => {
                if !period.contains(self.day) {
                    return;
                }
                let (rated, expired) = if self.flags == 0 {
                    (Part::BureauRated, Part::BureauExpired)
                } else {
                    (Part::UnitRated, Part::UnitExpired)
                };
                if self.done_as_of(as_of).is_some() {
                    visit(rated, 1);
                } else if self.day < as_of {
                    visit(expired, 1);
                }
            }
            FactKind::Rating => {
                if period.contains(self.day)
                    && let Some(part) = RATING_PARTS.get(self.flags as usize)
                {
                    visit(*part, 1);
                }
            }
            FactKind::OneTime => {
                if !period.contains(self.day) {
                    return;
                }
                if self.done_as_of(as_of).is_some() {
                    visit(Part::OneTimeNotResolved, 1);
                } else {
                    visit(Part::OneTimeResolved, 1);
                    if self.changed_day.is_some_and(|until| until > as_of) {
                        visit(Part::OneTimeWatching, 1);
                    }
                }
            }
        }
    }
}

/// The part that is only known at a period's end, not by a day of its own: the roll-ups leave it to a
/// read of the facts (it counts only where [`FigureRules::answers_count_not_yet_due`] is set).
pub const PART_OUTSIDE_ROLLUPS: Part = Part::AnswerNotYetDue;

/// A change in what a fact adds to any period holding `key`, seen from the end of `from` on. Summed
/// over a fact's [`Fact::steps`] with `key` in a period and `from` on or before the as-of day, they
/// give what [`Fact::count`] gives for every window seen on or after its period's last day, so
/// day-by-day sums of steps (the store's roll-ups) answer those windows without reading the facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Step {
    pub key: NaiveDate,
    pub from: NaiveDate,
    pub part: Part,
    pub amount: i64,
}

impl Fact {
    /// The day this fact falls on for a period, as known at the end of `as_of`.
    fn key_as_of(&self, as_of: NaiveDate) -> NaiveDate {
        match self.kind {
            FactKind::Decision | FactKind::Answer => self.due_as_of(as_of),
            _ => self.day,
        }
    }

    /// What this fact adds, as [`Step`]s: what it counts changes only on the days some date of it
    /// is reached, so it is counted as of each such day and the differences kept. A step's `from` is
    /// never before its `key`: only windows seen on or after their last day use steps, and for those
    /// a step in the period is seen from any day up to its key, so steps differing only there merge.
    pub fn steps(&self) -> Vec<Step> {
        let after = |d: NaiveDate| d.succ_opt().unwrap_or(d);
        let mut days: Vec<NaiveDate> = [
            Some(self.known_on),
            self.done_on,
            self.changed_on,
            Some(self.day),
            Some(after(self.day)),
            self.changed_day,
            self.changed_day.map(after),
        ]
        .into_iter()
        .flatten()
        .filter(|d| *d >= self.known_on)
        .collect();
        days.sort_unstable();
        days.dedup();
        let mut steps: BTreeMap<(NaiveDate, NaiveDate, Part), i64> = BTreeMap::new();
        let mut previous: Vec<(NaiveDate, Part, u64)> = Vec::new();
        for as_of in days {
            let key = self.key_as_of(as_of);
            let mut now = Vec::new();
            let w = Window {
                period: Period { from: key, to: key },
                as_of,
            };
            self.count(&w, |part, n| {
                if part != PART_OUTSIDE_ROLLUPS {
                    now.push((key, part, n));
                }
            });
            let shifted = |k: NaiveDate| as_of.max(k);
            for (k, part, n) in &previous {
                *steps.entry((*k, shifted(*k), *part)).or_insert(0) -= *n as i64;
            }
            for (k, part, n) in &now {
                *steps.entry((*k, shifted(*k), *part)).or_insert(0) += *n as i64;
            }
            previous = now;
        }
        steps
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|((key, from, part), amount)| Step {
                key,
                from,
                part,
                amount,
            })
            .collect()
    }
}

/// Every countable thing of `m`, in a fixed order (the store numbers them so).
pub fn facts(m: &Matter, rules: &FigureRules) -> Vec<Fact> {
    let first_channel = m.contacts.first().map_or(Channel::Letter, |c| c.channel);
    let fact = |kind, day, known_on, unit: &UnitId, channel| Fact {
        kind,
        day,
        known_on,
        done_on: None,
        changed_on: None,
        changed_day: None,
        region: m.region.clone(),
        domain: m.domain.first.clone(),
        purpose: m.purpose,
        channel,
        unit: unit.clone(),
        amount: 1,
        flags: 0,
    };
    let mut out = Vec::new();

    for c in &m.contacts {
        let mut f = fact(
            FactKind::Contact,
            china_date(c.received_at),
            c.registered_on,
            &c.registered_by,
            c.channel,
        );
        f.amount = u64::from(c.person_count);
        let set = [
            c.relation == ContactRelation::First,
            c.channel.is_online(),
            c.flags.repeat,
            c.flags.collective,
            c.flags.declared.national,
            c.flags.declared.provincial,
        ];
        f.flags = set
            .iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .map(|(bit, _)| 1 << bit)
            .sum();
        out.push(f);
    }

    for duty in &m.duties {
        let kind = match duty.kind {
            DutyKind::Triage | DutyKind::Acceptance => FactKind::Decision,
            DutyKind::Answer => FactKind::Answer,
            DutyKind::Review | DutyKind::ReReview => continue,
        };
        let mut f = fact(kind, duty.due, duty.opened_on, &duty.unit, first_channel);
        f.done_on = duty.done_on;
        if let Some(change) = duty.changed {
            f.changed_on = Some(change.on);
            f.changed_day = Some(change.due);
        }
        out.push(f);
    }

    let rated_unit = |target| match target {
        EvaluationTarget::Bureau => &m.bureau,
        EvaluationTarget::ResponsibleUnit => m
            .answer
            .as_ref()
            .map(|a| &a.by)
            .or(m.handler.as_ref())
            .unwrap_or(&m.bureau),
    };
    if let (Some(answer), Some(closes)) = (&m.answer, m.evaluation_due) {
        for (index, target) in EvaluationTarget::BOTH.into_iter().enumerate() {
            let mut f = fact(
                FactKind::Window,
                closes,
                answer.on,
                rated_unit(target),
                first_channel,
            );
            f.flags = index as u32;
            f.done_on = m
                .evaluations
                .iter()
                .filter(|e| e.target == target)
                .map(|e| e.on)
                .min();
            out.push(f);
        }
    }
    for e in &m.evaluations {
        let mut f = fact(
            FactKind::Rating,
            e.on,
            e.on,
            rated_unit(e.target),
            first_channel,
        );
        let part = Part::rating(e.target, e.proxy, e.rating);
        f.flags = RATING_PARTS.iter().position(|p| *p == part).unwrap_or(0) as u32;
        out.push(f);
    }

    if let Some(a) = &m.answer
        && m.purpose == Purpose::Demand
    {
        let until = a.on + Days::new(u64::from(rules.repeat_window_days));
        let repeat_known = m
            .contacts
            .iter()
            .filter(|c| {
                let received = china_date(c.received_at);
                c.relation == ContactRelation::Repeat && received > a.on && received <= until
            })
            .map(|c| c.registered_on);
        let unsatisfied_known = m
            .evaluations
            .iter()
            .filter(|e| e.rating == Rating::Unsatisfied)
            .map(|e| e.on);
        let mut f = fact(FactKind::OneTime, a.on, a.on, &a.by, first_channel);
        f.done_on = repeat_known.chain(unsatisfied_known).min();
        f.changed_day = Some(until);
        out.push(f);
    }
    out
}

/// Say which parts `m` adds to `w`: `visit(part, amount, dims)` once for each counted thing.
pub fn count_matter(
    m: &Matter,
    w: &Window,
    rules: &FigureRules,
    mut visit: impl FnMut(Part, u64, &Dims<'_>),
) {
    for f in facts(m, rules) {
        let dims = f.dims();
        f.count(w, |part, n| visit(part, n, &dims));
    }
}

/// A tally of parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(BTreeMap<Part, u64>);

impl Counts {
    pub fn get(&self, part: Part) -> u64 {
        self.0.get(&part).copied().unwrap_or(0)
    }

    pub fn add(&mut self, part: Part, amount: u64) {
        *self.0.entry(part).or_insert(0) += amount;
    }

    fn sum(&self, parts: &[Part]) -> u64 {
        parts.iter().map(|p| self.get(*p)).sum()
    }

    /// Every part with its count, zeros included, in the order of [`Part::ALL`].
    pub fn entries(&self) -> impl Iterator<Item = (Part, u64)> + '_ {
        Part::ALL.iter().map(|p| (*p, self.get(*p)))
    }

    pub fn merge(&mut self, other: &Counts) {
        for (p, n) in &other.0 {
            self.add(*p, *n);
        }
    }
}

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(Part::ALL.len()))?;
        for (part, n) in self.entries() {
            map.serialize_entry(part.code(), &n)?;
        }
        map.end()
    }
}

/// Tally `matters` for a window: one row of counts per group, only things in the slice.
pub fn tally<'a>(
    matters: impl IntoIterator<Item = &'a Matter>,
    w: &Window,
    rules: &FigureRules,
    slice: &Slice,
    group: GroupBy,
) -> BTreeMap<String, Counts> {
    let mut rows: BTreeMap<String, Counts> = BTreeMap::new();
    for m in matters {
        count_matter(m, w, rules, |part, n, d| {
            if slice.matches(d) {
                rows.entry(group.key(d)).or_default().add(part, n);
            }
        });
    }
    rows
}

/// The matters behind one part of a figure (its drill-down), in id order.
pub fn matters_behind<'a>(
    matters: impl IntoIterator<Item = &'a Matter>,
    w: &Window,
    rules: &FigureRules,
    slice: &Slice,
    parts: &[Part],
) -> Vec<MatterId> {
    let mut ids = BTreeSet::new();
    for m in matters {
        let mut hit = false;
        count_matter(m, w, rules, |part, _, d| {
            hit |= parts.contains(&part) && slice.matches(d);
        });
        if hit {
            ids.insert(m.id.clone());
        }
    }
    ids.into_iter().collect()
}

/// A ratio with the parts it is made of, so every number can link to the matters behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratio {
    pub numerator: u64,
    pub denominator: u64,
    /// `numerator / denominator`; none when nothing was counted.
    pub value: Option<f64>,
    pub numerator_parts: Vec<Part>,
    pub denominator_parts: Vec<Part>,
}

impl Ratio {
    fn of(c: &Counts, numerator: &[Part], denominator: &[Part]) -> Ratio {
        let n = c.sum(numerator);
        let d = c.sum(denominator);
        Ratio {
            numerator: n,
            denominator: d,
            value: (d > 0).then(|| n as f64 / d as f64),
            numerator_parts: numerator.to_vec(),
            denominator_parts: denominator.to_vec(),
        }
    }
}

/// The figures a ranking or a composite score can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Contacts,
    OnlineShare,
    RepeatRate,
    TimelyAcceptance,
    OnTimeAnswer,
    Participation,
    Satisfaction,
    BureauSatisfaction,
    UnitSatisfaction,
    OneTimeResolution,
}

impl Metric {
    pub const ALL: [Metric; 10] = [
        Metric::Contacts,
        Metric::OnlineShare,
        Metric::RepeatRate,
        Metric::TimelyAcceptance,
        Metric::OnTimeAnswer,
        Metric::Participation,
        Metric::Satisfaction,
        Metric::BureauSatisfaction,
        Metric::UnitSatisfaction,
        Metric::OneTimeResolution,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Metric::Contacts => "信访总量（件次）",
            Metric::OnlineShare => "网上信访占比",
            Metric::RepeatRate => "重复信访率",
            Metric::TimelyAcceptance => "及时受理率",
            Metric::OnTimeAnswer => "按期答复率",
            Metric::Participation => "参评率",
            Metric::Satisfaction => "群众满意率",
            Metric::BureauSatisfaction => "信访部门满意率",
            Metric::UnitSatisfaction => "责任单位满意率",
            Metric::OneTimeResolution => "一次性化解率",
        }
    }

    /// Whether a smaller value ranks higher.
    pub fn lower_is_better(self) -> bool {
        matches!(self, Metric::RepeatRate)
    }

    pub fn default_weights() -> BTreeMap<Metric, u32> {
        BTreeMap::from([
            (Metric::TimelyAcceptance, 20),
            (Metric::OnTimeAnswer, 20),
            (Metric::Participation, 10),
            (Metric::Satisfaction, 25),
            (Metric::OneTimeResolution, 15),
            (Metric::RepeatRate, 10),
        ])
    }
}

/// The figures of brief §6 for one slice of one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// 信访总量: 件次.
    pub contacts: u64,
    /// 人次.
    pub persons: u64,
    /// 件: matters opened by a contact of the period.
    pub matters: u64,
    pub collective: u64,
    pub national: u64,
    pub provincial: u64,
    /// 网上信访占比.
    pub online_share: Ratio,
    /// 重复信访率.
    pub repeat_rate: Ratio,
    /// 及时受理率 (分流 by the bureau and the competent unit's decision, each a step).
    pub timely_acceptance: Ratio,
    /// 按期答复率, by answer deadlines (extensions included) falling in the period; with
    /// `answers_count_not_yet_due`, answers pending and not yet due at the period's end count too.
    pub on_time_answer: Ratio,
    /// 参评率 over the evaluation windows of both targets closing in the period.
    pub participation: Ratio,
    pub bureau_participation: Ratio,
    pub unit_participation: Ratio,
    /// 群众满意率: (满意 + 基本满意) / rated, both targets, ratings of the period; 代评 apart.
    pub satisfaction: Ratio,
    pub bureau_satisfaction: Ratio,
    pub unit_satisfaction: Ratio,
    /// 满意 alone.
    pub bureau_fully_satisfied: Ratio,
    pub unit_fully_satisfied: Ratio,
    /// 代评 ratings: (满意 + 基本满意) / rated by proxy, both targets.
    pub proxy_satisfaction: Ratio,
    /// 一次性化解率 of 求决 matters answered in the period.
    pub one_time_resolution: Ratio,
    /// Of the one-time resolved, those whose repeat window was still open on the as-of day.
    pub one_time_watching: u64,
}

impl Figures {
    pub fn of(c: &Counts, rules: &FigureRules) -> Figures {
        use Part::*;
        let bureau_ok = [BureauSatisfied, BureauBasicallySatisfied];
        let bureau_all = [BureauSatisfied, BureauBasicallySatisfied, BureauUnsatisfied];
        let unit_ok = [UnitSatisfied, UnitBasicallySatisfied];
        let unit_all = [UnitSatisfied, UnitBasicallySatisfied, UnitUnsatisfied];
        let answers: &[Part] = if rules.answers_count_not_yet_due {
            &[AnswerOnTime, AnswerLate, AnswerOverdue, AnswerNotYetDue]
        } else {
            &[AnswerOnTime, AnswerLate, AnswerOverdue]
        };
        Figures {
            contacts: c.get(Contacts),
            persons: c.get(Persons),
            matters: c.get(Matters),
            collective: c.get(Collective),
            national: c.get(National),
            provincial: c.get(Provincial),
            online_share: Ratio::of(c, &[Online], &[Contacts]),
            repeat_rate: Ratio::of(c, &[Repeat], &[Contacts]),
            timely_acceptance: Ratio::of(
                c,
                &[DecisionOnTime],
                &[DecisionOnTime, DecisionLate, DecisionOverdue],
            ),
            on_time_answer: Ratio::of(c, &[AnswerOnTime], answers),
            participation: Ratio::of(
                c,
                &[BureauRated, UnitRated],
                &[BureauRated, BureauExpired, UnitRated, UnitExpired],
            ),
            bureau_participation: Ratio::of(c, &[BureauRated], &[BureauRated, BureauExpired]),
            unit_participation: Ratio::of(c, &[UnitRated], &[UnitRated, UnitExpired]),
            satisfaction: Ratio::of(
                c,
                &[bureau_ok, unit_ok].concat(),
                &[bureau_all, unit_all].concat(),
            ),
            bureau_satisfaction: Ratio::of(c, &bureau_ok, &bureau_all),
            unit_satisfaction: Ratio::of(c, &unit_ok, &unit_all),
            bureau_fully_satisfied: Ratio::of(c, &[BureauSatisfied], &bureau_all),
            unit_fully_satisfied: Ratio::of(c, &[UnitSatisfied], &unit_all),
            proxy_satisfaction: Ratio::of(
                c,
                &[
                    BureauProxySatisfied,
                    BureauProxyBasicallySatisfied,
                    UnitProxySatisfied,
                    UnitProxyBasicallySatisfied,
                ],
                &[
                    BureauProxySatisfied,
                    BureauProxyBasicallySatisfied,
                    BureauProxyUnsatisfied,
                    UnitProxySatisfied,
                    UnitProxyBasicallySatisfied,
                    UnitProxyUnsatisfied,
                ],
            ),
            one_time_resolution: Ratio::of(
                c,
                &[OneTimeResolved],
                &[OneTimeResolved, OneTimeNotResolved],
            ),
            one_time_watching: c.get(OneTimeWatching),
        }
    }

    pub fn metric(&self, m: Metric) -> Option<f64> {
        match m {
            Metric::Contacts => Some(self.contacts as f64),
            Metric::OnlineShare => self.online_share.value,
            Metric::RepeatRate => self.repeat_rate.value,
            Metric::TimelyAcceptance => self.timely_acceptance.value,
            Metric::OnTimeAnswer => self.on_time_answer.value,
            Metric::Participation => self.participation.value,
            Metric::Satisfaction => self.satisfaction.value,
            Metric::BureauSatisfaction => self.bureau_satisfaction.value,
            Metric::UnitSatisfaction => self.unit_satisfaction.value,
            Metric::OneTimeResolution => self.one_time_resolution.value,
        }
    }

    /// The weighted composite score, 0 to 100: the weighted mean of the rates that have a value
    /// (a lower-is-better rate counts as one minus it). None when no weighted rate has a value.
    pub fn composite(&self, weights: &BTreeMap<Metric, u32>) -> Option<f64> {
        let mut total = 0.0;
        let mut weight = 0.0;
        for (m, w) in weights {
            if *m == Metric::Contacts || *w == 0 {
                continue;
            }
            if let Some(v) = self.metric(*m) {
                let v = if m.lower_is_better() { 1.0 - v } else { v };
                total += v * f64::from(*w);
                weight += f64::from(*w);
            }
        }
        (weight > 0.0).then(|| 100.0 * total / weight)
    }

    /// Change against an earlier window's figures: relative for volumes (0.1 = up 10%), in percentage
    /// points as a fraction for rates (0.02 = up 2 points).
    pub fn change_from(&self, earlier: &Figures) -> BTreeMap<Metric, Change> {
        Metric::ALL
            .iter()
            .map(|m| {
                let (now, before) = (self.metric(*m), earlier.metric(*m));
                let change = match (now, before, *m) {
                    (Some(n), Some(b), Metric::Contacts) => (b > 0.0).then(|| (n - b) / b),
                    (Some(n), Some(b), _) => Some(n - b),
                    _ => None,
                };
                (
                    *m,
                    Change {
                        now,
                        before,
                        change,
                    },
                )
            })
            .collect()
    }
}

/// A figure now and in an earlier window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    pub now: Option<f64>,
    pub before: Option<f64>,
    pub change: Option<f64>,
}

/// What a ranking orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    Metric(Metric),
    Composite,
}

/// One row of a ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub key: String,
    pub value: Option<f64>,
    /// 1 for the best; equal values share a rank (1, 2, 2, 4); none for rows without a value, listed last.
    pub rank: Option<u32>,
}

/// Order groups by a figure, best first.
pub fn rank(
    rows: &BTreeMap<String, Figures>,
    by: RankBy,
    weights: &BTreeMap<Metric, u32>,
) -> Vec<Ranked> {
    let lower_better = matches!(by, RankBy::Metric(m) if m.lower_is_better());
    let mut out: Vec<Ranked> = rows
        .iter()
        .map(|(key, f)| Ranked {
            key: key.clone(),
            value: match by {
                RankBy::Metric(m) => f.metric(m),
                RankBy::Composite => f.composite(weights),
            },
            rank: None,
        })
        .collect();
    out.sort_by(|a, b| match (a.value, b.value) {
        (Some(x), Some(y)) => {
            let order = if lower_better {
                x.total_cmp(&y)
            } else {
                y.total_cmp(&x)
            };
            order.then_with(|| a.key.cmp(&b.key))
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.key.cmp(&b.key),
    });
    let mut previous: Option<f64> = None;
    let mut rank = 0;
    for (i, row) in out.iter_mut().enumerate() {
        if let Some(v) = row.value {
            if previous != Some(v) {
                rank = i as u32 + 1;
                previous = Some(v);
            }
            row.rank = Some(rank);
        }
    }
    out
}

/// One row of the domain table: a domain's share of all contacts, of 进京 contacts and of collective visits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainShare {
    pub domain: String,
    pub contacts: Ratio,
    pub national: Ratio,
    pub collective: Ratio,
}

/// The domain table from a tally grouped by domain, largest first.
pub fn domain_shares(by_domain: &BTreeMap<String, Counts>) -> Vec<DomainShare> {
    let mut total = Counts::default();
    for c in by_domain.values() {
        total.merge(c);
    }
    let share = |c: &Counts, part: Part| {
        let n = c.get(part);
        let d = total.get(part);
        Ratio {
            numerator: n,
            denominator: d,
            value: (d > 0).then(|| n as f64 / d as f64),
            numerator_parts: vec![part],
            denominator_parts: vec![part],
        }
    };
    let mut rows: Vec<DomainShare> = by_domain
        .iter()
        .map(|(domain, c)| DomainShare {
            domain: domain.clone(),
            contacts: share(c, Part::Contacts),
            national: share(c, Part::National),
            collective: share(c, Part::Collective),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.contacts
            .numerator
            .cmp(&a.contacts.numerator)
            .then_with(|| a.domain.cmp(&b.domain))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_year_earlier_keeps_the_days_and_folds_the_leap_day() {
        let p = Period::new(day("2024-02-16"), day("2024-02-29")).unwrap();
        assert_eq!(
            p.years_earlier(1),
            Period::new(day("2023-02-16"), day("2023-02-28")).unwrap()
        );
        assert_eq!(p.in_year(2019).from, day("2019-02-16"));
        assert!(Period::new(day("2024-03-01"), day("2024-02-01")).is_err());
    }

    #[test]
    fn every_part_code_parses_back() {
        for p in Part::ALL {
            assert_eq!(Part::parse(p.code()), Some(*p));
        }
    }

    #[test]
    fn ties_share_a_rank_and_lower_is_better_for_the_repeat_rate() {
        let rules = FigureRules::default();
        let mut rows = BTreeMap::new();
        for (key, repeat, contacts) in [("a", 1, 10), ("b", 2, 10), ("c", 1, 10), ("d", 0, 0)] {
            let mut c = Counts::default();
            c.add(Part::Contacts, contacts);
            c.add(Part::Repeat, repeat);
            rows.insert(key.to_owned(), Figures::of(&c, &rules));
        }
        let ranked = rank(&rows, RankBy::Metric(Metric::RepeatRate), &rules.weights);
        let got: Vec<(&str, Option<u32>)> =
            ranked.iter().map(|r| (r.key.as_str(), r.rank)).collect();
        assert_eq!(
            got,
            [("a", Some(1)), ("c", Some(1)), ("b", Some(3)), ("d", None)]
        );
    }

    #[test]
    fn the_composite_weighs_only_rates_that_have_a_value() {
        let mut c = Counts::default();
        c.add(Part::DecisionOnTime, 3);
        c.add(Part::DecisionLate, 1);
        c.add(Part::Contacts, 10);
        c.add(Part::Repeat, 5);
        let f = Figures::of(&c, &FigureRules::default());
        let weights = BTreeMap::from([
            (Metric::TimelyAcceptance, 1),
            (Metric::RepeatRate, 1),
            (Metric::Satisfaction, 5),
        ]);
        // (0.75 + (1 - 0.5)) / 2; satisfaction has no ratings and is left out.
        assert_eq!(f.composite(&weights), Some(62.5));
    }
}
