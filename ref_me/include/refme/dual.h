// refme/dual.h -- Dual<T, N>: forward-mode dual numbers, a number type of the core
// (number.h). A value v and its derivatives d[0..N-1] along N seed directions;
// every operation applies the chain rule, so evaluating the templated physics with
// F = Dual<double, N> gives |M|^2 and its N directional derivatives in one pass.
// Comparisons look at the value only (the branch taken is that of the value).
#ifndef REFME_DUAL_H
#define REFME_DUAL_H

#include <math.h>

#include "number.h"

REFME_BEGIN_NAMESPACE

template <class T, int N>
struct Dual {
    T v;
    T d[N];

    REFME_HD Dual() = default;
    REFME_HD Dual(T value) : v(value) {  // NOLINT: implicit, a constant has no derivative
        for (int k = 0; k < N; ++k) d[k] = T(0);
    }
    REFME_HD Dual(int value) : Dual(T(value)) {}
    // The variable of direction `k`: value x, derivative 1 along k.
    REFME_HD static Dual variable(T x, int k) {
        Dual r(x);
        r.d[k] = T(1);
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
    REFME_HD friend Dual operator/(const Dual& a, const Dual& b) {
        Dual r;
        r.v = a.v / b.v;
        for (int k = 0; k < N; ++k) r.d[k] = (a.d[k] - r.v * b.d[k]) / b.v;
        return r;
    }
    REFME_HD Dual& operator+=(const Dual& b) { return *this = *this + b; }
    REFME_HD Dual& operator-=(const Dual& b) { return *this = *this - b; }
    REFME_HD Dual& operator*=(const Dual& b) { return *this = *this * b; }

    REFME_HD friend bool operator<(const Dual& a, const Dual& b) { return a.v < b.v; }
    REFME_HD friend bool operator<=(const Dual& a, const Dual& b) { return a.v <= b.v; }
    REFME_HD friend bool operator>(const Dual& a, const Dual& b) { return a.v > b.v; }
    REFME_HD friend bool operator>=(const Dual& a, const Dual& b) { return a.v >= b.v; }
    REFME_HD friend bool operator==(const Dual& a, const Dual& b) { return a.v == b.v; }
    REFME_HD friend bool operator!=(const Dual& a, const Dual& b) { return a.v != b.v; }
    REFME_HD friend Dual where(bool m, const Dual& a, const Dual& b) { return m ? a : b; }

    REFME_HD friend Dual sqrt(const Dual& a) {
        Dual r;
        r.v = sqrt(a.v);
        // d sqrt(x) = dx / (2 sqrt(x)); at x = 0 the derivative is infinite unless dx = 0.
        for (int k = 0; k < N; ++k) r.d[k] = a.d[k] == T(0) ? T(0) : a.d[k] / (T(2) * r.v);
        return r;
    }
    REFME_HD friend Dual fabs(const Dual& a) { return a.v < T(0) ? -a : a; }
};

REFME_END_NAMESPACE

#endif  // REFME_DUAL_H
