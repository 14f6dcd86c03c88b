//! DCMTK's load-time value normalization (dcmsign-behaviour.md §1.3), in its 3.6 and 3.7
//! variants.

use std::borrow::Cow;

use crate::model::vr::Vr;

/// Which DCMTK release's string normalization to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// DCMTK 3.6.x: strip trailing spaces only; an odd value first gets a NUL appended.
    Dcmtk36,
    /// DCMTK 3.7.x: strip trailing spaces and NULs, then pad with a space.
    Dcmtk37,
}

fn is_uid_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// The value DCMTK holds in memory for `raw` read with VR `vr`.
///
/// Only strings, OB and UN change; every other value is returned as is (odd OW stays odd).
#[must_use]
pub fn normalize(vr: Vr, raw: &[u8], rule: Rule) -> Cow<'_, [u8]> {
    if !vr.pads_odd_length() {
        return Cow::Borrowed(raw);
    }
    if !vr.is_string() {
        if raw.len() % 2 == 1 {
            let mut v = raw.to_vec();
            v.push(0);
            return Cow::Owned(v);
        }
        return Cow::Borrowed(raw);
    }
    if vr == Vr::UI {
        return normalize_uid(raw);
    }
    // Rule 1: an odd-length value gets a NUL appended on load.
    let odd_nul = raw.len() % 2 == 1;
    let strip = |c: u8| match rule {
        Rule::Dcmtk36 => c == b' ',
        Rule::Dcmtk37 => c == b' ' || c == 0,
    };
    let mut end = raw.len();
    if odd_nul {
        // The appended NUL is the last byte; 3.6 stops stripping at it.
        if rule == Rule::Dcmtk36 {
            let mut v = raw.to_vec();
            v.push(0);
            return Cow::Owned(v);
        }
    }
    while end > 0 && strip(raw[end - 1]) {
        end -= 1;
    }
    if end % 2 == 0 {
        if end == raw.len() {
            return Cow::Borrowed(raw);
        }
        return Cow::Borrowed(&raw[..end]);
    }
    let mut v = Vec::with_capacity(end + 1);
    v.extend_from_slice(&raw[..end]);
    v.push(b' ');
    Cow::Owned(v)
}

fn normalize_uid(raw: &[u8]) -> Cow<'_, [u8]> {
    let has_ws = raw.iter().any(|c| is_uid_whitespace(*c));
    let mut v: Cow<'_, [u8]> = if has_ws {
        Cow::Owned(
            raw.iter()
                .copied()
                .filter(|c| !is_uid_whitespace(*c))
                .collect(),
        )
    } else {
        Cow::Borrowed(raw)
    };
    let mut end = v.len();
    while end > 0 && v[end - 1] == 0 {
        end -= 1;
    }
    if end % 2 == 1 {
        let mut o = v[..end].to_vec();
        o.push(0);
        return Cow::Owned(o);
    }
    if end != v.len() {
        v = match v {
            Cow::Borrowed(b) => Cow::Borrowed(&b[..end]),
            Cow::Owned(mut o) => {
                o.truncate(end);
                Cow::Owned(o)
            }
        };
    }
    v
}

/// True when DCMTK 3.6 and 3.7 hold different values for `raw`.
#[must_use]
pub fn is_ambiguous(vr: Vr, raw: &[u8]) -> bool {
    vr.is_string()
        && vr != Vr::UI
        && normalize(vr, raw, Rule::Dcmtk36) != normalize(vr, raw, Rule::Dcmtk37)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n36(vr: Vr, s: &[u8]) -> Vec<u8> {
        normalize(vr, s, Rule::Dcmtk36).into_owned()
    }
    fn n37(vr: Vr, s: &[u8]) -> Vec<u8> {
        normalize(vr, s, Rule::Dcmtk37).into_owned()
    }

    #[test]
    fn reference_table_36() {
        assert_eq!(n36(Vr::LO, b"101010    "), b"101010");
        assert_eq!(n36(Vr::LO, b"  Lead  "), b"  Lead");
        assert_eq!(n36(Vr::LO, b"ACME\0\0"), b"ACME\0\0");
        assert_eq!(n36(Vr::LO, b"odd"), b"odd\0");
        assert_eq!(n36(Vr::LO, b"   "), b"   \0");
        assert_eq!(n36(Vr::LO, b"ID\0 "), b"ID\0 ");
        assert_eq!(n36(Vr::PN, b"Test^Pat  "), b"Test^Pat");
        assert_eq!(n36(Vr::LO, b"abc "), b"abc ");
        assert_eq!(n36(Vr::LO, b""), b"");
    }

    #[test]
    fn reference_table_37() {
        assert_eq!(n37(Vr::LO, b"odd"), b"odd ");
        assert_eq!(n37(Vr::LO, b"ACME\0\0"), b"ACME");
        assert_eq!(n37(Vr::LO, b"ID\0 "), b"ID");
        assert_eq!(n37(Vr::LO, b"   "), b"");
        assert_eq!(n37(Vr::PN, b"Test^Pat  "), b"Test^Pat");
    }

    #[test]
    fn uid_and_binary() {
        assert_eq!(n36(Vr::UI, b"1.2.3.4.5.6.7 "), b"1.2.3.4.5.6.7\0");
        assert_eq!(n36(Vr::UI, b"1.2 .3\0"), b"1.2.3\0");
        assert_eq!(n36(Vr::UI, b"1.22\0\0"), b"1.22");
        assert_eq!(n37(Vr::UI, b"1.2.3.4.5.6.7 "), b"1.2.3.4.5.6.7\0");
        assert_eq!(n36(Vr::OB, b"\x01\x02\x03"), b"\x01\x02\x03\0");
        assert_eq!(n36(Vr::OW, b"\x01\x02\x03"), b"\x01\x02\x03");
        assert!(is_ambiguous(Vr::LO, b"odd"));
        assert!(!is_ambiguous(Vr::LO, b"even"));
        assert!(!is_ambiguous(Vr::UI, b"1.2.3"));
    }

    #[test]
    fn canonical_values_are_fixed_points_of_both_rules() {
        for raw in [&b"odd"[..], b"ACME\0\0", b"ID\0 ", b"   ", b"x", b"ab  "] {
            let c = n37(Vr::LO, raw);
            assert_eq!(n36(Vr::LO, &c), c);
            assert_eq!(n37(Vr::LO, &c), c);
        }
    }
}
