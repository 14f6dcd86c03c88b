//! The quick chain check: "OpenSSL's `X509_verify_cert`, configured as DCMTK configures it,
//! surely accepts this chain", or "not sure".
//!
//! It never reports an error: whenever it is not sure, the caller runs the complete emulation
//! (`dicomsign.pki`), which gives OpenSSL's exact error. It is sound because it accepts only
//! chains where every check OpenSSL makes is known to pass: issuers found by exact name, every
//! certificate signature verified, all validity periods current, CA flags, key usage and path
//! length respected, no critical extension it does not know, no name constraints or policies,
//! and a self-signed trust anchor.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use crate::pki::certificate::{Certificate, KEY_CERT_SIGN};
use crate::pki::pem;

/// The certificates of `+cf` and `+uf` files, loaded once and used for every signature.
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    trusted: Vec<Certificate>,
    untrusted: Vec<Certificate>,
    /// False when a file could not be read completely: then nothing is surely trusted.
    complete: bool,
    /// The chains already judged.
    judged: ChainCache,
}

/// The answers of [`chain_surely_valid`] at one validation time, by leaf certificate (DER):
/// an archive has few signers, so each distinct chain is built and its signatures verified
/// once per second of validation time instead of once per file. The answers of an earlier
/// time are dropped when the time moves on, so the cache holds at most the distinct leaves
/// of one second.
#[derive(Debug, Default)]
struct ChainCache(Mutex<(i64, HashMap<Vec<u8>, bool>)>);

impl Clone for ChainCache {
    /// A copy starts empty (the answers depend only on the certificates, which are copied).
    fn clone(&self) -> Self {
        ChainCache::default()
    }
}

impl ChainCache {
    fn get_or_judge(&self, leaf: &Certificate, now: i64, judge: impl FnOnce() -> bool) -> bool {
        {
            let guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            if guard.0 == now {
                if let Some(&known) = guard.1.get(leaf.der()) {
                    return known;
                }
            }
        }
        // Judged without the lock: two threads may judge the same chain once each.
        let answer = judge();
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.0 != now {
            *guard = (now, HashMap::new());
        }
        guard.1.insert(leaf.der().to_vec(), answer);
        answer
    }
}

/// The certificates of a `+cf`/`+uf` file: every CERTIFICATE block of a PEM file, or one DER
/// certificate; `None` when the file cannot be read, holds anything else, or a certificate
/// does not parse (the complete check then handles the file and reports it).
#[must_use]
pub fn read_certificates(path: &Path, der: bool) -> Option<Vec<Certificate>> {
    let data = std::fs::read(path).ok()?;
    if der {
        return Certificate::from_der(&data).map(|c| vec![c]);
    }
    let blocks = pem::blocks(&data);
    if blocks.is_empty() || blocks.iter().any(|b| b.label != "CERTIFICATE") {
        return None;
    }
    blocks
        .iter()
        .map(|b| b.data.as_deref().and_then(Certificate::from_der))
        .collect()
}

impl TrustAnchors {
    /// Loads the trusted (`+cf`) and untrusted (`+uf`) certificate files.
    #[must_use]
    pub fn load(trusted: &[&Path], untrusted: &[&Path], der: bool) -> TrustAnchors {
        let load = |paths: &[&Path]| -> Option<Vec<Certificate>> {
            let mut all = Vec::new();
            for p in paths {
                all.extend(read_certificates(p, der)?);
            }
            Some(all)
        };
        match (load(trusted), load(untrusted)) {
            (Some(trusted), Some(untrusted)) => TrustAnchors {
                trusted,
                untrusted,
                complete: true,
                judged: ChainCache::default(),
            },
            _ => TrustAnchors::default(),
        }
    }

    /// True when OpenSSL surely accepts the chain of `leaf` at `now` (Unix seconds) with
    /// these certificates. Each distinct chain is judged once per validation time.
    #[must_use]
    pub fn surely_trusts(&self, leaf: &Certificate, now: i64) -> bool {
        self.complete
            && self.judged.get_or_judge(leaf, now, || {
                chain_surely_valid(leaf, &self.trusted, &self.untrusted, now)
            })
    }
}

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
    let current = |c: &Certificate| {
        let (nb, na) = c.validity();
        nb < now && now < na
    };
    let mut chain: Vec<&Certificate> = vec![leaf];
    loop {
        let last = *chain.last().expect("non-empty");
        if last.unusual || !current(last) {
            return false;
        }
        if last.self_issued() {
            // The top must be a trusted self-signed certificate.
            let trusted_anchor = trusted.iter().any(|t| t.der() == last.der());
            return trusted_anchor && last.signed(last) && issuers_ok(&chain);
        }
        if chain.len() > 20 {
            return false;
        }
        let mut candidates: Vec<&Certificate> = Vec::new();
        for c in untrusted.iter().chain(trusted.iter()) {
            if c.may_issue(last) && !candidates.iter().any(|k| k.der() == c.der()) {
                candidates.push(c);
            }
        }
        // One unambiguous issuer whose signature verifies, else the complete check decides.
        let [issuer] = candidates.as_slice() else {
            return false;
        };
        if !issuer.signed(last) || chain.iter().any(|c| c.der() == issuer.der()) {
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
