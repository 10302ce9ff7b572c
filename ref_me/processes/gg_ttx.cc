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

    template <class F, class R>
    static REFME_HD Couplings<F> couplings(const SmParametersT<R>& s, const F& g_s) {
        return Couplings<F>{refme::gc_10(g_s), refme::gc_11(g_s), s.in.MT, s.in.WT};
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
            case 0:
            case 1: return vxxxxx<F>(p, 0.0, hel, -1);    // incoming gluons
            case 2: return oxxxxx<F>(p, c.mt, hel, +1);   // outgoing t
            default: return ixxxxx<F>(p, c.mt, hel, -1);  // outgoing t~
        }
    }

    // Helicity recycling (process.h): each current depends on two particles, so it is
    // computed for their 4 helicity combinations instead of for each of the 16 rows; so
    // is each amplitude's last vertex with the leg of two particles left open, and a
    // row only contracts (vertices.h, OpenLeg). Table index: bits of the two particles,
    // the lower-numbered one first.
    template <class F>
    struct Currents {
        Wf<F> gs[4];          // s-channel gluon (particles 0, 1)
        Wf<F> t_off[4];       // top line after emitting g1 at the top end (0, 2)
        Wf<F> tb_off[4];      // top line after emitting g1 at the antitop end (0, 3)
        OpenLeg<F> ttg[4];    // diagram 1 with the s-channel gluon open (2, 3)
        OpenLeg<F> tb_g2[4];  // diagram 2 with t_off open (1, 3)
        OpenLeg<F> t_g2[4];   // diagram 3 with tb_off open (1, 2)
    };

    template <class F>
    static REFME_HD void currents(const Wf<F> (&ext)[kParticles][2], const Couplings<F>& c,
                                  Currents<F>& k) {
        const Chiral<F> gtt = vector_coupling(c.gc_11);
        for (int h = 0; h < 4; ++h) {
            const int a = h >> 1, b = h & 1;
            k.gs[h] = vvv1_offshell(ext[0][a], ext[1][b], c.gc_10, 0.0, 0.0);
            k.t_off[h] = ffv_offshell_fo(ext[2][b], ext[0][a], gtt, c.mt, c.wt);
            k.tb_off[h] = ffv_offshell_fi(ext[3][b], ext[0][a], gtt, c.mt, c.wt);
            k.ttg[h] = ffv_open_vector(ext[3][b], ext[2][a], gtt);
            k.tb_g2[h] = ffv_open_fo(ext[3][b], ext[1][a], gtt);
            k.t_g2[h] = ffv_open_fi(ext[2][b], ext[1][a], gtt);
        }
    }

    template <class F>
    static REFME_HD void amplitudes_at(const Wf<F> (&)[kParticles][2], const Currents<F>& k,
                                       int row, const Couplings<F>&, Cx<F> (&amp)[kDiagrams],
                                       Cx<F> (&jamp)[kColors]) {
        const int g1 = (row >> 3) & 1, g2 = (row >> 2) & 1, t = (row >> 1) & 1, tb = row & 1;
        // Diagram 1: s-channel gluon.
        amp[0] = contract(k.ttg[t << 1 | tb], k.gs[g1 << 1 | g2]);
        // Diagram 2: top line emits g1 next to the outgoing top.
        amp[1] = contract(k.tb_g2[g2 << 1 | tb], k.t_off[g1 << 1 | t]);
        // Diagram 3: top line emits g1 next to the outgoing antitop.
        amp[2] = contract(k.t_g2[g2 << 1 | t], k.tb_off[g1 << 1 | tb]);
        jamp[0] = times_i(amp[0]) - amp[1];
        jamp[1] = -times_i(amp[0]) - amp[2];
    }

    // Reverse mode (adjoint.h, gradient.h): the steps above backwards.
    static REFME_HD ExternalKind external_kind(int i) {
        return i < 2    ? ExternalKind::Vector
               : i == 2 ? ExternalKind::SpinorOut
                        : ExternalKind::SpinorIn;
    }

    template <class F>
    static REFME_HD void amplitudes_at_adjoint(const Wf<F> (&)[kParticles][2], const Currents<F>& k,
                                               int row, const Couplings<F>&,
                                               const Cx<F> (&jamp_bar)[kColors], Currents<F>& kb,
                                               Wf<F> (&)[kParticles][2]) {
        const int g1 = (row >> 3) & 1, g2 = (row >> 2) & 1, t = (row >> 1) & 1, tb = row & 1;
        contract_adjoint(k.ttg[t << 1 | tb], k.gs[g1 << 1 | g2], times_i(jamp_bar[0] - jamp_bar[1]),
                         kb.ttg[t << 1 | tb], kb.gs[g1 << 1 | g2]);
        contract_adjoint(k.tb_g2[g2 << 1 | tb], k.t_off[g1 << 1 | t], -jamp_bar[0],
                         kb.tb_g2[g2 << 1 | tb], kb.t_off[g1 << 1 | t]);
        contract_adjoint(k.t_g2[g2 << 1 | t], k.tb_off[g1 << 1 | tb], -jamp_bar[1],
                         kb.t_g2[g2 << 1 | t], kb.tb_off[g1 << 1 | tb]);
    }

    template <class F>
    static REFME_HD void currents_adjoint(const Wf<F> (&ext)[kParticles][2], const Couplings<F>& c,
                                          const Currents<F>&, const Currents<F>& kb,
                                          Wf<F> (&eb)[kParticles][2]) {
        const Chiral<F> gtt = vector_coupling(c.gc_11);
        for (int h = 0; h < 4; ++h) {
            const int a = h >> 1, b = h & 1;
            vvv1_offshell_adjoint(ext[0][a], ext[1][b], c.gc_10, 0.0, 0.0, kb.gs[h], eb[0][a],
                                  eb[1][b]);
            ffv_offshell_fo_adjoint(ext[2][b], ext[0][a], gtt, c.mt, c.wt, kb.t_off[h], eb[2][b],
                                    eb[0][a]);
            ffv_offshell_fi_adjoint(ext[3][b], ext[0][a], gtt, c.mt, c.wt, kb.tb_off[h], eb[3][b],
                                    eb[0][a]);
            ffv_open_vector_adjoint(ext[3][b], ext[2][a], gtt, kb.ttg[h], eb[3][b], eb[2][a]);
            ffv_open_fo_adjoint(ext[3][b], ext[1][a], gtt, kb.tb_g2[h], eb[3][b], eb[1][a]);
            ffv_open_fi_adjoint(ext[2][b], ext[1][a], gtt, kb.t_g2[h], eb[2][b], eb[1][a]);
        }
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
