//! The data dictionary: the VR DCMTK would give an implicit-VR element, the names DCMTK
//! prints, and the keywords DCMTK 3.6.7 knows in its options (`-t`, `-tf`, item locations).
//!
//! The table is generated from pydicom's dictionary and DCMTK's differences
//! (`tools/gen_dictionary.py`) and handed to the core once, as text, by [`load`]. Pseudo-VRs (`xs`, `ox`, `px`, `lt`, `up`) are resolved
//! with DCMTK's rules in [`crate::read`].

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::error::{CoreError, CoreResult};
use crate::model::tag;
use crate::model::vr::Vr;

/// A dictionary VR: a real VR or one of DCMTK's context-dependent pseudo-VRs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DictVr {
    /// A fixed VR.
    Fixed(Vr),
    /// US or SS, depending on Pixel Representation.
    Xs,
    /// OB or OW, depending on the element and Waveform Bits Allocated.
    Ox,
    /// Pixel Data: OW when read implicitly.
    Px,
    /// US or OW (lookup table data): written as OW.
    Lt,
    /// Unsigned offset: UL.
    Up,
}

impl DictVr {
    fn parse(s: &str) -> Option<DictVr> {
        Some(match s {
            "xs" => DictVr::Xs,
            "ox" => DictVr::Ox,
            "px" => DictVr::Px,
            "lt" => DictVr::Lt,
            "up" => DictVr::Up,
            other => DictVr::Fixed(Vr::parse(other)?),
        })
    }
}

/// One dictionary entry.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The VR (possibly a pseudo-VR).
    pub vr: DictVr,
    /// The keyword (public tags) or the name (private tags).
    pub keyword: String,
}

#[derive(Clone, Debug)]
struct Masked {
    value: u32,
    mask: u32,
    entry: Entry,
}

/// The data dictionary.
#[derive(Debug, Default)]
pub struct Dictionary {
    exact: HashMap<u32, Entry>,
    masked: Vec<Masked>,
    private: HashMap<String, Vec<Masked>>,
    /// DCMTK's keywords: the tag, and whether DCMTK names it `RETIRED_<keyword>`.
    keywords: HashMap<String, (u32, bool)>,
}

fn parse_mask(s: &str) -> Option<(u32, u32)> {
    if s.len() != 8 {
        return None;
    }
    let mut value = 0u32;
    let mut mask = 0u32;
    for c in s.chars() {
        value <<= 4;
        mask <<= 4;
        if c == 'x' || c == 'X' {
            continue;
        }
        value |= c.to_digit(16)?;
        mask |= 0xF;
    }
    Some((value, mask))
}

