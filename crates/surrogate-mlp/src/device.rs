//! Where a model computes.

use serde::{Deserialize, Serialize};

/// The device of a model: CPU by default; CUDA when asked for and present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    #[default]
    Cpu,
    /// The first CUDA device if one is present, else the CPU.
    Auto,
    /// A given CUDA device (falls back to an error at fit time when absent).
    Cuda(usize),
}

impl DeviceChoice {
    /// The tch device, or an error naming the missing GPU.
    pub fn resolve(self) -> Result<tch::Device, crate::SurrogateError> {
        match self {
            DeviceChoice::Cpu => Ok(tch::Device::Cpu),
            DeviceChoice::Auto => Ok(tch::Device::cuda_if_available()),
            DeviceChoice::Cuda(i) => {
                let count = tch::Cuda::device_count();
                if (i as i64) < count {
                    Ok(tch::Device::Cuda(i))
                } else {
                    Err(crate::SurrogateError::InvalidParams(format!(
                        "CUDA device {i} requested, {count} present"
                    )))
                }
            }
        }
    }
}

/// Whether libtorch sees a CUDA device.
pub fn cuda_available() -> bool {
    tch::Cuda::is_available()
}
