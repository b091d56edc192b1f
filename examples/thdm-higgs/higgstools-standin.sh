#!/bin/sh
# A stand-in for a HiggsBounds/HiggsSignals-style tool, for tests and for trying the chain:
# reads the SLHA spectrum the previous program wrote ($1) and appends result blocks, as
# HiggsBounds and HiggsSignals do with their SLHA input: HIGGSBOUNDSRESULTS 1 = allowed
# (1) or excluded (0), with excluded taken as m_A < 300 GeV; HIGGSSIGNALSRESULTS 1 = a
# chi2 from toy signal strengths that fall as the heavy states approach m_h.
awk '
    /^Block/ { block = $2 }
    block == "MASS" && $1 == 25 { mh = $2 }
    block == "MASS" && $1 == 35 { mH = $2 }
    block == "MASS" && $1 == 36 { mA = $2 }
    END {
        if (mh == "" || mH == "") { print "no MASS block in the input" > "/dev/stderr"; exit 2 }
        allowed = (mA >= 300) ? 1 : 0
        d = (mH - mh) / 100
        mu = 1 - 0.3 / (1 + d * d)
        chi2 = ((mu - 1) / 0.05) ^ 2 + ((mh - 125.09) / 0.24) ^ 2
        printf "Block HIGGSBOUNDSRESULTS\n    1   %d   # allowed\n", allowed
        printf "Block HIGGSSIGNALSRESULTS\n    1   %.8e   # chi2\n", chi2
    }' "$1" >> "$1"
