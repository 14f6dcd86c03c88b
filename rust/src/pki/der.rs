//! DER lengths, and the removal of DCMTK's pad byte after a DER object.

/// The header length and the content length of the definite-length TLV at the start of
/// `data` (low tag numbers, at most four length bytes); `None` for anything else.
#[must_use]
pub fn tlv(data: &[u8]) -> Option<(usize, usize)> {
    let first = *data.get(1)?;
    if first < 0x80 {
        return Some((2, first as usize));
    }
    let n = (first & 0x7F) as usize;
    if n == 0 || n > 4 || data.len() < 2 + n {
        return None;
    }
    let len = data[2..2 + n]
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | *b as usize);
    Some((2 + n, len))
}

/// Cuts `data` to the length of its outer DER TLV, dropping trailing pad bytes.
///
/// DICOM stores signatures, certificates and timestamps in OB elements, which DCMTK pads to an
/// even length with a `0x00` byte that strict DER parsers reject. High tag numbers and every
/// long length form are handled (DCMTK itself handles only some, which fails about half of
/// the P-521 signatures). Data that is not a definite-length TLV, or shorter than its declared
/// length, is returned unchanged so that the parser reports it.
#[must_use]
pub fn trim(data: &[u8]) -> &[u8] {
    let size = data.len();
    if size < 2 {
        return data;
    }
    let mut pos = 1;
    if data[0] & 0x1F == 0x1F {
        // High tag number form: continuation bytes have bit 8 set.
        while pos < size && data[pos] & 0x80 != 0 {
            pos += 1;
        }
        pos += 1;
    }
    if pos >= size {
        return data;
    }
    let first = data[pos];
    pos += 1;
    let length = if first < 0x80 {
        first as usize
    } else if first == 0x80 || first == 0xFF {
        // Indefinite form (not DER) or reserved.
        return data;
    } else {
        let count = (first & 0x7F) as usize;
        if pos + count > size {
            return data;
        }
        let mut length = 0usize;
        for b in &data[pos..pos + count] {
            match length.checked_mul(256) {
                Some(l) => length = l + *b as usize,
                None => return data,
            }
        }
        pos += count;
        length
    };
    match pos.checked_add(length) {
        Some(end) if end <= size => &data[..end],
        _ => data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_every_length_form() {
        assert_eq!(trim(&[0x30, 0x01, 0x05, 0x00]), &[0x30, 0x01, 0x05]);
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend(std::iter::repeat_n(1u8, 0x80));
        let mut padded = long.clone();
        padded.push(0);
        assert_eq!(trim(&padded), long.as_slice());
        let mut two = vec![0x30, 0x82, 0x01, 0x00];
        two.extend(std::iter::repeat_n(2u8, 0x100));
        let mut padded = two.clone();
        padded.push(0);
        assert_eq!(trim(&padded), two.as_slice());
        // High tag number, indefinite length, truncated data: unchanged or cut correctly.
        assert_eq!(
            trim(&[0x1F, 0x81, 0x01, 0x01, 0x07, 0x00]),
            &[0x1F, 0x81, 0x01, 0x01, 0x07]
        );
        assert_eq!(trim(&[0x30, 0x80, 0x00, 0x00]), &[0x30, 0x80, 0x00, 0x00]);
        assert_eq!(trim(&[0x30, 0x05, 0x00]), &[0x30, 0x05, 0x00]);
        assert_eq!(trim(&[0x30]), &[0x30]);
        assert_eq!(tlv(&[0x30, 0x82, 0x01, 0x00]), Some((4, 256)));
    }
}
