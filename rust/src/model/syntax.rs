//! Transfer syntaxes as DCMTK 3.6.7 knows them.

/// Implicit VR Little Endian.
pub const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian.
pub const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
/// Explicit VR Big Endian (retired).
pub const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
/// Deflated Explicit VR Little Endian.
pub const DEFLATED_LE: &str = "1.2.840.10008.1.2.1.99";

/// How a transfer syntax encodes a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Implicit VR little endian.
    ImplicitLittle,
    /// Implicit VR big endian (only ever detected, never named by a UID).
    ImplicitBig,
    /// Explicit VR little endian.
    ExplicitLittle,
    /// Explicit VR big endian.
    ExplicitBig,
    /// Deflated explicit VR little endian.
    Deflated,
    /// Explicit VR little endian with encapsulated (compressed) pixel data.
    Encapsulated,
}

impl Kind {
    /// True for explicit VR encodings.
    #[must_use]
    pub fn explicit(self) -> bool {
        !matches!(self, Kind::ImplicitLittle | Kind::ImplicitBig)
    }

    /// True for little endian encodings.
    #[must_use]
    pub fn little(self) -> bool {
        !matches!(self, Kind::ImplicitBig | Kind::ExplicitBig)
    }
}

/// Encapsulated transfer syntaxes known to DCMTK 3.6.7 (besides RLE).
const ENCAPSULATED: &[&str] = &[
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.52",
    "1.2.840.10008.1.2.4.53",
    "1.2.840.10008.1.2.4.54",
    "1.2.840.10008.1.2.4.55",
    "1.2.840.10008.1.2.4.56",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.58",
    "1.2.840.10008.1.2.4.59",
    "1.2.840.10008.1.2.4.60",
    "1.2.840.10008.1.2.4.61",
    "1.2.840.10008.1.2.4.62",
    "1.2.840.10008.1.2.4.63",
    "1.2.840.10008.1.2.4.64",
    "1.2.840.10008.1.2.4.65",
    "1.2.840.10008.1.2.4.66",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.92",
    "1.2.840.10008.1.2.4.93",
    "1.2.840.10008.1.2.4.100",
    "1.2.840.10008.1.2.4.101",
    "1.2.840.10008.1.2.4.102",
    "1.2.840.10008.1.2.4.103",
    "1.2.840.10008.1.2.4.104",
    "1.2.840.10008.1.2.4.105",
    "1.2.840.10008.1.2.4.106",
    "1.2.840.10008.1.2.4.107",
    "1.2.840.10008.1.2.4.108",
    "1.2.840.10008.1.2.5",
];

/// Other explicit little endian UIDs DCMTK 3.6.7 knows (JPIP referenced, MIME, XML, SMPTE).
const OTHER_EXPLICIT: &[&str] = &[
    "1.2.840.10008.1.2.4.94",
    "1.2.840.10008.1.2.6.1",
    "1.2.840.10008.1.2.6.2",
    "1.2.840.10008.1.2.7.1",
    "1.2.840.10008.1.2.7.2",
    "1.2.840.10008.1.2.7.3",
];

/// The kind of a transfer syntax UID DCMTK 3.6.7 knows, or `None`.
#[must_use]
pub fn kind_of(uid: &str) -> Option<Kind> {
    match uid {
        IMPLICIT_LE => Some(Kind::ImplicitLittle),
        EXPLICIT_LE => Some(Kind::ExplicitLittle),
        EXPLICIT_BE => Some(Kind::ExplicitBig),
        DEFLATED_LE | "1.2.840.10008.1.2.4.95" => Some(Kind::Deflated),
        u if ENCAPSULATED.contains(&u) => Some(Kind::Encapsulated),
        u if OTHER_EXPLICIT.contains(&u) => Some(Kind::ExplicitLittle),
        _ => None,
    }
}

/// DCMTK's name of a transfer syntax, as printed by `dcmsign -v` (`=Little Endian Explicit`).
#[must_use]
pub fn dcmtk_name(uid: &str) -> Option<&'static str> {
    Some(match uid {
        IMPLICIT_LE => "Little Endian Implicit",
        EXPLICIT_LE => "Little Endian Explicit",
        EXPLICIT_BE => "Big Endian Explicit",
        DEFLATED_LE => "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.4.50" => "JPEG Baseline",
        "1.2.840.10008.1.2.4.51" => "JPEG Extended, Process 2+4",
        "1.2.840.10008.1.2.4.57" => "JPEG Lossless, Non-hierarchical, Process 14",
        "1.2.840.10008.1.2.4.70" => "JPEG Lossless, Non-hierarchical, 1st Order Prediction",
        "1.2.840.10008.1.2.4.80" => "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81" => "JPEG-LS Lossy (Near-lossless)",
        "1.2.840.10008.1.2.4.90" => "JPEG 2000 (Lossless only)",
        "1.2.840.10008.1.2.4.91" => "JPEG 2000",
        "1.2.840.10008.1.2.5" => "RLE Lossless",
        _ => return None,
    })
}
