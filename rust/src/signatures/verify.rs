//! The verdict on every signature of a document, by itself: DCMTK's `verifyCurrent` checks in
//! DCMTK's order (dcmsign-behaviour.md §6.2, step 3), with the digests of the MAC stream
//! computed once. Every front end consumes these verdicts: the quick path of `dcmsign`, its
//! complete emulation, the API and the batch verifier. Only the certificate chain is left to
//! the caller (`dicomsign.pki`, or the quick check of [`crate::pki::chain`]).
//!
//! Where DCMTK has a bug that harms users we differ on purpose: the signature time is compared
//! with the certificate's validity with the UTC offset applied and inclusive of the second,
//! and the DER pad byte of DSA and ECDSA signatures is trimmed in every length form.

use crate::error::CoreError;
use crate::mac::digest::{HashSink, MacAlgorithm};
use crate::mac::stream::{self, MacEncoding, Selection, StreamOptions};
use crate::model::datetime;
use crate::model::document::Document;
use crate::model::normalize::Rule;
use crate::model::syntax::Kind;
use crate::model::vr::Vr;
use crate::model::{tag, Dataset, Value};
use crate::pki::certificate::Certificate;
use crate::pki::chain::TrustAnchors;
use crate::pki::KeyType;
use crate::signatures::{self, ItemPath, SignatureInfo};

/// The only Certificate Type (0400,0110) DCMTK reads.
pub const CERTIFICATE_TYPE: &str = "X509_1993_SIG";

/// The first of DCMTK's checks a signature fails, or [`Outcome::Valid`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// No MAC Parameters item with the signature's MAC ID, or it lacks the transfer syntax or
    /// the algorithm.
    NoMacParameters,
    /// The certificate is missing, of another type, unreadable, or its key cannot sign.
    NoCertificate,
    /// The MAC Calculation Transfer Syntax is not one DCMTK knows.
    UnsupportedTransferSyntax,
    /// The MAC Algorithm is not one of the six.
    UnsupportedAlgorithm,
    /// Data Elements Signed is missing, not AT, or empty.
    BadDataElementsSigned,
    /// The Signature element is missing.
    NoSignature,
    /// A listed element is not signable.
    Unsignable,
    /// The MAC stream cannot be encoded (e.g. pixel data in the wrong transfer syntax).
    StreamError,
    /// The signature does not match the data.
    Corrupted,
    /// The certificate had expired at the signature's date (or the date is invalid).
    ExpiredAtSigning,
    /// The certificate was not yet valid at the signature's date.
    NotYetValidAtSigning,
    /// Everything checked here passed.
    Valid,
}

const FAILED: &str = "signature verification failed: ";

/// A signature and the verdict on it.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// What the signature item says.
    pub info: SignatureInfo,
    /// The signer's certificate, when it is present, of the right type and readable.
    pub certificate: Option<Certificate>,
    /// DCMTK's warnings before the signature's lines (MAC ID, certificate problems).
    pub warnings: Vec<String>,
    /// The outcome.
    pub outcome: Outcome,
    /// DCMTK's text for the outcome (`OK` when valid).
    pub message: String,
    /// Which DCMTK release's value rule made the MAC match.
    pub rule: Option<Rule>,
    /// The listed element that is not signable ([`Outcome::Unsignable`]).
    pub unsignable_tag: Option<u32>,
    /// The digest of the MAC stream: under the value rule that matched, else under DCMTK
    /// 3.6's; `None` when the checks stopped before the stream.
    pub digest: Option<Vec<u8>>,
}

impl Verdict {
    /// DCMTK's weak key warning, printed once the signature itself has passed.
    #[must_use]
    pub fn weak_key_warning(&self) -> Option<String> {
        if self.outcome != Outcome::Valid {
            return None;
        }
        self.certificate
            .as_ref()
            .and_then(|c| c.key().weak_key_warning())
    }
}

/// Every signature's verdict, and the containers of the Digital Signatures Sequences DCMTK
/// skips inside Original Attributes Sequence.
#[derive(Clone, Debug, Default)]
pub struct Verdicts {
    /// The verdicts, in DCMTK's order.
    pub verdicts: Vec<Verdict>,
    /// Skipped sequences' containers, in DCMTK's visiting order.
    pub skipped: Vec<ItemPath>,
}

