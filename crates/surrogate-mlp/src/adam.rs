//! Adam with its moment estimates in tensors of its own, so that a saved model keeps them:
//! libtorch's optimiser cannot be saved through tch, and a network loaded without them
//! would restart Adam, whose first steps move every weight by about the learning rate.
//!
//! The update is PyTorch's `Adam` (L2 weight decay added to the gradient, bias-corrected
//! moments): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).

use std::path::Path;

use tch::{Kind, Tensor, nn};

use crate::error::SurrogateError;

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

/// The optimiser of one network: a moment pair per trainable variable, by name.
#[derive(Debug)]
pub struct Adam {
    /// (name, parameter, first moment, second moment), sorted by name.
    state: Vec<(String, Tensor, Tensor, Tensor)>,
    steps: i64,
    lr: f64,
    weight_decay: f64,
}

impl Adam {
    /// A fresh Adam over the trainable variables of `vs`.
    pub fn new(vs: &nn::VarStore, lr: f64, weight_decay: f64) -> Adam {
        let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().filter(|(_, t)| t.requires_grad()).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let state = vars
            .into_iter()
            .map(|(name, p)| {
                let (m, v) = tch::no_grad(|| (p.zeros_like(), p.zeros_like()));
                (name, p, m, v)
            })
            .collect();
        Adam {
            state,
            steps: 0,
            lr,
            weight_decay,
        }
    }

    pub fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    pub fn set_weight_decay(&mut self, weight_decay: f64) {
        self.weight_decay = weight_decay;
    }

    /// Steps taken so far.
    pub fn steps(&self) -> i64 {
        self.steps
    }

    /// Zero the gradients, back-propagate `loss`, and take one step.
    ///
    /// Few tensor operations per variable (each costs a dispatch, which on small layers
    /// is most of the time): m and v by `lerp_`, and the step folded into one `addcdiv_`
    /// as p += m / d with d = −(√v + ε·√c₂) · c₁ / (lr·√c₂), cₖ = 1 − βₖᵗ.
    pub fn backward_step(&mut self, loss: &Tensor) {
        for (_, p, _, _) in &self.state {
            let mut g = p.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
        loss.backward();
        self.steps += 1;
        let c1 = 1.0 - BETA1.powi(self.steps as i32);
        let root_c2 = (1.0 - BETA2.powi(self.steps as i32)).sqrt();
        let weight_decay = self.weight_decay;
        let lr = self.lr;
        tch::no_grad(|| {
            for (_, p, m, v) in &mut self.state {
                let g = p.grad();
                if !g.defined() {
                    continue;
                }
                let g = if weight_decay != 0.0 { g + &*p * weight_decay } else { g };
                let _ = m.lerp_(&g, 1.0 - BETA1);
                let _ = v.lerp_(&g.square(), 1.0 - BETA2);
                if lr == 0.0 {
                    continue;
                }
                let mut d = v.sqrt();
                let _ = d.g_add_scalar_(EPS * root_c2);
                let _ = d.g_mul_scalar_(-c1 / (lr * root_c2));
                let _ = p.addcdiv_(m, &d);
            }
        });
    }

    /// Save the moments and the step count to `path` (safetensors).
    pub fn save(&self, path: &Path) -> Result<(), SurrogateError> {
        let mut named: Vec<(String, Tensor)> = vec![("steps".into(), Tensor::from_slice(&[self.steps]))];
        for (name, _, m, v) in &self.state {
            named.push((format!("m.{name}"), m.shallow_clone()));
            named.push((format!("v.{name}"), v.shallow_clone()));
        }
        Tensor::write_safetensors(&named, path)?;
        Ok(())
    }

    /// Adam over the trainable variables of `vs` with the moments saved at `path`; every
    /// variable must have its moments there, with its shape.
    pub fn load(vs: &nn::VarStore, lr: f64, weight_decay: f64, path: &Path) -> Result<Adam, SurrogateError> {
        let mut adam = Adam::new(vs, lr, weight_decay);
        let saved: std::collections::HashMap<String, Tensor> = Tensor::read_safetensors(path)?.into_iter().collect();
        let bad = |message: String| SurrogateError::Io {
            path: path.to_path_buf(),
            message,
        };
        let steps = saved.get("steps").ok_or_else(|| bad("no `steps` entry".into()))?;
        adam.steps = steps.to_kind(Kind::Int64).int64_value(&[0]);
        let device = vs.device();
        for (name, p, m, v) in &mut adam.state {
            for (prefix, slot) in [("m", m), ("v", v)] {
                let key = format!("{prefix}.{name}");
                let t = saved.get(&key).ok_or_else(|| bad(format!("no `{key}` entry")))?;
                if t.size() != p.size() {
                    return Err(bad(format!(
                        "`{key}` has shape {:?}, the network {:?}",
                        t.size(),
                        p.size()
                    )));
                }
                tch::no_grad(|| slot.copy_(&t.to_device(device).to_kind(p.kind())));
            }
        }
        Ok(adam)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    /// A least-squares problem on a 3-parameter linear model.
    fn problem(vs: &nn::VarStore) -> (nn::Linear, Tensor, Tensor) {
        let lin = nn::linear(vs.root() / "lin", 3, 1, Default::default());
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, -1.0, 0.5, 2.0, 0.0, 1.0, -2.0]).view([3, 3]);
        let y = Tensor::from_slice(&[1.0f32, -1.0, 0.5]).view([3, 1]);
        (lin, x, y)
    }

    fn loss(lin: &nn::Linear, x: &Tensor, y: &Tensor) -> Tensor {
        use tch::nn::Module;
        (lin.forward(x) - y).square().mean(Kind::Float)
    }

    #[test]
    fn it_descends_and_a_saved_state_continues_exactly() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let (lin, x, y) = problem(&vs);
        let mut adam = Adam::new(&vs, 0.05, 0.0);
        let first = loss(&lin, &x, &y).double_value(&[]);
        for _ in 0..20 {
            adam.backward_step(&loss(&lin, &x, &y));
        }
        assert!(loss(&lin, &x, &y).double_value(&[]) < 0.5 * first);
        // Save weights and moments, go on 10 steps; then load both and go the same 10 steps.
        let dir = tempfile::tempdir().unwrap();
        vs.save(dir.path().join("w.safetensors")).unwrap();
        adam.save(&dir.path().join("adam.safetensors")).unwrap();
        for _ in 0..10 {
            adam.backward_step(&loss(&lin, &x, &y));
        }
        let straight = lin.ws.flatten(0, -1);
        let mut vs2 = nn::VarStore::new(Device::Cpu);
        let (lin2, _, _) = problem(&vs2);
        vs2.load(dir.path().join("w.safetensors")).unwrap();
        let mut adam2 = Adam::load(&vs2, 0.05, 0.0, &dir.path().join("adam.safetensors")).unwrap();
        assert_eq!(adam2.steps(), 20);
        for _ in 0..10 {
            adam2.backward_step(&loss(&lin2, &x, &y));
        }
        let resumed = lin2.ws.flatten(0, -1);
        assert!(straight.equal(&resumed), "{straight} vs {resumed}");
        // A fresh Adam from the same weights takes different steps.
        let mut vs3 = nn::VarStore::new(Device::Cpu);
        let (lin3, _, _) = problem(&vs3);
        vs3.load(dir.path().join("w.safetensors")).unwrap();
        let mut fresh = Adam::new(&vs3, 0.05, 0.0);
        for _ in 0..10 {
            fresh.backward_step(&loss(&lin3, &x, &y));
        }
        assert!(!straight.equal(&lin3.ws.flatten(0, -1)));
    }
}
