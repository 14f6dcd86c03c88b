//! Certificates, private keys, trust anchors and PEM files, for the Python side's key and
//! certificate handling and the quick paths.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::mac::digest::MacAlgorithm;
use crate::pki::chain::TrustAnchors;
use crate::pki::private_key::KeyError;
use crate::pki::{self, Certificate, KeyType, PrivateKey, PublicKey};

/// A public key as DCMTK classifies and describes it, and the check of DICOM signatures made
/// with it.
#[pyclass(frozen, module = "dicomsign._core", name = "PublicKey")]
pub(super) struct PyPublicKey {
    inner: PublicKey,
}

#[pymethods]
impl PyPublicKey {
    /// The key of a DER SubjectPublicKeyInfo (a key DCMTK cannot use has type none).
    #[staticmethod]
    fn from_spki(der: &[u8]) -> Self {
        PyPublicKey {
            inner: PublicKey::from_spki(der),
        }
    }

    /// DCMTK's key class.
    #[getter]
    fn key_type(&self) -> KeyType {
        self.inner.key_type()
    }

    /// OpenSSL's `EVP_PKEY_bits`: modulus or prime bits, curve order bits.
    #[getter]
    fn bits(&self) -> u32 {
        self.inner.bits()
    }

    /// OpenSSL's short name of the key's elliptic curve.
    #[getter]
    fn curve(&self) -> Option<&'static str> {
        self.inner.curve()
    }

    /// DCMTK's description: `RSA, 2048 bits`, `EC, curve prime256v1, 256 bits`,
    /// `unknown type`.
    #[getter]
    fn description(&self) -> String {
        self.inner.description()
    }

    /// DCMTK's weak key warning, or None.
    #[getter]
    fn weak_key_warning(&self) -> Option<String> {
        self.inner.weak_key_warning()
    }

    /// True when `other` is the same key (OpenSSL's `EVP_PKEY_eq`).
    fn same_key(&self, other: &PyPublicKey) -> bool {
        self.inner.same_key(&other.inner)
    }

    /// True when a DICOM signature over `digest` (the MAC digest made with `algorithm`) is
    /// valid: RSA PKCS#1 v1.5 with DigestInfo (one pad byte allowed), DSA and ECDSA DER
    /// (DCMTK's pad byte trimmed in every length form).
    fn verify_digest(
        &self,
        py: Python<'_>,
        algorithm: MacAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> bool {
        py.detach(|| self.inner.verify_digest(algorithm, digest, signature))
    }

    fn __repr__(&self) -> String {
        format!("<PublicKey {}>", self.inner.description())
    }
}

/// An X.509 certificate as DCMTK reads it.
#[pyclass(frozen, module = "dicomsign._core", name = "Certificate")]
pub(super) struct PyCertificate {
    inner: Certificate,
}

impl PyCertificate {
    pub(super) fn key(&self) -> &PublicKey {
        self.inner.key()
    }
}

#[pymethods]
impl PyCertificate {
    /// Parses a DER certificate (a pad byte after it is ignored); ValueError when it is not one.
    #[new]
    fn new(der: &[u8]) -> PyResult<Self> {
        Certificate::from_der(der)
            .map(|inner| PyCertificate { inner })
            .ok_or_else(|| PyValueError::new_err("not a DER X.509 certificate"))
    }

    /// The DER encoding, without a pad byte.
    #[getter]
    fn der<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.der())
    }

    /// The subject's public key.
    #[getter]
    fn public_key(&self) -> PyPublicKey {
        PyPublicKey {
            inner: self.inner.key().clone(),
        }
    }

    /// notBefore and notAfter, Unix seconds.
    #[getter]
    fn validity(&self) -> (i64, i64) {
        self.inner.validity()
    }
}

/// A private key held in this process, signing MAC digests as DCMTK does. Its `repr` never
/// shows the key.
#[pyclass(frozen, module = "dicomsign._core", name = "PrivateKey")]
pub(super) struct PyPrivateKey {
    inner: PrivateKey,
}

fn key_error(e: KeyError) -> PyErr {
    PyValueError::new_err(match e {
        KeyError::Malformed => "not a PKCS#8 private key",
        KeyError::Unsupported => "this key type cannot sign here",
    })
}

#[pymethods]
impl PyPrivateKey {
    /// A key from unencrypted PKCS#8 DER; ValueError for anything that cannot sign here.
    #[staticmethod]
    fn from_pkcs8(der: &[u8]) -> PyResult<Self> {
        PrivateKey::from_pkcs8_der(der)
            .map(|inner| PyPrivateKey { inner })
            .map_err(key_error)
    }

