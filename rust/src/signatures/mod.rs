//! Finding, describing, adding and removing the signatures of a document (dcmsign-behaviour.md
//! §3, §6.1 and §8).

pub mod create;
pub mod verify;

use crate::error::{CoreError, CoreResult};
use crate::model::dict;
use crate::model::tag;
use crate::model::vr::Vr;
use crate::model::{Dataset, Element, Value};

/// A path from the main dataset to an item: (sequence tag, item index) pairs.
pub type ItemPath = Vec<(u32, usize)>;

/// Where a signature lives: its container and its index in the Digital Signatures Sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureRef {
    /// The container (empty for the main dataset).
    pub container: ItemPath,
    /// Index of the item in the container's (FFFA,FFFA).
    pub index: usize,
}

/// The result of a signature search.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// Signatures in DCMTK's visiting order.
    pub found: Vec<SignatureRef>,
    /// The containers of the Digital Signatures Sequences skipped inside Original Attributes
    /// Sequence, in DCMTK's visiting order.
    pub skipped: Vec<ItemPath>,
    /// For each signature found, how many of the skipped sequences DCMTK's search passes just
    /// before it (DCMTK warns about each where it passes it).
    pub skipped_before: Vec<usize>,
}

fn walk(d: &Dataset, path: &mut ItemPath, inside_oa: bool, out: &mut Search) {
    for e in &d.elements {
        if e.tag == tag::DIGITAL_SIGNATURES_SEQUENCE {
            if inside_oa {
                out.skipped.push(path.clone());
                continue;
            }
            if let Some(items) = e.items() {
                for index in 0..items.len() {
                    let passed: usize = out.skipped_before.iter().sum();
                    out.skipped_before.push(out.skipped.len() - passed);
                    out.found.push(SignatureRef {
                        container: path.clone(),
                        index,
                    });
                }
            }
            continue;
        }
        if let Some(items) = e.items() {
            let oa = inside_oa || e.tag == tag::ORIGINAL_ATTRIBUTES_SEQUENCE;
            for (i, item) in items.iter().enumerate() {
                path.push((e.tag, i));
                walk(item, path, oa, out);
                path.pop();
            }
        }
    }
}

/// Finds every signature, depth first: a container's own signatures come after those nested
/// in its items; Digital Signatures Sequences inside Original Attributes Sequence are skipped.
#[must_use]
pub fn find(root: &Dataset) -> Search {
    let mut out = Search::default();
    walk(root, &mut Vec::new(), false, &mut out);
    out
}

/// Why navigating an item path failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathError {
    /// The tag of step `step` is not in the current item.
    NotFound { step: usize },
    /// The element of step `step` is not a sequence.
    NotSequence { step: usize },
    /// The sequence of step `step` has only `items` items.
    NoSuchItem { step: usize, items: usize },
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathError::NotFound { step } => write!(f, "step {step}: attribute not found"),
            PathError::NotSequence { step } => write!(f, "step {step}: not a sequence"),
            PathError::NoSuchItem { step, items } => {
                write!(f, "step {step}: sequence only has {items} items")
            }
        }
    }
}

/// The item at `path`.
///
/// # Errors
/// A [`PathError`] naming the failing step.
pub fn item<'a>(root: &'a Dataset, path: &[(u32, usize)]) -> Result<&'a Dataset, PathError> {
    let mut cur = root;
    for (step, (t, i)) in path.iter().enumerate() {
        let e = cur.get(*t).ok_or(PathError::NotFound { step })?;
        let items = e.items().ok_or(PathError::NotSequence { step })?;
        cur = items.get(*i).ok_or(PathError::NoSuchItem {
            step,
            items: items.len(),
        })?;
    }
    Ok(cur)
}

/// The item at `path`, mutably.
///
/// # Errors
/// A [`PathError`] naming the failing step.
pub fn item_mut<'a>(
    root: &'a mut Dataset,
    path: &[(u32, usize)],
) -> Result<&'a mut Dataset, PathError> {
    let mut cur = root;
    for (step, (t, i)) in path.iter().enumerate() {
        let e = cur.get_mut(*t).ok_or(PathError::NotFound { step })?;
        let items = e.items_mut().ok_or(PathError::NotSequence { step })?;
        let n = items.len();
        cur = items
            .get_mut(*i)
            .ok_or(PathError::NoSuchItem { step, items: n })?;
    }
    Ok(cur)
}

