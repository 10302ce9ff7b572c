// refme/qcd_vertices.h -- gluon self-interactions beyond vertices.h, for the generated
// QCD processes (ref_me/qcdgen): the three-gluon amplitude and the four-gluon vertex.
//
// Three-gluon amplitude (ALOHA VVV1_0), colour f^{a1 a2 a3} on legs (V1, V2, V3):
//   -i g [ (V1.V2) V3.(P1 - P2) + (V1.V3) V2.(P3 - P1) + (V2.V3) V1.(P2 - P3) ]
// with P the stored (ALOHA-signed) momenta.
//
// MadGraph splits the four-gluon vertex into three colour structures, each with its
// own Lorentz structure and the coupling GC_12 = i g_s^2:
//   f(-1,1,2) f(3,4,-1) x VVVV1 = g14 g23 - g13 g24
//   f(-1,1,3) f(2,4,-1) x VVVV3 = g14 g23 - g12 g34
//   f(-1,1,4) f(2,3,-1) x VVVV4 = g13 g24 - g12 g34
// Each is "pairing A - pairing B" of the four legs. With L the off-shell (or first)
// leg, y its partner in B, z its partner in A and x the remaining leg, one formula
// serves all three structures and every leg:
//   vvvv_offshell(x, y, z)     = i g / P^2 [ y (x.z) - z (x.y) ],  P = x.p + y.p + z.p
//   vvvv_amplitude(L, x, y, z) = -i g [ (L.z)(x.y) - (L.y)(x.z) ]
// e.g. ALOHA's VVVV1P0_1(V2, V3, V4) is vvvv_offshell(V2, V3, V4), VVVV3P0_1 is
// (V3, V2, V4), VVVV4P0_1 is (V4, V2, V3).
// Templated on the number type F like the rest of the core (number.h).
#ifndef REFME_QCD_VERTICES_H
#define REFME_QCD_VERTICES_H

#include "vertices.h"

REFME_BEGIN_NAMESPACE

template <class F>
REFME_HD inline Cx<F> gc_12(const F& g) {  // four gluon
    return Cx<F>{F(0.0), g * g};
}

template <class F>
REFME_HD inline Cx<F> vvv1_amplitude(const Wf<F>& v1, const Wf<F>& v2, const Wf<F>& v3,
                                     const Cx<F>& g) {
    // Products grouped as ALOHA's VVV1_0, so rounding follows MadGraph's closely.
    const Cx<F> t1 = detail::dot(v3.c, v2.p) - detail::dot(v3.c, v1.p);
    const Cx<F> t2 = detail::dot(v2.c, v1.p) - detail::dot(v2.c, v3.p);
    const Cx<F> t3 = detail::dot(v1.c, v3.p) - detail::dot(v1.c, v2.p);
    const Cx<F> sum = detail::dot(v2.c, v1.c) * t1 +
                      (detail::dot(v3.c, v1.c) * t2 + detail::dot(v3.c, v2.c) * t3);
    return g * times_i(sum);
}

template <class F>
REFME_HD inline Wf<F> vvvv_offshell(const Wf<F>& x, const Wf<F>& y, const Wf<F>& z,
                                    const Cx<F>& g) {
    Wf<F> out;
    for (int k = 0; k < 4; ++k) out.p[k] = x.p[k] + y.p[k] + z.p[k];
    const Cx<F> xz = detail::dot(x.c, z.c);
    const Cx<F> xy = detail::dot(x.c, y.c);
    const Cx<F> f = g * detail::i_over_denominator<F>(out.p, 0.0, 0.0);
    for (int mu = 0; mu < 4; ++mu) out.c[mu] = f * (y.c[mu] * xz - z.c[mu] * xy);
    return out;
}

template <class F>
REFME_HD inline Cx<F> vvvv_amplitude(const Wf<F>& l, const Wf<F>& x, const Wf<F>& y, const Wf<F>& z,
                                     const Cx<F>& g) {
    const Cx<F> sum = detail::dot(l.c, z.c) * detail::dot(x.c, y.c) -
                      detail::dot(l.c, y.c) * detail::dot(x.c, z.c);
    return -(g * times_i(sum));
}

// vvv1_amplitude(v1, v2, v3, g) with v1 open (vertices.h, OpenLeg), its momentum
// P1 = -(P2 + P3) by conservation: i g [v2_mu (v3.(2 P2 + P3)) - v3_mu (v2.(P2 + 2 P3))
// + (v2.v3) (P3 - P2)_mu]. The vertex is cyclic, so any leg can be the open one.
template <class F>
REFME_HD inline OpenLeg<F> vvv1_open(const Wf<F>& v2, const Wf<F>& v3, const Cx<F>& g) {
    Momentum<F> a[4], b[4], d[4];
    for (int k = 0; k < 4; ++k) {
        a[k] = (v2.p[k] + v2.p[k]) + v3.p[k];
        b[k] = v2.p[k] + (v3.p[k] + v3.p[k]);
        d[k] = v3.p[k] - v2.p[k];
    }
    const Cx<F> t1 = g * detail::dot(v3.c, a);
    const Cx<F> t2 = g * detail::dot(v2.c, b);
    const Cx<F> t3 = g * detail::dot(v2.c, v3.c);
    OpenLeg<F> o;
    for (int mu = 0; mu < 4; ++mu) {
        const Cx<F> upper = v2.c[mu] * t1 - v3.c[mu] * t2 + d[mu] * t3;
        o.c[mu] = times_i(mu == 0 ? upper : -upper);
    }
    return o;
}

// vvvv_amplitude(l, x, y, z, g) with l open: -i g [z_mu (x.y) - y_mu (x.z)]. Every leg
// can be the open one (the structure is "pairing A - pairing B", see above).
template <class F>
REFME_HD inline OpenLeg<F> vvvv_open(const Wf<F>& x, const Wf<F>& y, const Wf<F>& z,
                                     const Cx<F>& g) {
    const Cx<F> xy = g * detail::dot(x.c, y.c);
    const Cx<F> xz = g * detail::dot(x.c, z.c);
    OpenLeg<F> o;
    for (int mu = 0; mu < 4; ++mu) {
        const Cx<F> upper = z.c[mu] * xy - y.c[mu] * xz;
        o.c[mu] = -times_i(mu == 0 ? upper : -upper);
    }
    return o;
}

REFME_END_NAMESPACE

#endif  // REFME_QCD_VERTICES_H
