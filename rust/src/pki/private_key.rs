//! Private keys held in this process, signing a MAC digest as DCMTK does: RSA PKCS#1 v1.5 with
//! the DigestInfo of the MAC algorithm; DSA and ECDSA as DER over the raw digest, signed again
//! until the DER length is even (DCMTK pads an odd-length DER and cannot always remove the pad).
//!
//! Keys come as PKCS#8 (the key file signer hands over every key it loaded, whatever its file
//! format) or, for the quick path, from an unencrypted PEM file.

use der::asn1::{ObjectIdentifier, UintRef};
use der::Decode;
use rsa::traits::PublicKeyParts;
use signature::hazmat::RandomizedPrehashSigner;

use crate::mac::digest::MacAlgorithm;
use crate::pki::key::{self, Curve, KeyType, PublicKey, Verifier, OID_DSA, OID_EC, OID_RSA};
use crate::pki::pem;

type Bp256Signer = ecdsa::SigningKey<bp256::BrainpoolP256r1>;
type Bp384Signer = ecdsa::SigningKey<bp384::BrainpoolP384r1>;

enum Secret {
    Rsa(rsa::PrivateKey),
    Dsa(Box<dsa::SigningKey>),
    P224(p224::ecdsa::SigningKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    K256(k256::ecdsa::SigningKey),
    Bp256(Bp256Signer),
    Bp384(Bp384Signer),
}

/// A private key that can sign DICOM signatures.
pub struct PrivateKey {
    secret: Secret,
    public: PublicKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("public", &self.public.description())
            .finish_non_exhaustive()
    }
}

/// Why a key cannot sign here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The key is not PKCS#8 (or PKCS#1, SEC1) DER.
    Malformed,
    /// A key type or curve this module cannot sign with (DH, EdDSA, P-192, brainpoolP512r1...).
    Unsupported,
}

/// The operating system's random numbers for the previous generation of the curve crates
/// (P-224), which use `rand_core` 0.6.
struct SystemRandom06;

