//! Working-day calendar: public holidays, make-up working days (调休) and deadline arithmetic.
//!
//! Petition handling deadlines are expressed either in calendar days ("60 日内") or in working days
//! ("5 个工作日内"). Which days are working days in mainland China is not a rule but a yearly decision of
//! the State Council, so the holidays are data ([`DEFAULT_CALENDAR_TOML`], editable and extendable by an
//! administrator) and this module only interprets them. The module does no I/O: callers load a custom
//! file themselves and pass its text to [`Calendar::from_toml`].

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::LazyLock;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The calendar file shipped with xinfang (mainland China, national holidays only).
///
/// Exposed so that an administrator can export it as a starting point for a customised file.
pub const DEFAULT_CALENDAR_TOML: &str = include_str!("../../../data/calendar/cn-mainland.toml");

/// How the days of a [`Period`] are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Every day counts ("日").
    Calendar,
    /// Only working days count ("工作日").
    Working,
}

/// A time limit such as "60 日" or "5 个工作日".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub days: u32,
    pub count: DayCount,
}

impl Period {
    /// A period of `days` calendar days.
    pub const fn calendar(days: u32) -> Self {
        Self {
            days,
            count: DayCount::Calendar,
        }
    }

    /// A period of `days` working days.
    pub const fn working(days: u32) -> Self {
        Self {
            days,
            count: DayCount::Working,
        }
    }
}

/// What kind of day a date is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayKind {
    /// An ordinary Monday to Friday.
    Workday,
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// A rest day of the named holiday (including weekend days inside the holiday).
    Holiday(String),
    /// A Saturday or Sunday made a working day to compensate for the named holiday (调休上班).
    MakeUpWorkday(String),
}

/// Why a calendar file was rejected. The messages are shown to administrators, hence Chinese.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The text is not TOML, or does not have the expected tables and keys.
    #[error("日历文件不是有效的 TOML 或格式不符：{0}")]
    Toml(#[from] toml::de::Error),

    /// An entry has no (or a blank) `name`.
    #[error("日历文件{entry}缺少节日名称（name）")]
    MissingName { entry: String },

    /// A date is not a valid `YYYY-MM-DD` date.
    #[error("日历文件{entry}的日期无效：{value}（应写作 YYYY-MM-DD，如 2024-10-01）")]
    InvalidDate { entry: String, value: String },

    /// `off` does not have one or two elements.
    #[error(
        "日历文件{entry}的放假区间（off）应写作 [\"首日\", \"末日\"] 或 [\"日期\"]，实际有 {len} 个日期"
    )]
    RangeShape { entry: String, len: usize },

    /// The last day of an `off` range is before its first day.
    #[error("日历文件{entry}的放假区间无效：末日 {end} 早于首日 {start}")]
    ReversedRange {
        entry: String,
        start: NaiveDate,
        end: NaiveDate,
    },

    /// A date of a `[[holiday]]` is more than one year away from its `year`, most likely a typo.
    #[error("日历文件{entry}的日期 {date} 与年份 {year} 相差超过一年，请检查是否写错")]
    DateOutsideYear {
        entry: String,
        date: NaiveDate,
        year: i32,
    },

    /// A make-up working day that is not a Saturday or Sunday (a weekday is a working day anyway).
    #[error("日历文件{entry}的调休上班日 {date} 是{}，只有周六或周日才能调休上班", weekday_zh(.date.weekday()))]
    WorkdayNotWeekend { entry: String, date: NaiveDate },

    /// A date that is listed both as a rest day and as a make-up working day.
    #[error("日历文件中 {date} 既在{off_entry}中放假，又在{work_entry}中调休上班")]
    OffAndWork {
        date: NaiveDate,
        off_entry: String,
        work_entry: String,
    },

    /// A date that is listed twice with the same meaning (overlapping ranges or a repeated day).
    #[error("日历文件中 {date} 重复出现：{first_entry}和{second_entry}")]
    DuplicateDate {
        date: NaiveDate,
        first_entry: String,
        second_entry: String,
    },

    /// A `[[local]]` region that is not a 2, 4 or 6-digit administrative division code.
    #[error(
        "日历文件{entry}的地区代码「{region}」无效，应为 2、4 或 6 位数字的 GB/T 2260 行政区划代码（如 330000）"
    )]
    InvalidRegion { entry: String, region: String },
}

/// A date with a meaning other than its weekday.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Special {
    /// Rest day of the named holiday.
    Off(String),
    /// Make-up working day for the named holiday.
    Work(String),
}

/// The special days of one `[[local]]` region prefix.
#[derive(Debug, Clone)]
struct LocalRule {
    /// Normalised GB/T 2260 prefix, e.g. "33" for "330000".
    prefix: String,
    days: BTreeMap<NaiveDate, Special>,
}

/// A working-day calendar: weekends plus a table of special days.
///
/// Lookups are `O(log n)` in the number of special days.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// National special days from the `[[holiday]]` tables.
    national: BTreeMap<NaiveDate, Special>,
    /// All `[[local]]` rules, least specific first, kept so that [`Calendar::for_region`] can be
    /// called on any calendar (including one already specialised for a region).
    locals: Vec<LocalRule>,
    /// The days actually in force: `national`, overlaid with the local rules of the selected region.
    effective: BTreeMap<NaiveDate, Special>,
    /// Years with national holiday data.
    years: BTreeSet<i32>,
}

