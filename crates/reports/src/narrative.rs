//! The short narrative of a report, in the register of official reports ("本期共登记信访事项…件次，同比
//! 下降…%"), and the number formats every format shares.

use crate::model::{FigureLine, Report, ReportKind};

/// "98.6%"; "—" when there is nothing to divide.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// A count, or a rate as a percentage.
pub fn figure_value(line: &FigureLine) -> String {
    match (line.is_rate, line.value) {
        (true, v) => percent(v),
        (false, Some(v)) => format!("{v:.0}"),
        (false, None) => "—".to_owned(),
    }
}

/// "上升12.5%", "下降3.0个百分点", "持平"; "—" without a comparison.
pub fn change_text(change: Option<f64>, is_rate: bool) -> String {
    let Some(c) = change else {
        return "—".to_owned();
    };
    let amount = (c * 1000.0).round() / 10.0;
    if amount == 0.0 {
        return "持平".to_owned();
    }
    let (word, amount) = if amount > 0.0 {
        (if is_rate { "提高" } else { "上升" }, amount)
    } else {
        (if is_rate { "降低" } else { "下降" }, -amount)
    };
    if is_rate {
        format!("{word}{amount:.1}个百分点")
    } else {
        format!("{word}{amount:.1}%")
    }
}

fn line<'a>(r: &'a Report, code: &str) -> Option<&'a FigureLine> {
    r.figures.iter().find(|f| f.code == code)
}

fn count(r: &Report, code: &str) -> u64 {
    line(r, code).map_or(0, |f| f.numerator)
}

fn names(list: &[String]) -> String {
    list.join("、")
}

/// The report's paragraphs.
pub fn paragraphs(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let period = match r.kind {
        ReportKind::Daily => "当日",
        _ => "本期",
    };
    let contacts = count(r, "contacts");
    let yoy = line(r, "contacts")
        .map(|f| match f.change {
            Some(_) => format!("，同比{}", change_text(f.change, false)),
            None => "，去年同期无可比数据".to_owned(),
        })
        .unwrap_or_default();
    let online = line(r, "online_share");
    out.push(format!(
        "{period}{scope}共登记信访事项{contacts}件次、{persons}人次，涉及{matters}件{yoy}。其中网上信访{online_n}件次，占{online_share}；集体访{collective}件次，进京{national}件次。",
        scope = r.issuer,
        persons = count(r, "persons"),
        matters = count(r, "matters"),
        online_n = online.map_or(0, |f| f.numerator),
        online_share = percent(online.and_then(|f| f.value)),
        collective = count(r, "collective"),
        national = count(r, "national"),
    ));

    let top: Vec<_> = r
        .domains
        .iter()
        .filter(|d| d.contacts > 0)
        .take(3)
        .collect();
    if !top.is_empty() {
        out.push(format!(
            "从反映的问题看，{}类问题较为集中，分别占信访总量的{}。",
            names(&top.iter().map(|d| d.domain.clone()).collect::<Vec<_>>()),
            names(&top.iter().map(|d| percent(d.share)).collect::<Vec<_>>()),
        ));
    }

    if r.kind != ReportKind::Daily {
        let rate = |code: &str| {
            let f = line(r, code);
            let value = percent(f.and_then(|f| f.value));
            match f.and_then(|f| f.change) {
                Some(c) => format!("{value}（同比{}）", change_text(Some(c), true)),
                None => value,
            }
        };
        out.push(format!(
            "{period}及时受理率{}，按期答复率{}，参评率{}，群众满意率{}，一次性化解率{}。",
            rate("timely_acceptance"),
            rate("on_time_answer"),
            rate("participation"),
            rate("satisfaction"),
            rate("one_time_resolution"),
        ));
        let ranked: Vec<String> = r
            .regions
            .iter()
            .filter(|l| l.rank.is_some())
            .map(|l| l.name.clone())
            .collect();
        if ranked.len() >= 6 {
            out.push(format!(
                "按综合得分排名，{}位列前三；{}排名靠后，请有关地区查找原因、加强整改。",
                names(&ranked[..3]),
                names(&ranked[ranked.len() - 3..]),
            ));
        }
    }

    if r.overdue.total > 0 {
        let mut units: Vec<&str> = r.overdue.rows.iter().map(|s| s.unit.as_str()).collect();
        units.sort_unstable();
        units.dedup();
        out.push(format!(
            "截至{}，尚有{}件信访事项超过办理期限，涉及{}个单位，请有关单位抓紧办理，按期答复。",
            date(r.to.min(r.as_of)),
            r.overdue.total,
            units.len()
        ));
    } else {
        out.push(format!(
            "截至{}，无超过办理期限的信访事项。",
            date(r.to.min(r.as_of))
        ));
    }
    if r.due_soon.total > 0 {
        out.push(format!(
            "另有{}件将在三日内到期，请提前安排。",
            r.due_soon.total
        ));
    }
    if r.unsatisfied.total > 0 {
        out.push(format!(
            "{period}群众评价“不满意”{}件次，请责任单位及时回访，做好解释和复查工作。",
            r.unsatisfied.total
        ));
    }
    if contacts == 0 {
        // A quiet day still has its deadlines and ratings: only the intake sentence changes.
        out[0] = format!("{period}{}未登记信访事项。", r.issuer);
    }
    out
}

/// "2026年11月15日".
pub fn date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}
