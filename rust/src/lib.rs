//! The pure Rust core of dicomsign: a byte-exact reimplementation of the DICOM reading model
//! and MAC byte stream of DCMTK's `dcmsign`, streaming digests, and a DICOM file writer.
//!
//! The Python bindings live in [`py`] (feature `python`); everything else is free of pyo3.

pub mod dict;
pub mod digest;
pub mod emit;
pub mod encode;
pub mod error;
pub mod model;
pub mod normalize;
pub mod pki;
pub mod reader;
pub mod signatures;
pub mod signer;
pub mod signing_key;
pub mod source;
pub mod syntax;
pub mod tag;
pub mod verify;
pub mod vr;
pub mod writer;

#[cfg(feature = "python")]
mod py;