    /// The first private key of an unencrypted PEM file, or None (unreadable, encrypted or
    /// unusual keys: the complete path loads those).
    #[staticmethod]
    fn from_pem_file(py: Python<'_>, path: PathBuf) -> Option<Self> {
        py.detach(|| {
            let content = std::fs::read(path).ok()?;
            PrivateKey::from_pem(&content)
        })
        .map(|inner| PyPrivateKey { inner })
    }

    /// True when `certificate` holds this key's public half (`X509_check_private_key`).
    fn matches(&self, certificate: &PyCertificate) -> bool {
        self.inner.matches(certificate.key())
    }

    /// The public half.
    #[getter]
    fn public_key(&self) -> PyPublicKey {
        PyPublicKey {
            inner: self.inner.public_key().clone(),
        }
    }

    /// True for an RSA modulus of odd byte length (DCMTK can never verify its signatures).
    #[getter]
    fn odd_modulus(&self) -> bool {
        self.inner.odd_modulus()
    }

    /// Signs a MAC digest made with `algorithm` (the GIL released: threads of a batch sign
    /// at once); ValueError when signing fails.
    fn sign_digest<'py>(
        &self,
        py: Python<'py>,
        algorithm: MacAlgorithm,
        digest: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        let signature = py
            .detach(|| self.inner.sign_digest(algorithm, digest))
            .ok_or_else(|| PyValueError::new_err("signing failed"))?;
        Ok(PyBytes::new(py, &signature))
    }

    fn __repr__(&self) -> String {
        format!("<PrivateKey {}>", self.inner.public_key().description())
    }
}

/// The certificates of `+cf` (trusted) and `+uf` (untrusted) files, loaded once and reused for
/// every signature and file: the quick chain check of `SignatureChecks.surely_valid`.
#[pyclass(frozen, module = "dicomsign._core", name = "TrustAnchors")]
pub(super) struct PyTrustAnchors {
    inner: Arc<TrustAnchors>,
}

impl PyTrustAnchors {
    pub(super) fn anchors(&self) -> &TrustAnchors {
        &self.inner
    }

    /// The anchors, shared (the archive engine's threads use them).
    pub(super) fn shared(&self) -> Arc<TrustAnchors> {
        Arc::clone(&self.inner)
    }
}

#[pymethods]
impl PyTrustAnchors {
    /// Loads the files (PEM, or DER with `der`). A file that cannot be read completely makes
    /// every chain "not sure"; the complete emulation then reports it as DCMTK does.
    #[new]
    #[pyo3(signature = (trusted, untrusted, *, der = false))]
    fn new(py: Python<'_>, trusted: Vec<PathBuf>, untrusted: Vec<PathBuf>, der: bool) -> Self {
        let inner = py.detach(|| {
            let t: Vec<&std::path::Path> = trusted.iter().map(PathBuf::as_path).collect();
            let u: Vec<&std::path::Path> = untrusted.iter().map(PathBuf::as_path).collect();
            Arc::new(TrustAnchors::load(&t, &u, der))
        });
        PyTrustAnchors { inner }
    }
}

/// One PEM block.
#[pyclass(frozen, module = "dicomsign._core", name = "PemBlock")]
pub(super) struct PyPemBlock {
    inner: pki::pem::PemBlock,
}

#[pymethods]
impl PyPemBlock {
    /// The type label, e.g. `CERTIFICATE`.
    #[getter]
    fn label(&self) -> String {
        self.inner.label.clone()
    }

    /// RFC 1421 headers (`Proc-Type`, `DEK-Info`), in file order.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let headers = PyDict::new(py);
        for (name, value) in &self.inner.headers {
            headers.set_item(name, value)?;
        }
        Ok(headers)
    }

    /// The decoded body; None when it is not valid base64 or the END label differs.
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.inner.data.as_ref().map(|d| PyBytes::new(py, d))
    }

    /// The block as it appears in the file.
    #[getter]
    fn text<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.text)
    }

    /// True for an encrypted private key.
    #[getter]
    fn encrypted(&self) -> bool {
        self.inner.encrypted()
    }

    fn __repr__(&self) -> String {
        format!("<PemBlock {}>", self.inner.label)
    }
}

/// The PEM blocks of a file's content, in order, as OpenSSL's PEM reader finds them.
#[pyfunction]
pub(super) fn pem_blocks(content: &[u8]) -> Vec<PyPemBlock> {
    pki::pem::blocks(content)
        .into_iter()
        .map(|inner| PyPemBlock { inner })
        .collect()
}

/// `data` cut to the length of its outer DER TLV (DCMTK's pad byte removed).
#[pyfunction]
pub(super) fn trim_der<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, pki::der::trim(data))
}

/// The digest size of a MAC algorithm, in bytes.
#[pyfunction]
pub(super) fn digest_size(algorithm: MacAlgorithm) -> usize {
    algorithm.digest_len()
}