/// DCMTK's location string: `Main Dataset`, or `Seq[0].Other[2]` with dictionary names.
#[must_use]
pub fn location(path: &[(u32, usize)]) -> String {
    if path.is_empty() {
        return "Main Dataset".into();
    }
    let d = dict::global();
    path.iter()
        .map(|(t, i)| format!("{}[{}]", d.name(*t), i))
        .collect::<Vec<_>>()
        .join(".")
}

/// The MAC Parameters item of a signature, as read.
#[derive(Clone, Debug, Default)]
pub struct MacInfo {
    /// (0400,0010), when present.
    pub transfer_syntax: Option<String>,
    /// (0400,0015), when present.
    pub algorithm: Option<String>,
    /// (0400,0020) with VR AT, when present.
    pub tags: Option<Vec<u32>>,
    /// The VR of (0400,0020), when present.
    pub tags_vr: Option<Vr>,
}

/// What a signature item says.
#[derive(Clone, Debug, Default)]
pub struct SignatureInfo {
    /// Container path.
    pub container: ItemPath,
    /// How many skipped Digital Signatures Sequences DCMTK's search passes just before this
    /// signature ([`Search::skipped_before`]; set by the caller of [`describe`]).
    pub skipped_before: usize,
    /// Index in the container's Digital Signatures Sequence.
    pub index: usize,
    /// (0400,0005).
    pub mac_id: Option<u16>,
    /// (0400,0100).
    pub uid: Option<String>,
    /// (0400,0105) and its VR.
    pub datetime: Option<(String, Vr)>,
    /// (0400,0110).
    pub certificate_type: Option<String>,
    /// (0400,0115).
    pub certificate: Option<Vec<u8>>,
    /// (0400,0120) and its VR.
    pub signature: Option<(Vec<u8>, Vr)>,
    /// (0400,0305).
    pub timestamp_type: Option<String>,
    /// (0400,0310).
    pub timestamp: Option<Vec<u8>>,
    /// Code Value of the first item of (0400,0401).
    pub purpose: Option<String>,
    /// Coding Scheme Designator and Code Meaning of that item.
    pub purpose_text: Option<(Option<String>, Option<String>)>,
    /// The matching MAC Parameters item, if any.
    pub mac: Option<MacInfo>,
}

fn string_of(d: &Dataset, t: u32) -> Option<String> {
    d.get(t).and_then(Element::string_value)
}

fn at_values(e: &Element) -> Option<Vec<u32>> {
    let b = e.bytes()?;
    Some(
        b.chunks_exact(4)
            .map(|c| {
                (u32::from(u16::from_le_bytes([c[0], c[1]])) << 16)
                    | u32::from(u16::from_le_bytes([c[2], c[3]]))
            })
            .collect(),
    )
}

/// The first MAC Parameters item of `container` with MAC ID `id`.
#[must_use]
pub fn mac_item(container: &Dataset, id: u16) -> Option<&Dataset> {
    container
        .get(tag::MAC_PARAMETERS_SEQUENCE)?
        .items()?
        .iter()
        .find(|i| i.get(tag::MAC_ID_NUMBER).and_then(Element::u16_value) == Some(id))
}

/// The signature item a reference points to.
///
/// # Errors
/// [`CoreError::Invalid`] when the reference does not resolve.
pub fn signature_item<'a>(
    root: &'a Dataset,
    r: &SignatureRef,
) -> CoreResult<(&'a Dataset, &'a Dataset)> {
    let container = item(root, &r.container).map_err(|e| CoreError::invalid(e.to_string()))?;
    let sig = container
        .get(tag::DIGITAL_SIGNATURES_SEQUENCE)
        .and_then(Element::items)
        .and_then(|i| i.get(r.index))
        .ok_or_else(|| CoreError::invalid("no such signature"))?;
    Ok((container, sig))
}

