//! Public keys as DCMTK classifies and describes them, and the check of a DICOM signature
//! over a MAC digest.
//!
//! Signatures are those of DCMTK (dcmsign-behaviour.md §4.1): RSA PKCS#1 v1.5 with the
//! DigestInfo of the MAC algorithm; DSA and ECDSA as DER `SEQUENCE { r, s }` over the raw
//! digest, possibly followed by DCMTK's pad byte.

use der::asn1::{BitStringRef, ObjectIdentifier, UintRef};
use der::{Decode, Reader, SliceReader};
use rsa::traits::PublicKeyParts;
use rsa::BoxedUint;
use spki::SubjectPublicKeyInfoRef;

use crate::mac::digest::MacAlgorithm;
use crate::pki::der::trim;

/// DCMTK's key classes (`E_KeyType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// Anything DCMTK cannot use: RSA-PSS, EdDSA, X9.42 DH, unknown curves, malformed keys.
    None,
    /// RSA.
    Rsa,
    /// DSA.
    Dsa,
    /// PKCS #3 Diffie-Hellman (accepted by DCMTK's "no profile", but it cannot sign).
    Dh,
    /// Elliptic curve.
    Ec,
}

impl KeyType {
    /// DCMTK's name of the key class.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            KeyType::None => "none",
            KeyType::Rsa => "RSA",
            KeyType::Dsa => "DSA",
            KeyType::Dh => "DH",
            KeyType::Ec => "EC",
        }
    }
}

pub(crate) const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_X500: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.8.1.1");
pub(crate) const OID_DSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");
const OID_DSA_OIW: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.12");
pub(crate) const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_DH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.3.1");

/// The curves this module can compute with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P192,
    P224,
    P256,
    P384,
    P521,
    K256,
    Bp256,
    Bp384,
}

/// A named curve: its OID, OpenSSL's short name, the bit length of its order, and whether
/// signatures on it can be checked here.
struct NamedCurve {
    oid: &'static str,
    name: &'static str,
    bits: u32,
    curve: Option<Curve>,
}

/// The named curves OpenSSL (through `cryptography`) loads; brainpoolP512r1 keys are
/// described but their signatures cannot be checked here.
const CURVES: [NamedCurve; 9] = [
    NamedCurve {
        oid: "1.2.840.10045.3.1.1",
        name: "prime192v1",
        bits: 192,
        curve: Some(Curve::P192),
    },
    NamedCurve {
        oid: "1.3.132.0.33",
        name: "secp224r1",
        bits: 224,
        curve: Some(Curve::P224),
    },
    NamedCurve {
        oid: "1.2.840.10045.3.1.7",
        name: "prime256v1",
        bits: 256,
        curve: Some(Curve::P256),
    },
    NamedCurve {
        oid: "1.3.132.0.34",
        name: "secp384r1",
        bits: 384,
        curve: Some(Curve::P384),
    },
    NamedCurve {
        oid: "1.3.132.0.35",
        name: "secp521r1",
        bits: 521,
        curve: Some(Curve::P521),
    },
    NamedCurve {
        oid: "1.3.132.0.10",
        name: "secp256k1",
        bits: 256,
        curve: Some(Curve::K256),
    },
    NamedCurve {
        oid: "1.3.36.3.3.2.8.1.1.7",
        name: "brainpoolP256r1",
        bits: 256,
        curve: Some(Curve::Bp256),
    },
    NamedCurve {
        oid: "1.3.36.3.3.2.8.1.1.11",
        name: "brainpoolP384r1",
        bits: 384,
        curve: Some(Curve::Bp384),
    },
    NamedCurve {
        oid: "1.3.36.3.3.2.8.1.1.13",
        name: "brainpoolP512r1",
        bits: 512,
        curve: None,
    },
];

fn named_curve(oid: &ObjectIdentifier) -> Option<&'static NamedCurve> {
    let text = oid.to_string();
    CURVES.iter().find(|c| c.oid == text)
}

/// OpenSSL's short name, the order bits, and the curve this module computes with, of a named
/// curve.
pub(crate) fn curve_of(oid: &ObjectIdentifier) -> Option<(&'static str, u32, Option<Curve>)> {
    named_curve(oid).map(|c| (c.name, c.bits, c.curve))
}

