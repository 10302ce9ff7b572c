// refme/vertices.h -- vertices and propagators (ALOHA conventions of MadGraph's sm),
// templated on the number type F (number.h).
//
// Fermion-fermion-vector vertices are written once for a general chiral coupling
//   Gamma^mu = gamma^mu (cl P_L + cr P_R),
// which covers the sm Lorentz structures by the choice of (cl, cr):
//   FFV1 (photon, gluon):  cl = cr = g
//   FFV2:                  cl = g,        cr = 0
//   FFV4:                  cl = g,        cr = 2 g
//   FFV2 (g1) + FFV4 (g2): cl = g1 + g2,  cr = 2 g2        (the Z-lepton vertex)
// In the chiral basis of HELAS, gamma^mu V_mu = [[0, U(V)], [L(V), 0]] with
//   L(V) = V^0 + V^k sigma_k,   U(V) = V^0 - V^k sigma_k,
// P_L keeps spinor components 0,1 and P_R components 2,3.
//
// Propagator denominators are p^2 - M (M - i W) for every massive line, s- or
// t-channel alike (MadGraph with `zerowidth_tchannel F`); massive vector
// propagators are in unitary gauge.
// Momenta are over Momentum<F> (number.h): in a parameter-gradient pass, the sums of
// momenta, slashed momenta and p^2 are plain numbers, mixed into the dual arithmetic.
#ifndef REFME_VERTICES_H
#define REFME_VERTICES_H

#include "wavefunctions.h"

REFME_BEGIN_NAMESPACE

template <class F>
struct Chiral {
    Cx<F> cl;  // coefficient of gamma^mu P_L
    Cx<F> cr;  // coefficient of gamma^mu P_R
};
using ChiralCoupling = Chiral<double>;

template <class F>
REFME_HD constexpr Chiral<F> vector_coupling(const Cx<F>& g) {
    return Chiral<F>{g, g};
}
template <class F>
REFME_HD constexpr Chiral<F> ffv2_ffv4_coupling(const Cx<F>& g2, const Cx<F>& g4) {
    return Chiral<F>{g2 + g4, 2.0 * g4};
}

namespace detail {

// 2x2 blocks L(V) and U(V) of gamma^mu V_mu for a complex contravariant vector.
template <class F>
struct SlashBlocks {
    Cx<F> l[2][2];
    Cx<F> u[2][2];
};

template <class F>
REFME_HD inline SlashBlocks<F> slash(const Cx<F>* v) {
    const Cx<F> iv2 = times_i(v[2]);
    SlashBlocks<F> s;
    s.l[0][0] = v[0] + v[3];
    s.l[0][1] = v[1] - iv2;
    s.l[1][0] = v[1] + iv2;
    s.l[1][1] = v[0] - v[3];
    s.u[0][0] = v[0] - v[3];
    s.u[0][1] = -(v[1] - iv2);
    s.u[1][0] = -(v[1] + iv2);
    s.u[1][1] = v[0] + v[3];
    return s;
}

// The same for a real momentum (over its own type).
template <class F>
REFME_HD inline SlashBlocks<F> slash_real(const F* q) {
    const Cx<F> v[4] = {cx_of<F>(q[0]), cx_of<F>(q[1]), cx_of<F>(q[2]), cx_of<F>(q[3])};
    return slash(v);
}

template <class F>
REFME_HD inline F minkowski2(const F* q) {
    return q[0] * q[0] - q[1] * q[1] - q[2] * q[2] - q[3] * q[3];
}

// i / (q^2 - M (M - i W)), the scalar part of every propagator times the i of ALOHA.
// Massless and widthless (gluon, photon: the card's values, the same in every lane, and
// after inlining usually the literal 0.0) it is i / q^2: one real division instead of a
// complex one.
// F named at the call: the momentum q is over Momentum<F>.
template <class F>
REFME_HD inline Cx<F> i_over_denominator(const Momentum<F>* q, const nd<F>& m, const nd<F>& w) {
    if (!any_lane(m != 0.0) && !any_lane(w != 0.0)) return cx_of<F>(0.0, 1.0 / minkowski2(q));
    const Cx<F> den = cx_of<F>(minkowski2(q) - m * m, m * w);
    return cx_of<F>(0.0, 1.0) / den;
}

template <class F>
REFME_HD inline Cx<F> dot(const Cx<F>* a, const Cx<F>* b) {
    return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3];
}
template <class F, class P>
REFME_HD inline Cx<F> dot(const Cx<F>* a, const P* b) {
    return b[0] * a[0] - b[1] * a[1] - b[2] * a[2] - b[3] * a[3];
}

