// refme/dual.h -- Dual<T, N>: forward-mode dual numbers, a number type of the core
// (number.h). A value v and its derivatives d[0..N-1] along N seed directions;
// every operation applies the chain rule, so evaluating the templated physics with
// F = Dual<T, N> gives |M|^2 and its N directional derivatives in one pass.
// T is double (one event) or a SIMD vector Vec<L> (L events, one per lane: simd.h);
// comparisons look at the value only and give T's mask (bool for double), so
// where() picks value and derivatives of the branch each lane's value selects.
// The value part is computed with exactly the operations of the T evaluation, so it
// carries the same bits as |M|^2 computed over T.
#ifndef REFME_DUAL_H
#define REFME_DUAL_H

#include <math.h>

#include <type_traits>

#include "number.h"

REFME_BEGIN_NAMESPACE

template <class T, int N>
struct Dual {
    using Mask = decltype(T() < T());
    // A plain double operand besides T itself when T is a vector (else a type
    // nothing converts to, so the overloads below do not collide for T = double).
    struct NoScalar {};
    using Scalar = std::conditional_t<std::is_same_v<T, double>, NoScalar, double>;

    T v;
    T d[N];

    REFME_HD Dual() = default;
    REFME_HD Dual(const T& value) : v(value) {  // NOLINT: implicit, a constant has no derivative
        for (int k = 0; k < N; ++k) d[k] = T(0.0);
    }
    REFME_HD Dual(Scalar value) : Dual(T(value)) {}  // NOLINT: as above, for T a vector
    REFME_HD Dual(int value) : Dual(T(static_cast<double>(value))) {}
    // The variable of direction `k`: value x, derivative 1 along k.
    REFME_HD static Dual variable(const T& x, int k) {
        Dual r(x);
        r.d[k] = T(1.0);
        return r;
    }

    REFME_HD friend Dual operator+(const Dual& a, const Dual& b) {
        Dual r;
        r.v = a.v + b.v;
        for (int k = 0; k < N; ++k) r.d[k] = a.d[k] + b.d[k];
        return r;
    }
    REFME_HD friend Dual operator-(const Dual& a, const Dual& b) {
        Dual r;
        r.v = a.v - b.v;
        for (int k = 0; k < N; ++k) r.d[k] = a.d[k] - b.d[k];
        return r;
    }
    REFME_HD friend Dual operator-(const Dual& a) {
        Dual r;
        r.v = -a.v;
        for (int k = 0; k < N; ++k) r.d[k] = -a.d[k];
        return r;
    }
    REFME_HD friend Dual operator*(const Dual& a, const Dual& b) {
        Dual r;
        r.v = a.v * b.v;
        for (int k = 0; k < N; ++k) r.d[k] = a.d[k] * b.v + a.v * b.d[k];
        return r;
    }
    // A constant factor (couplings, signs, masses from the card) scales the
    // derivatives: N multiplications instead of a product rule over zeros.
    REFME_HD friend Dual scaled(const T& s, const Dual& a) {
        Dual r;
        r.v = s * a.v;
        for (int k = 0; k < N; ++k) r.d[k] = s * a.d[k];
        return r;
    }
    REFME_HD friend Dual operator*(const T& s, const Dual& a) { return scaled(s, a); }
    REFME_HD friend Dual operator*(const Dual& a, const T& s) {
        Dual r;
        r.v = a.v * s;
        for (int k = 0; k < N; ++k) r.d[k] = a.d[k] * s;
        return r;
    }
    REFME_HD friend Dual operator*(Scalar s, const Dual& a) { return T(s) * a; }
    REFME_HD friend Dual operator*(const Dual& a, Scalar s) { return a * T(s); }
    REFME_HD friend Dual operator*(int s, const Dual& a) { return T(static_cast<double>(s)) * a; }
    REFME_HD friend Dual operator*(const Dual& a, int s) { return a * T(static_cast<double>(s)); }
    REFME_HD friend Dual operator/(const Dual& a, const Dual& b) {
        Dual r;
        r.v = a.v / b.v;
        for (int k = 0; k < N; ++k) r.d[k] = (a.d[k] - r.v * b.d[k]) / b.v;
        return r;
    }
    REFME_HD friend Dual operator/(const Dual& a, const T& s) {
        Dual r;
        r.v = a.v / s;
        for (int k = 0; k < N; ++k) r.d[k] = a.d[k] / s;
        return r;
    }
    REFME_HD friend Dual operator/(const Dual& a, Scalar s) { return a / T(s); }
    REFME_HD friend Dual operator/(const Dual& a, int s) { return a / T(static_cast<double>(s)); }
    REFME_HD Dual& operator+=(const Dual& b) {
        v += b.v;
        for (int k = 0; k < N; ++k) d[k] += b.d[k];
        return *this;
    }
    REFME_HD Dual& operator-=(const Dual& b) {
        v -= b.v;
        for (int k = 0; k < N; ++k) d[k] -= b.d[k];
        return *this;
    }
    REFME_HD Dual& operator*=(const Dual& b) { return *this = *this * b; }

    REFME_HD friend Mask operator<(const Dual& a, const Dual& b) { return a.v < b.v; }
    REFME_HD friend Mask operator<=(const Dual& a, const Dual& b) { return a.v <= b.v; }
    REFME_HD friend Mask operator>(const Dual& a, const Dual& b) { return a.v > b.v; }
    REFME_HD friend Mask operator>=(const Dual& a, const Dual& b) { return a.v >= b.v; }
    REFME_HD friend Mask operator==(const Dual& a, const Dual& b) { return a.v == b.v; }
    REFME_HD friend Mask operator!=(const Dual& a, const Dual& b) { return a.v != b.v; }
    REFME_HD friend Dual where(const Mask& m, const Dual& a, const Dual& b) {
        Dual r;
        r.v = where(m, a.v, b.v);
        for (int k = 0; k < N; ++k) r.d[k] = where(m, a.d[k], b.d[k]);
        return r;
    }

    REFME_HD friend Dual sqrt(const Dual& a) {
        Dual r;
        r.v = sqrt(a.v);
        // d sqrt(x) = dx / (2 sqrt(x)). At x = 0 (a massless spinor on the beam axis,
        // where |M|^2 itself is smooth) the derivative is taken as 0 rather than
        // infinite, so no NaN reaches directions that do not move that particle.
        const T half_inverse = where(r.v == T(0.0), T(0.0), T(0.5) / r.v);
        for (int k = 0; k < N; ++k) r.d[k] = a.d[k] * half_inverse;
        return r;
    }
    REFME_HD friend Dual fabs(const Dual& a) { return where(a.v < T(0.0), -a, a); }
};

REFME_END_NAMESPACE

#endif  // REFME_DUAL_H
