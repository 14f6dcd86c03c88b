//! The one place where core errors become Python exceptions.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::PyErr;

use crate::error::{CoreError, LogLevel};

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
            CoreError::Io(io) => PyOSError::new_err((errno(&io), io.to_string())),
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

/// The errno of an I/O error, also for errors that wrap one (tempfile adds the path).
fn errno(e: &std::io::Error) -> i32 {
    use std::io::ErrorKind;
    if let Some(code) = e.raw_os_error() {
        return code;
    }
    let inner = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<std::io::Error>())
        .and_then(std::io::Error::raw_os_error);
    if let Some(code) = inner {
        return code;
    }
    // POSIX numbers, identical on Linux and macOS for these.
    match e.kind() {
        ErrorKind::NotFound => 2,
        ErrorKind::PermissionDenied => 13,
        ErrorKind::AlreadyExists => 17,
        ErrorKind::NotADirectory => 20,
        ErrorKind::IsADirectory => 21,
        ErrorKind::InvalidInput => 22,
        ErrorKind::StorageFull => 28,
        ErrorKind::ReadOnlyFilesystem => 30,
        _ => 0,
    }
}

impl From<CoreError> for PyErr {
    #[cold]
    fn from(e: CoreError) -> PyErr {
        PyCoreError(e).into()
    }
}
