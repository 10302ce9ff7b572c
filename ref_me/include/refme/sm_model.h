// refme/sm_model.h -- parameters of MadGraph's `sm` model (restrict_default).
//
// SmInputs are the external parameters of the param card; SmParameters adds the
// derived ones, computed with the same formulas and in the same order as
// MadGraph's generated Parameters_sm.cc, so couplings agree to the last bits:
//   aEW = 1/aEWM1
//   MW  = sqrt(MZ^2/2 + sqrt(MZ^4/4 - aEW pi MZ^2 / (Gf sqrt 2)))
//   ee  = 2 sqrt(aEW) sqrt(pi),  sw2 = 1 - MW^2/MZ^2,  cw = sqrt(1 - sw2),  sw = sqrt(sw2)
//   G   = 2 sqrt(aS) sqrt(pi)    (g_s; aS = 0.118 gives 1.2177157847767195)
// The defaults below are the values of the default sm param card
// (ref_me/cards/param_card.dat), used when no card path is given.
#ifndef REFME_SM_MODEL_H
#define REFME_SM_MODEL_H

#include <math.h>

#include "complex.h"

REFME_BEGIN_NAMESPACE

struct SmInputs {
    // Block SMINPUTS
    double aEWM1 = 1.325070e+02;  // 1/alpha_EW(MZ)
    double Gf = 1.166390e-05;     // Fermi constant, GeV^-2
    double aS = 1.180000e-01;     // alpha_s used when no per-event ALPHA_S is given
    // Block MASS, GeV
    double MZ = 9.118800e+01;
    double MT = 1.730000e+02;
    double MB = 4.700000e+00;
    double MH = 1.250000e+02;
    double MTA = 1.777000e+00;
    // DECAY, GeV
    double WZ = 2.441404e+00;
    double WT = 1.491500e+00;
    double WW = 2.047600e+00;
    double WH = 6.382339e-03;
    // Block YUKAWA, GeV
    double ymb = 4.700000e+00;
    double ymt = 1.730000e+02;
    double ymtau = 1.777000e+00;
};

struct SmParameters {
    SmInputs in;
    double aEW, MW, ee, sw2, cw, sw, g1, gw;
    double G;  // g_s at in.aS
};

// g_s from alpha_s, for any number type (alpha_s may differ per event).
template <class F>
REFME_HD inline F strong_coupling(const F& alpha_s) {
    return 2.0 * sqrt(alpha_s) * sqrt(M_PI);
}

REFME_HD inline SmParameters derive_sm(const SmInputs& in) {
    SmParameters s;
    s.in = in;
    const double mz2 = in.MZ * in.MZ;
    const double mz4 = in.MZ * in.MZ * in.MZ * in.MZ;
    s.aEW = 1.0 / in.aEWM1;
    s.MW = sqrt(mz2 / 2.0 + sqrt(mz4 / 4.0 - (s.aEW * M_PI * mz2) / (in.Gf * sqrt(2.0))));
    s.ee = 2.0 * sqrt(s.aEW) * sqrt(M_PI);
    s.sw2 = 1.0 - (s.MW * s.MW) / mz2;
    s.cw = sqrt(1.0 - s.sw2);
    s.sw = sqrt(s.sw2);
    s.g1 = s.ee / s.cw;
    s.gw = s.ee / s.sw;
    s.G = strong_coupling(in.aS);
    return s;
}

// sm couplings used by the processes here (names as in MadGraph's sm model).
REFME_HD inline cx gc_3(const SmParameters& s) { return -(s.ee * make_cx(0.0, 1.0)); }              // photon-f-f
// ggg and q-q-g depend on g_s, which may differ per event: templated on its type.
template <class F>
REFME_HD inline Cx<F> gc_10(const F& g) {
    return Cx<F>{-g, F(0.0)};
}
template <class F>
REFME_HD inline Cx<F> gc_11(const F& g) {
    return g * cx_of<F>(0.0, 1.0);
}
REFME_HD inline cx gc_50(const SmParameters& s) { return -(s.cw * s.ee * make_cx(0.0, 1.0)) / (2.0 * s.sw); }
REFME_HD inline cx gc_59(const SmParameters& s) { return (s.ee * make_cx(0.0, 1.0) * s.sw) / (2.0 * s.cw); }

REFME_END_NAMESPACE

#endif  // REFME_SM_MODEL_H