pub(crate) type Bp256Verifier = ecdsa::VerifyingKey<bp256::BrainpoolP256r1>;
pub(crate) type Bp384Verifier = ecdsa::VerifyingKey<bp384::BrainpoolP384r1>;

/// The key material a signature is checked with.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Verifier {
    Rsa(rsa::PublicKey),
    Dsa(Box<dsa::VerifyingKey>),
    P192(p192::ecdsa::VerifyingKey),
    P224(p224::ecdsa::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    K256(k256::ecdsa::VerifyingKey),
    Bp256(Bp256Verifier),
    Bp384(Bp384Verifier),
    /// A key whose signatures cannot be checked here.
    None,
}

/// A public key: its DCMTK class, size and curve, and what checks its signatures.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicKey {
    kind: KeyType,
    bits: u32,
    curve: Option<&'static str>,
    verifier: Verifier,
    /// The DER SubjectPublicKeyInfo, for comparing keys this module cannot compute with.
    spki: Vec<u8>,
}

/// A big-endian unsigned integer as a `BoxedUint` of exactly its own precision.
pub(crate) fn uint(bytes: &[u8]) -> BoxedUint {
    BoxedUint::from_be_slice_vartime(bytes)
}

fn bit_length(bytes: &[u8]) -> u32 {
    let bytes = &bytes[bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len())..];
    match bytes.first() {
        None => 0,
        #[allow(clippy::cast_possible_truncation)]
        Some(first) => (bytes.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
    }
}

/// RSA public key components, any modulus size from 512 to 16384 bits.
pub(crate) fn rsa_public(n: &[u8], e: &[u8]) -> Option<rsa::PublicKey> {
    rsa::PublicKey::new_with_size_limits(uint(n), uint(e), 512..=16384).ok()
}

/// DSA domain parameters of any size (`p`, `q`, `g`).
pub(crate) fn dsa_components(params: &[u8]) -> Option<dsa::Components> {
    let mut reader = SliceReader::new(params).ok()?;
    let (p, q, g) = reader
        .sequence(|r| {
            Ok::<_, der::Error>((
                UintRef::decode(r)?.as_bytes().to_vec(),
                UintRef::decode(r)?.as_bytes().to_vec(),
                UintRef::decode(r)?.as_bytes().to_vec(),
            ))
        })
        .ok()?;
    dsa::Components::from_components_unchecked(uint(&p), uint(&q), uint(&g)).ok()
}

/// The bit length of the prime of PKCS #3 DH parameters.
fn dh_bits(params: &[u8]) -> Option<u32> {
    let mut reader = SliceReader::new(params).ok()?;
    reader
        .sequence(|r| {
            let p = UintRef::decode(r)?;
            let _g = UintRef::decode(r)?;
            while !r.is_finished() {
                der::asn1::AnyRef::decode(r)?;
            }
            Ok::<_, der::Error>(bit_length(p.as_bytes()))
        })
        .ok()
}

fn ec_verifier(curve: Curve, point: &[u8]) -> Option<Verifier> {
    Some(match curve {
        Curve::P192 => Verifier::P192(p192::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?),
        Curve::P224 => Verifier::P224(p224::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?),
        Curve::P256 => Verifier::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?),
        Curve::P384 => Verifier::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?),
        Curve::P521 => Verifier::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?),
        Curve::K256 => Verifier::K256(k256::ecdsa::VerifyingKey::from_sec1_bytes(point).ok()?),
        Curve::Bp256 => Verifier::Bp256(Bp256Verifier::from_sec1_bytes(point).ok()?),
        Curve::Bp384 => Verifier::Bp384(Bp384Verifier::from_sec1_bytes(point).ok()?),
    })
}

fn ec_key(params: Option<&[u8]>, point: &[u8]) -> Option<PublicKey> {
    let oid = ObjectIdentifier::from_der(params?).ok()?;
    let named = named_curve(&oid)?;
    let verifier = match named.curve {
        Some(curve) => ec_verifier(curve, point)?,
        None => Verifier::None,
    };
    Some(PublicKey {
        kind: KeyType::Ec,
        bits: named.bits,
        curve: Some(named.name),
        verifier,
        spki: Vec::new(),
    })
}

/// ECDSA verification with the previous generation of the curve crates (P-192, P-224, whose
/// `signature` crate is another version).
macro_rules! verify_016 {
    ($curve:ident, $key:expr, $digest:expr, $der:expr) => {{
        use $curve::ecdsa::signature::hazmat::PrehashVerifier as _;
        $curve::ecdsa::Signature::from_der($der)
            .is_ok_and(|s| $key.verify_prehash($digest, &s).is_ok())
    }};
}

