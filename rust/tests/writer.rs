//! Writer regressions found by the fuzz targets (fuzz/): each input is the smallest hand-built
//! form of what the fuzzer found.

use _core::model::normalize::Rule;
use _core::read::source::Source;
use _core::read::{read, Document, ReadOptions};
use _core::write::{write, OutputSyntax, WriteOptions};

fn el(tag: u32, vr: &str, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
    v.extend_from_slice(&(tag as u16).to_le_bytes());
    v.extend_from_slice(vr.as_bytes());
    if matches!(vr, "OB" | "OW" | "SQ" | "UN" | "UT") {
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&(value.len() as u32).to_le_bytes());
    } else {
        v.extend_from_slice(&(value.len() as u16).to_le_bytes());
    }
    v.extend_from_slice(value);
    v
}

fn item(body: &[u8]) -> Vec<u8> {
    let mut v = vec![0xFE, 0xFF, 0x00, 0xE0];
    v.extend_from_slice(&(body.len() as u32).to_le_bytes());
    v.extend_from_slice(body);
    v
}

fn file(body: &[u8]) -> Vec<u8> {
    let meta = el(0x0002_0010, "UI", b"1.2.840.10008.1.2.1\0");
    let mut v = vec![0u8; 128];
    v.extend_from_slice(b"DICM");
    v.extend(el(0x0002_0000, "UL", &(meta.len() as u32).to_le_bytes()));
    v.extend(meta);
    v.extend_from_slice(body);
    v
}

fn read_bytes(b: Vec<u8>) -> Document {
    read(Source::Memory(b.into()), ReadOptions::default()).unwrap()
}

fn write_bytes(doc: &Document, explicit_lengths: bool) -> Vec<u8> {
    let opts = WriteOptions {
        syntax: OutputSyntax::Same,
        explicit_lengths,
        rule: Rule::Dcmtk36,
        implementation_class_uid: "2.25.1".into(),
        implementation_version_name: "TEST".into(),
        fallback_instance_uid: "2.25.2".into(),
    };
    let mut out = Vec::new();
    write(doc, &opts, &mut out).unwrap();
    out
}

/// A group length read with a VR of 4-byte length (here OB) is written as a recalculated UL
/// with an 8-byte header: the explicit lengths of the item and sequence around it must count
/// 8 bytes, not 12 (they claimed 4 bytes too many, and the next element was read into the
/// item).
#[test]
fn group_length_with_a_long_vr_inside_an_item_of_explicit_length() {
    let mut inner = el(0x0009_0000, "OB", &[0, 0, 0, 0]);
    inner.extend(el(0x0009_0010, "LO", b"ACME"));
    let mut body = el(0x0008_1115, "SQ", &item(&inner));
    body.extend(el(0x0010_0010, "PN", b"Doe^J "));
    let doc = read_bytes(file(&body));
    let first = write_bytes(&doc, true);
    let again = read_bytes(first.clone());
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    let tags: Vec<u32> = again.dataset.elements.iter().map(|e| e.tag).collect();
    assert_eq!(tags, vec![0x0008_1115, 0x0010_0010]);
    let items = again.dataset.get(0x0008_1115).unwrap().items().unwrap();
    let inner_tags: Vec<u32> = items[0].elements.iter().map(|e| e.tag).collect();
    assert_eq!(inner_tags, vec![0x0009_0000, 0x0009_0010]);
    assert_eq!(
        items[0].get(0x0009_0000).unwrap().bytes().unwrap(),
        &12u32.to_le_bytes(),
        "the recalculated group length counts the LO element: 8-byte header, 4-byte value"
    );
    assert_eq!(write_bytes(&again, true), first);
}

/// The Media Storage SOP Instance UID of the regenerated meta header is the dataset's SOP
/// Instance UID as DCMTK holds it after loading: whitespace removed, and the bytes as they
/// are even when not UTF-8. They were decoded as UTF-8 with U+FFFD for invalid sequences,
/// before the whitespace was removed: `\xc8\n\xaa` gave two U+FFFD, and the `\xc8\xaa` of
/// the written file one valid character, so a second write gave another meta header.
#[test]
fn meta_instance_uid_is_the_normalized_dataset_value_byte_for_byte() {
    for (raw, want) in [
        (&b"1.2.\n34"[..], &b"1.2.34"[..]),
        (b"1.2.\xcc\xc8\n\xaa5\0", b"1.2.\xcc\xc8\xaa5"),
    ] {
        let mut body = el(0x0008_0016, "UI", b"1.2.840.10008.5.1.4.1.1.7\0");
        body.extend(el(0x0008_0018, "UI", raw));
        let doc = read_bytes(file(&body));
        let first = write_bytes(&doc, true);
        let again = read_bytes(first.clone());
        let meta = again.meta.as_ref().unwrap();
        assert_eq!(meta.get(0x0002_0003).unwrap().bytes().unwrap(), want);
        assert_eq!(
            again.dataset.get(0x0008_0018).unwrap().bytes().unwrap(),
            want
        );
        assert_eq!(write_bytes(&again, true), first);
    }
}
