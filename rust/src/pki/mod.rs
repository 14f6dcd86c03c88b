//! X.509 certificates for the verification fast path: parsing, the check of a DICOM
//! signature (RSA PKCS#1 v1.5, ECDSA, DSA over the MAC digest) and a conservative chain check.
//!
//! The chain check answers "OpenSSL's `X509_verify_cert`, configured as DCMTK configures it,
//! surely accepts this chain" or "not sure". It never reports an error: whenever it is not
//! sure, the caller runs the complete emulation (`dicomsign.trust`), which gives OpenSSL's exact
//! error. It is sound because it accepts only chains where every check OpenSSL makes is known
//! to pass: issuers found by exact name, every certificate signature verified, all validity
//! periods current, CA flags, key usage and path length respected, no critical extension it
//! does not know, no name constraints or policies, and a self-signed trust anchor.

pub mod private_key;

use std::path::Path;

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Tagged};
use rsa::traits::PublicKeyParts;
use signature::hazmat::PrehashVerifier;
use spki::DecodePublicKey;

use crate::mac::digest::{Hasher, MacAlgorithm};

/// A public key of a supported type.
enum Key {
    Rsa(rsa::PublicKey),
    Dsa(Box<dsa::VerifyingKey>),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Other,
}

/// The key type as DCMTK names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// RSA.
    Rsa,
    /// DSA.
    Dsa,
    /// Elliptic curve (P-256, P-384 or P-521).
    Ec,
    /// Anything else (not usable for DICOM signatures here).
    Other,
}

/// A parsed certificate with what the checks need.
pub struct Certificate {
    der: Vec<u8>,
    spki: Vec<u8>,
    tbs: (usize, usize),
    subject: Vec<u8>,
    issuer: Vec<u8>,
    not_before: i64,
    not_after: i64,
    key: Key,
    signature_algorithm: ObjectIdentifier,
    signature_has_params: bool,
    signature: Vec<u8>,
    /// (cA, pathLenConstraint) of basicConstraints.
    basic_constraints: Option<(bool, Option<u32>)>,
    /// keyUsage bits (bit 0 = digitalSignature ... bit 5 = keyCertSign).
    key_usage: Option<u16>,
    subject_key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    /// True when an extension forces the complete check.
    unusual: bool,
}

const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_CRL_DISTRIBUTION_POINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.31");
const OID_AUTHORITY_INFO_ACCESS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_DSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

const OID_SHA256_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_SHA384_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_SHA512_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const OID_ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const OID_DSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.2");

/// The DER header length and the content length of the TLV at the start of `data`.
fn tlv(data: &[u8]) -> Option<(usize, usize)> {
    let first = *data.get(1)?;
    if first < 0x80 {
        return Some((2, first as usize));
    }
    let n = (first & 0x7F) as usize;
    if n == 0 || n > 4 || data.len() < 2 + n {
        return None;
    }
    let len = data[2..2 + n]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | *b as usize);
    Some((2 + n, len))
}

/// Trims a trailing pad after the outer DER TLV (DCMTK pads odd-length values with 0x00).
#[must_use]
pub fn trim_der(data: &[u8]) -> &[u8] {
    match tlv(data) {
        Some((h, l)) if h + l <= data.len() => &data[..h + l],
        _ => data,
    }
}

