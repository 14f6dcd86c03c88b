//! Fuzz targets of dicomsign's Rust core, driven by libFuzzer (`fuzz_targets/*.rs`) or replayed
//! by `cargo test` of this crate on the seed corpus and the recorded crashes.
//!
//! Every target takes the fuzzer's bytes as two option bytes followed by the input file:
//!
//! | byte | bits | meaning |
//! |---|---|---|
//! | 0 | 0-1 | read mode: auto, file only, bare dataset, auto |
//! | 0 | 2-4 | transfer syntax: auto, detect, explicit LE, explicit BE, implicit LE (5-7: auto) |
//! | 0 | 5 | convert UN to its dictionary VR (`+uc`) |
//! | 0 | 6-7 | bulk threshold: 64 KiB (the default), 0 (every binary value left in the source), 16 bytes, 1 MiB |
//! | 1 | 0 | source: in memory, or a file read with positioned reads |
//! | 1 | 1-7 | target's own options (see each target) |
//!
//! A seed file is therefore run with the options `[0, 0]` put before it: the defaults, in memory.
//!
//! An `Err` from any stage is a normal outcome. Bugs are panics (including arithmetic overflow
//! and debug assertions, which the fuzz profile enables), hangs, excessive memory use, and the
//! invariants asserted here:
//!
//! - [`read`]: a document's datasets are sorted by tag without duplicates at every level, and
//!   every value left in the source lies inside it;
//! - [`mac`]: the MAC stream of "all signable elements" lists exactly the signable tags and
//!   equals the stream of those tags listed one by one;
//! - [`roundtrip`]: whatever is written can be read back, and writing it again gives the same
//!   bytes (written in an explicit VR syntax; see [`roundtrip`] for the exact condition).

use std::io::Write;
use std::sync::{Mutex, Once};

use _core::mac::digest::{HashSink, MacAlgorithm};
use _core::mac::stream::{mac_stream, signable_tags, MacEncoding, Selection, StreamOptions};
use _core::model::normalize::Rule;
use _core::model::syntax::Kind;
use _core::model::{tag, Blob, Dataset, Value};
use _core::read::source::Source;
use _core::read::{Document, ReadMode, ReadOptions, ReadXfer};
use _core::signatures::verify;
use _core::write::{write, OutputSyntax, WriteOptions};

const DICTIONARY: &str = include_str!("../../python/dicomsign/data/dictionary.tsv");

/// Loads the data dictionary the Python package ships (implicit VR reading needs it).
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        _core::model::dict::load(DICTIONARY).expect("the shipped dictionary parses");
    });
}

/// The decoded option bytes and the file.
#[derive(Debug)]
pub struct Input<'a> {
    /// Options of the first read.
    pub read: ReadOptions,
    /// Read from a file instead of memory.
    pub from_file: bool,
    /// Bits 1-7 of the second option byte, shifted down: the target's own options.
    pub extra: u8,
    /// The file.
    pub bytes: &'a [u8],
}

