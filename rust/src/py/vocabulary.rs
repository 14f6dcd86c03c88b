//! The library's vocabulary across the boundary: the enums of `dicomsign.vocabulary` (Python
//! `StrEnum`s) as the core's enums, and back.
//!
//! Each core enum is named here once, by the value its Python enum member has. Arguments accept
//! the Python enum (or its plain string value); results are returned as Python enum members.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyModule, PyString};

use crate::mac::digest::MacAlgorithm;
use crate::model::normalize::Rule;
use crate::pki::KeyType;
use crate::read::{ReadMode, ReadXfer};
use crate::signatures::verify::Outcome;
use crate::write::OutputSyntax;

/// A core enum that is one of the Python vocabulary's enums.
pub(super) trait Term: Sized + Copy + 'static {
    /// The class name in `dicomsign.vocabulary`.
    const CLASS: &'static str;
    /// Every member with its Python value.
    const TERMS: &'static [(Self, &'static str)];
}

fn term_of<T: Term + PartialEq>(value: T) -> &'static str {
    T::TERMS
        .iter()
        .find(|(v, _)| *v == value)
        .map_or("", |(_, s)| s)
}

fn vocabulary(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || py.import("dicomsign.vocabulary").map(Bound::unbind))
        .map(|m| m.bind(py))
}

/// Extracts a vocabulary term from its Python enum member or plain string value.
pub(super) fn extract<T: Term + PartialEq>(obj: Borrowed<'_, '_, PyAny>) -> PyResult<T> {
    let string = obj.cast::<PyString>()?;
    let text = string.to_cow()?;
    T::TERMS
        .iter()
        .find(|(_, s)| *s == text)
        .map(|(v, _)| *v)
        .ok_or_else(|| PyValueError::new_err(format!("{text:?} is not a valid {}", T::CLASS)))
}

/// The Python enum member of a vocabulary term.
pub(super) fn to_python<'py, T: Term + PartialEq>(
    py: Python<'py>,
    value: T,
) -> PyResult<Bound<'py, PyAny>> {
    vocabulary(py)?.getattr(T::CLASS)?.call1((term_of(value),))
}

macro_rules! vocabulary_term {
    ($ty:ty, $class:literal, [$(($member:expr, $value:literal)),+ $(,)?]) => {
        impl Term for $ty {
            const CLASS: &'static str = $class;
            const TERMS: &'static [(Self, &'static str)] = &[$(($member, $value)),+];
        }

        impl<'a, 'py> FromPyObject<'a, 'py> for $ty {
            type Error = PyErr;

            fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
                extract(obj)
            }
        }

        impl<'py> IntoPyObject<'py> for $ty {
            type Target = PyAny;
            type Output = Bound<'py, PyAny>;
            type Error = PyErr;

            fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                to_python(py, self)
            }
        }
    };
}

vocabulary_term!(
    MacAlgorithm,
    "MacAlgorithm",
    [
        (MacAlgorithm::Ripemd160, "RIPEMD160"),
        (MacAlgorithm::Sha1, "SHA1"),
        (MacAlgorithm::Md5, "MD5"),
        (MacAlgorithm::Sha256, "SHA256"),
        (MacAlgorithm::Sha384, "SHA384"),
        (MacAlgorithm::Sha512, "SHA512"),
    ]
);

vocabulary_term!(
    Rule,
    "ValueRule",
    [(Rule::Dcmtk36, "3.6"), (Rule::Dcmtk37, "3.7")]
);

vocabulary_term!(
    ReadMode,
    "ReadMode",
    [
        (ReadMode::Auto, "auto"),
        (ReadMode::FileOnly, "file"),
        (ReadMode::Dataset, "dataset"),
    ]
);

vocabulary_term!(
    ReadXfer,
    "ReadTransferSyntax",
    [
        (ReadXfer::Auto, "auto"),
        (ReadXfer::Detect, "detect"),
        (ReadXfer::Little, "little"),
        (ReadXfer::Big, "big"),
        (ReadXfer::Implicit, "implicit"),
    ]
);

vocabulary_term!(
    OutputSyntax,
    "WriteTransferSyntax",
    [
        (OutputSyntax::Same, "same"),
        (OutputSyntax::ExplicitLittle, "little"),
        (OutputSyntax::ExplicitBig, "big"),
        (OutputSyntax::ImplicitLittle, "implicit"),
    ]
);

vocabulary_term!(
    KeyType,
    "KeyType",
    [
        (KeyType::None, "none"),
        (KeyType::Rsa, "RSA"),
        (KeyType::Dsa, "DSA"),
        (KeyType::Dh, "DH"),
        (KeyType::Ec, "EC"),
    ]
);

vocabulary_term!(
    Outcome,
    "Outcome",
    [
        (Outcome::NoMacParameters, "no-mac-parameters"),
        (Outcome::NoCertificate, "no-certificate"),
        (
            Outcome::UnsupportedTransferSyntax,
            "unsupported-transfer-syntax"
        ),
        (Outcome::UnsupportedAlgorithm, "unsupported-algorithm"),
        (Outcome::BadDataElementsSigned, "bad-data-elements-signed"),
        (Outcome::NoSignature, "no-signature"),
        (Outcome::Unsignable, "unsignable"),
        (Outcome::StreamError, "stream-error"),
        (Outcome::Corrupted, "corrupted"),
        (Outcome::ExpiredAtSigning, "expired-at-signing"),
        (Outcome::NotYetValidAtSigning, "not-yet-valid-at-signing"),
        (Outcome::Valid, "valid"),
    ]
);
