//! Reads DICOM files and bare datasets into DCMTK's in-memory model.
//!
//! Small values are read into memory; large binary values (and large fragments of encapsulated
//! pixel data) stay in the source as ranges, so that a 1 GiB file is never held in memory.

pub mod source;

pub use crate::model::document::Document;

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use crate::error::{CoreError, CoreResult, LogLevel, ReadError, ReadErrorKind};
use crate::model::dict::{self, DictVr};
use crate::model::syntax::{self, Kind};
use crate::model::tag;
use crate::model::vr::{swap_in_place, Vr};
use crate::model::{Blob, Dataset, Element, Value};
use crate::read::source::Source;

const UNDEFINED: u32 = 0xFFFF_FFFF;
const WINDOW: usize = 64 * 1024;

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

/// DCMTK's `maxReadLength` of `dcmsign`: longer values are skipped over and loaded later.
const MAX_READ_LENGTH: u32 = 4096;
/// The deepest nesting read: DCMTK 3.6.7 overflows its stack a little beyond 5,600 levels.
pub const MAX_DEPTH: usize = 6000;
/// Below this much stack left, the reader continues on a new segment of [`STACK_SEGMENT`].
const RED_ZONE: usize = 128 * 1024;
const STACK_SEGMENT: usize = 4 << 20;
/// The stack of a thread that walks a document recursively (room for [`MAX_DEPTH`] levels).
pub const DEEP_STACK: usize = 64 << 20;

/// How a step of the parser ended: DCMTK's conditions that steer its loops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Normal,
    EndOfStream,
    ItemEnd,
    SequenceEnd,
    Fail(ReadErrorKind),
}

/// One element header, as DCMTK's `readTagAndLength` leaves it.
struct Header {
    tag: u32,
    vr: Vr,
    len: u32,
    /// Where the tag starts (DCMTK's putback mark).
    mark: u64,
}

/// The item whose explicit length bounds what is read (DCMTK checks element lengths against
/// it), or none for datasets, undefined-length items and directory records.
#[derive(Clone, Copy)]
struct Bound {
    len: u32,
    start: u64,
}

struct Reader<'a> {
    cur: Cursor<'a>,
    opts: ReadOptions,
    log: Vec<(LogLevel, String)>,
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

/// The three tags DCMTK's dictionary gives the VR `na`: they have no VR in explicit syntaxes.
fn is_delimiter_or_item(t: u32) -> bool {
    matches!(
        t,
        tag::ITEM | tag::ITEM_DELIMITATION | tag::SEQUENCE_DELIMITATION
    )
}

/// DCMTK's `hasValidGroup`: groups 1, 3, 5, 7 and 0xFFFF are not allowed in a dataset.
fn valid_group(t: u32) -> bool {
    let g = tag::group(t);
    !((g & 1 == 1 && g <= 7) || g == 0xFFFF)
}

fn name(t: u32) -> String {
    dict::global().name(t)
}

/// `'X'` as DCMTK prints a VR byte in its warning (control characters as a space).
fn printable(b: u8) -> char {
    if b < 32 {
        ' '
    } else {
        char::from(b)
    }
}

