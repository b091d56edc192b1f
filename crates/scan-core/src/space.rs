//! The parameter box: names, ranges, scales, and the map to and from the unit cube.
//!
//! Every strategy works in the unit cube u ∈ [0,1]^d; a parameter's scale decides how u
//! maps to its physical value (linear, or logarithmic for ranges spanning decades).

use serde::{Deserialize, Serialize};

use crate::error::ScanError;

/// How a parameter's unit coordinate maps to its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// x = min + u·(max − min).
    #[default]
    Linear,
    /// ln x = ln min + u·(ln max − ln min); needs 0 < min.
    Log,
}

/// One scanned parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    pub min: f64,
    pub max: f64,
    #[serde(default)]
    pub scale: Scale,
}

impl Parameter {
    /// A linear parameter on [min, max].
    pub fn linear(name: impl Into<String>, min: f64, max: f64) -> Self {
        Parameter {
            name: name.into(),
            min,
            max,
            scale: Scale::Linear,
        }
    }

    /// A logarithmic parameter on [min, max], 0 < min.
    pub fn log(name: impl Into<String>, min: f64, max: f64) -> Self {
        Parameter {
            name: name.into(),
            min,
            max,
            scale: Scale::Log,
        }
    }

    /// Check the name and range; the error names the parameter.
    pub fn check(&self) -> Result<(), ScanError> {
        if self.name.trim().is_empty() {
            return Err(ScanError::setting("parameter", "the name is empty"));
        }
        let bad = |m: String| Err(ScanError::setting(format!("parameter `{}`", self.name), m));
        if !self.min.is_finite() || !self.max.is_finite() {
            return bad("min and max must be finite".into());
        }
        if self.min >= self.max {
            return bad(format!("min ({}) must be smaller than max ({})", self.min, self.max));
        }
        // Points are min + u·(max − min): a width beyond the largest float maps every point
        // to ±inf.
        if !(self.max - self.min).is_finite() {
            return bad(format!(
                "the width max − min of [{}, {}] overflows; scan a narrower range or use scale = \"log\"",
                self.min, self.max
            ));
        }
        if self.scale == Scale::Log && self.min <= 0.0 {
            return bad(format!("log scale needs a positive range, but min = {}", self.min));
        }
        Ok(())
    }

    /// Physical value of unit coordinate `u`.
    pub fn from_unit(&self, u: f64) -> f64 {
        match self.scale {
            Scale::Linear => self.min + u * (self.max - self.min),
            Scale::Log => (self.min.ln() + u * (self.max.ln() - self.min.ln())).exp(),
        }
    }

    /// Unit coordinate of physical value `x`.
    pub fn to_unit(&self, x: f64) -> f64 {
        match self.scale {
            Scale::Linear => (x - self.min) / (self.max - self.min),
            Scale::Log => (x.ln() - self.min.ln()) / (self.max.ln() - self.min.ln()),
        }
    }
}

/// The validated parameter box.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Space {
    parameters: Vec<Parameter>,
}

impl Space {
    /// Validate the parameters: at least one, unique names, finite min < max, positive
    /// ranges for log scales.
    pub fn new(parameters: Vec<Parameter>) -> Result<Self, ScanError> {
        if parameters.is_empty() {
            return Err(ScanError::setting("parameter", "at least one parameter is needed"));
        }
        for (i, p) in parameters.iter().enumerate() {
            p.check()?;
            if parameters[..i].iter().any(|q| q.name == p.name) {
                return Err(ScanError::setting(
                    format!("parameter `{}`", p.name),
                    "is defined twice",
                ));
            }
        }
        Ok(Space { parameters })
    }

    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.parameters.len()
    }

    /// The parameters, in order.
    pub fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    /// Map unit-cube rows (row-major, `dim` columns) to physical rows.
    pub fn from_unit_rows(&self, unit: &[f64]) -> Vec<f64> {
        let d = self.dim();
        unit.iter()
            .enumerate()
            .map(|(i, &u)| self.parameters[i % d].from_unit(u))
            .collect()
    }

    /// Map physical rows to unit-cube rows.
    pub fn to_unit_rows(&self, x: &[f64]) -> Vec<f64> {
        let d = self.dim();
        x.iter()
            .enumerate()
            .map(|(i, &v)| self.parameters[i % d].to_unit(v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_parameter() {
        let bad = [
            (Parameter::linear("a", 1.0, 1.0), "min (1) must be smaller than max (1)"),
            (Parameter::linear("a", 2.0, 1.0), "must be smaller"),
            (Parameter::log("m0", 0.0, 10.0), "log scale needs a positive range"),
            (Parameter::log("m0", -1.0, 10.0), "log scale"),
            (Parameter::linear("a", f64::NAN, 1.0), "finite"),
        ];
        for (p, msg) in bad {
            let err = Space::new(vec![p]).unwrap_err().to_string();
            assert!(err.contains(msg), "{err}");
        }
        let dup = Space::new(vec![Parameter::linear("a", 0.0, 1.0), Parameter::linear("a", 0.0, 2.0)]);
        assert!(dup.unwrap_err().to_string().contains("defined twice"));
        assert!(Space::new(vec![]).is_err());
    }

    #[test]
    fn unit_round_trip_linear_and_log() {
        let s = Space::new(vec![Parameter::linear("a", -3.0, 5.0), Parameter::log("b", 1e-2, 1e4)]).unwrap();
        let unit = [0.0, 0.0, 0.25, 0.5, 1.0, 1.0];
        let x = s.from_unit_rows(&unit);
        assert_eq!(x[0], -3.0);
        assert!((x[1] - 1e-2).abs() < 1e-15);
        assert_eq!(x[2], -1.0);
        assert!(
            (x[3] - 10.0).abs() < 1e-12,
            "log midpoint is the geometric mean: {}",
            x[3]
        );
        assert!((x[5] - 1e4).abs() < 1e-9);
        let back = s.to_unit_rows(&x);
        for (a, b) in unit.iter().zip(&back) {
            assert!((a - b).abs() < 1e-12);
        }
    }
}
