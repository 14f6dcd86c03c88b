//! DCMTK's in-memory model of a dataset: sorted, de-duplicated elements whose large values
//! stay in the source.

pub mod datetime;
pub mod dict;
pub mod document;
pub mod normalize;
pub mod syntax;
pub mod tag;
pub mod uid;
pub mod vr;

/// A value's bytes: in memory, or a range of the source read on demand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blob {
    /// Bytes in memory, little endian.
    Inline(Vec<u8>),
    /// `len` bytes at `offset` of the document's source; `swap` is the word size to byte-swap
    /// to obtain little endian (1 = none).
    Stored {
        /// Offset in the source.
        offset: u64,
        /// Length in bytes.
        len: u64,
        /// Byte-swap unit (1, 2, 4 or 8).
        swap: u8,
    },
}

impl Blob {
    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        match self {
            Blob::Inline(v) => v.len() as u64,
            Blob::Stored { len, .. } => *len,
        }
    }

    /// True for an empty value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The in-memory bytes, if inline.
    #[must_use]
    pub fn inline(&self) -> Option<&[u8]> {
        match self {
            Blob::Inline(v) => Some(v),
            Blob::Stored { .. } => None,
        }
    }
}

/// The value of an element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A plain value.
    Data(Blob),
    /// A sequence of items.
    Items(Vec<Dataset>),
    /// Encapsulated pixel data: the Basic Offset Table first, then the fragments.
    Fragments(Vec<Blob>),
}

/// A data element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// The tag, `(group << 16) | element`.
    pub tag: u32,
    /// The in-memory VR.
    pub vr: crate::model::vr::Vr,
    /// The value.
    pub value: Value,
}

impl Element {
    /// A plain element with an in-memory value.
    #[must_use]
    pub fn new(tag: u32, vr: crate::model::vr::Vr, bytes: Vec<u8>) -> Element {
        Element {
            tag,
            vr,
            value: Value::Data(Blob::Inline(bytes)),
        }
    }

    /// The in-memory bytes of a plain element.
    #[must_use]
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.value {
            Value::Data(b) => b.inline(),
            _ => None,
        }
    }

    /// The items of a sequence.
    #[must_use]
    pub fn items(&self) -> Option<&[Dataset]> {
        match &self.value {
            Value::Items(i) => Some(i),
            _ => None,
        }
    }

    /// The items of a sequence, mutably.
    pub fn items_mut(&mut self) -> Option<&mut Vec<Dataset>> {
        match &mut self.value {
            Value::Items(i) => Some(i),
            _ => None,
        }
    }

    /// True when this element or anything nested in it has a UN or unknown VR.
    #[must_use]
    pub fn contains_unknown_vr(&self) -> bool {
        if self.vr.is_unknown() {
            return true;
        }
        match &self.value {
            Value::Items(items) => items
                .iter()
                .any(|i| i.elements.iter().any(Element::contains_unknown_vr)),
            _ => false,
        }
    }

    /// DCMTK's signability predicate (tag rules, VR not UN/unknown, no UN inside sequences).
    #[must_use]
    pub fn is_signable(&self) -> bool {
        crate::model::tag::is_signable_tag(self.tag) && !self.contains_unknown_vr()
    }

    /// A string value with DCMTK's trailing padding (spaces and NULs) removed.
    #[must_use]
    pub fn string_value(&self) -> Option<String> {
        let b = self.bytes()?;
        let end = b
            .iter()
            .rposition(|c| *c != b' ' && *c != 0)
            .map_or(0, |p| p + 1);
        Some(String::from_utf8_lossy(&b[..end]).into_owned())
    }

    /// The first value of a US element.
    #[must_use]
    pub fn u16_value(&self) -> Option<u16> {
        let b = self.bytes()?;
        (b.len() >= 2).then(|| u16::from_le_bytes([b[0], b[1]]))
    }
}

/// A dataset or sequence item: elements in ascending tag order, no duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dataset {
    /// The elements, sorted by tag.
    pub elements: Vec<Element>,
}

impl Dataset {
    /// Index of `tag`, if present.
    #[must_use]
    pub fn position(&self, tag: u32) -> Option<usize> {
        self.elements.binary_search_by_key(&tag, |e| e.tag).ok()
    }

    /// The element with `tag`.
    #[must_use]
    pub fn get(&self, tag: u32) -> Option<&Element> {
        self.position(tag).map(|i| &self.elements[i])
    }

    /// The element with `tag`, mutably.
    pub fn get_mut(&mut self, tag: u32) -> Option<&mut Element> {
        self.position(tag).map(move |i| &mut self.elements[i])
    }

    /// Inserts an element in tag order; an existing element with the same tag is kept and
    /// `false` returned (DCMTK keeps the first of duplicates).
    pub fn insert(&mut self, element: Element) -> bool {
        match self.elements.binary_search_by_key(&element.tag, |e| e.tag) {
            Ok(_) => false,
            Err(i) => {
                self.elements.insert(i, element);
                true
            }
        }
    }

    /// Inserts or replaces an element.
    pub fn put(&mut self, element: Element) {
        match self.elements.binary_search_by_key(&element.tag, |e| e.tag) {
            Ok(i) => self.elements[i] = element,
            Err(i) => self.elements.insert(i, element),
        }
    }

    /// Removes and returns the element with `tag`.
    pub fn remove(&mut self, tag: u32) -> Option<Element> {
        self.position(tag).map(|i| self.elements.remove(i))
    }

    /// True when there are no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }
}