fn unix_seconds(t: &x509_cert::time::Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

impl Certificate {
    /// Parses a DER certificate (a trailing pad byte is ignored).
    ///
    /// Returns `None` for anything that is not a certificate this module understands.
    #[must_use]
    pub fn from_der(data: &[u8]) -> Option<Certificate> {
        Self::parse(data).ok()
    }

    fn parse(data: &[u8]) -> Result<Certificate, ()> {
        let data = trim_der(data);
        let cert = x509_cert::Certificate::from_der(data).map_err(|_| ())?;
        let (h, _) = tlv(data).ok_or(())?;
        let (th, tl) = tlv(&data[h..]).ok_or(())?;
        let tbs = cert.tbs_certificate();
        let spki_der = tbs.subject_public_key_info().to_der().map_err(|_| ())?;
        let algorithm = tbs.subject_public_key_info().algorithm.oid;
        let key = if algorithm == OID_RSA {
            rsa::PublicKey::from_public_key_der(&spki_der).map_or(Key::Other, Key::Rsa)
        } else if algorithm == OID_DSA {
            dsa::VerifyingKey::from_public_key_der(&spki_der)
                .map_or(Key::Other, |k| Key::Dsa(Box::new(k)))
        } else if algorithm == OID_EC {
            if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(&spki_der) {
                Key::P256(k)
            } else if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_der(&spki_der) {
                Key::P384(k)
            } else if let Ok(k) = p521::ecdsa::VerifyingKey::from_public_key_der(&spki_der) {
                Key::P521(k)
            } else {
                Key::Other
            }
        } else {
            Key::Other
        };
        let mut parsed = Certificate {
            der: data.to_vec(),
            spki: spki_der.clone(),
            tbs: (h, h + th + tl),
            subject: tbs.subject().to_der().map_err(|_| ())?,
            issuer: tbs.issuer().to_der().map_err(|_| ())?,
            not_before: unix_seconds(&tbs.validity().not_before),
            not_after: unix_seconds(&tbs.validity().not_after),
            key,
            signature_algorithm: cert.signature_algorithm().oid,
            signature_has_params: cert
                .signature_algorithm()
                .parameters
                .as_ref()
                .is_some_and(|p| p.tag() != der::Tag::Null),
            signature: cert.signature().raw_bytes().to_vec(),
            basic_constraints: None,
            key_usage: None,
            subject_key_id: None,
            authority_key_id: None,
            unusual: tbs.issuer_unique_id().is_some() || tbs.subject_unique_id().is_some(),
        };
        for ext in tbs.extensions().into_iter().flatten() {
            let value = ext.extn_value.as_bytes();
            let id = ext.extn_id;
            if id == OID_BASIC_CONSTRAINTS {
                let bc = x509_cert::ext::pkix::BasicConstraints::from_der(value).map_err(|_| ())?;
                parsed.basic_constraints = Some((bc.ca, bc.path_len_constraint.map(u32::from)));
            } else if id == OID_KEY_USAGE {
                let ku = x509_cert::ext::pkix::KeyUsage::from_der(value).map_err(|_| ())?;
                parsed.key_usage = Some(ku.0.bits());
            } else if id == OID_SUBJECT_KEY_ID {
                let ski =
                    x509_cert::ext::pkix::SubjectKeyIdentifier::from_der(value).map_err(|_| ())?;
                parsed.subject_key_id = Some(ski.0.as_bytes().to_vec());
            } else if id == OID_AUTHORITY_KEY_ID {
                let aki = x509_cert::ext::pkix::AuthorityKeyIdentifier::from_der(value)
                    .map_err(|_| ())?;
                if aki.authority_cert_issuer.is_some() || aki.authority_cert_serial_number.is_some()
                {
                    parsed.unusual = true;
                }
                parsed.authority_key_id = aki.key_identifier.map(|k| k.as_bytes().to_vec());
            } else if ext.critical && id != OID_EXT_KEY_USAGE {
                // A critical extension OpenSSL may or may not handle: check completely.
                parsed.unusual = true;
            } else if ![
                OID_EXT_KEY_USAGE,
                OID_SUBJECT_ALT_NAME,
                OID_CRL_DISTRIBUTION_POINTS,
                OID_AUTHORITY_INFO_ACCESS,
            ]
            .contains(&id)
            {
                // Name constraints, policies and anything else: check completely.
                parsed.unusual = true;
            }
        }
        Ok(parsed)
    }

    /// The DER encoding.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The DER SubjectPublicKeyInfo of the certificate's key.
    #[must_use]
    pub fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// The key type.
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        match self.key {
            Key::Rsa(_) => KeyType::Rsa,
            Key::Dsa(_) => KeyType::Dsa,
            Key::P256(_) | Key::P384(_) | Key::P521(_) => KeyType::Ec,
            Key::Other => KeyType::Other,
        }
    }

    /// True for the keys DCMTK warns about: RSA and DSA below 1024 bits (the elliptic curves
    /// this module knows are all at least 256 bits).
    #[must_use]
    pub fn has_weak_key(&self) -> bool {
        match &self.key {
            Key::Rsa(k) => k.n().bit_width() < 1024,
            Key::Dsa(k) => k.components().p().bit_width() < 1024,
            _ => false,
        }
    }

    /// notBefore and notAfter as Unix seconds.
    #[must_use]
    pub fn validity(&self) -> (i64, i64) {
        (self.not_before, self.not_after)
    }

    fn self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    /// Checks a signature over a precomputed digest made with `alg` (DICOM signatures: RSA
    /// PKCS#1 v1.5 with DigestInfo; DSA and ECDSA DER, padded or not).
    #[must_use]
    pub fn verify_digest(&self, alg: MacAlgorithm, digest: &[u8], signature: &[u8]) -> bool {
        match &self.key {
            Key::Rsa(k) => {
                let size = k.size();
                let sig = if signature.len() == size + 1 && signature[size] == 0 {
                    &signature[..size]
                } else {
                    signature
                };
                let scheme = rsa::Pkcs1v15Sign {
                    hash_len: Some(alg.digest_len()),
                    prefix: digest_info_prefix(alg).into(),
                };
                k.verify(scheme, digest, sig).is_ok()
            }
            Key::Dsa(k) => dsa::Signature::try_from(trim_der(signature))
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            Key::P256(k) => {
                ecdsa::der::Signature::<p256::NistP256>::from_bytes(trim_der(signature))
                    .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok())
            }
            Key::P384(k) => {
                ecdsa::der::Signature::<p384::NistP384>::from_bytes(trim_der(signature))
                    .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok())
            }
            Key::P521(k) => {
                ecdsa::der::Signature::<p521::NistP521>::from_bytes(trim_der(signature))
                    .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok())
            }
            Key::Other => false,
        }
    }

    /// True when `self` issued `subject` and its signature on it verifies (only the
    /// signature algorithms the fast path knows; others count as not verified).
    fn signed(&self, subject: &Certificate) -> bool {
        if subject.signature_has_params {
            return false;
        }
        let tbs = &subject.der[subject.tbs.0..subject.tbs.1];
        let alg = subject.signature_algorithm;
        let (mac, rsa_alg) =
            if alg == OID_SHA256_RSA || alg == OID_ECDSA_SHA256 || alg == OID_DSA_SHA256 {
                (MacAlgorithm::Sha256, alg == OID_SHA256_RSA)
            } else if alg == OID_SHA384_RSA || alg == OID_ECDSA_SHA384 {
                (MacAlgorithm::Sha384, alg == OID_SHA384_RSA)
            } else if alg == OID_SHA512_RSA || alg == OID_ECDSA_SHA512 {
                (MacAlgorithm::Sha512, alg == OID_SHA512_RSA)
            } else {
                return false;
            };
        let key_matches = match self.key {
            Key::Rsa(_) => rsa_alg,
            Key::Dsa(_) => alg == OID_DSA_SHA256,
            Key::P256(_) | Key::P384(_) | Key::P521(_) => !rsa_alg && alg != OID_DSA_SHA256,
            Key::Other => false,
        };
        if !key_matches {
            return false;
        }
        let mut h = Hasher::new(mac);
        h.update(tbs);
        self.verify_digest(mac, &h.finalize(), &subject.signature)
    }

    fn may_issue(&self, subject: &Certificate) -> bool {
        if self.subject != subject.issuer {
            return false;
        }
        match (&self.subject_key_id, &subject.authority_key_id) {
            (Some(s), Some(a)) => s == a,
            _ => true,
        }
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

/// The PEM blocks of `text`: (label, DER) pairs; `None` for a malformed block.
#[must_use]
pub fn pem_blocks(text: &str) -> Option<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = &rest[start..];
        let (label, _) = block["-----BEGIN ".len()..].split_once("-----")?;
        let end_marker = format!("-----END {label}-----");
        let end = block.find(&end_marker)? + end_marker.len();
        let (_, der) = der::pem::decode_vec(&block.as_bytes()[..end]).ok()?;
        out.push((label.to_string(), der));
        rest = &block[end..];
    }
    Some(out)
}

