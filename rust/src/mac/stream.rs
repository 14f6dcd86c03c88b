//! The MAC byte stream of dcmsign-behaviour.md §2: the signed elements of a dataset or item,
//! then the signature's own Digital Signatures item, encoded without sequence or item lengths.

use std::io::Write;

use crate::error::{CoreError, CoreResult};
use crate::model::normalize::Rule;
use crate::model::syntax::{self, Kind};
use crate::model::tag;
use crate::model::vr::Vr;
use crate::model::{Dataset, Element, Value};
use crate::read::source::Source;
use crate::write::emit::Emitter;

/// The encoding of the MAC stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacEncoding {
    /// Explicit VR little endian (what DCMTK signs with).
    ExplicitLittle,
    /// Implicit VR little endian (verification only).
    ImplicitLittle,
    /// Explicit VR big endian (verification only).
    ExplicitBig,
}

impl MacEncoding {
    /// The encoding a MAC Calculation Transfer Syntax UID implies, with whether it allows
    /// encapsulated pixel data; `None` for a UID DCMTK does not know.
    #[must_use]
    pub fn for_uid(uid: &str) -> Option<(MacEncoding, bool)> {
        Some(match syntax::kind_of(uid)? {
            Kind::ImplicitLittle | Kind::ImplicitBig => (MacEncoding::ImplicitLittle, false),
            Kind::ExplicitBig => (MacEncoding::ExplicitBig, false),
            Kind::ExplicitLittle | Kind::Deflated => (MacEncoding::ExplicitLittle, false),
            Kind::Encapsulated => (MacEncoding::ExplicitLittle, true),
        })
    }
}

/// Options of the MAC stream.
#[derive(Clone, Copy, Debug)]
pub struct StreamOptions {
    /// Encoding of the stream.
    pub encoding: MacEncoding,
    /// True when the MAC transfer syntax is an encapsulated one.
    pub encapsulated: bool,
    /// DCMTK's pre-3.5.4 format for encapsulated pixel data (`--format-old`).
    pub old_format: bool,
    /// Value normalization rule.
    pub rule: Rule,
}

/// Which top-level elements of the container to encode.
#[derive(Clone, Copy, Debug)]
pub enum Selection<'a> {
    /// Every signable element.
    All,
    /// The listed tags; a listed but unsignable element is an error, a listed but absent one
    /// is skipped.
    Tags(&'a [u32]),
}

/// What [`mac_stream`] did.
#[derive(Clone, Debug, Default)]
pub struct StreamReport {
    /// The container tags encoded, in order.
    pub tags: Vec<u32>,
    /// True when an encoded value normalizes differently under DCMTK 3.6 and 3.7.
    pub ambiguous: bool,
}

/// Tags of the signature item that never enter the MAC.
const SIG_ITEM_EXCLUDED: [u32; 4] = [
    tag::CERTIFICATE_OF_SIGNER,
    tag::SIGNATURE,
    tag::CERTIFIED_TIMESTAMP_TYPE,
    tag::CERTIFIED_TIMESTAMP,
];

struct Encoder<'a, W: Write> {
    em: Emitter<'a, W>,
    opts: StreamOptions,
}

