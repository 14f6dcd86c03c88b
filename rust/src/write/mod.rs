//! Writes a document as a DICOM file: a regenerated meta header, then the dataset in the
//! requested transfer syntax with explicit or undefined sequence lengths. Group lengths present
//! in the dataset are recalculated; stored values are copied from the source in chunks.

pub mod emit;

use std::io::{self, Write};

use crate::error::{CoreError, CoreResult};
use crate::model::document::Document;
use crate::model::normalize::{self, Rule};
use crate::model::syntax::{self, Kind};
use crate::model::tag;
use crate::model::vr::Vr;
use crate::model::{Dataset, Element, Value};
use crate::write::emit::Emitter;

/// The output transfer syntax (`+t=`, `+te`, `+tb`, `+ti`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OutputSyntax {
    /// The input's transfer syntax.
    #[default]
    Same,
    /// Explicit VR little endian.
    ExplicitLittle,
    /// Explicit VR big endian.
    ExplicitBig,
    /// Implicit VR little endian.
    ImplicitLittle,
}

/// Options of [`write`].
#[derive(Clone, Debug)]
pub struct WriteOptions {
    /// Output transfer syntax.
    pub syntax: OutputSyntax,
    /// Explicit (`+e`) or undefined (`-e`) lengths of sequences and items.
    pub explicit_lengths: bool,
    /// Value normalization rule.
    pub rule: Rule,
    /// Implementation Class UID written into the meta header.
    pub implementation_class_uid: String,
    /// Implementation Version Name written into the meta header.
    pub implementation_version_name: String,
    /// Media Storage SOP Instance UID used when neither the dataset nor the input meta header
    /// has one.
    pub fallback_instance_uid: String,
}

impl WriteOptions {
    /// Options for a file written by this implementation: its Implementation Class UID and
    /// Version Name, and a new UID for a dataset that has no SOP Instance UID.
    #[must_use]
    pub fn new(syntax: OutputSyntax, explicit_lengths: bool, rule: Rule) -> WriteOptions {
        WriteOptions {
            syntax,
            explicit_lengths,
            rule,
            implementation_class_uid: crate::model::uid::IMPLEMENTATION_CLASS_UID.into(),
            implementation_version_name: crate::model::uid::implementation_version_name(),
            fallback_instance_uid: crate::model::uid::new_uid(),
        }
    }
}

const UNDEFINED: u32 = 0xFFFF_FFFF;

struct Layout {
    explicit: bool,
    explicit_lengths: bool,
}

fn contains_fragments(d: &Dataset) -> bool {
    d.elements.iter().any(|e| match &e.value {
        Value::Fragments(_) => true,
        Value::Items(items) => items.iter().any(contains_fragments),
        Value::Data(_) => false,
    })
}

struct FileWriter<'a, W: Write> {
    em: Emitter<'a, W>,
    layout: Layout,
}

