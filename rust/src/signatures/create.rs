//! Computing the MAC digest of a new signature, and signing while writing: the output file
//! is written in a second thread while the MAC is hashed, so that signing a large file costs
//! about one pass over it instead of two.

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{os_reason, CoreError, CoreResult};
use crate::mac::digest::{HashSink, MacAlgorithm};
use crate::mac::stream::{self, Selection, StreamOptions};
use crate::model::document::Document;
use crate::model::tag;
use crate::model::vr::Vr;
use crate::model::{Dataset, Element};
use crate::read::source::Source;
use crate::write::{self, Output, WriteOptions};

/// What to hash: the algorithm and the stream options.
#[derive(Clone, Copy, Debug)]
pub struct DigestParams {
    /// The MAC algorithm.
    pub algorithm: MacAlgorithm,
    /// How to encode the stream.
    pub stream: StreamOptions,
}

/// The digest of a MAC stream, the container tags encoded, and whether a value normalizes
/// differently under DCMTK 3.6 and 3.7.
pub type DigestOutcome = (Vec<u8>, Vec<u32>, bool);

#[cold]
fn dump_error(path: &Path, e: &std::io::Error) -> CoreError {
    CoreError::Dump(format!(
        "unable to create dump file '{}': {}",
        path.display(),
        os_reason(e)
    ))
}

/// Hashes the MAC stream of `container` (elements by `selection`) and `sig_item`; with
/// `dump`, the stream is also written to that file (atomically: a temporary file renamed on
/// success).
///
/// # Errors
/// Stream errors ([`stream::mac_stream`]), [`CoreError::Dump`], or I/O errors.
pub fn digest_stream(
    src: &Source,
    container: &Dataset,
    selection: Selection<'_>,
    sig_item: &Dataset,
    params: DigestParams,
    dump: Option<&Path>,
) -> CoreResult<DigestOutcome> {
    let failed = |e: &std::io::Error| dump_error(dump.unwrap_or_else(|| Path::new("")), e);
    let out = dump
        .map(write::Destination::open)
        .transpose()
        .map_err(|e| failed(&e))?;
    let outcome = {
        let mut file = out.as_ref().map(|t| BufWriter::new(t.file()));
        let tee = file.as_mut().map(|f| f as &mut dyn Write);
        let mut sink = HashSink::new(params.algorithm, tee);
        let report = stream::mac_stream(
            src,
            container,
            selection,
            sig_item,
            params.stream,
            &mut sink,
        )?;
        (
            sink.finish().map_err(|e| failed(&e))?,
            report.tags,
            report.ambiguous,
        )
    };
    if let Some(out) = out {
        out.commit().map_err(|e| failed(&e))?;
    }
    Ok(outcome)
}

/// Documents in memory up to this size are written in the signing thread.
const WRITE_INLINE: u64 = 4 << 20;
/// ... when their sequences nest at most this deep (the writer recurses once per level).
const INLINE_DEPTH: usize = 64;

/// True when `doc` is small, in memory and shallow: written without a second thread.
fn writes_quickly(doc: &Document) -> bool {
    if doc.source.bytes().is_none() || doc.source.len() > WRITE_INLINE {
        return false;
    }
    let mut stack = vec![(&doc.dataset, 0usize)];
    while let Some((set, depth)) = stack.pop() {
        if depth > INLINE_DEPTH {
            return false;
        }
        for item in set.elements.iter().filter_map(Element::items).flatten() {
            stack.push((item, depth + 1));
        }
    }
    true
}

fn append_item(container: &mut Dataset, seq: u32, item: Dataset) {
    if container.get(seq).and_then(Element::items).is_none() {
        container.put(Element {
            tag: seq,
            vr: Vr::SQ,
            value: crate::model::Value::Items(Vec::new()),
        });
    }
    if let Some(items) = container.get_mut(seq).and_then(Element::items_mut) {
        items.push(item);
    }
}

/// True when the output of `doc` can be split before the Digital Signatures Sequence of the
/// main dataset (no group length covers it).
#[must_use]
pub fn can_split(doc: &Document) -> bool {
    doc.dataset.get(0xFFFA_0000).is_none()
}

/// Signs the main dataset and writes the signed document to `path`, hashing and writing in
/// parallel.
///
/// `mac_item` is the new MAC Parameters item, `sig_item` the new Digital Signatures item
/// without its Signature; `sign` turns the digest into the signature. The MAC Parameters item
/// is added first, everything before the Digital Signatures Sequence is written while the
/// MAC is hashed, then the signature item is completed and the rest written. The document is
/// left with both items added.
///
/// # Errors
/// Errors of hashing, writing or `sign`; no output file is left behind on error.
#[allow(clippy::too_many_arguments)]
pub fn sign_and_write<E, F>(
    doc: &mut Document,
    tags: &[u32],
    mac_item: Dataset,
    mut sig_item: Dataset,
    params: DigestParams,
    dump: Option<&Path>,
    wopts: &WriteOptions,
    path: &Path,
    sign: F,
) -> Result<DigestOutcome, E>
where
    E: From<CoreError>,
    F: FnOnce(&[u8]) -> Result<Vec<u8>, E>,
{
    write::output_syntax(doc, wopts.syntax)?;
    append_item(&mut doc.dataset, tag::MAC_PARAMETERS_SEQUENCE, mac_item);
    let out = write::Destination::open(path).map_err(CoreError::Io)?;
    let split = |t: u32| t < tag::DIGITAL_SIGNATURES_SEQUENCE;
    let shared: &Document = doc;
    let begin = || -> CoreResult<Output<BufWriter<&std::fs::File>>> {
        let file = BufWriter::with_capacity(1 << 20, out.file());
        let mut output = Output::begin(shared, wopts, file)?;
        output.elements(shared, split)?;
        Ok(output)
    };
    let hash = || {
        digest_stream(
            &shared.source,
            &shared.dataset,
            Selection::Tags(tags),
            &sig_item,
            params,
            dump,
        )
    };
    let (written, digest) = if writes_quickly(shared) {
        // A small document in memory: a second thread would cost more than it saves (on a
        // busy machine, its start alone takes milliseconds).
        (begin(), hash())
    } else {
        std::thread::scope(|scope| {
            // The writer recurses once per nesting level: its stack holds the deepest file read.
            let writer_thread = std::thread::Builder::new()
                .stack_size(crate::read::DEEP_STACK)
                .spawn_scoped(scope, begin);
            let digest = hash();
            let written = writer_thread.map_err(CoreError::Io).and_then(|t| {
                t.join().unwrap_or_else(|_| {
                    Err(CoreError::Invalid("the writer thread panicked".into()))
                })
            });
            (written, digest)
        })
    };
    let digest = digest?;
    let mut output = written?;
    let mut signature = sign(&digest.0)?;
    if signature.len() % 2 == 1 {
        signature.push(0);
    }
    sig_item.put(Element::new(tag::SIGNATURE, Vr::OB, signature));
    append_item(&mut doc.dataset, tag::DIGITAL_SIGNATURES_SEQUENCE, sig_item);
    output.elements(doc, |t| !split(t))?;
    let mut file = output.finish()?;
    file.flush().map_err(CoreError::Io)?;
    drop(file);
    out.commit().map_err(CoreError::Io)?;
    Ok(digest)
}
