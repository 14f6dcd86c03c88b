//! Criterion benchmarks of the MAC stream encoder, hashed with SHA-256, reported as bytes of
//! MAC stream per second:
//!
//! - `mac_stream/memory`: datasets built in memory (every value inline);
//! - `mac_stream/file`: the same datasets written to a file and read with
//!   `_core::read::read` once (large values stay in the file and are streamed);
//! - `read+mac_stream/file`: reading the file included.
//!
//! The datasets: a CT image of about 40 KB, a 64 MiB single-frame image, a 64 MiB Enhanced CT
//! of 128 frames with per-frame functional groups, and an RLE image of 10,000 fragments.
//!
//! ```sh
//! cargo bench --no-default-features --bench encode            # full run
//! cargo bench --no-default-features --bench encode -- --quick # a quick look
//! ```

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use std::time::Duration;

use _core::mac::digest::{HashSink, MacAlgorithm};
use _core::mac::stream::{mac_stream, MacEncoding, Selection, StreamOptions};
use _core::model::normalize::Rule;
use _core::model::syntax::Kind;
use _core::model::tag;
use _core::model::vr::Vr;
use _core::model::{Blob, Dataset, Element, Value};
use _core::read::source::Source;
use _core::read::{read, Document, ReadOptions};
use _core::write::{write_file, OutputSyntax, WriteOptions};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const EXPLICIT_LITTLE: &str = "1.2.840.10008.1.2.1";
const RLE_LOSSLESS: &str = "1.2.840.10008.1.2.5";
const CT_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
const ENHANCED_CT_IMAGE: &str = "1.2.840.10008.5.1.4.1.1.2.1";
const MIB: usize = 1 << 20;

fn load_dictionary() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("python/dicomsign/data/dictionary.tsv");
        _core::model::dict::load(&std::fs::read_to_string(path).unwrap()).unwrap();
    });
}

fn pattern(start: usize, len: usize) -> Vec<u8> {
    (start..start + len).map(|i| (i % 251) as u8).collect()
}

fn padded(s: &str, pad: u8) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    if v.len() % 2 == 1 {
        v.push(pad);
    }
    v
}

fn text(tag: u32, vr: Vr, s: &str) -> Element {
    Element::new(tag, vr, padded(s, if vr == Vr::UI { 0 } else { b' ' }))
}

fn us(tag: u32, v: u16) -> Element {
    Element::new(tag, Vr::US, v.to_le_bytes().to_vec())
}

fn ul(tag: u32, values: &[u32]) -> Element {
    Element::new(
        tag,
        Vr::UL,
        values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    )
}

fn sequence(tag: u32, items: Vec<Dataset>) -> Element {
    Element {
        tag,
        vr: Vr::SQ,
        value: Value::Items(items),
    }
}

fn dataset(elements: Vec<Element>) -> Dataset {
    let mut d = Dataset::default();
    for e in elements {
        assert!(d.insert(e), "duplicate tag");
    }
    d
}

fn image_pixel(rows: u16, columns: u16, bits: u16) -> Vec<Element> {
    vec![
        us(0x0028_0002, 1),
        text(0x0028_0004, Vr::CS, "MONOCHROME2"),
        us(0x0028_0010, rows),
        us(0x0028_0011, columns),
        us(0x0028_0100, bits),
        us(0x0028_0101, bits),
        us(0x0028_0102, bits - 1),
        us(0x0028_0103, 0),
    ]
}

fn patient_study(sop_class: &str, instance: &str) -> Vec<Element> {
    vec![
        text(0x0008_0005, Vr::CS, "ISO_IR 100"),
        text(0x0008_0008, Vr::CS, "ORIGINAL\\PRIMARY\\AXIAL"),
        text(0x0008_0016, Vr::UI, sop_class),
        text(0x0008_0018, Vr::UI, instance),
        text(0x0008_0020, Vr::DA, "20240102"),
        text(0x0008_0030, Vr::TM, "100000"),
        text(0x0008_0060, Vr::CS, "CT"),
        text(0x0008_0070, Vr::LO, "Bench Medical Systems"),
        text(0x0010_0010, Vr::PN, "Bench^Encode"),
        text(0x0010_0020, Vr::LO, "PID000001"),
        text(
            0x0020_000D,
            Vr::UI,
            "2.25.1000000000000000000000000000000010",
        ),
        text(
            0x0020_000E,
            Vr::UI,
            "2.25.1000000000000000000000000000000011",
        ),
    ]
}

fn pixel_data(vr: Vr, bytes: Vec<u8>) -> Element {
    Element::new(tag::PIXEL_DATA, vr, bytes)
}

