//! The pure Rust core of dicomsign: a byte-exact reimplementation of the DICOM reading model
//! and MAC byte stream of DCMTK's `dcmsign`, streaming digests, and a DICOM file writer.
//!
//! The crate is laid out by stage:
//!
//! | module | stage |
//! |---|---|
//! | [`model`] | DCMTK's in-memory model: tags, VRs, the data dictionary, transfer syntaxes, value normalization, DICOM date-times |
//! | [`read`] | files and bare datasets into the model; large values stay in the source |
//! | [`mac`] | the MAC byte stream and the six digests |
//! | [`write`] | the model back into a DICOM file |
//! | [`signatures`] | finding, judging, creating and removing signatures |
//! | [`pki`] | DER and PEM, certificates, signature checks, private keys |
//! | [`archive`] | many files judged on a thread pool, each read and judged in one call |
//!
//! The Python bindings live in `py` (feature `python`); everything else is free of pyo3.

pub mod archive;
pub mod error;
pub mod mac;
pub mod model;
pub mod pki;
pub mod read;
pub mod signatures;
pub mod write;

#[cfg(feature = "python")]
mod py;
