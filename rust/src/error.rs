//! Errors of the pure Rust core (no pyo3 here).

use std::io;

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
    /// The data is damaged where DCMTK's parser stops: its condition and what it logged.
    #[error("{}", .0.kind.text())]
    Read(ReadError),
}

/// Why DCMTK's parser gives up on a file: its condition codes (`EC_...`), one per rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadErrorKind {
    /// `EC_StreamNotifyClient`: the stream ends inside a header or a value.
    PrematureEnd,
    /// `EC_InvalidStream`: a short value ends the file.
    InvalidStream,
    /// `EC_InvalidTag`: an item where an element belongs.
    InvalidTag,
    /// `EC_SequDelimitationItemMissing`.
    SequenceDelimiterMissing,
    /// `EC_ItemDelimitationItemMissing`.
    ItemDelimiterMissing,
    /// `EC_ElemLengthLargerThanItem`.
    ElementLargerThanItem,
    /// `EC_PrematureSequDelimitationItem`.
    PrematureSequenceDelimiter,
    /// `EC_UndefinedLengthOBOW`.
    UndefinedLengthObOw,
    /// `EC_VOI_LUT_OBOW`.
    VoiLutObOw,
    /// `EC_CorruptedData`.
    CorruptedData,
    /// `EC_PixelDataExplLengthIllegal`: native pixel data under an encapsulated syntax.
    PixelDataExplicitLength,
    /// Deeper than DCMTK can read (it overflows its stack there); ours stops cleanly.
    NestedTooDeeply,
    /// `EC_FileMetaInfoHeaderMissing`: `+fo` and no meta header.
    MetaHeaderMissing,
}

impl ReadErrorKind {
    /// DCMTK's text for the condition (what `dcmsign` prints after `F: `).
    #[must_use]
    pub fn text(self) -> &'static str {
        match self {
            ReadErrorKind::PrematureEnd => "I/O suspension or premature end of stream",
            ReadErrorKind::InvalidStream => "Invalid stream",
            ReadErrorKind::InvalidTag => "Invalid tag",
            ReadErrorKind::SequenceDelimiterMissing => "Sequence Delimitation Item missing",
            ReadErrorKind::ItemDelimiterMissing => "Item Delimitation Item missing",
            ReadErrorKind::ElementLargerThanItem => {
                "Length of element larger than explicit length of surrounding item"
            }
            ReadErrorKind::PrematureSequenceDelimiter => {
                "Sequence Delimitation Item occurred before Item was completely read"
            }
            ReadErrorKind::UndefinedLengthObOw => {
                "Illegal element with OB or OW Value Representation and undefined length \
                 encountered"
            }
            ReadErrorKind::VoiLutObOw => {
                "Illegal VOI LUT Sequence element with OB or OW Value Representation and \
                 explicit length encountered"
            }
            ReadErrorKind::CorruptedData => "Corrupted data",
            ReadErrorKind::PixelDataExplicitLength => {
                "Pixel data in top level dataset in compressed Transfer Syntax uses explicit length"
            }
            ReadErrorKind::NestedTooDeeply => "Sequences nested too deeply",
            ReadErrorKind::MetaHeaderMissing => "File meta information header missing",
        }
    }

    /// A stable name for the kind (Python sees it).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ReadErrorKind::PrematureEnd => "premature-end",
            ReadErrorKind::InvalidStream => "invalid-stream",
            ReadErrorKind::InvalidTag => "invalid-tag",
            ReadErrorKind::SequenceDelimiterMissing => "sequence-delimiter-missing",
            ReadErrorKind::ItemDelimiterMissing => "item-delimiter-missing",
            ReadErrorKind::ElementLargerThanItem => "element-larger-than-item",
            ReadErrorKind::PrematureSequenceDelimiter => "premature-sequence-delimiter",
            ReadErrorKind::UndefinedLengthObOw => "undefined-length-ob-ow",
            ReadErrorKind::VoiLutObOw => "voi-lut-ob-ow",
            ReadErrorKind::CorruptedData => "corrupted-data",
            ReadErrorKind::PixelDataExplicitLength => "pixel-data-explicit-length",
            ReadErrorKind::NestedTooDeeply => "nested-too-deeply",
            ReadErrorKind::MetaHeaderMissing => "meta-header-missing",
        }
    }
}

/// The level of a line DCMTK logs while reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    /// `W:`
    Warning,
    /// `E:`
    Error,
}

/// A damaged file: the condition, and every line DCMTK logs before giving up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// Why the parser stopped.
    pub kind: ReadErrorKind,
    /// The warnings and errors logged while reading, in order.
    pub log: Vec<(LogLevel, String)>,
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

/// The `errno` of an I/O error, also of one that wraps another (tempfile adds the path of its
/// temporary file); from the error kind when the error has none; 0 when unknown.
#[must_use]
pub fn os_errno(e: &io::Error) -> i32 {
    use std::io::ErrorKind;
    if let Some(code) = e.raw_os_error() {
        return code;
    }
    let inner = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<io::Error>())
        .and_then(io::Error::raw_os_error);
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

/// The operating system's reason for an I/O error in words, as `strerror` gives it ("No such
/// file or directory"): without Rust's " (os error 2)" and without the name of a temporary
/// file that tempfile adds. An error without an `errno` keeps its own text.
#[must_use]
pub fn os_reason(e: &io::Error) -> String {
    let code = os_errno(e);
    if code == 0 {
        return e.to_string();
    }
    let text = io::Error::from_raw_os_error(code).to_string();
    match text.strip_suffix(&format!(" (os error {code})")) {
        Some(reason) => reason.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_reason_is_the_operating_system_text_only() {
        let missing = std::fs::File::open("/nonexistent-dicomsign/none").unwrap_err();
        assert_eq!(os_reason(&missing), "No such file or directory");
        let wrapped = io::Error::new(missing.kind(), missing);
        assert_eq!(os_errno(&wrapped), 2);
        assert_eq!(os_reason(&wrapped), "No such file or directory");
        assert_eq!(
            os_reason(&io::Error::from(io::ErrorKind::IsADirectory)),
            "Is a directory"
        );
        assert_eq!(os_reason(&io::Error::other("odd")), "odd");
    }
}
