// refme/adjoint.h -- reverse mode (adjoints) of the vertices, written out per vertex:
// the momentum gradient of |M|^2 at a cost of a few evaluations, whatever the number
// of momentum components (gradient.h, ReverseMomentumGradient).
//
// Convention for complex adjoints (once, for every function here). The loss L (|M|^2)
// is real; the adjoint of a complex quantity z is the Wirtinger gradient
//     zbar = dL/d(Re z) - i dL/d(Im z)   (= 2 dL/dz).
// Every amplitude is holomorphic in the wavefunction components, so the chain rule
// is the real one with complex numbers: for z = f(w), wbar += f'(w) zbar, and for a
// vertex out = V(a, b) the adjoints are the derivatives of S = sum_m outbar_m out_m
// (a number, holomorphic in a and b) with respect to the components of a and b. A real
// variable x (a momentum component) gets xbar = Re(sum_z zbar dz/dx).
// A wavefunction's adjoint is a Wf<F> too: c the adjoints of its components, p those of
// its (ALOHA-signed, real) momentum; an open leg's adjoint is an OpenLeg<F>. The
// functions add (+=) into the adjoints of their inputs, so one input feeding several
// vertices collects all of them.
//
// The fermion vertices reuse the forward blocks of vertices.h: a Dirac bilinear
// fo-bar Gamma(V) fi is linear in each of fo, fi and V, and its derivative with respect
// to one of them is the open-leg form of the other two (fo_gamma, gamma_fi,
// covariant_current). A propagator f = i / D(q) contributes df/dq^nu = -(f / D)
// d(q^2)/dq^nu with 1 / D = -i f, so no denominator is computed twice.
#ifndef REFME_ADJOINT_H
#define REFME_ADJOINT_H

#include "dual.h"
#include "vertices.h"

REFME_BEGIN_NAMESPACE

namespace detail {

REFME_HD constexpr double metric(int mu) { return mu == 0 ? 1.0 : -1.0; }

template <class F>
REFME_HD inline Chiral<F> unit_coupling() {
    return Chiral<F>{cx_of<F>(1.0), cx_of<F>(1.0)};
}

// A wavefunction carrying the four components c (momentum unused).
template <class F>
REFME_HD inline Wf<F> components(const Cx<F> (&c)[4]) {
    Wf<F> w;
    for (int k = 0; k < 4; ++k) {
        w.p[k] = F(0.0);
        w.c[k] = c[k];
    }
    return w;
}

template <class F>
REFME_HD inline void add_components(Wf<F>& bar, const Cx<F> (&c)[4]) {
    for (int k = 0; k < 4; ++k) bar.c[k] += c[k];
}

// Adds Re(dS/dq^nu) to the momentum adjoints of both inputs of a vertex whose output
// momentum is (sign) q = a.p + b.p, plus the adjoint the output's momentum carries.
template <class F>
REFME_HD inline void add_momentum(const Cx<F> (&ds_dq)[4], double sign, const Wf<F>& out_bar,
                                  Wf<F>& a_bar, Wf<F>& b_bar) {
    for (int nu = 0; nu < 4; ++nu) {
        const F pbar = sign * ds_dq[nu].re + out_bar.p[nu];
        a_bar.p[nu] += pbar;
        b_bar.p[nu] += pbar;
    }
}

}  // namespace detail

template <class F>
REFME_HD inline void zero_adjoint(Wf<F>& w) {
    for (int k = 0; k < 4; ++k) {
        w.p[k] = F(0.0);
        w.c[k] = cx_of<F>(0.0);
    }
}
template <class F>
REFME_HD inline void zero_adjoint(OpenLeg<F>& o) {
    for (int k = 0; k < 4; ++k) o.c[k] = cx_of<F>(0.0);
}

// amp = contract(o, leg).
template <class F>
REFME_HD REFME_ALWAYS_INLINE void contract_adjoint(const OpenLeg<F>& o, const Wf<F>& leg,
                                                   const Cx<F>& amp_bar, OpenLeg<F>& o_bar,
                                                   Wf<F>& leg_bar) {
    for (int k = 0; k < 4; ++k) {
        o_bar.c[k] += amp_bar * leg.c[k];
        leg_bar.c[k] += amp_bar * o.c[k];
    }
}

