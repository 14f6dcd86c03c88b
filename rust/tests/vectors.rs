//! Known-answer tests against streams dumped by DCMTK's `dcmsign +d` (tests/vectors/).
//! For each signed file, the MAC stream we rebuild from the file must equal DCMTK's dump byte
//! for byte, and survive a write/re-read round trip in every output transfer syntax that can
//! represent it.

use std::path::PathBuf;

use _core::mac::digest::{HashSink, Hasher, MacAlgorithm};
use _core::mac::stream::{mac_stream, MacEncoding, Selection, StreamOptions};
use _core::model::normalize::Rule;
use _core::read::source::Source;
use _core::read::{read, Document, ReadOptions};
use _core::signatures::{self, SignatureRef};
use _core::write::{write, OutputSyntax, WriteOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_dictionary() {
    let text =
        std::fs::read_to_string(root().join("python/dicomsign/data/dictionary.tsv")).unwrap();
    _core::model::dict::load(&text).unwrap();
}

fn open(name: &str) -> Document {
    load_dictionary();
    let src = Source::open(&root().join("tests/vectors").join(name)).unwrap();
    read(src, ReadOptions::default()).unwrap()
}

/// The MAC stream of the last signature of `doc`.
fn stream(doc: &Document, old_format: bool) -> (Vec<u8>, MacAlgorithm) {
    let found = signatures::find(&doc.dataset).found;
    let r: &SignatureRef = found.last().expect("a signature");
    let info = signatures::describe(&doc.dataset, r).unwrap();
    let mac = info.mac.unwrap();
    let (encoding, encapsulated) =
        MacEncoding::for_uid(mac.transfer_syntax.as_deref().unwrap()).unwrap();
    let alg = MacAlgorithm::from_dicom(mac.algorithm.as_deref().unwrap()).unwrap();
    let (container, sig) = signatures::signature_item(&doc.dataset, r).unwrap();
    let tags = mac.tags.unwrap();
    let mut out = Vec::new();
    let opts = StreamOptions {
        encoding,
        encapsulated,
        old_format,
        rule: Rule::Dcmtk36,
    };
    mac_stream(
        &doc.source,
        container,
        Selection::Tags(&tags),
        sig,
        opts,
        &mut out,
    )
    .unwrap();
    (out, alg)
}

fn expected(name: &str) -> Vec<u8> {
    std::fs::read(root().join("tests/vectors").join(format!("{name}.stream"))).unwrap()
}

fn round_trip(doc: &Document, syntax: OutputSyntax, explicit_lengths: bool) -> Document {
    let opts = WriteOptions {
        syntax,
        explicit_lengths,
        rule: Rule::Dcmtk36,
        implementation_class_uid: "2.25.1".into(),
        implementation_version_name: "TEST".into(),
        fallback_instance_uid: "2.25.2".into(),
    };
    let mut bytes = Vec::new();
    write(doc, &opts, &mut bytes).unwrap();
    read(Source::Memory(bytes.into()), ReadOptions::default()).unwrap()
}

fn check(name: &str, old_format: bool, conversions: &[OutputSyntax]) {
    let doc = open(&format!("{name}.dcm"));
    let want = expected(name);
    let (got, alg) = stream(&doc, old_format);
    assert_eq!(got, want, "{name}: stream differs from DCMTK's dump");
    let mut sink = HashSink::new(alg, None);
    std::io::Write::write_all(&mut sink, &got).unwrap();
    let mut h = Hasher::new(alg);
    h.update(&want);
    assert_eq!(sink.finish().unwrap(), h.finalize());
    for &syntax in [OutputSyntax::Same].iter().chain(conversions) {
        for explicit_lengths in [true, false] {
            let again = round_trip(&doc, syntax, explicit_lengths);
            assert_eq!(
                stream(&again, old_format).0,
                want,
                "{name}: after writing as {syntax:?}"
            );
        }
    }
}

const NATIVE: &[OutputSyntax] = &[OutputSyntax::ExplicitLittle, OutputSyntax::ExplicitBig];

#[test]
fn explicit_little_endian_ripemd160() {
    check("explicit_ripemd160", false, NATIVE);
}

#[test]
fn implicit_little_endian_sha256() {
    check(
        "implicit_sha256",
        false,
        &[
            OutputSyntax::ExplicitLittle,
            OutputSyntax::ExplicitBig,
            OutputSyntax::ImplicitLittle,
        ],
    );
}

#[test]
fn big_endian_sha1() {
    check("big_sha1", false, NATIVE);
}

#[test]
fn deflated_md5() {
    check("deflated_md5", false, NATIVE);
}

#[test]
fn rle_sha512_and_old_format_sha384() {
    check("rle_sha512", false, &[]);
    check("rle_old_sha384", true, &[]);
    // The old format changes the stream: fragment lengths are included.
    let doc = open("rle_old_sha384.dcm");
    assert_ne!(stream(&doc, false).0, expected("rle_old_sha384"));
}

#[test]
fn item_signature_sha256() {
    check("item_sha256", false, NATIVE);
    let doc = open("item_sha256.dcm");
    let found = signatures::find(&doc.dataset).found;
    assert_eq!(found.len(), 1);
    assert_eq!(
        signatures::location(&found[0].container),
        "ReferencedImageSequence[0]"
    );
}

#[test]
fn selected_tags_sha256() {
    check("tags_sha256", false, NATIVE);
    let doc = open("tags_sha256.dcm");
    let info =
        signatures::describe(&doc.dataset, &signatures::find(&doc.dataset).found[0]).unwrap();
    assert_eq!(
        info.mac.unwrap().tags.unwrap(),
        vec![0x0008_0018, 0x0008_1140, 0x0010_0010]
    );
}

#[test]
fn encapsulated_pixel_data_cannot_be_written_natively() {
    let doc = open("rle_sha512.dcm");
    let opts = WriteOptions {
        syntax: OutputSyntax::ExplicitLittle,
        explicit_lengths: true,
        rule: Rule::Dcmtk36,
        implementation_class_uid: "2.25.1".into(),
        implementation_version_name: "TEST".into(),
        fallback_instance_uid: "2.25.2".into(),
    };
    let err = write(&doc, &opts, &mut Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "No conversion to transfer syntax Little Endian Explicit possible!"
    );
}
