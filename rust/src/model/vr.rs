//! Value representations as DCMTK holds them in memory.

/// A value representation. `Unknown` stands for DCMTK's unknown VR (an explicit VR that is not
/// a standard one, or an implicit-VR element missing from the dictionary); like `UN` it is never
/// signable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::upper_case_acronyms, missing_docs)]
pub enum Vr {
    AE,
    AS,
    AT,
    CS,
    DA,
    DS,
    DT,
    FD,
    FL,
    IS,
    LO,
    LT,
    OB,
    OD,
    OF,
    OL,
    OV,
    OW,
    PN,
    SH,
    SL,
    SQ,
    SS,
    ST,
    SV,
    TM,
    UC,
    UI,
    UL,
    UN,
    UR,
    US,
    UT,
    UV,
    Unknown,
}

const TABLE: [(Vr, &[u8; 2]); 34] = [
    (Vr::AE, b"AE"),
    (Vr::AS, b"AS"),
    (Vr::AT, b"AT"),
    (Vr::CS, b"CS"),
    (Vr::DA, b"DA"),
    (Vr::DS, b"DS"),
    (Vr::DT, b"DT"),
    (Vr::FD, b"FD"),
    (Vr::FL, b"FL"),
    (Vr::IS, b"IS"),
    (Vr::LO, b"LO"),
    (Vr::LT, b"LT"),
    (Vr::OB, b"OB"),
    (Vr::OD, b"OD"),
    (Vr::OF, b"OF"),
    (Vr::OL, b"OL"),
    (Vr::OV, b"OV"),
    (Vr::OW, b"OW"),
    (Vr::PN, b"PN"),
    (Vr::SH, b"SH"),
    (Vr::SL, b"SL"),
    (Vr::SQ, b"SQ"),
    (Vr::SS, b"SS"),
    (Vr::ST, b"ST"),
    (Vr::SV, b"SV"),
    (Vr::TM, b"TM"),
    (Vr::UC, b"UC"),
    (Vr::UI, b"UI"),
    (Vr::UL, b"UL"),
    (Vr::UN, b"UN"),
    (Vr::UR, b"UR"),
    (Vr::US, b"US"),
    (Vr::UT, b"UT"),
    (Vr::UV, b"UV"),
];

impl Vr {
    /// Parses a standard two-letter VR.
    #[must_use]
    pub fn from_bytes(b: [u8; 2]) -> Option<Vr> {
        TABLE.iter().find(|(_, s)| **s == b).map(|(v, _)| *v)
    }

    /// Parses a standard VR given as text.
    #[must_use]
    pub fn parse(s: &str) -> Option<Vr> {
        let b = s.as_bytes();
        if b.len() == 2 {
            Self::from_bytes([b[0], b[1]])
        } else {
            None
        }
    }

    /// The two characters written in explicit VR encodings; unknown VRs are written as `UN`.
    #[must_use]
    pub fn code(self) -> [u8; 2] {
        match self {
            Vr::Unknown => *b"UN",
            v => *TABLE
                .iter()
                .find(|(t, _)| *t == v)
                .map_or(b"UN", |(_, s)| *s),
        }
    }

    /// The VR as a string (`"UN"` for unknown).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Vr::Unknown => "UN",
            v => TABLE
                .iter()
                .find(|(t, _)| *t == v)
                .and_then(|(_, s)| std::str::from_utf8(*s).ok())
                .unwrap_or("UN"),
        }
    }

    /// True when explicit VR encodings use 2 reserved bytes and a 4-byte length field.
    #[must_use]
    pub fn has_long_length(self) -> bool {
        matches!(
            self,
            Vr::OB
                | Vr::OD
                | Vr::OF
                | Vr::OL
                | Vr::OV
                | Vr::OW
                | Vr::SQ
                | Vr::SV
                | Vr::UC
                | Vr::UR
                | Vr::UT
                | Vr::UV
                | Vr::UN
                | Vr::Unknown
        )
    }

    /// True for the character-string VRs that DCMTK pads and normalizes.
    #[must_use]
    pub fn is_string(self) -> bool {
        matches!(
            self,
            Vr::AE
                | Vr::AS
                | Vr::CS
                | Vr::DA
                | Vr::DS
                | Vr::DT
                | Vr::IS
                | Vr::LO
                | Vr::LT
                | Vr::PN
                | Vr::SH
                | Vr::ST
                | Vr::TM
                | Vr::UC
                | Vr::UI
                | Vr::UR
                | Vr::UT
        )
    }

    /// True for UN and unknown VRs, which make an element unsignable.
    #[must_use]
    pub fn is_unknown(self) -> bool {
        matches!(self, Vr::UN | Vr::Unknown)
    }

    /// Size of the unit that is byte-swapped between little and big endian.
    #[must_use]
    pub fn swap_unit(self) -> u8 {
        match self {
            Vr::US | Vr::SS | Vr::OW | Vr::AT => 2,
            Vr::UL | Vr::SL | Vr::FL | Vr::OF | Vr::OL => 4,
            Vr::FD | Vr::OD | Vr::SV | Vr::UV | Vr::OV => 8,
            _ => 1,
        }
    }

    /// True for VRs whose values may be large binary data kept in the file.
    #[must_use]
    pub fn is_bulk(self) -> bool {
        matches!(
            self,
            Vr::OB | Vr::OD | Vr::OF | Vr::OL | Vr::OV | Vr::OW | Vr::UN | Vr::Unknown
        )
    }

    /// True when an odd-length value is padded with one zero byte on load (strings, OB, UN).
    #[must_use]
    pub fn pads_odd_length(self) -> bool {
        self.is_string() || matches!(self, Vr::OB | Vr::UN | Vr::Unknown)
    }
}

/// Swaps the byte order of every `unit`-sized word of `data` in place (a trailing partial
/// word is left untouched).
pub fn swap_in_place(data: &mut [u8], unit: u8) {
    if unit > 1 {
        for chunk in data.chunks_exact_mut(unit as usize) {
            chunk.reverse();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for (v, s) in TABLE {
            assert_eq!(Vr::from_bytes(*s), Some(v));
            assert_eq!(&v.code(), s);
        }
        assert_eq!(Vr::from_bytes(*b"XX"), None);
        assert_eq!(Vr::Unknown.code(), *b"UN");
        assert!(Vr::UT.has_long_length());
        assert!(!Vr::US.has_long_length());
        let mut d = [1, 2, 3, 4, 5];
        swap_in_place(&mut d, 2);
        assert_eq!(d, [2, 1, 4, 3, 5]);
    }
}
