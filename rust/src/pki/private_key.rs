//! Private keys held in this process, for the signing fast path: unencrypted PEM keys
//! (PKCS#8, PKCS#1 RSA, SEC1 EC) with their certificate, signing a MAC digest as DCMTK does
//! (RSA PKCS#1 v1.5 with DigestInfo; DSA and ECDSA DER, re-signed until the length is even).
//!
//! Anything else (encrypted or DER keys, unusual key types) is left to the complete path
//! (`dicomsign.keys`, with `cryptography`), which also reports DCMTK's errors.

use std::path::Path;

use pkcs1::DecodeRsaPrivateKey;
use pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use signature::hazmat::RandomizedPrehashSigner;

use crate::mac::digest::MacAlgorithm;
use crate::pki::{self, Certificate, KeyType};

enum Private {
    Rsa(rsa::PrivateKey),
    Dsa(Box<dsa::SigningKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

/// A private key and its certificate.
pub struct SigningKey {
    key: Private,
    certificate: Certificate,
}

fn from_pkcs8(der: &[u8]) -> Option<Private> {
    if let Ok(k) = rsa::PrivateKey::from_pkcs8_der(der) {
        return Some(Private::Rsa(k));
    }
    if let Ok(k) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
        return Some(Private::P256(k));
    }
    if let Ok(k) = p384::ecdsa::SigningKey::from_pkcs8_der(der) {
        return Some(Private::P384(k));
    }
    if let Ok(k) = p521::ecdsa::SigningKey::from_pkcs8_der(der) {
        return Some(Private::P521(k));
    }
    dsa::SigningKey::from_pkcs8_der(der)
        .ok()
        .map(|k| Private::Dsa(Box::new(k)))
}

fn from_sec1(der: &[u8]) -> Option<Private> {
    if let Ok(k) = p256::SecretKey::from_sec1_der(der) {
        return Some(Private::P256(k.into()));
    }
    if let Ok(k) = p384::SecretKey::from_sec1_der(der) {
        return Some(Private::P384(k.into()));
    }
    p521::SecretKey::from_sec1_der(der)
        .ok()
        .map(|k| Private::P521(k.into()))
}

impl Private {
    fn public_spki(&self) -> Option<Vec<u8>> {
        let doc = match self {
            Private::Rsa(k) => k.to_public_key().to_public_key_der(),
            Private::Dsa(k) => k.verifying_key().to_public_key_der(),
            Private::P256(k) => k.verifying_key().to_public_key_der(),
            Private::P384(k) => k.verifying_key().to_public_key_der(),
            Private::P521(k) => k.verifying_key().to_public_key_der(),
        };
        doc.ok().map(|d| d.as_bytes().to_vec())
    }
}

impl SigningKey {
    /// Loads an unencrypted PEM private key and the first certificate of a PEM file; `None`
    /// when either is anything else, or when they do not match.
    #[must_use]
    pub fn load(key_path: &Path, cert_path: &Path) -> Option<SigningKey> {
        let cert_text = std::fs::read_to_string(cert_path).ok()?;
        let (_, cert_der) = pki::pem_blocks(&cert_text)?
            .into_iter()
            .find(|(label, _)| label == "CERTIFICATE")?;
        let certificate = Certificate::from_der(&cert_der)?;
        let key_text = std::fs::read_to_string(key_path).ok()?;
        if key_text.contains("ENCRYPTED") {
            return None;
        }
        let key =
            pki::pem_blocks(&key_text)?
                .into_iter()
                .find_map(|(label, der)| match label.as_str() {
                    "PRIVATE KEY" => Some(from_pkcs8(&der)),
                    "RSA PRIVATE KEY" => {
                        Some(rsa::PrivateKey::from_pkcs1_der(&der).ok().map(Private::Rsa))
                    }
                    "EC PRIVATE KEY" => Some(from_sec1(&der)),
                    _ => None,
                })??;
        if key.public_spki()? != certificate.spki() {
            return None;
        }
        Some(SigningKey { key, certificate })
    }

    /// The certificate.
    #[must_use]
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The key type.
    #[must_use]
    pub fn key_type(&self) -> KeyType {
        self.certificate.key_type()
    }

    /// True for an RSA modulus of odd byte length (DCMTK cannot verify such signatures).
    #[must_use]
    pub fn odd_modulus(&self) -> bool {
        matches!(&self.key, Private::Rsa(k) if k.size() % 2 == 1)
    }

    /// Signs a MAC digest made with `alg`; `None` if signing fails.
    #[must_use]
    pub fn sign_digest(&self, alg: MacAlgorithm, digest: &[u8]) -> Option<Vec<u8>> {
        let mut rng = getrandom::SysRng;
        if let Private::Rsa(k) = &self.key {
            let scheme = rsa::Pkcs1v15Sign {
                hash_len: Some(alg.digest_len()),
                prefix: pki::digest_info_prefix(alg).into(),
            };
            return k.sign_with_rng(&mut rng, scheme, digest).ok();
        }
        // DCMTK pads an odd-length DER with a zero byte and cannot always remove it: sign
        // again until the length is even (each attempt succeeds with probability 1/2).
        for _ in 0..64 {
            let der = match &self.key {
                Private::Dsa(k) => {
                    let s: dsa::Signature = k.sign_prehash_with_rng(&mut rng, digest).ok()?;
                    der::Encode::to_der(&s).ok()?
                }
                Private::P256(k) => {
                    let s: ecdsa::der::Signature<p256::NistP256> =
                        k.sign_prehash_with_rng(&mut rng, digest).ok()?;
                    s.as_bytes().to_vec()
                }
                Private::P384(k) => {
                    let s: ecdsa::der::Signature<p384::NistP384> =
                        k.sign_prehash_with_rng(&mut rng, digest).ok()?;
                    s.as_bytes().to_vec()
                }
                Private::P521(k) => {
                    let s: ecdsa::der::Signature<p521::NistP521> =
                        k.sign_prehash_with_rng(&mut rng, digest).ok()?;
                    s.as_bytes().to_vec()
                }
                Private::Rsa(_) => return None,
            };
            if der.len() % 2 == 0 {
                return Some(der);
            }
        }
        None
    }
}
