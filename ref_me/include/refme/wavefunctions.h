// refme/wavefunctions.h -- external wavefunctions in the HELAS/ALOHA convention,
// templated on the number type F (number.h).
//
// A Wf<F> carries four complex components (Dirac spinor in the chiral basis of
// HELAS, or a polarisation vector with contravariant components) and the momentum
// that ALOHA attaches to it. That momentum is stored with ALOHA's signs:
//   ixxxxx (fermion line entering a vertex, "fi"): p_stored = -nsf * p
//   oxxxxx (fermion line leaving a vertex, "fo"):  p_stored = +nsf * p
//   vxxxxx (vector):                               p_stored = +nsv * p
// so that the momentum of an internal line is the plain sum of the stored momenta
// of the wavefunctions meeting at a vertex, exactly as in MadGraph; matching these
// signs is what makes our numbers agree with MadGraph's to rounding.
//
// nhel = -1 or +1 (0 allowed for massive vectors); nsf = +1 particle, -1
// antiparticle; nsv = -1 incoming, +1 outgoing. Momenta (E, px, py, pz) in GeV.
// The special kinematics of HELAS (particle at rest, momentum along -z, no
// transverse momentum) are evaluated as where() of both branches, lane by lane.
// The mass must be the same in every lane (it comes from the card): whether a
// particle is massless selects the formula for all lanes at once.
// The momenta are over Momentum<F> (number.h): F itself, or the plain type in a
// parameter-gradient pass, where what depends on the momentum alone is computed
// without derivatives. So F is named at the call: ixxxxx<F>(p, m, nhel, nsf).
#ifndef REFME_WAVEFUNCTIONS_H
#define REFME_WAVEFUNCTIONS_H

#include <math.h>

#include "complex.h"

REFME_BEGIN_NAMESPACE

template <class F>
struct Wf {
    Momentum<F> p[4];  // ALOHA-signed momentum, GeV
    Cx<F> c[4];        // spinor components (chiral basis) or contravariant vector components
};
using Wavefunction = Wf<double>;

namespace detail {
template <class F>
REFME_HD inline F fmin2(const F& a, const nd<F>& b) {
    return where(a < b, a, b);
}
template <class F>
REFME_HD inline F fmax2(const F& a, const nd<F>& b) {
    return where(a > b, a, b);
}

// The two-component massless spinor chi of HELAS: chi0 = sqrt(E + pz) nsf, chi1 from
// (nh px, +-py) / chi0; along -z (chi0 = 0) the limit -nhel sqrt(2 E). `sy` is the
// sign of py (+1 for ixxxxx, -1 for oxxxxx).
template <class F>
REFME_HD inline void massless_chi(const F* p, int nhel, int nsf, int sy, Cx<F>& chi0, Cx<F>& chi1) {
    const int nh = nhel * nsf;
    const F sqp0p3 = where((p[1] == 0.0) & (p[2] == 0.0) & (p[3] < 0.0), F(0.0),
                           sqrt(fmax2(p[0] + p[3], 0.0)) * nsf);
    chi0 = cx_of<F>(sqp0p3);
    chi1 = where(sqp0p3 == 0.0, cx_of<F>(-nhel * sqrt(2.0 * p[0])),
                 cx_of<F>(nh * p[1], sy * p[2]) / sqp0p3);
}

// The massive two-component pieces of HELAS: omega = (sqrt(E + |p|), m / omega_0)
// weighted by the helicity signs sf, and chi (the sign of py as in massless_chi; over
// the momenta's type P, as it does not depend on the mass).
template <class F, class P>
REFME_HD inline void massive_chi(const P* p, const P& pp, const F& fmass, int nh, int nsf, int sy,
                                 F (&sfomega)[2], Cx<P> (&chi)[2]) {
    const int ip = (1 + nh) / 2;
    const int im = (1 - nh) / 2;
    const double sf[2] = {(1 + nsf + (1 - nsf) * nh) * 0.5, (1 + nsf - (1 - nsf) * nh) * 0.5};
    F omega[2];
    omega[0] = sqrt(p[0] + pp);
    omega[1] = fmass / omega[0];
    sfomega[0] = sf[0] * omega[ip];
    sfomega[1] = sf[1] * omega[im];
    const P pp3 = fmax2(pp + p[3], 0.0);
    chi[0] = cx_of<P>(sqrt(pp3 * 0.5 / pp));
    chi[1] =
        where(pp3 == 0.0, cx_of<P>(-nh), cx_of<P>(nh * p[1], sy * p[2]) / sqrt(2.0 * pp * pp3));
}

// |p| capped at E, as HELAS.
template <class F>
REFME_HD inline F capped_momentum(const F* p) {
    return fmin2(p[0], sqrt(p[1] * p[1] + p[2] * p[2] + p[3] * p[3]));
}
}  // namespace detail

