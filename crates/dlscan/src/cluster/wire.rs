//! Messages between ranks in `oracle_api::wire`'s encoding (the process-isolation
//! protocol's): built in one go, and read back refusing one cut short.

use anyhow::Result;
use oracle_api::wire;

/// Builds one message.
#[derive(Default)]
pub struct Writer(Vec<u8>);

/// Writing into memory cannot fail.
const IN_MEMORY: &str = "writing to a Vec";

impl Writer {
    pub fn u64(mut self, v: u64) -> Self {
        wire::write_u64(&mut self.0, v).expect(IN_MEMORY);
        self
    }

    /// The count, then the numbers.
    pub fn f64s(mut self, v: &[f64]) -> Self {
        self = self.u64(v.len() as u64);
        wire::write_f64s(&mut self.0, v).expect(IN_MEMORY);
        self
    }

    pub fn str(mut self, s: &str) -> Self {
        wire::write_text(&mut self.0, s).expect(IN_MEMORY);
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

/// Reads one message.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    pub fn u64(&mut self) -> Result<u64> {
        Ok(wire::read_u64(&mut self.bytes)?)
    }

    pub fn f64s(&mut self) -> Result<Vec<f64>> {
        // No more numbers than the bytes left could hold.
        let most = self.bytes.len() as u64 / 8;
        let n = wire::read_len(&mut self.bytes, most, "a list of numbers")?;
        Ok(wire::read_f64s(&mut self.bytes, n)?)
    }

    pub fn str(&mut self) -> Result<String> {
        Ok(wire::read_text(&mut self.bytes)?)
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
