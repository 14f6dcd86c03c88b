//! The MAC of a signature: the byte stream of dcmsign-behaviour.md §2 and the six digests.

pub mod digest;
pub mod stream;
