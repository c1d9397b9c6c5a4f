//! The binary encoding of the cache files' bodies: unsigned LEB128 integers (zigzag for signed
//! ones), object ids and digests as length-prefixed raw bytes, and strings interned (the first
//! occurrence of a string is written whole and numbered, later ones name its number), so the
//! images, authors and paths a long history repeats are stored once. Decoding borrows the
//! strings from the file and checks every length and number: a garbled body decodes to `None`.

use std::collections::HashMap;

use gix::ObjectId;

/// Encodes a body.
#[derive(Default)]
pub(super) struct Writer {
    bytes: Vec<u8>,
    /// The strings written so far and their numbers.
    strings: HashMap<String, u64>,
}

impl Writer {
    /// The bytes written.
    pub(super) fn finish(self) -> Vec<u8> {
        self.bytes
    }

    /// An unsigned integer.
    pub(super) fn u64(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.bytes.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        self.bytes.push(n as u8);
    }

    /// A count or position.
    pub(super) fn usize(&mut self, n: usize) {
        self.u64(n as u64);
    }

    /// A signed integer (zigzag).
    pub(super) fn i64(&mut self, n: i64) {
        self.u64(((n << 1) ^ (n >> 63)) as u64);
    }

    /// A flag.
    pub(super) fn bool(&mut self, b: bool) {
        self.bytes.push(u8::from(b));
    }

    /// Raw bytes, length first.
    pub(super) fn bytes(&mut self, bytes: &[u8]) {
        self.usize(bytes.len());
        self.bytes.extend_from_slice(bytes);
    }

    /// An object id.
    pub(super) fn id(&mut self, id: &ObjectId) {
        self.bytes(id.as_slice());
    }

    /// A string: `0`, its length and bytes the first time; `n + 1` for the `n`th string after.
    pub(super) fn str(&mut self, s: &str) {
        if let Some(&n) = self.strings.get(s) {
            self.u64(n + 1);
            return;
        }
        self.u64(0);
        self.bytes(s.as_bytes());
        let n = self.strings.len() as u64;
        self.strings.insert(s.to_owned(), n);
    }

    /// An optional string.
    pub(super) fn opt_str(&mut self, s: Option<&str>) {
        self.bool(s.is_some());
        if let Some(s) = s {
            self.str(s);
        }
    }
}

/// Decodes a body; every method returns `None` on bytes that do not decode.
pub(super) struct Reader<'a> {
    rest: &'a [u8],
    strings: Vec<&'a str>,
}

impl<'a> Reader<'a> {
    /// A reader of `bytes`.
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader {
            rest: bytes,
            strings: Vec::new(),
        }
    }

    /// Whether every byte was read.
    pub(super) fn at_end(&self) -> bool {
        self.rest.is_empty()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(taken)
    }

    /// An unsigned integer.
    pub(super) fn u64(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.rest.split_first()?;
            self.rest = rest;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            n |= bits << shift;
            if byte & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    /// A count or position.
    pub(super) fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }

    /// A count of items that each take at least one byte (a bound on what to allocate).
    pub(super) fn count(&mut self) -> Option<usize> {
        self.usize().filter(|n| *n <= self.rest.len())
    }

    /// A signed integer.
    pub(super) fn i64(&mut self) -> Option<i64> {
        let n = self.u64()?;
        Some((n >> 1) as i64 ^ -((n & 1) as i64))
    }

    /// A flag.
    pub(super) fn bool(&mut self) -> Option<bool> {
        match self.take(1)? {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }

    /// Raw bytes.
    pub(super) fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.usize()?;
        self.take(n)
    }

    /// An object id.
    pub(super) fn id(&mut self) -> Option<ObjectId> {
        ObjectId::try_from(self.bytes()?).ok()
    }

    /// A 32-byte digest.
    pub(super) fn digest(&mut self) -> Option<[u8; 32]> {
        self.bytes()?.try_into().ok()
    }

    /// A string.
    pub(super) fn str(&mut self) -> Option<&'a str> {
        match self.u64()? {
            0 => {
                let s = std::str::from_utf8(self.bytes()?).ok()?;
                self.strings.push(s);
                Some(s)
            }
            n => self.strings.get(usize::try_from(n - 1).ok()?).copied(),
        }
    }

    /// A string, owned.
    pub(super) fn string(&mut self) -> Option<String> {
        self.str().map(str::to_owned)
    }

    /// An optional string, owned.
    pub(super) fn opt_string(&mut self) -> Option<Option<String>> {
        Some(if self.bool()? {
            Some(self.string()?)
        } else {
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_as_written() {
        let id = ObjectId::from_bytes_or_panic(&[9; 20]);
        let mut w = Writer::default();
        for n in [0, 1, 127, 128, 300, u64::MAX] {
            w.u64(n);
        }
        for n in [0, -1, 1, i64::MIN, i64::MAX, 1_700_000_000] {
            w.i64(n);
        }
        w.str("web/app");
        w.str("app:1");
        w.str("web/app");
        w.opt_str(None);
        w.opt_str(Some("app:1"));
        w.id(&id);
        w.bytes(&[7; 32]);
        w.bool(true);
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        for n in [0, 1, 127, 128, 300, u64::MAX] {
            assert_eq!(r.u64(), Some(n));
        }
        for n in [0, -1, 1, i64::MIN, i64::MAX, 1_700_000_000] {
            assert_eq!(r.i64(), Some(n));
        }
        assert_eq!(r.str(), Some("web/app"));
        assert_eq!(r.str(), Some("app:1"));
        assert_eq!(r.str(), Some("web/app"));
        assert_eq!(r.opt_string(), Some(None));
        assert_eq!(r.opt_string(), Some(Some("app:1".into())));
        assert_eq!(r.id(), Some(id));
        assert_eq!(r.digest(), Some([7; 32]));
        assert_eq!(r.bool(), Some(true));
        assert!(r.at_end());
    }

    #[test]
    fn garbled_bytes_do_not_decode() {
        // A string number never written, a length past the end, an overlong integer, a flag
        // that is neither 0 nor 1, an id of no hash's length.
        assert_eq!(Reader::new(&[5]).str(), None);
        assert_eq!(Reader::new(&[0, 9, b'a']).str(), None);
        assert_eq!(Reader::new(&[0xff; 11]).u64(), None);
        assert_eq!(Reader::new(&[2]).bool(), None);
        assert_eq!(Reader::new(&[3, 1, 2, 3]).id(), None);
        assert_eq!(Reader::new(&[0, 2, 0xff, 0xfe]).str(), None);
        assert_eq!(Reader::new(&[200, 1]).count(), None);
    }
}
