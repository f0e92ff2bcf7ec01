//! The report as Typst markup for the PDF: A4 with the margins of GB/T 9704, Noto Serif CJK SC for the
//! text and Noto Sans CJK SC for headings and tables (Debian's fonts-noto-cjk), the charts as SVG files
//! beside the markup. No space is put between Chinese and Latin or digits (Typst's default), as official
//! documents are set. Every piece of text goes in as a Typst string, so nothing in the data is markup.

use std::fmt::Write;

use xinfang_domain::documents::IssuedDocument;

use crate::charts::{Chart, SANS};
use crate::html::drill_link;
use crate::model::Report;
use crate::sections::{TextTable, sections};

/// The PDF's body face; a PDF engine without it would set every character as a blank box.
pub const SERIF: &str = "Noto Serif CJK SC";

/// A Typst string literal.
fn s(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn table(out: &mut String, t: &TextTable) {
    if let Some(c) = &t.caption {
        let _ = writeln!(out, "#{}\n", s(c));
    }
    let _ = write!(
        out,
        "#table(columns: {}, align: (x, y) => if x == 0 {{ left }} else {{ center }}, table.header(",
        t.header.len()
    );
    for h in &t.header {
        let _ = write!(out, "[*#{}*], ", s(h));
    }
    out.push_str("),\n");
    if t.rows.is_empty() {
        let _ = writeln!(out, "table.cell(colspan: {})[#\"无\"],", t.header.len());
    }
    for row in &t.rows {
        for c in &row.cells {
            let _ = write!(out, "[#{}], ", s(c));
        }
        out.push('\n');
    }
    out.push_str(")\n");
    if let Some(n) = &t.note {
        let _ = writeln!(out, "#text(size: 9pt, {})\n", s(n));
    }
}

/// The markup and the files it refers to (the charts).
pub fn typst_source(report: &Report, charts: &[Chart]) -> (String, Vec<(String, Vec<u8>)>) {
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"#set document(title: {title}, author: {issuer}, date: none)
#set page(paper: "a4", margin: (top: 37mm, bottom: 35mm, left: 28mm, right: 26mm),
  footer: context align(center, text(size: 10pt, "— " + str(counter(page).get().first()) + " —")))
#set text(font: ("{SERIF}",), size: 12pt, lang: "zh", region: "cn", cjk-latin-spacing: none)
#set par(first-line-indent: (amount: 2em, all: true), leading: 0.9em, justify: true)
#show heading: set text(font: ("{SANS}",), size: 13pt, weight: "bold")
#show heading: set block(above: 1.4em, below: 0.8em)
#show table: set text(font: ("{SANS}",), size: 8.5pt)
#show table: set par(first-line-indent: 0pt, justify: false)
#set table(stroke: 0.5pt + luma(90), inset: 4pt)
#align(center, text(size: 20pt, weight: "bold", fill: rgb("#b00000"), {title}))
#align(center, text(size: 12pt, {subtitle}))
#align(center, text(size: 10pt, fill: luma(80), {meta}))
#line(length: 100%, stroke: 1pt + rgb("#b00000"))
"##,
        title = s(&report.title),
        issuer = s(&report.issuer),
        subtitle = s(&report.subtitle),
        meta = s(&format!(
            "统计期 {} 至 {}，数据截至 {}",
            report.from, report.to, report.as_of
        )),
    );

    let mut files = Vec::new();
    for section in sections(report, &|parts| drill_link(report, parts)) {
        let _ = writeln!(out, "\n= #{}\n", s(&section.heading));
        for p in &section.paragraphs {
            let _ = writeln!(out, "#{}\n", s(p));
        }
        for t in &section.tables {
            table(&mut out, t);
        }
        if section.charts {
            for c in charts {
                let _ = writeln!(
                    out,
                    "#align(center, image({}, width: 88%, alt: {}))",
                    s(c.name),
                    s(&c.title)
                );
                files.push((c.name.to_owned(), c.svg.clone().into_bytes()));
            }
        }
    }
    let _ = writeln!(
        out,
        "\n#v(2em)\n#align(right, {})\n#align(right, {})",
        s(&report.issuer),
        s(&crate::narrative::date(report.as_of))
    );
    (out, files)
}

/// A document (文书) as issued, as Typst markup: the same layout as its DOCX.
pub fn document_source(d: &IssuedDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"#set document(title: {title}, author: {issuer}, date: none)
#set page(paper: "a4", margin: (top: 37mm, bottom: 35mm, left: 28mm, right: 26mm))
#set text(font: ("{SERIF}",), size: 15pt, lang: "zh", region: "cn", cjk-latin-spacing: none)
#set par(first-line-indent: (amount: 2em, all: true), leading: 0.9em, spacing: 0.9em, justify: true)
#align(center, text(size: 21pt, weight: "bold", {title}))
#align(center, {number})
#v(1em)
#par(first-line-indent: 0pt, {addressee})
"##,
        title = s(&d.title),
        issuer = s(&d.issuer_name),
        number = s(&d.number.to_string()),
        addressee = s(&d.addressee),
    );
    for p in &d.paragraphs {
        let _ = writeln!(out, "#{}\n", s(p));
    }
    let _ = writeln!(
        out,
        "#v(2em)\n#align(right, {})\n#align(right, {})",
        s(&d.issuer_name),
        s(&crate::narrative::date(d.issued_on))
    );
    out
}
