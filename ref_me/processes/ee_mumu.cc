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

    template <class F>
    struct Couplings {
        Cx<F> gc_3;          // photon
        Cx<F> gc_50, gc_59;  // Z: FFV2 and FFV4 coefficients
        F mz, wz;
    };

    // No g_s: with R = double the couplings are event-independent and broadcast to F;
    // with R = F (parameter gradients) they carry the parameters' derivatives.
    template <class F, class R>
    static REFME_HD Couplings<F> couplings(const SmParametersT<R>& s, const F& /*g_s*/) {
        const Cx<R> gc_3 = refme::gc_3(s), gc_50 = refme::gc_50(s), gc_59 = refme::gc_59(s);
        return Couplings<F>{
            {gc_3.re, gc_3.im}, {gc_50.re, gc_50.im}, {gc_59.re, gc_59.im}, s.in.MZ, s.in.WZ};
    }

    static REFME_HD void masses(const SmInputs&, double* out) {
        for (int i = 0; i < kParticles; ++i) out[i] = 0.0;
    }

    template <class F>
    static REFME_HD Wf<F> external(int i, const Momentum<F> (&p)[4], int hel, const Couplings<F>&) {
        switch (i) {
            case 0: return oxxxxx<F>(p, 0.0, hel, -1);   // incoming e+
            case 1: return ixxxxx<F>(p, 0.0, hel, +1);   // incoming e-
            case 2: return ixxxxx<F>(p, 0.0, hel, -1);   // outgoing mu+
            default: return oxxxxx<F>(p, 0.0, hel, +1);  // outgoing mu-
        }
    }

    template <class F>
    static REFME_HD void amplitudes(const Wf<F>* const (&w)[kParticles], const Couplings<F>& c,
                                    Cx<F> (&amp)[kDiagrams], Cx<F> (&jamp)[kColors]) {
        const Wf<F>& ep = *w[0];
        const Wf<F>& em = *w[1];
        const Wf<F>& mp = *w[2];
        const Wf<F>& mm = *w[3];
        // Diagram 1: s-channel photon.
        const Chiral<F> photon = vector_coupling(c.gc_3);
        const Wf<F> a = ffv_offshell_vector(em, ep, photon, 0.0, 0.0);
        amp[0] = ffv_amplitude(mp, mm, a, photon);
        // Diagram 2: s-channel Z (FFV2 + FFV4 Lorentz structures).
        const Chiral<F> zll = ffv2_ffv4_coupling(c.gc_50, c.gc_59);
        const Wf<F> z = ffv_offshell_vector(em, ep, zll, c.mz, c.wz);
        amp[1] = ffv_amplitude(mp, mm, z, zll);
        jamp[0] = -amp[0] - amp[1];
    }

    // Reverse mode (adjoint.h, gradient.h): the steps of amplitudes() backwards.
    static REFME_HD ExternalKind external_kind(int i) {
        return i == 1 || i == 2 ? ExternalKind::SpinorIn : ExternalKind::SpinorOut;
    }

    template <class F>
    static REFME_HD void amplitudes_adjoint(const Wf<F>* const (&w)[kParticles],
                                            const Couplings<F>& c, const Cx<F> (&jamp_bar)[kColors],
                                            Wf<F>* const (&w_bar)[kParticles]) {
        const Wf<F>& ep = *w[0];
        const Wf<F>& em = *w[1];
        const Wf<F>& mp = *w[2];
        const Wf<F>& mm = *w[3];
        const Chiral<F> photon = vector_coupling(c.gc_3);
        const Chiral<F> zll = ffv2_ffv4_coupling(c.gc_50, c.gc_59);
        const Wf<F> a = ffv_offshell_vector(em, ep, photon, 0.0, 0.0);
        const Wf<F> z = ffv_offshell_vector(em, ep, zll, c.mz, c.wz);
        Wf<F> a_bar, z_bar;
        zero_adjoint(a_bar);
        zero_adjoint(z_bar);
        ffv_amplitude_adjoint(mp, mm, a, photon, -jamp_bar[0], *w_bar[2], *w_bar[3], a_bar);
        ffv_amplitude_adjoint(mp, mm, z, zll, -jamp_bar[0], *w_bar[2], *w_bar[3], z_bar);
        ffv_offshell_vector_adjoint(em, ep, photon, 0.0, 0.0, a_bar, *w_bar[1], *w_bar[0]);
        ffv_offshell_vector_adjoint(em, ep, zll, c.mz, c.wz, z_bar, *w_bar[1], *w_bar[0]);
    }

    template <class F>
    static REFME_HD F colour_sum(const Cx<F> (&jamp)[kColors]) {
        constexpr double cf[kColors][kColors] = {{1.0}};
        constexpr double denom[kColors] = {1.0};
        return refme::colour_sum<kColors>(cf, denom, jamp);
    }
};

}  // namespace

REFME_EXPORT_UMAMI(EeMuMu)
