//! A document: DCMTK's model of a file or bare dataset, with the source its large values stay
//! in.

use std::sync::Arc;

use crate::model::syntax::Kind;
use crate::model::Dataset;
use crate::read::source::Source;

/// A document read into memory (large values excepted).
#[derive(Debug)]
pub struct Document {
    /// The bytes the dataset's stored values refer to.
    pub source: Arc<Source>,
    /// The file meta information, when the input had one.
    pub meta: Option<Dataset>,
    /// The dataset.
    pub dataset: Dataset,
    /// The transfer syntax UID of the dataset as read (detected ones included).
    pub transfer_syntax: String,
    /// How the dataset was encoded.
    pub kind: Kind,
    /// DCMTK's warnings while reading (odd lengths, order, duplicates, CP-246), in order.
    pub warnings: Vec<String>,
}
