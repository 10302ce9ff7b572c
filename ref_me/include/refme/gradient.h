// refme/gradient.h -- gradients of |M|^2 through the same templated core: pyumami's
// vendor outputs of umami.h, PYUMAMI_OUT_MOMENTUM_GRADIENT and the parameter
// derivatives. Parameter derivatives with forward-mode dual numbers (dual.h); the
// momentum gradient in reverse mode (adjoint.h, ReverseMomentumGradient) where the
// process provides its reverse sequence, else forward mode too (MomentumGradient).
//
// The passes run on the lanes of F, as the matrix element does: F = Vec<L> in the
// SIMD objects (L events per Dual<Vec<L>, N>), double for the scalar path and for the
// events left over at the end of a range. What does not depend on the event is
// computed once per range: the couplings at the card's parameters, and for parameter
// gradients the derived parameters over dual numbers (derive_sm over Dual<F, N>).
//
// Momentum gradient: direction n seeded on one momentum component (layout index
// particle + npar * component), so derivative n is written where MOMENTA keeps that
// component (transverse derivatives of momenta on the z axis: see gradient_frame).
// Parameter gradient: the param-card inputs of the sm model seeded before the derived
// parameters and the couplings are computed, so a mass moves the propagators, the
// external wavefunctions and every derived coupling together; N = 1 when one
// parameter is asked. With a per-event ALPHA_S input, "aS" is that event's alpha_s.
// The value part of the first pass is |M|^2 itself (the same bits as the F pass), so
// the matrix element asked with gradients costs no separate pass.
#ifndef REFME_GRADIENT_H
#define REFME_GRADIENT_H

#include <stdlib.h>
#include <string.h>

#include <type_traits>
#include <utility>

#include "adjoint.h"
#include "dual.h"
#include "parameter_dual.h"
#include "process.h"

namespace refme {

// The parameters the parameter derivatives differentiate, in their order (names:
// gradient_parameter_names).
constexpr int kGradientParameterCount = 5;

// Where the gradients of one call go (nullptr: not asked for). Plain data outside
// the per-instruction-set namespace, as Batch.
struct GradientBatch {
    double* momenta;                              // (npar, 4) per event, layout of MOMENTA
    double* parameters[kGradientParameterCount];  // d|M|^2/d(parameter k), one per event
    double* all_parameters;  // (kGradientParameterCount) per event: parameter k at stride * k
};

}  // namespace refme

REFME_BEGIN_NAMESPACE

template <class R>
REFME_HD inline R& gradient_parameter(SmInputsT<R>& in, int k) {
    switch (k) {
        case 0: return in.aS;
        case 1: return in.MT;
        case 2: return in.WT;
        case 3: return in.MZ;
        default: return in.WZ;
    }
}

inline const char* const* gradient_parameter_names() {
    static const char* const names[kGradientParameterCount] = {"aS", "MT", "WT", "MZ", "WZ"};
    return names;
}

// Whether the process's couplings accept parameters over a dual number (every process
// written against process.h's templated interface does): then it offers gradients.
// The CUDA build does not (yet): its dual-number kernels could not be run here, and for
// 2 -> 4 they multiply nvcc's build time; the templates would compile for it.
template <class P, class = void>
struct OffersGradients : std::false_type {};
#ifndef REFME_CUDA
template <class P>
struct OffersGradients<P, std::void_t<decltype(P::template couplings<Dual<double, 1>>(
                              std::declval<const SmParametersT<Dual<double, 1>>&>(),
                              std::declval<const Dual<double, 1>&>()))>> : std::true_type {};
#endif

template <class R>
REFME_HD inline SmInputsT<R> convert_inputs(const SmInputs& in) {
    SmInputsT<R> out;
    out.aEWM1 = R(in.aEWM1);
    out.Gf = R(in.Gf);
    out.aS = R(in.aS);
    out.MZ = R(in.MZ);
    out.MT = R(in.MT);
    out.MB = R(in.MB);
    out.MH = R(in.MH);
    out.MTA = R(in.MTA);
    out.WZ = R(in.WZ);
    out.WT = R(in.WT);
    out.WW = R(in.WW);
    out.WH = R(in.WH);
    out.ymb = R(in.ymb);
    out.ymt = R(in.ymt);
    out.ymtau = R(in.ymtau);
    return out;
}

