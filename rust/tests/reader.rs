//! Reader tests on hand-built byte streams: DCMTK's model (order, duplicates, VRs, UN
//! handling, large values left in the source, normalization on output).

use _core::error::{CoreError, ReadErrorKind};
use _core::model::normalize::Rule;
use _core::model::syntax::Kind;
use _core::model::vr::Vr;
use _core::model::{Blob, Value};
use _core::read::source::Source;
use _core::read::{read, ReadMode, ReadOptions, ReadXfer};
use _core::write::{write, OutputSyntax, WriteOptions};

fn el_explicit(tag: u32, vr: &str, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
    v.extend_from_slice(&(tag as u16).to_le_bytes());
    v.extend_from_slice(vr.as_bytes());
    if matches!(vr, "OB" | "OW" | "SQ" | "UN" | "UT" | "OF") {
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&(value.len() as u32).to_le_bytes());
    } else {
        v.extend_from_slice(&(value.len() as u16).to_le_bytes());
    }
    v.extend_from_slice(value);
    v
}

fn el_implicit(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((tag >> 16) as u16).to_le_bytes());
    v.extend_from_slice(&(tag as u16).to_le_bytes());
    v.extend_from_slice(&(value.len() as u32).to_le_bytes());
    v.extend_from_slice(value);
    v
}

fn file(ts: &str, body: &[u8]) -> Vec<u8> {
    let mut ts_v = ts.as_bytes().to_vec();
    if ts_v.len() % 2 == 1 {
        ts_v.push(0);
    }
    let meta = el_explicit(0x0002_0010, "UI", &ts_v);
    let mut v = vec![0u8; 128];
    v.extend_from_slice(b"DICM");
    v.extend(el_explicit(
        0x0002_0000,
        "UL",
        &(meta.len() as u32).to_le_bytes(),
    ));
    v.extend(meta);
    v.extend_from_slice(body);
    v
}

fn load() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/python/dicomsign/data/dictionary.tsv"
    ))
    .unwrap();
    _core::model::dict::load(&text).unwrap();
}

fn read_bytes(b: Vec<u8>, opts: ReadOptions) -> _core::read::Document {
    load();
    read(Source::Memory(b.into()), opts).unwrap()
}

#[test]
fn sorted_and_first_duplicate_kept() {
    let mut body = el_explicit(0x0010_0020, "LO", b"ID");
    body.extend(el_explicit(0x0010_0010, "PN", b"Doe^J "));
    body.extend(el_explicit(0x0010_0020, "LO", b"XX"));
    let doc = read_bytes(file("1.2.840.10008.1.2.1", &body), ReadOptions::default());
    let tags: Vec<u32> = doc.dataset.elements.iter().map(|e| e.tag).collect();
    assert_eq!(tags, vec![0x0010_0010, 0x0010_0020]);
    assert_eq!(
        doc.dataset.get(0x0010_0020).unwrap().bytes().unwrap(),
        b"ID"
    );
    assert_eq!(doc.kind, Kind::ExplicitLittle);
}

#[test]
fn implicit_vrs_from_dictionary_and_pixel_representation() {
    let mut body = el_implicit(0x0008_0060, b"CT");
    body.extend(el_implicit(0x0028_0103, &1u16.to_le_bytes()));
    body.extend(el_implicit(0x0028_0106, &(-5i16).to_le_bytes()));
    body.extend(el_implicit(0x0028_3002, &[0, 1, 0, 0, 16, 0]));
    body.extend(el_implicit(0x0011_0010, b"UNKNOWN CREATOR "));
    body.extend(el_implicit(0x0011_1001, b"abcd"));
    body.extend(el_implicit(0x0013_1001, b"ab"));
    body.extend(el_implicit(0x7FE0_0010, &[1, 2, 3, 4]));
    let doc = read_bytes(file("1.2.840.10008.1.2", &body), ReadOptions::default());
    let vr = |t: u32| doc.dataset.get(t).unwrap().vr;
    assert_eq!(vr(0x0008_0060), Vr::CS);
    assert_eq!(vr(0x0028_0106), Vr::SS);
    assert_eq!(vr(0x0028_3002), Vr::SS);
    assert_eq!(vr(0x0011_0010), Vr::LO);
    assert_eq!(vr(0x0011_1001), Vr::Unknown);
    assert_eq!(vr(0x0013_1001), Vr::Unknown);
    assert_eq!(vr(0x7FE0_0010), Vr::OW);
    assert!(!doc.dataset.get(0x0011_1001).unwrap().is_signable());
}

