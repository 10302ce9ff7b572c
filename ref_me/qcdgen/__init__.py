"""Generator of the QCD reference processes g g > t t~ + gluons (stdlib only).

Run at build time (``make cpu-libs``): enumerates the tree diagrams, computes the
colour matrix and each diagram's colour-flow coefficients exactly (fractions), and
writes the process's C++ traits for refme/umami_glue.h into build/gen/.
"""
