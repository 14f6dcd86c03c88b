//! PEM files as OpenSSL's PEM reader sees them: `-----BEGIN label-----` ... `-----END
//! label-----` blocks with optional RFC 1421 headers, in file order, text outside blocks
//! ignored.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// Standard base64 with padding required and non-zero trailing bits accepted (Python's
/// `base64.b64decode(validate=True)`, and OpenSSL).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// One PEM block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PemBlock {
    /// The type label, e.g. `CERTIFICATE` or `ENCRYPTED PRIVATE KEY`.
    pub label: String,
    /// RFC 1421 headers (`Proc-Type`, `DEK-Info` of traditional encrypted keys), in order.
    pub headers: Vec<(String, String)>,
    /// The decoded body; `None` when it is not valid base64 or the END label differs.
    pub data: Option<Vec<u8>>,
    /// The block as it appears in the file, BEGIN and END lines included.
    pub text: Vec<u8>,
}

impl PemBlock {
    /// True for an encrypted private key (PKCS#8, or traditional with `Proc-Type: 4,ENCRYPTED`).
    #[must_use]
    pub fn encrypted(&self) -> bool {
        self.label == "ENCRYPTED PRIVATE KEY"
            || self.headers.iter().any(|(name, value)| {
                name == "Proc-Type" && value.to_ascii_uppercase().contains("ENCRYPTED")
            })
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

fn strip(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|c| !is_space(*c))
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|c| !is_space(*c))
        .map_or(start, |p| p + 1);
    &line[start..end]
}

/// The label of a `-----BEGIN label-----` (`begin`) or `-----END label-----` line: no `-`, CR
/// or LF in the label, only whitespace after the closing dashes.
fn marker(line: &[u8], begin: bool) -> Option<&[u8]> {
    let prefix: &[u8] = if begin { b"-----BEGIN " } else { b"-----END " };
    let rest = line.strip_prefix(prefix)?;
    let end = rest
        .iter()
        .position(|c| matches!(c, b'-' | b'\r' | b'\n'))?;
    let after = rest[end..].strip_prefix(b"-----")?;
    after.iter().all(|c| is_space(*c)).then_some(&rest[..end])
}

/// Lines with their line ends, split at `\n`, `\r\n` and `\r` (Python's `bytes.splitlines`).
fn lines(content: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < content.len() {
        match content[i] {
            b'\n' => {
                out.push(&content[start..=i]);
                start = i + 1;
            }
            b'\r' => {
                let end = if content.get(i + 1) == Some(&b'\n') {
                    i + 1
                } else {
                    i
                };
                out.push(&content[start..=end]);
                i = end;
                start = end + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < content.len() {
        out.push(&content[start..]);
    }
    out
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// The PEM blocks of `content` in file order. A block without its END line ends the list.
#[must_use]
pub fn blocks(content: &[u8]) -> Vec<PemBlock> {
    let lines = lines(content);
    let mut out = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let Some(label) = marker(lines[index], true) else {
            index += 1;
            continue;
        };
        let start = index;
        index += 1;
        let mut body = Vec::new();
        let mut headers = Vec::new();
        let mut in_headers = index < lines.len() && lines[index].contains(&b':');
        let mut end_label = None;
        while index < lines.len() {
            if let Some(end) = marker(lines[index], false) {
                end_label = Some(end);
                break;
            }
            let stripped = strip(lines[index]);
            if in_headers {
                if stripped.is_empty() {
                    in_headers = false;
                } else if let Some(colon) = stripped.iter().position(|c| *c == b':') {
                    headers.push((
                        latin1(strip(&stripped[..colon])),
                        latin1(strip(&stripped[colon + 1..])),
                    ));
                }
            } else {
                body.extend_from_slice(stripped);
            }
            index += 1;
        }
        let Some(end_label) = end_label else {
            break;
        };
        index += 1;
        let text = lines[start..index].concat();
        let data = (end_label == label)
            .then(|| BASE64.decode(&body).ok())
            .flatten();
        out.push(PemBlock {
            label: latin1(label),
            headers,
            data,
            text,
        });
    }
    out
}

/// The decoded body of the first block whose label is one of `labels`.
#[must_use]
pub fn first(content: &[u8], labels: &[&str]) -> Option<PemBlock> {
    blocks(content)
        .into_iter()
        .find(|b| labels.contains(&b.label.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_headers_and_bad_bodies() {
        let text = b"junk\r\n-----BEGIN A-----\nQUJD\n-----END A-----\n\
-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nQQ==\n\
-----END RSA PRIVATE KEY-----\n-----BEGIN B-----\nQQ\n-----END B-----\n\
-----BEGIN C-----\nQUJD\n-----END D-----\n-----BEGIN E-----\nQUJD\n";
        let found = blocks(text);
        assert_eq!(found.len(), 4);
        assert_eq!(found[0].label, "A");
        assert_eq!(found[0].data.as_deref(), Some(&b"ABC"[..]));
        assert_eq!(found[0].text, b"-----BEGIN A-----\nQUJD\n-----END A-----\n");
        assert!(found[1].encrypted());
        assert_eq!(found[1].headers.len(), 2);
        assert_eq!(found[1].data.as_deref(), Some(&b"A"[..]));
        assert_eq!(found[2].data, None);
        assert_eq!(found[3].label, "C");
        assert_eq!(found[3].data, None);
        assert_eq!(BASE64.decode("QR==").unwrap(), b"A");
        assert!(BASE64.decode("QQ==QQ==").is_err());
        assert_eq!(first(text, &["B", "C"]).unwrap().label, "B");
    }
}
