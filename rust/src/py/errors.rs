//! The one place where core errors become Python exceptions.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::PyErr;

use crate::error::{os_errno, os_reason, CoreError, LogLevel};

pyo3::import_exception!(dicomsign.exceptions, DicomFormatError);
pyo3::import_exception!(dicomsign.exceptions, OutputFileError);
pyo3::import_exception!(dicomsign.exceptions, StreamError);
pyo3::import_exception!(dicomsign.exceptions, SupportFileError);

/// Wrapper so that `?` converts core errors in the bindings.
pub struct PyCoreError(pub CoreError);

impl From<CoreError> for PyCoreError {
    fn from(e: CoreError) -> Self {
        PyCoreError(e)
    }
}

impl From<PyCoreError> for PyErr {
    #[cold]
    fn from(e: PyCoreError) -> PyErr {
        match e.0 {
            // Like Python's own OSError: the errno and the operating system's words.
            CoreError::Io(io) => PyOSError::new_err((os_errno(&io), os_reason(&io))),
            CoreError::Format(m) => DicomFormatError::new_err(m),
            CoreError::Invalid(m) => PyValueError::new_err(m),
            CoreError::Encode(m) => StreamError::new_err((m, 0u32)),
            CoreError::Unsignable(t) => StreamError::new_err((
                "signature contains attribute that is not signable".to_string(),
                t,
            )),
            CoreError::Conversion(m) => OutputFileError::new_err(m),
            CoreError::Dump(m) => SupportFileError::new_err(m),
            CoreError::Read(r) => {
                let log: Vec<(&str, String)> = r
                    .log
                    .into_iter()
                    .map(|(level, text)| {
                        let level = match level {
                            LogLevel::Warning => "W",
                            LogLevel::Error => "E",
                        };
                        (level, text)
                    })
                    .collect();
                DicomFormatError::new_err((r.kind.text(), log, r.kind.name()))
            }
        }
    }
}

/// Result type of the bindings.
pub type PyCoreResult<T> = Result<T, PyCoreError>;

pyo3::import_exception!(dicomsign.exceptions, LocationError);

impl From<CoreError> for PyErr {
    #[cold]
    fn from(e: CoreError) -> PyErr {
        PyCoreError(e).into()
    }
}
