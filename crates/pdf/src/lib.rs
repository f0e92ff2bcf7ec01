//! Typst markup to PDF (decision 0026).
//!
//! A [`Pdf`] scans the system's font folders once and then compiles any number of documents, from any number
//! of threads: each [`Pdf::render`] gets its main markup and the files it may read (`#image("chart1.svg")`,
//! `#import "common.typ"`) in memory, so a document sees nothing of the file system, the network or the clock.
//! Typst's packages (`@preview/…`) are not available, and `datetime.today()` is an error: pass dates in
//! the markup. The same input gives the same bytes (no creation date, a document id from the title).
//!
//! Fonts come only from the system (Debian's `fonts-noto-cjk` for Chinese) and the folders the caller names;
//! none are compiled in. A font file is read once to learn its faces and again, once, when a document first
//! uses one of them; its bytes are then shared by every later render. Name the font in the markup
//! (`#set text(font: "Noto Serif CJK SC")`): Typst's own default family is not installed, so without it the
//! text falls back to whichever installed face covers it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult, PackageError, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook, FontInfo};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;

/// The folders searched for fonts on every machine, before those the caller adds.
pub const SYSTEM_FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];

/// The path the main markup has inside the document's file system.
const MAIN: &str = "/main.typ";

/// How many renders a memoized intermediate result survives without being used (Typst's cache is global).
const CACHE_MAX_AGE: usize = 10;

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// No font at all was found: nothing could be typeset.
    #[error("no fonts found in {}", display_dirs(searched))]
    NoFonts { searched: Vec<PathBuf> },
    /// A font folder named by the caller could not be read. (Unreadable or broken font files, and
    /// unreadable folders below, are skipped, as any font scanner does.)
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file handed to [`Pdf::render`] has a name the document could not use.
    #[error("file {name:?}: {reason}")]
    File { name: String, reason: String },
    /// The markup does not compile: Typst's errors, one a line, each with its file, line and column.
    #[error("the document does not compile:\n{message}")]
    Compile { message: String },
    /// The document compiled but could not be written as PDF.
    #[error("the document cannot be written as PDF:\n{message}")]
    Export { message: String },
}

fn display_dirs(dirs: &[PathBuf]) -> String {
    let names: Vec<_> = dirs.iter().map(|d| d.display().to_string()).collect();
    names.join(", ")
}

/// A Typst compiler with its fonts: create once (it reads every font file), render many times.
pub struct Pdf {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    /// One per face, in the book's order.
    faces: Vec<Face>,
    /// One per font file; faces of a collection (`.ttc`) share it.
    files: Vec<FontFile>,
}

struct Face {
    file: usize,
    index: u32,
    font: OnceLock<Option<Font>>,
}

struct FontFile {
    path: PathBuf,
    data: OnceLock<Option<Bytes>>,
}

impl FontFile {
    fn data(&self) -> Option<Bytes> {
        self.data
            .get_or_init(|| std::fs::read(&self.path).ok().map(Bytes::new))
            .clone()
    }
}

impl Pdf {
    /// Scans [`SYSTEM_FONT_DIRS`] (those that exist) and `extra_font_dirs` (which must exist; their faces are
    /// preferred over the system's when both have the same family and style), recursively, for `.ttf`,
    /// `.otf`, `.ttc` and `.otc` files. Fails only when no font at all is found or an extra folder cannot be
    /// read; see [`Pdf::families`] for checking that a particular family is there.
    pub fn new(extra_font_dirs: &[PathBuf]) -> Result<Pdf, PdfError> {
        let mut paths = Vec::new();
        let mut seen = Vec::new();
        for dir in extra_font_dirs {
            font_files(dir, true, &mut seen, &mut paths)?;
        }
        for dir in SYSTEM_FONT_DIRS {
            font_files(Path::new(dir), false, &mut seen, &mut paths)?;
        }

        let mut book = FontBook::new();
        let mut faces = Vec::new();
        let mut files = Vec::new();
        for path in paths {
            // A file that cannot be read or parsed (a broken or unsupported font) is skipped, as any font
            // scanner does; one error must not take every document down.
            let Ok(data) = std::fs::read(&path) else {
                continue;
            };
            let file = files.len();
            let mut any = false;
            let count = ttf_parser::fonts_in_collection(&data).unwrap_or(1);
            for index in 0..count {
                if let Some(info) = FontInfo::new(&data, index) {
                    book.push(info);
                    faces.push(Face {
                        file,
                        index,
                        font: OnceLock::new(),
                    });
                    any = true;
                }
            }
            if any {
                files.push(FontFile {
                    path,
                    data: OnceLock::new(),
                });
            }
        }
        if faces.is_empty() {
            let mut searched: Vec<PathBuf> = extra_font_dirs.to_vec();
            searched.extend(SYSTEM_FONT_DIRS.iter().map(PathBuf::from));
            return Err(PdfError::NoFonts { searched });
        }
        Ok(Pdf {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(book),
            faces,
            files,
        })
    }

    /// The font families found, sorted case-insensitively, each once ("Noto Serif CJK SC", "DejaVu Sans", …).
    pub fn families(&self) -> Vec<String> {
        self.book
            .families()
            .map(|(family, _)| family.to_owned())
            .collect()
    }

    /// Compiles `main` (Typst markup) into PDF. `files` are the other files the markup may read, by relative
    /// path (`("chart1.svg", bytes)` for `#image("chart1.svg")`, `("parts/a.typ", …)` for an import).
    /// Warnings are dropped: see [`Pdf::render_with_warnings`].
    ///
    /// Use the same few names from one render to the next (`chart1.svg`, not a name with a serial number or
    /// a hash in it): Typst interns every path it ever sees for the life of the process, and a process can
    /// hold at most 65,535 of them.
    pub fn render(&self, main: &str, files: &[(&str, Vec<u8>)]) -> Result<Vec<u8>, PdfError> {
        self.render_with_warnings(main, files).map(|(pdf, _)| pdf)
    }