/// A CT image of about 40 KB with a usual set of attributes and a two-item sequence.
fn small_ct() -> Dataset {
    let mut e = patient_study(CT_IMAGE, "2.25.1000000000000000000000000000000002");
    let refs = (0..2)
        .map(|n| {
            dataset(vec![
                text(0x0008_1150, Vr::UI, CT_IMAGE),
                text(
                    0x0008_1155,
                    Vr::UI,
                    &format!("2.25.10000000000000000{n:02}"),
                ),
            ])
        })
        .collect();
    e.push(sequence(0x0008_1140, refs));
    for (t, vr, v) in [
        (0x0018_0050, Vr::DS, "5.0"),
        (0x0018_0060, Vr::DS, "120"),
        (0x0018_1210, Vr::SH, "STANDARD"),
        (0x0020_0013, Vr::IS, "37"),
        (0x0020_0032, Vr::DS, "-175.0\\-175.0\\-120.5"),
        (0x0020_0037, Vr::DS, "1\\0\\0\\0\\1\\0"),
        (0x0028_0030, Vr::DS, "0.683594\\0.683594"),
        (0x0028_1050, Vr::DS, "40"),
        (0x0028_1051, Vr::DS, "400"),
        (0x0028_1052, Vr::DS, "-1024"),
        (0x0028_1053, Vr::DS, "1"),
    ] {
        e.push(text(t, vr, v));
    }
    e.extend(image_pixel(140, 140, 16));
    e.push(pixel_data(Vr::OW, pattern(0, 140 * 140 * 2)));
    dataset(e)
}

/// A single-frame image of `size` bytes of pixel data.
fn single_frame(size: usize) -> Dataset {
    let columns = 32768;
    let rows = u16::try_from(size / (columns * 2)).unwrap();
    let mut e = patient_study(CT_IMAGE, "2.25.1000000000000000000000000000000001");
    e.extend(image_pixel(rows, 32768, 16));
    e.push(pixel_data(
        Vr::OW,
        pattern(0, usize::from(rows) * columns * 2),
    ));
    dataset(e)
}

/// An Enhanced CT image of 512 x 512 frames filling `size` bytes, with shared and per-frame
/// functional groups.
fn multi_frame(size: usize) -> Dataset {
    let frame = 512 * 512 * 2;
    let frames = size / frame;
    let per_frame = (0..frames)
        .map(|n| {
            let n32 = u32::try_from(n).unwrap();
            dataset(vec![
                sequence(
                    0x0020_9111,
                    vec![dataset(vec![
                        text(0x0020_9056, Vr::SH, "1"),
                        ul(0x0020_9057, &[n32 + 1]),
                        ul(0x0020_9157, &[1, n32 + 1]),
                    ])],
                ),
                sequence(
                    0x0020_9113,
                    vec![dataset(vec![text(
                        0x0020_0032,
                        Vr::DS,
                        &format!("-128\\-128\\{}", n / 2),
                    )])],
                ),
            ])
        })
        .collect();
    let shared = dataset(vec![
        sequence(
            0x0020_9116,
            vec![dataset(vec![text(0x0020_0037, Vr::DS, "1\\0\\0\\0\\1\\0")])],
        ),
        sequence(
            0x0028_9110,
            vec![dataset(vec![
                text(0x0018_0050, Vr::DS, "1.0"),
                text(0x0028_0030, Vr::DS, "0.5\\0.5"),
            ])],
        ),
    ]);
    let mut e = patient_study(ENHANCED_CT_IMAGE, "2.25.1000000000000000000000000000000003");
    e.extend(image_pixel(512, 512, 16));
    e.push(text(0x0028_0008, Vr::IS, &frames.to_string()));
    e.push(sequence(0x5200_9229, vec![shared]));
    e.push(sequence(0x5200_9230, per_frame));
    e.push(pixel_data(Vr::OW, pattern(0, frames * frame)));
    dataset(e)
}

/// An RLE image of `count` frames, one fragment (1 to 2 KiB) each, with a Basic Offset Table.
fn fragments(count: usize) -> Dataset {
    let lengths: Vec<usize> = (0..count).map(|n| 1024 + 2 * (n * 7919 % 512)).collect();
    let mut offsets = Vec::with_capacity(count * 4);
    let mut position = 0u32;
    for len in &lengths {
        offsets.extend_from_slice(&position.to_le_bytes());
        position += 8 + u32::try_from(*len).unwrap();
    }
    let mut frags = vec![Blob::Inline(offsets)];
    frags.extend(
        lengths
            .iter()
            .enumerate()
            .map(|(n, len)| Blob::Inline(pattern(n * 4099, *len))),
    );
    let mut e = patient_study(CT_IMAGE, "2.25.1000000000000000000000000000000004");
    e.extend(image_pixel(64, 64, 8));
    e.push(text(0x0028_0008, Vr::IS, &count.to_string()));
    e.push(Element {
        tag: tag::PIXEL_DATA,
        vr: Vr::OB,
        value: Value::Fragments(frags),
    });
    dataset(e)
}

