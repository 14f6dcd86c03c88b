//! The `ArchiveEngine` class (files judged in Rust, one at a time or on a thread pool, the GIL
//! released) and its `FileCheck` records.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pyo3::prelude::*;

use crate::archive::{Checker, Examination, FileCheck, Pool};
use crate::read::{ReadMode, ReadOptions, ReadXfer};

use super::errors::PyCoreError;
use super::pki::PyTrustAnchors;
use super::records::PySignatureChecks;

/// What the engine found in one file: its metadata, and either why it cannot be read, the
/// reader's error, or every signature's verdict.
#[pyclass(frozen, module = "dicomsign._core", name = "FileCheck")]
pub(super) struct PyFileCheck {
    /// The path as submitted.
    #[pyo3(get)]
    path: Py<PyAny>,
    /// The size (`stat`, links followed) before reading; None when it could not be examined.
    #[pyo3(get)]
    size: Option<u64>,
    /// The modification time in nanoseconds, likewise.
    #[pyo3(get)]
    mtime_ns: Option<i64>,
    /// Why the file cannot be read, in words (missing, not a regular file, an I/O error,
    /// changed while it was read); None otherwise.
    #[pyo3(get)]
    problem: Option<String>,
    /// The reader's exception (a `DicomFormatError`) when it stopped; None otherwise.
    #[pyo3(get)]
    error: Option<Py<PyAny>>,
    /// The file has the `DICM` prefix after a 128-byte preamble.
    #[pyo3(get)]
    dicm: bool,
    /// Every signature's verdict when the file was read whole; None otherwise.
    #[pyo3(get)]
    checks: Option<Py<PySignatureChecks>>,
    /// Every signature is surely valid with a chain the anchors surely trust (then DCMTK would
    /// print only `OK` lines); False means "not sure", or no anchors.
    #[pyo3(get)]
    surely_valid: bool,
}

impl PyFileCheck {
    fn new(py: Python<'_>, path: Py<PyAny>, check: FileCheck) -> PyResult<Self> {
        let mut out = PyFileCheck {
            path,
            size: check.stat.map(|s| s.size),
            mtime_ns: check.stat.map(|s| s.mtime_ns),
            problem: None,
            error: None,
            dicm: false,
            checks: None,
            surely_valid: false,
        };
        match check.examination {
            Examination::Unreadable(why) => out.problem = Some(why),
            Examination::Unparsable { error, dicm } => {
                out.error = Some(PyErr::from(PyCoreError(error)).into_value(py).into_any());
                out.dicm = dicm;
            }
            Examination::Checked {
                verdicts,
                surely_valid,
            } => {
                out.dicm = true;
                out.checks = Some(Py::new(py, PySignatureChecks::new(py, verdicts)?)?);
                out.surely_valid = surely_valid;
            }
        }
        Ok(out)
    }
}

#[pymethods]
impl PyFileCheck {
    fn __repr__(&self, py: Python<'_>) -> String {
        let what = if let Some(p) = &self.problem {
            format!("unreadable: {p}")
        } else if self.error.is_some() {
            "unparsable".to_string()
        } else if self.surely_valid {
            "surely valid".to_string()
        } else {
            "checked".to_string()
        };
        format!("<FileCheck {}: {what}>", self.path.bind(py))
    }
}

/// Judges files in Rust with trust anchors loaded once: one file in the calling thread
/// (`check`), or many on a pool of `jobs` threads (`submit`, then `take` the results in the
/// order they complete). The GIL is released while files are judged and while waiting.
#[pyclass(frozen, module = "dicomsign._core", name = "ArchiveEngine")]
pub(super) struct PyArchiveEngine {
    checker: Arc<Checker>,
    pool: Pool<Py<PyAny>>,
}

/// How long `take` waits between checks for signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

#[pymethods]
impl PyArchiveEngine {
    /// An engine; `anchors` enable the quick chain check (without them no file is surely
    /// valid).
    #[new]
    #[pyo3(signature = (anchors = None, *, jobs = 1, old_format = false))]
    fn new(anchors: Option<&PyTrustAnchors>, jobs: usize, old_format: bool) -> PyResult<Self> {
        let options = ReadOptions {
            mode: ReadMode::Auto,
            xfer: ReadXfer::Auto,
            convert_un: false,
            ..ReadOptions::default()
        };
        let checker = Arc::new(Checker::new(
            anchors.map(PyTrustAnchors::shared),
            options,
            old_format,
        ));
        let pool = Pool::new(Arc::clone(&checker), jobs)?;
        Ok(PyArchiveEngine { checker, pool })
    }

    /// Judges one file in the calling thread.
    fn check(&self, py: Python<'_>, path: Bound<'_, PyAny>) -> PyResult<PyFileCheck> {
        let file: std::path::PathBuf = path.extract()?;
        let check = py.detach(|| self.checker.check(&file));
        PyFileCheck::new(py, path.unbind(), check)
    }

    /// Queues files for the pool; each comes back once from `take`.
    fn submit(&self, paths: Vec<Bound<'_, PyAny>>) -> PyResult<()> {
        let files = paths
            .iter()
            .map(|p| p.extract::<std::path::PathBuf>())
            .collect::<PyResult<Vec<_>>>()?;
        for (path, file) in paths.into_iter().zip(files) {
            self.pool.submit(path.unbind(), file);
        }
        Ok(())
    }

    /// Waits up to `timeout` seconds for results and returns those that came (possibly
    /// none; files dropped by `cancel` are left out). Signals are handled while it waits
    /// (Ctrl-C raises `KeyboardInterrupt`).
    #[pyo3(signature = (timeout = 1.0))]
    fn take(&self, py: Python<'_>, timeout: f64) -> PyResult<Vec<PyFileCheck>> {
        let deadline = Instant::now() + Duration::from_secs_f64(timeout.max(0.0));
        let mut done = Vec::new();
        loop {
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .min(SIGNAL_POLL);
            let first = py.detach(|| self.pool.next_timeout(wait));
            if let Some(first) = first {
                done.push(first);
                done.extend(self.pool.ready());
                break;
            }
            py.check_signals()?;
            if Instant::now() >= deadline {
                break;
            }
        }
        done.into_iter()
            .filter_map(|(path, check)| check.map(|c| PyFileCheck::new(py, path, c)))
            .collect()
    }

    /// Files submitted whose results have not been taken.
    #[getter]
    fn pending(&self) -> usize {
        self.pool.pending()
    }

    /// Drops the queued files that have not started; those being judged finish.
    fn cancel(&self) {
        self.pool.cancel();
    }

    /// Cancels and waits until nothing runs in the pool any more (the GIL released); the
    /// results not taken are dropped. Idempotent.
    fn close(&self, py: Python<'_>) {
        let rest = py.detach(|| self.pool.finish());
        drop(rest);
    }
}
