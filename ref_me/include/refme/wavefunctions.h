// refme/wavefunctions.h -- external wavefunctions in the HELAS/ALOHA convention.
//
// A Wavefunction carries four complex components (Dirac spinor in the chiral basis
// of HELAS, or a polarisation vector with contravariant components) and the
// momentum that ALOHA attaches to it. That momentum is stored with ALOHA's signs:
//   ixxxxx (fermion line entering a vertex, "fi"): p_stored = -nsf * p
//   oxxxxx (fermion line leaving a vertex, "fo"):  p_stored = +nsf * p
//   vxxxxx (vector):                               p_stored = +nsv * p
// so that the momentum of an internal line is the plain sum of the stored momenta
// of the wavefunctions meeting at a vertex, exactly as in MadGraph; matching these
// signs is what makes our numbers agree with MadGraph's to rounding.
//
// nhel = -1 or +1 (0 allowed for massive vectors); nsf = +1 particle, -1
// antiparticle; nsv = -1 incoming, +1 outgoing. Momenta (E, px, py, pz) in GeV.
#ifndef REFME_WAVEFUNCTIONS_H
#define REFME_WAVEFUNCTIONS_H

#include <math.h>

#include "complex.h"

namespace refme {

struct Wavefunction {
    double p[4];  // ALOHA-signed momentum, GeV
    cx c[4];      // spinor components (chiral basis) or contravariant vector components
};

namespace detail {
REFME_HD inline double fmin2(double a, double b) { return a < b ? a : b; }
REFME_HD inline double fmax2(double a, double b) { return a > b ? a : b; }
}  // namespace detail

// Spinor of a fermion line entering the diagram's fermion flow: u for an incoming
// fermion (nsf = +1), v for an outgoing antifermion (nsf = -1).
REFME_HD inline Wavefunction ixxxxx(const double p[4], double fmass, int nhel, int nsf) {
    Wavefunction w;
    for (int k = 0; k < 4; ++k) w.p[k] = -nsf * p[k];
    const int nh = nhel * nsf;
    if (fmass != 0.0) {
        const double pp = detail::fmin2(p[0], sqrt(p[1] * p[1] + p[2] * p[2] + p[3] * p[3]));
        const int ip = (1 + nh) / 2;
        const int im = (1 - nh) / 2;
        if (pp == 0.0) {
            // At rest: helicity along z; sqm[1] carries the sign of a negative mass.
            double sqm[2];
            sqm[0] = sqrt(fabs(fmass));
            sqm[1] = fmass < 0.0 ? -sqm[0] : sqm[0];
            w.c[0] = make_cx(ip * sqm[ip]);
            w.c[1] = make_cx(im * nsf * sqm[ip]);
            w.c[2] = make_cx(ip * nsf * sqm[im]);
            w.c[3] = make_cx(im * sqm[im]);
        } else {
            const double sf[2] = {(1 + nsf + (1 - nsf) * nh) * 0.5, (1 + nsf - (1 - nsf) * nh) * 0.5};
            double omega[2];
            omega[0] = sqrt(p[0] + pp);
            omega[1] = fmass / omega[0];
            const double sfomega[2] = {sf[0] * omega[ip], sf[1] * omega[im]};
            const double pp3 = detail::fmax2(pp + p[3], 0.0);
            const cx chi[2] = {make_cx(sqrt(pp3 * 0.5 / pp)),
                               pp3 == 0.0 ? make_cx(-nh)
                                          : make_cx(nh * p[1], p[2]) / sqrt(2.0 * pp * pp3)};
            w.c[0] = sfomega[0] * chi[im];
            w.c[1] = sfomega[0] * chi[ip];
            w.c[2] = sfomega[1] * chi[im];
            w.c[3] = sfomega[1] * chi[ip];
        }
    } else {
        // Massless: one chirality only; along -z the two-component spinor degenerates.
        const double sqp0p3 = (p[1] == 0.0 && p[2] == 0.0 && p[3] < 0.0)
                                  ? 0.0
                                  : sqrt(detail::fmax2(p[0] + p[3], 0.0)) * nsf;
        const cx chi0 = make_cx(sqp0p3);
        const cx chi1 = sqp0p3 == 0.0 ? make_cx(-nhel * sqrt(2.0 * p[0]))
                                      : make_cx(nh * p[1], p[2]) / sqp0p3;
        const cx zero = make_cx(0.0);
        if (nh == 1) {
            w.c[0] = zero; w.c[1] = zero; w.c[2] = chi0; w.c[3] = chi1;
        } else {
            w.c[0] = chi1; w.c[1] = chi0; w.c[2] = zero; w.c[3] = zero;
        }
    }
    return w;
}

// Barred spinor of a fermion line leaving the fermion flow: ubar for an outgoing
// fermion (nsf = +1), vbar for an incoming antifermion (nsf = -1).
REFME_HD inline Wavefunction oxxxxx(const double p[4], double fmass, int nhel, int nsf) {
    Wavefunction w;
    for (int k = 0; k < 4; ++k) w.p[k] = nsf * p[k];
    const int nh = nhel * nsf;
    if (fmass != 0.0) {
        const double pp = detail::fmin2(p[0], sqrt(p[1] * p[1] + p[2] * p[2] + p[3] * p[3]));
        if (pp == 0.0) {
            double sqm[2];
            sqm[0] = sqrt(fabs(fmass));
            sqm[1] = fmass < 0.0 ? -sqm[0] : sqm[0];
            // Signed selectors of HELAS: they pick the component and its sign at once.
            const int ip = -((1 - nh) / 2) * nhel;
            const int im = (1 + nh) / 2 * nhel;
            const int aip = ip < 0 ? -ip : ip;
            const int aim = im < 0 ? -im : im;
            w.c[0] = make_cx(im * sqm[aip]);
            w.c[1] = make_cx(ip * nsf * sqm[aip]);
            w.c[2] = make_cx(im * nsf * sqm[aim]);
            w.c[3] = make_cx(ip * sqm[aim]);
        } else {
            const int ip = (1 + nh) / 2;
            const int im = (1 - nh) / 2;
            const double sf[2] = {(1 + nsf + (1 - nsf) * nh) * 0.5, (1 + nsf - (1 - nsf) * nh) * 0.5};
            double omega[2];
            omega[0] = sqrt(p[0] + pp);
            omega[1] = fmass / omega[0];
            const double sfomega[2] = {sf[0] * omega[ip], sf[1] * omega[im]};
            const double pp3 = detail::fmax2(pp + p[3], 0.0);
            const cx chi[2] = {make_cx(sqrt(pp3 * 0.5 / pp)),
                               pp3 == 0.0 ? make_cx(-nh)
                                          : make_cx(nh * p[1], -p[2]) / sqrt(2.0 * pp * pp3)};
            w.c[0] = sfomega[1] * chi[im];
            w.c[1] = sfomega[1] * chi[ip];
            w.c[2] = sfomega[0] * chi[im];
            w.c[3] = sfomega[0] * chi[ip];
        }
    } else {
        const double sqp0p3 = (p[1] == 0.0 && p[2] == 0.0 && p[3] < 0.0)
                                  ? 0.0
                                  : sqrt(detail::fmax2(p[0] + p[3], 0.0)) * nsf;
        const cx chi0 = make_cx(sqp0p3);
        const cx chi1 = sqp0p3 == 0.0 ? make_cx(-nhel * sqrt(2.0 * p[0]))
                                      : make_cx(nh * p[1], -p[2]) / sqp0p3;
        const cx zero = make_cx(0.0);
        if (nh == 1) {
            w.c[0] = chi0; w.c[1] = chi1; w.c[2] = zero; w.c[3] = zero;
        } else {
            w.c[0] = zero; w.c[1] = zero; w.c[2] = chi1; w.c[3] = chi0;
        }
    }
    return w;
}

// Polarisation vector (contravariant components) of an external vector boson.
REFME_HD inline Wavefunction vxxxxx(const double p[4], double vmass, int nhel, int nsv) {
    Wavefunction w;
    for (int k = 0; k < 4; ++k) w.p[k] = nsv * p[k];
    const double sqh = sqrt(0.5);
    const double hel = nhel;
    if (vmass != 0.0) {
        const double nsvahl = nsv * fabs(hel);
        const double pt2 = p[1] * p[1] + p[2] * p[2];
        const double pp = detail::fmin2(p[0], sqrt(pt2 + p[3] * p[3]));
        const double pt = detail::fmin2(pp, sqrt(pt2));
        const double hel0 = 1.0 - fabs(hel);
        if (pp == 0.0) {
            w.c[0] = make_cx(0.0);
            w.c[1] = make_cx(-hel * sqh);
            w.c[2] = make_cx(0.0, nsvahl * sqh);
            w.c[3] = make_cx(hel0);
        } else {
            const double emp = p[0] / (vmass * pp);
            w.c[0] = make_cx(hel0 * pp / vmass);
            w.c[3] = make_cx(hel0 * p[3] * emp + hel * pt / pp * sqh);
            if (pt == 0.0) {
                w.c[1] = make_cx(-hel * sqh);
                w.c[2] = make_cx(0.0, nsvahl * (p[3] < 0.0 ? -sqh : sqh));
            } else {
                const double pzpt = p[3] / (pp * pt) * sqh * hel;
                w.c[1] = make_cx(hel0 * p[1] * emp - p[1] * pzpt, -nsvahl * p[2] / pt * sqh);
                w.c[2] = make_cx(hel0 * p[2] * emp - p[2] * pzpt, nsvahl * p[1] / pt * sqh);
            }
        }
    } else {
        const double pp = p[0];
        const double pt = sqrt(p[1] * p[1] + p[2] * p[2]);
        w.c[0] = make_cx(0.0);
        w.c[3] = make_cx(hel * pt / pp * sqh);
        if (pt == 0.0) {
            w.c[1] = make_cx(-hel * sqh);
            w.c[2] = make_cx(0.0, nsv * (p[3] < 0.0 ? -sqh : sqh));
        } else {
            const double pzpt = p[3] / (pp * pt) * sqh * hel;
            w.c[1] = make_cx(-p[1] * pzpt, -nsv * p[2] / pt * sqh);
            w.c[2] = make_cx(-p[2] * pzpt, nsv * p[1] / pt * sqh);
        }
    }
    return w;
}

}  // namespace refme

#endif  // REFME_WAVEFUNCTIONS_H
