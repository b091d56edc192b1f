//! Read and edit SUSY Les Houches Accord files (SLHA1 and SLHA2).
//!
//! ```
//! let text = "\
//! Block MASS   # Mass spectrum
//!        25     1.26726537E+02   # h0
//!   1000022     4.97811425E+02   # ~chi_10
//! Block gauge Q=  2.00000000E+03  # (SUSY scale)
//!    1    3.63773060E-01  # g'(Q)^DRbar
//! DECAY   1000022     0.00000000E+00   # ~chi_10
//! ";
//! let mut doc = slha::Slha::parse(text).unwrap();
//! assert_eq!(doc.value("MASS", &[25]).unwrap(), 126.726537);
//! assert_eq!(doc.block("Gauge").unwrap().scale(), Some(2000.0));
//! assert_eq!(doc.decay(1000022).unwrap().width(), 0.0);
//!
//! // Editing one entry leaves every other byte as it was.
//! doc.set_value("mass", &[25], 125.0).unwrap();
//! assert_eq!(doc.value("MASS", &[25]).unwrap(), 125.0);
//! assert_eq!(doc.to_string(), text.replace("1.26726537E+02", "      1.25E+02"));
//! ```
//!
//! The reader follows pyslha's interpretation of entries (leading integers are the index,
//! the rest is the value) and agrees with pyslha 3.3.2 on real SPheno, NMSSMTools and
//! 2HDMC output; it also reads what pyslha refuses: flag lines without a value
//! (`SPINFO 4`), `NaN` widths, Fortran `D` exponents and stray text inside decay tables
//! (reported as [`Problem`]s by [`Slha::parse_lenient`]).
//!
//! Where pyslha silently keeps the last copy, this reader asks the file to be unambiguous:
//! a block may appear more than once only when every copy gives a different `Q=` scale
//! (running parameters at the GUT and the SUSY scale), and then [`Slha::block`] and
//! [`Slha::value`] read the last. A block repeated at the same scale or without one, `Q=`
//! without a value and a second `DECAY` table for one particle are errors of
//! [`Slha::parse`] naming the line (and the first copy's line);
//! [`Slha::parse_lenient`] keeps such blocks but [`Slha::value`] refuses to read from them.

mod document;
mod edit;
mod error;
mod number;
mod parse;

pub use document::{Block, Channel, Decay, Entry, Slha};
pub use error::SlhaError;
pub use number::{Value, format_fortran, parse_real};
pub use parse::Problem;

/// The README's example, compiled and run as a doctest so it cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