impl Verdicts {
    /// True when DCMTK would print nothing but `Signature #n UID=...` and `OK` for every
    /// signature: every verdict valid without a warning or a timestamp, every chain surely
    /// trusted at `now`, no skipped sequence. False means "not sure".
    #[must_use]
    pub fn surely_valid(&self, anchors: &TrustAnchors, now: i64) -> bool {
        self.skipped.is_empty()
            && self.verdicts.iter().all(|v| {
                v.outcome == Outcome::Valid
                    && v.warnings.is_empty()
                    && v.info.timestamp.is_none()
                    && v.weak_key_warning().is_none()
                    && v.certificate
                        .as_ref()
                        .is_some_and(|c| anchors.surely_trusts(c, now))
            })
    }
}

/// The certificate as DCMTK reads it when selecting a signature, with its warnings.
fn certificate(info: &SignatureInfo, warnings: &mut Vec<String>) -> Option<Certificate> {
    let warning = match (info.certificate_type.as_deref(), &info.certificate) {
        (None, _) => "Certificate type missing in dataset.".to_string(),
        (Some(t), _) if t != CERTIFICATE_TYPE => format!(
            "Encountered unsupported certificate type '{t}' (expected '{CERTIFICATE_TYPE}')."
        ),
        (_, None) => "Certificate missing in dataset.".to_string(),
        (_, Some(der)) => match Certificate::from_der(der) {
            Some(c) => return Some(c),
            None => "Unable to parse X.509 certificate.".to_string(),
        },
    };
    warnings.push(warning);
    None
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

/// DCMTK's `canWriteXfer` of the signature's container for the MAC transfer syntax: encapsulated
/// Pixel Data only in the syntax it was read with (DCMTK has no codec between them), native
/// Pixel Data in a native syntax, or nested (icons), or when read under an encapsulated one.
fn pixel_data_writable(doc: &Document, info: &SignatureInfo, mac_uid: &str, mac_enc: bool) -> bool {
    fn walk(d: &Dataset, nested: bool, ok: &dyn Fn(&Value, bool) -> bool) -> bool {
        d.elements.iter().all(|e| match &e.value {
            Value::Items(items) => items.iter().all(|i| walk(i, true, ok)),
            v if e.tag == tag::PIXEL_DATA => ok(v, nested),
            _ => true,
        })
    }
    let read_uid = doc.transfer_syntax.as_str();
    let read_enc = doc.kind == Kind::Encapsulated;
    let ok = |v: &Value, nested: bool| match v {
        Value::Fragments(_) => mac_enc && mac_uid.trim_end_matches(['\0', ' ']) == read_uid,
        _ => !mac_enc || read_enc || nested,
    };
    let r = signatures::SignatureRef {
        container: info.container.clone(),
        index: info.index,
    };
    signatures::signature_item(&doc.dataset, &r)
        .is_ok_and(|(container, _)| walk(container, !info.container.is_empty(), &ok))
}

/// The outcome, its message, the matching value rule, the unsignable tag and the digest.
type Judgement = (Outcome, String, Option<Rule>, Option<u32>, Option<Vec<u8>>);

fn fail(outcome: Outcome) -> Judgement {
    let message = match outcome {
        Outcome::NoMacParameters => "MAC parameters not be found or incomplete",
        Outcome::NoCertificate => "certificate is missing or unreadable",
        Outcome::UnsupportedTransferSyntax => {
            return (
                outcome,
                "unable to use the selected transfer syntax for MAC computation".into(),
                None,
                None,
                None,
            )
        }
        Outcome::UnsupportedAlgorithm => "MAC algorithm not supported",
        Outcome::BadDataElementsSigned => "DataElementsSigned missing or incorrect",
        Outcome::NoSignature => "signature item incomplete",
        Outcome::Corrupted => "signature is invalid (document corrupted)",
        Outcome::ExpiredAtSigning => "certificate was expired at signature creation date",
        Outcome::NotYetValidAtSigning => "certificate was not yet valid at signature creation date",
        Outcome::Unsignable | Outcome::StreamError | Outcome::Valid => "",
    };
    (outcome, format!("{FAILED}{message}"), None, None, None)
}

/// DCMTK's `verifyCurrent`: the first failing check gives the outcome.
fn judge(
    doc: &Document,
    info: &SignatureInfo,
    cert: Option<&Certificate>,
    old_format: bool,
) -> Judgement {
    let Some(mac) = info.mac.as_ref() else {
        return fail(Outcome::NoMacParameters);
    };
    let Some(cert) = cert.filter(|c| {
        matches!(c.key_type(), KeyType::Rsa | KeyType::Dsa | KeyType::Ec) && c.key().can_verify()
    }) else {
        return fail(Outcome::NoCertificate);
    };
    let (Some(ts), Some(alg_name)) = (mac.transfer_syntax.as_deref(), mac.algorithm.as_deref())
    else {
        return fail(Outcome::NoMacParameters);
    };
    let Some((encoding, encapsulated)) = MacEncoding::for_uid(ts) else {
        return fail(Outcome::UnsupportedTransferSyntax);
    };
    let Some(alg) = MacAlgorithm::from_dicom(alg_name) else {
        return fail(Outcome::UnsupportedAlgorithm);
    };
    let tags = match &mac.tags {
        Some(t) if !t.is_empty() => t,
        _ => return fail(Outcome::BadDataElementsSigned),
    };
    // DCMTK takes the Signature only as an OB element (`ident() == EVR_OB`).
    let Some((signature, _)) = info.signature.as_ref().filter(|(_, vr)| *vr == Vr::OB) else {
        return fail(Outcome::NoSignature);
    };
    if !pixel_data_writable(doc, info, ts, encapsulated) {
        return fail(Outcome::UnsupportedTransferSyntax);
    }
    let opts = StreamOptions {
        encoding,
        encapsulated,
        old_format,
        rule: Rule::Dcmtk36,
    };
    let (d36, ambiguous) = match digest_of(doc, info, alg, tags, opts) {
        Ok(d) => d,
        Err(CoreError::Unsignable(t)) => {
            let message = CoreError::Unsignable(t).to_string();
            return (Outcome::Unsignable, message, None, Some(t), None);
        }
        Err(e) => return (Outcome::StreamError, e.to_string(), None, None, None),
    };
    let (rule, digest) = if cert.key().verify_digest(alg, &d36, signature) {
        (Rule::Dcmtk36, d36)
    } else {
        let opts37 = StreamOptions {
            rule: Rule::Dcmtk37,
            ..opts
        };
        let d37 = if ambiguous {
            digest_of(doc, info, alg, tags, opts37).ok().map(|(d, _)| d)
        } else {
            None
        };
        match d37 {
            Some(d37) if cert.key().verify_digest(alg, &d37, signature) => (Rule::Dcmtk37, d37),
            _ => {
                let (outcome, message, _, _, _) = fail(Outcome::Corrupted);
                return (outcome, message, None, None, Some(d36));
            }
        }
    };
    let when = info
        .datetime
        .as_ref()
        .filter(|(_, vr)| *vr == Vr::DT)
        .and_then(|(dt, _)| datetime::unix_seconds(dt));
    let (not_before, not_after) = cert.validity();
    #[allow(clippy::cast_precision_loss)]
    let outcome = match when {
        Some(w) if w > not_after as f64 => Outcome::ExpiredAtSigning,
        None => Outcome::ExpiredAtSigning,
        Some(w) if w < not_before as f64 => Outcome::NotYetValidAtSigning,
        Some(_) => return (Outcome::Valid, "OK".into(), Some(rule), None, Some(digest)),
    };
    let (outcome, message, _, _, _) = fail(outcome);
    (outcome, message, Some(rule), None, Some(digest))
}

/// The verdict on one signature.
#[must_use]
pub fn verdict(doc: &Document, info: SignatureInfo, old_format: bool) -> Verdict {
    let mut warnings = Vec::new();
    if info.mac_id.is_none() {
        warnings.push("Cannot read MAC ID number in DigitalSignaturesSequence.".into());
    }
    let certificate = certificate(&info, &mut warnings);
    if let Some(curve) = certificate
        .as_ref()
        .filter(|c| c.key_type() == KeyType::Ec && !c.key().can_verify())
        .and_then(|c| c.key().curve())
    {
        warnings.push(format!(
            "Signatures with keys on curve {curve} cannot be checked by this version."
        ));
    }
    let (outcome, message, rule, unsignable_tag, digest) =
        judge(doc, &info, certificate.as_ref(), old_format);
    Verdict {
        info,
        certificate,
        warnings,
        outcome,
        message,
        rule,
        unsignable_tag,
        digest,
    }
}

/// The verdict on every signature of `doc`, in DCMTK's order.
#[must_use]
pub fn verdicts(doc: &Document, old_format: bool) -> Verdicts {
    let search = signatures::find(&doc.dataset);
    let verdicts = signatures::describe_all(&doc.dataset, &search)
        .into_iter()
        .map(|info| verdict(doc, info, old_format))
        .collect();
    Verdicts {
        verdicts,
        skipped: search.skipped,
    }
}
