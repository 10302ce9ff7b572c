// refme/process.h -- what a process file provides, and the per-event evaluation
// (|M|^2 summed over helicities and colours) shared by the CPU paths, CUDA and
// the dual-number instantiation.
//
// A process is a traits struct P (see docs/ref_me.md, "Writing a process"):
//   static constexpr int kParticles, kDiagrams, kColors, kHelicities;
//   static constexpr double kAverage;   // initial-state average x identical-particle factor
//   static REFME_HD int first_helicity(int particle);   // first row of the helicity table
//   static REFME_HD void masses(const SmInputs&, double* out);   // external masses, GeV
//   template <class F> struct Couplings;                 // what the amplitudes need, over F
//   template <class F, class R> static REFME_HD Couplings<F> couplings(const SmParametersT<R>&,
//                                                                      const F& g_s);
//       (R = double, or F itself when the parameters are differentiated: gradient.h)
//   template <class F> static REFME_HD Wf<F> external(int particle,
//                                                     const Momentum<F> (&p)[4],
//                                                     int helicity, const Couplings<F>&);
//   template <class F> static REFME_HD void amplitudes(const Wf<F>* const (&w)[kParticles],
//                                                      const Couplings<F>&,
//                                                      Cx<F> (&amp)[kDiagrams],
//                                                      Cx<F> (&jamp)[kColors]);
//   template <class F> static REFME_HD F colour_sum(const Cx<F> (&jamp)[kColors]);
// and optionally kFlavors / mirrored(flavor) (several flavour combinations, see Flavors).
// A process written for double only (non-template Couplings, external, amplitudes,
// colour_sum over Wavefunction and cx) still builds: it is adapted here and runs on
// the scalar path only.
#ifndef REFME_PROCESS_H
#define REFME_PROCESS_H

#include <stddef.h>

#include <type_traits>

#include "colour.h"
#include "sm_model.h"
#include "vertices.h"

namespace refme {

// Pointers of one umami_matrix_element call; absent inputs/outputs are nullptr.
// Plain data outside the per-instruction-set namespace: the dispatcher hands it to
// kernels compiled for other instruction sets.
struct Batch {
    size_t count, stride, offset;
    const double* momenta;
    const double* alpha_s;
    const double* random_color;
    const double* random_helicity;
    const double* random_diagram;
    const int* flavor;  // FLAVOR_INDEX (nullptr: 0)
    double* matrix_element;
    double* diagram_amp2;
    int* color_index;
    int* helicity_index;
    int* diagram_index;
};

}  // namespace refme

REFME_BEGIN_NAMESPACE

// Without a per-event random number the selections use the middle of [0, 1).
constexpr double kDefaultRandom = 0.5;

// --- processes written for double only --------------------------------------
template <class P, class = void>
struct IsTemplated : std::false_type {};
template <class P>
struct IsTemplated<P, std::void_t<typename P::template Couplings<double>>> : std::true_type {};

template <class P>
struct DoubleOnlyProcess : P {
    template <class F>
    using Couplings = typename P::Couplings;
    template <class F>
    static REFME_HD Couplings<F> couplings(const SmParameters& s, const double& g_s) {
        return P::couplings(s, g_s);
    }
    template <class F>
    static REFME_HD Wavefunction external(int i, const double (&p)[4], int hel,
                                          const typename P::Couplings& c) {
        return P::external(i, p, hel, c);
    }
    template <class F>
    static REFME_HD void amplitudes(const Wavefunction* const (&w)[P::kParticles],
                                    const typename P::Couplings& c, cx (&amp)[P::kDiagrams],
                                    cx (&jamp)[P::kColors]) {
        P::amplitudes(w, c, amp, jamp);
    }
    template <class F>
    static REFME_HD double colour_sum(const cx (&jamp)[P::kColors]) {
        return P::colour_sum(jamp);
    }
};

// The templated interface of any process.
template <class P>
using Core = std::conditional_t<IsTemplated<P>::value, P, DoubleOnlyProcess<P>>;
template <class P, class F>
using CouplingsOf = typename Core<P>::template Couplings<F>;

