//! The `Document` class: a DICOM document read by the engine, and the bulk verification call.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::error::CoreError;
use crate::mac::digest::MacAlgorithm;
use crate::mac::stream::{MacEncoding, Selection, StreamOptions};
use crate::model::normalize::Rule;
use crate::model::Dataset;
use crate::read::source::Source;
use crate::read::{self, Document, ReadMode, ReadOptions, ReadXfer};
use crate::signatures::create::{self, DigestParams};
use crate::signatures::{self, PathError, SignatureRef};
use crate::write::{self, OutputSyntax, WriteOptions};

use super::convert;
use super::errors::{self, PyCoreError, PyCoreResult};

fn rule_of(s: &str) -> PyResult<Rule> {
    match s {
        "3.6" => Ok(Rule::Dcmtk36),
        "3.7" => Ok(Rule::Dcmtk37),
        _ => Err(PyValueError::new_err(format!(
            "unknown normalization rule {s:?}"
        ))),
    }
}

pub(super) fn algorithm_of(s: &str) -> PyResult<MacAlgorithm> {
    MacAlgorithm::from_dicom(s)
        .ok_or_else(|| PyValueError::new_err(format!("unknown MAC algorithm {s:?}")))
}

pub(super) fn read_options(
    read_mode: &str,
    read_xfer: &str,
    convert_un: bool,
) -> PyResult<ReadOptions> {
    let mode = match read_mode {
        "auto" => ReadMode::Auto,
        "file" => ReadMode::FileOnly,
        "dataset" => ReadMode::Dataset,
        _ => {
            return Err(PyValueError::new_err(format!(
                "unknown read mode {read_mode:?}"
            )))
        }
    };
    let xfer = match read_xfer {
        "auto" => ReadXfer::Auto,
        "detect" => ReadXfer::Detect,
        "little" => ReadXfer::Little,
        "big" => ReadXfer::Big,
        "implicit" => ReadXfer::Implicit,
        _ => {
            return Err(PyValueError::new_err(format!(
                "unknown read transfer syntax {read_xfer:?}"
            )))
        }
    };
    Ok(ReadOptions {
        mode,
        xfer,
        convert_un,
        ..ReadOptions::default()
    })
}

/// Options for computing a MAC stream digest, checked and converted while attached.
struct DigestRequest {
    params: DigestParams,
    dump: Option<PathBuf>,
}

fn digest_request(
    algorithm: &str,
    transfer_syntax: &str,
    old_format: bool,
    rule: &str,
    dump: Option<PathBuf>,
) -> PyResult<DigestRequest> {
    let (encoding, encapsulated) = MacEncoding::for_uid(transfer_syntax).ok_or_else(|| {
        PyValueError::new_err("unable to use the selected transfer syntax for MAC computation")
    })?;
    Ok(DigestRequest {
        params: DigestParams {
            algorithm: algorithm_of(algorithm)?,
            stream: StreamOptions {
                encoding,
                encapsulated,
                old_format,
                rule: rule_of(rule)?,
            },
        },
        dump,
    })
}

/// A DICOM document opened by the engine: DCMTK's in-memory model with large values left in
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
}

fn path_error(e: &PathError) -> PyErr {
    let (kind, step, items) = match e {
        PathError::NotFound { step } => ("not-found", *step, 0),
        PathError::NotSequence { step } => ("not-sequence", *step, 0),
        PathError::NoSuchItem { step, items } => ("no-item", *step, *items),
    };
    errors::LocationError::new_err((kind.to_string(), step, items))
}

#[pymethods]
impl PyDocument {
    /// Opens and reads a file; the GIL is released while reading.
    #[staticmethod]
    #[pyo3(signature = (path, /, *, read_mode = "auto", read_xfer = "auto", convert_un = false))]
    fn open(
        py: Python<'_>,
        path: PathBuf,
        read_mode: &str,
        read_xfer: &str,
        convert_un: bool,
    ) -> PyResult<Self> {
        let opts = read_options(read_mode, read_xfer, convert_un)?;
        let doc = py.detach(|| -> PyCoreResult<Document> {
            let src = Source::open(&path).map_err(CoreError::Io)?;
            Ok(read::read(src, opts)?)
        })?;
        Ok(PyDocument {
            inner: Mutex::new(doc),
        })
    }