// A fixed rotation that takes no axis of a typical event onto the z axis (1 rad
// about (1, 2, 3) / sqrt(14)). Massless spinors with pT = 0 are singular in their
// transverse derivatives (sqrt(E - |pz|) = 0) although |M|^2 is smooth there. The
// transverse directions of such a momentum are tangent to its mass shell, where the
// helicity-summed |M|^2 is exactly rotation invariant, so their derivatives are
// taken at R p: a pass over the rotated event whose seeds are the columns of R
// (d(R p)/d p_x, d(R p)/d p_y), which gives dM/dp = R^T dM/d(Rp) directly. Every
// other derivative is that of the library's own function in the lab frame
// (directions off the mass shell depend on how the wavefunctions extend off shell,
// which is frame-dependent).
REFME_HD inline double gradient_frame(int row, int col) {
    constexpr double r[3][3] = {
        {0.5731378554489869, -0.6090066421373933, 0.5482918096085999},
        {0.740348840460782, 0.6716445041915284, -0.027879282947946255},
        {-0.35127851212351696, 0.4219058779181122, 0.8358222520957642},
    };
    return r[row][col];
}

// |M|^2 of the events e .. e + lanes - 1 over D = Dual<F, N>: momenta p (seeded by the
// caller); mirrored flavours swap the incoming momenta, with their seeds, as in
// evaluate_block, so derivative n stays that of the event's own component.
template <class P, class F, class D>
REFME_HD inline D matrix_element_over(size_t e, const Batch& b, const EvalConfig<P>& cfg,
                                      Momentum<D> (&p)[P::kParticles][4],
                                      const CouplingsOf<P, D>& c) {
    mirror_beams<P, F>(e, b, p);
    HelicitySum<P, D> s;
    sum_helicities<P, D>(p, c, cfg.good, cfg.n_good, false, false, s);
    return s.total / P::kAverage;
}

// The couplings over D at the card's parameters (momentum gradients), or per event
// from ALPHA_S.
template <class P, class D>
REFME_HD inline CouplingsOf<P, D> card_couplings(const EvalConfig<P>& cfg) {
    return Core<P>::template couplings<D>(cfg.sm, D(cfg.sm.G));
}

// One momentum pass over D = Dual<F, N>: direction n seeded on layout index dirs[n];
// `rotate`: the event at R p (gradient_frame), direction n then being the transverse
// component dirs[n] of the lab frame (through the columns of R).
template <class P, class F, int N>
REFME_HD inline Dual<F, N> momentum_pass(size_t e, const Batch& b, const EvalConfig<P>& cfg,
                                         const CouplingsOf<P, Dual<F, N>>& fixed,
                                         const int (&dirs)[N], bool rotate) {
    using D = Dual<F, N>;
    using LF = Lanes<F>;
    constexpr int np = P::kParticles;
    F q[np][4];
    for (int ip = 0; ip < np; ++ip)
        for (int c = 0; c < 4; ++c) q[ip][c] = LF::load(b.momenta + e + b.stride * (ip + np * c));
    D p[np][4];
    for (int ip = 0; ip < np; ++ip) {
        p[ip][0] = D(q[ip][0]);
        for (int row = 0; row < 3; ++row) {
            F x = q[ip][1 + row];
            if (rotate) {
                x = gradient_frame(row, 0) * q[ip][1];
                for (int col = 1; col < 3; ++col) x += gradient_frame(row, col) * q[ip][1 + col];
            }
            p[ip][1 + row] = D(x);
        }
    }
    for (int n = 0; n < N; ++n) {
        const int ip = dirs[n] % np, c = dirs[n] / np;
        if (rotate && c > 0)
            for (int row = 0; row < 3; ++row) p[ip][1 + row].d[n] = F(gradient_frame(row, c - 1));
        else
            p[ip][c].d[n] = F(1.0);
    }
    CouplingsOf<P, D> per_event;
    if (b.alpha_s)
        per_event =
            Core<P>::template couplings<D>(cfg.sm, D(strong_coupling(LF::load(b.alpha_s + e))));
    return matrix_element_over<P, F, D>(e, b, cfg, p, b.alpha_s ? per_event : fixed);
}

