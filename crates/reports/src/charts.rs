//! The reports' charts as SVG (plotters): one picture serves the web page and the PDF, and a PNG of it
//! (resvg, with the system's fonts) the DOCX. The XLSX draws native Excel charts from its own tables.

use plotters::prelude::*;
use plotters::style::FontFamily;

use crate::ReportError;
use crate::model::Report;

/// Font family names as the fonts name themselves; SVG readers (browsers, typst, resvg) find them.
pub const SANS: &str = "Noto Sans CJK SC";

const WIDTH: u32 = 640;
const BAR: RGBColor = RGBColor(0x1f, 0x5f, 0xa8);
const EARLIER: RGBColor = RGBColor(0xb0, 0xb8, 0xc4);

/// One chart of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// A file name for formats that keep pictures apart ("domains.svg").
    pub name: &'static str,
    pub title: String,
    pub svg: String,
}

fn font(size: u32) -> TextStyle<'static> {
    (FontFamily::Name(SANS), size).into_font().color(&BLACK)
}

fn chart_error(e: impl std::fmt::Display) -> ReportError {
    ReportError::Chart(e.to_string())
}

/// Horizontal bars, one per label, with an optional second (lighter) bar for a year earlier.
fn bars(
    title: &str,
    rows: &[(String, u64, Option<u64>)],
    legend: (&str, &str),
) -> Result<String, ReportError> {
    // Row 0 is drawn at the bottom: reversed, the largest comes first from the top.
    let rows: Vec<(String, u64, Option<u64>)> = rows.iter().rev().cloned().collect();
    let rows = rows.as_slice();
    let mut svg = String::new();
    let height = 60 + 28 * rows.len().max(1) as u32;
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let max = rows
            .iter()
            .map(|(_, n, e)| (*n).max(e.unwrap_or(0)))
            .max()
            .unwrap_or(0)
            .max(1);
        let n = rows.len().max(1) as u32;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, font(16))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(150)
            .build_cartesian_2d(0u64..max + max / 8 + 1, (0u32..n).into_segmented())
            .map_err(chart_error)?;
        let labels: Vec<String> = rows.iter().map(|(l, _, _)| l.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows.len().max(1))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .label_style(font(12))
            .draw()
            .map_err(chart_error)?;
        let has_earlier = rows.iter().any(|(_, _, e)| e.is_some());
        chart
            .draw_series(
                rows.iter()
                    .enumerate()
                    .map(|(i, (_, now, _))| bar_rect(i, *now, has_earlier, true, BAR)),
            )
            .map_err(chart_error)?
            .label(legend.0)
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], BAR.filled()));
        if has_earlier {
            chart
                .draw_series(
                    rows.iter()
                        .enumerate()
                        .filter(|(_, (_, _, before))| before.is_some_and(|b| b > 0))
                        .map(|(i, (_, _, before))| {
                            bar_rect(i, before.unwrap_or(0), true, false, EARLIER)
                        }),
                )
                .map_err(chart_error)?
                .label(legend.1)
                .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], EARLIER.filled()));
            chart
                .configure_series_labels()
                .label_font(font(12))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK.mix(0.3))
                .position(SeriesLabelPosition::LowerRight)
                .draw()
                .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// A bar in row `i`: the whole row's height without a second series, else its upper or lower half.
fn bar_rect(
    i: usize,
    value: u64,
    paired: bool,
    upper: bool,
    color: RGBColor,
) -> Rectangle<(u64, SegmentValue<u32>)> {
    let row = i as u32;
    let (from, to) = match (paired, upper) {
        (false, _) => (SegmentValue::Exact(row), SegmentValue::Exact(row + 1)),
        (true, true) => (SegmentValue::Exact(row), SegmentValue::CenterOf(row)),
        (true, false) => (SegmentValue::CenterOf(row), SegmentValue::Exact(row + 1)),
    };
    let mut rect = Rectangle::new([(0, from), (value, to)], color.filled());
    rect.set_margin(3, 3, 0, 0);
    rect
}

/// The report's charts: contacts by domain, and by region with a year earlier.
pub fn charts(r: &Report) -> Result<Vec<Chart>, ReportError> {
    let mut out = Vec::new();
    let domains: Vec<(String, u64, Option<u64>)> = r
        .domains
        .iter()
        .take(10)
        .map(|d| (d.domain.clone(), d.contacts, Some(d.year_earlier)))
        .collect();
    if !domains.is_empty() {
        let title = "各类问题信访量（件次）".to_owned();
        out.push(Chart {
            name: "domains.svg",
            svg: bars(&title, &domains, ("本期", "去年同期"))?,
            title,
        });
    }
    let mut regions: Vec<(String, u64, Option<u64>)> = r
        .regions
        .iter()
        .map(|l| {
            let before = l
                .contacts_change
                .map(|c| (l.contacts as f64 / (1.0 + c)).round() as u64);
            (l.name.clone(), l.contacts, before)
        })
        .collect();
    regions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    regions.truncate(12);
    if !regions.is_empty() {
        let title = "各地区信访量（件次）".to_owned();
        out.push(Chart {
            name: "regions.svg",
            svg: bars(&title, &regions, ("本期", "去年同期"))?,
            title,
        });
    }
    Ok(out)
}

/// A chart as PNG at `scale` times its size, drawn with the system's fonts (for the DOCX).
pub fn png(svg: &str, scale: f32) -> Result<Vec<u8>, ReportError> {
    use resvg::{tiny_skia, usvg};
    let mut options = usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    options.font_family = SANS.to_owned();
    let tree = usvg::Tree::from_str(svg, &options).map_err(chart_error)?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or_else(|| chart_error("图表尺寸无效"))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| chart_error("图表尺寸无效"))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(chart_error)
}
