//! Property test: read, then write, then read again is stable.
//!
//! Datasets are generated (strings with and without padding, odd lengths, binary values,
//! sequences nested up to four levels with defined and undefined lengths, empty items), encoded
//! by hand in explicit VR little endian, implicit VR little endian or explicit VR big endian,
//! and read. For every output transfer syntax, sequence length form and normalization rule:
//!
//! - the reader gives back exactly the generated elements (tags, VRs, values, items);
//! - the written file reads back, with every element's value normalized as the rule says and
//!   nothing else changed;
//! - writing what was read back gives the same bytes again.
//!
//! 1000 cases from a fixed seed (about two seconds).

use std::sync::Once;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use _core::model::normalize::{normalize, Rule};
use _core::model::vr::Vr;
use _core::model::{Blob, Dataset, Element, Value};
use _core::read::source::Source;
use _core::read::{read, Document, ReadOptions};
use _core::write::{write, OutputSyntax, WriteOptions};

fn load_dictionary() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/python/dicomsign/data/dictionary.tsv"
        ))
        .unwrap();
        _core::model::dict::load(&text).unwrap();
    });
}

/// A generated element: its dictionary VR (so that implicit VR round trips too), and a value.
#[derive(Clone, Debug)]
enum Gen {
    Data(u32, Vr, Vec<u8>),
    Items(u32, Vec<(bool, Vec<Gen>)>),
}

impl Gen {
    fn tag(&self) -> u32 {
        match self {
            Gen::Data(t, ..) | Gen::Items(t, _) => *t,
        }
    }
}

/// String elements of the data dictionary (tag, VR), none of them `xs`/`ox` or private.
const STRINGS: &[(u32, Vr)] = &[
    (0x0008_0016, Vr::UI),
    (0x0008_0018, Vr::UI),
    (0x0008_0020, Vr::DA),
    (0x0008_0030, Vr::TM),
    (0x0008_0060, Vr::CS),
    (0x0008_1030, Vr::LO),
    (0x0010_0010, Vr::PN),
    (0x0010_0020, Vr::LO),
    (0x0010_1010, Vr::AS),
    (0x0018_0050, Vr::DS),
    (0x0020_0013, Vr::IS),
    (0x0020_4000, Vr::LT),
    (0x0032_4000, Vr::LT),
];

/// Binary elements (tag, VR, value width).
const BINARY: &[(u32, Vr, usize)] = &[
    (0x0018_6020, Vr::SL, 4),
    (0x0028_0010, Vr::US, 2),
    (0x0028_0011, Vr::US, 2),
    (0x0018_9087, Vr::FD, 8),
    (0x0040_A0B0, Vr::US, 2),
    (0x0042_0011, Vr::OB, 1),
    (0x7FE0_0010, Vr::OW, 2),
];

/// Sequences of the dictionary.
const SEQUENCES: &[u32] = &[0x0008_1115, 0x0008_1140, 0x0040_A730];

fn string_value() -> impl Strategy<Value = Vec<u8>> {
    // Printable text, sometimes with trailing spaces or NULs, of any length (odd ones too).
    (
        proptest::collection::vec(b'!'..=b'~', 0..12),
        proptest::collection::vec(prop_oneof![Just(b' '), Just(0u8)], 0..3),
    )
        .prop_map(|(mut text, pad)| {
            text.extend(pad);
            text
        })
}

fn leaf() -> impl Strategy<Value = Gen> {
    prop_oneof![
        (proptest::sample::select(STRINGS), string_value())
            .prop_map(|((t, vr), v)| Gen::Data(t, vr, v)),
        (proptest::sample::select(BINARY), 0usize..6, any::<u64>()).prop_map(
            |((t, vr, width), n, seed)| {
                let v = (0..n * width)
                    .map(|i| (seed.rotate_left(i as u32 * 7) & 0xFF) as u8)
                    .collect();
                Gen::Data(t, vr, v)
            }
        ),
    ]
}

fn elements() -> impl Strategy<Value = Vec<Gen>> {
    let element = leaf().prop_recursive(4, 24, 3, |inner| {
        (
            proptest::sample::select(SEQUENCES),
            proptest::collection::vec(
                (any::<bool>(), proptest::collection::vec(inner, 0..4)),
                0..3,
            ),
        )
            .prop_map(|(t, items)| Gen::Items(t, items))
    });
    proptest::collection::vec(element, 1..8)
}