/// Reads the attributes of a signature.
///
/// # Errors
/// [`CoreError::Invalid`] when the reference does not resolve.
pub fn describe(root: &Dataset, r: &SignatureRef) -> CoreResult<SignatureInfo> {
    let (container, sig) = signature_item(root, r)?;
    let mac_id = sig.get(tag::MAC_ID_NUMBER).and_then(Element::u16_value);
    let mac = mac_id.and_then(|id| mac_item(container, id)).map(|m| {
        let tags_el = m.get(tag::DATA_ELEMENTS_SIGNED);
        MacInfo {
            transfer_syntax: string_of(m, tag::MAC_CALCULATION_TRANSFER_SYNTAX_UID),
            algorithm: string_of(m, tag::MAC_ALGORITHM),
            tags: tags_el.filter(|e| e.vr == Vr::AT).and_then(at_values),
            tags_vr: tags_el.map(|e| e.vr),
        }
    });
    let purpose_item = sig
        .get(tag::DIGITAL_SIGNATURE_PURPOSE_CODE_SEQUENCE)
        .and_then(Element::items)
        .and_then(|i| i.first());
    let purpose = purpose_item.and_then(|i| string_of(i, tag::CODE_VALUE));
    let purpose_text = purpose_item.map(|i| {
        (
            string_of(i, tag::CODING_SCHEME_DESIGNATOR),
            string_of(i, tag::CODE_MEANING),
        )
    });
    let raw = |t: u32| {
        sig.get(t)
            .and_then(|e| e.bytes().map(|b| (b.to_vec(), e.vr)))
    };
    Ok(SignatureInfo {
        container: r.container.clone(),
        skipped_before: 0,
        index: r.index,
        mac_id,
        uid: string_of(sig, tag::DIGITAL_SIGNATURE_UID),
        datetime: sig
            .get(tag::DIGITAL_SIGNATURE_DATETIME)
            .and_then(|e| e.string_value().map(|s| (s, e.vr))),
        certificate_type: string_of(sig, tag::CERTIFICATE_TYPE),
        certificate: raw(tag::CERTIFICATE_OF_SIGNER).map(|(b, _)| b),
        signature: raw(tag::SIGNATURE),
        timestamp_type: string_of(sig, tag::CERTIFIED_TIMESTAMP_TYPE),
        timestamp: raw(tag::CERTIFIED_TIMESTAMP).map(|(b, _)| b),
        purpose,
        purpose_text,
        mac,
    })
}

/// Describes every signature a search found, with the skipped sequences passed before each.
#[must_use]
pub fn describe_all(root: &Dataset, search: &Search) -> Vec<SignatureInfo> {
    search
        .found
        .iter()
        .zip(&search.skipped_before)
        .filter_map(|(r, before)| {
            describe(root, r).ok().map(|mut info| {
                info.skipped_before = *before;
                info
            })
        })
        .collect()
}

fn ids_in(container: &Dataset, seq: u32) -> impl Iterator<Item = u16> + '_ {
    container
        .get(seq)
        .and_then(Element::items)
        .into_iter()
        .flatten()
        .filter_map(|i| i.get(tag::MAC_ID_NUMBER).and_then(Element::u16_value))
}

/// The lowest MAC ID Number not used in the container's two sequences.
///
/// # Errors
/// [`CoreError::Invalid`] when all 65536 values are taken.
pub fn next_mac_id(container: &Dataset) -> CoreResult<u16> {
    let mut used = vec![false; 65536];
    for id in ids_in(container, tag::DIGITAL_SIGNATURES_SEQUENCE)
        .chain(ids_in(container, tag::MAC_PARAMETERS_SEQUENCE))
    {
        used[id as usize] = true;
    }
    used.iter()
        .position(|u| !u)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| CoreError::invalid("no more MAC ID numbers available"))
}

fn append_item(container: &mut Dataset, seq: u32, item: Dataset) {
    if container.get(seq).and_then(Element::items).is_none() {
        container.put(Element {
            tag: seq,
            vr: Vr::SQ,
            value: Value::Items(Vec::new()),
        });
    }
    if let Some(items) = container.get_mut(seq).and_then(Element::items_mut) {
        items.push(item);
    }
}