// --- flavours -----------------------------------------------------------------
// FLAVOR_INDEX. A process with several flavour combinations declares
//   static constexpr int kFlavors;                  // FLAVOR_INDEX in [0, kFlavors)
//   static REFME_HD bool mirrored(int flavor);     // incoming partons in swapped order
// All its flavours share one amplitude (massless light quarks); a mirrored flavour is
// evaluated with the incoming momenta swapped, and HELICITY_INDEX is then re-encoded
// in the event's particle order. Processes without kFlavors accept 0 only.
template <class P, class = void>
struct Flavors {
    static constexpr int count = 1;
    static REFME_HD bool mirrored(int) { return false; }
};
template <class P>
struct Flavors<P, std::void_t<decltype(P::kFlavors)>> {
    static constexpr int count = P::kFlavors;
    static REFME_HD bool mirrored(int flavor) { return P::mirrored(flavor); }
};

// Row of the helicity table after exchanging the helicities of particles 0 and 1.
template <class P>
REFME_HD inline int mirror_helicity_row(int row) {
    constexpr int np = P::kParticles;
    const int h0 = (row >> (np - 1)) & 1 ? -P::first_helicity(0) : P::first_helicity(0);
    const int h1 = (row >> (np - 2)) & 1 ? -P::first_helicity(1) : P::first_helicity(1);
    int out = row & ~(3 << (np - 2));
    if (h1 != P::first_helicity(0)) out |= 1 << (np - 1);
    if (h0 != P::first_helicity(1)) out |= 1 << (np - 2);
    return out;
}

// --- helicity sum ---------------------------------------------------------------
// Helicity table: in row `row`, particle i has the opposite sign to its first-row
// value when bit (npar - 1 - i) of row is set (MadGraph's order, particle 0 slowest).

// What one event's helicity sum yields; the per-diagram and per-colour sums only
// when asked for (want_amp2, want_jamp2), since they cost as much as the sum itself
// for many diagrams.
template <class P, class F>
struct HelicitySum {
    F total;                       // sum over the given rows of the colour-summed |M|^2
    F cumulative[P::kHelicities];  // running total after each row
    F amp2[P::kDiagrams];          // sum over rows of |amp_d|^2
    F jamp2[P::kColors];           // sum over rows of |jamp_c|^2
};

// Helicity recycling. A process may also provide
//   template <class F> struct Currents;    // its internal currents for every helicity
//                                           // combination of the particles behind each
//   template <class F> static REFME_HD void currents(const Wf<F> (&ext)[kParticles][2],
//                                                    const Couplings<F>&, Currents<F>&);
//   template <class F> static REFME_HD void amplitudes_at(const Wf<F> (&ext)[kParticles][2],
//       const Currents<F>&, int row, const Couplings<F>&, Cx<F> (&amp)[kDiagrams],
//       Cx<F> (&jamp)[kColors]);          // amplitudes(...) of `row`, from the table
// (ref_me/qcdgen generates them): a current over k particles is then computed 2^k times
// per event instead of once per helicity row. The table lives on the stack, so it is
// used only up to kMaxCurrentsBytes (wide dual numbers fall back to amplitudes()); the
// CUDA build keeps one row at a time (a large per-thread table costs occupancy). A
// process whose table is always small (gg_ttx) may provide the recycling functions
// instead of amplitudes(); its table is then always used.
#ifdef REFME_CUDA
constexpr size_t kMaxCurrentsBytes = 0;
#else
constexpr size_t kMaxCurrentsBytes = size_t(1) << 20;
#endif
struct NoCurrents {
    template <class F>
    struct Currents {};
};
template <class P, class F, class = void>
struct HasAmplitudes : std::false_type {};
template <class P, class F>
struct HasAmplitudes<P, F, std::void_t<decltype(&P::template amplitudes<F>)>> : std::true_type {};
template <class P, class F, class = void>
struct RecyclesHelicities : std::false_type {};
template <class P, class F>
struct RecyclesHelicities<P, F, std::void_t<typename P::template Currents<F>>>
    : std::bool_constant<sizeof(typename P::template Currents<F>) <= kMaxCurrentsBytes ||
                         !HasAmplitudes<P, F>::value> {};

