//! The report as an XLSX workbook: one sheet per table, rates as numbers formatted as percentages (so
//! they can be summed and charted), native Excel charts over the tables.

use chrono::Datelike;
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook,
    Worksheet, XlsxError,
};

use crate::ReportError;
use crate::model::{Report, ReportKind, StepLine};

/// A cell: text, a count, a rate (a fraction shown as a percentage) or nothing.
enum Cell<'a> {
    Text(&'a str),
    Owned(String),
    Count(f64),
    Rate(Option<f64>),
    Score(Option<f64>),
}

struct Styles {
    title: Format,
    header: Format,
    text: Format,
    count: Format,
    rate: Format,
    score: Format,
}

impl Styles {
    fn new() -> Styles {
        let cell = Format::new()
            .set_border(FormatBorder::Thin)
            .set_font_name("宋体");
        Styles {
            title: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_font_name("宋体"),
            header: cell
                .clone()
                .set_bold()
                .set_background_color("EEF1F5")
                .set_align(FormatAlign::Center),
            text: cell.clone(),
            count: cell.clone().set_num_format("#,##0"),
            rate: cell.clone().set_num_format("0.0%"),
            score: cell.set_num_format("0.00"),
        }
    }
}

/// Write a table with its header at `row`; returns the row after it.
fn table(
    sheet: &mut Worksheet,
    styles: &Styles,
    row: u32,
    header: &[&str],
    rows: Vec<Vec<Cell<'_>>>,
) -> Result<u32, XlsxError> {
    for (col, h) in header.iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *h, &styles.header)?;
        sheet.set_column_width(col as u16, if col == 0 { 22 } else { 14 })?;
    }
    let mut r = row + 1;
    for cells in rows {
        for (col, cell) in cells.into_iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(t) => sheet.write_string_with_format(r, col, t, &styles.text)?,
                Cell::Owned(t) => sheet.write_string_with_format(r, col, t, &styles.text)?,
                Cell::Count(n) => sheet.write_number_with_format(r, col, n, &styles.count)?,
                Cell::Rate(Some(v)) => sheet.write_number_with_format(r, col, v, &styles.rate)?,
                Cell::Score(Some(v)) => sheet.write_number_with_format(r, col, v, &styles.score)?,
                Cell::Rate(None) | Cell::Score(None) => sheet.write_blank(r, col, &styles.text)?,
            };
        }
        r += 1;
    }
    Ok(r)
}

/// A bar chart of column `values` against column 0 over `rows` data rows below the header at `header_row`.
fn bar_chart(sheet_name: &str, title: &str, header_row: u32, rows: u32, values: &[u16]) -> Chart {
    let mut chart = Chart::new(ChartType::Bar);
    for col in values {
        chart
            .add_series()
            .set_name((sheet_name, header_row, *col))
            .set_categories((sheet_name, header_row + 1, 0, header_row + rows, 0))
            .set_values((sheet_name, header_row + 1, *col, header_row + rows, *col));
    }
    chart.title().set_name(title);
    chart.y_axis().set_reverse();
    chart
}

fn steps(list: &[StepLine]) -> Vec<Vec<Cell<'_>>> {
    list.iter()
        .map(|s| {
            vec![
                Cell::Text(&s.matter),
                Cell::Text(s.step),
                Cell::Owned(s.due.to_string()),
                Cell::Count(s.days_overdue as f64),
                Cell::Text(&s.unit),
                Cell::Text(&s.region),
                Cell::Text(&s.domain),
            ]
        })
        .collect()
}

const STEP_HEADER: [&str; 7] = [
    "事项编号",
    "环节",
    "期限",
    "超期天数",
    "责任单位",
    "问题属地",
    "内容分类",
];