// The momentum gradient in forward mode on the lanes of F (processes without a reverse
// sequence, and REFME_MOMENTUM_GRADIENT=forward). Events from a hadron collider have both
// beams on the z axis: their 4 transverse directions come from a rotated pass of 4
// directions and the lab pass takes the other 4 npar - 4. Any other block takes
// every direction in the lab frame, plus, where some lane has a momentum on the axis,
// a rotated pass for the transverse directions (stored in those lanes only).
template <class P, class F>
struct MomentumGradient {
    static constexpr int np = P::kParticles;
    using Lab = Dual<F, 4 * np - 4>;
    using Beams = Dual<F, 4>;
    using All = Dual<F, 4 * np>;
    int lab_dirs[4 * np - 4], beam_dirs[4], all_dirs[4 * np], transverse_dirs[4 * np];
    CouplingsOf<P, Lab> lab;
    CouplingsOf<P, Beams> beams;
    CouplingsOf<P, All> all;

    explicit MomentumGradient(const EvalConfig<P>& cfg)
        : lab(card_couplings<P, Lab>(cfg)),
          beams(card_couplings<P, Beams>(cfg)),
          all(card_couplings<P, All>(cfg)) {
        int n = 0;
        for (int k = 0; k < 4 * np; ++k) {
            all_dirs[k] = k;
            const int ip = k % np, c = k / np;
            if (ip < 2 && (c == 1 || c == 2))
                beam_dirs[2 * (c - 1) + ip] = k;
            else
                lab_dirs[n++] = k;
        }
        // The rotated pass of a mixed block: transverse directions of every particle,
        // each other slot a repeat of one of them (its result is never stored).
        for (int k = 0; k < 4 * np; ++k) transverse_dirs[k] = k % np + np * (1 + (k / np) % 2);
    }

    template <int N>
    static void store(size_t e, const Batch& b, double* out, const Dual<F, N>& me,
                      const int (&dirs)[N], int count) {
        for (int n = 0; n < count; ++n) Lanes<F>::store(out + e + b.stride * dirs[n], me.d[n]);
    }

    void block(size_t e, const Batch& b, const GradientBatch& g, const EvalConfig<P>& cfg) const {
        using LF = Lanes<F>;
        bool beams_on_axis = true, others_on_axis = false;
        for (int ip = 0; ip < np; ++ip) {
            const F px = LF::load(b.momenta + e + b.stride * (ip + np));
            const F py = LF::load(b.momenta + e + b.stride * (ip + 2 * np));
            if (ip < 2)
                beams_on_axis &= !any_lane((px != 0.0) | (py != 0.0));
            else
                others_on_axis |= any_lane((px == 0.0) & (py == 0.0));
        }
        if (beams_on_axis && !others_on_axis) {
            const Lab me = momentum_pass<P, F>(e, b, cfg, lab, lab_dirs, false);
            if (b.matrix_element) LF::store(b.matrix_element + e, me.v);
            store(e, b, g.momenta, me, lab_dirs, 4 * np - 4);
            store(e, b, g.momenta, momentum_pass<P, F>(e, b, cfg, beams, beam_dirs, true),
                  beam_dirs, 4);
            return;
        }
        const All me = momentum_pass<P, F>(e, b, cfg, all, all_dirs, false);
        if (b.matrix_element) LF::store(b.matrix_element + e, me.v);
        store(e, b, g.momenta, me, all_dirs, 4 * np);
        bool any_on_axis = false;
        for (int ip = 0; ip < np; ++ip)
            any_on_axis |= any_lane((LF::load(b.momenta + e + b.stride * (ip + np)) == 0.0) &
                                    (LF::load(b.momenta + e + b.stride * (ip + 2 * np)) == 0.0));
        if (!any_on_axis) return;
        const All tilted = momentum_pass<P, F>(e, b, cfg, all, transverse_dirs, true);
        for (int n = 0; n < 2 * np; ++n) {
            const int k = transverse_dirs[n], ip = k % np;
            double* out = g.momenta + e + b.stride * k;
            const auto on_axis = (LF::load(b.momenta + e + b.stride * (ip + np)) == 0.0) &
                                 (LF::load(b.momenta + e + b.stride * (ip + 2 * np)) == 0.0);
            LF::store(out, where(on_axis, tilted.d[n], LF::load(out)));
        }
    }
};

// Whether P provides the reverse sequence of its amplitudes (adjoint.h): the kind of each
// external wavefunction, and either (helicity recycling)
//   template <class F> static void amplitudes_at_adjoint(ext, table, row, c, jamp_bar,
//                                                        table_bar, ext_bar);
//   template <class F> static void currents_adjoint(ext, c, table, table_bar, ext_bar);
// or (one helicity row at a time)
//   template <class F> static void amplitudes_adjoint(w, c, jamp_bar, w_bar);
// each adding the adjoints of its inputs from those of its outputs.
template <class P, class F, class = void>
struct RecyclingAdjoint : std::false_type {};
template <class P, class F>
struct RecyclingAdjoint<
    P, F,
    std::void_t<decltype(&P::template currents_adjoint<F>),
                decltype(&P::template amplitudes_at_adjoint<F>), decltype(&P::external_kind)>>
    : RecyclesHelicities<P, F> {};