// J_mu = fo-bar Gamma_mu fi, covariant components (cl (a^T sigma_mu b) + cr (a'^T sigmabar_mu b')).
template <class F>
REFME_HD inline void covariant_current(const Wf<F>& fi, const Wf<F>& fo, const Chiral<F>& g,
                                       Cx<F> (&j)[4]) {
    const Cx<F> a0 = fo.c[2], a1 = fo.c[3], b0 = fi.c[0], b1 = fi.c[1];
    const Cx<F> c0 = fo.c[0], c1 = fo.c[1], d0 = fi.c[2], d1 = fi.c[3];
    const Cx<F> left[4] = {a0 * b0 + a1 * b1, a0 * b1 + a1 * b0, times_i(a1 * b0 - a0 * b1),
                           a0 * b0 - a1 * b1};
    const Cx<F> right[4] = {c0 * d0 + c1 * d1, -(c0 * d1 + c1 * d0), -times_i(c1 * d0 - c0 * d1),
                            -(c0 * d0 - c1 * d1)};
    for (int mu = 0; mu < 4; ++mu) j[mu] = g.cl * left[mu] + g.cr * right[mu];
}

// The row spinor fo-bar Gamma(V) (slash blocks s of V).
template <class F>
REFME_HD inline void fo_gamma(const Wf<F>& fo, const SlashBlocks<F>& s, const Chiral<F>& g,
                              Cx<F> (&r)[4]) {
    for (int c = 0; c < 2; ++c) {
        r[c] = g.cl * (fo.c[2] * s.l[0][c] + fo.c[3] * s.l[1][c]);
        r[2 + c] = g.cr * (fo.c[0] * s.u[0][c] + fo.c[1] * s.u[1][c]);
    }
}

// The spinor Gamma(V) fi (slash blocks s of V).
template <class F>
REFME_HD inline void gamma_fi(const Wf<F>& fi, const SlashBlocks<F>& s, const Chiral<F>& g,
                              Cx<F> (&gv)[4]) {
    for (int r = 0; r < 2; ++r) {
        gv[r] = g.cr * (s.u[r][0] * fi.c[2] + s.u[r][1] * fi.c[3]);
        gv[2 + r] = g.cl * (s.l[r][0] * fi.c[0] + s.l[r][1] * fi.c[1]);
    }
}

}  // namespace detail

// Amplitude of a closed FFV vertex: -i * fo-bar Gamma^mu fi V_mu (ALOHA FFVn_0;
// F1 = fi, F2 = fo in ALOHA's argument order).
template <class F>
REFME_HD inline Cx<F> ffv_amplitude(const Wf<F>& fi, const Wf<F>& fo, const Wf<F>& v,
                                    const Chiral<F>& g) {
    const detail::SlashBlocks<F> s = detail::slash(v.c);
    Cx<F> left = cx_of<F>(0.0), right = cx_of<F>(0.0);
    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 2; ++c) {
            left += fo.c[2 + r] * s.l[r][c] * fi.c[c];
            right += fo.c[r] * s.u[r][c] * fi.c[2 + c];
        }
    return -times_i(g.cl * left + g.cr * right);
}

