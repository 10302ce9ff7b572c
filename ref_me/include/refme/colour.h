// refme/colour.h -- colour-matrix contraction of partial amplitudes.
//
// |M|^2 summed over colours = sum_ij conj(jamp_i) cf_ij jamp_j / denom_i, with the
// integer colour matrix cf and the per-row denominators of MadGraph's output. cf is
// real, so the sum is real.
#ifndef REFME_COLOUR_H
#define REFME_COLOUR_H

#include "complex.h"

// Full unrolling folds the weights into constants (g++; nvcc has its own heuristics).
#ifdef __CUDACC__
#define REFME_UNROLL_COLOUR
#else
#define REFME_UNROLL_COLOUR _Pragma("GCC unroll 32")
#endif

REFME_BEGIN_NAMESPACE

template <int N, class F>
REFME_HD inline F colour_sum(const double (&cf)[N][N], const double (&denom)[N],
                             const Cx<F> (&jamp)[N]) {
    // Re(conj(jamp_i) jamp_j) is symmetric in i, j, so each pair is taken once with the
    // weights of both (i, j) and (j, i): half the products of the full matrix. The
    // weights are compile-time constants once the loops are unrolled (cf, denom are
    // constexpr in every process), so no division is left at run time.
    F total = 0.0;
    REFME_UNROLL_COLOUR
    for (int i = 0; i < N; ++i) {
        F re = (cf[i][i] / denom[i]) * jamp[i].re;
        F im = (cf[i][i] / denom[i]) * jamp[i].im;
        REFME_UNROLL_COLOUR
        for (int j = i + 1; j < N; ++j) {
            const double w = cf[i][j] / denom[i] + cf[j][i] / denom[j];
            re += w * jamp[j].re;
            im += w * jamp[j].im;
        }
        total += jamp[i].re * re + jamp[i].im * im;
    }
    return total;
}

REFME_END_NAMESPACE

#endif  // REFME_COLOUR_H