template <class P, class F, class = void>
struct RowAdjoint : std::false_type {};
template <class P, class F>
struct RowAdjoint<
    P, F, std::void_t<decltype(&P::template amplitudes_adjoint<F>), decltype(&P::external_kind)>>
    : std::true_type {};
template <class P, class F>
struct HasAdjoint : std::bool_constant<RecyclingAdjoint<P, F>::value || RowAdjoint<P, F>::value> {};

// REFME_MOMENTUM_GRADIENT=forward: the forward-mode passes for every process (to
// compare both modes; the reverse pass is the default where a process offers it).
// Read at each call (once per range of events), so a host can switch between calls.
inline bool forward_momentum_gradient_forced() {
    const char* mode = getenv("REFME_MOMENTUM_GRADIENT");
    return mode && strcmp(mode, "forward") == 0;
}

// The momentum gradient in reverse mode, one pass: the external wavefunctions over
// Dual<F, 4> (each seeded on its own particle's four components; their value parts are
// the wavefunctions of the plain evaluation), the helicity sum over F exactly as
// sum_helicities computes it (so |M|^2 keeps its bits), and after each row the adjoint
// of its colour sum and amplitudes, accumulated into the adjoints of the table of
// currents; then the adjoints of the currents, and the chain rule through the external
// wavefunctions' derivatives. A momentum on the z axis (beams) takes its transverse
// derivatives from the rotation of its wavefunctions (axis_transverse_derivative).
template <class P, class F>
struct ReverseMomentumGradient {
    using Q = Core<P>;
    using D4 = Dual<F, 4>;
    using Mask = decltype(F() < F());
    static constexpr int np = P::kParticles;
    static constexpr bool recycle = RecyclingAdjoint<P, F>::value;
    using Table = typename std::conditional_t<recycle, P, NoCurrents>::template Currents<F>;
    static_assert(std::is_trivially_copyable_v<Table>, "the adjoint table is zeroed bytewise");
    // External wavefunctions depend on the couplings through the masses only, which
    // do not depend on ALPHA_S: the card's couplings serve every event.
    CouplingsOf<P, D4> external_couplings;
    CouplingsOf<P, F> fixed;

    explicit ReverseMomentumGradient(const EvalConfig<P>& cfg)
        : external_couplings(card_couplings<P, D4>(cfg)), fixed(card_couplings<P, F>(cfg)) {}

    static Wf<F> value(const Wf<D4>& w) {
        Wf<F> out;
        for (int k = 0; k < 4; ++k) {
            out.p[k] = w.p[k].v;
            out.c[k] = Cx<F>{w.c[k].re.v, w.c[k].im.v};
        }
        return out;
    }

    // Adds Re(sum_h ext_bar . d ext / d p_nu) for the four components nu of one particle.
    static void chain(const Wf<D4> (&ext4)[2], const Wf<F> (&bar)[2], F (&grad)[4]) {
        for (int nu = 0; nu < 4; ++nu) {
            F s = 0.0;
            for (int h = 0; h < 2; ++h)
                for (int k = 0; k < 4; ++k)
                    s += (bar[h].c[k].re * ext4[h].c[k].re.d[nu] -
                          bar[h].c[k].im * ext4[h].c[k].im.d[nu]) +
                         bar[h].p[k] * ext4[h].p[k].d[nu];
            grad[nu] = s;
        }
    }

    // The transverse derivatives of a particle on the z axis, in the lanes `on_axis`.
    static void axis_chain(ExternalKind kind, const Wf<D4> (&ext4)[2], const Wf<F> (&ext)[2],
                           const Wf<F> (&bar)[2], const F& pz, const Mask& on_axis, F (&grad)[4]) {
        const F safe_pz = where(on_axis, pz, F(1.0));
        for (int t = 1; t < 3; ++t) {
            F s = 0.0;
            for (int h = 0; h < 2; ++h) {
                Cx<F> dc[4];
                axis_transverse_derivative(kind, ext[h].c, safe_pz, t, dc);
                for (int k = 0; k < 4; ++k)
                    s += (bar[h].c[k].re * dc[k].re - bar[h].c[k].im * dc[k].im) +
                         bar[h].p[k] * ext4[h].p[k].d[t];
            }
            grad[t] = where(on_axis, s, grad[t]);
        }
    }