/// Sorted by tag, first of duplicates kept, at every level (what the reader does).
fn canonical(list: &[Gen]) -> Vec<Gen> {
    let mut out: Vec<Gen> = Vec::new();
    for g in list {
        if out.iter().any(|o| o.tag() == g.tag()) {
            continue;
        }
        out.push(match g {
            Gen::Items(t, items) => {
                Gen::Items(*t, items.iter().map(|(u, i)| (*u, canonical(i))).collect())
            }
            d => d.clone(),
        });
    }
    out.sort_by_key(Gen::tag);
    out
}

#[derive(Clone, Copy, Debug)]
enum Encoding {
    ExplicitLittle,
    ImplicitLittle,
    ExplicitBig,
}

impl Encoding {
    fn uid(self) -> &'static [u8] {
        match self {
            Encoding::ExplicitLittle => b"1.2.840.10008.1.2.1\0",
            Encoding::ImplicitLittle => b"1.2.840.10008.1.2\0",
            Encoding::ExplicitBig => b"1.2.840.10008.1.2.2\0",
        }
    }
}

struct Encoder {
    enc: Encoding,
    out: Vec<u8>,
}

impl Encoder {
    fn u16(&mut self, v: u16) {
        match self.enc {
            Encoding::ExplicitBig => self.out.extend_from_slice(&v.to_be_bytes()),
            _ => self.out.extend_from_slice(&v.to_le_bytes()),
        }
    }

    fn u32(&mut self, v: u32) {
        match self.enc {
            Encoding::ExplicitBig => self.out.extend_from_slice(&v.to_be_bytes()),
            _ => self.out.extend_from_slice(&v.to_le_bytes()),
        }
    }

    fn tag(&mut self, t: u32) {
        self.u16((t >> 16) as u16);
        self.u16(t as u16);
    }

    fn header(&mut self, t: u32, vr: Vr, len: u32) {
        self.tag(t);
        match self.enc {
            Encoding::ImplicitLittle => self.u32(len),
            _ if vr.has_long_length() => {
                self.out.extend_from_slice(&vr.code());
                self.out.extend_from_slice(&[0, 0]);
                self.u32(len);
            }
            _ => {
                self.out.extend_from_slice(&vr.code());
                self.u16(len as u16);
            }
        }
    }

    fn dataset(&mut self, list: &[Gen]) {
        for g in list {
            match g {
                Gen::Data(t, vr, v) => {
                    self.header(*t, *vr, v.len() as u32);
                    let unit = vr.swap_unit() as usize;
                    match self.enc {
                        Encoding::ExplicitBig if unit > 1 => {
                            for word in v.chunks(unit) {
                                self.out.extend(word.iter().rev());
                            }
                        }
                        _ => self.out.extend_from_slice(v),
                    }
                }
                Gen::Items(t, items) => {
                    // Undefined lengths throughout: the items say which form they take.
                    self.header(*t, Vr::SQ, 0xFFFF_FFFF);
                    for (undefined, body) in items {
                        let mut inner = Encoder {
                            enc: self.enc,
                            out: Vec::new(),
                        };
                        inner.dataset(body);
                        self.tag(0xFFFE_E000);
                        if *undefined {
                            self.u32(0xFFFF_FFFF);
                            self.out.extend(inner.out);
                            self.tag(0xFFFE_E00D);
                            self.u32(0);
                        } else {
                            self.u32(inner.out.len() as u32);
                            self.out.extend(inner.out);
                        }
                    }
                    self.tag(0xFFFE_E0DD);
                    self.u32(0);
                }
            }
        }
    }
}

fn file(list: &[Gen], enc: Encoding) -> Vec<u8> {
    let mut meta = Encoder {
        enc: Encoding::ExplicitLittle,
        out: Vec::new(),
    };
    meta.header(0x0002_0010, Vr::UI, enc.uid().len() as u32);
    meta.out.extend_from_slice(enc.uid());
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    let mut group = Encoder {
        enc: Encoding::ExplicitLittle,
        out: out.clone(),
    };
    group.header(0x0002_0000, Vr::UL, 4);
    group.u32(meta.out.len() as u32);
    let mut body = Encoder {
        enc,
        out: Vec::new(),
    };
    body.dataset(list);
    let mut out = group.out;
    out.extend(meta.out);
    out.extend(body.out);
    out
}