/// Reads the certificates of a `+cf`/`+uf` file: every CERTIFICATE block of a PEM file, or
/// one DER certificate. `None` when the file cannot be read, holds anything else, or a
/// certificate does not parse (the complete check then handles the file).
#[must_use]
pub fn read_certificates(path: &Path, der_format: bool) -> Option<Vec<Certificate>> {
    let data = std::fs::read(path).ok()?;
    if der_format {
        return Certificate::from_der(&data).map(|c| vec![c]);
    }
    let blocks = pem_blocks(std::str::from_utf8(&data).ok()?)?;
    if blocks.is_empty() || blocks.iter().any(|(label, _)| label != "CERTIFICATE") {
        return None;
    }
    blocks
        .iter()
        .map(|(_, der)| Certificate::from_der(der))
        .collect()
}

const KEY_CERT_SIGN: u16 = 1 << 5;

/// True when OpenSSL, configured as DCMTK configures it (untrusted certificates searched
/// first, no partial chains, no CRL check), surely accepts the chain of `leaf` at `now`.
/// False means "not sure", never "rejected".
#[must_use]
pub fn chain_surely_valid(
    leaf: &Certificate,
    trusted: &[Certificate],
    untrusted: &[Certificate],
    now: i64,
) -> bool {
    let current = |c: &Certificate| c.not_before < now && now < c.not_after;
    let mut chain: Vec<&Certificate> = vec![leaf];
    loop {
        let last = *chain.last().expect("non-empty");
        if last.unusual || !current(last) {
            return false;
        }
        if last.self_issued() {
            // The top must be a trusted self-signed certificate.
            let trusted_anchor = trusted.iter().any(|t| t.der == last.der);
            return trusted_anchor && last.signed(last) && issuers_ok(&chain);
        }
        if chain.len() > 20 {
            return false;
        }
        let mut candidates: Vec<&Certificate> = Vec::new();
        for c in untrusted.iter().chain(trusted.iter()) {
            if c.may_issue(last) && !candidates.iter().any(|k| k.der == c.der) {
                candidates.push(c);
            }
        }
        // One unambiguous issuer whose signature verifies, else the complete check decides.
        let [issuer] = candidates.as_slice() else {
            return false;
        };
        if !issuer.signed(last) || chain.iter().any(|c| c.der == issuer.der) {
            return false;
        }
        chain.push(issuer);
    }
}

/// CA flags, key usage and path lengths of every issuer in `chain` (leaf first).
fn issuers_ok(chain: &[&Certificate]) -> bool {
    for (depth, cert) in chain.iter().enumerate().skip(1) {
        let Some((true, path_len)) = cert.basic_constraints else {
            return false;
        };
        if cert.key_usage.is_some_and(|ku| ku & KEY_CERT_SIGN == 0) {
            return false;
        }
        // Intermediate CAs below this one (the leaf does not count).
        let below = depth.saturating_sub(1);
        if path_len.is_some_and(|n| below > n as usize) {
            return false;
        }
    }
    // A leaf that claims to be a CA is fine for OpenSSL, as is one without extensions.
    true
}
