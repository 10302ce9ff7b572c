// refme/gradient.h -- gradients of |M|^2 through the same templated core, with
// forward-mode dual numbers (dual.h): pyumami's vendor outputs of umami.h,
// PYUMAMI_OUT_MOMENTUM_GRADIENT and PYUMAMI_OUT_PARAMETER_GRADIENT.
//
// Momentum gradient: one pass with F = Dual<double, 4 npar>, direction k seeded on
// the momentum component stored at layout index k (particle + npar * component),
// so derivative k is written where MOMENTA keeps that component.
// Parameter gradient: one pass with F = Dual<double, kGradientParameterCount>, the
// param-card inputs of the sm model seeded before the derived parameters and the
// couplings are computed (derive_sm over F), so a mass moves the propagators, the
// external wavefunctions and every derived coupling together. With a per-event
// ALPHA_S input, "aS" is that event's alpha_s.
#ifndef REFME_GRADIENT_H
#define REFME_GRADIENT_H

#include "dual.h"
#include "process.h"

REFME_BEGIN_NAMESPACE

// The parameters PYUMAMI_OUT_PARAMETER_GRADIENT differentiates, in its order, and
// the SmInputs field each one is.
constexpr int kGradientParameterCount = 5;

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

// Where the gradients of one call go (nullptr: not asked for).
struct GradientBatch {
    double* momenta;     // (npar, 4) per event, layout of MOMENTA
    double* parameters;  // (kGradientParameterCount) per event
};

template <class R, class T>
REFME_HD inline SmInputsT<R> convert_inputs(const SmInputsT<T>& in) {
    SmInputsT<R> out;
    for (int k = 0; k < kGradientParameterCount; ++k)
        gradient_parameter(out, k) = R(gradient_parameter(const_cast<SmInputsT<T>&>(in), k));
    out.aEWM1 = R(in.aEWM1);
    out.Gf = R(in.Gf);
    out.MB = R(in.MB);
    out.MH = R(in.MH);
    out.MTA = R(in.MTA);
    out.WW = R(in.WW);
    out.WH = R(in.WH);
    out.ymb = R(in.ymb);
    out.ymt = R(in.ymt);
    out.ymtau = R(in.ymtau);
    return out;
}

// |M|^2 of event e (absolute index) over the number type D, with the given
// momenta and parameters; mirrored flavours swap the incoming momenta as in
// evaluate_block.
template <class P, class D>
REFME_HD inline D matrix_element_over(size_t e, const Batch& b, const EvalConfig<P>& cfg,
                                      D (&p)[P::kParticles][4], const SmParametersT<D>& sm,
                                      const D& g_s) {
    if (Flavors<P>::count > 1 && b.flavor && Flavors<P>::mirrored(b.flavor[e]))
        for (int c = 0; c < 4; ++c) {
            const D first = p[0][c];
            p[0][c] = p[1][c];
            p[1][c] = first;
        }
    const CouplingsOf<P, D> c = Core<P>::template couplings<D>(sm, g_s);
    HelicitySum<P, D> s;
    sum_helicities<P, D>(p, c, cfg.good, cfg.n_good, false, false, s);
    return s.total / P::kAverage;
}

template <class P>
REFME_HD inline void momentum_gradient_event(size_t e, const Batch& b, const EvalConfig<P>& cfg,
                                             double* out) {
    constexpr int np = P::kParticles;
    using D = Dual<double, 4 * np>;
    D p[np][4];
    for (int ip = 0; ip < np; ++ip)
        for (int c = 0; c < 4; ++c)
            p[ip][c] = D::variable(b.momenta[e + b.stride * (ip + np * c)], ip + np * c);
    const SmParametersT<D> sm = derive_sm(convert_inputs<D>(cfg.sm.in));
    const D g_s = b.alpha_s ? strong_coupling(D(b.alpha_s[e])) : sm.G;
    const D me = matrix_element_over<P, D>(e, b, cfg, p, sm, g_s);
    // A mirrored flavour swapped particles 0 and 1 before the seeds were used: the
    // derivative seeded on slot k belongs to the event's own particle at slot k.
    for (int k = 0; k < 4 * np; ++k) out[e + b.stride * k] = me.d[k];
}

template <class P>
REFME_HD inline void parameter_gradient_event(size_t e, const Batch& b, const EvalConfig<P>& cfg,
                                              double* out) {
    constexpr int np = P::kParticles;
    using D = Dual<double, kGradientParameterCount>;
    SmInputsT<D> in = convert_inputs<D>(cfg.sm.in);
    for (int k = 0; k < kGradientParameterCount; ++k)
        gradient_parameter(in, k) = D::variable(gradient_parameter(in, k).v, k);
    const SmParametersT<D> sm = derive_sm(in);
    const D g_s = b.alpha_s ? strong_coupling(D::variable(b.alpha_s[e], 0)) : sm.G;
    D p[np][4];
    for (int ip = 0; ip < np; ++ip)
        for (int c = 0; c < 4; ++c) p[ip][c] = D(b.momenta[e + b.stride * (ip + np * c)]);
    const D me = matrix_element_over<P, D>(e, b, cfg, p, sm, g_s);
    for (int k = 0; k < kGradientParameterCount; ++k) out[e + b.stride * k] = me.d[k];
}

// Events [b.offset, b.offset + b.count): the gradients asked for, and |M|^2 from the
// same pass when asked for (the value part of the dual number equals the double
// evaluation to rounding).
template <class P>
inline void evaluate_gradients(const Batch& b, const GradientBatch& g, const EvalConfig<P>& cfg) {
    for (size_t i = 0; i < b.count; ++i) {
        const size_t e = b.offset + i;
        if (g.momenta) momentum_gradient_event<P>(e, b, cfg, g.momenta);
        if (g.parameters) parameter_gradient_event<P>(e, b, cfg, g.parameters);
    }
}

REFME_END_NAMESPACE

#endif  // REFME_GRADIENT_H
