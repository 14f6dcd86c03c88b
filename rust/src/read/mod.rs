//! Reads DICOM files and bare datasets into DCMTK's in-memory model.
//!
//! Small values are read into memory; large binary values (and large fragments of encapsulated
//! pixel data) stay in the source as ranges, so that a 1 GiB file is never held in memory.

pub mod source;

pub use crate::model::document::Document;

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use crate::error::{CoreError, CoreResult};
use crate::model::dict::{self, DictVr};
use crate::model::syntax::{self, Kind};
use crate::model::tag;
use crate::model::vr::{swap_in_place, Vr};
use crate::model::{Blob, Dataset, Element, Value};
use crate::read::source::Source;

const UNDEFINED: u32 = 0xFFFF_FFFF;
const WINDOW: usize = 64 * 1024;
const MAX_DEPTH: usize = 200;

/// What to read: a file with meta header, a bare dataset, or either (`+f`, `+fo`, `-f`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReadMode {
    /// File format or bare dataset, detected (`+f`, the default).
    #[default]
    Auto,
    /// File format only (`+fo`).
    FileOnly,
    /// Bare dataset without meta header (`-f`).
    Dataset,
}

/// How to choose the dataset transfer syntax (`-t=`, `-td`, `-te`, `-tb`, `-ti`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReadXfer {
    /// From the meta header, else detected.
    #[default]
    Auto,
    /// Always detected, ignoring the meta header.
    Detect,
    /// Explicit VR little endian.
    Little,
    /// Explicit VR big endian.
    Big,
    /// Implicit VR little endian.
    Implicit,
}

/// Options of [`read`].
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    /// File or dataset.
    pub mode: ReadMode,
    /// Transfer syntax choice.
    pub xfer: ReadXfer,
    /// Convert defined-length UN elements to their dictionary VR (`+uc`).
    pub convert_un: bool,
    /// Binary values of at least this many bytes stay in the source.
    pub bulk_threshold: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            mode: ReadMode::Auto,
            xfer: ReadXfer::Auto,
            convert_un: false,
            bulk_threshold: 64 * 1024,
        }
    }
}

struct Cursor<'a> {
    src: &'a Source,
    pos: u64,
    win: Vec<u8>,
    win_start: u64,
    little: bool,
}

fn eof() -> CoreError {
    CoreError::format("premature end of data")
}

impl<'a> Cursor<'a> {
    fn new(src: &'a Source, pos: u64, little: bool) -> Self {
        Cursor {
            src,
            pos,
            win: Vec::new(),
            win_start: 0,
            little,
        }
    }

