"""Reference values for the `slha` crate: every block entry and decay table that pyslha
3.3.2 reads from the fixture files, as JSON (crates/slha/tests/fixtures/pyslha.json).

    python -m venv /tmp/slhavenv && /tmp/slhavenv/bin/pip install pyslha==3.3.2
    /tmp/slhavenv/bin/python benches/reference/slha_reference.py crates/slha/tests/fixtures

Run by hand; CI only reads the committed JSON.
"""
import json
import os
import sys

import pyslha


def plain(v):
    if isinstance(v, tuple):
        return [plain(x) for x in v]
    return v


def main(folder):
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            continue
        text = open(os.path.join(folder, name)).read()
        try:
            doc = pyslha.readSLHA(text, ignorenomass=True)
        except Exception as e:  # pyslha refuses some files; record why
            out[name] = {"error": f"{type(e).__name__}: {e}"}
            continue
        blocks = {}
        for bname, b in doc.blocks.items():
            blocks[bname] = {
                "q": None if b.q is None else float(b.q),
                "entries": [[plain(k), plain(v)] for k, v in b.items()],
            }
        # pyslha also lists a width-0 particle for every MASS entry without a DECAY
        # table; keep the tables the file has.
        tables = {int(line.split()[1]) for line in text.splitlines() if line.upper().startswith("DECAY")}
        decays = {}
        for pdg, p in doc.decays.items():
            if pdg not in tables:
                continue
            decays[str(pdg)] = {
                "width": p.totalwidth,
                "channels": [[d.br, d.nda, list(d.ids)] for d in p.decays],
            }
        out[name] = {"blocks": blocks, "decays": decays}
    with open(os.path.join(folder, "pyslha.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
