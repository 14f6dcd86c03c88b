//! The pure core's PKI and verdict on DCMTK's known-answer vectors (tests/vectors/): the test
//! key signs what its certificate's key verifies, every signature DCMTK made is valid, a
//! changed value is reported as DCMTK reports it, and the quick chain check trusts the
//! self-signed certificate only when it is trusted and current.

use std::path::{Path, PathBuf};

use _core::mac::digest::MacAlgorithm;
use _core::pki::chain::{read_certificates, TrustAnchors};
use _core::pki::{KeyType, PrivateKey};
use _core::read::source::Source;
use _core::read::{read, Document, ReadOptions};
use _core::signatures::verify::{verdicts, Outcome};

const VECTORS: [&str; 8] = [
    "explicit_ripemd160.dcm",
    "implicit_sha256.dcm",
    "big_sha1.dcm",
    "deflated_md5.dcm",
    "rle_sha512.dcm",
    "rle_old_sha384.dcm",
    "item_sha256.dcm",
    "tags_sha256.dcm",
];

/// 2027-06-01T00:00:00Z, inside the test certificate's validity.
const NOW: i64 = 1_811_808_000;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn load_dictionary() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("python/dicomsign/data/dictionary.tsv")).unwrap();
    _core::model::dict::load(&text).unwrap();
}

fn open(path: &Path) -> Document {
    load_dictionary();
    read(Source::open(path).unwrap(), ReadOptions::default()).unwrap()
}

fn key() -> PrivateKey {
    PrivateKey::from_pem(&std::fs::read(vectors().join("key.pem")).unwrap()).expect("a key")
}

#[test]
fn the_test_key_signs_what_its_certificate_verifies() {
    let key = key();
    let certs = read_certificates(&vectors().join("cert.pem"), false).unwrap();
    let cert = &certs[0];
    assert_eq!(cert.key_type(), KeyType::Rsa);
    assert!(key.matches(cert.key()));
    assert!(cert.key().same_key(key.public_key()));
    for alg in [
        MacAlgorithm::Ripemd160,
        MacAlgorithm::Sha1,
        MacAlgorithm::Md5,
        MacAlgorithm::Sha256,
        MacAlgorithm::Sha384,
        MacAlgorithm::Sha512,
    ] {
        let digest = vec![0x5a; alg.digest_len()];
        let signature = key
            .sign_digest(alg, &digest)
            .expect("RSA signs every digest");
        assert!(
            cert.key().verify_digest(alg, &digest, &signature),
            "{alg:?}"
        );
        let mut changed = signature.clone();
        changed[10] ^= 1;
        assert!(!cert.key().verify_digest(alg, &digest, &changed), "{alg:?}");
        let mut other = digest.clone();
        other[0] ^= 1;
        assert!(
            !cert.key().verify_digest(alg, &other, &signature),
            "{alg:?}"
        );
    }
}

#[test]
fn every_signature_dcmtk_made_is_valid_and_surely_trusted() {
    let trusted = vectors().join("cert.pem");
    let anchors = TrustAnchors::load(&[trusted.as_path()], &[], false);
    let untrusting = TrustAnchors::load(&[], &[trusted.as_path()], false);
    for name in VECTORS {
        let doc = open(&vectors().join(name));
        let all = verdicts(&doc, name.contains("_old_"));
        assert!(!all.verdicts.is_empty(), "{name}");
        for v in &all.verdicts {
            assert_eq!(v.outcome, Outcome::Valid, "{name}: {}", v.message);
            assert_eq!(v.message, "OK");
            let size = v.digest.as_ref().expect("a digest").len();
            assert!([16, 20, 32, 48, 64].contains(&size), "{name}");
            assert!(v.certificate.is_some() && v.warnings.is_empty(), "{name}");
        }
        assert!(all.surely_valid(&anchors, NOW), "{name}");
        // Not sure when the certificate is only untrusted, or not yet valid.
        assert!(!all.surely_valid(&untrusting, NOW), "{name}");
        assert!(!all.surely_valid(&anchors, 0), "{name}");
    }
}

#[test]
fn a_changed_value_is_a_corrupted_signature() {
    let original = std::fs::read(vectors().join("explicit_ripemd160.dcm")).unwrap();
    let at = original
        .windows(8)
        .position(|w| w == b"Doe^Jane")
        .expect("the patient's name");
    let mut changed = original.clone();
    changed[at..at + 8].copy_from_slice(b"Doe^John");
    let dir = std::env::temp_dir().join(format!("dicomsign-verdicts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("changed.dcm");
    std::fs::write(&path, &changed).unwrap();
    let all = verdicts(&open(&path), false);
    std::fs::remove_dir_all(&dir).unwrap();
    let v = &all.verdicts[0];
    assert_eq!(v.outcome, Outcome::Corrupted);
    assert_eq!(
        v.message,
        "signature verification failed: signature is invalid (document corrupted)"
    );
    let anchors = TrustAnchors::load(&[vectors().join("cert.pem").as_path()], &[], false);
    assert!(!all.surely_valid(&anchors, NOW));
}
