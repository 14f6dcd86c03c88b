//! The `Document` class: a DICOM document read by the engine, its signatures, their verdicts,
//! new signatures and the written file.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::CoreError;
use crate::mac::digest::MacAlgorithm;
use crate::mac::stream::{MacEncoding, Selection, StreamOptions};
use crate::model::normalize::Rule;
use crate::model::Dataset;
use crate::read::source::Source;
use crate::read::{self, Document, ReadMode, ReadOptions, ReadXfer};
use crate::signatures::create::{self, DigestParams};
use crate::signatures::verify;
use crate::signatures::{self, ItemPath, PathError, SignatureRef};
use crate::write::{self, OutputSyntax, WriteOptions};

use super::convert;
use super::errors::{self, PyCoreError, PyCoreResult};
use super::records::{PySignature, PySignatureChecks};

/// The digest parameters of a MAC stream, checked while attached.
fn digest_params(
    algorithm: MacAlgorithm,
    transfer_syntax: &str,
    old_format: bool,
    rule: Rule,
) -> PyResult<DigestParams> {
    let (encoding, encapsulated) = MacEncoding::for_uid(transfer_syntax).ok_or_else(|| {
        PyCoreError(CoreError::Invalid(
            "unable to use the selected transfer syntax for MAC computation".into(),
        ))
    })?;
    Ok(DigestParams {
        algorithm,
        stream: StreamOptions {
            encoding,
            encapsulated,
            old_format,
            rule,
        },
    })
}

fn read_options(mode: ReadMode, transfer_syntax: ReadXfer, convert_un: bool) -> ReadOptions {
    ReadOptions {
        mode,
        xfer: transfer_syntax,
        convert_un,
        ..ReadOptions::default()
    }
}

/// A DICOM document opened by the engine: DCMTK's in-memory model with large values left in
/// the source.
#[pyclass(frozen, module = "dicomsign._core", name = "Document")]
pub(super) struct PyDocument {
    inner: Mutex<Document>,
}

impl PyDocument {
    fn lock(&self) -> MutexGuard<'_, Document> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn with_item<T>(
        &self,
        container: &[(u32, usize)],
        f: impl FnOnce(&Dataset) -> T,
    ) -> PyResult<T> {
        let doc = self.lock();
        signatures::item(&doc.dataset, container)
            .map(f)
            .map_err(|e| path_error(&e))
    }
}

fn path_error(e: &PathError) -> PyErr {
    let (kind, step, items) = match e {
        PathError::NotFound { step } => ("not-found", *step, 0),
        PathError::NotSequence { step } => ("not-sequence", *step, 0),
        PathError::NoSuchItem { step, items } => ("no-item", *step, *items),
    };
    errors::LocationError::new_err((kind.to_string(), step, items))
}

fn open_file(path: &std::path::Path, opts: ReadOptions) -> PyCoreResult<Document> {
    let src = Source::open(path).map_err(CoreError::Io)?;
    Ok(read::read(src, opts)?)
}

#[pymethods]
impl PyDocument {
    /// Opens and reads a file; the GIL is released while reading.
    #[staticmethod]
    #[pyo3(signature = (path, /, *, mode = ReadMode::Auto, transfer_syntax = ReadXfer::Auto, convert_un = false))]
    fn open(
        py: Python<'_>,
        path: PathBuf,
        mode: ReadMode,
        transfer_syntax: ReadXfer,
        convert_un: bool,
    ) -> PyResult<Self> {
        let opts = read_options(mode, transfer_syntax, convert_un);
        let doc = py.detach(|| open_file(&path, opts))?;
        Ok(PyDocument {
            inner: Mutex::new(doc),
        })
    }

    /// Reads a document held in memory.
    #[staticmethod]
    #[pyo3(signature = (data, /, *, mode = ReadMode::Auto, transfer_syntax = ReadXfer::Auto, convert_un = false))]
    fn from_bytes(
        py: Python<'_>,
        data: &[u8],
        mode: ReadMode,
        transfer_syntax: ReadXfer,
        convert_un: bool,
    ) -> PyResult<Self> {
        let opts = read_options(mode, transfer_syntax, convert_un);
        let buf: Arc<[u8]> = Arc::from(data);
        let doc =
            py.detach(|| -> PyCoreResult<Document> { Ok(read::read(Source::Memory(buf), opts)?) })?;
        Ok(PyDocument {
            inner: Mutex::new(doc),
        })
    }