impl Reader<'_> {
    fn warn(&mut self, text: String) {
        self.log.push((LogLevel::Warning, text));
    }

    fn error(&mut self, text: String) {
        self.log.push((LogLevel::Error, text));
    }

    /// DCMTK's `insert` of an element just read: a second one with the same tag is dropped,
    /// with its warning. True when `t` is already among `elements`.
    fn twice(&mut self, elements: &[Element], t: u32) -> bool {
        let twice = elements.iter().any(|x| x.tag == t);
        if twice {
            self.warn(format!(
                "DcmItem: Element {} found twice in one data set or item, ignoring second entry",
                tag::format(t)
            ));
        }
        twice
    }

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

    fn u16_at(&mut self, little: bool) -> CoreResult<u16> {
        self.cur.little = little;
        self.cur.u16()
    }

    /// DCMTK's `DcmItem::readTagAndLength`, with its checks in its order.
    fn tag_and_length(
        &mut self,
        syn: Syntax,
        ctx: &Context,
        bound: Option<Bound>,
    ) -> CoreResult<Result<Header, Step>> {
        if self.cur.at_end() {
            return Ok(Err(Step::EndOfStream));
        }
        if self.cur.remaining() < if syn.explicit { 6 } else { 4 } {
            return Ok(Err(Step::Fail(ReadErrorKind::PrematureEnd)));
        }
        let mark = self.cur.pos;
        let g = u32::from(self.u16_at(syn.little)?);
        let e = u32::from(self.u16_at(syn.little)?);
        let t = (g << 16) | e;
        let no_vr = is_delimiter_or_item(t);
        let (vr, long) = if syn.explicit && !no_vr {
            let code = self.cur.take(2)?;
            let code = [code[0], code[1]];
            match Vr::from_bytes(code) {
                Some(vr) => (vr, vr.has_long_length()),
                None => {
                    let long = is_upper(code[0]) && is_upper(code[1]);
                    self.warn(format!(
                        "DcmItem: Non-standard VR '{}{}' ({:02x}\\{:02x}) encountered while \
                         parsing element {}, assuming {} byte length field",
                        printable(code[0]),
                        printable(code[1]),
                        code[0],
                        code[1],
                        tag::format(t),
                        if long { 4 } else { 2 }
                    ));
                    if t == tag::PIXEL_DATA && code == *b"OX" {
                        self.warn(format!(
                            "DcmItem: Non-standard VR 'OX' is known to be wrongly used for \
                             PixelData {}, setting VR to 'OW'",
                            tag::format(t)
                        ));
                        (Vr::OW, long)
                    } else {
                        (Vr::Unknown, long)
                    }
                }
            }
        } else if no_vr {
            (Vr::Unknown, true)
        } else {
            (self.dict_vr(ctx, t).unwrap_or(Vr::Unknown), true)
        };
        let rest = if !syn.explicit || no_vr {
            4
        } else if long {
            6
        } else {
            2
        };
        if self.cur.remaining() < rest {
            self.cur.pos = mark;
            return Ok(Err(Step::Fail(ReadErrorKind::PrematureEnd)));
        }
        let len = if !syn.explicit || no_vr {
            self.cur.u32()?
        } else if long {
            self.cur.skip(2)?;
            self.cur.u32()?
        } else {
            u32::from(self.cur.u16()?)
        };
        if syn.explicit && !no_vr {
            let width = value_width(vr);
            if width > 1 && len % width != 0 {
                self.warn(format!(
                    "DcmItem: Length of element {} is not a multiple of {width} (VR={})",
                    tag::format(t),
                    vr.as_str()
                ));
            }
        }
        if len & 1 == 1 && len != UNDEFINED {
            self.warn(format!(
                "DcmItem: Length of element {} is odd",
                tag::format(t)
            ));
        }
        if let Some(b) = bound.filter(|b| b.len != UNDEFINED && len != UNDEFINED) {
            #[allow(clippy::cast_possible_wrap)]
            let remaining = i64::from(b.len) - (self.cur.pos - b.start) as i64;
            if remaining < 0 {
                self.warn(format!(
                    "DcmItem: Explicit item length ({} bytes) too large for the elements \
                     contained in the item",
                    b.len
                ));
                if t == tag::SEQUENCE_DELIMITATION {
                    self.warn(
                        "DcmItem: Sequence delimitation occurred before all bytes announced by \
                         explicit item length could be read"
                            .into(),
                    );
                    self.cur.pos = mark;
                    return Ok(Err(Step::Fail(ReadErrorKind::PrematureSequenceDelimiter)));
                }
            } else if i64::from(len) > remaining {
                self.warn(format!(
                    "DcmItem: Element {} {} larger ({len}) than remaining bytes ({remaining}) of \
                     surrounding item",
                    name(t),
                    tag::format(t)
                ));
                return Ok(Err(Step::Fail(ReadErrorKind::ElementLargerThanItem)));
            }
        }
        Ok(Ok(Header {
            tag: t,
            vr,
            len,
            mark,
        }))
    }

    /// DCMTK's `DcmItem::readUntilTag`: the elements of the dataset (`bound` none, length
    /// undefined) or of an item.
    fn item(
        &mut self,
        syn: Syntax,
        len: u32,
        bound: bool,
        depth: usize,
    ) -> CoreResult<(Dataset, Step)> {
        let start = self.cur.pos;
        let mut ctx = Context::default();
        let mut elements: Vec<Element> = Vec::new();
        let limit = bound.then_some(Bound { len, start });
        let mut step = Step::Normal;
        if self.cur.at_end() {
            step = Step::EndOfStream;
        } else {
            #[allow(clippy::cast_possible_truncation)]
            while ((self.cur.pos - start) as u32) < len {
                let h = match self.tag_and_length(syn, &ctx, limit)? {
                    Ok(h) => h,
                    Err(s) => {
                        step = s;
                        break;
                    }
                };
                let (element, s) = self.sub_element(&h, syn, &mut ctx, depth)?;
                if let Some(element) = element {
                    if !self.twice(&elements, h.tag) {
                        if ctx.last_tag.is_some_and(|last| h.tag < last) {
                            self.warn(format!(
                                "DcmItem: Dataset not in ascending tag order, at element {}",
                                tag::format(h.tag)
                            ));
                        }
                        if s == Step::Normal {
                            self.note(&element, &mut ctx);
                        }
                        elements.push(element);
                    }
                }
                if !valid_group(h.tag) || tag::group(h.tag) == 0x0002 {
                    self.warn(format!(
                        "DcmItem: Invalid Element {} found in data set",
                        tag::format(h.tag)
                    ));
                }
                if s != Step::Normal {
                    step = s;
                    break;
                }
            }
            if step == Step::Normal && self.cur.at_end() {
                step = Step::EndOfStream;
            }
        }
        let step = match step {
            Step::ItemEnd | Step::EndOfStream => Step::Normal,
            Step::SequenceEnd => Step::Fail(ReadErrorKind::ItemDelimiterMissing),
            s => s,
        };
        elements.sort_by_key(|e| e.tag);
        elements.dedup_by_key(|e| e.tag);
        Ok((Dataset { elements }, step))
    }

    /// DCMTK's `DcmItem::readSubElement` with `newDicomElement`: what the header announces.
    fn sub_element(
        &mut self,
        h: &Header,
        syn: Syntax,
        ctx: &mut Context,
        depth: usize,
    ) -> CoreResult<(Option<Element>, Step)> {
        let t = h.tag;
        match t {
            tag::ITEM => {
                self.cur.pos = h.mark;
                self.warn(format!(
                    "DcmItem: Parse error while parsing element {}",
                    tag::format(t)
                ));
                return Ok((None, Step::Fail(ReadErrorKind::InvalidTag)));
            }
            tag::ITEM_DELIMITATION => return Ok((None, Step::ItemEnd)),
            tag::SEQUENCE_DELIMITATION => {
                self.error(format!(
                    "DcmItem: Parse error in sequence item, found {} instead of item delimiter {}",
                    tag::format(t),
                    tag::format(tag::ITEM_DELIMITATION)
                ));
                return Ok((None, Step::Fail(ReadErrorKind::ItemDelimiterMissing)));
            }
            _ => {}
        }
        let mut vr = h.vr;
        let mut value_syntax = syn;
        if vr == Vr::UN && h.len != UNDEFINED && syn.explicit && self.opts.convert_un {
            if let Some(real) = self.dict_vr(ctx, t).filter(|v| !v.is_unknown()) {
                // `+uc`: the value is read as implicit VR little endian with its real VR.
                vr = real;
                value_syntax = Syntax {
                    explicit: false,
                    little: true,
                };
            }
        }
        if vr == Vr::SQ {
            return self.sequence(t, h.len, value_syntax, false, depth);
        }
        let pixel_data = t == tag::PIXEL_DATA && matches!(vr, Vr::OB | Vr::OW);
        if pixel_data && h.len == UNDEFINED {
            return self.sequence(t, h.len, syn, true, depth);
        }
        let overlay = (t & 0xFF00_FFFF) == 0x6000_3000;
        if matches!(vr, Vr::OB | Vr::OW) && !pixel_data && !overlay {
            if t == 0x0028_3010 && h.len != UNDEFINED {
                self.error(
                    "DcmItem: VOI LUT Sequence with VR=OW and explicit length encountered.".into(),
                );
                return Ok((None, Step::Fail(ReadErrorKind::VoiLutObOw)));
            }
            if h.len == UNDEFINED {
                let kind = ReadErrorKind::UndefinedLengthObOw;
                self.error(format!(
                    "DcmItem: Parse error in {}: {}",
                    tag::format(t),
                    kind.text()
                ));
                return Ok((None, Step::Fail(kind)));
            }
        }
        if vr.is_unknown() && h.len == UNDEFINED {
            // CP-246: the items of an undefined-length UN are implicit VR little endian.
            self.warn(format!(
                "Found element {} with VR UN and undefined length, reading a sequence with \
                 transfer syntax LittleEndianImplicit (CP-246)",
                tag::format(t)
            ));
            let implicit = Syntax {
                explicit: false,
                little: true,
            };
            return self.sequence(t, h.len, implicit, false, depth);
        }
        let (blob, step) = self.element_value(t, h.len, vr, value_syntax)?;
        Ok((
            Some(Element {
                tag: t,
                vr,
                value: Value::Data(blob),
            }),
            step,
        ))
    }

    /// DCMTK's `DcmElement::read` and `loadValue` for a file stream and `dcmsign`'s
    /// `maxReadLength` of 4096 bytes.
    fn element_value(&mut self, t: u32, len: u32, vr: Vr, syn: Syntax) -> CoreResult<(Blob, Step)> {
        let empty = Blob::Inline(Vec::new());
        if self.cur.at_end() {
            if len > 0 {
                self.error(format!(
                    "DcmElement: {} {} larger ({len}) than remaining bytes in file",
                    name(t),
                    tag::format(t)
                ));
                return Ok((empty, Step::Fail(ReadErrorKind::PrematureEnd)));
            }
            return Ok((empty, Step::EndOfStream));
        }
        let available = self.cur.remaining();
        if u64::from(len) > available {
            self.cur.pos = self.cur.src.len();
            if len > MAX_READ_LENGTH {
                self.error(format!(
                    "DcmElement: {} {} larger ({len}) than remaining bytes in file",
                    name(t),
                    tag::format(t)
                ));
                return Ok((empty, Step::Fail(ReadErrorKind::PrematureEnd)));
            }
            self.error(format!(
                "DcmElement: {} {} larger ({len}) than remaining bytes ({available}) in file, \
                 premature end of stream",
                name(t),
                tag::format(t)
            ));
            return Ok((empty, Step::Fail(ReadErrorKind::InvalidStream)));
        }
        Ok((self.blob(vr, len, syn)?, Step::Normal))
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

    /// DCMTK's `DcmSequenceOfItems::read` (and `DcmPixelSequence` for encapsulated pixel
    /// data, whose items are fragments).
    fn sequence(
        &mut self,
        t: u32,
        len: u32,
        syn: Syntax,
        pixels: bool,
        depth: usize,
    ) -> CoreResult<(Option<Element>, Step)> {
        if depth >= MAX_DEPTH {
            return Ok((None, Step::Fail(ReadErrorKind::NestedTooDeeply)));
        }
        let start = self.cur.pos;
        let mut items = Vec::new();
        let mut fragments = Vec::new();
        let mut step = Step::Normal;
        if self.cur.at_end() {
            step = Step::EndOfStream;
        } else {
            #[allow(clippy::cast_possible_truncation)]
            while ((self.cur.pos - start) as u32) < len {
                if self.cur.at_end() {
                    self.warn(format!(
                        "DcmSequenceOfItems: Reached end of stream before the end of sequence \
                         {} {}",
                        name(t),
                        tag::format(t)
                    ));
                    step = Step::Fail(ReadErrorKind::SequenceDelimiterMissing);
                    break;
                }
                if self.cur.remaining() < 8 {
                    step = Step::Fail(ReadErrorKind::PrematureEnd);
                    break;
                }
                self.cur.little = syn.little;
                let it = self.cur.tag()?;
                let item_len = self.cur.u32()?;
                if item_len & 1 == 1 && item_len != UNDEFINED {
                    self.warn(format!(
                        "DcmSequenceOfItems: Length of item in sequence {} {} is odd",
                        name(t),
                        tag::format(t)
                    ));
                }
                if it == tag::SEQUENCE_DELIMITATION {
                    break;
                }
                if it != tag::ITEM {
                    self.error(format!(
                        "DcmSequenceOfItems: Parse error in sequence {}, found {} instead of \
                         sequence delimiter {}",
                        tag::format(t),
                        tag::format(it),
                        tag::format(tag::SEQUENCE_DELIMITATION)
                    ));
                    step = Step::Fail(ReadErrorKind::SequenceDelimiterMissing);
                    break;
                }
                let s = if pixels {
                    let little = Syntax {
                        explicit: syn.explicit,
                        little: true,
                    };
                    let (blob, s) = if self.cur.src.bytes().is_some()
                        && !self.cur.at_end()
                        && u64::from(item_len) <= self.cur.remaining()
                    {
                        // Fragments are only ever streamed: in memory they stay where they lie.
                        (self.stored(u64::from(item_len), 1)?, Step::Normal)
                    } else {
                        self.element_value(tag::ITEM, item_len, Vr::OB, little)?
                    };
                    fragments.push(blob);
                    s
                } else {
                    // Directory records are items that DCMTK does not bound by their length.
                    let bound = t != 0x0004_1220;
                    // Deep files may come from anywhere: the stack grows on the heap as needed.
                    let (item, s) = stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
                        self.item(syn, item_len, bound, depth + 1)
                    })?;
                    items.push(item);
                    s
                };
                if s != Step::Normal {
                    step = s;
                    break;
                }
            }
        }
        let step = if step == Step::SequenceEnd {
            Step::Normal
        } else {
            step
        };
        let (vr, value) = if pixels {
            (Vr::OB, Value::Fragments(fragments))
        } else {
            (Vr::SQ, Value::Items(items))
        };
        Ok((Some(Element { tag: t, vr, value }), step))
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

