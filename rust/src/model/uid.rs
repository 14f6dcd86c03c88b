//! Unique identifiers: new UIDs, and the identity of this implementation in the files it
//! writes.

/// Implementation Class UID (0002,0012) of files written by dicomsign: a UUID-derived UID
/// under the `2.25` root, fixed for this implementation.
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.184762963301727409521693212871843061097";

/// Implementation Version Name (0002,0013): `DICOMSIGN_` and the digits of the version, at
/// most 16 characters.
#[must_use]
pub fn implementation_version_name() -> String {
    let digits: String = env!("CARGO_PKG_VERSION")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let mut name = format!("DICOMSIGN_{digits}");
    name.truncate(16);
    name
}

/// A new UID under the `2.25` root, from a random (version 4) UUID.
///
/// # Panics
/// When the operating system's random number generator fails.
#[must_use]
pub fn new_uid() -> String {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).expect("the operating system's random number generator failed");
    raw[6] = (raw[6] & 0x0F) | 0x40;
    raw[8] = (raw[8] & 0x3F) | 0x80;
    format!("2.25.{}", u128::from_be_bytes(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids() {
        let a = new_uid();
        assert!(a.starts_with("2.25.") && a.len() <= 64);
        assert_ne!(a, new_uid());
        let n = a[5..].parse::<u128>().unwrap();
        assert_eq!((n >> 76) & 0xF, 4);
        assert_eq!(implementation_version_name(), "DICOMSIGN_010");
    }
}