static MAINLAND: LazyLock<Calendar> = LazyLock::new(|| {
    Calendar::from_toml(DEFAULT_CALENDAR_TOML)
        .expect("the embedded data/calendar/cn-mainland.toml must be a valid calendar file")
});

impl Calendar {
    /// Parses a calendar file (see the header of `data/calendar/cn-mainland.toml` for the format).
    ///
    /// The result has the national days only; use [`Calendar::for_region`] to apply `[[local]]` days.
    pub fn from_toml(text: &str) -> Result<Calendar, CalendarError> {
        let raw: RawFile = toml::from_str(text)?;

        let mut years = BTreeSet::new();
        let mut national = DayTable::default();
        for h in &raw.holiday {
            let entry = format!("第 {} 年「{}」", h.year, h.name.trim());
            let name = checked_name(&h.name, &entry)?;
            let check_year = |date: NaiveDate| {
                if (date.year() - h.year).abs() > 1 {
                    Err(CalendarError::DateOutsideYear {
                        entry: entry.clone(),
                        date,
                        year: h.year,
                    })
                } else {
                    Ok(())
                }
            };
            national.add_entry(&entry, name, &h.off, &h.work, check_year)?;
            years.insert(h.year);
        }

        // Entries with the same normalised region are checked against each other like national ones.
        let mut by_prefix: BTreeMap<String, DayTable> = BTreeMap::new();
        for l in &raw.local {
            let entry = format!("地区 {}「{}」", l.region.trim(), l.name.trim());
            let prefix = region_prefix(&l.region).ok_or_else(|| CalendarError::InvalidRegion {
                entry: entry.clone(),
                region: l.region.clone(),
            })?;
            let name = checked_name(&l.name, &entry)?;
            by_prefix.entry(prefix).or_default().add_entry(
                &entry,
                name,
                &l.off,
                &l.work,
                |_| Ok(()),
            )?;
        }
        let mut locals: Vec<LocalRule> = by_prefix
            .into_iter()
            .map(|(prefix, table)| LocalRule {
                prefix,
                days: table.into_days(),
            })
            .collect();
        // Applied in this order, so a more specific region overrides a broader one.
        locals.sort_by_key(|r| r.prefix.len());

        let national = national.into_days();
        Ok(Calendar {
            effective: national.clone(),
            national,
            locals,
            years,
        })
    }

    /// The calendar shipped with xinfang: mainland China national holidays and make-up working days.
    pub fn mainland() -> Calendar {
        MAINLAND.clone()
    }

    /// A calendar without holidays: Monday to Friday work, Saturday and Sunday rest.
    pub fn weekends_only() -> Calendar {
        Calendar {
            national: BTreeMap::new(),
            locals: Vec::new(),
            effective: BTreeMap::new(),
            years: BTreeSet::new(),
        }
    }

    /// The national days plus the `[[local]]` days whose region applies to `region_code`.
    ///
    /// A local entry's region is normalised by dropping trailing "00" pairs ("330000" → "33",
    /// "330100" → "3301") and applies when `region_code` starts with it. Where local entries disagree
    /// with the national days or with each other, the most specific region wins. An empty or unknown
    /// code gets the national days only.
    pub fn for_region(&self, region_code: &str) -> Calendar {
        let code = region_code.trim();
        let mut effective = self.national.clone();
        for rule in self.locals.iter().filter(|r| code.starts_with(&r.prefix)) {
            effective.extend(rule.days.iter().map(|(d, s)| (*d, s.clone())));
        }
        Calendar {
            national: self.national.clone(),
            locals: self.locals.clone(),
            effective,
            years: self.years.clone(),
        }
    }

    /// Years that have national holiday data. For a date in any other year the calendar silently
    /// falls back to plain weekends, so callers should warn when a deadline falls outside.
    pub fn years(&self) -> BTreeSet<i32> {
        self.years.clone()
    }

    /// What kind of day `d` is.
    pub fn day_kind(&self, d: NaiveDate) -> DayKind {
        match self.effective.get(&d) {
            Some(Special::Off(name)) => DayKind::Holiday(name.clone()),
            Some(Special::Work(name)) => DayKind::MakeUpWorkday(name.clone()),
            None if is_weekend(d) => DayKind::Weekend,
            None => DayKind::Workday,
        }
    }

