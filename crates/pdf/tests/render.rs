//! Renders real documents and reads them back with poppler-utils (pdftotext, pdftoppm, pdffonts).
//!
//! The checks that need the Noto CJK fonts or poppler-utils print SKIPPED and return when either is not
//! installed, except under CI (`CI` set, as `.ci/run` runs), where that is a failure: CI installs both, and
//! must never pass by skipping.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use xinfang_pdf::{Pdf, PdfError};

const TITLE: &str = "关于2026年11月上半月信访工作情况的通报";

/// A chart as the reports crate will make one: two bars and a label, with Chinese text in the SVG.
const CHART: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">
  <rect x="20" y="30" width="50" height="60" fill="#c0392b"/>
  <rect x="110" y="10" width="50" height="80" fill="#2e86c1"/>
  <text x="100" y="98" font-family="Noto Sans CJK SC" font-size="10" text-anchor="middle">受理件数</text>
</svg>"##;

fn bulletin() -> String {
    format!(
        r#"#set page(paper: "a4", margin: 2.5cm)
#set text(font: "Noto Serif CJK SC", size: 12pt, lang: "zh", region: "cn")
#set par(justify: true, first-line-indent: (amount: 2em, all: true), leading: 1em)

#align(center, text(size: 20pt, weight: "bold")[{TITLE}])

各区县信访局、市直各单位：现将2026年11月上半月全市信访工作情况通报如下。本期全市共登记信访事项三百一十二件，较上期上升百分之四点二，其中网上信访占比继续提高，按期受理率和按期办结率均保持在较高水平。

#table(
  columns: 3,
  align: center,
  table.header([单位], [受理件数], [按期办结率]),
  [上城区], [128], [98.4%],
  [下城区], [96], [95.8%],
)

#figure(image("chart1.svg", width: 8cm), caption: [各区受理件数])
"#
    )
}

/// True when the test must fail rather than skip for a missing tool or font.
fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// Prints why a check is skipped, or fails when CI must run it.
fn skip(why: &str) {
    assert!(!required(), "CI must run this test, but {why}");
    eprintln!("SKIPPED: {why}");
}

fn pdf() -> &'static Pdf {
    static PDF: OnceLock<Pdf> = OnceLock::new();
    PDF.get_or_init(|| Pdf::new(&[]).expect("fonts on this machine"))
}

fn has_cjk(pdf: &Pdf) -> bool {
    pdf.families().iter().any(|f| f == "Noto Serif CJK SC")
}

fn has_poppler() -> bool {
    ["pdftotext", "pdftoppm", "pdffonts"].iter().all(|tool| {
        Command::new(tool)
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    })
}

