//! The report as a DOCX in the layout of official documents (GB/T 9704): A4, the margins of the
//! standard, the title in 小标宋 二号, the body in 仿宋 三号 with headings in 黑体, tables in 宋体 五号. Fonts
//! are named, not embedded: Word on an office PC has them, LibreOffice substitutes by fontconfig.

use docx_rs::{
    AlignmentType, BreakType, Docx, LineSpacing, PageMargin, Paragraph, Pic, Run, RunFonts, Table,
    TableCell, TableRow, WidthType,
};

use xinfang_domain::documents::IssuedDocument;

use crate::ReportError;
use crate::charts::{Chart, png};
use crate::html::drill_link;
use crate::model::Report;
use crate::sections::{TextTable, sections};

const TITLE_FONT: &str = "方正小标宋简体";
const BODY_FONT: &str = "仿宋_GB2312";
const HEADING_FONT: &str = "黑体";
const TABLE_FONT: &str = "宋体";
/// Sizes in half-points: 二号 22 pt, 三号 16 pt, 五号 10.5 pt.
const TITLE_SIZE: usize = 44;
const BODY_SIZE: usize = 32;
const TABLE_SIZE: usize = 21;
/// Twips per millimetre.
const MM: f64 = 56.693;
/// EMUs per pixel at 96 dpi.
const EMU_PER_PX: u32 = 9525;
/// The text width of an A4 page with these margins, in pixels at 96 dpi.
const MAX_PICTURE_PX: u32 = 590;

fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new()
        .add_text(text)
        .fonts(RunFonts::new().east_asia(font).ascii(font).hi_ansi(font))
        .size(size)
}

/// A line of the body: indented two characters, at the standard's fixed line spacing (28 pt).
fn indented(text: &str, font: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, font, BODY_SIZE))
        .indent(
            None,
            Some(docx_rs::SpecialIndentType::FirstLine(640)),
            None,
            None,
        )
        .line_spacing(LineSpacing::new().line(560))
}

fn body(text: &str) -> Paragraph {
    indented(text, BODY_FONT)
}

fn heading(text: &str) -> Paragraph {
    indented(text, HEADING_FONT)
}

fn cell(text: &str, header: bool) -> TableCell {
    let mut r = run(text, TABLE_FONT, TABLE_SIZE);
    if header {
        r = r.bold();
    }
    TableCell::new().add_paragraph(Paragraph::new().add_run(r).align(if header {
        AlignmentType::Center
    } else {
        AlignmentType::Left
    }))
}

fn table(t: &TextTable) -> Table {
    let mut all = vec![TableRow::new(
        t.header.iter().map(|h| cell(h, true)).collect(),
    )];
    if t.rows.is_empty() {
        let mut row = vec![cell("无", false)];
        row.extend((1..t.header.len()).map(|_| cell("", false)));
        all.push(TableRow::new(row));
    }
    all.extend(
        t.rows
            .iter()
            .map(|r| TableRow::new(r.cells.iter().map(|c| cell(c, false)).collect())),
    );
    Table::new(all).width(5000, WidthType::Pct)
}

fn picture(chart: &Chart, index: usize) -> Result<Paragraph, ReportError> {
    let image = png(&chart.svg, 2.0)?;
    let (w, h) = png_size(&image).ok_or_else(|| ReportError::Chart("图表图片无效".into()))?;
    // Drawn at twice the size for print, shown at the chart's own size, at most the text width.
    let (w, h) = (w / 2, h / 2);
    let (w, h) = if w > MAX_PICTURE_PX {
        (MAX_PICTURE_PX, h * MAX_PICTURE_PX / w)
    } else {
        (w, h)
    };
    Ok(Paragraph::new()
        .add_run(
            Run::new().add_image(
                // docx-rs numbers pictures from a process-wide counter: a fixed id keeps the file the same.
                Pic::new_with_dimensions(image, w * 2, h * 2)
                    .id(format!("rIdImage{}", index + 1))
                    .size(w * EMU_PER_PX, h * EMU_PER_PX),
            ),
        )
        .align(AlignmentType::Center))
}

/// An empty A4 document with the standard's margins, dated `day` (so the file does not change).
fn a4(day: chrono::NaiveDate) -> Docx {
    let signed = format!("{day}T00:00:00Z");
    Docx::new()
        .created_at(&signed)
        .updated_at(&signed)
        .page_size((210.0 * MM) as u32, (297.0 * MM) as u32)
        .page_margin(
            PageMargin::new()
                .top((37.0 * MM) as i32)
                .bottom((35.0 * MM) as i32)
                .left((28.0 * MM) as i32)
                .right((26.0 * MM) as i32),
        )
}

/// Right-aligned lines closing a document: the issuer and the date.
fn signature(doc: Docx, issuer: &str, day: chrono::NaiveDate) -> Docx {
    doc.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::TextWrapping)))
        .add_paragraph(
            Paragraph::new()
                .add_run(run(issuer, BODY_FONT, BODY_SIZE))
                .align(AlignmentType::Right),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&crate::narrative::date(day), BODY_FONT, BODY_SIZE))
                .align(AlignmentType::Right),
        )
}

fn pack(doc: Docx) -> Result<Vec<u8>, ReportError> {
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| ReportError::Write {
        format: "DOCX",
        message: e.to_string(),
    })?;
    Ok(out.into_inner())
}

/// A document (文书) as issued: title, number, addressee, body, issuer and date.
pub(crate) fn official_document(d: &IssuedDocument) -> Result<Vec<u8>, ReportError> {
    let mut doc = a4(d.issued_on)
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&d.title, TITLE_FONT, TITLE_SIZE))
                .align(AlignmentType::Center),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&d.number.to_string(), BODY_FONT, BODY_SIZE))
                .align(AlignmentType::Center),
        )
        .add_paragraph(Paragraph::new())
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&d.addressee, BODY_FONT, BODY_SIZE))
                .line_spacing(LineSpacing::new().line(560)),
        );
    for p in &d.paragraphs {
        doc = doc.add_paragraph(body(p));
    }
    pack(signature(doc, &d.issuer_name, d.issued_on))
}

pub(crate) fn document(report: &Report, charts: &[Chart]) -> Result<Vec<u8>, ReportError> {
    let mut doc = a4(report.as_of)
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&report.title, TITLE_FONT, TITLE_SIZE))
                .align(AlignmentType::Center),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(run(&report.subtitle, BODY_FONT, BODY_SIZE))
                .align(AlignmentType::Center),
        )
        .add_paragraph(Paragraph::new());
    for s in sections(report, &|parts| drill_link(report, parts)) {
        doc = doc.add_paragraph(heading(&s.heading));
        for p in &s.paragraphs {
            doc = doc.add_paragraph(body(p));
        }
        for t in &s.tables {
            if let Some(c) = &t.caption {
                doc = doc.add_paragraph(body(c));
            }
            doc = doc.add_table(table(t));
            if let Some(n) = &t.note {
                doc = doc.add_paragraph(Paragraph::new().add_run(run(n, TABLE_FONT, TABLE_SIZE)));
            }
        }
        if s.charts {
            for (i, c) in charts.iter().enumerate() {
                doc = doc.add_paragraph(picture(c, i)?);
            }
        }
    }
    pack(signature(doc, &report.issuer, report.as_of))
}

/// Width and height of a PNG, from its header.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    let w = png.get(16..20)?;
    let h = png.get(20..24)?;
    Some((
        u32::from_be_bytes(w.try_into().ok()?),
        u32::from_be_bytes(h.try_into().ok()?),
    ))
}