impl<W: Write> FileWriter<'_, W> {
    fn header_len(&self, vr: Vr, len: u64) -> u64 {
        if self.layout.explicit && !(vr.has_long_length() || len > 0xFFFF) {
            8
        } else if self.layout.explicit {
            12
        } else {
            8
        }
    }

    fn item_len(&self, item: &Dataset) -> u64 {
        item.elements.iter().map(|e| self.element_len(e)).sum()
    }

    /// The encoded size of an element, header included.
    fn element_len(&self, e: &Element) -> u64 {
        if tag::element(e.tag) == 0 {
            // Written as a recalculated UL, whatever it was read as.
            return self.header_len(Vr::UL, 4) + 4;
        }
        match &e.value {
            Value::Data(blob) => {
                let len = self.em.value_len(e.vr, blob);
                self.header_len(e.vr, len) + len
            }
            Value::Items(items) => {
                let head = if self.layout.explicit { 12 } else { 8 };
                let delim = if self.layout.explicit_lengths { 0 } else { 8 };
                head + delim
                    + items
                        .iter()
                        .map(|i| 8 + self.item_len(i) + delim)
                        .sum::<u64>()
            }
            Value::Fragments(frags) => {
                let head = if self.layout.explicit { 12 } else { 8 };
                head + 8 + frags.iter().map(|f| 8 + f.len() + f.len() % 2).sum::<u64>()
            }
        }
    }

    fn length32(len: u64) -> CoreResult<u32> {
        u32::try_from(len)
            .ok()
            .filter(|l| *l != UNDEFINED)
            .ok_or_else(|| CoreError::Conversion("value too large for a 32-bit length".into()))
    }

    fn dataset(&mut self, d: &Dataset) -> CoreResult<()> {
        self.dataset_filtered(d, &|_| true)
    }

    fn dataset_filtered(&mut self, d: &Dataset, wanted: &dyn Fn(u32) -> bool) -> CoreResult<()> {
        for (i, e) in d.elements.iter().enumerate() {
            if !wanted(e.tag) {
                continue;
            }
            if tag::element(e.tag) == 0 {
                let group = tag::group(e.tag);
                let total: u64 = d.elements[i + 1..]
                    .iter()
                    .take_while(|x| tag::group(x.tag) == group)
                    .map(|x| self.element_len(x))
                    .sum();
                let gl = Element::new(e.tag, Vr::UL, Self::length32(total)?.to_le_bytes().to_vec());
                self.element(&gl)?;
            } else {
                self.element(e)?;
            }
        }
        Ok(())
    }

    fn element(&mut self, e: &Element) -> CoreResult<()> {
        let explicit = self.layout.explicit;
        match &e.value {
            Value::Data(blob) => {
                let len = self.em.value_len(e.vr, blob);
                let mut vr = e.vr;
                self.em.tag(e.tag)?;
                if explicit {
                    if !vr.has_long_length() && len > 0xFFFF {
                        vr = Vr::UN;
                    }
                    self.em.raw(&vr.code())?;
                    if vr.has_long_length() {
                        self.em.raw(&[0, 0])?;
                        self.em.u32(Self::length32(len)?)?;
                    } else {
                        #[allow(clippy::cast_possible_truncation)]
                        self.em.u16(len as u16)?;
                    }
                } else {
                    self.em.u32(Self::length32(len)?)?;
                }
                self.em.value(e.vr, blob)
            }
            Value::Items(items) => {
                self.em.tag(e.tag)?;
                if explicit {
                    self.em.raw(b"SQ\0\0")?;
                }
                if self.layout.explicit_lengths {
                    let head = if explicit { 12 } else { 8 };
                    self.em.u32(Self::length32(self.element_len(e) - head)?)?;
                } else {
                    self.em.u32(UNDEFINED)?;
                }
                for item in items {
                    self.em.tag(tag::ITEM)?;
                    if self.layout.explicit_lengths {
                        self.em.u32(Self::length32(self.item_len(item))?)?;
                        self.dataset(item)?;
                    } else {
                        self.em.u32(UNDEFINED)?;
                        self.dataset(item)?;
                        self.em.tag(tag::ITEM_DELIMITATION)?;
                        self.em.u32(0)?;
                    }
                }
                if !self.layout.explicit_lengths {
                    self.em.tag(tag::SEQUENCE_DELIMITATION)?;
                    self.em.u32(0)?;
                }
                Ok(())
            }
            Value::Fragments(frags) => {
                self.em.tag(e.tag)?;
                self.em.raw(b"OB\0\0")?;
                self.em.u32(UNDEFINED)?;
                for f in frags {
                    self.em.tag(tag::ITEM)?;
                    self.em.u32(Self::length32(f.len() + f.len() % 2)?)?;
                    self.em.fragment(f)?;
                    if f.len() % 2 == 1 {
                        self.em.raw(&[0])?;
                    }
                }
                self.em.tag(tag::SEQUENCE_DELIMITATION)?;
                self.em.u32(0)
            }
        }
    }
}

fn ui(s: &[u8]) -> Vec<u8> {
    let mut v = s.to_vec();
    if v.len() % 2 == 1 {
        v.push(0);
    }
    v
}

/// A UID value as DCMTK holds it after loading (whitespace removed; the same under both
/// rules), without its trailing padding; the bytes as they are, even when not UTF-8.
fn uid_value(e: &Element) -> Option<Vec<u8>> {
    let v = normalize::normalize(Vr::UI, e.bytes()?, Rule::Dcmtk37);
    let end = v
        .iter()
        .rposition(|c| *c != b' ' && *c != 0)
        .map_or(0, |p| p + 1);
    Some(v[..end].to_vec())
}

/// DCMTK takes the Media Storage SOP Class/Instance UIDs from the dataset; when the dataset
/// lacks them we keep the input's meta values (DCMTK would invent OFFIS private ones).
fn meta_uid(doc: &Document, meta_tag: u32, dataset_tag: u32) -> Option<Vec<u8>> {
    doc.dataset
        .get(dataset_tag)
        .and_then(uid_value)
        .filter(|s| !s.is_empty())
        .or_else(|| {
            doc.meta
                .as_ref()
                .and_then(|m| m.get(meta_tag))
                .and_then(uid_value)
        })
}