    void block(size_t e, const Batch& b, const GradientBatch& g, const EvalConfig<P>& cfg) const {
        using LF = Lanes<F>;
        F p[np][4];
        for (int ip = 0; ip < np; ++ip)
            for (int c = 0; c < 4; ++c)
                p[ip][c] = LF::load(b.momenta + e + b.stride * (ip + np * c));
        const Mask mirrored = mirror_beams<P, F>(e, b, p);
        const CouplingsOf<P, F> c =
            b.alpha_s ? Q::template couplings<F>(cfg.sm, strong_coupling(LF::load(b.alpha_s + e)))
                      : fixed;
        Wf<D4> ext4[np][2];
        Wf<F> ext[np][2], bar[np][2];
        for (int i = 0; i < np; ++i) {
            D4 pd[4];
            for (int k = 0; k < 4; ++k) pd[k] = D4::variable(p[i][k], k);
            ext4[i][0] = Q::template external<D4>(i, pd, P::first_helicity(i), external_couplings);
            ext4[i][1] = Q::template external<D4>(i, pd, -P::first_helicity(i), external_couplings);
            for (int h = 0; h < 2; ++h) {
                ext[i][h] = value(ext4[i][h]);
                zero_adjoint(bar[i][h]);
            }
        }
        const F scale = F(1.0 / P::kAverage);
        F total = 0.0;
        if constexpr (recycle) {
            Table table, table_bar;
            P::template currents<F>(ext, c, table);
            memset(static_cast<void*>(&table_bar), 0, sizeof(Table));
            for (int n = 0; n < cfg.n_good; ++n) {
                const int row = cfg.good[n];
                Cx<F> amp[P::kDiagrams], jamp[P::kColors], jamp_bar[P::kColors];
                P::template amplitudes_at<F>(ext, table, row, c, amp, jamp);
                F q;
                colour_sum_adjoint<Q, P::kColors>(jamp, scale, q, jamp_bar);
                total += q;
                P::template amplitudes_at_adjoint<F>(ext, table, row, c, jamp_bar, table_bar, bar);
            }
            P::template currents_adjoint<F>(ext, c, table, table_bar, bar);
        } else {
            for (int n = 0; n < cfg.n_good; ++n) {
                const int row = cfg.good[n];
                const Wf<F>* w[np];
                Wf<F>* w_bar[np];
                for (int i = 0; i < np; ++i) {
                    const int h = (row >> (np - 1 - i)) & 1;
                    w[i] = &ext[i][h];
                    w_bar[i] = &bar[i][h];
                }
                Cx<F> amp[P::kDiagrams], jamp[P::kColors], jamp_bar[P::kColors];
                Q::template amplitudes<F>(w, c, amp, jamp);
                F q;
                colour_sum_adjoint<Q, P::kColors>(jamp, scale, q, jamp_bar);
                total += q;
                P::template amplitudes_adjoint<F>(w, c, jamp_bar, w_bar);
            }
        }
        if (b.matrix_element) LF::store(b.matrix_element + e, total / P::kAverage);
        F grad[np][4];
        for (int i = 0; i < np; ++i) {
            chain(ext4[i], bar[i], grad[i]);
            // (pz = 0 too: a particle at rest keeps the lab function's derivatives)
            const Mask on_axis = (p[i][1] == 0.0) & (p[i][2] == 0.0) & (p[i][3] != 0.0);
            if (any_lane(on_axis))
                axis_chain(P::external_kind(i), ext4[i], ext[i], bar[i], p[i][3], on_axis, grad[i]);
        }
        if (Flavors<P>::count > 1 && b.flavor) swap_beams(mirrored, grad);
        for (int ip = 0; ip < np; ++ip)
            for (int k = 0; k < 4; ++k)
                LF::store(g.momenta + e + b.stride * (ip + np * k), grad[ip][k]);
    }
};

// The parameter derivatives asked for (g.parameters[k] or g.all_parameters set) on the
// lanes of F, over D = Dual<F, N>: direction n is parameter which[n].
template <class P, class F, int N>
struct ParameterGradient {
    using D = ParameterDual<F, N>;
    int which[N];
    bool seeds_alpha_s = false;
    int alpha_s_direction = 0;
    SmParametersT<D> sm;
    CouplingsOf<P, D> fixed;

