//! HMAC-SHA-256 with the inner and outer pads hashed once per key.

use sha2::{Digest, Sha256};

const BLOCK: usize = 64;

/// SHA-256 states primed with the HMAC inner and outer pads of one key.
pub struct PrimedHmac {
    inner: Sha256,
    outer: Sha256,
}

impl PrimedHmac {
    /// Primes both pads; a key longer than the block is hashed first (RFC 2104).
    pub fn new(key: &[u8]) -> Self {
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let ipad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
        let mut inner = Sha256::new();
        inner.update(&ipad);
        let mut outer = Sha256::new();
        outer.update(&opad);
        PrimedHmac { inner, outer }
    }

    /// The 32-byte MAC of `prefix + value`.
    pub fn digest(&self, prefix: &[u8], value: &[u8]) -> [u8; 32] {
        let mut h = self.inner.clone();
        h.update(prefix);
        h.update(value);
        let mut o = self.outer.clone();
        o.update(h.finalize());
        o.finalize().into()
    }
}

/// HKDF-SHA-256 (RFC 5869) with a zero salt: the subkey of `ikm` for one purpose (`info`).
///
/// `length` is at most 255 blocks of 32 bytes; the caller checks it.
pub fn hkdf_sha256(ikm: &[u8], info: &[u8], length: usize) -> Vec<u8> {
    let prk = PrimedHmac::new(&[0u8; 32]).digest(b"", ikm);
    let expand = PrimedHmac::new(&prk);
    let mut out = Vec::with_capacity(length + 32);
    let mut block: Vec<u8> = Vec::new();
    let mut counter: u8 = 1;
    while out.len() < length {
        let mut msg = block.clone();
        msg.extend_from_slice(info);
        msg.push(counter);
        block = expand.digest(b"", &msg).to_vec();
        out.extend_from_slice(&block);
        counter = counter.wrapping_add(1);
    }
    out.truncate(length);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn rfc5869_case_3_with_zero_salt() {
        // RFC 5869 A.3: an empty salt is hashed as 32 zero bytes, as this function does.
        let okm = hkdf_sha256(&[0x0bu8; 22], b"", 42);
        assert_eq!(
            hex(&okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        );
    }

    #[test]
    fn rfc4231_case_2() {
        let mac = PrimedHmac::new(b"Jefe");
        let got = mac.digest(b"what do ya want ", b"for nothing?");
        assert_eq!(hex(&got), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn long_key_is_hashed_first() {
        let key = [0xaau8; 131];
        let mac = PrimedHmac::new(&key);
        let got = mac.digest(b"", b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(hex(&got), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }
}
