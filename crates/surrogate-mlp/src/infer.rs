//! Inference in chunks without gradients, so that 10^6+ rows never build one huge
//! activation tensor.

use tch::{Device, Kind, Tensor};

use crate::network::Network;

/// `f` applied without gradients to the rows of `x` (already on the device) in chunks of
/// `chunk_rows`, the results concatenated on the device. The siamese classifier embeds
/// its training points this way before training its head.
pub fn forward_chunked(x: &Tensor, chunk_rows: usize, f: impl Fn(&Tensor) -> Tensor) -> Tensor {
    let n = x.size()[0];
    let chunk = chunk_rows.max(1) as i64;
    tch::no_grad(|| {
        if n <= chunk {
            return f(x);
        }
        let parts: Vec<Tensor> = (0..n)
            .step_by(chunk as usize)
            .map(|start| f(&x.narrow(0, start, chunk.min(n - start))))
            .collect();
        Tensor::cat(&parts, 0)
    })
}

/// `f` applied without gradients to row-major host rows `x` (`dim` columns), uploaded to
/// `device` in chunks of `chunk_rows`; its outputs come back flattened as f32.
pub fn infer_with(x: &[f32], dim: usize, device: Device, chunk_rows: usize, f: impl Fn(&Tensor) -> Tensor) -> Vec<f32> {
    let n = x.len() / dim.max(1);
    let chunk = chunk_rows.max(1);
    let mut out = Vec::with_capacity(n);
    tch::no_grad(|| {
        for start in (0..n).step_by(chunk) {
            let len = chunk.min(n - start);
            let xs = Tensor::from_slice(&x[start * dim..(start + len) * dim])
                .view([len as i64, dim as i64])
                .to_device(device);
            let ys = f(&xs).to_device(Device::Cpu).to_kind(Kind::Float).view([-1]);
            out.extend(Vec::<f32>::try_from(&ys).expect("float outputs"));
        }
    });
    out
}

/// Raw outputs of `net` for scaled host rows `x`, in chunks (see [`infer_with`]).
pub fn infer(net: &Network, x: &[f32], dim: usize, chunk_rows: usize) -> Vec<f32> {
    infer_with(x, dim, net.vs.device(), chunk_rows, |t| net.forward(t))
}
