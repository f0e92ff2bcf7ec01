//! A report as numbered sections of paragraphs and text tables: what the web page, the DOCX and the PDF
//! show, written once so the three say the same thing in the same order. (The XLSX keeps numbers as
//! numbers and has its own sheets.)

use crate::model::{Listed, Report, ReportKind, StepLine};
use crate::narrative::{change_text, figure_value, percent};

/// One row of a text table; `link` is the drill-down of its second cell (the figure's value).
pub(crate) struct Row {
    pub cells: Vec<String>,
    pub link: Option<String>,
}

pub(crate) struct TextTable {
    pub caption: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
    /// Said under the table when the list was cut ("仅列前 200 件").
    pub note: Option<String>,
}

pub(crate) struct Section {
    /// "一、总体情况".
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub tables: Vec<TextTable>,
    /// Whether the charts go here.
    pub charts: bool,
}

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

fn header(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

fn plain(cells: Vec<String>) -> Row {
    Row { cells, link: None }
}

fn table(header_cells: &[&str], rows: Vec<Row>) -> TextTable {
    TextTable {
        caption: None,
        header: header(header_cells),
        rows,
        note: None,
    }
}

fn cut_note<T>(list: &Listed<T>, unit: &str) -> Option<String> {
    (list.total > list.rows.len()).then(|| format!("仅列前 {} {unit}。", list.rows.len()))
}

fn steps(list: &Listed<StepLine>, late: bool) -> TextTable {
    let rows = list
        .rows
        .iter()
        .map(|x| {
            plain(vec![
                x.matter.clone(),
                x.step.to_owned(),
                x.due.to_string(),
                if late {
                    x.days_overdue
                } else {
                    -x.days_overdue
                }
                .to_string(),
                x.unit.clone(),
                x.region.clone(),
                x.domain.clone(),
            ])
        })
        .collect();
    TextTable {
        note: cut_note(list, "件"),
        ..table(
            &[
                "事项编号",
                "环节",
                "期限",
                if late { "超期天数" } else { "剩余天数" },
                "责任单位",
                "问题属地",
                "内容分类",
            ],
            rows,
        )
    }
}

/// The sections of `r`, numbered; `drill(parts)` makes the link to a figure's matters.
pub(crate) fn sections(r: &Report, drill: &dyn Fn(&[&str]) -> String) -> Vec<Section> {
    let mut out: Vec<(String, Vec<String>, Vec<TextTable>, bool)> = Vec::new();
    out.push(("总体情况".into(), r.narrative.clone(), Vec::new(), false));

    let mut head = vec!["指标", "本期", "分子/分母", "去年同期", "同比"];
    let base = r.base_year.map(|y| format!("{y}年同期"));
    if let Some(b) = &base {
        head.extend([b.as_str(), "较基期"]);
    }
    let rows = r
        .figures
        .iter()
        .map(|f| {
            let shown = |value| figure_value(&crate::model::FigureLine { value, ..f.clone() });
            let mut cells = vec![
                f.label.to_owned(),
                shown(f.value),
                f.denominator
                    .map_or_else(|| "—".to_owned(), |d| format!("{}/{d}", f.numerator)),
                shown(f.year_earlier),
                change_text(f.change, f.is_rate),
            ];
            if r.base_year.is_some() {
                cells.extend([shown(f.base), change_text(f.base_change, f.is_rate)]);
            }
            Row {
                cells,
                link: Some(drill(&f.parts)),
            }
        })
        .collect();
    out.push((
        "主要指标".into(),
        Vec::new(),
        vec![table(&head, rows)],
        false,
    ));

    if r.kind == ReportKind::Daily {
        let tables = r
            .intake
            .iter()
            .map(|t| TextTable {
                caption: Some(t.title.clone()),
                ..table(
                    &[&t.key_label, "件次", "人次", "占比"],
                    t.rows
                        .iter()
                        .map(|l| {
                            plain(vec![
                                l.name.clone(),
                                l.contacts.to_string(),
                                l.persons.to_string(),
                                percent(l.share),
                            ])
                        })
                        .collect(),
                )
            })
            .collect();
        out.push(("当日受理情况".into(), Vec::new(), tables, false));
    }

    let rows = r
        .domains
        .iter()
        .map(|d| {
            plain(vec![
                d.domain.clone(),
                d.contacts.to_string(),
                percent(d.share),
                d.national.to_string(),
                percent(d.national_share),
                d.collective.to_string(),
                percent(d.collective_share),
                d.year_earlier.to_string(),
                change_text(d.change, false),
            ])
        })
        .collect();
    out.push((
        "各类问题分布".into(),
        Vec::new(),
        vec![table(
            &[
                "内容分类",
                "件次",
                "占总量",
                "进京",
                "占进京",
                "集体访",
                "占集体访",
                "去年同期",
                "同比",
            ],
            rows,
        )],
        true,
    ));

    if r.kind == ReportKind::Daily {
        let rows = r
            .flagged
            .rows
            .iter()
            .map(|c| {
                plain(vec![
                    c.matter.clone(),
                    c.day.to_string(),
                    c.channel.to_owned(),
                    c.persons.to_string(),
                    c.kind_text().to_owned(),
                    c.region.clone(),
                    c.domain.clone(),
                ])
            })
            .collect();
        out.push((
            format!("新增集体访、进京信访（{}件次）", r.flagged.total),
            Vec::new(),
            vec![TextTable {
                note: cut_note(&r.flagged, "件次"),
                ..table(
                    &[
                        "事项编号",
                        "日期",
                        "形式",
                        "人次",
                        "类别",
                        "问题属地",
                        "内容分类",
                    ],
                    rows,
                )
            }],
            false,
        ));
    } else {
        for (title, lines, key) in [
            ("各地区排名", &r.regions, "地区"),
            ("各单位排名", &r.units, "单位"),
        ] {
            let rows = lines
                .iter()
                .map(|l| {
                    plain(vec![
                        l.rank.map_or_else(|| "—".to_owned(), |r| r.to_string()),
                        l.name.clone(),
                        l.composite
                            .map_or_else(|| "—".to_owned(), |v| format!("{v:.2}")),
                        l.contacts.to_string(),
                        change_text(l.contacts_change, false),
                        percent(l.timely_acceptance),
                        percent(l.on_time_answer),
                        percent(l.satisfaction),
                        percent(l.one_time_resolution),
                        percent(l.repeat_rate),
                    ])
                })
                .collect();
            out.push((
                title.into(),
                Vec::new(),
                vec![table(
                    &[
                        "名次",
                        key,
                        "综合得分",
                        "件次",
                        "同比",
                        "及时受理率",
                        "按期答复率",
                        "群众满意率",
                        "一次性化解率",
                        "重复信访率",
                    ],
                    rows,
                )],
                false,
            ));
        }
    }

    out.push((
        format!("超期未办结事项（{}件）", r.overdue.total),
        Vec::new(),
        vec![steps(&r.overdue, true)],
        false,
    ));
    if r.kind == ReportKind::Daily {
        out.push((
            format!("三日内到期事项（{}件）", r.due_soon.total),
            Vec::new(),
            vec![steps(&r.due_soon, false)],
            false,
        ));
    }
    let rows = r
        .unsatisfied
        .rows
        .iter()
        .map(|x| {
            plain(vec![
                x.matter.clone(),
                x.day.to_string(),
                x.target_text(),
                x.unit.clone(),
                x.region.clone(),
                x.domain.clone(),
            ])
        })
        .collect();
    out.push((
        format!("群众评价不满意事项（{}件次）", r.unsatisfied.total),
        Vec::new(),
        vec![TextTable {
            note: cut_note(&r.unsatisfied, "件次"),
            ..table(
                &[
                    "事项编号",
                    "评价日期",
                    "评价对象",
                    "单位",
                    "问题属地",
                    "内容分类",
                ],
                rows,
            )
        }],
        false,
    ));

    out.into_iter()
        .zip(NUMERALS)
        .map(|((title, paragraphs, tables, charts), n)| Section {
            heading: format!("{n}、{title}"),
            paragraphs,
            tables,
            charts,
        })
        .collect()
}