/// The transfer syntax UID and kind that [`write`] produces for `doc`.
///
/// # Errors
/// [`CoreError::Conversion`] when the dataset holds encapsulated pixel data and a native
/// transfer syntax is requested (dcmsign registers no codecs).
pub fn output_syntax(doc: &Document, requested: OutputSyntax) -> CoreResult<(String, Kind)> {
    let (uid, kind) = match requested {
        OutputSyntax::Same => match doc.kind {
            Kind::ImplicitBig => (syntax::IMPLICIT_LE.to_string(), Kind::ImplicitLittle),
            k => (doc.transfer_syntax.clone(), k),
        },
        OutputSyntax::ExplicitLittle => (syntax::EXPLICIT_LE.to_string(), Kind::ExplicitLittle),
        OutputSyntax::ExplicitBig => (syntax::EXPLICIT_BE.to_string(), Kind::ExplicitBig),
        OutputSyntax::ImplicitLittle => (syntax::IMPLICIT_LE.to_string(), Kind::ImplicitLittle),
    };
    if kind != Kind::Encapsulated && contains_fragments(&doc.dataset) {
        let name = syntax::dcmtk_name(&uid).unwrap_or(&uid).to_string();
        return Err(CoreError::Conversion(format!(
            "No conversion to transfer syntax {name} possible!"
        )));
    }
    Ok((uid, kind))
}

fn meta_dataset(doc: &Document, opts: &WriteOptions, uid: &str) -> Dataset {
    let mut meta = Dataset::default();
    meta.put(Element::new(0x0002_0001, Vr::OB, vec![0, 1]));
    if let Some(s) = meta_uid(doc, 0x0002_0002, 0x0008_0016) {
        meta.put(Element::new(0x0002_0002, Vr::UI, ui(&s)));
    }
    let instance = meta_uid(doc, 0x0002_0003, 0x0008_0018)
        .unwrap_or_else(|| opts.fallback_instance_uid.as_bytes().to_vec());
    meta.put(Element::new(0x0002_0003, Vr::UI, ui(&instance)));
    meta.put(Element::new(0x0002_0010, Vr::UI, ui(uid.as_bytes())));
    meta.put(Element::new(
        0x0002_0012,
        Vr::UI,
        ui(opts.implementation_class_uid.as_bytes()),
    ));
    let mut name = opts.implementation_version_name.as_bytes().to_vec();
    if name.len() % 2 == 1 {
        name.push(b' ');
    }
    meta.put(Element::new(0x0002_0013, Vr::SH, name));
    meta.put(Element::new(0x0002_0000, Vr::UL, vec![0; 4]));
    meta
}

/// The dataset part of the output: plain, or through a deflate encoder.
enum Body<W: Write> {
    Plain(W),
    Deflate(flate2::write::DeflateEncoder<W>),
}

impl<W: Write> Write for Body<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Body::Plain(w) => w.write(buf),
            Body::Deflate(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Body::Plain(w) => w.flush(),
            Body::Deflate(w) => w.flush(),
        }
    }
}

/// A DICOM file being written: the meta header is out, the dataset's top-level elements are
/// written in one or several calls of [`Output::elements`] (in tag order), then
/// [`Output::finish`].
pub struct Output<W: Write> {
    body: Body<W>,
    kind: Kind,
    explicit_lengths: bool,
    rule: Rule,
}

impl<W: Write> Output<W> {
    /// Writes the preamble and the regenerated meta header.
    ///
    /// # Errors
    /// [`CoreError::Conversion`] for an impossible transfer syntax conversion, or I/O errors.
    pub fn begin(doc: &Document, opts: &WriteOptions, mut out: W) -> CoreResult<Self> {
        let (uid, kind) = output_syntax(doc, opts.syntax)?;
        let meta = meta_dataset(doc, opts, &uid);
        out.write_all(&[0u8; 128])?;
        out.write_all(b"DICM")?;
        {
            let mut w = FileWriter {
                em: Emitter::new(&doc.source, &mut out, true, opts.rule),
                layout: Layout {
                    explicit: true,
                    explicit_lengths: true,
                },
            };
            w.dataset(&meta)?;
        }
        let body = if kind == Kind::Deflated {
            Body::Deflate(flate2::write::DeflateEncoder::new(
                out,
                flate2::Compression::default(),
            ))
        } else {
            Body::Plain(out)
        };
        Ok(Output {
            body,
            kind,
            explicit_lengths: opts.explicit_lengths,
            rule: opts.rule,
        })
    }

