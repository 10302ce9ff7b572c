// refme/complex.h -- a minimal complex number over any number type F (number.h),
// usable in host and device code.
//
// std::complex cannot be used in CUDA device functions nor over SIMD or dual
// numbers, so the core carries its own POD type. Only the operations the amplitudes
// need are provided; cx is the double instantiation.
#ifndef REFME_COMPLEX_H
#define REFME_COMPLEX_H

#include "number.h"

REFME_BEGIN_NAMESPACE

template <class F>
struct Cx {
    F re;
    F im;
};
using cx = Cx<double>;

REFME_HD constexpr cx make_cx(double re, double im = 0.0) { return cx{re, im}; }
// Complex number of F from real and imaginary parts given as F, double or int.
template <class F>
REFME_HD constexpr Cx<F> cx_of(const nd<F>& re, const nd<F>& im = nd<F>(0.0)) {
    return Cx<F>{re, im};
}
// A Cx<P> as Cx<F> (P converting to F: a constant as a dual number, number.h's Momentum).
template <class F, class P>
REFME_HD constexpr Cx<F> to_cx(const Cx<P>& a) {
    return Cx<F>{F(a.re), F(a.im)};
}

template <class F>
REFME_HD constexpr Cx<F> operator+(const Cx<F>& a, const Cx<F>& b) {
    return Cx<F>{a.re + b.re, a.im + b.im};
}
template <class F>
REFME_HD constexpr Cx<F> operator-(const Cx<F>& a, const Cx<F>& b) {
    return Cx<F>{a.re - b.re, a.im - b.im};
}
template <class F>
REFME_HD constexpr Cx<F> operator-(const Cx<F>& a) {
    return Cx<F>{-a.re, -a.im};
}
template <class F>
REFME_HD constexpr Cx<F> operator*(const Cx<F>& a, const Cx<F>& b) {
    return Cx<F>{a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
template <class F>
REFME_HD constexpr Cx<F> operator*(const nd<F>& s, const Cx<F>& a) {
    return Cx<F>{s * a.re, s * a.im};
}
template <class F>
REFME_HD constexpr Cx<F> operator*(const Cx<F>& a, const nd<F>& s) {
    return Cx<F>{s * a.re, s * a.im};
}
template <class F>
REFME_HD constexpr Cx<F> operator+(const Cx<F>& a, const nd<F>& s) {
    return Cx<F>{a.re + s, a.im};
}
template <class F>
REFME_HD constexpr Cx<F> operator-(const Cx<F>& a, const nd<F>& s) {
    return Cx<F>{a.re - s, a.im};
}
template <class F>
REFME_HD constexpr Cx<F> operator/(const Cx<F>& a, const nd<F>& s) {
    return Cx<F>{a.re / s, a.im / s};
}
template <class F>
REFME_HD inline Cx<F> operator/(const Cx<F>& a, const Cx<F>& b) {
    // Plain formula (as CUDACPP's cxsmpl): the operands here are never near overflow.
    const F d = b.re * b.re + b.im * b.im;
    return Cx<F>{(a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d};
}
template <class F>
REFME_HD inline Cx<F>& operator+=(Cx<F>& a, const Cx<F>& b) {
    a.re += b.re;
    a.im += b.im;
    return a;
}
template <class F>
REFME_HD inline Cx<F>& operator-=(Cx<F>& a, const Cx<F>& b) {
    a.re -= b.re;
    a.im -= b.im;
    return a;
}
template <class F>
REFME_HD constexpr Cx<F> conj(const Cx<F>& a) {
    return Cx<F>{a.re, -a.im};
}
template <class F>
REFME_HD constexpr F abs2(const Cx<F>& a) {
    return a.re * a.re + a.im * a.im;
}
// i * a without a full complex multiplication.
template <class F>
REFME_HD constexpr Cx<F> times_i(const Cx<F>& a) {
    return Cx<F>{-a.im, a.re};
}
// Lane-wise choice between two complex numbers (number.h's where on both parts).
template <class M, class F>
REFME_HD inline Cx<F> where(const M& mask, const Cx<F>& a, const Cx<F>& b) {
    return Cx<F>{where(mask, a.re, b.re), where(mask, a.im, b.im)};
}

REFME_END_NAMESPACE

#endif  // REFME_COMPLEX_H
