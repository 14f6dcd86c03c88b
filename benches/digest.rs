//! Criterion benchmarks of the six MAC digests over 4 MiB of data fed in chunks of 4 KiB to
//! 1 MiB, reported as bytes per second.
//!
//! ```sh
//! cargo bench --no-default-features --bench digest            # full run
//! cargo bench --no-default-features --bench digest -- --quick # a quick look
//! ```

use std::hint::black_box;
use std::time::Duration;

use _core::mac::digest::{Hasher, MacAlgorithm};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// Bytes hashed per iteration.
const TOTAL: usize = 4 << 20;
/// Chunk sizes of the updates.
const CHUNKS: [usize; 5] = [4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20];

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn hash(alg: MacAlgorithm, data: &[u8], chunk: usize) -> Vec<u8> {
    let mut h = Hasher::new(alg);
    for c in data.chunks(chunk) {
        h.update(black_box(c));
    }
    h.finalize()
}

fn digests(c: &mut Criterion) {
    let data = pattern(TOTAL);
    for alg in MacAlgorithm::ALL {
        // Chunking must not change the digest.
        let whole = hash(alg, &data, TOTAL);
        let mut group = c.benchmark_group(format!("digest/{}", alg.dicom_name()));
        group.throughput(Throughput::Bytes(TOTAL as u64));
        group.sample_size(30);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
        for chunk in CHUNKS {
            assert_eq!(hash(alg, &data, chunk), whole);
            group.bench_with_input(
                BenchmarkId::from_parameter(format!("{}KiB", chunk >> 10)),
                &chunk,
                |b, &chunk| b.iter(|| hash(alg, &data, chunk)),
            );
        }
        group.finish();
    }
}

criterion_group!(benches, digests);
criterion_main!(benches);