#[test]
fn un_with_undefined_length_is_an_implicit_sequence_and_plus_uc_converts() {
    let mut item = el_implicit(0x0008_0100, b"121311");
    item.extend(el_implicit(0x0008_0102, b"DCM "));
    let mut body = Vec::new();
    body.extend_from_slice(&[0x08, 0x00, 0x40, 0x11]); // (0008,1140)
    body.extend_from_slice(b"UN\0\0");
    body.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    body.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
    body.extend_from_slice(&(item.len() as u32).to_le_bytes());
    body.extend(item);
    body.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    body.extend(el_explicit(0x0010_0010, "UN", b"Doe^J "));
    let bytes = file("1.2.840.10008.1.2.1", &body);
    let doc = read_bytes(bytes.clone(), ReadOptions::default());
    let seq = doc.dataset.get(0x0008_1140).unwrap();
    assert_eq!(seq.vr, Vr::SQ);
    assert_eq!(seq.items().unwrap()[0].get(0x0008_0102).unwrap().vr, Vr::SH);
    assert!(seq.is_signable());
    assert_eq!(doc.dataset.get(0x0010_0010).unwrap().vr, Vr::UN);
    let doc = read_bytes(
        bytes,
        ReadOptions {
            convert_un: true,
            ..ReadOptions::default()
        },
    );
    assert_eq!(doc.dataset.get(0x0010_0010).unwrap().vr, Vr::PN);
}

#[test]
fn large_values_stay_in_the_source() {
    let pixels = vec![7u8; 200_000];
    let body = el_explicit(0x7FE0_0010, "OW", &pixels);
    let doc = read_bytes(file("1.2.840.10008.1.2.1", &body), ReadOptions::default());
    match &doc.dataset.get(0x7FE0_0010).unwrap().value {
        Value::Data(Blob::Stored { len, swap, .. }) => {
            assert_eq!(*len, 200_000);
            assert_eq!(*swap, 1);
        }
        other => panic!("expected a stored value, got {other:?}"),
    }
}