    /// Whether `d` is a working day (an ordinary weekday or a make-up working day).
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.effective.get(&d) {
            Some(Special::Off(_)) => false,
            Some(Special::Work(_)) => true,
            None => !is_weekend(d),
        }
    }

    /// `d` itself if it is a working day, otherwise the first working day after it.
    ///
    /// # Panics
    /// Only if the result would lie beyond [`NaiveDate::MAX`].
    pub fn next_working_day(&self, d: NaiveDate) -> NaiveDate {
        let mut day = d;
        while !self.is_working_day(day) {
            day = succ(day);
        }
        day
    }

    /// The `n`-th working day strictly after `start`; `start` itself when `n` is 0.
    ///
    /// # Panics
    /// Only if the result would lie beyond [`NaiveDate::MAX`].
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = succ(day);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// The last day of a period starting the day after `start` (the day of receipt is not counted,
    /// as in Chinese administrative practice).
    ///
    /// * [`DayCount::Calendar`]: `start + days`; if `roll_to_working_day` and that day is not a working
    ///   day, the next working day (期间届满的最后一日是法定节假日的，以节假日后的第一日为期间届满的日期).
    /// * [`DayCount::Working`]: [`Calendar::add_working_days`]`(start, days)`; the roll flag is
    ///   irrelevant because the result is always a working day (or `start` when `days` is 0).
    ///
    /// # Panics
    /// Only if the result would lie beyond [`NaiveDate::MAX`].
    pub fn due_date(
        &self,
        start: NaiveDate,
        period: Period,
        roll_to_working_day: bool,
    ) -> NaiveDate {
        match period.count {
            DayCount::Calendar => {
                let end = start
                    .checked_add_days(Days::new(u64::from(period.days)))
                    .expect("due date beyond the representable date range");
                if roll_to_working_day {
                    self.next_working_day(end)
                } else {
                    end
                }
            }
            DayCount::Working => self.add_working_days(start, period.days),
        }
    }

    /// Number of working days after `from` up to and including `to` (0 if `to <= from`).
    /// Useful for "within 5 working days" checks.
    ///
    /// Runs in `O(log n + k)` for `k` special days in the interval, however long the interval is.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        if to <= from {
            return 0;
        }
        let total = (to - from).num_days();
        // Any 7 consecutive days hold exactly 5 weekdays; walk the remainder (< 7 days) by hand.
        let mut count = total / 7 * 5;
        let mut day = to;
        for _ in 0..total % 7 {
            if !is_weekend(day) {
                count += 1;
            }
            day = day.pred_opt().expect("to > from, so to has a predecessor");
        }
        // Correct for the special days, each of which differs from its weekday's default.
        for (date, special) in self
            .effective
            .range((Bound::Excluded(from), Bound::Included(to)))
        {
            match special {
                Special::Off(_) if !is_weekend(*date) => count -= 1,
                Special::Work(_) if is_weekend(*date) => count += 1,
                _ => {}
            }
        }
        u32::try_from(count).unwrap_or(u32::MAX)
    }
}

// ------------------------------------------------------------------------------------------------
// File format

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    holiday: Vec<RawHoliday>,
    #[serde(default)]
    local: Vec<RawLocal>,
}

// `name` and `off` default to empty so that their absence is reported in Chinese by our own checks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    year: i32,
    #[serde(default)]
    name: String,
    #[serde(default)]
    off: Vec<String>,
    #[serde(default)]
    work: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocal {
    region: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    off: Vec<String>,
    #[serde(default)]
    work: Vec<String>,
}

/// Special days being collected from a file, with the entry each came from for error messages.
#[derive(Default)]
struct DayTable {
    days: BTreeMap<NaiveDate, (Special, String)>,
}

impl DayTable {
    /// Validates one `[[holiday]]` or `[[local]]` entry and adds its days.
    fn add_entry(
        &mut self,
        entry: &str,
        name: &str,
        off: &[String],
        work: &[String],
        check_year: impl Fn(NaiveDate) -> Result<(), CalendarError>,
    ) -> Result<(), CalendarError> {
        let (first, last) = match off {
            [day] => {
                let d = parse_date(day, entry)?;
                (d, d)
            }
            [start, end] => (parse_date(start, entry)?, parse_date(end, entry)?),
            _ => {
                return Err(CalendarError::RangeShape {
                    entry: entry.to_owned(),
                    len: off.len(),
                });
            }
        };
        if last < first {
            return Err(CalendarError::ReversedRange {
                entry: entry.to_owned(),
                start: first,
                end: last,
            });
        }
        check_year(first)?;
        check_year(last)?;
        for day in first.iter_days().take_while(|d| *d <= last) {
            self.insert(day, Special::Off(name.to_owned()), entry)?;
        }
        for text in work {
            let day = parse_date(text, entry)?;
            check_year(day)?;
            if !is_weekend(day) {
                return Err(CalendarError::WorkdayNotWeekend {
                    entry: entry.to_owned(),
                    date: day,
                });
            }
            self.insert(day, Special::Work(name.to_owned()), entry)?;
        }
        Ok(())
    }

    fn insert(
        &mut self,
        date: NaiveDate,
        special: Special,
        entry: &str,
    ) -> Result<(), CalendarError> {
        match self.days.entry(date) {
            Entry::Vacant(v) => {
                v.insert((special, entry.to_owned()));
                Ok(())
            }
            Entry::Occupied(o) => {
                let (existing, existing_entry) = o.get();
                Err(match (existing, &special) {
                    (Special::Off(_), Special::Work(_)) => CalendarError::OffAndWork {
                        date,
                        off_entry: existing_entry.clone(),
                        work_entry: entry.to_owned(),
                    },
                    (Special::Work(_), Special::Off(_)) => CalendarError::OffAndWork {
                        date,
                        off_entry: entry.to_owned(),
                        work_entry: existing_entry.clone(),
                    },
                    _ => CalendarError::DuplicateDate {
                        date,
                        first_entry: existing_entry.clone(),
                        second_entry: entry.to_owned(),
                    },
                })
            }
        }
    }

