//! Streaming digests of the six DICOM MAC algorithms (RustCrypto), and a sink that hashes
//! what is written to it and can tee the bytes into a dump file.

use std::io::{self, Write};

use digest::Digest;

/// A MAC algorithm of PS3.3 C.12.1.1.3.1 (Defined Terms of (0400,0015)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// RIPEMD-160, DCMTK's default.
    Ripemd160,
    /// SHA-1.
    Sha1,
    /// MD5.
    Md5,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl MacAlgorithm {
    /// All algorithms.
    pub const ALL: [MacAlgorithm; 6] = [
        MacAlgorithm::Ripemd160,
        MacAlgorithm::Sha1,
        MacAlgorithm::Md5,
        MacAlgorithm::Sha256,
        MacAlgorithm::Sha384,
        MacAlgorithm::Sha512,
    ];

    /// Parses the DICOM defined term (`RIPEMD160`, `SHA1`, `MD5`, `SHA256`, `SHA384`,
    /// `SHA512`), compared exactly as DCMTK does after removing padding.
    #[must_use]
    pub fn from_dicom(term: &str) -> Option<MacAlgorithm> {
        Some(match term {
            "RIPEMD160" => MacAlgorithm::Ripemd160,
            "SHA1" => MacAlgorithm::Sha1,
            "MD5" => MacAlgorithm::Md5,
            "SHA256" => MacAlgorithm::Sha256,
            "SHA384" => MacAlgorithm::Sha384,
            "SHA512" => MacAlgorithm::Sha512,
            _ => return None,
        })
    }

    /// The DICOM defined term.
    #[must_use]
    pub fn dicom_name(self) -> &'static str {
        match self {
            MacAlgorithm::Ripemd160 => "RIPEMD160",
            MacAlgorithm::Sha1 => "SHA1",
            MacAlgorithm::Md5 => "MD5",
            MacAlgorithm::Sha256 => "SHA256",
            MacAlgorithm::Sha384 => "SHA384",
            MacAlgorithm::Sha512 => "SHA512",
        }
    }

    /// Digest size in bytes.
    #[must_use]
    pub fn digest_len(self) -> usize {
        match self {
            MacAlgorithm::Ripemd160 | MacAlgorithm::Sha1 => 20,
            MacAlgorithm::Md5 => 16,
            MacAlgorithm::Sha256 => 32,
            MacAlgorithm::Sha384 => 48,
            MacAlgorithm::Sha512 => 64,
        }
    }
}

/// An incremental hash of one of the MAC algorithms.
#[derive(Clone)]
pub enum Hasher {
    /// RIPEMD-160.
    Ripemd160(ripemd::Ripemd160),
    /// SHA-1.
    Sha1(sha1::Sha1),
    /// MD5.
    Md5(md5::Md5),
    /// SHA-256.
    Sha256(sha2::Sha256),
    /// SHA-384.
    Sha384(sha2::Sha384),
    /// SHA-512.
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A fresh hasher.
    #[must_use]
    pub fn new(alg: MacAlgorithm) -> Hasher {
        match alg {
            MacAlgorithm::Ripemd160 => Hasher::Ripemd160(ripemd::Ripemd160::new()),
            MacAlgorithm::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            MacAlgorithm::Md5 => Hasher::Md5(md5::Md5::new()),
            MacAlgorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            MacAlgorithm::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            MacAlgorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Ripemd160(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Md5(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    /// The digest of everything fed.
    #[must_use]
    pub fn finalize(self) -> Vec<u8> {
        match self {
            Hasher::Ripemd160(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Md5(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// A writer that hashes everything written to it and optionally copies it to `tee`.
pub struct HashSink<'a> {
    hasher: Hasher,
    tee: Option<&'a mut dyn Write>,
    count: u64,
}

impl<'a> HashSink<'a> {
    /// A sink hashing with `alg`, teeing into `tee` when given.
    #[must_use]
    pub fn new(alg: MacAlgorithm, tee: Option<&'a mut dyn Write>) -> Self {
        HashSink {
            hasher: Hasher::new(alg),
            tee,
            count: 0,
        }
    }

    /// Number of bytes hashed.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Flushes the tee and returns the digest.
    ///
    /// # Errors
    /// An I/O error flushing the tee.
    pub fn finish(mut self) -> io::Result<Vec<u8>> {
        if let Some(t) = self.tee.as_mut() {
            t.flush()?;
        }
        Ok(self.hasher.finalize())
    }
}

impl Write for HashSink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.count += buf.len() as u64;
        if let Some(t) = self.tee.as_mut() {
            t.write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.tee.as_mut() {
            Some(t) => t.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn one_shot(alg: MacAlgorithm, data: &[u8]) -> String {
        let mut h = Hasher::new(alg);
        h.update(data);
        hex(&h.finalize())
    }

    #[test]
    fn known_answers_abc() {
        let abc = b"abc";
        assert_eq!(
            one_shot(MacAlgorithm::Ripemd160, abc),
            "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"
        );
        assert_eq!(
            one_shot(MacAlgorithm::Sha1, abc),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            one_shot(MacAlgorithm::Md5, abc),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            one_shot(MacAlgorithm::Sha256, abc),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            one_shot(MacAlgorithm::Sha384, abc),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
8086072ba1e7cc2358baeca134c825a7"
        );
        assert_eq!(
            one_shot(MacAlgorithm::Sha512, abc),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
    }

    #[test]
    fn known_answers_empty_and_million_a() {
        assert_eq!(
            one_shot(MacAlgorithm::Ripemd160, b""),
            "9c1185a5c5e9fc54612808977ee8f548b2258d31"
        );
        assert_eq!(
            one_shot(MacAlgorithm::Sha256, b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let a = vec![b'a'; 1_000_000];
        assert_eq!(
            one_shot(MacAlgorithm::Ripemd160, &a),
            "52783243c1697bdbe16d37f97f68f08325dc1528"
        );
        assert_eq!(
            one_shot(MacAlgorithm::Sha1, &a),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
        assert_eq!(
            one_shot(MacAlgorithm::Sha256, &a),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn chunking_does_not_matter_and_tee_copies() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for alg in MacAlgorithm::ALL {
            let whole = one_shot(alg, &data);
            for split in [0usize, 1, 63, 64, 65, 4095, 99_999] {
                let mut tee = Vec::new();
                let mut s = HashSink::new(alg, Some(&mut tee));
                s.write_all(&data[..split]).unwrap();
                s.write_all(&data[split..]).unwrap();
                assert_eq!(s.count(), data.len() as u64);
                assert_eq!(hex(&s.finish().unwrap()), whole);
                assert_eq!(tee, data);
            }
            assert_eq!(MacAlgorithm::from_dicom(alg.dicom_name()), Some(alg));
            assert_eq!(Hasher::new(alg).finalize().len(), alg.digest_len());
        }
        assert_eq!(MacAlgorithm::from_dicom("SHA-256"), None);
    }
}
