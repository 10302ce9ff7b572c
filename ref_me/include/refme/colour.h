// refme/colour.h -- colour-matrix contraction of partial amplitudes.
//
// |M|^2 summed over colours = sum_ij conj(jamp_i) cf_ij jamp_j / denom_i, with the
// integer colour matrix cf and the per-row denominators of MadGraph's output. cf is
// real and symmetric, so the sum is real.
#ifndef REFME_COLOUR_H
#define REFME_COLOUR_H

#include "complex.h"

REFME_BEGIN_NAMESPACE

template <int N, class F>
REFME_HD inline F colour_sum(const double (&cf)[N][N], const double (&denom)[N],
                             const Cx<F> (&jamp)[N]) {
    F total = 0.0;
    for (int i = 0; i < N; ++i) {
        Cx<F> row = cx_of<F>(0.0);
        for (int j = 0; j < N; ++j) row += cf[i][j] * jamp[j];
        total += (row.re * jamp[i].re + row.im * jamp[i].im) / denom[i];
    }
    return total;
}

REFME_END_NAMESPACE

#endif  // REFME_COLOUR_H
