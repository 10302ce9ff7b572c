// e+ e- -> mu+ mu- at tree level (photon and Z exchange), sm model.
// Particle order (MadGraph): 0 e+, 1 e-, 2 mu+, 3 mu-. Leptons massless.
// 2 diagrams, 16 helicity combinations (4 non-zero), 1 colour flow.
#include "refme/umami_glue.h"

namespace {

using namespace refme;

struct EeMuMu {
    static constexpr int kParticles = 4;
    static constexpr int kDiagrams = 2;
    static constexpr int kColors = 1;
    static constexpr int kHelicities = 16;
    static constexpr double kAverage = 4.0;  // 2 x 2 initial spins

    static REFME_HD int first_helicity(int i) {
        constexpr int first[kParticles] = {-1, 1, 1, -1};
        return first[i];
    }

    struct Couplings {
        cx gc_3;        // photon
        cx gc_50, gc_59;  // Z: FFV2 and FFV4 coefficients
        double mz, wz;
    };

    static REFME_HD Couplings couplings(const SmParameters& s, double /*g_s*/) {
        return Couplings{refme::gc_3(s), refme::gc_50(s), refme::gc_59(s), s.in.MZ, s.in.WZ};
    }

    static REFME_HD void masses(const SmInputs&, double* out) {
        for (int i = 0; i < kParticles; ++i) out[i] = 0.0;
    }

    static REFME_HD Wavefunction external(int i, const double (&p)[4], int hel, const Couplings&) {
        switch (i) {
            case 0: return oxxxxx(p, 0.0, hel, -1);  // incoming e+
            case 1: return ixxxxx(p, 0.0, hel, +1);  // incoming e-
            case 2: return ixxxxx(p, 0.0, hel, -1);  // outgoing mu+
            default: return oxxxxx(p, 0.0, hel, +1); // outgoing mu-
        }
    }

    static REFME_HD void amplitudes(const Wavefunction* const (&w)[kParticles], const Couplings& c,
                                    cx (&amp)[kDiagrams], cx (&jamp)[kColors]) {
        const Wavefunction& ep = *w[0];
        const Wavefunction& em = *w[1];
        const Wavefunction& mp = *w[2];
        const Wavefunction& mm = *w[3];
        // Diagram 1: s-channel photon.
        const ChiralCoupling photon = vector_coupling(c.gc_3);
        const Wavefunction a = ffv_offshell_vector(em, ep, photon, 0.0, 0.0);
        amp[0] = ffv_amplitude(mp, mm, a, photon);
        // Diagram 2: s-channel Z (FFV2 + FFV4 Lorentz structures).
        const ChiralCoupling zll = ffv2_ffv4_coupling(c.gc_50, c.gc_59);
        const Wavefunction z = ffv_offshell_vector(em, ep, zll, c.mz, c.wz);
        amp[1] = ffv_amplitude(mp, mm, z, zll);
        jamp[0] = -amp[0] - amp[1];
    }

    static REFME_HD double colour_sum(const cx (&jamp)[kColors]) {
        constexpr double cf[kColors][kColors] = {{1.0}};
        constexpr double denom[kColors] = {1.0};
        return refme::colour_sum<kColors>(cf, denom, jamp);
    }
};

}  // namespace

REFME_EXPORT_UMAMI(EeMuMu)
