//! The bytes of the messages between ranks: little-endian numbers and length-prefixed
//! UTF-8 strings, so that outputs cross exactly (NaN included) and messages of any length
//! fit one MPI message.

use anyhow::{Result, bail};

/// Builds one message.
#[derive(Default)]
pub struct Writer(Vec<u8>);

impl Writer {
    pub fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn f64s(mut self, v: &[f64]) -> Self {
        self = self.u64(v.len() as u64);
        for x in v {
            self.0.extend_from_slice(&x.to_le_bytes());
        }
        self
    }

    pub fn str(mut self, s: &str) -> Self {
        self = self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    /// `None` and `Some("")` differ: the flag comes first.
    pub fn opt_str(self, s: Option<&str>) -> Self {
        match s {
            None => self.u64(0),
            Some(s) => self.u64(1).str(s),
        }
    }

    pub fn bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Reads one message, refusing one cut short.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            bail!("a message between ranks is cut short");
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    fn len(&mut self, item: usize) -> Result<usize> {
        let n = self.u64()? as usize;
        if n.saturating_mul(item) > self.bytes.len() {
            bail!("a message between ranks is cut short");
        }
        Ok(n)
    }

    pub fn f64s(&mut self) -> Result<Vec<f64>> {
        let n = self.len(8)?;
        Ok(self
            .take(8 * n)?
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect())
    }

    pub fn str(&mut self) -> Result<String> {
        let n = self.len(1)?;
        Ok(String::from_utf8(self.take(n)?.to_vec())?)
    }

    pub fn opt_str(&mut self) -> Result<Option<String>> {
        Ok(match self.u64()? {
            0 => None,
            _ => Some(self.str()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cross_exactly_and_a_cut_message_is_refused() {
        let outputs = [1.0 / 3.0, f64::NAN, -0.0, f64::INFINITY, 7.5e-77];
        let bytes = Writer::default()
            .u64(42)
            .f64s(&outputs)
            .str("SPheno: |mu|^2 < 0 ✗")
            .opt_str(None)
            .opt_str(Some(""))
            .bytes();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u64().unwrap(), 42);
        let back = r.f64s().unwrap();
        assert_eq!(
            back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            outputs.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(r.str().unwrap(), "SPheno: |mu|^2 < 0 ✗");
        assert_eq!(r.opt_str().unwrap(), None);
        assert_eq!(r.opt_str().unwrap(), Some(String::new()));
        for cut in [3, 20, bytes.len() - 1] {
            let mut r = Reader::new(&bytes[..cut]);
            let read = (|| -> Result<()> {
                r.u64()?;
                r.f64s()?;
                r.str()?;
                r.opt_str()?;
                r.opt_str()?;
                Ok(())
            })();
            assert!(read.is_err(), "cut at {cut}");
        }
    }
}
