//! Conversions between Python objects and the core's types.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::model::vr::Vr;
use crate::model::{Blob, Dataset, Element, Value};

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
