"""Write the sample points of the vegas fixture's case_5d as raw little-endian doubles.

The fixture stores only the trained grid of case_5d; its 10^4 x 5 input points come from
numpy.random.Generator(PCG64(11)).uniform(0, 1, (10000, 5)). This script regenerates them
(numpy 2.4.6, as the fixture) so the vegas-map test can train on exactly the same data:

    python benches/reference/vegas_case_5d_data.py crates/vegas-map/tests/fixtures/case_5d_x.f64
"""
import sys

import numpy as np

x = np.random.Generator(np.random.PCG64(11)).uniform(0.0, 1.0, size=(10000, 5))
x.astype("<f8").tofile(sys.argv[1])
print(f"wrote {x.shape} to {sys.argv[1]}; first row {x[0].tolist()}")
