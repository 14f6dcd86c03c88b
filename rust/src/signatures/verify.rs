//! The engine half of verification: for every signature of a document, its attributes and
//! the digests of its MAC stream (under DCMTK 3.6's value rule, and under 3.7's when that
//! differs). Certificates and signature checks are left to the caller.

use crate::error::CoreError;
use crate::mac::digest::{HashSink, MacAlgorithm};
use crate::mac::stream::{self, MacEncoding, Selection, StreamOptions};
use crate::model::normalize::Rule;
use crate::read::Document;
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
    let report = stream::mac_stream(
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

/// Parses a DICOM DT value of the full form `YYYYMMDDHHMMSS[.F{1,6}][+|-HHMM]` into Unix
/// seconds (with the fraction); `None` for anything else.
#[must_use]
pub fn dicom_datetime_seconds(value: &str) -> Option<f64> {
    let v = value.trim();
    let digits = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    if v.len() < 14 {
        return None;
    }
    let (year, month, day) = (digits(&v[0..4])?, digits(&v[4..6])?, digits(&v[6..8])?);
    let (hour, minute, second) = (digits(&v[8..10])?, digits(&v[10..12])?, digits(&v[12..14])?);
    let mut rest = &v[14..];
    let mut fraction = 0.0;
    if let Some(f) = rest.strip_prefix('.') {
        let end = f.find(['+', '-']).unwrap_or(f.len());
        if end == 0 || end > 6 {
            return None;
        }
        fraction = digits(&f[..end])? as f64 / 10f64.powi(end as i32);
        rest = &f[end..];
    }
    let offset = match rest.len() {
        0 => 0,
        5 => {
            let sign = match &rest[..1] {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            sign * (digits(&rest[1..3])? * 3600 + digits(&rest[3..5])? * 60)
        }
        _ => return None,
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(seconds as f64 + fraction)
}

/// The verification fast path: the UIDs of all signatures when every one of them is surely
/// valid (MAC, signature, signing time within the certificate's validity, no timestamp, and
/// a chain OpenSSL surely accepts); `None` when not sure about any, so that the caller runs
/// the complete verification, which reports DCMTK's exact messages.
#[must_use]
pub fn surely_valid(
    doc: &Document,
    old_format: bool,
    trusted: &[crate::pki::Certificate],
    untrusted: &[crate::pki::Certificate],
    now: i64,
) -> Option<Vec<String>> {
    let (results, skipped) = verify_document(doc, old_format);
    if skipped > 0 {
        return None;
    }
    let mut uids = Vec::with_capacity(results.len());
    for r in &results {
        let info = &r.info;
        if r.failure.is_some() || info.mac_id.is_none() || info.timestamp.is_some() {
            return None;
        }
        if info.certificate_type.as_deref() != Some("X509_1993_SIG") {
            return None;
        }
        let cert = crate::pki::Certificate::from_der(info.certificate.as_deref()?)?;
        // DCMTK prints a warning for a weak key: the complete check reproduces it.
        if cert.key_type() == crate::pki::KeyType::Other || cert.has_weak_key() {
            return None;
        }
        let alg = MacAlgorithm::from_dicom(info.mac.as_ref()?.algorithm.as_deref()?)?;
        let (signature, _) = info.signature.as_ref()?;
        let ok = [&r.digest, &r.digest_37]
            .into_iter()
            .flatten()
            .any(|d| cert.verify_digest(alg, d, signature));
        if !ok {
            return None;
        }
        let (dt, vr) = info.datetime.as_ref()?;
        if *vr != crate::model::vr::Vr::DT {
            return None;
        }
        let when = dicom_datetime_seconds(dt)?;
        let (not_before, not_after) = cert.validity();
        #[allow(clippy::cast_precision_loss)]
        if !(not_before as f64 <= when && when <= not_after as f64) {
            return None;
        }
        if !crate::pki::chain_surely_valid(&cert, trusted, untrusted, now) {
            return None;
        }
        uids.push(info.uid.clone()?);
    }
    Some(uids)
}

#[cfg(test)]
mod tests {
    use super::dicom_datetime_seconds;

    #[test]
    fn datetimes() {
        assert_eq!(dicom_datetime_seconds("19700101000000"), Some(0.0));
        assert_eq!(dicom_datetime_seconds("19700101010000+0100"), Some(0.0));
        assert_eq!(dicom_datetime_seconds("19691231190000.5-0500"), Some(0.5));
        assert_eq!(
            dicom_datetime_seconds("20261124193610.485040+0000"),
            Some(1_795_548_970.485_04)
        );
        assert_eq!(dicom_datetime_seconds("2026112419"), None);
        assert_eq!(dicom_datetime_seconds("20261324193610"), None);
        assert_eq!(dicom_datetime_seconds("20261124193610.+0000"), None);
        assert_eq!(dicom_datetime_seconds("20261124193610+000"), None);
    }
}
