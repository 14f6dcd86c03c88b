//! The `SigningKey` class: a private key held in this process, for the signing fast path.

use std::path::PathBuf;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::document::algorithm_of;

/// A private key held in this process with its certificate, for the signing fast path
/// (unencrypted PEM keys only; see `rust/src/signing_key.rs`).
#[pyclass(frozen, module = "dicomsign._core", name = "SigningKey")]
pub(super) struct PySigningKey {
    inner: crate::pki::private_key::SigningKey,
}

#[pymethods]
impl PySigningKey {
    /// Loads a key and its certificate, or returns None when the fast path cannot use them
    /// (encrypted or unusual keys, or a key that does not match the certificate).
    #[staticmethod]
    fn load(py: Python<'_>, key: PathBuf, certificate: PathBuf) -> Option<Self> {
        py.detach(|| crate::pki::private_key::SigningKey::load(&key, &certificate))
            .map(|inner| PySigningKey { inner })
    }

    /// "RSA", "DSA", "EC" or "none".
    #[getter]
    fn key_type(&self) -> &'static str {
        match self.inner.key_type() {
            crate::pki::KeyType::Rsa => "RSA",
            crate::pki::KeyType::Dsa => "DSA",
            crate::pki::KeyType::Ec => "EC",
            crate::pki::KeyType::Other => "none",
        }
    }

    /// The certificate, DER.
    #[getter]
    fn certificate_der<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.certificate().der())
    }

    /// True for a key DCMTK calls weak.
    #[getter]
    fn weak(&self) -> bool {
        self.inner.certificate().has_weak_key()
    }

    /// True for an RSA modulus of odd byte length.
    #[getter]
    fn odd_modulus(&self) -> bool {
        self.inner.odd_modulus()
    }

    /// The certificate's notBefore and notAfter, Unix seconds.
    #[getter]
    fn validity(&self) -> (i64, i64) {
        self.inner.certificate().validity()
    }

    /// Signs a MAC digest made with `algorithm`.
    fn sign_digest<'py>(
        &self,
        py: Python<'py>,
        algorithm: &str,
        digest: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        let alg = algorithm_of(algorithm)?;
        let signature = self
            .inner
            .sign_digest(alg, digest)
            .ok_or_else(|| PyValueError::new_err("signing failed"))?;
        Ok(PyBytes::new(py, &signature))
    }
}
