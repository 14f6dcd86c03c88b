//! The `Hasher` class: an incremental hash of one of the six MAC algorithms.

use std::sync::Mutex;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::mac::digest::{Hasher, MacAlgorithm};

/// An incremental hash of one of the six MAC algorithms (hashlib-like).
#[pyclass(frozen, module = "dicomsign._core", name = "Hasher")]
pub(super) struct PyHasher {
    inner: Mutex<Option<Hasher>>,
}

const GIL_MINSIZE: usize = 2048;

#[pymethods]
impl PyHasher {
    #[new]
    fn new(algorithm: MacAlgorithm) -> Self {
        PyHasher {
            inner: Mutex::new(Some(Hasher::new(algorithm))),
        }
    }

    /// Feeds bytes; the GIL is released for inputs of 2048 bytes or more.
    fn update(&self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        // The lock is held while hashing (also with the GIL released): updates of one hasher
        // from several threads are serialized, never interleaved.
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let h = guard
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("hasher already finalized"))?;
        if data.len() >= GIL_MINSIZE {
            py.detach(|| h.update(data));
        } else {
            h.update(data);
        }
        Ok(())
    }

    /// The digest; the hasher cannot be used afterwards.
    fn finalize<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let h = guard
            .take()
            .ok_or_else(|| PyValueError::new_err("hasher already finalized"))?;
        Ok(PyBytes::new(py, &h.finalize()))
    }
}