// amp = ffv_amplitude(fi, fo, v, g).
template <class F>
REFME_HD inline void ffv_amplitude_adjoint(const Wf<F>& fi, const Wf<F>& fo, const Wf<F>& v,
                                           const Chiral<F>& g, const Cx<F>& amp_bar, Wf<F>& fi_bar,
                                           Wf<F>& fo_bar, Wf<F>& v_bar) {
    const OpenLeg<F> of = ffv_open_fi(fo, v, g), oo = ffv_open_fo(fi, v, g),
                     ov = ffv_open_vector(fi, fo, g);
    for (int k = 0; k < 4; ++k) {
        fi_bar.c[k] += amp_bar * of.c[k];
        fo_bar.c[k] += amp_bar * oo.c[k];
        v_bar.c[k] += amp_bar * ov.c[k];
    }
}

// o = ffv_open_vector(fi, fo, g): S = ffv_amplitude(fi, fo, V = o_bar).
template <class F>
REFME_HD inline void ffv_open_vector_adjoint(const Wf<F>& fi, const Wf<F>& fo, const Chiral<F>& g,
                                             const OpenLeg<F>& o_bar, Wf<F>& fi_bar,
                                             Wf<F>& fo_bar) {
    const Wf<F> v = detail::components(o_bar.c);
    detail::add_components(fi_bar, ffv_open_fi(fo, v, g).c);
    detail::add_components(fo_bar, ffv_open_fo(fi, v, g).c);
}

// o = ffv_open_fi(fo, v, g): S = ffv_amplitude(fi = o_bar, fo, v).
template <class F>
REFME_HD inline void ffv_open_fi_adjoint(const Wf<F>& fo, const Wf<F>& v, const Chiral<F>& g,
                                         const OpenLeg<F>& o_bar, Wf<F>& fo_bar, Wf<F>& v_bar) {
    const Wf<F> fi = detail::components(o_bar.c);
    detail::add_components(fo_bar, ffv_open_fo(fi, v, g).c);
    detail::add_components(v_bar, ffv_open_vector(fi, fo, g).c);
}

// o = ffv_open_fo(fi, v, g): S = ffv_amplitude(fi, fo = o_bar, v).
template <class F>
REFME_HD inline void ffv_open_fo_adjoint(const Wf<F>& fi, const Wf<F>& v, const Chiral<F>& g,
                                         const OpenLeg<F>& o_bar, Wf<F>& fi_bar, Wf<F>& v_bar) {
    const Wf<F> fo = detail::components(o_bar.c);
    detail::add_components(fi_bar, ffv_open_fi(fo, v, g).c);
    detail::add_components(v_bar, ffv_open_vector(fi, fo, g).c);
}

namespace detail {

// The fermion line through a vertex and a propagator, both directions at once:
//   row (ffv_offshell_fo):     y = fo-bar Gamma(V),  out = f y (kslash + m),  x = fo
//   column (ffv_offshell_fi):  y = Gamma(V) fi,      out = f (kslash + m) y,  x = fi
// with k the propagator's momentum. With G = out_bar, h = dS/dy = f (kslash + m) G
// (resp. G^T (kslash + m)) is the other orientation of the same block; x_bar is h
// through Gamma(V) that way, V_bar the current of x and h, and S is linear in kslash:
// dS/dk^nu = f (J_nu + 2 i S k_nu), J the unit-coupling current of G and y.
template <bool kRow, class F>
REFME_HD inline void fermion_line_adjoint(const Wf<F>& x, const Wf<F>& v, const Chiral<F>& g,
                                          const F (&k)[4], const nd<F>& m, const nd<F>& w,
                                          const Wf<F>& out_bar, Wf<F>& x_bar, Wf<F>& v_bar,
                                          Cx<F> (&ds_dk)[4]) {
    const SlashBlocks<F> vs = slash(v.c);
    const SlashBlocks<F> ks = slash_real(k);
    const Wf<F> big_g = components(out_bar.c);
    Cx<F> y[4], h[4];
    if constexpr (kRow) {
        fo_gamma(x, vs, g, y);
        gamma_fi(big_g, ks, unit_coupling<F>(), h);
    } else {
        gamma_fi(x, vs, g, y);
        fo_gamma(big_g, ks, unit_coupling<F>(), h);
    }
    const Cx<F> f = i_over_denominator<F>(k, m, w);
    Cx<F> s = cx_of<F>(0.0);
    for (int c = 0; c < 4; ++c) {
        h[c] = f * (h[c] + m * out_bar.c[c]);
        s += y[c] * h[c];
    }
    const Wf<F> hw = components(h), yw = components(y);
    Cx<F> gx[4], gv[4], j[4];
    if constexpr (kRow) {
        gamma_fi(hw, vs, g, gx);
        covariant_current(hw, x, g, gv);
        covariant_current(big_g, yw, unit_coupling<F>(), j);
    } else {
        fo_gamma(hw, vs, g, gx);
        covariant_current(x, hw, g, gv);
        covariant_current(yw, big_g, unit_coupling<F>(), j);
    }
    add_components(x_bar, gx);
    add_components(v_bar, gv);
    const Cx<F> two_i_s = times_i(s + s);
    for (int nu = 0; nu < 4; ++nu) ds_dk[nu] = f * (j[nu] + (metric(nu) * k[nu]) * two_i_s);
}

}  // namespace detail