// Sums rows good[0 .. n_good-1] of the helicity table. The external wavefunctions are
// computed once per particle and helicity sign and shared by all rows.
template <class P, class F>
REFME_HD inline void sum_helicities(const Momentum<F> (&p)[P::kParticles][4],
                                    const CouplingsOf<P, F>& c, const int* good, int n_good,
                                    bool want_amp2, bool want_jamp2, HelicitySum<P, F>& out) {
    using Q = Core<P>;
    constexpr int np = P::kParticles;
    Wf<F> ext[np][2];
    for (int i = 0; i < np; ++i) {
        ext[i][0] = Q::template external<F>(i, p[i], P::first_helicity(i), c);
        ext[i][1] = Q::template external<F>(i, p[i], -P::first_helicity(i), c);
    }
    // Zeroed even when not accumulated: cheap, and no reader ever sees garbage.
    for (int d = 0; d < P::kDiagrams; ++d) out.amp2[d] = 0.0;
    for (int k = 0; k < P::kColors; ++k) out.jamp2[k] = 0.0;
    F total = 0.0;
    constexpr bool recycle = RecyclesHelicities<P, F>::value;
    using Table = typename std::conditional_t<recycle, P, NoCurrents>::template Currents<F>;
    Table table;
    if constexpr (recycle) P::template currents<F>(ext, c, table);
    for (int g = 0; g < n_good; ++g) {
        const int row = good[g];
        Cx<F> amp[P::kDiagrams];
        Cx<F> jamp[P::kColors];
        if constexpr (recycle) {
            P::template amplitudes_at<F>(ext, table, row, c, amp, jamp);
        } else {
            const Wf<F>* w[np];
            for (int i = 0; i < np; ++i) w[i] = &ext[i][(row >> (np - 1 - i)) & 1];
            Q::template amplitudes<F>(w, c, amp, jamp);
        }
        total += Q::template colour_sum<F>(jamp);
        out.cumulative[g] = total;
        if (want_amp2)
            for (int d = 0; d < P::kDiagrams; ++d) out.amp2[d] += abs2(amp[d]);
        if (want_jamp2)
            for (int k = 0; k < P::kColors; ++k) out.jamp2[k] += abs2(jamp[k]);
    }
    out.total = total;
}

// Everything an event needs besides its own data; passed by value to the kernels.
template <class P>
struct EvalConfig {
    SmParameters sm;
    int n_good;                // helicity combinations summed
    int good[P::kHelicities];  // their rows in the helicity table
};

// First k with r < cumulative[k] / cumulative[n-1] (CUDACPP's rule); n - 1 when
// none qualifies (all weights zero or NaN), so the index is always in range.
REFME_HD inline int select_cumulative(const double* cumulative, int n, double r) {
    const double total = cumulative[n - 1];
    for (int k = 0; k < n; ++k)
        if (r < cumulative[k] / total) return k;
    return n - 1;
}

// The outputs of one event from its helicity sum (lane k of F; F = double: k = 0).
template <class P, class F>
REFME_HD inline void write_selections(size_t e, int k, const Batch& b, const EvalConfig<P>& cfg,
                                      const HelicitySum<P, F>& s) {
    const bool mirrored = b.flavor && Flavors<P>::mirrored(b.flavor[e]);
    if (b.helicity_index) {
        double cumulative[P::kHelicities];
        for (int g = 0; g < cfg.n_good; ++g) cumulative[g] = Lanes<F>::get(s.cumulative[g], k);
        const double r = b.random_helicity ? b.random_helicity[e] : kDefaultRandom;
        const int row = cfg.good[select_cumulative(cumulative, cfg.n_good, r)];
        b.helicity_index[e] = mirrored ? mirror_helicity_row<P>(row) : row;
    }
    if (b.color_index) {
        double jamp2[P::kColors];
        for (int c = 0; c < P::kColors; ++c) jamp2[c] = Lanes<F>::get(s.jamp2[c], k);
        for (int c = 1; c < P::kColors; ++c) jamp2[c] += jamp2[c - 1];
        const double r = b.random_color ? b.random_color[e] : kDefaultRandom;
        b.color_index[e] = select_cumulative(jamp2, P::kColors, r);
    }
    if (b.diagram_amp2 || b.diagram_index) {
        double amp2[P::kDiagrams];
        for (int d = 0; d < P::kDiagrams; ++d) amp2[d] = Lanes<F>::get(s.amp2[d], k);
        double sum = 0.0;
        for (int d = 0; d < P::kDiagrams; ++d) sum += amp2[d];
        // All-zero amplitudes give zero weights rather than 0/0.
        const double norm = sum != 0.0 ? 1.0 / sum : 0.0;
        if (b.diagram_amp2)
            for (int d = 0; d < P::kDiagrams; ++d)
                b.diagram_amp2[e + b.stride * d] = amp2[d] * norm;
        if (b.diagram_index) {
            for (int d = 1; d < P::kDiagrams; ++d) amp2[d] += amp2[d - 1];
            const double r = b.random_diagram ? b.random_diagram[e] : kDefaultRandom;
            b.diagram_index[e] = select_cumulative(amp2, P::kDiagrams, r);
        }
    }
}

