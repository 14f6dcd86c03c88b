//! Conversions between Python objects and the core's types.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::model::vr::Vr;
use crate::model::{Blob, Dataset, Element, Value};
use crate::signatures::verify::{DigestResult, StreamFailure};
use crate::signatures::{self, SignatureInfo};

/// Reads a list of `(tag, vr, value)` records into a dataset; `value` is bytes or a list of
/// items, each a list of records.
pub fn dataset_from_records(obj: &Bound<'_, PyAny>) -> PyResult<Dataset> {
    let list = obj
        .cast::<PyList>()
        .map_err(|_| PyValueError::new_err("records must be a list"))?;
    let mut d = Dataset::default();
    for rec in list.iter() {
        let t = rec
            .cast::<PyTuple>()
            .map_err(|_| PyValueError::new_err("a record must be a tuple"))?;
        if t.len() != 3 {
            return Err(PyValueError::new_err("a record is (tag, vr, value)"));
        }
        let tag: u32 = t.get_item(0)?.extract()?;
        let vr_s: String = t.get_item(1)?.extract()?;
        let vr = Vr::parse(&vr_s)
            .ok_or_else(|| PyValueError::new_err(format!("unknown VR {vr_s:?}")))?;
        let v = t.get_item(2)?;
        let value = if let Ok(b) = v.cast::<PyBytes>() {
            Value::Data(Blob::Inline(b.as_bytes().to_vec()))
        } else if let Ok(items) = v.cast::<PyList>() {
            let mut out = Vec::with_capacity(items.len());
            for i in items.iter() {
                out.push(dataset_from_records(&i)?);
            }
            Value::Items(out)
        } else {
            return Err(PyValueError::new_err(
                "a record value is bytes or a list of items",
            ));
        };
        if !d.insert(Element { tag, vr, value }) {
            return Err(PyValueError::new_err(format!(
                "duplicate tag {tag:08X} in records"
            )));
        }
    }
    Ok(d)
}

fn bytes<'py>(py: Python<'py>, b: Option<&Vec<u8>>) -> Option<Bound<'py, PyBytes>> {
    b.map(|v| PyBytes::new(py, v))
}

/// A dictionary describing one signature (see `_core.pyi`).
pub fn signature_dict<'py>(py: Python<'py>, i: &SignatureInfo) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("container", i.container.clone())?;
    d.set_item("location", signatures::location(&i.container))?;
    d.set_item("index", i.index)?;
    d.set_item("mac_id", i.mac_id)?;
    d.set_item("uid", i.uid.clone())?;
    d.set_item("datetime", i.datetime.as_ref().map(|(s, _)| s.clone()))?;
    d.set_item("datetime_vr", i.datetime.as_ref().map(|(_, v)| v.as_str()))?;
    d.set_item("certificate_type", i.certificate_type.clone())?;
    d.set_item("certificate", bytes(py, i.certificate.as_ref()))?;
    d.set_item("signature", bytes(py, i.signature.as_ref().map(|(b, _)| b)))?;
    d.set_item(
        "signature_vr",
        i.signature.as_ref().map(|(_, v)| v.as_str()),
    )?;
    d.set_item("timestamp_type", i.timestamp_type.clone())?;
    d.set_item("timestamp", bytes(py, i.timestamp.as_ref()))?;
    d.set_item("purpose", i.purpose.clone())?;
    let (scheme, meaning) = i.purpose_text.clone().unwrap_or_default();
    d.set_item("purpose_scheme", scheme)?;
    d.set_item("purpose_meaning", meaning)?;
    d.set_item("has_mac", i.mac.is_some())?;
    let m = i.mac.clone().unwrap_or_default();
    d.set_item("mac_transfer_syntax", m.transfer_syntax)?;
    d.set_item("mac_algorithm", m.algorithm)?;
    d.set_item("tags", m.tags)?;
    d.set_item("tags_vr", m.tags_vr.map(Vr::as_str))?;
    Ok(d)
}

/// Adds the digest fields of a verification result to its dictionary.
pub fn add_digests(py: Python<'_>, d: &Bound<'_, PyDict>, r: &DigestResult) -> PyResult<()> {
    d.set_item("digest", bytes(py, r.digest.as_ref()))?;
    d.set_item("digest_37", bytes(py, r.digest_37.as_ref()))?;
    let (failure, tag) = match &r.failure {
        None => (None, None),
        Some(StreamFailure::NoMacItem) => (Some("no-mac-item".to_string()), None),
        Some(StreamFailure::NoTransferSyntax) => (Some("no-transfer-syntax".into()), None),
        Some(StreamFailure::UnknownTransferSyntax) => {
            (Some("unknown-transfer-syntax".into()), None)
        }
        Some(StreamFailure::NoAlgorithm) => (Some("no-algorithm".into()), None),
        Some(StreamFailure::UnknownAlgorithm) => (Some("unknown-algorithm".into()), None),
        Some(StreamFailure::NoTags) => (Some("no-tags".into()), None),
        Some(StreamFailure::Unsignable(t)) => (Some("unsignable".into()), Some(*t)),
        Some(StreamFailure::Encode(m)) => (Some(format!("encode: {m}")), None),
    };
    d.set_item("failure", failure)?;
    d.set_item("unsignable_tag", tag)?;
    Ok(())
}