impl Dictionary {
    /// Parses the tab-separated table written by `tools/gen_dictionary.py`.
    ///
    /// # Errors
    /// Returns [`CoreError::Invalid`] for a malformed line.
    pub fn parse(text: &str) -> CoreResult<Dictionary> {
        let mut d = Dictionary::default();
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || CoreError::invalid(format!("dictionary line {}: malformed", n + 1));
            let f: Vec<&str> = line.split('\t').collect();
            match f.first().copied() {
                Some("E") if f.len() >= 4 => {
                    let tag = u32::from_str_radix(f[1], 16).map_err(|_| bad())?;
                    let vr = DictVr::parse(f[2]).ok_or_else(bad)?;
                    let keyword = f[3].to_string();
                    d.exact.insert(tag, Entry { vr, keyword });
                }
                Some("M") if f.len() >= 4 => {
                    let (value, mask) = parse_mask(f[1]).ok_or_else(bad)?;
                    let vr = DictVr::parse(f[2]).ok_or_else(bad)?;
                    let entry = Entry {
                        vr,
                        keyword: f[3].to_string(),
                    };
                    d.masked.push(Masked { value, mask, entry });
                }
                Some("P") if f.len() >= 5 => {
                    let (value, mask) = parse_mask(f[2]).ok_or_else(bad)?;
                    let vr = DictVr::parse(f[3]).ok_or_else(bad)?;
                    let entry = Entry {
                        vr,
                        keyword: f[4].to_string(),
                    };
                    d.private.entry(f[1].to_string()).or_default().push(Masked {
                        value,
                        mask,
                        entry,
                    });
                }
                Some("K") if f.len() >= 4 => {
                    let tag = u32::from_str_radix(f[2], 16).map_err(|_| bad())?;
                    let retired = match f[3] {
                        "r" => true,
                        "c" => false,
                        _ => return Err(bad()),
                    };
                    d.keywords.insert(f[1].to_string(), (tag, retired));
                }
                _ => return Err(bad()),
            }
        }
        // Most specific first: exact entries, then block masks, then group-range masks.
        for entries in d.private.values_mut() {
            entries.sort_by_key(|m| std::cmp::Reverse(m.mask.count_ones()));
        }
        Ok(d)
    }

    /// Looks up a public (or repeating-group) tag.
    #[must_use]
    pub fn public(&self, tag: u32) -> Option<&Entry> {
        self.exact.get(&tag).or_else(|| {
            self.masked
                .iter()
                .find(|m| tag & m.mask == m.value)
                .map(|m| &m.entry)
        })
    }

    /// Looks up a private data element given the creator of its block.
    #[must_use]
    pub fn private(&self, tag: u32, creator: &str) -> Option<&Entry> {
        self.private
            .get(creator)?
            .iter()
            .find(|m| tag & m.mask == m.value)
            .map(|m| &m.entry)
    }

    /// The VR DCMTK's dictionary gives `tag` (with `creator` for private data elements), or
    /// `None` when the tag is unknown.
    #[must_use]
    pub fn lookup_vr(&self, tag: u32, creator: Option<&str>) -> Option<DictVr> {
        if tag::element(tag) == 0 {
            // DCMTK's generic group length entries.
            return Some(DictVr::Fixed(Vr::UL));
        }
        if tag::is_private(tag) {
            if tag::is_private_creator(tag) {
                return Some(DictVr::Fixed(Vr::LO));
            }
            if tag::element(tag) < 0x0010 {
                return None;
            }
            return creator.and_then(|c| self.private(tag, c)).map(|e| e.vr);
        }
        self.public(tag).map(|e| e.vr)
    }

    /// The name DCMTK prints for a tag in verbose output: the keyword of a public tag,
    /// `PrivateCreator` for private creators, `Unknown Tag & Data` otherwise.
    #[must_use]
    pub fn name(&self, tag: u32) -> String {
        if tag::is_private(tag) {
            if tag::is_private_creator(tag) {
                return "PrivateCreator".into();
            }
            if tag::element(tag) == 0 {
                return "PrivateGroupLength".into();
            }
            return "Unknown Tag & Data".into();
        }
        if tag::element(tag) == 0 {
            return "GenericGroupLength".into();
        }
        match self.public(tag) {
            Some(e) if !e.keyword.is_empty() => e.keyword.clone(),
            _ => "Unknown Tag & Data".into(),
        }
    }

    /// The tag DCMTK 3.6.7 finds for a keyword made of ASCII letters and digits, as tag files
    /// (`-tf`) and item locations (`--sign-item`) look names up: current attributes only,
    /// since such a run cannot spell `RETIRED_`.
    #[must_use]
    pub fn dcmtk_keyword_tag(&self, keyword: &str) -> Option<u32> {
        self.keyword(keyword, false)
    }

    /// The tag of a run of ASCII letters and digits DCMTK names as current (`retired` false)
    /// or as `RETIRED_<keyword>` (`retired` true).
    fn keyword(&self, keyword: &str, retired: bool) -> Option<u32> {
        if keyword.is_empty() || !keyword.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        self.keywords
            .get(keyword)
            .filter(|(_, r)| *r == retired)
            .map(|(tag, _)| *tag)
    }

    /// The tag of a name of DCMTK 3.6.7's public dictionary as `-t/--tag` looks it up:
    /// current attributes by keyword, retired ones only as `RETIRED_<keyword>`.
    #[must_use]
    pub fn tag_for_keyword(&self, name: &str) -> Option<u32> {
        match name.strip_prefix("RETIRED_") {
            Some(bare) => self.keyword(bare, true),
            None => self.keyword(name, false),
        }
    }

    /// Number of exact public entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.exact.len()
    }

    /// True when nothing is loaded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }
}

