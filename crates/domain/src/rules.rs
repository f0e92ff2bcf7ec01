//! Settings that differ between provinces (brief: "configurable"), with the defaults of the brief.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::{DayCount, Period};
use crate::catalog::DomainTree;
use crate::figures::Metric;

/// The legal periods of brief §5. Defaults follow the 信访工作条例 (2022) as commonly applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Deadlines {
    /// 分流: the bureau decides what to do within this period of receipt.
    pub triage: Period,
    /// 受理: the competent unit decides on acceptance within this period of receiving the matter.
    pub acceptance: Period,
    /// A unit that is not competent returns the matter within this period.
    pub return_to_bureau: Period,
    /// 办理: the written opinion within this period of acceptance.
    pub answer: Period,
    /// The one extension may add at most this many days.
    pub max_extension_days: u32,
    /// How extension days are counted.
    pub extension_count: DayCount,
    /// 评价: the petitioner rates within this period of receiving the opinion.
    pub evaluation: Period,
    /// With no opinion this long after filing, the petitioner may rate anyway.
    pub evaluation_without_answer: Period,
    /// 复查 request within this period of receiving the opinion.
    pub review_request: Period,
    /// 复查 opinion within this period of the request.
    pub review_answer: Period,
    /// 复核 request within this period of receiving the review opinion.
    pub rereview_request: Period,
    /// 复核 opinion within this period of the request.
    pub rereview_answer: Period,
    /// A period ending on a rest day ends on the next working day instead (calendar-day periods only).
    pub roll_to_working_day: bool,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            triage: Period::calendar(15),
            acceptance: Period::calendar(15),
            return_to_bureau: Period::working(5),
            answer: Period::calendar(60),
            max_extension_days: 30,
            extension_count: DayCount::Calendar,
            evaluation: Period::calendar(30),
            evaluation_without_answer: Period::calendar(90),
            review_request: Period::calendar(30),
            review_answer: Period::calendar(30),
            rereview_request: Period::calendar(30),
            rereview_answer: Period::calendar(30),
            roll_to_working_day: true,
        }
    }
}

impl Deadlines {
    /// Every period counted in working days, as 12345 hotlines and some provinces do.
    pub fn all_working_days(mut self) -> Self {
        for p in [
            &mut self.triage,
            &mut self.acceptance,
            &mut self.return_to_bureau,
            &mut self.answer,
            &mut self.evaluation,
            &mut self.evaluation_without_answer,
            &mut self.review_request,
            &mut self.review_answer,
            &mut self.rereview_request,
            &mut self.rereview_answer,
        ] {
            p.count = DayCount::Working;
        }
        self.extension_count = DayCount::Working;
        self
    }
}

/// The configurable rules the workflow consults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rules {
    pub deadlines: Deadlines,
    /// A visit of this many people or more is a collective visit (集体访).
    pub collective_threshold: u32,
    /// A collective visit elects at most this many representatives.
    pub max_representatives: u32,
    pub domains: DomainTree,
    pub figures: FigureRules,
}

/// How the figures of brief §6 are counted where provinces differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FigureRules {
    /// 一次性化解率: a repeat contact received within this many days after the answer means the matter was
    /// not resolved the first time.
    pub repeat_window_days: u32,
    /// 按期答复率: also count, in the denominator, answers still pending and not yet due at the period's end
    /// (the "按期办结率" variant some provinces use).
    pub answers_count_not_yet_due: bool,
    /// Weights of the composite score used to rank regions and units.
    pub weights: BTreeMap<Metric, u32>,
}

impl Default for FigureRules {
    fn default() -> Self {
        Self {
            repeat_window_days: 90,
            answers_count_not_yet_due: false,
            weights: Metric::default_weights(),
        }
    }
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            deadlines: Deadlines::default(),
            collective_threshold: 5,
            max_representatives: 5,
            domains: DomainTree::default(),
            figures: FigureRules::default(),
        }
    }
}