impl PublicKey {
    /// The key of a DER SubjectPublicKeyInfo. Anything DCMTK (with OpenSSL 3) cannot use as a
    /// signing key, including malformed keys, is a key of type [`KeyType::None`].
    #[must_use]
    pub fn from_spki(der: &[u8]) -> PublicKey {
        let mut key = Self::parse(der).unwrap_or(PublicKey {
            kind: KeyType::None,
            bits: 0,
            curve: None,
            verifier: Verifier::None,
            spki: Vec::new(),
        });
        key.spki = der.to_vec();
        key
    }

    fn parse(der: &[u8]) -> Option<PublicKey> {
        let spki = SubjectPublicKeyInfoRef::from_der(der).ok()?;
        let oid = spki.algorithm.oid;
        let params = spki
            .algorithm
            .parameters
            .as_ref()
            .map(der::Encode::to_der)
            .transpose()
            .ok()?;
        let key: &BitStringRef<'_> = &spki.subject_public_key;
        let key = key.as_bytes()?;
        if oid == OID_RSA || oid == OID_RSA_X500 {
            let pkcs1 = pkcs1::RsaPublicKey::<UintRef<'_>>::from_der(key).ok()?;
            let n = pkcs1.modulus.as_bytes();
            let rsa = rsa_public(n, pkcs1.public_exponent.as_bytes())?;
            return Some(PublicKey {
                kind: KeyType::Rsa,
                bits: rsa.n().bit_width_vartime(),
                curve: None,
                verifier: Verifier::Rsa(rsa),
                spki: Vec::new(),
            });
        }
        if oid == OID_DSA || oid == OID_DSA_OIW {
            let components = dsa_components(params.as_deref()?)?;
            let bits = components.p().bit_width_vartime();
            let y = UintRef::from_der(key).ok()?;
            let verifying =
                dsa::VerifyingKey::from_components(components, uint(y.as_bytes())).ok()?;
            return Some(PublicKey {
                kind: KeyType::Dsa,
                bits,
                curve: None,
                verifier: Verifier::Dsa(Box::new(verifying)),
                spki: Vec::new(),
            });
        }
        if oid == OID_EC {
            return ec_key(params.as_deref(), key);
        }
        if oid == OID_DH {
            let bits = dh_bits(params.as_deref()?)?;
            UintRef::from_der(key).ok()?;
            return Some(PublicKey {
                kind: KeyType::Dh,
                bits,
                curve: None,
                verifier: Verifier::None,
                spki: Vec::new(),
            });
        }
        None
    }

    pub(crate) fn from_parts(
        kind: KeyType,
        bits: u32,
        curve: Option<&'static str>,
        verifier: Verifier,
    ) -> PublicKey {
        PublicKey {
            kind,
            bits,
            curve,
            verifier,
            spki: Vec::new(),
        }
    }

    /// True when `other` is the same key (OpenSSL's `EVP_PKEY_eq`): the same key material for
    /// keys this module computes with, else the same SubjectPublicKeyInfo.
    #[must_use]
    pub fn same_key(&self, other: &PublicKey) -> bool {
        match (&self.verifier, &other.verifier) {
            (Verifier::None, _) | (_, Verifier::None) => {
                self.kind == other.kind && !self.spki.is_empty() && self.spki == other.spki
            }
            (a, b) => a == b,
        }
    }