/// Appends a MAC Parameters item and a Digital Signatures item to the container at `path`,
/// creating the sequences when absent.
///
/// # Errors
/// [`CoreError::Invalid`] when the path does not resolve.
pub fn add(
    root: &mut Dataset,
    path: &[(u32, usize)],
    mac: Dataset,
    sig: Dataset,
) -> CoreResult<()> {
    let container = item_mut(root, path).map_err(|e| CoreError::invalid(e.to_string()))?;
    append_item(container, tag::MAC_PARAMETERS_SEQUENCE, mac);
    append_item(container, tag::DIGITAL_SIGNATURES_SEQUENCE, sig);
    Ok(())
}

/// Inserts or replaces elements of a signature item (DCMTK's `putAndInsert*`), e.g. the
/// Certified Timestamp and its type.
///
/// # Errors
/// [`CoreError::Invalid`] when the reference does not resolve.
pub fn put_elements(root: &mut Dataset, r: &SignatureRef, elements: Dataset) -> CoreResult<()> {
    let container = item_mut(root, &r.container).map_err(|e| CoreError::invalid(e.to_string()))?;
    let item = container
        .get_mut(tag::DIGITAL_SIGNATURES_SEQUENCE)
        .and_then(Element::items_mut)
        .and_then(|items| items.get_mut(r.index))
        .ok_or_else(|| CoreError::invalid("no such signature"))?;
    for element in elements.elements {
        item.put(element);
    }
    Ok(())
}

