//! Python bindings: thin wrappers that extract Python inputs, release the GIL around the work
//! of the pure core, and convert results back.

mod convert;
mod dictionary;
mod document;
mod errors;
mod hasher;
mod signing_key;

use pyo3::prelude::*;

#[pymodule(gil_used = false)]
mod _core {
    use pyo3::prelude::*;

    #[pymodule_export]
    use super::dictionary::{
        dictionary_loaded, load_dictionary, location_string, set_dictionary_path, tag_for_keyword,
        tag_name, transfer_syntax_name,
    };
    #[pymodule_export]
    use super::document::{verify_file, PyDocument};
    #[pymodule_export]
    use super::hasher::PyHasher;
    #[pymodule_export]
    use super::signing_key::PySigningKey;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add("ITEM_TAG", crate::model::tag::ITEM)?;
        Ok(())
    }
}