/// DCMTK's `nextTagIsMeta`: the next two bytes name group 0x0002 in either byte order.
fn next_is_meta(cur: &mut Cursor<'_>) -> bool {
    cur.peek(2)
        .is_ok_and(|b| (b[0] == 2 && b[1] == 0) || (b[0] == 0 && b[1] == 2))
}

impl Reader<'_> {
    /// DCMTK's `DcmMetaInfo::read` after the preamble: the group length first, then elements
    /// up to the length it gives (or, without one, while the next tag is in group 0x0002).
    /// Returns the meta header (`None` when there is none) or the condition that failed it.
    fn meta(&mut self) -> CoreResult<Result<Option<Dataset>, ReadErrorKind>> {
        let syn = Syntax {
            explicit: true,
            little: true,
        };
        let start = self.cur.pos;
        if self.cur.at_end() {
            return Ok(Ok(None));
        }
        if self.cur.remaining() < 12 {
            return Ok(Err(ReadErrorKind::PrematureEnd));
        }
        let mut ctx = Context::default();
        let mut elements: Vec<Element> = Vec::new();
        if !next_is_meta(&mut self.cur) {
            return Ok(Ok(None));
        }
        let first = match self.tag_and_length(syn, &ctx, None)? {
            Ok(h) => h,
            Err(Step::EndOfStream) => return Ok(Ok(None)),
            Err(Step::Fail(kind)) => return Ok(Err(kind)),
            Err(_) => return Ok(Err(ReadErrorKind::CorruptedData)),
        };
        let (element, step) = self.sub_element(&first, syn, &mut ctx, 0)?;
        let group_length = element
            .as_ref()
            .filter(|e| e.tag == 0x0002_0000 && first.len > 0 && step == Step::Normal)
            .and_then(|e| {
                e.bytes()
                    .and_then(|b| b.get(..4).map(|v| [v[0], v[1], v[2], v[3]]))
            })
            .map(u32::from_le_bytes);
        if let Some(e) = element {
            elements.push(e);
        }
        #[allow(clippy::cast_possible_truncation)]
        let length = match group_length {
            Some(n) => n.wrapping_add((self.cur.pos - start) as u32),
            None => {
                self.warn(
                    "DcmMetaInfo: No Group Length available in Meta Information Header".into(),
                );
                match step {
                    Step::Fail(ReadErrorKind::PrematureEnd | ReadErrorKind::InvalidStream) => {
                        return Ok(Err(ReadErrorKind::InvalidStream));
                    }
                    Step::Normal => {}
                    _ => return Ok(Err(ReadErrorKind::CorruptedData)),
                }
                UNDEFINED
            }
        };
        let mut step = Step::Normal;
        loop {
            #[allow(clippy::cast_possible_truncation)]
            let transferred = (self.cur.pos - start) as u32;
            let more = if length == UNDEFINED {
                next_is_meta(&mut self.cur)
            } else {
                transferred < length
            };
            if self.cur.at_end() || !more {
                break;
            }
            let h = match self.tag_and_length(syn, &ctx, None)? {
                Ok(h) => h,
                Err(s) => {
                    step = s;
                    break;
                }
            };
            let (element, s) = self.sub_element(&h, syn, &mut ctx, 0)?;
            if let Some(e) = element {
                if !self.twice(&elements, e.tag) {
                    elements.push(e);
                }
            }
            if tag::group(h.tag) != 0x0002 {
                self.warn(format!(
                    "DcmMetaInfo: Invalid Element {} found in Meta Information Header",
                    tag::format(h.tag)
                ));
            }
            if s != Step::Normal {
                step = s;
                break;
            }
        }
        match step {
            Step::Normal | Step::EndOfStream | Step::ItemEnd => {}
            Step::SequenceEnd => return Ok(Err(ReadErrorKind::CorruptedData)),
            Step::Fail(kind) => return Ok(Err(kind)),
        }
        #[allow(clippy::cast_possible_truncation)]
        let transferred = (self.cur.pos - start) as u32;
        if length != UNDEFINED && transferred != length {
            self.warn(
                "DcmMetaInfo: Group Length of Meta Information Header has incorrect value".into(),
            );
        }
        elements.sort_by_key(|e| e.tag);
        Ok(Ok(Some(Dataset { elements })))
    }
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
    let mut log = Vec::new();
    if opts.mode != ReadMode::Dataset {
        let mut magic = [0u8; 4];
        let has_preamble = source.len() >= 132
            && source.read_exact_at(128, &mut magic).is_ok()
            && &magic == b"DICM";
        let meta_start = if has_preamble { 132 } else { 0 };
        // Meta values are always held in memory: a deflated dataset gets a source of its own.
        let meta_opts = ReadOptions {
            bulk_threshold: u64::MAX,
            ..opts
        };
        let mut reader = Reader {
            cur: Cursor::new(&source, meta_start, true),
            opts: meta_opts,
            log: Vec::new(),
        };
        let found = reader.meta()?;
        log = reader.log;
        match found {
            Err(kind) => return Err(CoreError::Read(ReadError { kind, log })),
            Ok(Some(m)) => {
                meta = Some(m);
                start = reader.cur.pos;
            }
            Ok(None) if opts.mode == ReadMode::FileOnly => {
                // DCMTK (DcmMetaInfo::read with ERM_fileOnly): the preamble warning, then
                // "File meta information header missing"; a file of fewer than 12 bytes ends
                // the stream before that.
                if has_preamble {
                    log.push((
                        LogLevel::Warning,
                        "DcmMetaInfo: Found Preamble but no Meta Information Header".into(),
                    ));
                }
                let kind = if source.len() < 12 {
                    ReadErrorKind::PrematureEnd
                } else {
                    ReadErrorKind::MetaHeaderMissing
                };
                return Err(CoreError::Read(ReadError { kind, log }));
            }
            Ok(None) => {
                if has_preamble {
                    log.push((
                        LogLevel::Warning,
                        "DcmMetaInfo: Found Preamble but no Meta Information Header".into(),
                    ));
                    start = 132;
                }
            }
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
    let dataset = if start >= source.len() {
        Dataset::default()
    } else {
        let mut reader = Reader {
            cur: Cursor::new(&source, start, syn.little),
            opts,
            log,
        };
        let (dataset, step) = reader.item(syn, UNDEFINED, false, 0)?;
        log = reader.log;
        if let Step::Fail(kind) = step {
            return Err(CoreError::Read(ReadError { kind, log }));
        }
        // DCMTK's `doPostReadChecks`: native pixel data under an encapsulated syntax.
        let native_pixels = dataset
            .get(tag::PIXEL_DATA)
            .is_some_and(|e| matches!(e.value, Value::Data(_)));
        if kind == Kind::Encapsulated && native_pixels {
            log.push((
                LogLevel::Error,
                format!(
                    "Found explicit length Pixel Data in top level dataset with transfer syntax \
                     {}: Only undefined length permitted",
                    syntax::dcmtk_name(&uid).unwrap_or(uid.as_str())
                ),
            ));
            let kind = ReadErrorKind::PixelDataExplicitLength;
            return Err(CoreError::Read(ReadError { kind, log }));
        }
        dataset
    };
    let warnings = log.into_iter().map(|(_, text)| text).collect();
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
