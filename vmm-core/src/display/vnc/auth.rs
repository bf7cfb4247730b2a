//! VNC Authentication (RFC 6143 §7.2.2): DES challenge-response.
//!
//! The key is the password's first 8 bytes (zero-padded) with the bits of each byte
//! reversed, a quirk of the original implementation that every client reproduces. This is
//! weak (8 characters, DES): it keeps other local users off a loopback port, nothing more.

use des::cipher::{Block, BlockCipherEncrypt, KeyInit};
use des::Des;

/// The DES key VNC derives from a password.
pub fn vnc_key(password: &str) -> [u8; 8] {
    let mut key = [0u8; 8];
    for (k, b) in key.iter_mut().zip(password.bytes()) {
        *k = b.reverse_bits();
    }
    key
}

/// The response a client with `password` sends to `challenge`.
pub fn vnc_auth_response(password: &str, challenge: &[u8; 16]) -> [u8; 16] {
    let des = Des::new(&vnc_key(password).into());
    let mut out = [0u8; 16];
    for (half, o) in challenge.chunks_exact(8).zip(out.chunks_exact_mut(8)) {
        let mut block = Block::<Des>::try_from(half).expect("8-byte half");
        des.encrypt_block(&mut block);
        o.copy_from_slice(&block);
    }
    out
}

/// Compares in time independent of where the first difference is.
pub fn responses_match(a: &[u8; 16], b: &[u8; 16]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random challenge from the kernel.
pub fn random_challenge() -> std::io::Result<[u8; 16]> {
    let mut c = [0u8; 16];
    let mut filled = 0;
    while filled < c.len() {
        // SAFETY: writes at most `c.len() - filled` bytes into `c[filled..]`.
        let n = unsafe { libc::getrandom(c[filled..].as_mut_ptr().cast(), c.len() - filled, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        filled += n as usize;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // DES itself (FIPS 81): key 0123456789abcdef encrypts "Now is t" to 3fa40e8a984d4815.
        let des = Des::new(&[0x01u8, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef].into());
        let mut block = Block::<Des>::from(*b"Now is t");
        des.encrypt_block(&mut block);
        assert_eq!(block[..], [0x3f, 0xa4, 0x0e, 0x8a, 0x98, 0x4d, 0x48, 0x15]);
        // VNC's key quirk, checked against an independent client (vncdotool's
        // des_encrypt(_vnc_des(password), challenge)).
        let challenge: [u8; 16] = std::array::from_fn(|i| i as u8);
        assert_eq!(
            vnc_auth_response("secret", &challenge),
            [
                0xee, 0x22, 0x53, 0x9f, 0x33, 0xa5, 0x98, 0x3e, 0xc1, 0x2f, 0x9c, 0x2e, 0xdb, 0xc9,
                0x95, 0xdd
            ]
        );
        assert_eq!(
            vnc_auth_response("password", &[0; 16])[..8],
            [0xff, 0x97, 0x50, 0x2e, 0x94, 0x22, 0xf0, 0x89]
        );
        assert_eq!(vnc_key("\u{1}")[0], 0x80);
        assert_eq!(vnc_key("abcdefghij"), vnc_key("abcdefgh"));
    }

    #[test]
    fn response_depends_on_password_and_challenge() {
        let c = [7u8; 16];
        let a = vnc_auth_response("secret", &c);
        assert!(responses_match(&a, &vnc_auth_response("secret", &c)));
        assert!(!responses_match(&a, &vnc_auth_response("secreT", &c)));
        assert_ne!(random_challenge().unwrap(), random_challenge().unwrap());
    }
}