    ParameterGradient(const EvalConfig<P>& cfg, const int (&asked)[N]) {
        SmInputsT<D> in = convert_inputs<D>(cfg.sm.in);
        for (int n = 0; n < N; ++n) {
            which[n] = asked[n];
            gradient_parameter(in, which[n]).d[n] = F(1.0);
            if (which[n] == 0) {
                seeds_alpha_s = true;
                alpha_s_direction = n;
            }
        }
        sm = derive_sm(in);
        fixed = Core<P>::template couplings<D>(sm, sm.G);
    }

    void block(size_t e, const Batch& b, const GradientBatch& g, const EvalConfig<P>& cfg,
               bool write_value) const {
        using LF = Lanes<F>;
        constexpr int np = P::kParticles;
        F p[np][4];  // constants: Momentum<D> = F
        for (int ip = 0; ip < np; ++ip)
            for (int c = 0; c < 4; ++c)
                p[ip][c] = LF::load(b.momenta + e + b.stride * (ip + np * c));
        CouplingsOf<P, D> per_event;
        if (b.alpha_s) {
            D alpha_s(LF::load(b.alpha_s + e));
            if (seeds_alpha_s) alpha_s.d[alpha_s_direction] = F(1.0);
            per_event = Core<P>::template couplings<D>(sm, strong_coupling(alpha_s));
        }
        const D me = matrix_element_over<P, F, D>(e, b, cfg, p, b.alpha_s ? per_event : fixed);
        if (write_value && b.matrix_element) LF::store(b.matrix_element + e, me.v);
        for (int n = 0; n < N; ++n) {
            if (g.parameters[which[n]]) LF::store(g.parameters[which[n]] + e, me.d[n]);
            if (g.all_parameters) LF::store(g.all_parameters + e + b.stride * which[n], me.d[n]);
        }
    }
};

// Events [e, e + lanes * blocks) in blocks of the lanes of F.
template <class P, class F>
inline void gradient_blocks(const Batch& b, const GradientBatch& g, const EvalConfig<P>& cfg,
                            size_t e, size_t blocks) {
    constexpr size_t lanes = Lanes<F>::size;
    if (g.momenta) {
        const bool reverse = HasAdjoint<P, F>::value && !forward_momentum_gradient_forced();
        if constexpr (HasAdjoint<P, F>::value) {
            if (reverse) {
                const ReverseMomentumGradient<P, F> m(cfg);
                for (size_t k = 0; k < blocks; ++k) m.block(e + lanes * k, b, g, cfg);
            }
        }
        if (!reverse) {
            const MomentumGradient<P, F> m(cfg);
            for (size_t k = 0; k < blocks; ++k) m.block(e + lanes * k, b, g, cfg);
        }
    }
    int asked[kGradientParameterCount], n_asked = 0;
    for (int k = 0; k < kGradientParameterCount; ++k)
        if (g.parameters[k] || g.all_parameters) asked[n_asked++] = k;
    if (n_asked == 1) {
        const int one[1] = {asked[0]};
        const ParameterGradient<P, F, 1> pg(cfg, one);
        for (size_t k = 0; k < blocks; ++k) pg.block(e + lanes * k, b, g, cfg, !g.momenta);
    } else if (n_asked > 1) {
        const int every[kGradientParameterCount] = {0, 1, 2, 3, 4};
        const ParameterGradient<P, F, kGradientParameterCount> pg(cfg, every);
        for (size_t k = 0; k < blocks; ++k) pg.block(e + lanes * k, b, g, cfg, !g.momenta);
    }
}

// Events begin .. end - 1 of the batch (relative to its offset): the gradients asked
// for, and |M|^2 from the same pass when asked for. Blocks of the lanes of F, then
// the remainder one event at a time.
template <class P, class F>
inline void evaluate_gradient_range(const Batch& b, const GradientBatch& g,
                                    const EvalConfig<P>& cfg, size_t begin, size_t end) {
    if constexpr (OffersGradients<P>::value) {
        constexpr size_t lanes = Lanes<F>::size;
        const size_t blocks = (end - begin) / lanes;
        if (blocks > 0) gradient_blocks<P, F>(b, g, cfg, b.offset + begin, blocks);
        const size_t rest = begin + lanes * blocks;
        if (rest < end) gradient_blocks<P, double>(b, g, cfg, b.offset + rest, end - rest);
    }
}

REFME_END_NAMESPACE

#endif  // REFME_GRADIENT_H
