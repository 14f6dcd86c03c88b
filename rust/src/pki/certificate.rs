//! X.509 certificates: what DCMTK reads of a signer's certificate, and what the conservative
//! chain check of [`crate::pki::chain`] needs.
//!
//! Parsing is as lenient as OpenSSL's `d2i_X509`: a certificate whose outer structure parses is
//! a certificate, whatever its extensions hold (an extension this module cannot decode only
//! makes the chain check unsure), and a key DCMTK cannot use is a key of type none.

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Tagged};

use crate::mac::digest::{Hasher, MacAlgorithm};
use crate::pki::der::{tlv, trim};
use crate::pki::key::{KeyType, PublicKey, Verifier};

const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_CRL_DISTRIBUTION_POINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.31");
const OID_AUTHORITY_INFO_ACCESS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");

const OID_SHA256_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_SHA384_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_SHA512_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const OID_ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const OID_DSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.2");

/// keyUsage keyCertSign (bit 5).
pub(crate) const KEY_CERT_SIGN: u16 = 1 << 5;

/// A parsed certificate.
#[derive(Clone, Debug)]
pub struct Certificate {
    der: Vec<u8>,
    spki: Vec<u8>,
    tbs: (usize, usize),
    pub(crate) subject: Vec<u8>,
    pub(crate) issuer: Vec<u8>,
    not_before: i64,
    not_after: i64,
    key: PublicKey,
    signature_algorithm: ObjectIdentifier,
    signature_has_params: bool,
    signature: Vec<u8>,
    /// (cA, pathLenConstraint) of basicConstraints.
    pub(crate) basic_constraints: Option<(bool, Option<u32>)>,
    /// keyUsage bits (bit 0 = digitalSignature ... bit 5 = keyCertSign).
    pub(crate) key_usage: Option<u16>,
    subject_key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    /// True when something about the certificate makes the quick chain check unsure.
    pub(crate) unusual: bool,
}

fn unix_seconds(t: &x509_cert::time::Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

impl Certificate {
    /// Parses a DER certificate (DCMTK's pad byte after it is ignored); `None` when the data
    /// is not a certificate.
    #[must_use]
    pub fn from_der(data: &[u8]) -> Option<Certificate> {
        let data = trim(data);
        let cert = x509_cert::Certificate::from_der(data).ok()?;
        let (h, _) = tlv(data)?;
        let (th, tl) = tlv(&data[h..])?;
        let tbs = cert.tbs_certificate();
        let spki = tbs.subject_public_key_info().to_der().ok()?;
        let mut parsed = Certificate {
            der: data.to_vec(),
            key: PublicKey::from_spki(&spki),
            spki,
            tbs: (h, h + th + tl),
            subject: tbs.subject().to_der().ok()?,
            issuer: tbs.issuer().to_der().ok()?,
            not_before: unix_seconds(&tbs.validity().not_before),
            not_after: unix_seconds(&tbs.validity().not_after),
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
            if parsed.read_extension(ext).is_none() {
                parsed.unusual = true;
            }
        }
        Some(parsed)
    }

    /// Records one extension; `None` when it cannot be decoded.
    fn read_extension(&mut self, ext: &x509_cert::ext::Extension) -> Option<()> {
        use x509_cert::ext::pkix;
        let value = ext.extn_value.as_bytes();
        let id = ext.extn_id;
        if id == OID_BASIC_CONSTRAINTS {
            let bc = pkix::BasicConstraints::from_der(value).ok()?;
            self.basic_constraints = Some((bc.ca, bc.path_len_constraint.map(u32::from)));
        } else if id == OID_KEY_USAGE {
            self.key_usage = Some(pkix::KeyUsage::from_der(value).ok()?.0.bits());
        } else if id == OID_SUBJECT_KEY_ID {
            let ski = pkix::SubjectKeyIdentifier::from_der(value).ok()?;
            self.subject_key_id = Some(ski.0.as_bytes().to_vec());
        } else if id == OID_AUTHORITY_KEY_ID {
            let aki = pkix::AuthorityKeyIdentifier::from_der(value).ok()?;
            if aki.authority_cert_issuer.is_some() || aki.authority_cert_serial_number.is_some() {
                self.unusual = true;
            }
            self.authority_key_id = aki.key_identifier.map(|k| k.as_bytes().to_vec());
        } else if ext.critical && id != OID_EXT_KEY_USAGE {
            // A critical extension OpenSSL may or may not handle: check completely.
            self.unusual = true;
        } else if ![
            OID_EXT_KEY_USAGE,
            OID_SUBJECT_ALT_NAME,
            OID_CRL_DISTRIBUTION_POINTS,
            OID_AUTHORITY_INFO_ACCESS,
        ]
        .contains(&id)
        {
            // Name constraints, policies and anything else: check completely.
            self.unusual = true;
        }
        Some(())
    }

    /// The DER encoding (without a pad byte).
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The DER SubjectPublicKeyInfo.
    #[must_use]
    pub fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// The subject's public key.
    #[must_use]
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The key class.
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        self.key.key_type()
    }

    /// notBefore and notAfter as Unix seconds.
    #[must_use]
    pub fn validity(&self) -> (i64, i64) {
        (self.not_before, self.not_after)
    }

    pub(crate) fn self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    /// True when `self` issued `subject` and its signature on it verifies (only the signature
    /// algorithms the quick chain check knows; others count as not verified).
    pub(crate) fn signed(&self, subject: &Certificate) -> bool {
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
        let key_matches = match self.key.verifier() {
            Verifier::Rsa(_) => rsa_alg,
            Verifier::Dsa(_) => alg == OID_DSA_SHA256,
            Verifier::None => false,
            _ => !rsa_alg && alg != OID_DSA_SHA256,
        };
        if !key_matches {
            return false;
        }
        let mut h = Hasher::new(mac);
        h.update(tbs);
        self.key
            .verify_digest(mac, &h.finalize(), &subject.signature)
    }

    pub(crate) fn may_issue(&self, subject: &Certificate) -> bool {
        if self.subject != subject.issuer {
            return false;
        }
        match (&self.subject_key_id, &subject.authority_key_id) {
            (Some(s), Some(a)) => s == a,
            _ => true,
        }
    }
}