// An amplitude with one leg left open: amp = sum_k o.c[k] * leg.c[k] (plain sum over the
// leg's four stored components; metric, coupling and factors of i are inside o). The
// generated processes (ref_me/qcdgen) tabulate these per helicity combination of the
// other legs, so that each helicity row closes an amplitude with four products.
template <class F>
struct OpenLeg {
    Cx<F> c[4];
};

// Always inlined: four products, which a call (operands and result through memory)
// would cost several times over; the generated amplitudes call it 159 times per row.
template <class F>
REFME_HD REFME_ALWAYS_INLINE Cx<F> contract(const OpenLeg<F>& o, const Wf<F>& leg) {
    return (o.c[0] * leg.c[0] + o.c[1] * leg.c[1]) + (o.c[2] * leg.c[2] + o.c[3] * leg.c[3]);
}

// ffv_amplitude(fi, fo, V, g) with V open: -i J_mu, J_mu = fo-bar Gamma_mu fi (covariant).
template <class F>
REFME_HD inline OpenLeg<F> ffv_open_vector(const Wf<F>& fi, const Wf<F>& fo, const Chiral<F>& g) {
    OpenLeg<F> o;
    detail::covariant_current(fi, fo, g, o.c);
    for (int mu = 0; mu < 4; ++mu) o.c[mu] = -times_i(o.c[mu]);
    return o;
}

// ffv_amplitude(fi, fo, V, g) with fi open: -i fo-bar Gamma(V).
template <class F>
REFME_HD inline OpenLeg<F> ffv_open_fi(const Wf<F>& fo, const Wf<F>& v, const Chiral<F>& g) {
    OpenLeg<F> o;
    detail::fo_gamma(fo, detail::slash(v.c), g, o.c);
    for (int k = 0; k < 4; ++k) o.c[k] = -times_i(o.c[k]);
    return o;
}

// ffv_amplitude(fi, fo, V, g) with fo open: -i Gamma(V) fi.
template <class F>
REFME_HD inline OpenLeg<F> ffv_open_fo(const Wf<F>& fi, const Wf<F>& v, const Chiral<F>& g) {
    OpenLeg<F> o;
    detail::gamma_fi(fi, detail::slash(v.c), g, o.c);
    for (int k = 0; k < 4; ++k) o.c[k] = -times_i(o.c[k]);
    return o;
}

// Off-shell vector from a fermion pair (ALOHA FFVn_3; F1 = fi, F2 = fo):
//   V^mu = -i / (q^2 - M (M - i W)) [J^mu - q^mu (q.J) / M^2],  J^mu = fo-bar Gamma^mu fi.
// The q q / M^2 term (unitary gauge) is dropped for M = 0 (ALOHA's "P0" variants).
template <class F>
REFME_HD inline Wf<F> ffv_offshell_vector(const Wf<F>& fi, const Wf<F>& fo, const Chiral<F>& g,
                                          const nd<F>& m, const nd<F>& w) {
    Wf<F> out;
    for (int k = 0; k < 4; ++k) out.p[k] = fi.p[k] + fo.p[k];
    const Momentum<F> q[4] = {-out.p[0], -out.p[1], -out.p[2], -out.p[3]};
    Cx<F> j[4];  // covariant J_mu, then contravariant J^mu
    detail::covariant_current(fi, fo, g, j);
    for (int mu = 1; mu < 4; ++mu) j[mu] = -j[mu];
    if (any_lane(m != 0.0)) {
        const Cx<F> qj = q[0] * j[0] - q[1] * j[1] - q[2] * j[2] - q[3] * j[3];
        const F om = 1.0 / (m * m);
        for (int mu = 0; mu < 4; ++mu) j[mu] -= (q[mu] * om) * qj;
    }
    const Cx<F> f = -detail::i_over_denominator<F>(q, m, w);
    for (int mu = 0; mu < 4; ++mu) out.c[mu] = f * j[mu];
    return out;
}

