//! The serialised form of a map: only the edges and pending training data are stored, and
//! the derived tables are rebuilt (and the stored data checked) on load.

use serde::{Deserialize, Serialize};

use crate::VegasError;
use crate::map::AdaptiveMap;
use crate::training::Accumulators;

/// The stored form: edges and pending training data; the rest is derived on load.
#[derive(Serialize, Deserialize)]
pub(crate) struct SerializedMap {
    grid: Vec<Vec<f64>>,
    #[serde(default)]
    training: Option<Accumulators>,
}

impl From<AdaptiveMap> for SerializedMap {
    fn from(m: AdaptiveMap) -> Self {
        SerializedMap {
            grid: m.grid,
            training: m.training,
        }
    }
}

impl TryFrom<SerializedMap> for AdaptiveMap {
    type Error = VegasError;
    fn try_from(s: SerializedMap) -> Result<Self, VegasError> {
        let mut m = AdaptiveMap::new(s.grid)?;
        if let Some(t) = &s.training {
            let fits = |v: &Vec<Vec<f64>>| v.len() == m.dim() && v.iter().zip(&m.inc).all(|(a, b)| a.len() == b.len());
            if !fits(&t.sum) || !fits(&t.count) {
                return Err(VegasError::Shape("stored training data does not match the grid".into()));
            }
        }
        m.training = s.training;
        Ok(m)
    }
}