impl<'a> Input<'a> {
    /// Splits the fuzzer's bytes; `None` when fewer than the two option bytes.
    #[must_use]
    pub fn parse(data: &'a [u8]) -> Option<Input<'a>> {
        let (&[b0, b1], bytes) = data.split_first_chunk::<2>()?;
        let mode = match b0 & 3 {
            1 => ReadMode::FileOnly,
            2 => ReadMode::Dataset,
            _ => ReadMode::Auto,
        };
        let xfer = match (b0 >> 2) & 7 {
            1 => ReadXfer::Detect,
            2 => ReadXfer::Little,
            3 => ReadXfer::Big,
            4 => ReadXfer::Implicit,
            _ => ReadXfer::Auto,
        };
        let bulk_threshold = match b0 >> 6 {
            0 => ReadOptions::default().bulk_threshold,
            1 => 0,
            2 => 16,
            _ => 1 << 20,
        };
        Some(Input {
            read: ReadOptions {
                mode,
                xfer,
                convert_un: b0 & 0x20 != 0,
                bulk_threshold,
            },
            from_file: b1 & 1 != 0,
            extra: b1 >> 1,
            bytes,
        })
    }

    /// The source the options ask for.
    ///
    /// # Panics
    /// When the scratch file cannot be written (not an input's fault).
    #[must_use]
    pub fn source(&self) -> Source {
        if self.from_file {
            Source::from_file(scratch_file(self.bytes)).expect("scratch file metadata")
        } else {
            Source::Memory(self.bytes.into())
        }
    }

    /// Reads the file; `None` when the reader refuses it.
    #[must_use]
    pub fn document(&self) -> Option<Document> {
        init();
        _core::read::read(self.source(), self.read).ok()
    }
}

/// One temporary file per process, rewritten for each input (a new file per run would cost
/// more than the read).
fn scratch_file(bytes: &[u8]) -> std::fs::File {
    static FILE: Mutex<Option<std::fs::File>> = Mutex::new(None);
    let mut guard = FILE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let file = guard.get_or_insert_with(|| tempfile::tempfile().expect("a scratch file"));
    file.set_len(0).expect("truncate the scratch file");
    {
        use std::os::unix::fs::FileExt;
        file.write_all_at(bytes, 0).expect("write the scratch file");
    }
    file.try_clone().expect("clone the scratch file")
}

/// Checks the model's invariants at every level: elements strictly ascending by tag, values
/// left in the source inside it.
///
/// # Panics
/// When an invariant does not hold.
pub fn check_model(d: &Dataset, source_len: u64) {
    for pair in d.elements.windows(2) {
        assert!(
            pair[0].tag < pair[1].tag,
            "elements out of order or duplicated: {} then {}",
            tag::format(pair[0].tag),
            tag::format(pair[1].tag)
        );
    }
    let in_source = |b: &Blob| {
        if let Blob::Stored { offset, len, swap } = b {
            assert!(
                offset
                    .checked_add(*len)
                    .is_some_and(|end| end <= source_len),
                "stored value {offset}+{len} outside a source of {source_len} bytes"
            );
            assert!(matches!(swap, 1 | 2 | 4 | 8), "swap unit {swap}");
        }
    };
    for e in &d.elements {
        match &e.value {
            Value::Data(b) => in_source(b),
            Value::Fragments(frags) => frags.iter().for_each(in_source),
            Value::Items(items) => items.iter().for_each(|i| check_model(i, source_len)),
        }
    }
}

/// Target `read`: the reader on arbitrary bytes, in every mode and with every option; a
/// document it returns must satisfy [`check_model`].
pub fn read(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    if let Some(doc) = input.document() {
        check_model(&doc.dataset, doc.source.len());
        if let Some(meta) = &doc.meta {
            check_model(meta, doc.source.len());
        }
    }
}

fn mac_options(extra: u8) -> (StreamOptions, MacAlgorithm) {
    let encoding = match extra & 3 {
        1 => MacEncoding::ImplicitLittle,
        2 => MacEncoding::ExplicitBig,
        _ => MacEncoding::ExplicitLittle,
    };
    let opts = StreamOptions {
        encoding,
        encapsulated: extra & 4 != 0,
        old_format: extra & 8 != 0,
        rule: if extra & 16 != 0 {
            Rule::Dcmtk37
        } else {
            Rule::Dcmtk36
        },
    };
    let alg = MacAlgorithm::ALL[usize::from(extra >> 5) % MacAlgorithm::ALL.len()];
    (opts, alg)
}

/// Target `mac`: reads, then encodes the MAC stream of every signable element of the dataset
/// (target options: bits 0-1 encoding explicit LE, implicit LE, explicit BE; bit 2
/// encapsulated; bit 3 old format; bit 4 DCMTK 3.7 normalization; bits 5-6 digest), and judges
/// every signature the document holds (its MAC stream, digest, certificate and signature).
///
/// # Panics
/// When the stream of all signable elements is not the stream of the signable tags listed.
pub fn mac(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let Some(doc) = input.document() else {
        return;
    };
    let (opts, alg) = mac_options(input.extra);
    let empty = Dataset::default();
    let mut all = Vec::new();
    let report = mac_stream(
        &doc.source,
        &doc.dataset,
        Selection::All,
        &empty,
        opts,
        &mut all,
    );
    if let Ok(report) = report {
        let tags = signable_tags(&doc.dataset);
        assert_eq!(
            report.tags, tags,
            "Selection::All encodes the signable tags"
        );
        let mut listed = HashSink::new(alg, None);
        mac_stream(
            &doc.source,
            &doc.dataset,
            Selection::Tags(&tags),
            &empty,
            opts,
            &mut listed,
        )
        .expect("the signable tags listed encode as Selection::All did");
        let mut whole = HashSink::new(alg, None);
        whole.write_all(&all).expect("hashing never fails");
        assert_eq!(listed.count(), whole.count(), "stream lengths");
        assert_eq!(
            listed.finish().expect("no tee"),
            whole.finish().expect("no tee"),
            "the listed tags' stream equals the stream of all signable elements"
        );
    }
    let _ = verify::verdicts(&doc, opts.old_format);
}

/// True when the dataset holds a top-level File Meta element (group 0002): by design, the
/// regenerated meta header of a written file replaces it on the next read.
fn has_meta_elements(d: &Dataset) -> bool {
    d.elements.iter().any(|e| tag::group(e.tag) == 0x0002)
}

/// Target `roundtrip`: reads, writes (target options: bits 0-1 output syntax same, explicit
/// LE, explicit BE, implicit LE; bit 2 undefined sequence lengths; bit 3 DCMTK 3.7
/// normalization), reads what was written and writes it again.
///
/// What must hold, when the first write succeeds in an explicit VR syntax and the dataset has
/// no top-level group 0002 element: the written file reads back, and the second write gives
/// the same bytes as the first. (Implicit VR output loses the VRs that disagree with the
/// dictionary, as in DCMTK: there only the absence of panics is checked.)
///
/// # Panics
/// When that invariant does not hold.
pub fn roundtrip(data: &[u8]) {
    let Some(input) = Input::parse(data) else {
        return;
    };
    let Some(doc) = input.document() else {
        return;
    };
    let syntax = match input.extra & 3 {
        1 => OutputSyntax::ExplicitLittle,
        2 => OutputSyntax::ExplicitBig,
        3 => OutputSyntax::ImplicitLittle,
        _ => OutputSyntax::Same,
    };
    let opts = WriteOptions {
        syntax,
        explicit_lengths: input.extra & 4 == 0,
        rule: if input.extra & 8 != 0 {
            Rule::Dcmtk37
        } else {
            Rule::Dcmtk36
        },
        implementation_class_uid: "1.2.826.0.1.3680043.10.1".into(),
        implementation_version_name: "FUZZ".into(),
        fallback_instance_uid: "2.25.1".into(),
    };
    let Ok((_, kind)) = _core::write::output_syntax(&doc, syntax) else {
        return;
    };
    let mut first = Vec::new();
    if write(&doc, &opts, &mut first).is_err() {
        return;
    }
    let reread = ReadOptions {
        bulk_threshold: input.read.bulk_threshold,
        ..ReadOptions::default()
    };
    let again = _core::read::read(Source::Memory(first.as_slice().into()), reread);
    let must_hold = kind != Kind::ImplicitLittle && !has_meta_elements(&doc.dataset);
    if !must_hold {
        return;
    }
    let again = again.unwrap_or_else(|e| panic!("the written file does not read back: {e:?}"));
    check_model(&again.dataset, again.source.len());
    let mut second = Vec::new();
    let opts2 = WriteOptions {
        syntax: OutputSyntax::Same,
        ..opts
    };
    write(&again, &opts2, &mut second)
        .unwrap_or_else(|e| panic!("the file read back cannot be written: {e:?}"));
    if first != second {
        if let Some(dir) = std::env::var_os("DICOMSIGN_FUZZ_DUMP") {
            let dir = std::path::Path::new(&dir);
            let _ = std::fs::write(dir.join("first.dcm"), &first);
            let _ = std::fs::write(dir.join("second.dcm"), &second);
        }
        panic!(
            "writing what was written gives other bytes ({} then {} bytes; set \
             DICOMSIGN_FUZZ_DUMP=DIR and replay to get both files)",
            first.len(),
            second.len()
        );
    }
}
