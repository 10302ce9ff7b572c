// g g -> t t~ at tree level, sm model.
// Particle order (MadGraph): 0 g, 1 g, 2 t, 3 t~. Top mass MT, width WT in the
// t-channel propagators too (MadGraph with zerowidth_tchannel F).
// 3 diagrams (s-channel gluon, t- and u-channel top), 16 helicity combinations,
// 2 colour flows (T^a T^b and T^b T^a).
#include "refme/umami_glue.h"

namespace {

using namespace refme;

struct GgTtx {
    static constexpr int kParticles = 4;
    static constexpr int kDiagrams = 3;
    static constexpr int kColors = 2;
    static constexpr int kHelicities = 16;
    static constexpr double kAverage = 256.0;  // (2 x 2 spins) x (8 x 8 colours)

    static REFME_HD int first_helicity(int i) {
        constexpr int first[kParticles] = {-1, -1, -1, 1};
        return first[i];
    }

    template <class F>
    struct Couplings {
        Cx<F> gc_10;  // triple gluon
        Cx<F> gc_11;  // t-t-g
        F mt, wt;
    };

    template <class F>
    static REFME_HD Couplings<F> couplings(const SmParameters& s, const F& g_s) {
        return Couplings<F>{refme::gc_10(g_s), refme::gc_11(g_s), s.in.MT, s.in.WT};
    }

    static REFME_HD void masses(const SmInputs& in, double* out) {
        out[0] = 0.0;
        out[1] = 0.0;
        out[2] = in.MT;
        out[3] = in.MT;
    }

    template <class F>
    static REFME_HD Wf<F> external(int i, const F (&p)[4], int hel, const Couplings<F>& c) {
        switch (i) {
            case 0:
            case 1: return vxxxxx(p, 0.0, hel, -1);   // incoming gluons
            case 2: return oxxxxx(p, c.mt, hel, +1);  // outgoing t
            default: return ixxxxx(p, c.mt, hel, -1); // outgoing t~
        }
    }

    template <class F>
    static REFME_HD void amplitudes(const Wf<F>* const (&w)[kParticles], const Couplings<F>& c,
                                    Cx<F> (&amp)[kDiagrams], Cx<F> (&jamp)[kColors]) {
        const Wf<F>& g1 = *w[0];
        const Wf<F>& g2 = *w[1];
        const Wf<F>& t = *w[2];
        const Wf<F>& tb = *w[3];
        const Chiral<F> gtt = vector_coupling(c.gc_11);
        // Diagram 1: s-channel gluon.
        const Wf<F> gs = vvv1_offshell(g1, g2, c.gc_10, 0.0, 0.0);
        amp[0] = ffv_amplitude(tb, t, gs, gtt);
        // Diagram 2: top line emits g1 next to the outgoing top.
        const Wf<F> t_off = ffv_offshell_fo(t, g1, gtt, c.mt, c.wt);
        amp[1] = ffv_amplitude(tb, t_off, g2, gtt);
        // Diagram 3: top line emits g1 next to the outgoing antitop.
        const Wf<F> tb_off = ffv_offshell_fi(tb, g1, gtt, c.mt, c.wt);
        amp[2] = ffv_amplitude(tb_off, t, g2, gtt);
        jamp[0] = times_i(amp[0]) - amp[1];
        jamp[1] = -times_i(amp[0]) - amp[2];
    }

    template <class F>
    static REFME_HD F colour_sum(const Cx<F> (&jamp)[kColors]) {
        constexpr double cf[kColors][kColors] = {{16.0, -2.0}, {-2.0, 16.0}};
        constexpr double denom[kColors] = {3.0, 3.0};
        return refme::colour_sum<kColors>(cf, denom, jamp);
    }
};

}  // namespace

REFME_EXPORT_UMAMI(GgTtx)
