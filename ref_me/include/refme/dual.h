// refme/dual.h -- Dual<T, N>: forward-mode dual numbers, a number type of the core
// (number.h). A value v and its derivatives d[0..N-1] along N seed directions;
// every operation applies the chain rule, so evaluating the templated physics with
// F = Dual<T, N> gives |M|^2 and its N directional derivatives in one pass.
// T is double (one event) or a SIMD vector Vec<L> (L events, one per lane: simd.h);
// comparisons look at the value only and give T's mask (bool for double), so
// where() picks value and derivatives of the branch each lane's value selects.
// The value part is computed with exactly the operations of the T evaluation, so it
// carries the same bits as |M|^2 computed over T.
// kConstantMomenta (ParameterDual): a pass that seeds parameters only. Its momenta are
// then constants of type T (number.h's Momentum), and what is computed from them alone
// (momentum sums, slashed momenta, denominators, most of the external spinors) costs
// the plain arithmetic; mixing a T into a dual operation costs N products, not a
// product rule over zero derivatives.
#ifndef REFME_DUAL_H
#define REFME_DUAL_H

#include <math.h>

#include <type_traits>

#include "complex.h"
#include "number.h"

REFME_BEGIN_NAMESPACE

template <class T, int N, bool kConstantMomenta = false>
struct Dual {
    using Mask = decltype(T() < T());
    // A plain double operand besides T itself when T is a vector (else a type
    // nothing converts to, so the overloads below do not collide for T = double).
    struct NoScalar {};
    using Scalar = std::conditional_t<std::is_same_v<T, double>, NoScalar, double>;

    T v;
    T d[N];

    // a * b + c in a derivative part: fused (number.h's mul_add) in parameter passes;
    // the momentum passes keep two roundings, so that the momentum gradients of the SIMD
    // and scalar paths agree to the last bits but for the order of sums.
    REFME_HD REFME_ALWAYS_INLINE static T product_add(const T& a, const T& b, const T& c) {
        if constexpr (kConstantMomenta)
            return mul_add(a, b, c);
        else
            return a * b + c;
    }

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
    // A constant term leaves the derivatives as they are.
    REFME_HD friend Dual operator+(const Dual& a, const T& s) {
        Dual r = a;
        r.v = a.v + s;
        return r;
    }
    REFME_HD friend Dual operator+(const T& s, const Dual& a) {
        Dual r = a;
        r.v = s + a.v;
        return r;
    }
    REFME_HD friend Dual operator-(const Dual& a, const T& s) {
        Dual r = a;
        r.v = a.v - s;
        return r;
    }
    REFME_HD friend Dual operator-(const T& s, const Dual& a) {
        Dual r;
        r.v = s - a.v;
        for (int k = 0; k < N; ++k) r.d[k] = -a.d[k];
        return r;
    }
    REFME_HD friend Dual operator+(const Dual& a, Scalar s) { return a + T(s); }
    REFME_HD friend Dual operator+(Scalar s, const Dual& a) { return T(s) + a; }
    REFME_HD friend Dual operator-(const Dual& a, Scalar s) { return a - T(s); }
    REFME_HD friend Dual operator-(Scalar s, const Dual& a) { return T(s) - a; }
    REFME_HD friend Dual operator*(const Dual& a, const Dual& b) {
        Dual r;
        r.v = a.v * b.v;
        for (int k = 0; k < N; ++k) r.d[k] = product_add(a.v, b.d[k], a.d[k] * b.v);
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
    // d(s / b) = -(s / b) db / b.
    REFME_HD friend Dual operator/(const T& s, const Dual& b) {
        Dual r;
        r.v = s / b.v;
        const T factor = -r.v / b.v;
        for (int k = 0; k < N; ++k) r.d[k] = factor * b.d[k];
        return r;
    }
    REFME_HD friend Dual operator/(const Dual& a, Scalar s) { return a / T(s); }
    REFME_HD friend Dual operator/(Scalar s, const Dual& b) { return T(s) / b; }
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

template <class T, int N>
using ParameterDual = Dual<T, N, true>;
template <class T, int N>
struct MomentumType<Dual<T, N, true>> {
    using type = T;
};

namespace detail {
// a * b over dual numbers: the value part as complex.h's product (the same bits), each
// derivative as (re' re + re re') -/+ (im' im + im im') (Dual::product_add: fused in
// parameter passes where the instruction set has it).
template <class T, int N, bool C>
REFME_HD REFME_ALWAYS_INLINE Cx<Dual<T, N, C>> dual_product(const Cx<Dual<T, N, C>>& a,
                                                            const Cx<Dual<T, N, C>>& b) {
    using D = Dual<T, N, C>;
    Cx<D> r;
    r.re.v = a.re.v * b.re.v - a.im.v * b.im.v;
    r.im.v = a.re.v * b.im.v + a.im.v * b.re.v;
    for (int k = 0; k < N; ++k) {
        r.re.d[k] = D::product_add(a.re.v, b.re.d[k], a.re.d[k] * b.re.v) -
                    D::product_add(a.im.v, b.im.d[k], a.im.d[k] * b.im.v);
        r.im.d[k] = D::product_add(a.re.v, b.im.d[k], a.re.d[k] * b.im.v) +
                    D::product_add(a.im.v, b.re.d[k], a.im.d[k] * b.re.v);
    }
    return r;
}
}  // namespace detail

// The complex product over dual numbers, inlined for the narrow ones (one or two
// directions: parameter passes), where a call would cost more than the arithmetic;
// a call for the wide ones, whose inlining multiplies the build time of the large
// processes. The same operations either way, so direction k has the same bits
// whatever N is.
template <class T, int N, bool C, std::enable_if_t<(N <= 2), int> = 0>
REFME_HD REFME_ALWAYS_INLINE Cx<Dual<T, N, C>> operator*(const Cx<Dual<T, N, C>>& a,
                                                         const Cx<Dual<T, N, C>>& b) {
    return detail::dual_product(a, b);
}
template <class T, int N, bool C, std::enable_if_t<(N > 2), int> = 0>
REFME_HD inline Cx<Dual<T, N, C>> operator*(const Cx<Dual<T, N, C>>& a,
                                            const Cx<Dual<T, N, C>>& b) {
    return detail::dual_product(a, b);
}

// Complex products with one operand over the plain type T (a slashed momentum, a
// momentum component): the formulas of complex.h, each real product of a dual number
// and a T costing N + 1 products. The value parts are those of the T evaluation.
template <class T, int N, bool C>
REFME_HD REFME_ALWAYS_INLINE Cx<Dual<T, N, C>> operator*(const Cx<Dual<T, N, C>>& a,
                                                         const Cx<T>& b) {
    return Cx<Dual<T, N, C>>{a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
template <class T, int N, bool C>
REFME_HD REFME_ALWAYS_INLINE Cx<Dual<T, N, C>> operator*(const Cx<T>& a,
                                                         const Cx<Dual<T, N, C>>& b) {
    return Cx<Dual<T, N, C>>{a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
template <class T, int N, bool C>
REFME_HD inline Cx<Dual<T, N, C>> operator*(const T& s, const Cx<Dual<T, N, C>>& a) {
    return Cx<Dual<T, N, C>>{s * a.re, s * a.im};
}
template <class T, int N, bool C>
REFME_HD inline Cx<Dual<T, N, C>> operator*(const Dual<T, N, C>& s, const Cx<T>& a) {
    return Cx<Dual<T, N, C>>{s * a.re, s * a.im};
}

REFME_END_NAMESPACE

#endif  // REFME_DUAL_H