/// Runs a poppler tool on `pdf` given on its standard input ("-"), with `args` before and after the input.
fn poppler(tool: &str, before: &[&str], pdf: &[u8], after: &[&str]) -> Vec<u8> {
    let mut child = Command::new(tool)
        .args(before)
        .arg("-")
        .args(after)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(pdf)
        .expect("write the PDF");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An empty folder of this test run's own under Cargo's scratch folder for integration tests. (No
/// `tempfile`: as a dev-dependency it turns on features of crates typst uses, so `cargo test` would build
/// all of typst a second time after `cargo build`.)
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xinfang-pdf-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![("chart1.svg", CHART.as_bytes().to_vec())]
}

#[test]
fn a_chinese_bulletin_reads_back_as_text_page_and_embedded_fonts() {
    let pdf = pdf();
    if !has_cjk(pdf) {
        return skip("the Noto CJK fonts (fonts-noto-cjk) are not installed");
    }
    let (bytes, warnings) = pdf
        .render_with_warnings(&bulletin(), &files())
        .expect("renders");
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    assert!(
        warnings.is_empty(),
        "no warnings (a missing font would be one): {warnings:?}"
    );
    if !has_poppler() {
        return skip("poppler-utils (pdftotext, pdftoppm, pdffonts) is not installed");
    }

    let text =
        String::from_utf8(poppler("pdftotext", &["-layout"], &bytes, &["-"])).expect("UTF-8 text");
    // Typst puts a quarter em between Chinese and Latin letters or digits (`cjk-latin-spacing`), which
    // pdftotext reads as a space: compare without white space.
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for expected in [
        TITLE,
        "单位",
        "按期办结率",
        "上城区",
        "128",
        "98.4%",
        "各区受理件数",
    ] {
        assert!(
            squeezed.contains(expected),
            "{expected:?} not in the extracted text:\n{text}"
        );
    }
    // One page: pdftotext separates pages with form feeds.
    assert_eq!(text.matches('\u{c}').count(), 1, "one page:\n{text}");

    let dir = scratch("pages");
    let prefix = dir.join("page");
    poppler(
        "pdftoppm",
        &["-png", "-r", "50"],
        &bytes,
        &[prefix.to_str().expect("UTF-8 path")],
    );
    let pages: Vec<_> = std::fs::read_dir(&dir)
        .expect("list pages")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(pages.len(), 1, "one PNG page: {pages:?}");
    let png = std::fs::read(&pages[0]).expect("read the page");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    // An A4 page at 50 dpi is 414×585; blank it compresses to well under 2 kB, with the title, the
    // paragraph, the table and the two coloured bars it is several times that.
    assert!(
        png.len() > 8_000,
        "page image of {} bytes looks blank",
        png.len()
    );
    if let Ok(out) = std::env::var("XINFANG_PDF_SAMPLE") {
        std::fs::write(&out, &bytes).expect("write the sample PDF");
        std::fs::copy(&pages[0], Path::new(&out).with_extension("png")).expect("copy the page");
    }
    std::fs::remove_dir_all(&dir).expect("remove the pages");

    let fonts = String::from_utf8(poppler("pdffonts", &[], &bytes, &[])).expect("UTF-8 list");
    let cjk: Vec<&str> = fonts
        .lines()
        .filter(|l| l.contains("NotoSerifCJK"))
        .collect();
    assert!(!cjk.is_empty(), "Noto Serif CJK is in the PDF:\n{fonts}");
    // pdffonts' columns: name type encoding emb sub uni object ID; "yes yes yes" = embedded, subset, unicode.
    assert!(
        cjk.iter().all(|l| l.contains("yes yes yes")),
        "Noto Serif CJK is embedded as a subset with a Unicode map:\n{fonts}"
    );
    // The chart's label came through the SVG in Noto Sans CJK.
    assert!(
        fonts.contains("NotoSansCJK"),
        "the chart's font is embedded:\n{fonts}"
    );
}

#[test]
fn a_compile_error_names_its_line() {
    let markup = "= 标题\n\n正文第一段。\n#let x = 1 +\n最后一行\n";
    let err = pdf().render(markup, &[]).expect_err("does not compile");
    let PdfError::Compile { message } = &err else {
        panic!("a compile error, not {err:?}")
    };
    assert!(message.contains("main.typ:4:"), "names line 4: {message}");

    let err = pdf()
        .render("#unknown_function(1)\n", &[])
        .expect_err("does not compile");
    let PdfError::Compile { message } = &err else {
        panic!("a compile error, not {err:?}")
    };
    assert!(
        message.contains("main.typ:1:2: error: unknown variable: unknown_function"),
        "{message}"
    );
}

#[test]
fn a_missing_file_a_package_and_the_clock_are_errors() {
    let err = pdf()
        .render("#image(\"missing.svg\")", &[])
        .expect_err("no such file");
    assert!(
        matches!(&err, PdfError::Compile { message } if message.contains("missing.svg")),
        "{err:?}"
    );

    let err = pdf()
        .render("#import \"@preview/example:0.1.0\": *", &[])
        .expect_err("no packages");
    assert!(
        matches!(&err, PdfError::Compile { message } if message.contains("packages are not available"))
    );

    let err = pdf()
        .render("#datetime.today().display()", &[])
        .expect_err("no clock");
    assert!(matches!(err, PdfError::Compile { .. }), "{err:?}");

    let err = pdf()
        .render("x", &[("../secret", vec![])])
        .expect_err("outside the root");
    assert!(matches!(err, PdfError::File { .. }), "{err:?}");
    let err = pdf()
        .render("x", &[("main.typ", vec![])])
        .expect_err("the main path");
    assert!(matches!(err, PdfError::File { .. }), "{err:?}");
}

#[test]
fn imports_read_the_given_files() {
    let files = vec![(
        "parts/greeting.typ",
        "#let greeting = [你好]".as_bytes().to_vec(),
    )];
    let bytes = pdf()
        .render(
            "#import \"parts/greeting.typ\": greeting\n#greeting",
            &files,
        )
        .expect("renders");
    assert!(bytes.starts_with(b"%PDF-"));
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let first = pdf().render(&bulletin(), &files()).expect("renders");
    let second = pdf().render(&bulletin(), &files()).expect("renders");
    assert!(first == second, "two renders of the same input differ");
    // And from a second compiler with its own font scan, as another process would have.
    let third = Pdf::new(&[])
        .expect("fonts")
        .render(&bulletin(), &files())
        .expect("renders");
    assert!(
        first == third,
        "a second compiler renders the same input differently"
    );
    // No creation or modification date anywhere in the file.
    let text = String::from_utf8_lossy(&first);
    assert!(
        !text.contains("/CreationDate") && !text.contains("xmp:CreateDate"),
        "a timestamp in the PDF"
    );
}

#[test]
fn the_fonts_are_listed_and_an_empty_extra_folder_changes_nothing() {
    let dir = scratch("no-fonts");
    let pdf = Pdf::new(std::slice::from_ref(&dir)).expect("system fonts");
    assert!(!pdf.families().is_empty());
    let err = Pdf::new(&[dir.join("absent")])
        .err()
        .expect("a missing extra folder");
    assert!(matches!(err, PdfError::Io { .. }), "{err:?}");
    std::fs::remove_dir_all(&dir).expect("remove the folder");
}

/// `cargo test -p xinfang-pdf --release -- --ignored --nocapture timings`
#[test]
#[ignore = "prints timings; run by hand"]
fn timings() {
    let start = Instant::now();
    let pdf = Pdf::new(&[]).expect("fonts");
    let scan = start.elapsed();
    let markup = bulletin();
    let files = files();
    let start = Instant::now();
    pdf.render(&markup, &files).expect("renders");
    let first = start.elapsed();
    let runs: u32 = 10;
    let start = Instant::now();
    for _ in 0..runs {
        pdf.render(&markup, &files).expect("renders");
    }
    let again = start.elapsed() / runs;
    // One figure changed: Typst's memoized layout keeps every other paragraph.
    let start = Instant::now();
    for i in 0..runs {
        pdf.render(
            &markup.replace("三百一十二", &format!("{}", 300 + i)),
            &files,
        )
        .expect("renders");
    }
    let figure = start.elapsed() / runs;
    // Another text size each time: every line is shaped and laid out anew, as for a new bulletin.
    let start = Instant::now();
    for i in 0..runs {
        pdf.render(
            &markup.replace(
                "size: 12pt",
                &format!("size: {}pt", 11.0 + f64::from(i) / 10.0),
            ),
            &files,
        )
        .expect("renders");
    }
    let fresh = start.elapsed() / runs;
    println!(
        "font scan {scan:?} ({} families); first render {first:?} (reads the font files it uses); \
         same document again {again:?}; one figure changed {figure:?}; everything laid out anew {fresh:?}",
        pdf.families().len()
    );
}