/// The Digital Signatures item of a new signature.
fn signature_item() -> Dataset {
    dataset(vec![
        us(tag::MAC_ID_NUMBER, 1),
        text(
            tag::DIGITAL_SIGNATURE_UID,
            Vr::UI,
            "2.25.1000000000000000000000000000000099",
        ),
        text(
            tag::DIGITAL_SIGNATURE_DATETIME,
            Vr::DT,
            "20240102101112.000000+0000",
        ),
        text(tag::CERTIFICATE_TYPE, Vr::CS, "X509_1993_SIG"),
    ])
}

struct Case {
    name: &'static str,
    syntax: &'static str,
    kind: Kind,
    dataset: Dataset,
}

fn cases() -> Vec<Case> {
    let native = |name, dataset| Case {
        name,
        syntax: EXPLICIT_LITTLE,
        kind: Kind::ExplicitLittle,
        dataset,
    };
    vec![
        native("ct-40KB", small_ct()),
        native("single-frame-64MiB", single_frame(64 * MIB)),
        native("multi-frame-64MiB", multi_frame(64 * MIB)),
        Case {
            name: "rle-10000-fragments",
            syntax: RLE_LOSSLESS,
            kind: Kind::Encapsulated,
            dataset: fragments(10_000),
        },
    ]
}

fn options(syntax: &str) -> StreamOptions {
    let (encoding, encapsulated) = MacEncoding::for_uid(syntax).unwrap();
    StreamOptions {
        encoding,
        encapsulated,
        old_format: false,
        rule: Rule::Dcmtk37,
    }
}

/// The SHA-256 digest of the MAC stream and its length.
fn digest(src: &Source, ds: &Dataset, sig: &Dataset, opts: StreamOptions) -> (Vec<u8>, u64) {
    let mut sink = HashSink::new(MacAlgorithm::Sha256, None);
    mac_stream(src, ds, Selection::All, sig, opts, &mut sink).unwrap();
    let len = sink.count();
    (sink.finish().unwrap(), len)
}

fn write_case(case: Case, dir: &Path) -> PathBuf {
    let path = dir.join(format!("{}.dcm", case.name));
    let doc = Document {
        source: Arc::new(Source::Memory(Vec::new().into())),
        meta: None,
        dataset: case.dataset,
        transfer_syntax: case.syntax.to_string(),
        kind: case.kind,
        warnings: Vec::new(),
    };
    let opts = WriteOptions {
        syntax: OutputSyntax::Same,
        explicit_lengths: true,
        rule: Rule::Dcmtk37,
        implementation_class_uid: "2.25.1".into(),
        implementation_version_name: "BENCH".into(),
        fallback_instance_uid: "2.25.2".into(),
    };
    write_file(&doc, &opts, &path).unwrap();
    path
}

fn open(path: &Path) -> Document {
    read(Source::open(path).unwrap(), ReadOptions::default()).unwrap()
}

fn encode(c: &mut Criterion) {
    load_dictionary();
    let dir = tempfile::tempdir().unwrap();
    let sig = signature_item();
    let empty = Source::Memory(Vec::new().into());
    for case in cases() {
        let opts = options(case.syntax);
        let (expected, len) = digest(&empty, &case.dataset, &sig, opts);
        let name = case.name;
        let large = len > 8 * MIB as u64;

        let mut group = c.benchmark_group("mac_stream/memory");
        group.throughput(Throughput::Bytes(len));
        if large {
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(5));
        }
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| digest(&empty, black_box(&case.dataset), &sig, opts));
        });
        group.finish();

        let path = write_case(case, dir.path());
        let doc = open(&path);
        // Written and read back, the dataset must give the same MAC stream.
        assert_eq!(digest(&doc.source, &doc.dataset, &sig, opts).0, expected);

        let mut group = c.benchmark_group("mac_stream/file");
        group.throughput(Throughput::Bytes(len));
        if large {
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(5));
        }
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| digest(&doc.source, black_box(&doc.dataset), &sig, opts));
        });
        group.finish();

        let mut group = c.benchmark_group("read+mac_stream/file");
        group.throughput(Throughput::Bytes(len));
        if large {
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(5));
        }
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                let doc = open(black_box(&path));
                digest(&doc.source, &doc.dataset, &sig, opts)
            });
        });
        group.finish();
    }
}

criterion_group!(benches, encode);
criterion_main!(benches);
