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

// Over a number type R: double for the card and the event loops, a dual number when
// the parameters themselves are differentiated (gradient.h).
template <class R>
struct SmInputsT {
    // Block SMINPUTS
    R aEWM1 = 1.325070e+02;  // 1/alpha_EW(MZ)
    R Gf = 1.166390e-05;     // Fermi constant, GeV^-2
    R aS = 1.180000e-01;     // alpha_s used when no per-event ALPHA_S is given
    // Block MASS, GeV
    R MZ = 9.118800e+01;
    R MT = 1.730000e+02;
    R MB = 4.700000e+00;
    R MH = 1.250000e+02;
    R MTA = 1.777000e+00;
    // DECAY, GeV
    R WZ = 2.441404e+00;
    R WT = 1.491500e+00;
    R WW = 2.047600e+00;
    R WH = 6.382339e-03;
    // Block YUKAWA, GeV
    R ymb = 4.700000e+00;
    R ymt = 1.730000e+02;
    R ymtau = 1.777000e+00;
};
using SmInputs = SmInputsT<double>;

template <class R>
struct SmParametersT {
    SmInputsT<R> in;
    R aEW, MW, ee, sw2, cw, sw, g1, gw;
    R G;  // g_s at in.aS
};
using SmParameters = SmParametersT<double>;

// g_s from alpha_s, for any number type (alpha_s may differ per event).
template <class F>
REFME_HD inline F strong_coupling(const F& alpha_s) {
    return 2.0 * sqrt(alpha_s) * sqrt(M_PI);
}

template <class R>
REFME_HD inline SmParametersT<R> derive_sm(const SmInputsT<R>& in) {
    SmParametersT<R> s;
    s.in = in;
    const R mz2 = in.MZ * in.MZ;
    const R mz4 = in.MZ * in.MZ * in.MZ * in.MZ;
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
template <class R>
REFME_HD inline Cx<R> gc_3(const SmParametersT<R>& s) {
    return -(s.ee * cx_of<R>(0.0, 1.0));
}  // photon-f-f
// ggg and q-q-g depend on g_s, which may differ per event: templated on its type.
template <class F>
REFME_HD inline Cx<F> gc_10(const F& g) {
    return Cx<F>{-g, F(0.0)};
}
template <class F>
REFME_HD inline Cx<F> gc_11(const F& g) {
    return g * cx_of<F>(0.0, 1.0);
}
template <class R>
REFME_HD inline Cx<R> gc_50(const SmParametersT<R>& s) {
    return -(s.cw * s.ee * cx_of<R>(0.0, 1.0)) / (2.0 * s.sw);
}
template <class R>
REFME_HD inline Cx<R> gc_59(const SmParametersT<R>& s) {
    return (s.ee * cx_of<R>(0.0, 1.0) * s.sw) / (2.0 * s.cw);
}

REFME_END_NAMESPACE

#endif  // REFME_SM_MODEL_H
