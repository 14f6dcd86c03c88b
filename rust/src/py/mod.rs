//! Python bindings: thin wrappers that extract Python inputs, release the GIL around the work
//! of the pure core, and convert results back.
//!
//! | module | what it binds |
//! |---|---|
//! | `archive` | `ArchiveEngine` (files judged on a thread pool), `FileCheck` |
//! | `document` | `Document` (read, signatures, verdicts, new signatures, writing) |
//! | `records` | `Signature`, `SignatureCheck`, `SignatureChecks` (typed results) |
//! | `pki` | `Certificate`, `PublicKey`, `PrivateKey`, `TrustAnchors`, `PemBlock`, DER trimming |
//! | `hasher` | `Hasher` (streaming digests) |
//! | `dictionary` | the data dictionary, tag and transfer syntax names |
//! | `vocabulary` | the enums of `dicomsign.vocabulary`, both ways |
//! | `convert` | records of new signature items |
//! | `errors` | the one conversion of core errors into Python exceptions |

mod archive;
mod convert;
mod dictionary;
mod document;
mod errors;
mod hasher;
mod pki;
mod records;
mod vocabulary;

use pyo3::prelude::*;

#[pymodule(gil_used = false)]
mod _core {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::archive::{PyArchiveEngine, PyFileCheck};
    #[pymodule_export]
    use super::dictionary::{
        dcmtk_keyword_tag, dictionary_loaded, load_dictionary, location_string,
        set_dictionary_path, tag_for_keyword, tag_name, transfer_syntax_name,
    };
    #[pymodule_export]
    use super::document::{is_signable_tag, new_uid, PyDocument};
    #[pymodule_export]
    use super::hasher::PyHasher;
    #[pymodule_export]
    use super::pki::{
        digest_size, pem_blocks, trim_der, PyCertificate, PyPemBlock, PyPrivateKey, PyPublicKey,
        PyTrustAnchors,
    };
    #[pymodule_export]
    use super::records::{PySignature, PySignatureCheck, PySignatureChecks};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add("ITEM_TAG", crate::model::tag::ITEM)?;
        m.add(
            "CERTIFICATE_TYPE",
            crate::signatures::verify::CERTIFICATE_TYPE,
        )?;
        m.add(
            "IMPLEMENTATION_CLASS_UID",
            crate::model::uid::IMPLEMENTATION_CLASS_UID,
        )?;
        m.add(
            "IMPLEMENTATION_VERSION_NAME",
            crate::model::uid::implementation_version_name(),
        )?;
        Ok(())
    }
}