    pub(crate) fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// DCMTK's key class.
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        self.kind
    }

    /// OpenSSL's `EVP_PKEY_bits`: modulus or prime bits, curve order bits; 0 for type none.
    #[must_use]
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// OpenSSL's short name of an elliptic curve (`prime256v1`, `secp384r1`...).
    #[must_use]
    pub fn curve(&self) -> Option<&'static str> {
        self.curve
    }

    /// DCMTK's description: `RSA, 2048 bits`, `EC, curve prime256v1, 256 bits`,
    /// `unknown type`.
    #[must_use]
    pub fn description(&self) -> String {
        match (self.kind, self.curve) {
            (KeyType::None, _) => "unknown type".into(),
            (kind, Some(curve)) => format!("{}, curve {curve}, {} bits", kind.name(), self.bits),
            (kind, None) => format!("{}, {} bits", kind.name(), self.bits),
        }
    }

    /// DCMTK's weak key test: RSA, DSA and DH below 1024 bits, EC below 256 bits, and any key
    /// of type none.
    #[must_use]
    pub fn is_weak(&self) -> bool {
        match self.kind {
            KeyType::Rsa | KeyType::Dsa | KeyType::Dh => self.bits < 1024,
            KeyType::Ec => self.bits < 256,
            KeyType::None => true,
        }
    }

    /// DCMTK's warning for a weak key (`Certificate contains a weak key: RSA, 768 bits`; no
    /// curve name for EC), or `None`.
    #[must_use]
    pub fn weak_key_warning(&self) -> Option<String> {
        if !self.is_weak() {
            return None;
        }
        Some(match self.kind {
            KeyType::None => "Certificate contains a weak key: unknown type".into(),
            kind => format!(
                "Certificate contains a weak key: {}, {} bits",
                kind.name(),
                self.bits
            ),
        })
    }

    /// True when signatures of this key can be checked here (every key DCMTK can verify except
    /// brainpoolP512r1 ones).
    #[must_use]
    pub fn can_verify(&self) -> bool {
        !matches!(self.verifier, Verifier::None)
    }

    /// Checks a DICOM signature over `digest`, the MAC digest made with `alg`. An RSA
    /// signature may carry one pad byte; DSA and ECDSA signatures are trimmed to their DER
    /// length in every length form.
    #[must_use]
    pub fn verify_digest(&self, alg: MacAlgorithm, digest: &[u8], signature: &[u8]) -> bool {
        use signature::hazmat::PrehashVerifier;
        if digest.len() != alg.digest_len() {
            return false;
        }
        let der = trim(signature);
        match &self.verifier {
            Verifier::Rsa(k) => {
                let size = k.size();
                let sig = match signature.split_last() {
                    Some((0, rest)) if signature.len() == size + 1 => rest,
                    _ => signature,
                };
                k.verify(pkcs1v15(alg), digest, sig).is_ok()
            }
            Verifier::Dsa(k) => {
                dsa::Signature::try_from(der).is_ok_and(|s| k.verify_prehash(digest, &s).is_ok())
            }
            Verifier::P192(k) => verify_016!(p192, k, digest, der),
            Verifier::P224(k) => verify_016!(p224, k, digest, der),
            Verifier::P256(k) => ecdsa::Signature::<p256::NistP256>::from_der(der)
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            Verifier::P384(k) => ecdsa::Signature::<p384::NistP384>::from_der(der)
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            Verifier::P521(k) => ecdsa::Signature::<p521::NistP521>::from_der(der)
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            // secp256k1 verification insists on low S; OpenSSL's signatures need not have it.
            Verifier::K256(k) => ecdsa::Signature::<k256::Secp256k1>::from_der(der)
                .is_ok_and(|s| k.verify_prehash(digest, &s.normalize_s()).is_ok()),
            Verifier::Bp256(k) => ecdsa::Signature::<bp256::BrainpoolP256r1>::from_der(der)
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            Verifier::Bp384(k) => ecdsa::Signature::<bp384::BrainpoolP384r1>::from_der(der)
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            Verifier::None => false,
        }
    }
}

/// The PKCS#1 v1.5 signature scheme of DICOM signatures made with `alg` (DigestInfo prefix).
pub(crate) fn pkcs1v15(alg: MacAlgorithm) -> rsa::Pkcs1v15Sign {
    rsa::Pkcs1v15Sign {
        hash_len: Some(alg.digest_len()),
        prefix: digest_info_prefix(alg).into(),
    }
}

/// The DER DigestInfo prefix of PKCS#1 v1.5 signatures for `alg`.
#[must_use]
pub fn digest_info_prefix(alg: MacAlgorithm) -> &'static [u8] {
    match alg {
        MacAlgorithm::Md5 => &[
            0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05,
            0x05, 0x00, 0x04, 0x10,
        ],
        MacAlgorithm::Sha1 => &[
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ],
        MacAlgorithm::Ripemd160 => &[
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x24, 0x03, 0x02, 0x01, 0x05, 0x00, 0x04,
            0x14,
        ],
        MacAlgorithm::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
        MacAlgorithm::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
        MacAlgorithm::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
    }
}
