//! Typed records of the engine's results: a signature as found (`Signature`), the verdict on
//! it (`SignatureCheck`), and all verdicts of a document (`SignatureChecks`).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::model::normalize::Rule;
use crate::model::vr::Vr;
use crate::pki::{Certificate, KeyType};
use crate::signatures::verify::{Outcome, Verdict, Verdicts};
use crate::signatures::{self, ItemPath, SignatureInfo};

use super::pki::PyTrustAnchors;

fn bytes<'py>(py: Python<'py>, b: Option<&Vec<u8>>) -> Option<Bound<'py, PyBytes>> {
    b.map(|v| PyBytes::new(py, v))
}

/// A digital signature as found in a document: the attributes of its Digital Signatures item
/// and of its MAC Parameters item, where it lives, and its position.
#[pyclass(frozen, module = "dicomsign._core", name = "Signature")]
pub(super) struct PySignature {
    info: SignatureInfo,
}

impl PySignature {
    pub(super) fn new(info: SignatureInfo) -> Self {
        PySignature { info }
    }
}

#[pymethods]
impl PySignature {
    /// The item holding the signature, as (sequence tag, item index) steps; empty for the main
    /// dataset.
    #[getter]
    fn container(&self) -> ItemPath {
        self.info.container.clone()
    }

    /// DCMTK's name of the container: `Main Dataset` or e.g. `ContentSequence[0]`.
    #[getter]
    fn location(&self) -> String {
        signatures::location(&self.info.container)
    }

    /// Index of the item in the container's Digital Signatures Sequence.
    #[getter]
    fn index(&self) -> usize {
        self.info.index
    }

    /// How many Digital Signatures Sequences inside Original Attributes Sequence DCMTK's
    /// search passes (and warns about) just before this signature.
    #[getter]
    fn skipped_before(&self) -> usize {
        self.info.skipped_before
    }

    /// MAC ID Number (0400,0005).
    #[getter]
    fn mac_id(&self) -> Option<u16> {
        self.info.mac_id
    }

    /// Digital Signature UID (0400,0100).
    #[getter]
    fn uid(&self) -> Option<String> {
        self.info.uid.clone()
    }

    /// Digital Signature DateTime (0400,0105), padding removed.
    #[getter]
    fn datetime(&self) -> Option<String> {
        self.info.datetime.as_ref().map(|(s, _)| s.clone())
    }

    /// The VR the date-time was read with.
    #[getter]
    fn datetime_vr(&self) -> Option<&'static str> {
        self.info.datetime.as_ref().map(|(_, v)| v.as_str())
    }

    /// Certificate Type (0400,0110).
    #[getter]
    fn certificate_type(&self) -> Option<String> {
        self.info.certificate_type.clone()
    }

    /// Certificate of Signer (0400,0115) as stored (possibly with a pad byte).
    #[getter]
    fn certificate<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        bytes(py, self.info.certificate.as_ref())
    }

    /// Signature (0400,0120) as stored.
    #[getter]
    fn signature<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        bytes(py, self.info.signature.as_ref().map(|(b, _)| b))
    }

    /// The VR the Signature was read with.
    #[getter]
    fn signature_vr(&self) -> Option<&'static str> {
        self.info.signature.as_ref().map(|(_, v)| v.as_str())
    }

    /// Certified Timestamp Type (0400,0305).
    #[getter]
    fn timestamp_type(&self) -> Option<String> {
        self.info.timestamp_type.clone()
    }

    /// Certified Timestamp (0400,0310) as stored.
    #[getter]
    fn timestamp<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        bytes(py, self.info.timestamp.as_ref())
    }

    /// Code Value of the first Digital Signature Purpose Code Sequence item.
    #[getter]
    fn purpose(&self) -> Option<String> {
        self.info.purpose.clone()
    }

    /// Its Coding Scheme Designator.
    #[getter]
    fn purpose_scheme(&self) -> Option<String> {
        self.info.purpose_text.as_ref().and_then(|(s, _)| s.clone())
    }

    /// Its Code Meaning.
    #[getter]
    fn purpose_meaning(&self) -> Option<String> {
        self.info.purpose_text.as_ref().and_then(|(_, m)| m.clone())
    }

    /// True when the container has a MAC Parameters item with the signature's MAC ID.
    #[getter]
    fn has_mac(&self) -> bool {
        self.info.mac.is_some()
    }

    /// MAC Calculation Transfer Syntax UID (0400,0010).
    #[getter]
    fn mac_transfer_syntax(&self) -> Option<String> {
        self.info
            .mac
            .as_ref()
            .and_then(|m| m.transfer_syntax.clone())
    }

    /// MAC Algorithm (0400,0015) as stored (it may not be one of the six).
    #[getter]
    fn mac_algorithm(&self) -> Option<String> {
        self.info.mac.as_ref().and_then(|m| m.algorithm.clone())
    }

    /// Data Elements Signed (0400,0020), when it has VR AT.
    #[getter]
    fn tags(&self) -> Option<Vec<u32>> {
        self.info.mac.as_ref().and_then(|m| m.tags.clone())
    }

    /// The VR Data Elements Signed was read with.
    #[getter]
    fn tags_vr(&self) -> Option<&'static str> {
        self.info
            .mac
            .as_ref()
            .and_then(|m| m.tags_vr)
            .map(Vr::as_str)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Signature {} at {}>",
            self.info.uid.as_deref().unwrap_or("?"),
            signatures::location(&self.info.container)
        )
    }
}

