// refme/parameter_dual.h -- vertices of a parameter-gradient pass (gradient.h,
// ParameterDual): a vertex none of whose inputs carries a derivative is evaluated over
// the plain type and its result lifted with zero derivatives.
//
// In a parameter pass the momenta are constants, so whatever is built only from
// massless external particles and couplings that do not move with the seeded
// parameters (the gluon currents of g g -> t t~ for MT, the pure-gluon currents of the
// generated processes, the photon current of e+ e- for MZ) has zero derivatives, and
// the product rule over them is wasted. Which objects those are depends on the
// parameter, the process and the card, so the test is made at run time, on the values
// themselves: a derivative part exactly zero in every lane. The result is then that of
// the dual evaluation (value part: the same operations on the same values; derivative:
// zero) except where a value is infinite or NaN.
// Only the vertices that make a vector current or join vectors take the test: the
// fermion vertices of the processes here carry a top line, which moves with MT (its
// spinors and propagators) and WT (its propagators): their test would mostly be wasted.
#ifndef REFME_PARAMETER_DUAL_H
#define REFME_PARAMETER_DUAL_H

#include "dual.h"
#include "qcd_vertices.h"
#include "vertices.h"

REFME_BEGIN_NAMESPACE

namespace detail {

template <class T, int N>
REFME_HD REFME_ALWAYS_INLINE auto nonzero_derivative(const ParameterDual<T, N>& x) {
    auto m = x.d[0] != 0.0;
    for (int k = 1; k < N; ++k) m = m | (x.d[k] != 0.0);
    return m;
}
template <class T, int N>
REFME_HD REFME_ALWAYS_INLINE auto nonzero_derivative(const Cx<ParameterDual<T, N>>& x) {
    return nonzero_derivative(x.re) | nonzero_derivative(x.im);
}
template <class T, int N>
REFME_HD REFME_ALWAYS_INLINE auto nonzero_derivative(const Chiral<ParameterDual<T, N>>& g) {
    return nonzero_derivative(g.cl) | nonzero_derivative(g.cr);
}
// (the momenta of a parameter pass are constants)
template <class T, int N>
REFME_HD REFME_ALWAYS_INLINE auto nonzero_derivative(const Wf<ParameterDual<T, N>>& w) {
    auto m = nonzero_derivative(w.c[0]);
    for (int k = 1; k < 4; ++k) m = m | nonzero_derivative(w.c[k]);
    return m;
}

// Whether some input of a vertex carries a derivative in some lane (from the first
// input on: the first with one ends the test).
template <class... A>
REFME_HD REFME_ALWAYS_INLINE bool any_derivative(const A&... a) {
    return (any_lane(nonzero_derivative(a)) || ...);
}

template <class T, int N>
REFME_HD inline T value(const ParameterDual<T, N>& x) {
    return x.v;
}
template <class T, int N>
REFME_HD inline Cx<T> value(const Cx<ParameterDual<T, N>>& x) {
    return Cx<T>{x.re.v, x.im.v};
}
template <class T, int N>
REFME_HD inline Chiral<T> value(const Chiral<ParameterDual<T, N>>& g) {
    return Chiral<T>{value(g.cl), value(g.cr)};
}
template <class T, int N>
REFME_HD inline Wf<T> value(const Wf<ParameterDual<T, N>>& w) {
    Wf<T> out;
    for (int k = 0; k < 4; ++k) {
        out.p[k] = w.p[k];
        out.c[k] = value(w.c[k]);
    }
    return out;
}

// A plain result as a dual number with zero derivatives.
template <class D, class T>
REFME_HD inline Cx<D> lifted(const Cx<T>& x) {
    return to_cx<D>(x);
}
template <class D, class T>
REFME_HD inline Wf<D> lifted(const Wf<T>& w) {
    Wf<D> out;
    for (int k = 0; k < 4; ++k) {
        out.p[k] = w.p[k];
        out.c[k] = to_cx<D>(w.c[k]);
    }
    return out;
}
template <class D, class T>
REFME_HD inline OpenLeg<D> lifted(const OpenLeg<T>& o) {
    OpenLeg<D> out;
    for (int k = 0; k < 4; ++k) out.c[k] = to_cx<D>(o.c[k]);
    return out;
}

}  // namespace detail

// Each vertex of vertices.h and qcd_vertices.h over ParameterDual: the dual evaluation
// (the general template, named with its type) where an input has a derivative, else
// the plain one.

