//! The engine half of verification: for every signature of a document, its attributes and
//! the digests of its MAC stream (under DCMTK 3.6's value rule, and under 3.7's when that
//! differs). Certificates and signature checks are left to the caller.

use crate::digest::{HashSink, MacAlgorithm};
use crate::encode::{self, MacEncoding, Selection, StreamOptions};
use crate::error::CoreError;
use crate::normalize::Rule;
use crate::reader::Document;
use crate::signatures::{self, SignatureInfo};

/// Why a signature's stream digest could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamFailure {
    /// No MAC Parameters item with the signature's MAC ID.
    NoMacItem,
    /// The MAC Calculation Transfer Syntax UID is missing.
    NoTransferSyntax,
    /// The MAC Calculation Transfer Syntax UID is unknown.
    UnknownTransferSyntax,
    /// The MAC Algorithm is missing.
    NoAlgorithm,
    /// The MAC Algorithm is not one of the six.
    UnknownAlgorithm,
    /// Data Elements Signed is missing, not AT, or empty.
    NoTags,
    /// A listed element is not signable.
    Unsignable(u32),
    /// The stream could not be encoded.
    Encode(String),
}

/// A signature with its digests.
#[derive(Clone, Debug)]
pub struct DigestResult {
    /// The signature's attributes.
    pub info: SignatureInfo,
    /// Digest under DCMTK 3.6's value rule.
    pub digest: Option<Vec<u8>>,
    /// Digest under DCMTK 3.7's value rule, when the stream holds values the rules disagree on.
    pub digest_37: Option<Vec<u8>>,
    /// Why there is no digest.
    pub failure: Option<StreamFailure>,
}

fn digest_of(
    doc: &Document,
    info: &SignatureInfo,
    alg: MacAlgorithm,
    tags: &[u32],
    opts: StreamOptions,
) -> Result<(Vec<u8>, bool), CoreError> {
    let r = signatures::SignatureRef {
        container: info.container.clone(),
        index: info.index,
    };
    let (container, sig) = signatures::signature_item(&doc.dataset, &r)?;
    let mut sink = HashSink::new(alg, None);
    let report = encode::mac_stream(
        &doc.source,
        container,
        Selection::Tags(tags),
        sig,
        opts,
        &mut sink,
    )?;
    Ok((sink.finish()?, report.ambiguous))
}

fn evaluate(doc: &Document, info: SignatureInfo, old_format: bool) -> DigestResult {
    let fail = |info: SignatureInfo, f: StreamFailure| DigestResult {
        info,
        digest: None,
        digest_37: None,
        failure: Some(f),
    };
    let Some(mac) = info.mac.clone() else {
        return fail(info, StreamFailure::NoMacItem);
    };
    let Some(ts) = mac.transfer_syntax.as_deref() else {
        return fail(info, StreamFailure::NoTransferSyntax);
    };
    let Some((encoding, encapsulated)) = MacEncoding::for_uid(ts) else {
        return fail(info, StreamFailure::UnknownTransferSyntax);
    };
    let Some(alg_name) = mac.algorithm.as_deref() else {
        return fail(info, StreamFailure::NoAlgorithm);
    };
    let Some(alg) = MacAlgorithm::from_dicom(alg_name) else {
        return fail(info, StreamFailure::UnknownAlgorithm);
    };
    let tags = match mac.tags {
        Some(t) if !t.is_empty() => t,
        _ => return fail(info, StreamFailure::NoTags),
    };
    let opts = StreamOptions {
        encoding,
        encapsulated,
        old_format,
        rule: Rule::Dcmtk36,
    };
    match digest_of(doc, &info, alg, &tags, opts) {
        Ok((d36, ambiguous)) => {
            let d37 = if ambiguous {
                digest_of(
                    doc,
                    &info,
                    alg,
                    &tags,
                    StreamOptions {
                        rule: Rule::Dcmtk37,
                        ..opts
                    },
                )
                .ok()
                .map(|(d, _)| d)
            } else {
                None
            };
            DigestResult {
                info,
                digest: Some(d36),
                digest_37: d37,
                failure: None,
            }
        }
        Err(CoreError::Unsignable(t)) => fail(info, StreamFailure::Unsignable(t)),
        Err(e) => fail(info, StreamFailure::Encode(e.to_string())),
    }
}

/// Describes every signature of `doc` (DCMTK's order) and computes its stream digests.
/// Returns the results and the number of signature sequences skipped inside Original
/// Attributes Sequence.
#[must_use]
pub fn verify_document(doc: &Document, old_format: bool) -> (Vec<DigestResult>, usize) {
    let search = signatures::find(&doc.dataset);
    let results = search
        .found
        .iter()
        .filter_map(|r| signatures::describe(&doc.dataset, r).ok())
        .map(|info| evaluate(doc, info, old_format))
        .collect();
    (results, search.skipped_in_original_attributes)
}