    fn into_days(self) -> BTreeMap<NaiveDate, Special> {
        self.days.into_iter().map(|(d, (s, _))| (d, s)).collect()
    }
}

fn checked_name<'a>(name: &'a str, entry: &str) -> Result<&'a str, CalendarError> {
    let name = name.trim();
    if name.is_empty() {
        Err(CalendarError::MissingName {
            entry: entry.to_owned(),
        })
    } else {
        Ok(name)
    }
}

fn parse_date(text: &str, entry: &str) -> Result<NaiveDate, CalendarError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| CalendarError::InvalidDate {
        entry: entry.to_owned(),
        value: text.to_owned(),
    })
}

/// Normalises a `[[local]]` region code to the prefix it stands for: "330000" → "33",
/// "330100" → "3301", "330106" → "330106". `None` unless it is 2, 4 or 6 digits with a non-zero
/// prefix.
fn region_prefix(code: &str) -> Option<String> {
    let code = code.trim();
    if !matches!(code.len(), 2 | 4 | 6) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut prefix = code;
    while prefix.len() > 2 && prefix.ends_with("00") {
        prefix = &prefix[..prefix.len() - 2];
    }
    (prefix != "00").then(|| prefix.to_owned())
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn succ(d: NaiveDate) -> NaiveDate {
    d.succ_opt()
        .expect("date arithmetic beyond the representable date range")
}

fn weekday_zh(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

// ------------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn holiday(name: &str) -> DayKind {
        DayKind::Holiday(name.to_owned())
    }

    fn make_up(name: &str) -> DayKind {
        DayKind::MakeUpWorkday(name.to_owned())
    }

    /// Counts working days in (from, to] one day at a time, independently of
    /// `working_days_between`'s arithmetic.
    fn naive_between(cal: &Calendar, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| cal.is_working_day(*d))
            .count() as u32
    }

    // ---- embedded file -------------------------------------------------------------------------

    #[test]
    fn embedded_file_parses_and_covers_2024_to_2026() {
        let cal = Calendar::from_toml(DEFAULT_CALENDAR_TOML).expect("embedded file parses");
        assert_eq!(cal.years(), BTreeSet::from([2024, 2025, 2026]));
        assert!(cal.locals.is_empty(), "no local days are shipped");
        assert_eq!(Calendar::mainland().years(), cal.years());
    }

    /// Off days and make-up days per `year` of the notice, counted by hand from
    /// the holidays-cn.md table of the State Council notices (2024 元旦 includes 2023-12-30 and 2023-12-31).
    #[test]
    fn off_and_work_days_per_notice_year_match_the_table() {
        // 2024: 3 + 8 + 3 + 5 + 3 + 3 + 7; 2025: 1 + 8 + 3 + 5 + 3 + 8; 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7
        const OFF: [(i32, usize); 3] = [(2024, 32), (2025, 28), (2026, 33)];
        // 2024: 2 + 1 + 2 + 0 + 1 + 2; 2025: 2 + 0 + 1 + 0 + 2; 2026: 1 + 2 + 0 + 1 + 0 + 0 + 2
        const WORK: [(i32, usize); 3] = [(2024, 8), (2025, 5), (2026, 6)];
        let raw: RawFile = toml::from_str(DEFAULT_CALENDAR_TOML).expect("embedded file parses");
        for ((year, off), (_, work)) in OFF.into_iter().zip(WORK) {
            let mut off_days = 0;
            let mut work_days = 0;
            for h in raw.holiday.iter().filter(|h| h.year == year) {
                let first = NaiveDate::parse_from_str(&h.off[0], "%Y-%m-%d").unwrap();
                let last = NaiveDate::parse_from_str(h.off.last().unwrap(), "%Y-%m-%d").unwrap();
                off_days += (last - first).num_days() as usize + 1;
                work_days += h.work.len();
            }
            assert_eq!(off_days, off, "off days in the notice for {year}");
            assert_eq!(work_days, work, "make-up days in the notice for {year}");
        }
    }

    /// The same counts by calendar year, through the public API.
    #[test]
    fn day_kinds_per_calendar_year_match_the_table() {
        let cal = Calendar::mainland();
        // (year, holiday days, make-up days, working days)
        // Working days: weekdays (2024: 262, 2025: 261, 2026: 261) minus holidays falling on a
        // weekday (19, 18, 19) plus make-up days — 251, 248 and 248 as officially announced.
        const EXPECTED: [(i32, usize, usize, usize); 4] = [
            (2023, 2, 0, 0),
            (2024, 30, 8, 251),
            (2025, 28, 5, 248),
            (2026, 33, 6, 248),
        ];
        for (year, off, work, working) in EXPECTED {
            let days: Vec<NaiveDate> = ymd(year, 1, 1)
                .iter_days()
                .take_while(|d| d.year() == year)
                .collect();
            let holidays = days
                .iter()
                .filter(|d| matches!(cal.day_kind(**d), DayKind::Holiday(_)))
                .count();
            let make_ups = days
                .iter()
                .filter(|d| matches!(cal.day_kind(**d), DayKind::MakeUpWorkday(_)))
                .count();
            assert_eq!(holidays, off, "holidays in {year}");
            assert_eq!(make_ups, work, "make-up days in {year}");
            if year != 2023 {
                let n = days.iter().filter(|d| cal.is_working_day(**d)).count();
                assert_eq!(n, working, "working days in {year}");
            }
        }
    }

    #[test]
    fn specific_days() {
        let cal = Calendar::mainland();
        assert_eq!(cal.day_kind(ymd(2024, 10, 1)), holiday("国庆节"));
        assert_eq!(cal.day_kind(ymd(2024, 10, 12)), make_up("国庆节")); // Saturday
        assert!(cal.is_working_day(ymd(2024, 10, 12)));
        assert_eq!(cal.day_kind(ymd(2026, 2, 14)), make_up("春节")); // Saturday
        assert!(cal.is_working_day(ymd(2026, 2, 14)));
        assert_eq!(cal.day_kind(ymd(2025, 1, 26)), make_up("春节")); // Sunday
        assert!(cal.is_working_day(ymd(2025, 1, 26)));
        assert_eq!(cal.day_kind(ymd(2024, 3, 2)), DayKind::Weekend); // ordinary Saturday
        assert!(!cal.is_working_day(ymd(2024, 3, 2)));
        assert_eq!(cal.day_kind(ymd(2024, 3, 4)), DayKind::Workday); // ordinary Monday
        assert_eq!(cal.day_kind(ymd(2023, 12, 30)), holiday("元旦")); // Saturday, 2024's 元旦
        assert!(!cal.is_working_day(ymd(2023, 12, 30)));
        assert_eq!(cal.day_kind(ymd(2024, 10, 5)), holiday("国庆节")); // Saturday inside 国庆
        assert_eq!(cal.day_kind(ymd(2025, 10, 8)), holiday("国庆节、中秋节"));
        assert_eq!(cal.day_kind(ymd(2025, 1, 1)), holiday("元旦")); // single-day form
        assert_eq!(cal.day_kind(ymd(2025, 1, 2)), DayKind::Workday);
    }

    #[test]
    fn weekends_only_has_no_holidays() {
        let cal = Calendar::weekends_only();
        assert!(cal.years().is_empty());
        assert_eq!(cal.day_kind(ymd(2024, 10, 1)), DayKind::Workday);
        assert_eq!(cal.day_kind(ymd(2024, 10, 12)), DayKind::Weekend);
        assert_eq!(cal.add_working_days(ymd(2024, 9, 30), 5), ymd(2024, 10, 7));
    }

    // ---- arithmetic with hand-computed answers -------------------------------------------------

    #[test]
    fn add_working_days_across_national_day_2024() {
        let cal = Calendar::mainland();
        // Off Tue 10-01 .. Mon 10-07; make-up Sun 09-29 and Sat 10-12.
        let fri = ymd(2024, 9, 27);
        assert_eq!(cal.add_working_days(fri, 0), fri);
        assert_eq!(cal.add_working_days(fri, 1), ymd(2024, 9, 29)); // make-up Sunday
        assert_eq!(cal.add_working_days(fri, 2), ymd(2024, 9, 30));
        assert_eq!(cal.add_working_days(fri, 3), ymd(2024, 10, 8));
        // Mon 09-30 + 5: 10-08, 10-09, 10-10, 10-11, 10-12 (make-up Saturday).
        assert_eq!(cal.add_working_days(ymd(2024, 9, 30), 5), ymd(2024, 10, 12));
        // ... + 6 skips Sun 10-13.
        assert_eq!(cal.add_working_days(ymd(2024, 9, 30), 6), ymd(2024, 10, 14));
        // Starting on a holiday.
        assert_eq!(cal.add_working_days(ymd(2024, 10, 3), 1), ymd(2024, 10, 8));
    }

    #[test]
    fn add_working_days_across_spring_festival_2026() {
        let cal = Calendar::mainland();
        // Off Sun 02-15 .. Mon 02-23; make-up Sat 02-14 and Sat 02-28.
        let thu = ymd(2026, 2, 12);
        assert_eq!(cal.add_working_days(thu, 1), ymd(2026, 2, 13));
        assert_eq!(cal.add_working_days(thu, 2), ymd(2026, 2, 14));
        assert_eq!(cal.add_working_days(thu, 3), ymd(2026, 2, 24));
        assert_eq!(cal.add_working_days(thu, 5), ymd(2026, 2, 26));
        assert_eq!(cal.add_working_days(thu, 7), ymd(2026, 2, 28));
        assert_eq!(cal.add_working_days(thu, 8), ymd(2026, 3, 2));
        // Fri 02-13 + 15: 02-14, 24, 25, 26, 27, 28, 03-02, 03, 04, 05, 06, 09, 10, 11, 12.
        assert_eq!(cal.add_working_days(ymd(2026, 2, 13), 15), ymd(2026, 3, 12));
    }

    #[test]
    fn due_date_calendar_days_rolls_over_national_day() {
        let cal = Calendar::mainland();
        // 09-16 + 15 = 10-01, a holiday: the period ends on the first working day after it.
        let start = ymd(2024, 9, 16);
        assert_eq!(
            cal.due_date(start, Period::calendar(15), false),
            ymd(2024, 10, 1)
        );
        assert_eq!(
            cal.due_date(start, Period::calendar(15), true),
            ymd(2024, 10, 8)
        );
        // 09-07 + 30 = 10-07, the last day of the holiday.
        let start = ymd(2024, 9, 7);
        assert_eq!(
            cal.due_date(start, Period::calendar(30), true),
            ymd(2024, 10, 8)
        );
        // 09-27 + 2 = Sun 09-29, a make-up working day: no roll.
        let start = ymd(2024, 9, 27);
        assert_eq!(
            cal.due_date(start, Period::calendar(2), true),
            ymd(2024, 9, 29)
        );
        // An ordinary Sunday rolls to Monday.
        let start = ymd(2024, 3, 1);
        assert_eq!(
            cal.due_date(start, Period::calendar(2), false),
            ymd(2024, 3, 3)
        );
        assert_eq!(
            cal.due_date(start, Period::calendar(2), true),
            ymd(2024, 3, 4)
        );
        // Zero days.
        assert_eq!(cal.due_date(start, Period::calendar(0), false), start);
    }

    #[test]
    fn due_date_working_days_equals_hand_count() {
        let cal = Calendar::mainland();
        // From Thu 09-26: 09-27(1), 09-29(2), 09-30(3), 10-08(4), 09(5), 10(6), 11(7), 12(8),
        // 14(9), 15(10), 16(11), 17(12), 18(13), 21(14), 22(15).
        let start = ymd(2024, 9, 26);
        let due = ymd(2024, 10, 22);
        for roll in [false, true] {
            assert_eq!(cal.due_date(start, Period::working(15), roll), due);
        }
        assert_eq!(cal.working_days_between(start, due), 15);
        assert_eq!(cal.working_days_between(start, ymd(2024, 10, 21)), 14);
        assert_eq!(cal.working_days_between(start, ymd(2024, 10, 7)), 3);
        assert_eq!(cal.working_days_between(due, start), 0);
        assert_eq!(cal.working_days_between(start, start), 0);
        assert_eq!(cal.due_date(start, Period::working(0), true), start);
    }

    #[test]
    fn next_working_day_examples() {
        let cal = Calendar::mainland();
        assert_eq!(cal.next_working_day(ymd(2024, 10, 1)), ymd(2024, 10, 8));
        assert_eq!(cal.next_working_day(ymd(2024, 10, 12)), ymd(2024, 10, 12));
        assert_eq!(cal.next_working_day(ymd(2023, 12, 30)), ymd(2024, 1, 2));
        assert_eq!(cal.next_working_day(ymd(2024, 3, 2)), ymd(2024, 3, 4));
    }

    #[test]
    fn period_serde_uses_snake_case() {
        let toml = toml::to_string(&Period::working(5)).unwrap();
        assert!(toml.contains("count = \"working\""), "{toml}");
        let back: Period = toml::from_str("days = 60\ncount = \"calendar\"\n").unwrap();
        assert_eq!(back, Period::calendar(60));
        assert!(toml::from_str::<Period>("days = 60\ncount = \"Calendar\"\n").is_err());
    }

    // ---- regions -------------------------------------------------------------------------------

    const WITH_LOCALS: &str = r#"
        [[holiday]]
        year = 2024
        name = "国庆节"
        off = ["2024-10-01", "2024-10-07"]
        work = ["2024-09-29", "2024-10-12"]

        [[local]]
        region = "330000"
        name = "省级纪念日"
        off = ["2024-11-11"]

        [[local]]
        region = "330100"
        name = "市级活动"
        off = ["2024-11-11", "2024-11-12"]
        work = ["2024-11-16"]

        [[local]]
        region = "3301"
        name = "市级调休"
        off = ["2024-10-12"]
    "#;

    #[test]
    fn for_region_applies_matching_prefixes_most_specific_last() {
        let base = Calendar::from_toml(WITH_LOCALS).unwrap();
        assert_eq!(base.years(), BTreeSet::from([2024]));
        // The parsed calendar has national days only.
        assert_eq!(base.day_kind(ymd(2024, 11, 11)), DayKind::Workday);

        let beijing = base.for_region("110101");
        assert_eq!(beijing.day_kind(ymd(2024, 11, 11)), DayKind::Workday);
        assert_eq!(beijing.day_kind(ymd(2024, 10, 12)), make_up("国庆节"));

        let ningbo = base.for_region("330203");
        assert_eq!(ningbo.day_kind(ymd(2024, 11, 11)), holiday("省级纪念日"));
        assert_eq!(ningbo.day_kind(ymd(2024, 11, 12)), DayKind::Workday);

        let hangzhou = base.for_region("330106");
        assert_eq!(hangzhou.day_kind(ymd(2024, 11, 11)), holiday("市级活动"));
        assert_eq!(hangzhou.day_kind(ymd(2024, 11, 12)), holiday("市级活动"));
        assert_eq!(hangzhou.day_kind(ymd(2024, 11, 16)), make_up("市级活动"));
        assert_eq!(hangzhou.day_kind(ymd(2024, 10, 12)), holiday("市级调休"));
        assert_eq!(hangzhou.day_kind(ymd(2024, 10, 1)), holiday("国庆节"));
        assert_eq!(hangzhou.years(), BTreeSet::from([2024]));
        assert_eq!(
            hangzhou.working_days_between(ymd(2024, 11, 8), ymd(2024, 11, 16)),
            naive_between(&hangzhou, ymd(2024, 11, 8), ymd(2024, 11, 16))
        );

        // A province-level code does not pick up city days.
        let zhejiang = base.for_region("330000");
        assert_eq!(zhejiang.day_kind(ymd(2024, 11, 11)), holiday("省级纪念日"));
        assert_eq!(zhejiang.day_kind(ymd(2024, 11, 12)), DayKind::Workday);

        // Re-specialising starts from the national days again.
        let back = hangzhou.for_region("110000");
        assert_eq!(back.day_kind(ymd(2024, 11, 11)), DayKind::Workday);
        assert_eq!(
            base.for_region("").day_kind(ymd(2024, 11, 11)),
            DayKind::Workday
        );
    }

    #[test]
    fn region_prefix_normalisation() {
        assert_eq!(region_prefix("330000").as_deref(), Some("33"));
        assert_eq!(region_prefix("330100").as_deref(), Some("3301"));
        assert_eq!(region_prefix("330106").as_deref(), Some("330106"));
        assert_eq!(region_prefix("3300").as_deref(), Some("33"));
        assert_eq!(region_prefix(" 33 ").as_deref(), Some("33"));
        assert_eq!(region_prefix("000000"), None);
        assert_eq!(region_prefix("33010"), None);
        assert_eq!(region_prefix("33a100"), None);
        assert_eq!(region_prefix(""), None);
    }

    // ---- bad files -----------------------------------------------------------------------------

    fn one_holiday(off: &str, work: &str) -> String {
        format!("[[holiday]]\nyear = 2024\nname = \"春节\"\noff = {off}\nwork = {work}\n")
    }

    #[test]
    fn rejects_work_day_on_a_weekday() {
        // 2024-02-05 is a Monday.
        let err = Calendar::from_toml(&one_holiday(
            r#"["2024-02-10", "2024-02-17"]"#,
            r#"["2024-02-05"]"#,
        ))
        .unwrap_err();
        assert!(
            matches!(err, CalendarError::WorkdayNotWeekend { date, .. } if date == ymd(2024, 2, 5)),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "日历文件第 2024 年「春节」的调休上班日 2024-02-05 是周一，只有周六或周日才能调休上班"
        );
    }

    #[test]
    fn rejects_reversed_range() {
        let err =
            Calendar::from_toml(&one_holiday(r#"["2024-02-17", "2024-02-10"]"#, "[]")).unwrap_err();
        assert!(
            matches!(err, CalendarError::ReversedRange { .. }),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("末日 2024-02-10 早于首日 2024-02-17")
        );
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in ["2024-02-30", "2024/02/10", "2024-2-1x", ""] {
            let off = format!(r#"["{bad}", "2024-02-17"]"#);
            let err = Calendar::from_toml(&one_holiday(&off, "[]")).unwrap_err();
            assert!(
                matches!(&err, CalendarError::InvalidDate { value, .. } if value == bad),
                "{bad}: {err:?}"
            );
            assert!(
                err.to_string()
                    .starts_with(&format!("日历文件第 2024 年「春节」的日期无效：{bad}")),
                "{err}"
            );
        }
        let err = Calendar::from_toml(&one_holiday(r#"["2024-02-10"]"#, r#"["2024-13-01"]"#))
            .unwrap_err();
        assert!(matches!(err, CalendarError::InvalidDate { .. }), "{err:?}");
    }

    #[test]
    fn rejects_day_both_off_and_work() {
        // Within one entry: Saturday 02-10 is off and listed as work.
        let err = Calendar::from_toml(&one_holiday(
            r#"["2024-02-10", "2024-02-17"]"#,
            r#"["2024-02-10"]"#,
        ))
        .unwrap_err();
        assert!(
            matches!(err, CalendarError::OffAndWork { date, .. } if date == ymd(2024, 2, 10)),
            "{err:?}"
        );
        // Across entries, work first.
        let text = format!(
            "{}{}",
            one_holiday(r#"["2024-02-10"]"#, r#"["2024-02-18"]"#),
            "[[holiday]]\nyear = 2024\nname = \"其他\"\noff = [\"2024-02-18\"]\n"
        );
        let err = Calendar::from_toml(&text).unwrap_err();
        assert!(matches!(err, CalendarError::OffAndWork { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("既在第 2024 年「其他」中放假，又在第 2024 年「春节」中调休上班")
        );
    }

    #[test]
    fn rejects_overlapping_ranges() {
        let text = format!(
            "{}{}",
            one_holiday(r#"["2024-02-10", "2024-02-17"]"#, "[]"),
            "[[holiday]]\nyear = 2024\nname = \"其他\"\noff = [\"2024-02-17\", \"2024-02-18\"]\n"
        );
        let err = Calendar::from_toml(&text).unwrap_err();
        assert!(
            matches!(err, CalendarError::DuplicateDate { date, .. } if date == ymd(2024, 2, 17)),
            "{err:?}"
        );
    }

    #[test]
    fn rejects_other_mistakes() {
        let err = Calendar::from_toml("[[holiday]]\nyear = 2024\n").unwrap_err();
        assert!(matches!(err, CalendarError::MissingName { .. }), "{err:?}");
        let err = Calendar::from_toml(&one_holiday("[]", "[]")).unwrap_err();
        assert!(
            matches!(err, CalendarError::RangeShape { len: 0, .. }),
            "{err:?}"
        );
        let err = Calendar::from_toml(&one_holiday(
            r#"["2024-02-10", "2024-02-11", "2024-02-12"]"#,
            "[]",
        ))
        .unwrap_err();
        assert!(
            matches!(err, CalendarError::RangeShape { len: 3, .. }),
            "{err:?}"
        );
        let err = Calendar::from_toml(&one_holiday(r#"["2042-02-10"]"#, "[]")).unwrap_err();
        assert!(
            matches!(err, CalendarError::DateOutsideYear { .. }),
            "{err:?}"
        );
        // Not TOML, unknown key, wrong type.
        for text in [
            "[[holiday]\n",
            "[[holiday]]\nyear = 2024\nname = \"x\"\nof = []\n",
            "holiday = 3\n",
        ] {
            let err = Calendar::from_toml(text).unwrap_err();
            assert!(matches!(err, CalendarError::Toml(_)), "{err:?}");
            assert!(err.to_string().starts_with("日历文件不是有效的 TOML"));
        }
        let err = Calendar::from_toml(
            "[[local]]\nregion = \"浙江\"\nname = \"x\"\noff = [\"2024-11-11\"]\n",
        )
        .unwrap_err();
        assert!(
            matches!(err, CalendarError::InvalidRegion { .. }),
            "{err:?}"
        );
        // Local work days must be weekends too.
        let err = Calendar::from_toml(
            "[[local]]\nregion = \"33\"\nname = \"x\"\noff = [\"2024-11-11\"]\nwork = [\"2024-11-12\"]\n",
        )
        .unwrap_err();
        assert!(
            matches!(err, CalendarError::WorkdayNotWeekend { .. }),
            "{err:?}"
        );
        // An empty file is a valid (weekends-only) calendar.
        assert!(Calendar::from_toml("").unwrap().years().is_empty());
    }

    // ---- properties ----------------------------------------------------------------------------

    /// Days from 2024-01-01 to 2026-12-31 inclusive.
    const SPAN: u32 = 366 + 365 + 365;

    fn date_in_span() -> impl Strategy<Value = NaiveDate> {
        (0..SPAN).prop_map(|i| ymd(2024, 1, 1) + Days::new(u64::from(i)))
    }

    fn is_rest_kind(kind: &DayKind) -> bool {
        matches!(kind, DayKind::Holiday(_) | DayKind::Weekend)
    }

    proptest! {
        #[test]
        fn working_due_date_is_a_working_day_n_working_days_later(
            start in date_in_span(),
            n in 1u32..=60,
        ) {
            let cal = Calendar::mainland();
            let due = cal.due_date(start, Period::working(n), false);
            prop_assert_eq!(due, cal.add_working_days(start, n));
            prop_assert!(due > start);
            prop_assert!(cal.is_working_day(due));
            prop_assert!(!is_rest_kind(&cal.day_kind(due)), "{:?}", cal.day_kind(due));
            prop_assert_eq!(naive_between(&cal, start, due), n);
            prop_assert_eq!(cal.working_days_between(start, due), n);
        }

        #[test]
        fn rolled_calendar_due_date_is_a_working_day_not_before_the_plain_end(
            start in date_in_span(),
            days in 0u32..=90,
        ) {
            let cal = Calendar::mainland();
            let plain = cal.due_date(start, Period::calendar(days), false);
            prop_assert_eq!(plain, start + Days::new(u64::from(days)));
            let rolled = cal.due_date(start, Period::calendar(days), true);
            prop_assert!(rolled >= plain);
            prop_assert!(cal.is_working_day(rolled));
            prop_assert!(!is_rest_kind(&cal.day_kind(rolled)));
            // Nothing between the plain end and the rolled one is a working day.
            prop_assert_eq!(naive_between(&cal, plain, rolled), u32::from(rolled > plain));
            if cal.is_working_day(plain) {
                prop_assert_eq!(rolled, plain);
            }
        }

        #[test]
        fn next_working_day_is_idempotent_and_minimal(d in date_in_span()) {
            let cal = Calendar::mainland();
            let next = cal.next_working_day(d);
            prop_assert_eq!(cal.next_working_day(next), next);
            prop_assert!(next >= d);
            prop_assert!(cal.is_working_day(next));
            prop_assert!(d.iter_days().take_while(|x| *x < next).all(|x| !cal.is_working_day(x)));
        }

        #[test]
        fn working_days_between_matches_a_day_by_day_count(
            from in date_in_span(),
            len in 0u32..=800,
        ) {
            let cal = Calendar::mainland();
            let to = from + Days::new(u64::from(len));
            prop_assert_eq!(cal.working_days_between(from, to), naive_between(&cal, from, to));
            prop_assert_eq!(cal.working_days_between(to, from), 0);
        }

        #[test]
        fn day_kind_agrees_with_is_working_day(d in date_in_span()) {
            let cal = Calendar::mainland();
            let kind = cal.day_kind(d);
            prop_assert_eq!(cal.is_working_day(d), !is_rest_kind(&kind));
            if let DayKind::MakeUpWorkday(_) = kind {
                prop_assert!(matches!(d.weekday(), Weekday::Sat | Weekday::Sun));
            }
        }
    }
}