fn build(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let styles = Styles::new();
    let mut book = Workbook::new();
    // A fixed creation time keeps the file the same for the same report.
    let created = ExcelDateTime::from_ymd(
        report.as_of.year() as u16,
        report.as_of.month() as u8,
        report.as_of.day() as u8,
    )?;
    book.set_properties(
        &DocProperties::new()
            .set_title(&report.title)
            .set_author(&report.issuer)
            .set_creation_datetime(&created),
    );

    {
        let sheet = book.add_worksheet().set_name("概览")?;
        sheet.write_string_with_format(0, 0, &report.title, &styles.title)?;
        sheet.write_string(1, 0, &report.subtitle)?;
        sheet.write_string(
            2,
            0,
            format!(
                "统计期 {} 至 {}，数据截至 {}",
                report.from, report.to, report.as_of
            ),
        )?;
        let mut header = vec!["指标", "本期", "分子", "分母", "去年同期", "同比"];
        if report.base_year.is_some() {
            header.extend(["基期同期", "较基期"]);
        }
        let value = |is_rate: bool, v: Option<f64>| {
            if is_rate {
                Cell::Rate(v)
            } else {
                v.map_or(Cell::Rate(None), Cell::Count)
            }
        };
        let rows = report
            .figures
            .iter()
            .map(|f| {
                let mut cells = vec![
                    Cell::Text(f.label),
                    value(f.is_rate, f.value),
                    Cell::Count(f.numerator as f64),
                    f.denominator
                        .map_or(Cell::Rate(None), |d| Cell::Count(d as f64)),
                    value(f.is_rate, f.year_earlier),
                    Cell::Rate(f.change),
                ];
                if report.base_year.is_some() {
                    cells.extend([value(f.is_rate, f.base), Cell::Rate(f.base_change)]);
                }
                cells
            })
            .collect();
        let mut row = table(sheet, &styles, 4, &header, rows)? + 1;
        sheet.write_string_with_format(row, 0, "情况说明", &styles.header)?;
        for p in &report.narrative {
            row += 1;
            sheet.write_string(row, 0, p)?;
        }
    }

    if report.kind == ReportKind::Daily {
        let sheet = book.add_worksheet().set_name("当日受理")?;
        let mut row = 0;
        for t in &report.intake {
            sheet.write_string_with_format(row, 0, &t.title, &styles.title)?;
            let rows = t
                .rows
                .iter()
                .map(|l| {
                    vec![
                        Cell::Text(&l.name),
                        Cell::Count(l.contacts as f64),
                        Cell::Count(l.persons as f64),
                        Cell::Rate(l.share),
                    ]
                })
                .collect();
            row = table(
                sheet,
                &styles,
                row + 1,
                &[&t.key_label, "件次", "人次", "占比"],
                rows,
            )? + 1;
        }
    }

    {
        let name = "各类问题";
        let sheet = book.add_worksheet().set_name(name)?;
        let rows: Vec<Vec<Cell<'_>>> = report
            .domains
            .iter()
            .map(|d| {
                vec![
                    Cell::Text(&d.domain),
                    Cell::Count(d.contacts as f64),
                    Cell::Rate(d.share),
                    Cell::Count(d.national as f64),
                    Cell::Rate(d.national_share),
                    Cell::Count(d.collective as f64),
                    Cell::Rate(d.collective_share),
                    Cell::Count(d.year_earlier as f64),
                    Cell::Rate(d.change),
                ]
            })
            .collect();
        let n = rows.len() as u32;
        table(
            sheet,
            &styles,
            0,
            &[
                "内容分类",
                "件次",
                "占总量",
                "进京件次",
                "占进京",
                "集体访件次",
                "占集体访",
                "去年同期",
                "同比",
            ],
            rows,
        )?;
        if n > 0 {
            let chart = bar_chart(name, "各类问题信访量（件次）", 0, n.min(10), &[1, 7]);
            sheet.insert_chart(n + 2, 0, &chart)?;
        }
    }

    if report.kind != ReportKind::Daily {
        for (name, lines, key) in [
            ("地区排名", &report.regions, "地区"),
            ("单位排名", &report.units, "单位"),
        ] {
            let sheet = book.add_worksheet().set_name(name)?;
            let rows: Vec<Vec<Cell<'_>>> = lines
                .iter()
                .map(|l| {
                    vec![
                        Cell::Text(&l.name),
                        l.rank
                            .map_or(Cell::Rate(None), |r| Cell::Count(f64::from(r))),
                        Cell::Score(l.composite),
                        Cell::Count(l.contacts as f64),
                        Cell::Rate(l.contacts_change),
                        Cell::Rate(l.timely_acceptance),
                        Cell::Rate(l.on_time_answer),
                        Cell::Rate(l.satisfaction),
                        Cell::Rate(l.one_time_resolution),
                        Cell::Rate(l.repeat_rate),
                    ]
                })
                .collect();
            let n = rows.len() as u32;
            table(
                sheet,
                &styles,
                0,
                &[
                    key,
                    "名次",
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
            )?;
            if n > 0 {
                let chart = bar_chart(name, "综合得分", 0, n.min(15), &[2]);
                sheet.insert_chart(n + 2, 0, &chart)?;
            }
        }
    }

    if report.kind == ReportKind::Daily {
        let sheet = book.add_worksheet().set_name("集体访进京")?;
        let rows = report
            .flagged
            .rows
            .iter()
            .map(|c| {
                vec![
                    Cell::Text(&c.matter),
                    Cell::Owned(c.day.to_string()),
                    Cell::Text(c.channel),
                    Cell::Count(c.persons as f64),
                    Cell::Text(c.kind_text()),
                    Cell::Text(&c.region),
                    Cell::Text(&c.domain),
                ]
            })
            .collect();
        table(
            sheet,
            &styles,
            0,
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
        )?;
    }

    {
        let sheet = book.add_worksheet().set_name("超期事项")?;
        table(sheet, &styles, 0, &STEP_HEADER, steps(&report.overdue.rows))?;
    }
    if report.kind == ReportKind::Daily {
        let sheet = book.add_worksheet().set_name("三日内到期")?;
        let mut header = STEP_HEADER;
        header[3] = "超期天数（负数为剩余天数）";
        table(sheet, &styles, 0, &header, steps(&report.due_soon.rows))?;
    }
    {
        let sheet = book.add_worksheet().set_name("不满意事项")?;
        let rows = report
            .unsatisfied
            .rows
            .iter()
            .map(|x| {
                vec![
                    Cell::Text(&x.matter),
                    Cell::Owned(x.day.to_string()),
                    Cell::Owned(x.target_text()),
                    Cell::Text(&x.unit),
                    Cell::Text(&x.region),
                    Cell::Text(&x.domain),
                ]
            })
            .collect();
        table(
            sheet,
            &styles,
            0,
            &[
                "事项编号",
                "评价日期",
                "评价对象",
                "单位",
                "问题属地",
                "内容分类",
            ],
            rows,
        )?;
    }
    book.save_to_buffer()
}

pub(crate) fn workbook(report: &Report) -> Result<Vec<u8>, ReportError> {
    build(report).map_err(|e| ReportError::Write {
        format: "XLSX",
        message: e.to_string(),
    })
}