    /// [`Pdf::render`], also returning Typst's warnings (for example "unknown font family"), formatted as
    /// the errors of [`PdfError::Compile`] are.
    pub fn render_with_warnings(
        &self,
        main: &str,
        files: &[(&str, Vec<u8>)],
    ) -> Result<(Vec<u8>, Vec<String>), PdfError> {
        let world = Document::new(self, main, files)?;
        let compiled = typst::compile::<PagedDocument>(&world);
        let mut warnings: Vec<String> = compiled
            .warnings
            .iter()
            .map(|w| world.describe(w))
            .collect();
        let result = compiled
            .output
            .map_err(|errors| PdfError::Compile {
                message: world.describe_all(&errors),
            })
            .and_then(|document| {
                typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|errors| {
                    PdfError::Export {
                        message: world.describe_all(&errors),
                    }
                })
            });
        // Typst memoizes across compilations in a process-wide cache: keep what recent renders used (the
        // fonts' shaping, the library), forget the rest, so a long-running server does not grow.
        typst::comemo::evict(CACHE_MAX_AGE);
        warnings.dedup();
        result.map(|pdf| (pdf, warnings))
    }
}

// Shared by the server's request handlers: a compile-time check that it can be.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Pdf>();
};

/// Appends the font files under `dir` (recursively, sorted, each file once even through links) to `out`.
/// A missing system folder is skipped; a missing or unreadable folder the caller named is an error.
fn font_files(
    dir: &Path,
    required: bool,
    seen: &mut Vec<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> Result<(), PdfError> {
    let io = |source| PdfError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let canonical = match dir.canonicalize() {
        Ok(canonical) => canonical,
        Err(_) if !required => return Ok(()),
        Err(source) => return Err(io(source)),
    };
    if seen.contains(&canonical) {
        return Ok(());
    }
    seen.push(canonical);
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(_) if !required => return Ok(()),
        Err(source) => return Err(io(source)),
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        // `metadata` follows links, so a linked folder or font counts as what it points to.
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            // Below the folder the caller named, unreadable subfolders are skipped, not fatal.
            font_files(&path, false, seen, out)?;
        } else if meta.is_file() && is_font(&path) {
            let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
            if !seen.contains(&canonical) {
                seen.push(canonical);
                out.push(path);
            }
        }
    }
    Ok(())
}

fn is_font(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["ttf", "otf", "ttc", "otc"]
            .iter()
            .any(|f| e.eq_ignore_ascii_case(f))
    })
}

/// One compilation's world: the shared fonts and library, this document's main source and files.
struct Document<'a> {
    pdf: &'a Pdf,
    main: Source,
    files: HashMap<FileId, Bytes>,
}

impl<'a> Document<'a> {
    fn new(pdf: &'a Pdf, main: &str, files: &[(&str, Vec<u8>)]) -> Result<Self, PdfError> {
        let main_id = file_id(MAIN).expect("a valid path");
        let mut map = HashMap::with_capacity(files.len());
        for (name, data) in files {
            let bad = |reason: &str| PdfError::File {
                name: (*name).to_owned(),
                reason: reason.to_owned(),
            };
            let id = file_id(name).ok_or_else(|| bad("not a valid relative path"))?;
            if id == main_id {
                return Err(bad("is the main markup's own path"));
            }
            if map.insert(id, Bytes::new(data.clone())).is_some() {
                return Err(bad("given twice"));
            }
        }
        Ok(Document {
            pdf,
            main: Source::new(main_id, main.to_owned()),
            files: map,
        })
    }

    /// "main.typ:3:5: error: unknown variable: foo", then the hints, one a line.
    fn describe(&self, diagnostic: &SourceDiagnostic) -> String {
        let mut out = String::new();
        if let Some(id) = diagnostic.span.id() {
            let path = id.vpath().get_without_slash();
            let position = self.range(diagnostic.span).and_then(|range| {
                let source = self.source(id).ok()?;
                source.lines().byte_to_line_column(range.start)
            });
            match position {
                Some((line, column)) => write!(out, "{path}:{}:{}: ", line + 1, column + 1),
                None => write!(out, "{path}: "),
            }
            .expect("writing to a string");
        }
        out.push_str(match diagnostic.severity {
            Severity::Error => "error: ",
            Severity::Warning => "warning: ",
        });
        out.push_str(&diagnostic.message);
        for hint in &diagnostic.hints {
            out.push_str("\n  hint: ");
            out.push_str(&hint.v);
        }
        out
    }

    fn describe_all(&self, diagnostics: &[SourceDiagnostic]) -> String {
        let lines: Vec<String> = diagnostics.iter().map(|d| self.describe(d)).collect();
        lines.join("\n")
    }
}

/// The id of a path in the document's project root, or `None` for a path Typst rejects.
fn file_id(path: &str) -> Option<FileId> {
    let vpath = VirtualPath::new(path).ok()?;
    Some(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

impl World for Document<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.pdf.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.pdf.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        let bytes = self.file(id)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.to_owned()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        if let VirtualRoot::Package(spec) = id.root() {
            return Err(FileError::Package(PackageError::Other(Some(
                format!("packages are not available here ({spec})").into(),
            ))));
        }
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.vpath().get_without_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        let face = self.pdf.faces.get(index)?;
        face.font
            .get_or_init(|| Font::new(self.pdf.files[face.file].data()?, face.index))
            .clone()
    }

    /// No clock: the same markup gives the same document whatever the day.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}