/// The verdict on one signature by itself: DCMTK's checks up to, not including, the
/// certificate chain.
#[pyclass(frozen, module = "dicomsign._core", name = "SignatureCheck")]
pub(super) struct PySignatureCheck {
    verdict: Verdict,
    signature: Py<PySignature>,
}

#[pymethods]
impl PySignatureCheck {
    /// The signature.
    #[getter]
    fn signature(&self, py: Python<'_>) -> Py<PySignature> {
        self.signature.clone_ref(py)
    }

    /// The first failing check, or `Outcome.VALID`.
    #[getter]
    fn outcome(&self) -> Outcome {
        self.verdict.outcome
    }

    /// DCMTK's text for the outcome (`OK` when valid).
    #[getter]
    fn message(&self) -> String {
        self.verdict.message.clone()
    }

    /// DCMTK's warnings printed before the signature's lines.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.verdict.warnings.clone()
    }

    /// Which DCMTK release's value rule made the MAC match.
    #[getter]
    fn value_rule(&self) -> Option<Rule> {
        self.verdict.rule
    }

    /// The digest of the MAC stream (under the value rule that matched, else DCMTK 3.6's);
    /// None when the checks stopped before the stream was built.
    #[getter]
    fn digest<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        bytes(py, self.verdict.digest.as_ref())
    }

    /// The listed element that is not signable, for `Outcome.UNSIGNABLE`.
    #[getter]
    fn unsignable_tag(&self) -> Option<u32> {
        self.verdict.unsignable_tag
    }

    /// The signer's certificate (DER, pad byte removed), when present and readable.
    #[getter]
    fn certificate<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.verdict
            .certificate
            .as_ref()
            .map(|c| PyBytes::new(py, c.der()))
    }

    /// DCMTK's key class of the certificate's key, when the certificate is readable.
    #[getter]
    fn key_type(&self) -> Option<KeyType> {
        self.verdict.certificate.as_ref().map(Certificate::key_type)
    }

    /// DCMTK's weak key warning, once the signature itself has passed.
    #[getter]
    fn weak_key_warning(&self) -> Option<String> {
        self.verdict.weak_key_warning()
    }

    fn __repr__(&self) -> String {
        format!(
            "<SignatureCheck {}: {}>",
            self.verdict.info.uid.as_deref().unwrap_or("?"),
            self.verdict.message
        )
    }
}

/// The verdicts on every signature of a document, in DCMTK's order.
#[pyclass(frozen, module = "dicomsign._core", name = "SignatureChecks")]
pub(super) struct PySignatureChecks {
    verdicts: Arc<Verdicts>,
    checks: Vec<Py<PySignatureCheck>>,
}

impl PySignatureChecks {
    pub(super) fn new(py: Python<'_>, verdicts: Verdicts) -> PyResult<Self> {
        let checks = verdicts
            .verdicts
            .iter()
            .map(|v| {
                let signature = Py::new(py, PySignature::new(v.info.clone()))?;
                Py::new(
                    py,
                    PySignatureCheck {
                        verdict: v.clone(),
                        signature,
                    },
                )
            })
            .collect::<PyResult<_>>()?;
        Ok(PySignatureChecks {
            verdicts: Arc::new(verdicts),
            checks,
        })
    }
}

#[pymethods]
impl PySignatureChecks {
    /// The verdicts, one per signature.
    #[getter]
    fn checks(&self, py: Python<'_>) -> Vec<Py<PySignatureCheck>> {
        self.checks.iter().map(|c| c.clone_ref(py)).collect()
    }

    /// The containers of the Digital Signatures Sequences skipped inside Original Attributes
    /// Sequence, in DCMTK's visiting order.
    #[getter]
    fn skipped(&self) -> Vec<ItemPath> {
        self.verdicts.skipped.clone()
    }

    /// True when every signature is surely valid and surely trusted by `anchors` now, with
    /// nothing for DCMTK to warn about: then DCMTK would print only `Signature #n UID=...` and
    /// `OK` lines. False means "not sure".
    fn surely_valid(&self, py: Python<'_>, anchors: &PyTrustAnchors) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok());
        let Some(now) = now else { return false };
        py.detach(|| self.verdicts.surely_valid(anchors.anchors(), now))
    }

    fn __len__(&self) -> usize {
        self.checks.len()
    }
}