    /// Writes the top-level elements of `doc` whose tags satisfy `wanted`.
    ///
    /// # Errors
    /// I/O errors of the source or the destination.
    pub fn elements(&mut self, doc: &Document, wanted: impl Fn(u32) -> bool) -> CoreResult<()> {
        let little = self.kind.little() || self.kind == Kind::Deflated;
        let mut w = FileWriter {
            em: Emitter::new(&doc.source, &mut self.body, little, self.rule),
            layout: Layout {
                explicit: self.kind.explicit(),
                explicit_lengths: self.explicit_lengths,
            },
        };
        w.dataset_filtered(&doc.dataset, &wanted)
    }

    /// Completes the dataset (and the deflate stream) and returns the destination.
    ///
    /// # Errors
    /// I/O errors of the destination.
    pub fn finish(self) -> CoreResult<W> {
        let mut out = match self.body {
            Body::Plain(w) => w,
            Body::Deflate(enc) => enc.finish()?,
        };
        out.flush()?;
        Ok(out)
    }
}

/// Writes `doc` as a DICOM file with a regenerated meta header to `out`.
///
/// # Errors
/// [`CoreError::Conversion`] for an impossible transfer syntax conversion, or I/O errors.
pub fn write<W: Write>(doc: &Document, opts: &WriteOptions, out: W) -> CoreResult<()> {
    let mut output = Output::begin(doc, opts, out)?;
    output.elements(doc, |_| true)?;
    output.finish()?;
    Ok(())
}

/// The file that writing to `path` writes: `path` itself, or the file its symbolic links lead
/// to, as `open` follows them (a link that leads nowhere is written through, and so fails
/// when the folder it names is missing). Outputs are renamed onto this file, so that a link
/// stays a link.
///
/// # Errors
/// A loop of symbolic links (the operating system's error for `path`), or an error reading a
/// link.
pub fn output_target(path: &std::path::Path) -> io::Result<std::path::PathBuf> {
    let mut target = path.to_path_buf();
    // The limit of Linux's path resolution (`MAXSYMLINKS`).
    for _ in 0..40 {
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&target)?;
                target = match target.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(target),
        }
    }
    Err(std::fs::metadata(path)
        .err()
        .unwrap_or_else(|| io::Error::other("too many levels of symbolic links")))
}

/// Creates a temporary file in the directory of `path`, to be renamed over `path` when
/// complete. It gets the permissions a plainly created file would get (0666 minus umask).
///
/// # Errors
/// Errors creating the file.
pub fn temporary_beside(path: &std::path::Path) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".dicomsign-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Where an output goes: a regular file (or a new one) is written atomically, into a
/// temporary file beside it renamed over it (or over the file its symbolic links lead to) only
/// when complete; an existing file that is not a regular file (`/dev/null`, a FIFO, a
/// terminal) is written directly, as DCMTK writes it, never replaced by a regular file.
#[derive(Debug)]
pub enum Destination {
    /// The temporary file and the path it is renamed to.
    Atomic(tempfile::NamedTempFile, std::path::PathBuf),
    /// A device or a FIFO, opened for writing.
    Direct(std::fs::File),
}

impl Destination {
    /// Prepares the output `path`.
    ///
    /// # Errors
    /// Errors following its symbolic links, creating the temporary file or opening the
    /// device.
    pub fn open(path: &std::path::Path) -> io::Result<Destination> {
        let target = output_target(path)?;
        match std::fs::metadata(&target) {
            Ok(meta) if !meta.is_file() && !meta.is_dir() => Ok(Destination::Direct(
                std::fs::OpenOptions::new().write(true).open(&target)?,
            )),
            _ => Ok(Destination::Atomic(temporary_beside(&target)?, target)),
        }
    }

    /// The file to write to.
    #[must_use]
    pub fn file(&self) -> &std::fs::File {
        match self {
            Destination::Atomic(tmp, _) => tmp.as_file(),
            Destination::Direct(file) => file,
        }
    }

    /// The output is complete: the temporary file takes the target's place.
    ///
    /// # Errors
    /// Errors renaming the temporary file.
    pub fn commit(self) -> io::Result<()> {
        match self {
            Destination::Atomic(tmp, target) => {
                tmp.persist(target).map(|_| ()).map_err(|e| e.error)
            }
            Destination::Direct(_) => Ok(()),
        }
    }
}

/// Writes `doc` to `path` ([`Destination`]: atomically, unless `path` is a device or a FIFO).
///
/// # Errors
/// As [`write`], plus errors creating or renaming the temporary file.
pub fn write_file(doc: &Document, opts: &WriteOptions, path: &std::path::Path) -> CoreResult<()> {
    output_syntax(doc, opts.syntax)?;
    let out = Destination::open(path)?;
    {
        let mut bw = io::BufWriter::with_capacity(1 << 20, out.file());
        write(doc, opts, &mut bw)?;
        bw.flush()?;
    }
    out.commit()?;
    Ok(())
}