static GLOBAL: OnceLock<Dictionary> = OnceLock::new();
static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();

/// Loads the process-wide dictionary once; later calls are ignored.
///
/// # Errors
/// Returns [`CoreError::Invalid`] for a malformed table.
pub fn load(text: &str) -> CoreResult<()> {
    if GLOBAL.get().is_none() {
        let d = Dictionary::parse(text)?;
        let _ = GLOBAL.set(d);
    }
    Ok(())
}

/// Names the table file to load on first use (reading explicit VR files never needs it).
pub fn set_path(path: std::path::PathBuf) {
    let _ = PATH.set(path);
}

/// True once a dictionary is loaded or its file is named.
#[must_use]
pub fn is_loaded() -> bool {
    GLOBAL.get().is_some() || PATH.get().is_some()
}

/// The process-wide dictionary: the loaded one, else the named file parsed now, else empty.
#[must_use]
pub fn global() -> &'static Dictionary {
    GLOBAL.get_or_init(|| {
        PATH.get()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|text| Dictionary::parse(&text).ok())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str =
        "# test\nE\t00100010\tPN\tPatientName\nE\t00280120\txs\tPixelPaddingValue\n\
M\t60xx3000\tox\tOverlayData\nP\tGEMS_IDEN_01\t0009xx01\tLO\tFullFidelity\n\
K\tPatientName\t00100010\tc\nK\tCurveDimensions\t50000005\tr\n";

    #[test]
    fn lookups() {
        let d = Dictionary::parse(SAMPLE).unwrap();
        assert_eq!(d.lookup_vr(0x0010_0010, None), Some(DictVr::Fixed(Vr::PN)));
        assert_eq!(d.lookup_vr(0x0028_0120, None), Some(DictVr::Xs));
        assert_eq!(d.lookup_vr(0x6002_3000, None), Some(DictVr::Ox));
        assert_eq!(
            d.lookup_vr(0x0009_1001, Some("GEMS_IDEN_01")),
            Some(DictVr::Fixed(Vr::LO))
        );
        assert_eq!(d.lookup_vr(0x0009_1001, Some("OTHER")), None);
        assert_eq!(d.lookup_vr(0x0009_0010, None), Some(DictVr::Fixed(Vr::LO)));
        assert_eq!(d.lookup_vr(0x0011_0000, None), Some(DictVr::Fixed(Vr::UL)));
        assert_eq!(d.lookup_vr(0x0010_9999, None), None);
        assert_eq!(d.tag_for_keyword("PatientName"), Some(0x0010_0010));
        assert_eq!(d.dcmtk_keyword_tag("PatientName"), Some(0x0010_0010));
        assert_eq!(d.tag_for_keyword("RETIRED_PatientName"), None);
        assert_eq!(d.tag_for_keyword("CurveDimensions"), None);
        assert_eq!(
            d.tag_for_keyword("RETIRED_CurveDimensions"),
            Some(0x5000_0005)
        );
        assert_eq!(d.dcmtk_keyword_tag("CurveDimensions"), None);
        assert_eq!(d.dcmtk_keyword_tag("Patient_Name"), None);
        assert_eq!(d.tag_for_keyword("RETIRED_"), None);
        assert!(Dictionary::parse("K\tX\t00100010\tq\n").is_err());
        assert_eq!(d.name(0x0009_1001), "Unknown Tag & Data");
        assert!(Dictionary::parse("E\tzz\tPN\tX\n").is_err());
    }
}