    /// The transfer syntax UID of the dataset as read.
    #[getter]
    fn transfer_syntax(&self) -> String {
        self.lock().transfer_syntax.clone()
    }

    /// DCMTK's warnings while reading the document (odd lengths, tag order, duplicates,
    /// CP-246 sequences), in the order DCMTK logs them.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.lock().warnings.clone()
    }

    /// True when the input had file meta information.
    #[getter]
    fn has_meta(&self) -> bool {
        self.lock().meta.is_some()
    }

    /// The signatures in DCMTK's order, and the containers of the Digital Signatures
    /// Sequences skipped inside Original Attributes Sequence.
    fn signatures(&self, py: Python<'_>) -> PyResult<(Vec<Py<PySignature>>, Vec<ItemPath>)> {
        let doc = self.lock();
        let search = signatures::find(&doc.dataset);
        let out = signatures::describe_all(&doc.dataset, &search)
            .into_iter()
            .map(|info| Py::new(py, PySignature::new(info)))
            .collect::<PyResult<_>>()?;
        Ok((out, search.skipped))
    }

    /// The verdict on every signature: DCMTK's checks up to the certificate chain, each MAC
    /// stream hashed once (twice only for values DCMTK 3.6 and 3.7 read differently). The GIL
    /// is released while hashing.
    #[pyo3(signature = (*, old_format = false))]
    fn check_signatures(&self, py: Python<'_>, old_format: bool) -> PyResult<PySignatureChecks> {
        let verdicts = py.detach(|| verify::verdicts(&self.lock(), old_format));
        PySignatureChecks::new(py, verdicts)
    }

    /// Digest of the MAC stream of an existing signature, optionally dumped to a file;
    /// returns `(digest, ambiguous)`.
    #[pyo3(signature = (container, index, /, *, algorithm, transfer_syntax, tags, old_format = false, rule = Rule::Dcmtk36, dump = None))]
    #[allow(clippy::too_many_arguments)]
    fn signature_digest<'py>(
        &self,
        py: Python<'py>,
        container: ItemPath,
        index: usize,
        algorithm: MacAlgorithm,
        transfer_syntax: &str,
        tags: Vec<u32>,
        old_format: bool,
        rule: Rule,
        dump: Option<PathBuf>,
    ) -> PyResult<(Bound<'py, PyBytes>, bool)> {
        let params = digest_params(algorithm, transfer_syntax, old_format, rule)?;
        let (digest, _, ambiguous) = py.detach(|| -> PyCoreResult<_> {
            let doc = self.lock();
            let r = SignatureRef { container, index };
            let (c, sig) = signatures::signature_item(&doc.dataset, &r)?;
            Ok(create::digest_stream(
                &doc.source,
                c,
                Selection::Tags(&tags),
                sig,
                params,
                dump.as_deref(),
            )?)
        })?;
        Ok((PyBytes::new(py, &digest), ambiguous))
    }

    /// Digest of the MAC stream for a new signature of the item at `container` over `tags`
    /// (`None` = every signable element) followed by `sig_item` (records); returns
    /// `(digest, tags encoded, ambiguous)`.
    #[pyo3(signature = (container, tags, sig_item, /, *, algorithm, transfer_syntax, old_format = false, rule = Rule::Dcmtk37, dump = None))]
    #[allow(clippy::too_many_arguments)]
    fn new_signature_digest<'py>(
        &self,
        py: Python<'py>,
        container: ItemPath,
        tags: Option<Vec<u32>>,
        sig_item: &Bound<'py, PyAny>,
        algorithm: MacAlgorithm,
        transfer_syntax: &str,
        old_format: bool,
        rule: Rule,
        dump: Option<PathBuf>,
    ) -> PyResult<(Bound<'py, PyBytes>, Vec<u32>, bool)> {
        let params = digest_params(algorithm, transfer_syntax, old_format, rule)?;
        let item = convert::dataset_from_records(sig_item)?;
        let (digest, encoded, ambiguous) = py.detach(|| -> PyCoreResult<_> {
            let doc = self.lock();
            let c = signatures::item(&doc.dataset, &container)
                .map_err(|e| CoreError::invalid(e.to_string()))?;
            let sel = match &tags {
                Some(t) => Selection::Tags(t),
                None => Selection::All,
            };
            Ok(create::digest_stream(
                &doc.source,
                c,
                sel,
                &item,
                params,
                dump.as_deref(),
            )?)
        })?;
        Ok((PyBytes::new(py, &digest), encoded, ambiguous))
    }

    /// Signs the main dataset and writes the result to `path` in one pass: the file is
    /// written while the MAC is hashed, then `sign(digest) -> bytes` is called and the
    /// Digital Signatures Sequence written. `tags` are the elements to sign, `mac_item` the
    /// new MAC Parameters item and `sig_item` the new Digital Signatures item without its
    /// Signature (both as records). Returns `(digest, tags encoded, ambiguous)`.
    #[pyo3(signature = (tags, mac_item, sig_item, sign, path, /, *, algorithm, transfer_syntax, old_format = false, rule = Rule::Dcmtk37, dump = None, syntax = OutputSyntax::Same, explicit_lengths = true))]
    #[allow(clippy::too_many_arguments)]
    fn sign_and_write<'py>(
        &self,
        py: Python<'py>,
        tags: Vec<u32>,
        mac_item: &Bound<'py, PyAny>,
        sig_item: &Bound<'py, PyAny>,
        sign: Py<PyAny>,
        path: PathBuf,
        algorithm: MacAlgorithm,
        transfer_syntax: &str,
        old_format: bool,
        rule: Rule,
        dump: Option<PathBuf>,
        syntax: OutputSyntax,
        explicit_lengths: bool,
    ) -> PyResult<(Bound<'py, PyBytes>, Vec<u32>, bool)> {
        let params = digest_params(algorithm, transfer_syntax, old_format, rule)?;
        let wopts = WriteOptions::new(syntax, explicit_lengths, rule);
        let mac = convert::dataset_from_records(mac_item)?;
        let sig = convert::dataset_from_records(sig_item)?;
        let (digest, encoded, ambiguous) = py.detach(|| -> PyResult<_> {
            let mut doc = self.lock();
            create::sign_and_write(
                &mut doc,
                &tags,
                mac,
                sig,
                params,
                dump.as_deref(),
                &wopts,
                &path,
                |digest: &[u8]| -> PyResult<Vec<u8>> {
                    Python::attach(|py| {
                        let out = sign.call1(py, (PyBytes::new(py, digest),))?;
                        out.extract::<Vec<u8>>(py)
                    })
                },
            )
        })?;
        Ok((PyBytes::new(py, &digest), encoded, ambiguous))
    }

    /// True when `sign_and_write` can be used (no group length covers the signatures).
    fn can_sign_and_write(&self) -> bool {
        create::can_split(&self.lock())
    }

    /// Checks that `container` names an item; raises LocationError otherwise.
    fn locate(&self, container: ItemPath) -> PyResult<()> {
        self.with_item(&container, |_| ())
    }

    /// The top-level elements of an item: `(tag, vr, signable, is_sequence)` tuples.
    fn elements(&self, container: ItemPath) -> PyResult<Vec<(u32, &'static str, bool, bool)>> {
        self.with_item(&container, |c| {
            c.elements
                .iter()
                .map(|e| (e.tag, e.vr.as_str(), e.is_signable(), e.items().is_some()))
                .collect()
        })
    }

    /// The number of items of the sequence `tag` in the item at `container`, or None when it
    /// is absent or not a sequence.
    fn item_count(&self, container: ItemPath, tag: u32) -> PyResult<Option<usize>> {
        self.with_item(&container, |c| {
            c.get(tag).and_then(|e| e.items()).map(<[Dataset]>::len)
        })
    }

    /// The raw in-memory value of an element, or None (absent, a sequence or a large value).
    fn value<'py>(
        &self,
        py: Python<'py>,
        container: ItemPath,
        tag: u32,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        self.with_item(&container, |c| {
            c.get(tag)
                .and_then(|e| e.bytes())
                .map(|b| PyBytes::new(py, b))
        })
    }

    /// The lowest free MAC ID Number of an item.
    fn next_mac_id(&self, container: ItemPath) -> PyResult<u16> {
        self.with_item(&container, signatures::next_mac_id)?
            .map_err(|e| PyCoreError(e).into())
    }

    /// Appends a MAC Parameters item and a Digital Signatures item (both as records).
    fn add_signature(
        &self,
        container: ItemPath,
        mac_item: &Bound<'_, PyAny>,
        sig_item: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let mac = convert::dataset_from_records(mac_item)?;
        let sig = convert::dataset_from_records(sig_item)?;
        let mut doc = self.lock();
        signatures::add(&mut doc.dataset, &container, mac, sig).map_err(PyCoreError)?;
        Ok(())
    }

    /// Inserts or replaces elements (records) of the signature item `index` of a container.
    fn put_signature_elements(
        &self,
        container: ItemPath,
        index: usize,
        records: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let elements = convert::dataset_from_records(records)?;
        let mut doc = self.lock();
        let r = SignatureRef { container, index };
        signatures::put_elements(&mut doc.dataset, &r, elements).map_err(PyCoreError)?;
        Ok(())
    }

    /// Removes a signature (see DCMTK's rules for the MAC Parameters item).
    fn remove_signature(&self, container: ItemPath, index: usize) -> PyResult<()> {
        let mut doc = self.lock();
        let r = SignatureRef { container, index };
        signatures::remove(&mut doc.dataset, &r).map_err(PyCoreError)?;
        Ok(())
    }

    /// The transfer syntax UID the output would have, raising OutputFileError when the
    /// conversion is impossible.
    #[pyo3(signature = (*, syntax = OutputSyntax::Same))]
    fn output_transfer_syntax(&self, syntax: OutputSyntax) -> PyResult<String> {
        let (uid, _) = write::output_syntax(&self.lock(), syntax).map_err(PyCoreError)?;
        Ok(uid)
    }

    /// Writes the document atomically to `path`; the GIL is released while writing.
    #[pyo3(signature = (path, /, *, syntax = OutputSyntax::Same, explicit_lengths = true, rule = Rule::Dcmtk36))]
    fn write(
        &self,
        py: Python<'_>,
        path: PathBuf,
        syntax: OutputSyntax,
        explicit_lengths: bool,
        rule: Rule,
    ) -> PyResult<()> {
        let opts = WriteOptions::new(syntax, explicit_lengths, rule);
        py.detach(|| -> PyCoreResult<()> { Ok(write::write_file(&self.lock(), &opts, &path)?) })?;
        Ok(())
    }

    /// The document as DICOM file bytes.
    #[pyo3(signature = (*, syntax = OutputSyntax::Same, explicit_lengths = true, rule = Rule::Dcmtk36))]
    fn to_bytes<'py>(
        &self,
        py: Python<'py>,
        syntax: OutputSyntax,
        explicit_lengths: bool,
        rule: Rule,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let opts = WriteOptions::new(syntax, explicit_lengths, rule);
        let out = py.detach(|| -> PyCoreResult<Vec<u8>> {
            let mut v = Vec::new();
            write::write(&self.lock(), &opts, &mut v)?;
            Ok(v)
        })?;
        Ok(PyBytes::new(py, &out))
    }
}

/// A new UID under the `2.25` root, from a random UUID.
#[pyfunction]
pub(super) fn new_uid() -> String {
    crate::model::uid::new_uid()
}

/// DCMTK's signability rule for a tag (PS3.3 C.12.1.1.3.1.1), without the VR test.
#[pyfunction]
pub(super) fn is_signable_tag(tag: u32) -> bool {
    crate::model::tag::is_signable_tag(tag)
}
