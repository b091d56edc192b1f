//! The byte encoding of messages between dlscan processes: little-endian `u64` integers
//! and `f64` numbers (so values cross exactly, NaN included) and texts as a length and
//! UTF-8 bytes. The process-isolation protocol ([`crate::isolation`]) and the binary's MPI
//! ranks speak it; a `Vec<u8>` is a writer and a `&[u8]` a reader of one message.

use std::io::{self, Read, Write};

pub fn write_u64(w: &mut impl Write, v: u64) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

pub fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// A length of at most `limit` (a corrupt message must not make the reader allocate
/// without bound); `what` names it in the error.
pub fn read_len(r: &mut impl Read, limit: u64, what: &str) -> io::Result<usize> {
    let n = read_u64(r)?;
    if n > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} of {n} exceeds {limit}"),
        ));
    }
    Ok(n as usize)
}

pub fn write_text(w: &mut impl Write, s: &str) -> io::Result<()> {
    write_u64(w, s.len() as u64)?;
    w.write_all(s.as_bytes())
}

pub fn read_text(r: &mut impl Read) -> io::Result<String> {
    let n = read_len(r, 1 << 26, "a text")?;
    let mut b = vec![0u8; n];
    r.read_exact(&mut b)?;
    String::from_utf8(b).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// The numbers alone: the reader knows how many come.
pub fn write_f64s(w: &mut impl Write, v: &[f64]) -> io::Result<()> {
    for x in v {
        w.write_all(&x.to_le_bytes())?;
    }
    Ok(())
}

pub fn read_f64s(r: &mut impl Read, n: usize) -> io::Result<Vec<f64>> {
    let mut b = vec![0u8; n * 8];
    r.read_exact(&mut b)?;
    Ok(b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cross_exactly_and_a_cut_message_is_refused() {
        let outputs = [1.0 / 3.0, f64::NAN, -0.0, f64::INFINITY, 7.5e-77];
        let mut bytes = Vec::new();
        write_u64(&mut bytes, 42).unwrap();
        write_f64s(&mut bytes, &outputs).unwrap();
        write_text(&mut bytes, "SPheno: |mu|^2 < 0 ✗").unwrap();
        let read = |mut r: &[u8]| -> io::Result<(u64, Vec<f64>, String)> {
            Ok((read_u64(&mut r)?, read_f64s(&mut r, outputs.len())?, read_text(&mut r)?))
        };
        let (n, back, text) = read(&bytes).unwrap();
        assert_eq!(n, 42);
        assert_eq!(
            back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            outputs.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(text, "SPheno: |mu|^2 < 0 ✗");
        for cut in [3, 20, bytes.len() - 1] {
            assert!(read(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut huge = Vec::new();
        write_u64(&mut huge, 1 << 40).unwrap();
        assert!(read_text(&mut &huge[..]).is_err());
    }
}