impl<W: Write> Encoder<'_, W> {
    fn explicit(&self) -> bool {
        self.opts.encoding != MacEncoding::ImplicitLittle
    }

    fn element(&mut self, e: &Element) -> CoreResult<()> {
        match &e.value {
            Value::Items(items) => {
                self.em.tag(e.tag)?;
                if self.explicit() {
                    self.em.raw(b"SQ\0\0")?;
                }
                for item in items {
                    self.em.tag(tag::ITEM)?;
                    for child in &item.elements {
                        if child.is_signable() {
                            self.element(child)?;
                        }
                    }
                }
                self.em.tag(tag::SEQUENCE_DELIMITATION)
            }
            Value::Fragments(frags) => {
                if !self.opts.encapsulated {
                    return Err(CoreError::Encode(
                        "encapsulated pixel data cannot be encoded in the MAC transfer syntax"
                            .into(),
                    ));
                }
                self.em.tag(e.tag)?;
                if self.explicit() {
                    self.em.raw(b"OB\0\0")?;
                }
                for f in frags {
                    self.em.tag(tag::ITEM)?;
                    if self.opts.old_format {
                        let len = f.len() + (f.len() % 2);
                        let len = u32::try_from(len)
                            .map_err(|_| CoreError::Encode("fragment too large".into()))?;
                        self.em.u32(len)?;
                        self.em.fragment(f)?;
                        if f.len() % 2 == 1 {
                            self.em.raw(&[0])?;
                        }
                    } else {
                        self.em.fragment(f)?;
                    }
                }
                self.em.tag(tag::SEQUENCE_DELIMITATION)
            }
            Value::Data(blob) => {
                if e.tag == tag::PIXEL_DATA && self.opts.encapsulated {
                    return Err(CoreError::Encode(
                        "native pixel data cannot be encoded in an encapsulated MAC transfer syntax"
                            .into(),
                    ));
                }
                let len = self.em.value_len(e.vr, blob);
                self.em.tag(e.tag)?;
                let mut vr = e.vr;
                if self.explicit() {
                    if !vr.has_long_length() && len > 0xFFFF {
                        vr = Vr::UN;
                    }
                    self.em.raw(&vr.code())?;
                    if vr.has_long_length() {
                        self.em.raw(&[0, 0])?;
                        self.em.u32(len32(len)?)?;
                    } else {
                        #[allow(clippy::cast_possible_truncation)]
                        self.em.u16(len as u16)?;
                    }
                } else {
                    self.em.u32(len32(len)?)?;
                }
                self.em.value(e.vr, blob)
            }
        }
    }
}

fn len32(len: u64) -> CoreResult<u32> {
    u32::try_from(len)
        .ok()
        .filter(|l| *l != u32::MAX)
        .ok_or_else(|| CoreError::Encode("value too large for a 32-bit length".into()))
}

/// Encodes the MAC stream of `container` (elements chosen by `selection`) followed by the
/// signature item `sig_item` into `out`.
///
/// # Errors
/// [`CoreError::Unsignable`] for a listed unsignable element, [`CoreError::Encode`] for
/// pixel data that cannot be encoded in the MAC transfer syntax, or I/O errors.
pub fn mac_stream<W: Write>(
    src: &Source,
    container: &Dataset,
    selection: Selection<'_>,
    sig_item: &Dataset,
    opts: StreamOptions,
    out: W,
) -> CoreResult<StreamReport> {
    let little = opts.encoding != MacEncoding::ExplicitBig;
    let mut enc = Encoder {
        em: Emitter::new(src, out, little, opts.rule),
        opts,
    };
    let mut report = StreamReport::default();
    let listed: Vec<u32> = match selection {
        Selection::All => Vec::new(),
        Selection::Tags(list) => {
            let mut v = list.to_vec();
            v.sort_unstable();
            v
        }
    };
    for e in &container.elements {
        let wanted = match selection {
            Selection::All => e.is_signable(),
            Selection::Tags(_) => listed.binary_search(&e.tag).is_ok(),
        };
        if !wanted {
            continue;
        }
        if !e.is_signable() {
            return Err(CoreError::Unsignable(e.tag));
        }
        enc.element(e)?;
        report.tags.push(e.tag);
    }
    for e in &sig_item.elements {
        if e.is_signable() && !SIG_ITEM_EXCLUDED.contains(&e.tag) {
            enc.element(e)?;
        }
    }
    enc.em.out.flush()?;
    report.ambiguous = enc.em.ambiguous;
    Ok(report)
}

/// The tags of the signable elements of `container`, in order.
#[must_use]
pub fn signable_tags(container: &Dataset) -> Vec<u32> {
    container
        .elements
        .iter()
        .filter(|e| e.is_signable())
        .map(|e| e.tag)
        .collect()
}