impl rand_core_06::RngCore for SystemRandom06 {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        getrandom::fill(dest).expect("the operating system's random number generator failed");
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core_06::CryptoRng for SystemRandom06 {}

fn rsa_key(pkcs1_der: &[u8]) -> Result<(Secret, PublicKey), KeyError> {
    let parsed = pkcs1::RsaPrivateKey::<UintRef<'_>>::from_der(pkcs1_der)
        .map_err(|_| KeyError::Malformed)?;
    let k = rsa::PrivateKey::try_from(parsed).map_err(|_| KeyError::Malformed)?;
    let n = k.n().to_be_bytes();
    let e = k.e().to_be_bytes();
    let public = key::rsa_public(&n, &e).ok_or(KeyError::Unsupported)?;
    let bits = public.n().bit_width_vartime();
    Ok((
        Secret::Rsa(k),
        PublicKey::from_parts(KeyType::Rsa, bits, None, Verifier::Rsa(public)),
    ))
}

fn dsa_key(params: &[u8], x: &[u8], y: Option<&[u8]>) -> Result<(Secret, PublicKey), KeyError> {
    use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
    use crypto_bigint::Resize;
    let components = key::dsa_components(params).ok_or(KeyError::Malformed)?;
    let precision = components.p().bits_precision();
    let x = UintRef::from_der(x).map_err(|_| KeyError::Malformed)?;
    let x = key::uint(x.as_bytes()).resize(precision);
    let y = match y {
        Some(y) => key::uint(
            UintRef::from_der(y)
                .map_err(|_| KeyError::Malformed)?
                .as_bytes(),
        )
        .resize(precision),
        None => {
            let params = BoxedMontyParams::new(components.p().clone());
            let g = components.g().as_ref().clone().resize(precision);
            BoxedMontyForm::new(g, &params).pow(&x).retrieve()
        }
    };
    let bits = components.p().bit_width_vartime();
    let verifying =
        dsa::VerifyingKey::from_components(components, y).map_err(|_| KeyError::Malformed)?;
    let signing =
        dsa::SigningKey::from_components(verifying.clone(), x).map_err(|_| KeyError::Malformed)?;
    Ok((
        Secret::Dsa(Box::new(signing)),
        PublicKey::from_parts(KeyType::Dsa, bits, None, Verifier::Dsa(Box::new(verifying))),
    ))
}

#[allow(clippy::needless_pass_by_value)]
fn malformed<E>(_: E) -> KeyError {
    KeyError::Malformed
}

/// An EC key on `curve` from a SEC1 `ECPrivateKey`.
fn ec_key(curve: Curve, sec1_der: &[u8]) -> Result<(Secret, Verifier), KeyError> {
    Ok(match curve {
        Curve::P192 => return Err(KeyError::Unsupported),
        Curve::P224 => {
            let k: p224::ecdsa::SigningKey = p224::SecretKey::from_sec1_der(sec1_der)
                .map_err(malformed)?
                .into();
            let v = Verifier::P224(*k.verifying_key());
            (Secret::P224(k), v)
        }
        Curve::P256 => {
            let k: p256::ecdsa::SigningKey = p256::SecretKey::from_sec1_der(sec1_der)
                .map_err(malformed)?
                .into();
            let v = Verifier::P256(*k.verifying_key());
            (Secret::P256(k), v)
        }
        Curve::P384 => {
            let k: p384::ecdsa::SigningKey = p384::SecretKey::from_sec1_der(sec1_der)
                .map_err(malformed)?
                .into();
            let v = Verifier::P384(*k.verifying_key());
            (Secret::P384(k), v)
        }
        Curve::P521 => {
            let k: p521::ecdsa::SigningKey = p521::SecretKey::from_sec1_der(sec1_der)
                .map_err(malformed)?
                .into();
            let v = Verifier::P521(*k.verifying_key());
            (Secret::P521(k), v)
        }
        Curve::K256 => {
            let k: k256::ecdsa::SigningKey = k256::SecretKey::from_sec1_der(sec1_der)
                .map_err(malformed)?
                .into();
            let v = Verifier::K256(*k.verifying_key());
            (Secret::K256(k), v)
        }
        Curve::Bp256 => {
            let k: Bp256Signer =
                bp256::elliptic_curve::SecretKey::<bp256::BrainpoolP256r1>::from_sec1_der(sec1_der)
                    .map_err(malformed)?
                    .into();
            let v = Verifier::Bp256(*k.verifying_key());
            (Secret::Bp256(k), v)
        }
        Curve::Bp384 => {
            let k: Bp384Signer =
                bp384::elliptic_curve::SecretKey::<bp384::BrainpoolP384r1>::from_sec1_der(sec1_der)
                    .map_err(malformed)?
                    .into();
            let v = Verifier::Bp384(*k.verifying_key());
            (Secret::Bp384(k), v)
        }
    })
}

fn ec_private_key(
    curve_oid: Option<ObjectIdentifier>,
    sec1_der: &[u8],
) -> Result<PrivateKey, KeyError> {
    let sec1 = sec1::EcPrivateKey::from_der(sec1_der).map_err(|_| KeyError::Malformed)?;
    let oid = curve_oid
        .or_else(|| sec1.parameters.and_then(|p| p.named_curve()))
        .ok_or(KeyError::Unsupported)?;
    let (named, bits, curve) = key::curve_of(&oid).ok_or(KeyError::Unsupported)?;
    let curve = curve.ok_or(KeyError::Unsupported)?;
    let (secret, verifier) = ec_key(curve, sec1_der)?;
    Ok(PrivateKey {
        secret,
        public: PublicKey::from_parts(KeyType::Ec, bits, Some(named), verifier),
    })
}

impl PrivateKey {
    /// A key from an unencrypted PKCS#8 `PrivateKeyInfo`.
    ///
    /// # Errors
    /// [`KeyError::Malformed`] for anything that is not such a key, [`KeyError::Unsupported`]
    /// for a key type or curve that cannot sign here.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(der).map_err(|_| KeyError::Malformed)?;
        let oid = info.algorithm.oid;
        let params = info
            .algorithm
            .parameters
            .as_ref()
            .map(der::Encode::to_der)
            .transpose()
            .map_err(|_| KeyError::Malformed)?;
        let private = info.private_key.as_bytes();
        if oid == OID_RSA {
            let (secret, public) = rsa_key(private)?;
            return Ok(PrivateKey { secret, public });
        }
        if oid == OID_DSA {
            let params = params.ok_or(KeyError::Malformed)?;
            let y = info
                .public_key
                .as_ref()
                .and_then(der::asn1::BitStringRef::as_bytes);
            let (secret, public) = dsa_key(&params, private, y)?;
            return Ok(PrivateKey { secret, public });
        }
        if oid == OID_EC {
            let curve = params
                .as_deref()
                .map(ObjectIdentifier::from_der)
                .transpose()
                .map_err(|_| KeyError::Unsupported)?;
            return ec_private_key(curve, private);
        }
        Err(KeyError::Unsupported)
    }