// out = ffv_offshell_fo(fo, v, g, m, w): the row line, k = fo.p + v.p.
template <class F>
REFME_HD inline void ffv_offshell_fo_adjoint(const Wf<F>& fo, const Wf<F>& v, const Chiral<F>& g,
                                             const nd<F>& m, const nd<F>& w, const Wf<F>& out_bar,
                                             Wf<F>& fo_bar, Wf<F>& v_bar) {
    F k[4];
    for (int c = 0; c < 4; ++c) k[c] = fo.p[c] + v.p[c];
    Cx<F> ds[4];
    detail::fermion_line_adjoint<true>(fo, v, g, k, m, w, out_bar, fo_bar, v_bar, ds);
    detail::add_momentum(ds, 1.0, out_bar, fo_bar, v_bar);
}

// out = ffv_offshell_fi(fi, v, g, m, w): the column line, k = -(fi.p + v.p).
template <class F>
REFME_HD inline void ffv_offshell_fi_adjoint(const Wf<F>& fi, const Wf<F>& v, const Chiral<F>& g,
                                             const nd<F>& m, const nd<F>& w, const Wf<F>& out_bar,
                                             Wf<F>& fi_bar, Wf<F>& v_bar) {
    F k[4];
    for (int c = 0; c < 4; ++c) k[c] = -(fi.p[c] + v.p[c]);
    Cx<F> ds[4];
    detail::fermion_line_adjoint<false>(fi, v, g, k, m, w, out_bar, fi_bar, v_bar, ds);
    detail::add_momentum(ds, -1.0, out_bar, fi_bar, v_bar);
}