/// Removes a signature item; its MAC Parameters items go too unless another signature item of
/// the same container uses the same MAC ID; emptied sequences are deleted.
///
/// # Errors
/// [`CoreError::Invalid`] when the reference does not resolve or the item has no MAC ID.
pub fn remove(root: &mut Dataset, r: &SignatureRef) -> CoreResult<()> {
    let container = item_mut(root, &r.container).map_err(|e| CoreError::invalid(e.to_string()))?;
    let sigs = container
        .get_mut(tag::DIGITAL_SIGNATURES_SEQUENCE)
        .and_then(Element::items_mut)
        .ok_or_else(|| CoreError::invalid("no such signature"))?;
    if r.index >= sigs.len() {
        return Err(CoreError::invalid("no such signature"));
    }
    let id = sigs[r.index]
        .get(tag::MAC_ID_NUMBER)
        .and_then(Element::u16_value)
        .ok_or_else(|| CoreError::invalid("signature item without MAC ID number"))?;
    sigs.remove(r.index);
    let shared = sigs
        .iter()
        .any(|i| i.get(tag::MAC_ID_NUMBER).and_then(Element::u16_value) == Some(id));
    let sigs_empty = sigs.is_empty();
    if sigs_empty {
        container.remove(tag::DIGITAL_SIGNATURES_SEQUENCE);
    }
    if !shared {
        if let Some(macs) = container
            .get_mut(tag::MAC_PARAMETERS_SEQUENCE)
            .and_then(Element::items_mut)
        {
            macs.retain(|i| i.get(tag::MAC_ID_NUMBER).and_then(Element::u16_value) != Some(id));
            if macs.is_empty() {
                container.remove(tag::MAC_PARAMETERS_SEQUENCE);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig_item(id: u16, uid: &str) -> Dataset {
        let mut d = Dataset::default();
        d.put(Element::new(
            tag::MAC_ID_NUMBER,
            Vr::US,
            id.to_le_bytes().to_vec(),
        ));
        d.put(Element::new(
            tag::DIGITAL_SIGNATURE_UID,
            Vr::UI,
            uid.as_bytes().to_vec(),
        ));
        d
    }

    fn mac_item_with(id: u16) -> Dataset {
        let mut d = Dataset::default();
        d.put(Element::new(
            tag::MAC_ID_NUMBER,
            Vr::US,
            id.to_le_bytes().to_vec(),
        ));
        d
    }

    #[test]
    fn put_elements_inserts_and_replaces() {
        let mut root = Dataset::default();
        add(&mut root, &[], mac_item_with(0), sig_item(0, "1.1")).unwrap();
        let r = SignatureRef {
            container: vec![],
            index: 0,
        };
        let mut first = Dataset::default();
        first.put(Element::new(0x0400_0310, Vr::OB, b"AB".to_vec()));
        put_elements(&mut root, &r, first).unwrap();
        let mut second = Dataset::default();
        second.put(Element::new(0x0400_0310, Vr::OB, b"CDEF".to_vec()));
        second.put(Element::new(0x0400_0305, Vr::CS, b"CMS_TSP ".to_vec()));
        put_elements(&mut root, &r, second).unwrap();
        let item = &find(&root).found[0];
        let sig = &root
            .get(tag::DIGITAL_SIGNATURES_SEQUENCE)
            .unwrap()
            .items()
            .unwrap()[item.index];
        assert_eq!(sig.get(0x0400_0310).unwrap().bytes(), Some(&b"CDEF"[..]));
        assert!(sig.get(0x0400_0305).is_some());
        assert_eq!(sig.elements.len(), 4);
        let missing = SignatureRef {
            container: vec![],
            index: 1,
        };
        assert!(put_elements(&mut root, &missing, Dataset::default()).is_err());
    }

    #[test]
    fn add_find_remove_and_reuse_ids() {
        let mut root = Dataset::default();
        root.put(Element::new(0x0010_0010, Vr::PN, b"Doe^J".to_vec()));
        let mut nested = Dataset::default();
        nested.put(Element::new(0x0008_0100, Vr::SH, b"1 ".to_vec()));
        root.put(Element {
            tag: 0x0008_1140,
            vr: Vr::SQ,
            value: Value::Items(vec![nested]),
        });
        for uid in ["1.1", "1.2", "1.3"] {
            let id = next_mac_id(&root).unwrap();
            add(&mut root, &[], mac_item_with(id), sig_item(id, uid)).unwrap();
        }
        let path = [(0x0008_1140, 0)];
        let id = next_mac_id(item(&root, &path).unwrap()).unwrap();
        assert_eq!(id, 0);
        add(&mut root, &path, mac_item_with(id), sig_item(id, "2.1")).unwrap();
        let s = find(&root);
        assert_eq!(s.found.len(), 4);
        assert_eq!(s.found[0].container, path.to_vec());
        assert_eq!(
            describe(&root, &s.found[2]).unwrap().uid.as_deref(),
            Some("1.2")
        );
        remove(&mut root, &s.found[2]).unwrap();
        assert_eq!(next_mac_id(&root).unwrap(), 1);
        let s = find(&root);
        remove(&mut root, &s.found[0]).unwrap();
        let inner = item(&root, &path).unwrap();
        assert!(inner.get(tag::DIGITAL_SIGNATURES_SEQUENCE).is_none());
        assert!(inner.get(tag::MAC_PARAMETERS_SEQUENCE).is_none());
        assert_eq!(
            item(&root, &[(0x0008_1140, 3)]),
            Err(PathError::NoSuchItem { step: 0, items: 1 })
        );
        assert_eq!(
            item(&root, &[(0x0010_0010, 0)]),
            Err(PathError::NotSequence { step: 0 })
        );
        assert_eq!(
            item(&root, &[(0x0010_0020, 0)]),
            Err(PathError::NotFound { step: 0 })
        );
    }

    #[test]
    fn original_attributes_are_skipped() {
        let mut inner = Dataset::default();
        inner.put(Element {
            tag: tag::DIGITAL_SIGNATURES_SEQUENCE,
            vr: Vr::SQ,
            value: Value::Items(vec![sig_item(0, "9")]),
        });
        let mut oa_item = Dataset::default();
        oa_item.put(Element {
            tag: 0x0400_0550,
            vr: Vr::SQ,
            value: Value::Items(vec![inner]),
        });
        let mut root = Dataset::default();
        root.put(Element {
            tag: tag::ORIGINAL_ATTRIBUTES_SEQUENCE,
            vr: Vr::SQ,
            value: Value::Items(vec![oa_item]),
        });
        let s = find(&root);
        assert!(s.found.is_empty() && s.skipped_before.is_empty());
        // The main dataset's own signature comes after the skipped one, which it counts.
        add(&mut root, &[], mac_item_with(0), sig_item(0, "1.1")).unwrap();
        let s = find(&root);
        assert_eq!(s.skipped_before, vec![1]);
        assert_eq!(describe_all(&root, &s)[0].skipped_before, 1);
        assert_eq!(
            s.skipped,
            vec![vec![
                (tag::ORIGINAL_ATTRIBUTES_SEQUENCE, 0),
                (0x0400_0550, 0)
            ]]
        );
    }
}
