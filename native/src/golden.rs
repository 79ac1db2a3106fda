//! The scheme's golden vectors (`tests/phi/golden/golden_vectors.json`), reproduced in Rust.
//!
//! The file is read with a few string searches (no JSON crate for one test): every key's text,
//! its digest subkey, and each `(category, normalized, digest)` of its findings.

#[cfg(test)]
mod tests {
    use crate::digest::{hkdf_sha256, PrimedHmac};

    const VECTORS: &str = include_str!("../../tests/phi/golden/golden_vectors.json");

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// The JSON string value after `"name": ` at or after `from`, unescaped, and where it ends.
    fn string_after(text: &str, name: &str, from: usize) -> Option<(String, usize)> {
        let at = from + text[from..].find(&format!("\"{name}\": \""))? + name.len() + 5;
        let mut out = String::new();
        let mut chars = text[at..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Some((out, at + i + 1)),
                '\\' => match chars.next()?.1 {
                    'u' => {
                        let code: String = (0..4).filter_map(|_| chars.next().map(|(_, h)| h)).collect();
                        out.push(char::from_u32(u32::from_str_radix(&code, 16).ok()?)?);
                    }
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    other => out.push(other),
                },
                _ => out.push(c),
            }
        }
        None
    }

    #[test]
    fn finding_digests_match_the_golden_vectors() {
        let purpose = string_after(VECTORS, "digest", VECTORS.find("\"purposes\"").unwrap()).unwrap().0;
        let mut checked = 0;
        let mut pos = VECTORS.find("\"keys\"").unwrap();
        while let Some((key, after_key)) = string_after(VECTORS, "key", pos) {
            let subkeys = after_key + VECTORS[after_key..].find("\"subkeys\"").unwrap();
            let (want_subkey, _) = string_after(VECTORS, "digest", subkeys).unwrap();
            let subkey = hkdf_sha256(key.as_bytes(), purpose.as_bytes(), 32);
            assert_eq!(hex(&subkey), want_subkey);
            let mac = PrimedHmac::new(&subkey);
            let digests = after_key + VECTORS[after_key..].find("\"digests\"").unwrap();
            let end = VECTORS[digests..].find(']').map_or(VECTORS.len(), |e| digests + e);
            let mut at = digests;
            while let Some((category, next)) = string_after(VECTORS, "category", at).filter(|(_, n)| *n < end) {
                let (normalized, next) = string_after(VECTORS, "normalized", next).unwrap();
                let (digest, next) = string_after(VECTORS, "digest", next).unwrap();
                let got = mac.digest(format!("{category}\u{1f}").as_bytes(), normalized.as_bytes());
                assert_eq!(hex(&got), digest, "{category}");
                checked += 1;
                at = next;
            }
            pos = end;
        }
        assert!(checked >= 4, "only {checked} golden digests were read");
    }
}