// out = ffv_offshell_vector(fi, fo, g, m, w) = -f [J^mu - q^mu (q.J) / m^2], q = -(fi.p +
// fo.p): S = -f fo-bar Gamma(E) fi with E_mu = eta_mu (G_mu - (G.q) eta_mu q_mu / m^2)
// (G.q a plain sum), and dS/dq^nu = 2 i f S q_nu + f [G_nu (q.j) + (G.q) j_nu] / m^2.
template <class F>
REFME_HD inline void ffv_offshell_vector_adjoint(const Wf<F>& fi, const Wf<F>& fo,
                                                 const Chiral<F>& g, const nd<F>& m, const nd<F>& w,
                                                 const Wf<F>& out_bar, Wf<F>& fi_bar,
                                                 Wf<F>& fo_bar) {
    F q[4];
    for (int k = 0; k < 4; ++k) q[k] = -(fi.p[k] + fo.p[k]);
    const Cx<F> f = detail::i_over_denominator<F>(q, m, w);
    const bool massive = any_lane(m != 0.0);
    Cx<F> gq = cx_of<F>(0.0), qj = cx_of<F>(0.0);
    Cx<F> j[4];  // contravariant J^mu
    detail::covariant_current(fi, fo, g, j);
    for (int mu = 1; mu < 4; ++mu) j[mu] = -j[mu];
    F om = F(0.0);
    if (massive) {
        om = 1.0 / (m * m);
        for (int mu = 0; mu < 4; ++mu) {
            gq += q[mu] * out_bar.c[mu];
            qj += (detail::metric(mu) * q[mu]) * j[mu];
        }
    }
    Cx<F> e[4];
    for (int mu = 0; mu < 4; ++mu) {
        Cx<F> x = out_bar.c[mu];
        if (massive) x -= (detail::metric(mu) * q[mu] * om) * gq;
        e[mu] = -(f * (detail::metric(mu) * x));
    }
    const Wf<F> ew = detail::components(e);
    const OpenLeg<F> of = ffv_open_fi(fo, ew, g), oo = ffv_open_fo(fi, ew, g);
    // ffv_open_* carry -i: S = i * (-i fo-bar Gamma(E) fi).
    Cx<F> gfi[4], gfo[4];
    Cx<F> s = cx_of<F>(0.0);
    for (int k = 0; k < 4; ++k) {
        gfi[k] = times_i(of.c[k]);
        gfo[k] = times_i(oo.c[k]);
        s += gfi[k] * fi.c[k];
    }
    detail::add_components(fi_bar, gfi);
    detail::add_components(fo_bar, gfo);
    const Cx<F> two_i_s = times_i(s + s);
    Cx<F> ds[4];
    for (int nu = 0; nu < 4; ++nu) {
        ds[nu] = f * ((detail::metric(nu) * q[nu]) * two_i_s);
        if (massive) ds[nu] += (f * om) * (out_bar.c[nu] * qj + (detail::metric(nu) * gq) * j[nu]);
    }
    detail::add_momentum(ds, -1.0, out_bar, fi_bar, fo_bar);
}

// out = vvv1_offshell(v2, v3, g, m, w) = f (d32 (v2.v3) + v2 (v3.d21) + v3 (v2.d13)),
// d21 = 2 P2 + P3, d13 = -P2 - 2 P3, d32 = P3 - P2, f = g i / D(P1), P1 = -(P2 + P3).
template <class F>
REFME_HD inline void vvv1_offshell_adjoint(const Wf<F>& v2, const Wf<F>& v3, const Cx<F>& g,
                                           const nd<F>& m, const nd<F>& w, const Wf<F>& out_bar,
                                           Wf<F>& v2_bar, Wf<F>& v3_bar) {
    F p1[4], d21[4], d13[4], d32[4];
    for (int k = 0; k < 4; ++k) {
        p1[k] = -(v2.p[k] + v3.p[k]);
        d21[k] = (v2.p[k] + v2.p[k]) + v3.p[k];
        d13[k] = -(v2.p[k] + (v3.p[k] + v3.p[k]));
        d32[k] = v3.p[k] - v2.p[k];
    }
    const Cx<F> v23 = detail::dot(v2.c, v3.c);
    const Cx<F> t3 = detail::dot(v3.c, d21);
    const Cx<F> t2 = detail::dot(v2.c, d13);
    const Cx<F> f0 = detail::i_over_denominator<F>(p1, m, w);
    const Cx<F> f = g * f0;
    Cx<F> a = cx_of<F>(0.0), b = cx_of<F>(0.0), c = cx_of<F>(0.0);
    for (int mu = 0; mu < 4; ++mu) {
        a += d32[mu] * out_bar.c[mu];
        b += out_bar.c[mu] * v2.c[mu];
        c += out_bar.c[mu] * v3.c[mu];
    }
    const Cx<F> s = f * ((a * v23 + b * t3) + c * t2);
    const Cx<F> fa = f * a, fb = f * b, fc = f * c;
    const Cx<F> two_i_s = times_i(s + s) * f0;
    for (int mu = 0; mu < 4; ++mu) {
        const double eta = detail::metric(mu);
        const Cx<F> fg = f * out_bar.c[mu];
        v2_bar.c[mu] += fg * t3 + eta * (fa * v3.c[mu] + fc * d13[mu]);
        v3_bar.c[mu] += fg * t2 + eta * (fa * v2.c[mu] + fb * d21[mu]);
        // dS/d d32, d21, d13 and dS/dP1 through the propagator (2 i f0 S P1_nu)
        const Cx<F> by_d32 = fg * v23;
        const Cx<F> by_d21 = eta * (fb * v3.c[mu]);
        const Cx<F> by_d13 = eta * (fc * v2.c[mu]);
        const Cx<F> by_p1 = (by_d13 - by_d21) + (eta * p1[mu]) * two_i_s;
        const F p2bar = ((by_d21 - by_d32) - by_p1).re + out_bar.p[mu];
        const F p3bar = ((by_d32 - by_d13) - by_p1).re + out_bar.p[mu];
        v2_bar.p[mu] += p2bar;
        v3_bar.p[mu] += p3bar;
    }
}