fn bytes_of(doc: &Document, e: &Element) -> Vec<u8> {
    match &e.value {
        Value::Data(Blob::Inline(v)) => v.clone(),
        Value::Data(Blob::Stored { offset, len, swap }) => {
            let mut v = vec![0u8; *len as usize];
            doc.source.read_exact_at(*offset, &mut v).unwrap();
            _core::model::vr::swap_in_place(&mut v, *swap);
            v
        }
        other => panic!("not a plain value: {other:?}"),
    }
}

/// Asserts that `got` holds exactly the elements of `want`, each value passed through `f`.
fn assert_same(doc: &Document, got: &Dataset, want: &[Gen], f: &dyn Fn(Vr, &[u8]) -> Vec<u8>) {
    let tags: Vec<u32> = got.elements.iter().map(|e| e.tag).collect();
    let want_tags: Vec<u32> = want.iter().map(Gen::tag).collect();
    assert_eq!(tags, want_tags);
    for (e, g) in got.elements.iter().zip(want) {
        match g {
            Gen::Data(_, vr, v) => {
                assert_eq!(e.vr, *vr, "VR of {:08x}", e.tag);
                assert_eq!(bytes_of(doc, e), f(*vr, v), "value of {:08x}", e.tag);
            }
            Gen::Items(_, items) => {
                assert_eq!(e.vr, Vr::SQ);
                let got_items = e.items().expect("a sequence");
                assert_eq!(got_items.len(), items.len(), "items of {:08x}", e.tag);
                for (gi, (_, wi)) in got_items.iter().zip(items) {
                    assert_same(doc, gi, wi, f);
                }
            }
        }
    }
}

fn write_bytes(
    doc: &Document,
    syntax: OutputSyntax,
    explicit_lengths: bool,
    rule: Rule,
) -> Vec<u8> {
    let opts = WriteOptions {
        syntax,
        explicit_lengths,
        rule,
        implementation_class_uid: "2.25.1".into(),
        implementation_version_name: "TEST".into(),
        fallback_instance_uid: "2.25.2".into(),
    };
    let mut out = Vec::new();
    write(doc, &opts, &mut out).expect("a document read from valid input writes");
    out
}

fn read_bytes(bytes: Vec<u8>, bulk_threshold: u64) -> Document {
    let opts = ReadOptions {
        bulk_threshold,
        ..ReadOptions::default()
    };
    read(Source::Memory(bytes.into()), opts).expect("valid input reads")
}

fn config() -> Config {
    Config {
        cases: 1000,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x5EED_D1C0),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn read_write_read_is_stable(
        list in elements(),
        enc in prop_oneof![
            Just(Encoding::ExplicitLittle),
            Just(Encoding::ImplicitLittle),
            Just(Encoding::ExplicitBig),
        ],
        bulk_threshold in prop_oneof![Just(0u64), Just(64 * 1024)],
    ) {
        load_dictionary();
        let want = canonical(&list);
        let doc = read_bytes(file(&list, enc), bulk_threshold);
        assert_same(&doc, &doc.dataset, &want, &|_, v| v.to_vec());
        for syntax in [
            OutputSyntax::Same,
            OutputSyntax::ExplicitLittle,
            OutputSyntax::ExplicitBig,
            OutputSyntax::ImplicitLittle,
        ] {
            for explicit_lengths in [true, false] {
                for rule in [Rule::Dcmtk36, Rule::Dcmtk37] {
                    let first = write_bytes(&doc, syntax, explicit_lengths, rule);
                    let again = read_bytes(first.clone(), bulk_threshold);
                    prop_assert!(again.warnings.is_empty(), "{:?}", again.warnings);
                    assert_same(&again, &again.dataset, &want, &|vr, v| {
                        normalize(vr, v, rule).into_owned()
                    });
                    let second = write_bytes(&again, OutputSyntax::Same, explicit_lengths, rule);
                    prop_assert!(
                        first == second,
                        "{:?} {} {:?}: the second write differs",
                        syntax,
                        explicit_lengths,
                        rule
                    );
                }
            }
        }
    }
}