// Spinor of a fermion line entering the diagram's fermion flow: u for an incoming
// fermion (nsf = +1), v for an outgoing antifermion (nsf = -1).
template <class F>
REFME_HD inline Wf<F> ixxxxx(const Momentum<F>* p, const nd<F>& fmass, int nhel, int nsf) {
    using P = Momentum<F>;
    Wf<F> w;
    for (int k = 0; k < 4; ++k) w.p[k] = -nsf * p[k];
    const int nh = nhel * nsf;
    if (any_lane(fmass != 0.0)) {
        const P pp = detail::capped_momentum(p);
        const int ip = (1 + nh) / 2;
        const int im = (1 - nh) / 2;
        // At rest: helicity along z; sqm[1] carries the sign of a negative mass.
        F sqm[2];
        sqm[0] = sqrt(fabs(fmass));
        sqm[1] = where(fmass < 0.0, -sqm[0], sqm[0]);
        const Cx<F> rest[4] = {cx_of<F>(ip * sqm[ip]), cx_of<F>(im * nsf * sqm[ip]),
                               cx_of<F>(ip * nsf * sqm[im]), cx_of<F>(im * sqm[im])};
        F sfomega[2];
        Cx<P> chi[2];
        detail::massive_chi(p, pp, F(fmass), nh, nsf, +1, sfomega, chi);
        const Cx<F> moving[4] = {sfomega[0] * chi[im], sfomega[0] * chi[ip], sfomega[1] * chi[im],
                                 sfomega[1] * chi[ip]};
        for (int k = 0; k < 4; ++k) w.c[k] = where(pp == 0.0, rest[k], moving[k]);
    } else {
        // Massless: one chirality only.
        Cx<P> chi0_p, chi1_p;
        detail::massless_chi(p, nhel, nsf, +1, chi0_p, chi1_p);
        const Cx<F> chi0 = to_cx<F>(chi0_p), chi1 = to_cx<F>(chi1_p);
        const Cx<F> zero = cx_of<F>(0.0);
        if (nh == 1) {
            w.c[0] = zero;
            w.c[1] = zero;
            w.c[2] = chi0;
            w.c[3] = chi1;
        } else {
            w.c[0] = chi1;
            w.c[1] = chi0;
            w.c[2] = zero;
            w.c[3] = zero;
        }
    }
    return w;
}

// Barred spinor of a fermion line leaving the fermion flow: ubar for an outgoing
// fermion (nsf = +1), vbar for an incoming antifermion (nsf = -1).
template <class F>
REFME_HD inline Wf<F> oxxxxx(const Momentum<F>* p, const nd<F>& fmass, int nhel, int nsf) {
    using P = Momentum<F>;
    Wf<F> w;
    for (int k = 0; k < 4; ++k) w.p[k] = nsf * p[k];
    const int nh = nhel * nsf;
    if (any_lane(fmass != 0.0)) {
        const P pp = detail::capped_momentum(p);
        F sqm[2];
        sqm[0] = sqrt(fabs(fmass));
        sqm[1] = where(fmass < 0.0, -sqm[0], sqm[0]);
        // Signed selectors of HELAS: they pick the component and its sign at once.
        const int sip = -((1 - nh) / 2) * nhel;
        const int sim = (1 + nh) / 2 * nhel;
        const int aip = sip < 0 ? -sip : sip;
        const int aim = sim < 0 ? -sim : sim;
        const Cx<F> rest[4] = {cx_of<F>(sim * sqm[aip]), cx_of<F>(sip * nsf * sqm[aip]),
                               cx_of<F>(sim * nsf * sqm[aim]), cx_of<F>(sip * sqm[aim])};
        const int ip = (1 + nh) / 2;
        const int im = (1 - nh) / 2;
        F sfomega[2];
        Cx<P> chi[2];
        detail::massive_chi(p, pp, F(fmass), nh, nsf, -1, sfomega, chi);
        const Cx<F> moving[4] = {sfomega[1] * chi[im], sfomega[1] * chi[ip], sfomega[0] * chi[im],
                                 sfomega[0] * chi[ip]};
        for (int k = 0; k < 4; ++k) w.c[k] = where(pp == 0.0, rest[k], moving[k]);
    } else {
        Cx<P> chi0_p, chi1_p;
        detail::massless_chi(p, nhel, nsf, -1, chi0_p, chi1_p);
        const Cx<F> chi0 = to_cx<F>(chi0_p), chi1 = to_cx<F>(chi1_p);
        const Cx<F> zero = cx_of<F>(0.0);
        if (nh == 1) {
            w.c[0] = chi0;
            w.c[1] = chi1;
            w.c[2] = zero;
            w.c[3] = zero;
        } else {
            w.c[0] = zero;
            w.c[1] = zero;
            w.c[2] = chi1;
            w.c[3] = chi0;
        }
    }
    return w;
}

