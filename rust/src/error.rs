//! Errors of the pure Rust core (no pyo3 here).

use thiserror::Error;

/// Everything that can go wrong in the core.
#[derive(Debug, Error)]
pub enum CoreError {
    /// An operating-system level I/O failure.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The input is not a DICOM file or dataset that can be read (truncated, garbage...).
    #[error("{0}")]
    Format(String),
    /// A caller handed in something invalid (bad tag list, bad record, bad path...).
    #[error("{0}")]
    Invalid(String),
    /// The MAC stream cannot be built (e.g. a listed element is not signable).
    #[error("{0}")]
    Encode(String),
    /// A listed element is present but not signable (UN, or a sequence containing UN).
    #[error("signature contains attribute that is not signable")]
    Unsignable(u32),
    /// The `--dump` file cannot be created or written.
    #[error("{0}")]
    Dump(String),
    /// The output cannot be written in the requested transfer syntax.
    #[error("{0}")]
    Conversion(String),
}

/// Result alias of the core.
pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    #[cold]
    pub(crate) fn format(msg: impl Into<String>) -> Self {
        CoreError::Format(msg.into())
    }

    #[cold]
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        CoreError::Invalid(msg.into())
    }
}
