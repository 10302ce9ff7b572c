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

namespace refme {

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

REFME_HD inline double strong_coupling(double alpha_s) {
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
REFME_HD inline cx gc_3(const SmParameters& s) { return -(s.ee * kI); }              // photon-f-f
REFME_HD inline cx gc_10(double g) { return make_cx(-g); }                           // ggg
REFME_HD inline cx gc_11(double g) { return g * kI; }                                // q-q-g
REFME_HD inline cx gc_50(const SmParameters& s) { return -(s.cw * s.ee * kI) / (2.0 * s.sw); }
REFME_HD inline cx gc_59(const SmParameters& s) { return (s.ee * kI * s.sw) / (2.0 * s.cw); }

}  // namespace refme

#endif  // REFME_SM_MODEL_H
