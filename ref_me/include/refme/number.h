// refme/number.h -- what the physics core needs from its number type F.
//
// Every routine of the core (wavefunctions, vertices, propagators, colour sums,
// the processes) is a template on F, instantiated for
//   double          one event (CPU scalar path, CUDA, the reference numbers),
//   Vec<L>          L events at once, one per SIMD lane (simd.h, CPU only),
//   Dual<T, N>      forward-mode derivatives in N directions (dual.h).
// F must provide, as free functions found by ordinary lookup or ADL:
//   F(double), F(int)                  broadcast of a constant (implicit from double)
//   + - * / between two F, unary -, += -= *=   (a double operand converts to F)
//   sqrt(F), fabs(F)                   correctly rounded, lane by lane
//   F < F, <=, >, >=, ==, !=           a mask M (bool for double and Dual)
//   M & M, M | M                       element-wise and/or of masks
//   where(M, F a, F b)                 a where the mask is set, else b (both evaluated)
//   any_lane(M)                        true if the mask is set in any lane
//   mul_add(F a, F b, F c)             a * b + c, fused where the instruction set has a
//                                      fused multiply-add (dual.h: derivatives only)
// Data-dependent branches of the physics are written as where(...) of both
// branches, so one code path serves every lane; for double, where() is the
// plain conditional and the results are bit-identical to branching code.
// nd<F> marks a parameter whose type must not be deduced from it (a double literal
// passed for an F argument converts instead of failing deduction).
// Momentum<F> is the number type of the momenta in an evaluation over F: F itself,
// except in parameter-gradient passes (dual.h, ParameterDual), where the momenta are
// constants and everything computed from them alone stays over the plain type.
#ifndef REFME_NUMBER_H
#define REFME_NUMBER_H

#include <math.h>

#include "config.h"

REFME_BEGIN_NAMESPACE

template <class T>
struct NonDeduced {
    using type = T;
};
template <class T>
using nd = typename NonDeduced<T>::type;

template <class F>
struct MomentumType {
    using type = F;
};
template <class F>
using Momentum = typename MomentumType<F>::type;

REFME_HD inline double where(bool mask, double a, double b) { return mask ? a : b; }
REFME_HD inline bool any_lane(bool mask) { return mask; }

// a * b + c with one rounding where the object's instruction set has a fused
// multiply-add (AVX-512F has the scalar one too; the x86-64-v2 baseline and plain AVX2
// objects have none, and a library call would cost more than it saves), else with two.
// The rounding thus depends on the path: only derivatives use it (dual.h), never a
// value that must carry the bits of the plain evaluation.
REFME_HD REFME_ALWAYS_INLINE double mul_add(double a, double b, double c) {
#if defined(__CUDACC__)
    return fma(a, b, c);
#elif defined(__FMA__) || defined(__AVX512F__)
    return __builtin_fma(a, b, c);
#else
    return a * b + c;
#endif
}

// Moving events between the structure-of-arrays buffers of umami.h and values of F:
// size consecutive events per value (simd.h adds the SIMD vectors).
template <class F>
struct Lanes;

template <>
struct Lanes<double> {
    static constexpr int size = 1;
    REFME_HD static double load(const double* p) { return *p; }
    REFME_HD static void store(double* p, double v) { *p = v; }
    REFME_HD static double get(double v, int) { return v; }
};

REFME_END_NAMESPACE

#endif  // REFME_NUMBER_H
