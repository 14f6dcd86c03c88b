//! DICOM tags and the tag-level signability rules of PS3.3 C.12.1.1.3.1.

/// Item (FFFE,E000).
pub const ITEM: u32 = 0xFFFE_E000;
/// Item Delimitation Item (FFFE,E00D).
pub const ITEM_DELIMITATION: u32 = 0xFFFE_E00D;
/// Sequence Delimitation Item (FFFE,E0DD).
pub const SEQUENCE_DELIMITATION: u32 = 0xFFFE_E0DD;
/// Pixel Data (7FE0,0010).
pub const PIXEL_DATA: u32 = 0x7FE0_0010;
/// Pixel Representation (0028,0103).
pub const PIXEL_REPRESENTATION: u32 = 0x0028_0103;
/// Waveform Bits Allocated (5400,1004).
pub const WAVEFORM_BITS_ALLOCATED: u32 = 0x5400_1004;
/// MAC Parameters Sequence (4FFE,0001).
pub const MAC_PARAMETERS_SEQUENCE: u32 = 0x4FFE_0001;
/// Digital Signatures Sequence (FFFA,FFFA).
pub const DIGITAL_SIGNATURES_SEQUENCE: u32 = 0xFFFA_FFFA;
/// Original Attributes Sequence (0400,0561).
pub const ORIGINAL_ATTRIBUTES_SEQUENCE: u32 = 0x0400_0561;
/// MAC ID Number (0400,0005).
pub const MAC_ID_NUMBER: u32 = 0x0400_0005;
/// MAC Calculation Transfer Syntax UID (0400,0010).
pub const MAC_CALCULATION_TRANSFER_SYNTAX_UID: u32 = 0x0400_0010;
/// MAC Algorithm (0400,0015).
pub const MAC_ALGORITHM: u32 = 0x0400_0015;
/// Data Elements Signed (0400,0020).
pub const DATA_ELEMENTS_SIGNED: u32 = 0x0400_0020;
/// Digital Signature UID (0400,0100).
pub const DIGITAL_SIGNATURE_UID: u32 = 0x0400_0100;
/// Digital Signature DateTime (0400,0105).
pub const DIGITAL_SIGNATURE_DATETIME: u32 = 0x0400_0105;
/// Certificate Type (0400,0110).
pub const CERTIFICATE_TYPE: u32 = 0x0400_0110;
/// Certificate of Signer (0400,0115).
pub const CERTIFICATE_OF_SIGNER: u32 = 0x0400_0115;
/// Signature (0400,0120).
pub const SIGNATURE: u32 = 0x0400_0120;
/// Certified Timestamp Type (0400,0305).
pub const CERTIFIED_TIMESTAMP_TYPE: u32 = 0x0400_0305;
/// Certified Timestamp (0400,0310).
pub const CERTIFIED_TIMESTAMP: u32 = 0x0400_0310;
/// Digital Signature Purpose Code Sequence (0400,0401).
pub const DIGITAL_SIGNATURE_PURPOSE_CODE_SEQUENCE: u32 = 0x0400_0401;
/// Code Value (0008,0100).
pub const CODE_VALUE: u32 = 0x0008_0100;
/// Coding Scheme Designator (0008,0102).
pub const CODING_SCHEME_DESIGNATOR: u32 = 0x0008_0102;
/// Code Meaning (0008,0104).
pub const CODE_MEANING: u32 = 0x0008_0104;

/// Group number of a tag.
#[inline]
#[must_use]
pub const fn group(tag: u32) -> u16 {
    (tag >> 16) as u16
}

/// Element number of a tag.
#[inline]
#[must_use]
pub const fn element(tag: u32) -> u16 {
    (tag & 0xFFFF) as u16
}

/// True for odd (private) groups.
#[inline]
#[must_use]
pub const fn is_private(tag: u32) -> bool {
    group(tag) & 1 == 1
}

/// True for private creator elements (gggg,0010-00FF) in odd groups.
#[inline]
#[must_use]
pub const fn is_private_creator(tag: u32) -> bool {
    is_private(tag) && element(tag) >= 0x0010 && element(tag) <= 0x00FF
}

/// The tag-only part of the signability rule (everything except the VR test).
///
/// Excluded: group lengths, Length to End, groups below 0008, group FFFA, the MAC Parameters
/// Sequence, Data Set Trailing Padding and the two delimitation items.
#[must_use]
pub const fn is_signable_tag(tag: u32) -> bool {
    element(tag) != 0
        && tag != 0x0008_0001
        && group(tag) >= 0x0008
        && group(tag) != 0xFFFA
        && tag != MAC_PARAMETERS_SEQUENCE
        && tag != 0xFFFC_FFFC
        && tag != ITEM_DELIMITATION
        && tag != SEQUENCE_DELIMITATION
}

/// Formats a tag as DCMTK prints it: `(gggg,eeee)` with lowercase hex digits.
#[must_use]
pub fn format(tag: u32) -> String {
    format!("({:04x},{:04x})", group(tag), element(tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signable_tags() {
        assert!(is_signable_tag(0x0008_0018));
        assert!(is_signable_tag(PIXEL_DATA));
        assert!(!is_signable_tag(0x0008_0000));
        assert!(!is_signable_tag(0x0002_0010));
        assert!(!is_signable_tag(0x0008_0001));
        assert!(!is_signable_tag(DIGITAL_SIGNATURES_SEQUENCE));
        assert!(!is_signable_tag(MAC_PARAMETERS_SEQUENCE));
        assert!(!is_signable_tag(0xFFFC_FFFC));
        assert!(!is_signable_tag(0x0009_0000));
        assert!(is_private_creator(0x0009_0010));
        assert!(!is_private_creator(0x0009_1010));
        assert_eq!(format(0x7FE0_0010), "(7fe0,0010)");
    }
}
