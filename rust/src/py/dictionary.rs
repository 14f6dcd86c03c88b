//! Functions on the data dictionary, tag names and transfer syntax names.

use std::path::PathBuf;

use pyo3::prelude::*;

use crate::signatures::{self};
use crate::{model::dict, model::syntax};

use super::errors::PyCoreError;

/// Loads the data dictionary table (once per process).
#[pyfunction]
pub(super) fn load_dictionary(text: &str) -> PyResult<()> {
    Ok(dict::load(text).map_err(PyCoreError)?)
}

/// Names the data dictionary file, loaded on first use.
#[pyfunction]
pub(super) fn set_dictionary_path(path: PathBuf) {
    dict::set_path(path);
}

/// True once the data dictionary is loaded.
#[pyfunction]
pub(super) fn dictionary_loaded() -> bool {
    dict::is_loaded()
}

/// DCMTK's name of a tag (keyword, `PrivateCreator` or `Unknown Tag & Data`).
#[pyfunction]
pub(super) fn tag_name(tag: u32) -> String {
    dict::global().name(tag)
}

/// The tag of a name of DCMTK 3.6.7's public dictionary as `-t` looks it up (retired
/// attributes as `RETIRED_<keyword>`).
#[pyfunction]
pub(super) fn tag_for_keyword(keyword: &str) -> Option<u32> {
    dict::global().tag_for_keyword(keyword)
}

/// The tag DCMTK 3.6.7 finds for a keyword of a tag file or an item location (runs of ASCII
/// letters and digits; retired attributes cannot be spelled).
#[pyfunction]
pub(super) fn dcmtk_keyword_tag(keyword: &str) -> Option<u32> {
    dict::global().dcmtk_keyword_tag(keyword)
}

/// DCMTK's location string of an item path.
#[pyfunction]
pub(super) fn location_string(container: Vec<(u32, usize)>) -> String {
    signatures::location(&container)
}

/// DCMTK's name of a transfer syntax UID, or None when DCMTK does not know it.
#[pyfunction]
pub(super) fn transfer_syntax_name(uid: &str) -> Option<&'static str> {
    syntax::dcmtk_name(uid).or_else(|| syntax::kind_of(uid).map(|_| ""))
}