#[test]
fn bare_datasets_are_detected_and_file_only_refuses_them() {
    load();
    // Shorter than a group length element, a bare dataset is a premature end to DCMTK (+f).
    let tiny = el_explicit(0x0008_0060, "CS", b"CT");
    let err = read(Source::Memory(tiny.into()), ReadOptions::default()).unwrap_err();
    assert!(matches!(
        err,
        CoreError::Read(ref r) if r.kind == ReadErrorKind::PrematureEnd
    ));
    let mut body = el_explicit(0x0008_0060, "CS", b"CT");
    body.extend(el_explicit(0x0008_0070, "LO", b"X "));
    let doc = read(Source::Memory(body.clone().into()), ReadOptions::default()).unwrap();
    assert!(doc.meta.is_none());
    assert_eq!(doc.kind, Kind::ExplicitLittle);
    let err = read(
        Source::Memory(body.clone().into()),
        ReadOptions {
            mode: ReadMode::FileOnly,
            ..ReadOptions::default()
        },
    );
    assert!(err.is_err());
    let mut implicit = el_implicit(0x0008_0060, b"CT");
    implicit.extend(el_implicit(0x0008_0070, b"X "));
    let doc = read(Source::Memory(implicit.into()), ReadOptions::default()).unwrap();
    assert_eq!(doc.kind, Kind::ImplicitLittle);
    let doc = read(
        Source::Memory(body.into()),
        ReadOptions {
            mode: ReadMode::Dataset,
            xfer: ReadXfer::Little,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(doc.dataset.get(0x0008_0060).unwrap().vr, Vr::CS);
}

#[test]
fn garbage_and_truncation_are_errors() {
    load();
    assert!(read(Source::Memory(Vec::new().into()), ReadOptions::default()).is_err());
    let mut b = file(
        "1.2.840.10008.1.2.1",
        &el_explicit(0x0010_0010, "PN", b"Doe^J "),
    );
    b.truncate(b.len() - 3);
    assert!(read(Source::Memory(b.into()), ReadOptions::default()).is_err());
}

#[test]
fn written_values_are_normalized_and_group_lengths_recalculated() {
    let mut body = el_explicit(0x0008_0000, "UL", &0u32.to_le_bytes());
    body.extend(el_explicit(0x0008_0070, "LO", b"odd"));
    body.extend(el_explicit(0x0008_0080, "LO", b"Hospital    "));
    let doc = read_bytes(file("1.2.840.10008.1.2.1", &body), ReadOptions::default());
    for (rule, want) in [
        (Rule::Dcmtk36, &b"odd\0"[..]),
        (Rule::Dcmtk37, &b"odd "[..]),
    ] {
        let opts = WriteOptions {
            syntax: OutputSyntax::Same,
            explicit_lengths: true,
            rule,
            implementation_class_uid: "2.25.1".into(),
            implementation_version_name: "TEST".into(),
            fallback_instance_uid: "2.25.2".into(),
        };
        let mut out = Vec::new();
        write(&doc, &opts, &mut out).unwrap();
        let again = read(Source::Memory(out.into()), ReadOptions::default()).unwrap();
        assert_eq!(
            again.dataset.get(0x0008_0070).unwrap().bytes().unwrap(),
            want
        );
        assert_eq!(
            again.dataset.get(0x0008_0080).unwrap().bytes().unwrap(),
            b"Hospital"
        );
        // (0008,0070) = 8 + 4, (0008,0080) = 8 + 8.
        assert_eq!(
            again.dataset.get(0x0008_0000).unwrap().bytes().unwrap(),
            28u32.to_le_bytes()
        );
        assert_eq!(
            again
                .meta
                .as_ref()
                .unwrap()
                .get(0x0002_0003)
                .unwrap()
                .string_value()
                .unwrap(),
            "2.25.2"
        );
    }
}

// -- DCMTK's error model: each rule with the condition and the lines DCMTK logs ----------------

const ELE: &str = "1.2.840.10008.1.2.1";

fn item_of(body: &[u8], len: u32) -> Vec<u8> {
    let mut v = vec![0xFE, 0xFF, 0x00, 0xE0];
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(body);
    v
}

fn sequence(items: &[u8], len: u32) -> Vec<u8> {
    let mut v = el_explicit(0x0008_1140, "SQ", &[]);
    v.truncate(8);
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(items);
    v
}

fn failure(b: Vec<u8>) -> (ReadErrorKind, Vec<String>) {
    load();
    match read(Source::Memory(b.into()), ReadOptions::default()) {
        Err(CoreError::Read(r)) => (r.kind, r.log.into_iter().map(|(_, t)| t).collect()),
        other => panic!("expected a read error, got {other:?}"),
    }
}

fn uid_item() -> Vec<u8> {
    el_explicit(0x0008_1155, "UI", b"1.2.3\0")
}

#[test]
fn an_element_longer_than_its_item_fails_as_dcmtk() {
    let inner = uid_item();
    let mut damaged = inner.clone();
    damaged[6] = 40; // the UI length now claims 40 bytes in an item of 14
    let items = item_of(&damaged, inner.len() as u32);
    let body = sequence(&items, items.len() as u32);
    let (kind, log) = failure(file(ELE, &body));
    assert_eq!(kind, ReadErrorKind::ElementLargerThanItem);
    assert_eq!(
        log,
        ["DcmItem: Element ReferencedSOPInstanceUID (0008,1155) larger (40) than remaining bytes (6) of surrounding item"]
    );
}

#[test]
fn an_item_two_bytes_too_long_is_read_on_with_dcmtks_warning() {
    let inner = uid_item();
    let items = item_of(&inner, inner.len() as u32 + 2);
    let mut body = sequence(&items, items.len() as u32);
    body.extend(el_explicit(0x0010_0010, "PN", b"Doe^J "));
    let doc = read_bytes(file(ELE, &body), ReadOptions::default());
    assert!(doc
        .warnings
        .iter()
        .any(|w| w.contains("Explicit item length (16 bytes) too large")));
    // As in DCMTK, the element after the item was read into it.
    assert!(doc.dataset.get(0x0010_0010).is_none());
}

#[test]
fn a_file_ending_inside_a_sequence_lacks_its_delimiter() {
    let items = item_of(&uid_item(), 0xFFFF_FFFF);
    let body = sequence(&items, 0xFFFF_FFFF);
    let (kind, log) = failure(file(ELE, &body));
    assert_eq!(kind, ReadErrorKind::SequenceDelimiterMissing);
    assert_eq!(
        log,
        ["DcmSequenceOfItems: Reached end of stream before the end of sequence ReferencedImageSequence (0008,1140)"]
    );
}

#[test]
fn a_sequence_of_length_zero_leaves_its_items_as_invalid_tags() {
    let items = item_of(&uid_item(), 14);
    let mut body = sequence(&[], 0);
    body.extend(items);
    let (kind, log) = failure(file(ELE, &body));
    assert_eq!(kind, ReadErrorKind::InvalidTag);
    assert_eq!(
        log,
        ["DcmItem: Parse error while parsing element (fffe,e000)"]
    );
}

#[test]
fn short_values_at_the_end_of_the_file() {
    let mut body = el_explicit(0x0010_0010, "PN", b"Doe^John");
    body.truncate(body.len() - 3);
    let (kind, log) = failure(file(ELE, &body));
    assert_eq!(kind, ReadErrorKind::InvalidStream);
    assert_eq!(
        log,
        ["DcmElement: PatientName (0010,0010) larger (8) than remaining bytes (5) in file, premature end of stream"]
    );
    let mut body = el_explicit(0x7FE0_0010, "OW", &[0u8; 5000]);
    body.truncate(body.len() - 1);
    let (kind, _) = failure(file(ELE, &body));
    assert_eq!(kind, ReadErrorKind::PrematureEnd);
}

#[test]
fn undefined_length_ob_outside_pixel_data_is_illegal() {
    let mut body = el_explicit(0x0009_1010, "OB", &[]);
    body.truncate(8);
    body.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    body.extend(item_of(&[], 0));
    let (kind, log) = failure(file(ELE, &body));
    assert_eq!(kind, ReadErrorKind::UndefinedLengthObOw);
    assert_eq!(
        log,
        ["DcmItem: Parse error in (0009,1010): Illegal element with OB or OW Value Representation and undefined length encountered"]
    );
}

fn nested(depth: usize) -> Vec<u8> {
    let mut body = el_explicit(0x0010_0010, "PN", b"Deep");
    for _ in 0..depth {
        let item = item_of(&body, body.len() as u32);
        body = sequence(&item, item.len() as u32);
    }
    body
}

#[test]
fn deep_nesting_reads_as_deep_as_dcmtk_and_then_fails_cleanly() {
    let depth = _core::read::MAX_DEPTH;
    // The reader grows its stack on the heap; dropping the document (recursive, and larger in
    // a debug build) gets a thread of the writer's stack size.
    let run = move || {
        let doc = read_bytes(file(ELE, &nested(depth)), ReadOptions::default());
        assert!(doc.warnings.is_empty());
        let (kind, _) = failure(file(ELE, &nested(depth + 1)));
        assert_eq!(kind, ReadErrorKind::NestedTooDeeply);
    };
    std::thread::Builder::new()
        .stack_size(_core::read::DEEP_STACK)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn meta_values_stay_in_memory_when_the_dataset_is_inflated() {
    // Found by the `read` fuzz target: with every binary value left in the source, meta values
    // pointed into the deflated file while the document's source was the inflated one.
    use std::io::Write;
    let body = el_explicit(0x0010_0010, "PN", b"Doe^J ");
    let mut deflater =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflater.write_all(&body).unwrap();
    let mut meta = el_explicit(0x0002_0001, "OB", &[0, 1]);
    meta.extend(el_explicit(0x0002_0010, "UI", b"1.2.840.10008.1.2.1.99"));
    let mut bytes = vec![0u8; 128];
    bytes.extend_from_slice(b"DICM");
    bytes.extend(el_explicit(
        0x0002_0000,
        "UL",
        &(meta.len() as u32).to_le_bytes(),
    ));
    bytes.extend(meta);
    bytes.extend(deflater.finish().unwrap());
    let doc = read_bytes(
        bytes,
        ReadOptions {
            bulk_threshold: 0,
            ..ReadOptions::default()
        },
    );
    let meta = doc.meta.as_ref().unwrap();
    assert!(meta.elements.iter().all(|e| e.bytes().is_some()));
    assert_eq!(
        meta.get(0x0002_0010).unwrap().bytes().unwrap(),
        b"1.2.840.10008.1.2.1.99"
    );
    assert_eq!(meta.get(0x0002_0001).unwrap().bytes().unwrap(), [0, 1]);
}
