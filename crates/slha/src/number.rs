//! Numbers as spectrum generators write them: Fortran `E` and `D` exponents, the
//! letter-less three-digit exponent Fortran falls back to (`1.0-100`), NaN and infinities.

/// A token of an entry line, typed as far as it can be.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Digits with an optional sign (no leading zero: `0305` is an identifier, kept as text).
    Int(i64),
    Real(f64),
    Text(String),
}

impl Value {
    /// Types one token.
    pub fn parse(token: &str) -> Value {
        if is_int(token)
            && let Ok(i) = token.parse::<i64>()
        {
            return Value::Int(i);
        }
        let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && !is_int(token) {
            // Zero-padded digits are identifiers (FWCOEF's `0305`), not numbers.
            return Value::Text(token.to_string());
        }
        match parse_real(token) {
            Some(x) => Value::Real(x),
            None => Value::Text(token.to_string()),
        }
    }

    /// The value as a number (integers widened), if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Real(x) => Some(*x),
            Value::Text(_) => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

fn is_int(t: &str) -> bool {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == 1 || !digits.starts_with('0') || digits.bytes().all(|b| b == b'0'))
}

/// A real number in any of the spellings above; `None` for anything else.
pub fn parse_real(token: &str) -> Option<f64> {
    let t = token.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "nan" | "inf" | "infinity") {
        return lower.parse().ok();
    }
    // Only digits, one dot, signs and an exponent letter may appear: `f64::from_str` alone
    // would also take words like "infinity" spelt differently, or hex-like junk.
    if !lower
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'+' | b'-' | b'e' | b'd'))
    {
        return None;
    }
    let normal = lower.replace('d', "e");
    if let Ok(x) = normal.parse::<f64>() {
        return Some(x);
    }
    // Fortran's `1.0-100`: a sign after the mantissa stands for the exponent letter.
    let body = normal.strip_prefix(['+', '-']).unwrap_or(&normal);
    let split = body.rfind(['+', '-']).filter(|&i| i > 0 && !body[..i].ends_with('e'))?;
    let at = normal.len() - body.len() + split;
    let (mantissa, exponent) = normal.split_at(at);
    let exponent: i32 = exponent.parse().ok()?;
    format!("{mantissa}e{exponent}").parse().ok()
}

/// `x` in the `%.{digits}E` style of Fortran writers: `1.26726537E+02`.
pub fn format_fortran(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let s = format!("{x:.digits$E}");
    match s.split_once('E') {
        Some((m, e)) => {
            let (sign, mag) = e.strip_prefix('-').map_or(("+", e), |m| ("-", m));
            format!("{m}E{sign}{mag:0>2}")
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_number() {
        for (t, x) in [
            ("1.26726537E+02", 126.726537),
            ("-3.93066569E+02", -393.066569),
            ("0.356566", 0.356566),
            ("-0.132893E-01", -0.0132893),
            ("0.", 0.0),
            (".5", 0.5),
            ("1.000E-30", 1e-30),
            ("2.5D+03", 2500.0),
            ("2.5d-3", 0.0025),
            ("1.0-100", 1e-100),
            ("-1.5+101", -1.5e101),
            ("1e5", 1e5),
        ] {
            assert_eq!(parse_real(t), Some(x), "{t}");
        }
        assert!(parse_real("-nan").unwrap().is_nan());
        assert_eq!(parse_real("Inf"), Some(f64::INFINITY));
        for t in ["abc", "1.2.3", "E5", "-", "+-1", "1-", "0x10", "", "1e", "==="] {
            assert_eq!(parse_real(t), None, "{t}");
        }
    }

    #[test]
    fn integers_identifiers_and_text() {
        assert_eq!(Value::parse("25"), Value::Int(25));
        assert_eq!(Value::parse("-1000024"), Value::Int(-1000024));
        assert_eq!(Value::parse("00"), Value::Int(0));
        assert_eq!(Value::parse("0305"), Value::Text("0305".into()));
        assert_eq!(Value::parse("1.0"), Value::Real(1.0));
        assert_eq!(Value::parse("SPheno"), Value::Text("SPheno".into()));
        assert_eq!(Value::parse("99999999999999999999"), Value::Real(1e20));
    }

    #[test]
    fn fortran_format() {
        assert_eq!(format_fortran(126.726537, 8), "1.26726537E+02");
        assert_eq!(format_fortran(-0.0013, 4), "-1.3000E-03");
        assert_eq!(format_fortran(0.0, 8), "0.00000000E+00");
        assert_eq!(format_fortran(1e-100, 3), "1.000E-100");
    }
}
