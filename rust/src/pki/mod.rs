//! Public-key infrastructure: DER and PEM, public keys, certificates, the check and creation
//! of DICOM signatures over a MAC digest, and the quick chain check.
//!
//! The complete emulation of OpenSSL's chain validation (with CRLs and DCMTK's messages) is in
//! Python (`dicomsign.pki`); [`chain`] only answers "surely valid" or "not sure".

pub mod certificate;
pub mod chain;
pub mod der;
pub mod key;
pub mod pem;
pub mod private_key;

pub use certificate::Certificate;
pub use key::{KeyType, PublicKey};
pub use private_key::PrivateKey;