    fn remaining(&self) -> u64 {
        self.src.len().saturating_sub(self.pos)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn take(&mut self, n: usize) -> CoreResult<&[u8]> {
        let end = self.pos + n as u64;
        if let Some(m) = self.src.bytes() {
            // In memory or mapped: no window, the slice itself.
            if end > m.len() as u64 {
                return Err(eof());
            }
            #[allow(clippy::cast_possible_truncation)]
            let start = self.pos as usize;
            self.pos = end;
            return Ok(&m[start..start + n]);
        }
        let win_end = self.win_start + self.win.len() as u64;
        if self.pos < self.win_start || end > win_end {
            if end > self.src.len() {
                return Err(eof());
            }
            let size = WINDOW.max(n);
            self.win.resize(size, 0);
            let got = self
                .src
                .read_at(self.pos, &mut self.win)
                .map_err(CoreError::Io)?;
            self.win.truncate(got);
            self.win_start = self.pos;
            if got < n {
                return Err(eof());
            }
        }
        #[allow(clippy::cast_possible_truncation)]
        let off = (self.pos - self.win_start) as usize;
        self.pos = end;
        Ok(&self.win[off..off + n])
    }

    fn peek(&mut self, n: usize) -> CoreResult<Vec<u8>> {
        let pos = self.pos;
        let v = self.take(n)?.to_vec();
        self.pos = pos;
        Ok(v)
    }

    fn u16(&mut self) -> CoreResult<u16> {
        let little = self.little;
        let b = self.take(2)?;
        Ok(if little {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    }

    fn u32(&mut self) -> CoreResult<u32> {
        let little = self.little;
        let b = self.take(4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Ok(if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    fn tag(&mut self) -> CoreResult<u32> {
        let g = u32::from(self.u16()?);
        let e = u32::from(self.u16()?);
        Ok((g << 16) | e)
    }

    fn bytes(&mut self, n: u64) -> CoreResult<Vec<u8>> {
        if n > self.remaining() {
            return Err(eof());
        }
        #[allow(clippy::cast_possible_truncation)]
        let n = n as usize;
        if n <= WINDOW {
            return Ok(self.take(n)?.to_vec());
        }
        let mut v = vec![0u8; n];
        self.src
            .read_exact_at(self.pos, &mut v)
            .map_err(|_| eof())?;
        self.pos += n as u64;
        Ok(v)
    }

    fn skip(&mut self, n: u64) -> CoreResult<()> {
        if n > self.remaining() {
            return Err(eof());
        }
        self.pos += n;
        Ok(())
    }
}

/// Per-dataset reading context: private creators and the values the VR rules depend on.
#[derive(Default)]
struct Context {
    creators: HashMap<(u16, u8), String>,
    last_tag: Option<u32>,
    pixel_representation: Option<u16>,
    waveform_bits_allocated: Option<u16>,
}

#[derive(Clone, Copy)]
struct Syntax {
    explicit: bool,
    little: bool,
}

struct Reader<'a> {
    cur: Cursor<'a>,
    opts: ReadOptions,
    warnings: Vec<String>,
}

/// DCMTK's value width of a VR (for "is not a multiple of" warnings).
fn value_width(vr: Vr) -> u32 {
    match vr {
        Vr::OW | Vr::SS | Vr::US => 2,
        Vr::AT | Vr::FL | Vr::OF | Vr::OL | Vr::SL | Vr::UL => 4,
        Vr::FD | Vr::OD | Vr::OV | Vr::SV | Vr::UV => 8,
        _ => 1,
    }
}

/// DCMTK's warnings about a value length, logged while reading.
fn length_warnings(t: u32, vr: Vr, len: u32, out: &mut Vec<String>) {
    if len == UNDEFINED || vr == Vr::SQ || tag::group(t) == 0xFFFE {
        return;
    }
    let width = value_width(vr);
    if width > 1 && len % width != 0 {
        out.push(format!(
            "DcmItem: Length of element {} is not a multiple of {width} (VR={})",
            tag::format(t),
            vr.as_str()
        ));
    }
    if len % 2 == 1 {
        out.push(format!(
            "DcmItem: Length of element {} is odd",
            tag::format(t)
        ));
    }
}

/// Tags whose `xs` VR follows Pixel Representation (DCMTK's checkAndUpdateVR).
const XS_BY_PIXEL_REPRESENTATION: &[u32] = &[
    0x0028_0120, // PixelPaddingValue
    0x0028_0121, // PixelPaddingRangeLimit
    0x0060_3004, // HistogramFirstBinValue
    0x0060_3006, // HistogramLastBinValue
    0x0018_9810, // ZeroVelocityPixelValue
    0x0028_0106, // SmallestImagePixelValue
    0x0028_0107, // LargestImagePixelValue
    0x0028_0108, // SmallestPixelValueInSeries
    0x0028_0109, // LargestPixelValueInSeries
    0x0028_3002, // LUTDescriptor
    0x0040_9216, // RealWorldValueFirstValueMapped
    0x0040_9211, // RealWorldValueLastValueMapped
];

/// Tags whose `ox` VR follows Waveform Bits Allocated.
const OX_BY_WAVEFORM_BITS: &[u32] = &[
    0x5400_1010, // WaveformData
    0x5400_100A, // WaveformPaddingValue
    0x5400_0110, // ChannelMinimumValue
    0x5400_0112, // ChannelMaximumValue
];

/// Resolves a dictionary VR the way DCMTK does when it reads an element implicitly.
fn resolve(tag: u32, dvr: DictVr, ctx: &Context) -> Vr {
    match dvr {
        DictVr::Fixed(v) => v,
        DictVr::Xs => {
            if XS_BY_PIXEL_REPRESENTATION.contains(&tag) && ctx.pixel_representation == Some(1) {
                Vr::SS
            } else {
                Vr::US
            }
        }
        DictVr::Ox => {
            if OX_BY_WAVEFORM_BITS.contains(&tag) {
                match ctx.waveform_bits_allocated {
                    Some(8) | None => Vr::OB,
                    Some(_) => Vr::OW,
                }
            } else if tag == tag::PIXEL_DATA || (tag & 0xFF00_FFFF) == 0x6000_3000 {
                Vr::OW
            } else {
                Vr::OB
            }
        }
        DictVr::Px | DictVr::Lt => Vr::OW,
        DictVr::Up => Vr::UL,
    }
}

fn is_upper(b: u8) -> bool {
    b.is_ascii_uppercase()
}

impl Reader<'_> {
    fn creator(&self, ctx: &Context, t: u32) -> Option<String> {
        if !tag::is_private(t) || tag::element(t) < 0x1000 {
            return None;
        }
        #[allow(clippy::cast_possible_truncation)]
        let block = (tag::element(t) >> 8) as u8;
        ctx.creators.get(&(tag::group(t), block)).cloned()
    }

    fn dict_vr(&self, ctx: &Context, t: u32) -> Option<Vr> {
        let creator = self.creator(ctx, t);
        // The dictionary is loaded on first use: explicit VR files never need it.
        dict::global()
            .lookup_vr(t, creator.as_deref())
            .map(|d| resolve(t, d, ctx))
    }

    /// Reads one dataset or item. `end` bounds a defined-length item or the top level; `None`
    /// reads up to an Item Delimitation Item.
    fn dataset(&mut self, syn: Syntax, end: Option<u64>, depth: usize) -> CoreResult<Dataset> {
        if depth > MAX_DEPTH {
            return Err(CoreError::format("sequences nested too deeply"));
        }
        let mut ctx = Context::default();
        let mut elements: Vec<Element> = Vec::new();
        loop {
            // Like DCMTK, accept a stream that ends at an element boundary inside a
            // sequence or item whose length claims more.
            if self.cur.at_end() || end.is_some_and(|e| self.cur.pos >= e) {
                break;
            }
            self.cur.little = syn.little;
            let t = self.cur.tag()?;
            if t == tag::ITEM_DELIMITATION {
                self.cur.u32()?;
                if end.is_none() {
                    break;
                }
                continue;
            }
            if t == tag::SEQUENCE_DELIMITATION || t == tag::ITEM {
                // Stray delimiters at the top level: DCMTK skips them.
                self.cur.u32()?;
                continue;
            }
            let (vr, len) = self.header(t, syn, &ctx)?;
            length_warnings(t, vr, len, &mut self.warnings);
            let element = self.value(t, vr, len, syn, &mut ctx, depth)?;
            if elements.iter().any(|e| e.tag == t) {
                self.warnings.push(format!(
                    "DcmItem: Element {} found twice in one data set or item, ignoring second entry",
                    tag::format(t)
                ));
            } else if ctx.last_tag.is_some_and(|last| t < last) {
                self.warnings.push(format!(
                    "DcmItem: Dataset not in ascending tag order, at element {}",
                    tag::format(t)
                ));
            }
            self.note(&element, &mut ctx);
            elements.push(element);
        }
        if let Some(e) = end {
            if self.cur.pos > e {
                return Err(CoreError::format(
                    "element extends beyond the end of its item",
                ));
            }
        }
        elements.sort_by_key(|e| e.tag);
        elements.dedup_by_key(|e| e.tag);
        Ok(Dataset { elements })
    }

    fn header(&mut self, t: u32, syn: Syntax, ctx: &Context) -> CoreResult<(Vr, u32)> {
        if !syn.explicit || tag::group(t) == 0xFFFE {
            let len = self.cur.u32()?;
            let vr = self.dict_vr(ctx, t).unwrap_or(Vr::Unknown);
            return Ok((vr, len));
        }
        let code = self.cur.take(2)?;
        let code = [code[0], code[1]];
        match Vr::from_bytes(code) {
            Some(vr) => {
                let len = if vr.has_long_length() {
                    self.cur.skip(2)?;
                    self.cur.u32()?
                } else {
                    u32::from(self.cur.u16()?)
                };
                Ok((vr, len))
            }
            None if code == *b"OX" => {
                self.cur.skip(2)?;
                let len = self.cur.u32()?;
                let vr = if t == tag::PIXEL_DATA { Vr::OW } else { Vr::OB };
                Ok((vr, len))
            }
            None => {
                // DCMTK 3.6.7: an unknown VR of two uppercase letters is taken as a future VR
                // with a 4-byte length field, anything else with a 2-byte length field.
                let len = if is_upper(code[0]) && is_upper(code[1]) {
                    self.cur.skip(2)?;
                    self.cur.u32()?
                } else {
                    u32::from(self.cur.u16()?)
                };
                Ok((Vr::Unknown, len))
            }
        }
    }

    fn blob(&mut self, vr: Vr, len: u32, syn: Syntax) -> CoreResult<Blob> {
        let len = u64::from(len);
        let swap = if syn.little { 1 } else { vr.swap_unit() };
        if vr.is_bulk() && len >= self.opts.bulk_threshold {
            return self.stored(len, swap);
        }
        let mut v = self.cur.bytes(len)?;
        swap_in_place(&mut v, swap);
        Ok(Blob::Inline(v))
    }

    /// A value left where it lies in the source.
    fn stored(&mut self, len: u64, swap: u8) -> CoreResult<Blob> {
        let offset = self.cur.pos;
        self.cur.skip(len)?;
        Ok(Blob::Stored { offset, len, swap })
    }

    fn value(
        &mut self,
        t: u32,
        vr: Vr,
        len: u32,
        syn: Syntax,
        ctx: &mut Context,
        depth: usize,
    ) -> CoreResult<Element> {
        if len == UNDEFINED {
            if t == tag::PIXEL_DATA && vr != Vr::SQ {
                let fragments = self.fragments(syn)?;
                return Ok(Element {
                    tag: t,
                    vr: Vr::OB,
                    value: Value::Fragments(fragments),
                });
            }
            let item_syntax = if vr == Vr::UN && syn.explicit {
                // CP-246: the items of an undefined-length UN are implicit VR little endian.
                self.warnings.push(format!(
                    "Found element {} with VR UN and undefined length, reading a sequence with \
                     transfer syntax LittleEndianImplicit (CP-246)",
                    tag::format(t)
                ));
                Syntax {
                    explicit: false,
                    little: true,
                }
            } else {
                syn
            };
            if matches!(vr, Vr::SQ | Vr::UN | Vr::OB | Vr::OW | Vr::Unknown) {
                let items = self.items(item_syntax, None, depth)?;
                return Ok(Element {
                    tag: t,
                    vr: Vr::SQ,
                    value: Value::Items(items),
                });
            }
            return Err(CoreError::format(format!(
                "undefined length in element {} with VR {}",
                tag::format(t),
                vr.as_str()
            )));
        }
        if vr == Vr::SQ {
            let end = self.cur.pos + u64::from(len);
            let items = self.items(syn, Some(end), depth)?;
            return Ok(Element {
                tag: t,
                vr: Vr::SQ,
                value: Value::Items(items),
            });
        }
        if vr == Vr::UN && syn.explicit && self.opts.convert_un {
            if let Some(real) = self.dict_vr(ctx, t).filter(|v| !v.is_unknown()) {
                return self.converted_un(t, real, len, ctx, depth);
            }
        }
        let blob = self.blob(vr, len, syn)?;
        let element = Element {
            tag: t,
            vr,
            value: Value::Data(blob),
        };
        self.note(&element, ctx);
        Ok(element)
    }

    /// Re-reads a defined-length UN element with its dictionary VR (`+uc`): the value is
    /// implicit VR little endian.
    fn converted_un(
        &mut self,
        t: u32,
        vr: Vr,
        len: u32,
        ctx: &mut Context,
        depth: usize,
    ) -> CoreResult<Element> {
        let implicit = Syntax {
            explicit: false,
            little: true,
        };
        if vr == Vr::SQ {
            let end = self.cur.pos + u64::from(len);
            let saved = self.cur.little;
            let items = self.items(implicit, Some(end), depth)?;
            self.cur.little = saved;
            return Ok(Element {
                tag: t,
                vr,
                value: Value::Items(items),
            });
        }
        let blob = self.blob(vr, len, implicit)?;
        let element = Element {
            tag: t,
            vr,
            value: Value::Data(blob),
        };
        self.note(&element, ctx);
        Ok(element)
    }

    /// Remembers what later VR decisions of the same dataset depend on.
    ///
    /// Private creators follow DCMTK's quirks: one read out of tag order is not registered,
    /// the first of two wins, and the value is cut at the first NUL and right-trimmed.
    fn note(&self, e: &Element, ctx: &mut Context) {
        let in_order = ctx.last_tag.is_none_or(|last| e.tag > last);
        ctx.last_tag = Some(ctx.last_tag.map_or(e.tag, |last| last.max(e.tag)));
        if tag::is_private_creator(e.tag) {
            if let (true, Some(b)) = (in_order, e.bytes()) {
                let b = b.split(|c| *c == 0).next().unwrap_or_default();
                let end = b.iter().rposition(|c| *c != b' ').map_or(0, |p| p + 1);
                let creator = String::from_utf8_lossy(&b[..end]).into_owned();
                #[allow(clippy::cast_possible_truncation)]
                let block = (tag::element(e.tag) & 0xFF) as u8;
                ctx.creators
                    .entry((tag::group(e.tag), block))
                    .or_insert(creator);
            }
        } else if e.tag == tag::PIXEL_REPRESENTATION {
            ctx.pixel_representation = e.u16_value();
        } else if e.tag == tag::WAVEFORM_BITS_ALLOCATED {
            ctx.waveform_bits_allocated = e.u16_value();
        }
    }

    fn items(&mut self, syn: Syntax, end: Option<u64>, depth: usize) -> CoreResult<Vec<Dataset>> {
        let mut items = Vec::new();
        loop {
            if self.cur.at_end() || end.is_some_and(|e| self.cur.pos >= e) {
                break;
            }
            self.cur.little = syn.little;
            let t = self.cur.tag()?;
            let len = self.cur.u32()?;
            if t == tag::SEQUENCE_DELIMITATION {
                if end.is_none() {
                    break;
                }
                continue;
            }
            if t != tag::ITEM {
                return Err(CoreError::format(format!(
                    "unexpected element {} in sequence, item expected",
                    tag::format(t)
                )));
            }
            let item = if len == UNDEFINED {
                self.dataset(syn, None, depth + 1)?
            } else {
                let item_end = self.cur.pos + u64::from(len);
                let d = self.dataset(syn, Some(item_end), depth + 1)?;
                self.cur.pos = item_end.min(self.cur.src.len());
                d
            };
            items.push(item);
        }
        Ok(items)
    }

    fn fragments(&mut self, syn: Syntax) -> CoreResult<Vec<Blob>> {
        let mut out = Vec::new();
        loop {
            self.cur.little = syn.little;
            let t = self.cur.tag()?;
            let len = self.cur.u32()?;
            if t == tag::SEQUENCE_DELIMITATION {
                break;
            }
            if t != tag::ITEM || len == UNDEFINED {
                return Err(CoreError::format("invalid item in encapsulated pixel data"));
            }
            // Fragments are only ever streamed: in memory they stay where they lie.
            let blob = if self.cur.src.bytes().is_some() {
                self.stored(u64::from(len), 1)?
            } else {
                self.blob(
                    Vr::OB,
                    len,
                    Syntax {
                        explicit: syn.explicit,
                        little: true,
                    },
                )?
            };
            out.push(blob);
        }
        Ok(out)
    }
}

fn meta_ts(meta: &Dataset) -> Option<String> {
    meta.get(0x0002_0010)
        .and_then(Element::string_value)
        .map(|s| s.trim().to_string())
}

/// DCMTK's detection of the transfer syntax of a bare dataset from its first element.
fn detect(src: &Source, pos: u64) -> Kind {
    let mut b = [0u8; 6];
    if src.read_exact_at(pos, &mut b).is_err() {
        return Kind::ImplicitLittle;
    }
    let d = dict::global();
    let known = |t: u32| tag::element(t) == 0 || d.public(t).is_some();
    let le = (u32::from(u16::from_le_bytes([b[0], b[1]])) << 16)
        | u32::from(u16::from_le_bytes([b[2], b[3]]));
    let be = (u32::from(u16::from_be_bytes([b[0], b[1]])) << 16)
        | u32::from(u16::from_be_bytes([b[2], b[3]]));
    let explicit = Vr::from_bytes([b[4], b[5]]).is_some();
    let big = !known(le) && known(be);
    match (explicit, big) {
        (true, false) => Kind::ExplicitLittle,
        (true, true) => Kind::ExplicitBig,
        (false, false) => Kind::ImplicitLittle,
        (false, true) => Kind::ImplicitBig,
    }
}

fn read_meta(src: &Source, start: u64, warnings: &mut Vec<String>) -> CoreResult<(Dataset, u64)> {
    let mut cur = Cursor::new(src, start, true);
    let mut elements = Vec::new();
    while cur.remaining() >= 8 {
        let head = cur.peek(2)?;
        if u16::from_le_bytes([head[0], head[1]]) != 0x0002 {
            break;
        }
        let t = cur.tag()?;
        let code = cur.take(2)?;
        let vr = Vr::from_bytes([code[0], code[1]]).unwrap_or(Vr::Unknown);
        let len = if vr.has_long_length() {
            cur.skip(2)?;
            cur.u32()?
        } else {
            u32::from(cur.u16()?)
        };
        if len == UNDEFINED {
            return Err(CoreError::format(
                "undefined length in file meta information",
            ));
        }
        length_warnings(t, vr, len, warnings);
        let value = cur.bytes(u64::from(len))?;
        elements.push(Element::new(t, vr, value));
    }
    elements.sort_by_key(|e| e.tag);
    elements.dedup_by_key(|e| e.tag);
    Ok((Dataset { elements }, cur.pos))
}

fn inflate(src: &Source, start: u64) -> CoreResult<Source> {
    use std::io::{Seek, Write};
    struct At<'a> {
        src: &'a Source,
        pos: u64,
    }
    impl io::Read for At<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.src.read_at(self.pos, buf)?;
            self.pos += n as u64;
            Ok(n)
        }
    }
    let mut out = tempfile::tempfile()?;
    let mut dec = flate2::read::DeflateDecoder::new(io::BufReader::new(At { src, pos: start }));
    io::copy(&mut dec, &mut out)
        .map_err(|e| CoreError::format(format!("cannot inflate deflated dataset: {e}")))?;
    out.flush()?;
    out.rewind()?;
    Ok(Source::from_file(out)?)
}

/// Reads a document from `source`.
///
/// # Errors
/// [`CoreError::Format`] when the data is not a DICOM file or dataset that DCMTK would load,
/// or an I/O error.
pub fn read(source: Source, opts: ReadOptions) -> CoreResult<Document> {
    if source.is_empty() {
        return Err(CoreError::format("file is empty"));
    }
    let mut start = 0u64;
    let mut meta = None;
    let mut warnings = Vec::new();
    if opts.mode != ReadMode::Dataset {
        let mut magic = [0u8; 4];
        let has_preamble = source.len() >= 132
            && source.read_exact_at(128, &mut magic).is_ok()
            && &magic == b"DICM";
        let mut first = [0u8; 2];
        let meta_start = if has_preamble {
            Some(132)
        } else if source.read_exact_at(0, &mut first).is_ok() && u16::from_le_bytes(first) == 0x0002
        {
            Some(0)
        } else {
            None
        };
        match meta_start {
            Some(s) => {
                let (m, end) = read_meta(&source, s, &mut warnings)?;
                meta = Some(m);
                start = end;
            }
            None if opts.mode == ReadMode::FileOnly => {
                return Err(CoreError::format(
                    "no DICOM file meta information (DICM prefix) found",
                ));
            }
            None => {}
        }
    }
    let named = meta.as_ref().and_then(meta_ts);
    let forced = match opts.xfer {
        ReadXfer::Little => Some(syntax::EXPLICIT_LE),
        ReadXfer::Big => Some(syntax::EXPLICIT_BE),
        ReadXfer::Implicit => Some(syntax::IMPLICIT_LE),
        ReadXfer::Auto | ReadXfer::Detect => None,
    };
    let (uid, kind) = match (opts.xfer, &named, forced) {
        (ReadXfer::Auto, Some(u), _) if syntax::kind_of(u).is_some() => (
            u.clone(),
            syntax::kind_of(u).unwrap_or(Kind::ExplicitLittle),
        ),
        (_, _, Some(f)) if meta.is_none() => (
            f.to_string(),
            syntax::kind_of(f).unwrap_or(Kind::ExplicitLittle),
        ),
        (ReadXfer::Little | ReadXfer::Big | ReadXfer::Implicit, Some(u), _)
            if syntax::kind_of(u).is_some() =>
        {
            (
                u.clone(),
                syntax::kind_of(u).unwrap_or(Kind::ExplicitLittle),
            )
        }
        _ => {
            let k = detect(&source, start);
            let uid = match k {
                Kind::ExplicitBig => syntax::EXPLICIT_BE,
                Kind::ImplicitLittle | Kind::ImplicitBig => syntax::IMPLICIT_LE,
                _ => syntax::EXPLICIT_LE,
            };
            (uid.to_string(), k)
        }
    };
    let source = if kind == Kind::Deflated {
        let inflated = inflate(&source, start)?;
        start = 0;
        inflated
    } else {
        source
    };
    let syn = Syntax {
        explicit: kind.explicit(),
        little: kind.little(),
    };
    let (dataset, mut dataset_warnings) = if start >= source.len() {
        (Dataset::default(), Vec::new())
    } else {
        let mut reader = Reader {
            cur: Cursor::new(&source, start, syn.little),
            opts,
            warnings: Vec::new(),
        };
        let end = source.len();
        let dataset = reader.dataset(syn, Some(end), 0)?;
        (dataset, reader.warnings)
    };
    warnings.append(&mut dataset_warnings);
    if meta.is_none() && dataset.is_empty() {
        return Err(CoreError::format("no data elements found"));
    }
    Ok(Document {
        source: Arc::new(source),
        meta,
        dataset,
        transfer_syntax: uid,
        kind,
        warnings,
    })
}