// Polarisation vector (contravariant components) of an external vector boson.
template <class F>
REFME_HD inline Wf<F> vxxxxx(const Momentum<F>* p, const nd<F>& vmass, int nhel, int nsv) {
    using P = Momentum<F>;
    Wf<F> w;
    for (int k = 0; k < 4; ++k) w.p[k] = nsv * p[k];
    const double sqh = sqrt(0.5);
    const double hel = nhel;
    const P pt2 = p[1] * p[1] + p[2] * p[2];
    if (any_lane(vmass != 0.0)) {
        const double nsvahl = nsv * fabs(hel);
        const P pp = detail::fmin2(p[0], sqrt(pt2 + p[3] * p[3]));
        const P pt = detail::fmin2(pp, sqrt(pt2));
        const double hel0 = 1.0 - fabs(hel);
        const Cx<F> rest[4] = {cx_of<F>(0.0), cx_of<F>(-hel * sqh), cx_of<F>(0.0, nsvahl * sqh),
                               cx_of<F>(hel0)};
        const F emp = p[0] / (vmass * pp);
        const P pzpt = p[3] / (pp * pt) * sqh * hel;
        const Cx<F> along_z[2] = {cx_of<F>(-hel * sqh),
                                  cx_of<F>(0.0, nsvahl * where(p[3] < 0.0, F(-sqh), F(sqh)))};
        const Cx<F> transverse[2] = {
            cx_of<F>(hel0 * p[1] * emp - p[1] * pzpt, -nsvahl * p[2] / pt * sqh),
            cx_of<F>(hel0 * p[2] * emp - p[2] * pzpt, nsvahl * p[1] / pt * sqh)};
        const Cx<F> moving[4] = {cx_of<F>(hel0 * pp / vmass),
                                 where(pt == 0.0, along_z[0], transverse[0]),
                                 where(pt == 0.0, along_z[1], transverse[1]),
                                 cx_of<F>(hel0 * p[3] * emp + hel * pt / pp * sqh)};
        for (int k = 0; k < 4; ++k) w.c[k] = where(pp == 0.0, rest[k], moving[k]);
    } else {
        const P pp = p[0];
        const P pt = sqrt(pt2);
        const P pzpt = p[3] / (pp * pt) * sqh * hel;
        w.c[0] = cx_of<F>(0.0);
        w.c[3] = cx_of<F>(hel * pt / pp * sqh);
        w.c[1] = to_cx<F>(
            where(pt == 0.0, cx_of<P>(-hel * sqh), cx_of<P>(-p[1] * pzpt, -nsv * p[2] / pt * sqh)));
        w.c[2] = to_cx<F>(where(pt == 0.0, cx_of<P>(0.0, nsv * where(p[3] < 0.0, P(-sqh), P(sqh))),
                                cx_of<P>(-p[2] * pzpt, nsv * p[1] / pt * sqh)));
    }
    return w;
}

REFME_END_NAMESPACE

#endif  // REFME_WAVEFUNCTIONS_H