    /// The first private key of an unencrypted PEM file (PKCS#8, traditional RSA or SEC1 EC);
    /// `None` for anything else (encrypted keys included).
    #[must_use]
    pub fn from_pem(content: &[u8]) -> Option<PrivateKey> {
        let block = pem::first(
            content,
            &[
                "PRIVATE KEY",
                "ENCRYPTED PRIVATE KEY",
                "RSA PRIVATE KEY",
                "DSA PRIVATE KEY",
                "EC PRIVATE KEY",
            ],
        )?;
        if block.encrypted() {
            return None;
        }
        let der = block.data?;
        match block.label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8_der(&der).ok(),
            "RSA PRIVATE KEY" => rsa_key(&der)
                .ok()
                .map(|(secret, public)| PrivateKey { secret, public }),
            "EC PRIVATE KEY" => ec_private_key(None, &der).ok(),
            _ => None,
        }
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// True when `public` is the public half of this key (OpenSSL's `X509_check_private_key`).
    #[must_use]
    pub fn matches(&self, public: &PublicKey) -> bool {
        self.public.same_key(public)
    }

    /// True for an RSA modulus of odd byte length: DCMTK pads such signatures and can never
    /// verify them.
    #[must_use]
    pub fn odd_modulus(&self) -> bool {
        matches!(&self.secret, Secret::Rsa(k) if k.size() % 2 == 1)
    }

    /// Signs a MAC digest made with `alg`; `None` if signing fails.
    #[must_use]
    pub fn sign_digest(&self, alg: MacAlgorithm, digest: &[u8]) -> Option<Vec<u8>> {
        if digest.len() != alg.digest_len() {
            return None;
        }
        let mut rng = getrandom::SysRng;
        if let Secret::Rsa(k) = &self.secret {
            return k.sign_with_rng(&mut rng, key::pkcs1v15(alg), digest).ok();
        }
        // Each attempt gives an even length with a probability of about one half.
        for _ in 0..64 {
            let der = match &self.secret {
                Secret::Rsa(_) => return None,
                Secret::Dsa(k) => {
                    let s: dsa::Signature = k.sign_prehash_with_rng(&mut rng, digest).ok()?;
                    der::Encode::to_der(&s).ok()?
                }
                Secret::P224(k) => {
                    use p224::ecdsa::signature::hazmat::RandomizedPrehashSigner as _;
                    let s: p224::ecdsa::Signature =
                        k.sign_prehash_with_rng(&mut SystemRandom06, digest).ok()?;
                    s.to_der().as_bytes().to_vec()
                }
                Secret::P256(k) => {
                    let s: ecdsa::der::Signature<p256::NistP256> =
                        k.sign_prehash_with_rng(&mut rng, digest).ok()?;
                    s.as_bytes().to_vec()
                }
                Secret::P384(k) => {
                    let s: ecdsa::der::Signature<p384::NistP384> =
                        k.sign_prehash_with_rng(&mut rng, digest).ok()?;
                    s.as_bytes().to_vec()
                }
                Secret::P521(k) => {
                    let s: ecdsa::der::Signature<p521::NistP521> =
                        k.sign_prehash_with_rng(&mut rng, digest).ok()?;
                    s.as_bytes().to_vec()
                }
                Secret::K256(k) => {
                    let s: ecdsa::der::Signature<k256::Secp256k1> =
                        k.sign_prehash_with_rng(&mut rng, digest).ok()?;
                    s.as_bytes().to_vec()
                }
                Secret::Bp256(k) => {
                    let s: ecdsa::der::Signature<bp256::BrainpoolP256r1> =
                        k.sign_prehash_with_rng(&mut rng, digest).ok()?;
                    s.as_bytes().to_vec()
                }
                Secret::Bp384(k) => {
                    let s: ecdsa::der::Signature<bp384::BrainpoolP384r1> =
                        k.sign_prehash_with_rng(&mut rng, digest).ok()?;
                    s.as_bytes().to_vec()
                }
            };
            if der.len() % 2 == 0 {
                return Some(der);
            }
        }
        None
    }
}