// --- external wavefunctions on the z axis ------------------------------------------
// HELAS fixes the phase of a helicity state by the direction of its momentum, which is
// singular at pT = 0, and |M|^2 summed over helicities does not depend on those phases.
// So the derivative of an external wavefunction along a transverse direction t of a
// momentum on the z axis is taken as that of the rotated state: moving p along t is a
// rotation by dtheta = dp_t / |pz| about a = z-hat x t-hat sign(pz), which acts on a
// polarisation vector as a x eps, on a spinor fi as -(i/2) a.sigma per chiral block and
// on a barred spinor fo as +(i/2) (a.sigma)^T. Rotation invariance of the helicity sum
// makes this the derivative along the mass shell, which is what the library returns
// for those components (docs/gradients.md).
enum class ExternalKind { Vector, SpinorIn, SpinorOut };

// d c / d p_t (t = 1: px, t = 2: py) of the wavefunction components c of a particle of
// that kind with momentum (E, 0, 0, pz).
template <class F>
REFME_HD inline void axis_transverse_derivative(ExternalKind kind, const Cx<F> (&c)[4], const F& pz,
                                                int t, Cx<F> (&out)[4]) {
    const F inv = 1.0 / pz;
    if (kind == ExternalKind::Vector) {
        // t = x: a = y-hat / pz x eps = (eps_z, 0, -eps_x); t = y: a = -x-hat / pz.
        out[0] = cx_of<F>(0.0);
        if (t == 1) {
            out[1] = inv * c[3];
            out[2] = cx_of<F>(0.0);
            out[3] = -(inv * c[1]);
        } else {
            out[1] = cx_of<F>(0.0);
            out[2] = inv * c[3];
            out[3] = -(inv * c[2]);
        }
        return;
    }
    const F half = 0.5 * inv;
    for (int block = 0; block < 4; block += 2) {
        const Cx<F> x0 = c[block], x1 = c[block + 1];
        if (t == 1) {  // -(i/2) sigma_y = (1/2) [[0, -1], [1, 0]], the same for fo
            out[block] = -(half * x1);
            out[block + 1] = half * x0;
        } else {  // -(i/2) (-sigma_x) / pz for fi, the opposite for fo
            const F s = kind == ExternalKind::SpinorIn ? half : F(-half);
            out[block] = s * times_i(x1);
            out[block + 1] = s * times_i(x0);
        }
    }
}

// The colour sum's adjoint: jamp_bar[k] = scale * (dQ/dRe jamp_k - i dQ/dIm jamp_k) of
// the process's own colour sum Q (one pass over dual numbers, 2 kColors directions),
// and Q itself in `value` (the value part: the bits of colour_sum over F).
template <class Q, int C, class F>
REFME_HD inline void colour_sum_adjoint(const Cx<F> (&jamp)[C], const F& scale, F& value,
                                        Cx<F> (&jamp_bar)[C]) {
    using D = Dual<F, 2 * C>;
    Cx<D> j[C];
    for (int k = 0; k < C; ++k) {
        j[k].re = D::variable(jamp[k].re, 2 * k);
        j[k].im = D::variable(jamp[k].im, 2 * k + 1);
    }
    const D q = Q::template colour_sum<D>(j);
    value = q.v;
    for (int k = 0; k < C; ++k)
        jamp_bar[k] = cx_of<F>(scale * q.d[2 * k], -(scale * q.d[2 * k + 1]));
}

REFME_END_NAMESPACE

#endif  // REFME_ADJOINT_H