// Swaps rows 0 and 1 of x (the incoming particles' four-vectors, or their gradients) in
// the lanes `mirrored`.
template <class M, class T, int N>
REFME_HD inline void swap_beams(const M& mirrored, T (&x)[N][4]) {
    for (int c = 0; c < 4; ++c) {
        const T first = x[0][c];
        x[0][c] = where(mirrored, x[1][c], first);
        x[1][c] = where(mirrored, first, x[1][c]);
    }
}

// Events e .. e + lanes - 1 of F whose flavour has the incoming partons in swapped order
// (Flavors::mirrored) get their incoming momenta p swapped (over any number type T, the
// dual numbers with their seeds too); returns those lanes (none without flavours, and
// then nothing is done).
template <class P, class F, class T>
REFME_HD inline auto mirror_beams(size_t e, const Batch& b, T (&p)[P::kParticles][4])
    -> decltype(F() < F()) {
    using LF = Lanes<F>;
    if constexpr (Flavors<P>::count == 1) {  // (a plain `if` leaves nvcc an unreachable loop)
        return F(0.0) != F(0.0);
    } else {
        if (!b.flavor) return F(0.0) != F(0.0);
        double flag[LF::size];
        for (int k = 0; k < LF::size; ++k)
            flag[k] = Flavors<P>::mirrored(b.flavor[e + k]) ? 1.0 : 0.0;
        const auto mirrored = LF::load(flag) != 0.0;
        swap_beams(mirrored, p);
        return mirrored;
    }
}

// Events e .. e + lanes - 1 (absolute indices into the buffers), one per lane of F.
// `fixed` are the couplings at the card's alpha_s, used when no ALPHA_S is given.
template <class P, class F>
REFME_HD inline void evaluate_block(size_t e, const Batch& b, const EvalConfig<P>& cfg,
                                    const CouplingsOf<P, F>& fixed) {
    using LF = Lanes<F>;
    constexpr int np = P::kParticles;
    F p[np][4];
    for (int ip = 0; ip < np; ++ip)
        for (int c = 0; c < 4; ++c) p[ip][c] = LF::load(b.momenta + e + b.stride * (ip + np * c));
    mirror_beams<P, F>(e, b, p);
    const CouplingsOf<P, F> c =
        b.alpha_s ? Core<P>::template couplings<F>(cfg.sm, strong_coupling(LF::load(b.alpha_s + e)))
                  : fixed;
    HelicitySum<P, F> s;
    sum_helicities<P, F>(p, c, cfg.good, cfg.n_good, b.diagram_amp2 || b.diagram_index,
                         b.color_index != nullptr, s);
    if (b.matrix_element) LF::store(b.matrix_element + e, s.total / P::kAverage);
    if (b.helicity_index || b.color_index || b.diagram_amp2 || b.diagram_index)
        for (int k = 0; k < LF::size; ++k) write_selections<P, F>(e + k, k, b, cfg, s);
}

// Events begin .. end - 1 of the batch (relative to its offset): blocks of the lanes
// of F, then the remainder one event at a time, so no access ever passes the batch.
template <class P, class F>
inline void evaluate_range(const Batch& b, const EvalConfig<P>& cfg, size_t begin, size_t end) {
    constexpr size_t lanes = Lanes<F>::size;
    size_t i = begin;
    if (end - begin >= lanes) {
        const CouplingsOf<P, F> fixed = Core<P>::template couplings<F>(cfg.sm, F(cfg.sm.G));
        for (; i + lanes <= end; i += lanes) evaluate_block<P, F>(b.offset + i, b, cfg, fixed);
    }
    if (i < end) {
        const CouplingsOf<P, double> fixed = Core<P>::template couplings<double>(cfg.sm, cfg.sm.G);
        for (; i < end; ++i) evaluate_block<P, double>(b.offset + i, b, cfg, fixed);
    }
}

REFME_END_NAMESPACE

#endif  // REFME_PROCESS_H
