#!/bin/sh
# A stand-in for 2HDMC's CalcPhys, for tests and for trying the chain without 2HDMC:
# same arguments (mh mH mA mHp sba l6 l7 m12^2 tanb type out), and an SLHA file with the
# blocks a real run writes, from toy formulas: MASS 25/35/36/37 as given, THDM 1 (valid
# parameters) = 0 below tan(beta) = 1, exit status 255 for sba outside [-1, 1], as
# CalcPhys rejects it.
awk -v mh="$1" -v mH="$2" -v mA="$3" -v mHp="$4" -v sba="$5" -v tanb="$9" -v out="${11}" 'BEGIN {
    if (sba < -1 || sba > 1) { print "sin(beta-alpha) outside [-1, 1]"; exit 255 }
    valid = (tanb >= 1) ? 1 : 0
    print "Block MASS" > out
    printf "   25   %.8e   # h\n", mh > out
    printf "   35   %.8e   # H\n", mH > out
    printf "   36   %.8e   # A\n", mA > out
    printf "   37   %.8e   # H+\n", mHp > out
    print "Block THDM" > out
    printf "    1   %d   # valid parameters\n", valid > out
    printf "    2   1   # unitarity\n" > out
    printf "    3   1   # perturbativity\n" > out
    printf "    4   1   # stability\n" > out
}'