template <class T, int N>
REFME_HD inline Wf<ParameterDual<T, N>> ffv_offshell_vector(const Wf<ParameterDual<T, N>>& fi,
                                                            const Wf<ParameterDual<T, N>>& fo,
                                                            const Chiral<ParameterDual<T, N>>& g,
                                                            const nd<ParameterDual<T, N>>& m,
                                                            const nd<ParameterDual<T, N>>& w) {
    using detail::value;
    if (detail::any_derivative(fi, fo, g, m, w))
        return ffv_offshell_vector<ParameterDual<T, N>>(fi, fo, g, m, w);
    return detail::lifted<ParameterDual<T, N>>(
        ffv_offshell_vector<T>(value(fi), value(fo), value(g), value(m), value(w)));
}

template <class T, int N>
REFME_HD inline Wf<ParameterDual<T, N>> vvv1_offshell(const Wf<ParameterDual<T, N>>& v2,
                                                      const Wf<ParameterDual<T, N>>& v3,
                                                      const Cx<ParameterDual<T, N>>& g,
                                                      const nd<ParameterDual<T, N>>& m,
                                                      const nd<ParameterDual<T, N>>& w) {
    using detail::value;
    if (detail::any_derivative(v2, v3, g, m, w))
        return vvv1_offshell<ParameterDual<T, N>>(v2, v3, g, m, w);
    return detail::lifted<ParameterDual<T, N>>(
        vvv1_offshell<T>(value(v2), value(v3), value(g), value(m), value(w)));
}

template <class T, int N>
REFME_HD inline Cx<ParameterDual<T, N>> vvv1_amplitude(const Wf<ParameterDual<T, N>>& v1,
                                                       const Wf<ParameterDual<T, N>>& v2,
                                                       const Wf<ParameterDual<T, N>>& v3,
                                                       const Cx<ParameterDual<T, N>>& g) {
    using detail::value;
    if (detail::any_derivative(v1, v2, v3, g))
        return vvv1_amplitude<ParameterDual<T, N>>(v1, v2, v3, g);
    return detail::lifted<ParameterDual<T, N>>(
        vvv1_amplitude<T>(value(v1), value(v2), value(v3), value(g)));
}

template <class T, int N>
REFME_HD inline Wf<ParameterDual<T, N>> vvvv_offshell(const Wf<ParameterDual<T, N>>& x,
                                                      const Wf<ParameterDual<T, N>>& y,
                                                      const Wf<ParameterDual<T, N>>& z,
                                                      const Cx<ParameterDual<T, N>>& g) {
    using detail::value;
    if (detail::any_derivative(x, y, z, g)) return vvvv_offshell<ParameterDual<T, N>>(x, y, z, g);
    return detail::lifted<ParameterDual<T, N>>(
        vvvv_offshell<T>(value(x), value(y), value(z), value(g)));
}

template <class T, int N>
REFME_HD inline Cx<ParameterDual<T, N>> vvvv_amplitude(const Wf<ParameterDual<T, N>>& l,
                                                       const Wf<ParameterDual<T, N>>& x,
                                                       const Wf<ParameterDual<T, N>>& y,
                                                       const Wf<ParameterDual<T, N>>& z,
                                                       const Cx<ParameterDual<T, N>>& g) {
    using detail::value;
    if (detail::any_derivative(l, x, y, z, g))
        return vvvv_amplitude<ParameterDual<T, N>>(l, x, y, z, g);
    return detail::lifted<ParameterDual<T, N>>(
        vvvv_amplitude<T>(value(l), value(x), value(y), value(z), value(g)));
}

template <class T, int N>
REFME_HD inline OpenLeg<ParameterDual<T, N>> vvv1_open(const Wf<ParameterDual<T, N>>& v2,
                                                       const Wf<ParameterDual<T, N>>& v3,
                                                       const Cx<ParameterDual<T, N>>& g) {
    using detail::value;
    if (detail::any_derivative(v2, v3, g)) return vvv1_open<ParameterDual<T, N>>(v2, v3, g);
    return detail::lifted<ParameterDual<T, N>>(vvv1_open<T>(value(v2), value(v3), value(g)));
}

template <class T, int N>
REFME_HD inline OpenLeg<ParameterDual<T, N>> vvvv_open(const Wf<ParameterDual<T, N>>& x,
                                                       const Wf<ParameterDual<T, N>>& y,
                                                       const Wf<ParameterDual<T, N>>& z,
                                                       const Cx<ParameterDual<T, N>>& g) {
    using detail::value;
    if (detail::any_derivative(x, y, z, g)) return vvvv_open<ParameterDual<T, N>>(x, y, z, g);
    return detail::lifted<ParameterDual<T, N>>(
        vvvv_open<T>(value(x), value(y), value(z), value(g)));
}

REFME_END_NAMESPACE

#endif  // REFME_PARAMETER_DUAL_H