// Off-shell fermion continuing an fo line through a vector (ALOHA FFVn_1):
//   out = i / (q^2 - M (M - i W)) * fo-bar Gamma(V) (qslash + M),  q = fo.p + V.p.
template <class F>
REFME_HD inline Wf<F> ffv_offshell_fo(const Wf<F>& fo, const Wf<F>& v, const Chiral<F>& g,
                                      const nd<F>& m, const nd<F>& w) {
    Wf<F> out;
    for (int k = 0; k < 4; ++k) out.p[k] = fo.p[k] + v.p[k];
    Cx<F> r[4];
    detail::fo_gamma(fo, detail::slash(v.c), g, r);
    const detail::SlashBlocks<Momentum<F>> qs = detail::slash_real(out.p);
    const Cx<F> f = detail::i_over_denominator<F>(out.p, m, w);
    for (int c = 0; c < 2; ++c) {
        out.c[c] = f * (r[2] * qs.l[0][c] + r[3] * qs.l[1][c] + m * r[c]);
        out.c[2 + c] = f * (r[0] * qs.u[0][c] + r[1] * qs.u[1][c] + m * r[2 + c]);
    }
    return out;
}

// Off-shell fermion continuing an fi line through a vector (ALOHA FFVn_2):
//   out = i / (P^2 - M (M - i W)) * (Pslash + M) Gamma(V) fi,  P = -(fi.p + V.p).
template <class F>
REFME_HD inline Wf<F> ffv_offshell_fi(const Wf<F>& fi, const Wf<F>& v, const Chiral<F>& g,
                                      const nd<F>& m, const nd<F>& w) {
    Wf<F> out;
    for (int k = 0; k < 4; ++k) out.p[k] = fi.p[k] + v.p[k];
    const Momentum<F> pm[4] = {-out.p[0], -out.p[1], -out.p[2], -out.p[3]};
    Cx<F> gv[4];
    detail::gamma_fi(fi, detail::slash(v.c), g, gv);
    const detail::SlashBlocks<Momentum<F>> ps = detail::slash_real(pm);
    const Cx<F> f = detail::i_over_denominator<F>(pm, m, w);
    for (int r = 0; r < 2; ++r) {
        out.c[r] = f * (ps.u[r][0] * gv[2] + ps.u[r][1] * gv[3] + m * gv[r]);
        out.c[2 + r] = f * (ps.l[r][0] * gv[0] + ps.l[r][1] * gv[1] + m * gv[2 + r]);
    }
    return out;
}

// Off-shell vector from two vectors through the triple-gauge vertex VVV1 (ALOHA VVV1P0_1):
//   V1 = i g / (P1^2 - M (M - i W)) [ (V2.V3)(P3 - P2) + V2 (V3.(P2 - P1)) + V3 (V2.(P1 - P3)) ]
// with P2, P3 the stored momenta of V2, V3 and P1 = -(P2 + P3).
template <class F>
REFME_HD inline Wf<F> vvv1_offshell(const Wf<F>& v2, const Wf<F>& v3, const Cx<F>& g,
                                    const nd<F>& m, const nd<F>& w) {
    Wf<F> out;
    Momentum<F> p1[4], d21[4], d13[4], d32[4];
    for (int k = 0; k < 4; ++k) {
        out.p[k] = v2.p[k] + v3.p[k];
        p1[k] = -out.p[k];
    }
    for (int k = 0; k < 4; ++k) {
        d21[k] = v2.p[k] - p1[k];
        d13[k] = p1[k] - v3.p[k];
        d32[k] = v3.p[k] - v2.p[k];
    }
    const Cx<F> v23 = detail::dot(v2.c, v3.c);
    const Cx<F> t3 = detail::dot(v3.c, d21);
    const Cx<F> t2 = detail::dot(v2.c, d13);
    const Cx<F> f = g * detail::i_over_denominator<F>(p1, m, w);
    for (int mu = 0; mu < 4; ++mu) out.c[mu] = f * (d32[mu] * v23 + v2.c[mu] * t3 + v3.c[mu] * t2);
    return out;
}

REFME_END_NAMESPACE

#endif  // REFME_VERTICES_H
