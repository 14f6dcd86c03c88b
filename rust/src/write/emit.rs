//! Writing element values: normalization, byte order and chunked copies of stored values.
//! Shared by the MAC stream encoder and the file writer.

use std::io::Write;

use crate::error::CoreResult;
use crate::model::normalize::{self, Rule};
use crate::model::vr::{swap_in_place, Vr};
use crate::model::Blob;
use crate::read::source::Source;

/// Writes values of one document to `out`.
pub struct Emitter<'a, W: Write> {
    src: &'a Source,
    /// The destination.
    pub out: W,
    buf: Vec<u8>,
    /// True to write little endian.
    pub little: bool,
    /// The normalization rule.
    pub rule: Rule,
    /// Set when a written value normalizes differently under DCMTK 3.6 and 3.7.
    pub ambiguous: bool,
}

impl<'a, W: Write> Emitter<'a, W> {
    /// A new emitter.
    pub fn new(src: &'a Source, out: W, little: bool, rule: Rule) -> Self {
        Emitter {
            src,
            out,
            buf: Vec::new(),
            little,
            rule,
            ambiguous: false,
        }
    }

    /// Writes raw bytes.
    ///
    /// # Errors
    /// I/O errors of the destination.
    pub fn raw(&mut self, b: &[u8]) -> CoreResult<()> {
        self.out.write_all(b)?;
        Ok(())
    }

    /// Writes a 16-bit number in the target byte order.
    ///
    /// # Errors
    /// I/O errors of the destination.
    pub fn u16(&mut self, v: u16) -> CoreResult<()> {
        let b = if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        };
        self.raw(&b)
    }

    /// Writes a 32-bit number in the target byte order.
    ///
    /// # Errors
    /// I/O errors of the destination.
    pub fn u32(&mut self, v: u32) -> CoreResult<()> {
        let b = if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        };
        self.raw(&b)
    }

    /// Writes a tag in the target byte order.
    ///
    /// # Errors
    /// I/O errors of the destination.
    pub fn tag(&mut self, t: u32) -> CoreResult<()> {
        #[allow(clippy::cast_possible_truncation)]
        self.u16((t >> 16) as u16)?;
        #[allow(clippy::cast_possible_truncation)]
        self.u16(t as u16)
    }

    /// The length of a value after normalization (and after the pad byte of odd OB/UN).
    #[must_use]
    pub fn value_len(&self, vr: Vr, blob: &Blob) -> u64 {
        match blob {
            Blob::Inline(v) => normalize::normalize(vr, v, self.rule).len() as u64,
            Blob::Stored { len, .. } => {
                if vr.pads_odd_length() && len % 2 == 1 {
                    len + 1
                } else {
                    *len
                }
            }
        }
    }

    /// Writes a value: normalized, in the target byte order, stored values copied in chunks.
    ///
    /// # Errors
    /// I/O errors of the source or the destination.
    pub fn value(&mut self, vr: Vr, blob: &Blob) -> CoreResult<()> {
        let unit = vr.swap_unit();
        match blob {
            Blob::Inline(v) => {
                if vr.is_string() && normalize::is_ambiguous(vr, v) {
                    self.ambiguous = true;
                }
                let n = normalize::normalize(vr, v, self.rule);
                if self.little || unit == 1 {
                    self.out.write_all(&n)?;
                } else {
                    let mut c = n.into_owned();
                    swap_in_place(&mut c, unit);
                    self.out.write_all(&c)?;
                }
            }
            Blob::Stored { offset, len, swap } => {
                // `swap` turns source bytes into little endian; big endian output swaps back.
                let net = match (self.little, *swap > 1) {
                    (true, _) => *swap,
                    (false, true) => 1,
                    (false, false) => unit,
                };
                let out = &mut self.out;
                let mut buf = std::mem::take(&mut self.buf);
                let r = self
                    .src
                    .for_each_chunk(*offset, *len, net, &mut buf, |chunk| out.write_all(chunk));
                self.buf = buf;
                r?;
                if vr.pads_odd_length() && len % 2 == 1 {
                    self.out.write_all(&[0])?;
                }
            }
        }
        Ok(())
    }

    /// Writes a fragment of encapsulated pixel data exactly as stored.
    ///
    /// # Errors
    /// I/O errors of the source or the destination.
    pub fn fragment(&mut self, blob: &Blob) -> CoreResult<()> {
        match blob {
            Blob::Inline(v) => self.raw(v),
            Blob::Stored { offset, len, .. } => {
                let out = &mut self.out;
                let mut buf = std::mem::take(&mut self.buf);
                let r = self
                    .src
                    .for_each_chunk(*offset, *len, 1, &mut buf, |chunk| out.write_all(chunk));
                self.buf = buf;
                r?;
                Ok(())
            }
        }
    }
}
