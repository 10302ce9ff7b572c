// q q~ -> t t~ at tree level (one s-channel gluon), sm model, for the light quarks
// u, d, s, c and b, all massless (five-flavour scheme, as the zero-mass-variable-
// flavour PDFs they are paired with).
// Particle order: 0 and 1 the incoming quark and antiquark (in the beam order that
// FLAVOR_INDEX selects), 2 t, 3 t~.
// FLAVOR_INDEX = 2 k + m: quark k of (u, d, s, c, b), m = 0 for q q~ (quark in beam 1,
// particle 0), m = 1 for q~ q. With massless quarks the QCD amplitude does not depend
// on the flavour; m = 1 is the mirrored process (the glue swaps the incoming momenta
// and reports the helicities in the event's particle order).
// 1 diagram, 16 helicity combinations (4 non-zero: massless quark chirality), 2 colour
// flows: 0 = delta(q, q~) delta(t, t~), 1 = delta(t, q) delta(q~, t~) (MadGraph's
// T(2,1) T(3,4) and T(2,4) T(3,1)).
#include "refme/umami_glue.h"

namespace {

using namespace refme;

struct QqTtx {
    static constexpr int kParticles = 4;
    static constexpr int kDiagrams = 1;
    static constexpr int kColors = 2;
    static constexpr int kHelicities = 16;
    static constexpr int kFlavors = 10;
    static constexpr double kAverage = 36.0;  // (2 x 2 spins) x (3 x 3 colours)

    static REFME_HD int first_helicity(int i) {
        constexpr int first[kParticles] = {1, -1, -1, 1};
        return first[i];
    }

    // Odd FLAVOR_INDEX: antiquark in beam 1.
    static REFME_HD bool mirrored(int flavor) { return (flavor & 1) != 0; }

    template <class F>
    struct Couplings {
        Cx<F> gc_11;  // q-q-g
        F mt, wt;
    };

    template <class F, class R>
    static REFME_HD Couplings<F> couplings(const SmParametersT<R>& s, const F& g_s) {
        return Couplings<F>{refme::gc_11(g_s), s.in.MT, s.in.WT};
    }

    static REFME_HD void masses(const SmInputs& in, double* out) {
        out[0] = 0.0;
        out[1] = 0.0;
        out[2] = in.MT;
        out[3] = in.MT;
    }

    template <class F>
    static REFME_HD Wf<F> external(int i, const Momentum<F> (&p)[4], int hel,
                                   const Couplings<F>& c) {
        switch (i) {
            case 0: return ixxxxx<F>(p, 0.0, hel, +1);    // incoming quark
            case 1: return oxxxxx<F>(p, 0.0, hel, -1);    // incoming antiquark
            case 2: return oxxxxx<F>(p, c.mt, hel, +1);   // outgoing t
            default: return ixxxxx<F>(p, c.mt, hel, -1);  // outgoing t~
        }
    }

    template <class F>
    static REFME_HD void amplitudes(const Wf<F>* const (&w)[kParticles], const Couplings<F>& c,
                                    Cx<F> (&amp)[kDiagrams], Cx<F> (&jamp)[kColors]) {
        const Chiral<F> g = vector_coupling(c.gc_11);
        const Wf<F> gluon = ffv_offshell_vector(*w[0], *w[1], g, 0.0, 0.0);
        amp[0] = ffv_amplitude(*w[3], *w[2], gluon, g);
        // T^a_{t t~} T^a_{q q~} = 1/2 (delta(t, q) delta(q~, t~) - 1/3 delta(t, t~) delta(q, q~))
        jamp[0] = (-1.0 / 6.0) * amp[0];
        jamp[1] = 0.5 * amp[0];
    }

    // Reverse mode (adjoint.h, gradient.h): the steps of amplitudes() backwards.
    static REFME_HD ExternalKind external_kind(int i) {
        return i == 0 || i == 3 ? ExternalKind::SpinorIn : ExternalKind::SpinorOut;
    }

    template <class F>
    static REFME_HD void amplitudes_adjoint(const Wf<F>* const (&w)[kParticles],
                                            const Couplings<F>& c, const Cx<F> (&jamp_bar)[kColors],
                                            Wf<F>* const (&w_bar)[kParticles]) {
        const Chiral<F> g = vector_coupling(c.gc_11);
        const Wf<F> gluon = ffv_offshell_vector(*w[0], *w[1], g, 0.0, 0.0);
        Wf<F> gluon_bar;
        zero_adjoint(gluon_bar);
        ffv_amplitude_adjoint(*w[3], *w[2], gluon, g,
                              (-1.0 / 6.0) * jamp_bar[0] + 0.5 * jamp_bar[1], *w_bar[3], *w_bar[2],
                              gluon_bar);
        ffv_offshell_vector_adjoint(*w[0], *w[1], g, 0.0, 0.0, gluon_bar, *w_bar[0], *w_bar[1]);
    }

    template <class F>
    static REFME_HD F colour_sum(const Cx<F> (&jamp)[kColors]) {
        constexpr double cf[kColors][kColors] = {{9.0, 3.0}, {3.0, 9.0}};
        constexpr double denom[kColors] = {1.0, 1.0};
        return refme::colour_sum<kColors>(cf, denom, jamp);
    }
};

}  // namespace

REFME_EXPORT_UMAMI(QqTtx)