    /// Reads a document held in memory.
    #[staticmethod]
    #[pyo3(signature = (data, /, *, read_mode = "auto", read_xfer = "auto", convert_un = false))]
    fn from_bytes(
        py: Python<'_>,
        data: &[u8],
        read_mode: &str,
        read_xfer: &str,
        convert_un: bool,
    ) -> PyResult<Self> {
        let opts = read_options(read_mode, read_xfer, convert_un)?;
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

    /// The signatures, in DCMTK's order, and the number of Digital Signatures Sequences
    /// skipped inside Original Attributes Sequence.
    fn signatures<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyList>, usize)> {
        let doc = self.lock();
        let search = signatures::find(&doc.dataset);
        let list = PyList::empty(py);
        for r in &search.found {
            let info = signatures::describe(&doc.dataset, r).map_err(PyCoreError)?;
            list.append(convert::signature_dict(py, &info)?)?;
        }
        Ok((list, search.skipped_in_original_attributes))
    }

    /// Every signature with its MAC digests (the engine half of verification); the GIL is
    /// released while hashing. Returns the list and the number of signature sequences skipped
    /// inside Original Attributes Sequence.
    #[pyo3(signature = (*, old_format = false))]
    fn verify_digests<'py>(
        &self,
        py: Python<'py>,
        old_format: bool,
    ) -> PyResult<(Bound<'py, PyList>, usize)> {
        let (results, skipped) = py.detach(|| {
            let doc = self.lock();
            crate::signatures::verify::verify_document(&doc, old_format)
        });
        let list = PyList::empty(py);
        for r in &results {
            let d = convert::signature_dict(py, &r.info)?;
            convert::add_digests(py, &d, r)?;
            list.append(d)?;
        }
        Ok((list, skipped))
    }

    /// The verification fast path: the UIDs of all signatures when every one is surely
    /// valid against the trust files (`+cf`, `+uf`), else None (run the complete check).
    /// The GIL is released throughout.
    #[pyo3(signature = (trusted, untrusted, *, der = false, old_format = false))]
    fn surely_valid(
        &self,
        py: Python<'_>,
        trusted: Vec<PathBuf>,
        untrusted: Vec<PathBuf>,
        der: bool,
        old_format: bool,
    ) -> Option<Vec<String>> {
        py.detach(|| {
            let load = |paths: &[PathBuf]| -> Option<Vec<crate::pki::Certificate>> {
                let mut all = Vec::new();
                for p in paths {
                    all.extend(crate::pki::read_certificates(p, der)?);
                }
                Some(all)
            };
            let trusted = load(&trusted)?;
            let untrusted = load(&untrusted)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .and_then(|d| i64::try_from(d.as_secs()).ok())?;
            let doc = self.lock();
            crate::signatures::verify::surely_valid(&doc, old_format, &trusted, &untrusted, now)
        })
    }

    /// Digest of the MAC stream of an existing signature (verification); returns
    /// `(digest, ambiguous)`. Raises StreamError when the stream cannot be built.
    #[pyo3(signature = (container, index, /, *, algorithm, transfer_syntax, tags, old_format = false, rule = "3.6", dump = None))]
    #[allow(clippy::too_many_arguments)]
    fn signature_digest<'py>(
        &self,
        py: Python<'py>,
        container: Vec<(u32, usize)>,
        index: usize,
        algorithm: &str,
        transfer_syntax: &str,
        tags: Vec<u32>,
        old_format: bool,
        rule: &str,
        dump: Option<PathBuf>,
    ) -> PyResult<(Bound<'py, PyBytes>, bool)> {
        let req = digest_request(algorithm, transfer_syntax, old_format, rule, dump)?;
        let (digest, _, ambiguous) = py.detach(|| -> PyCoreResult<_> {
            let doc = self.lock();
            let r = SignatureRef { container, index };
            let (c, sig) = signatures::signature_item(&doc.dataset, &r)?;
            Ok(create::digest_stream(
                &doc.source,
                c,
                Selection::Tags(&tags),
                sig,
                req.params,
                req.dump.as_deref(),
            )?)
        })?;
        Ok((PyBytes::new(py, &digest), ambiguous))
    }

    /// Digest of the MAC stream for a new signature of the item at `container` over `tags`
    /// (`None` = every signable element) followed by `sig_item` (records); returns
    /// `(digest, tags encoded, ambiguous)`.
    #[pyo3(signature = (container, tags, sig_item, /, *, algorithm, transfer_syntax, old_format = false, rule = "3.7", dump = None))]
    #[allow(clippy::too_many_arguments)]
    fn new_signature_digest<'py>(
        &self,
        py: Python<'py>,
        container: Vec<(u32, usize)>,
        tags: Option<Vec<u32>>,
        sig_item: &Bound<'py, PyAny>,
        algorithm: &str,
        transfer_syntax: &str,
        old_format: bool,
        rule: &str,
        dump: Option<PathBuf>,
    ) -> PyResult<(Bound<'py, PyBytes>, Vec<u32>, bool)> {
        let req = digest_request(algorithm, transfer_syntax, old_format, rule, dump)?;
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
                req.params,
                req.dump.as_deref(),
            )?)
        })?;
        Ok((PyBytes::new(py, &digest), encoded, ambiguous))
    }

    /// Signs the main dataset and writes the result to `path` in one pass: the file is
    /// written while the MAC is hashed, then `sign(digest) -> bytes` is called and the
    /// Digital Signatures Sequence written. `tags` are the elements to sign, `mac_item` the
    /// new MAC Parameters item and `sig_item` the new Digital Signatures item without its
    /// Signature (both as records). Returns `(digest, tags encoded, ambiguous)`.
    #[pyo3(signature = (tags, mac_item, sig_item, sign, path, /, *, algorithm, transfer_syntax, old_format = false, rule = "3.7", dump = None, syntax = "same", explicit_lengths = true, implementation_class_uid, implementation_version_name, fallback_instance_uid))]
    #[allow(clippy::too_many_arguments)]
    fn sign_and_write<'py>(
        &self,
        py: Python<'py>,
        tags: Vec<u32>,
        mac_item: &Bound<'py, PyAny>,
        sig_item: &Bound<'py, PyAny>,
        sign: Py<PyAny>,
        path: PathBuf,
        algorithm: &str,
        transfer_syntax: &str,
        old_format: bool,
        rule: &str,
        dump: Option<PathBuf>,
        syntax: &str,
        explicit_lengths: bool,
        implementation_class_uid: String,
        implementation_version_name: String,
        fallback_instance_uid: String,
    ) -> PyResult<(Bound<'py, PyBytes>, Vec<u32>, bool)> {
        let req = digest_request(algorithm, transfer_syntax, old_format, rule, dump)?;
        let wopts = write_options(
            syntax,
            explicit_lengths,
            rule,
            implementation_class_uid,
            implementation_version_name,
            fallback_instance_uid,
        )?;
        let mac = convert::dataset_from_records(mac_item)?;
        let sig = convert::dataset_from_records(sig_item)?;
        let (digest, encoded, ambiguous) = py.detach(|| -> PyResult<_> {
            let mut doc = self.lock();
            create::sign_and_write(
                &mut doc,
                &tags,
                mac,
                sig,
                req.params,
                req.dump.as_deref(),
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
    fn locate(&self, container: Vec<(u32, usize)>) -> PyResult<()> {
        let doc = self.lock();
        signatures::item(&doc.dataset, &container)
            .map(|_| ())
            .map_err(|e| path_error(&e))
    }

    /// The top-level elements of an item: `(tag, vr, signable, is_sequence)` tuples.
    fn elements(&self, container: Vec<(u32, usize)>) -> PyResult<Vec<(u32, String, bool, bool)>> {
        let doc = self.lock();
        let c = signatures::item(&doc.dataset, &container).map_err(|e| path_error(&e))?;
        Ok(c.elements
            .iter()
            .map(|e| {
                (
                    e.tag,
                    e.vr.as_str().to_string(),
                    e.is_signable(),
                    e.items().is_some(),
                )
            })
            .collect())
    }

    /// The number of items of the sequence `tag` in the item at `container`, or None when it
    /// is absent or not a sequence.
    fn item_count(&self, container: Vec<(u32, usize)>, tag: u32) -> PyResult<Option<usize>> {
        let doc = self.lock();
        let c = signatures::item(&doc.dataset, &container).map_err(|e| path_error(&e))?;
        Ok(c.get(tag).and_then(|e| e.items()).map(<[Dataset]>::len))
    }

    /// The raw in-memory value of an element, or None (absent, a sequence or a large value).
    fn value<'py>(
        &self,
        py: Python<'py>,
        container: Vec<(u32, usize)>,
        tag: u32,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let doc = self.lock();
        let c = signatures::item(&doc.dataset, &container).map_err(|e| path_error(&e))?;
        Ok(c.get(tag)
            .and_then(|e| e.bytes())
            .map(|b| PyBytes::new(py, b)))
    }

    /// The lowest free MAC ID Number of an item.
    fn next_mac_id(&self, container: Vec<(u32, usize)>) -> PyResult<u16> {
        let doc = self.lock();
        let c = signatures::item(&doc.dataset, &container).map_err(|e| path_error(&e))?;
        Ok(signatures::next_mac_id(c).map_err(PyCoreError)?)
    }

    /// Appends a MAC Parameters item and a Digital Signatures item (both as records).
    fn add_signature(
        &self,
        container: Vec<(u32, usize)>,
        mac_item: &Bound<'_, PyAny>,
        sig_item: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let mac = convert::dataset_from_records(mac_item)?;
        let sig = convert::dataset_from_records(sig_item)?;
        let mut doc = self.lock();
        signatures::add(&mut doc.dataset, &container, mac, sig).map_err(PyCoreError)?;
        Ok(())
    }

    /// Removes a signature (see DCMTK's rules for the MAC Parameters item).
    fn remove_signature(&self, container: Vec<(u32, usize)>, index: usize) -> PyResult<()> {
        let mut doc = self.lock();
        let r = SignatureRef { container, index };
        signatures::remove(&mut doc.dataset, &r).map_err(PyCoreError)?;
        Ok(())
    }

    /// The transfer syntax UID the output would have, raising OutputFileError when the
    /// conversion is impossible.
    #[pyo3(signature = (*, syntax = "same"))]
    fn output_transfer_syntax(&self, syntax: &str) -> PyResult<String> {
        let doc = self.lock();
        let (uid, _) =
            write::output_syntax(&doc, output_syntax_of(syntax)?).map_err(PyCoreError)?;
        Ok(uid)
    }

    /// Writes the document atomically to `path`; the GIL is released while writing.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (path, /, *, syntax = "same", explicit_lengths = true, rule = "3.6", implementation_class_uid, implementation_version_name, fallback_instance_uid))]
    fn write(
        &self,
        py: Python<'_>,
        path: PathBuf,
        syntax: &str,
        explicit_lengths: bool,
        rule: &str,
        implementation_class_uid: String,
        implementation_version_name: String,
        fallback_instance_uid: String,
    ) -> PyResult<()> {
        let opts = write_options(
            syntax,
            explicit_lengths,
            rule,
            implementation_class_uid,
            implementation_version_name,
            fallback_instance_uid,
        )?;
        py.detach(|| -> PyCoreResult<()> {
            let doc = self.lock();
            Ok(write::write_file(&doc, &opts, &path)?)
        })?;
        Ok(())
    }

    /// The document as DICOM file bytes.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (*, syntax = "same", explicit_lengths = true, rule = "3.6", implementation_class_uid, implementation_version_name, fallback_instance_uid))]
    fn to_bytes<'py>(
        &self,
        py: Python<'py>,
        syntax: &str,
        explicit_lengths: bool,
        rule: &str,
        implementation_class_uid: String,
        implementation_version_name: String,
        fallback_instance_uid: String,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let opts = write_options(
            syntax,
            explicit_lengths,
            rule,
            implementation_class_uid,
            implementation_version_name,
            fallback_instance_uid,
        )?;
        let out = py.detach(|| -> PyCoreResult<Vec<u8>> {
            let doc = self.lock();
            let mut v = Vec::new();
            write::write(&doc, &opts, &mut v)?;
            Ok(v)
        })?;
        Ok(PyBytes::new(py, &out))
    }
}

#[allow(clippy::too_many_arguments)]
fn write_options(
    syntax: &str,
    explicit_lengths: bool,
    rule: &str,
    implementation_class_uid: String,
    implementation_version_name: String,
    fallback_instance_uid: String,
) -> PyResult<WriteOptions> {
    Ok(WriteOptions {
        syntax: output_syntax_of(syntax)?,
        explicit_lengths,
        rule: rule_of(rule)?,
        implementation_class_uid,
        implementation_version_name,
        fallback_instance_uid,
    })
}

fn output_syntax_of(s: &str) -> PyResult<OutputSyntax> {
    Ok(match s {
        "same" => OutputSyntax::Same,
        "little" => OutputSyntax::ExplicitLittle,
        "big" => OutputSyntax::ExplicitBig,
        "implicit" => OutputSyntax::ImplicitLittle,
        _ => {
            return Err(PyValueError::new_err(format!(
                "unknown output transfer syntax {s:?}"
            )))
        }
    })
}

/// Verifies-side bulk call: reads `path` and returns every signature with its MAC digests,
/// all with the GIL released. See `dicomsign._core.pyi` for the dictionary keys.
#[pyfunction]
#[pyo3(signature = (path, /, *, read_mode = "auto", read_xfer = "auto", convert_un = false, old_format = false))]
pub(super) fn verify_file<'py>(
    py: Python<'py>,
    path: PathBuf,
    read_mode: &str,
    read_xfer: &str,
    convert_un: bool,
    old_format: bool,
) -> PyResult<(Bound<'py, PyList>, usize)> {
    let opts = read_options(read_mode, read_xfer, convert_un)?;
    let (results, skipped) = py.detach(|| -> PyCoreResult<_> {
        let src = Source::open(&path).map_err(CoreError::Io)?;
        let doc = read::read(src, opts)?;
        Ok(crate::signatures::verify::verify_document(&doc, old_format))
    })?;
    let list = PyList::empty(py);
    for r in &results {
        let d: Bound<'py, PyDict> = convert::signature_dict(py, &r.info)?;
        convert::add_digests(py, &d, r)?;
        list.append(d)?;
    }
    Ok((list, skipped))
}
