// refme/complex.h -- a minimal complex number usable in host and device code.
//
// std::complex cannot be used in CUDA device functions, so the core carries its own
// POD type. Only the operations the amplitudes need are provided.
#ifndef REFME_COMPLEX_H
#define REFME_COMPLEX_H

#include "config.h"

namespace refme {

struct cx {
    double re;
    double im;
};

REFME_HD constexpr cx make_cx(double re, double im = 0.0) { return cx{re, im}; }
REFME_HD constexpr cx operator+(cx a, cx b) { return cx{a.re + b.re, a.im + b.im}; }
REFME_HD constexpr cx operator-(cx a, cx b) { return cx{a.re - b.re, a.im - b.im}; }
REFME_HD constexpr cx operator-(cx a) { return cx{-a.re, -a.im}; }
REFME_HD constexpr cx operator*(cx a, cx b) {
    return cx{a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
REFME_HD constexpr cx operator*(double s, cx a) { return cx{s * a.re, s * a.im}; }
REFME_HD constexpr cx operator*(cx a, double s) { return cx{s * a.re, s * a.im}; }
REFME_HD constexpr cx operator+(cx a, double s) { return cx{a.re + s, a.im}; }
REFME_HD constexpr cx operator-(cx a, double s) { return cx{a.re - s, a.im}; }
REFME_HD constexpr cx operator/(cx a, double s) { return cx{a.re / s, a.im / s}; }
REFME_HD inline cx operator/(cx a, cx b) {
    // Plain formula (as CUDACPP's cxsmpl): the operands here are never near overflow.
    const double d = b.re * b.re + b.im * b.im;
    return cx{(a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d};
}
REFME_HD inline cx& operator+=(cx& a, cx b) { a.re += b.re; a.im += b.im; return a; }
REFME_HD inline cx& operator-=(cx& a, cx b) { a.re -= b.re; a.im -= b.im; return a; }
REFME_HD constexpr cx conj(cx a) { return cx{a.re, -a.im}; }
REFME_HD constexpr double abs2(cx a) { return a.re * a.re + a.im * a.im; }
// i * a without a full complex multiplication.
REFME_HD constexpr cx times_i(cx a) { return cx{-a.im, a.re}; }

constexpr cx kI{0.0, 1.0};

}  // namespace refme

#endif  // REFME_COMPLEX_H
