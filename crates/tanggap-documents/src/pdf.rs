//! PDF rendering with typst embedded as a library.
//!
//! A template is typst markup that reads its figures from the data file
//! next to it (`json("data.json")`), never from markup pasted together
//! from strings: a narrative or a category name can therefore never run
//! as typst code. Fonts come only from `fonts/` in this crate, compiled
//! into the binary, so the output does not depend on the host's fonts.

use crate::RenderError;
use std::collections::HashMap;
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

/// The name under which a template finds its data, relative to the template.
pub const DATA_FILE: &str = "data.json";

/// Font files shipped with the crate (SIL Open Font License 1.1, see
/// `fonts/LICENSE-Liberation.txt`). Templates name the families
/// "Liberation Sans" and "Liberation Serif".
const FONT_FILES: [&[u8]; 6] = [
    include_bytes!("../fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../fonts/LiberationSans-Bold.ttf"),
    include_bytes!("../fonts/LiberationSans-Italic.ttf"),
    include_bytes!("../fonts/LiberationSans-BoldItalic.ttf"),
    include_bytes!("../fonts/LiberationSerif-Regular.ttf"),
    include_bytes!("../fonts/LiberationSerif-Bold.ttf"),
];

/// The parsed fonts and their book, built once per process.
struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    let book = FontBook::from_fonts(&fonts);
    Fonts {
        book: LazyHash::new(book),
        fonts,
    }
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// One part of a PDF: a typst template and the data it reads.
#[derive(Clone, Copy, Debug)]
pub struct PdfPart<'a> {
    /// Typst markup; it reads its data with `json("data.json")`.
    pub template: &'a str,
    /// The data the template reads.
    pub data: &'a serde_json::Value,
}

/// Renders one typst template with its data to PDF bytes.
pub fn render_pdf(template: &str, data: &serde_json::Value) -> Result<Vec<u8>, RenderError> {
    let mut world = MemoryWorld::new()?;
    world.add_source("/main.typ", template.to_owned())?;
    world.add_file("/data.json", serde_json::to_vec(data)?)?;
    world.compile_pdf()
}

/// Renders several parts into one PDF, in order, each part starting on a
/// new page. Each part keeps its own data file and page setup, so the SOP
/// documents and the monitoring bundle can put reports side by side.
pub fn render_pdf_bundle(parts: &[PdfPart<'_>]) -> Result<Vec<u8>, RenderError> {
    render_pdf_bundle_with_files(parts, Vec::new())
}

/// A file that templates may read, such as an image, by its absolute
/// path in the bundle (`/photos/1.jpg`).
#[derive(Clone, Debug)]
pub struct PdfFile {
    /// Absolute path, starting with `/`.
    pub path: String,
    pub content: Vec<u8>,
}

/// Renders several parts into one PDF like [`render_pdf_bundle`], with
/// `files` readable by every part at their absolute paths. The files are
/// moved into the renderer, not copied.
pub fn render_pdf_bundle_with_files(
    parts: &[PdfPart<'_>],
    files: Vec<PdfFile>,
) -> Result<Vec<u8>, RenderError> {
    if parts.is_empty() {
        return Err(RenderError::EmptyBundle);
    }
    let mut world = MemoryWorld::new()?;
    for file in files {
        world.add_file(&file.path, file.content)?;
    }
    let mut main = String::new();
    for (index, part) in parts.iter().enumerate() {
        world.add_source(&format!("/part-{index}/main.typ"), part.template.to_owned())?;
        world.add_file(
            &format!("/part-{index}/{DATA_FILE}"),
            serde_json::to_vec(part.data)?,
        )?;
        if index > 0 {
            main.push_str("#pagebreak()\n");
        }
        main.push_str(&format!("#include \"part-{index}/main.typ\"\n"));
    }
    world.add_source("/main.typ", main)?;
    world.compile_pdf()
}

/// A typst world that holds every file in memory and never touches the
/// file system, the network or the system fonts.
struct MemoryWorld {
    main: FileId,
    sources: HashMap<FileId, Source>,
    files: HashMap<FileId, Bytes>,
}

impl MemoryWorld {
    fn new() -> Result<Self, RenderError> {
        Ok(Self {
            main: file_id("/main.typ")?,
            sources: HashMap::new(),
            files: HashMap::new(),
        })
    }

    fn add_source(&mut self, path: &str, text: String) -> Result<(), RenderError> {
        let id = file_id(path)?;
        self.files.insert(id, Bytes::from_string(text.clone()));
        self.sources.insert(id, Source::new(id, text));
        Ok(())
    }

    fn add_file(&mut self, path: &str, bytes: Vec<u8>) -> Result<(), RenderError> {
        self.files.insert(file_id(path)?, Bytes::new(bytes));
        Ok(())
    }

    fn compile_pdf(&self) -> Result<Vec<u8>, RenderError> {
        let document: PagedDocument = typst::compile(self)
            .output
            .map_err(|errors| RenderError::Typst(describe(&errors)))?;
        let options = PdfOptions {
            // A fixed identifier keeps the bytes stable between runs.
            ident: typst::foundations::Smart::Custom("tanggap".into()),
            creator: typst::foundations::Smart::Custom(Some("Tanggap".into())),
            ..PdfOptions::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|errors| RenderError::Typst(describe(&errors)))
    }
}

fn file_id(path: &str) -> Result<FileId, RenderError> {
    let vpath = VirtualPath::new(path).map_err(|e| RenderError::Typst(format!("{path}: {e:?}")))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

impl World for MemoryWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.sources.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files.get(&id).cloned().ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Documents take their dates from the data, so that a rendering
        // does not change with the day it runs.
        None
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}
