// refme/gradient.h -- gradients of |M|^2 through the same templated core, with
// forward-mode dual numbers (dual.h): pyumami's vendor outputs of umami.h,
// PYUMAMI_OUT_MOMENTUM_GRADIENT and PYUMAMI_OUT_PARAMETER_GRADIENT.
//
// Momentum gradient: one pass with F = Dual<double, 4 npar>, direction k seeded on
// the momentum component stored at layout index k (particle + npar * component),
// so derivative k is written where MOMENTA keeps that component (transverse
// derivatives of massless momenta on the z axis: see gradient_frame).
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

// A fixed rotation that takes no axis of a typical event onto the z axis (1 rad
// about (1, 2, 3) / sqrt(14)). Massless spinors with pT = 0 are singular in their
// transverse derivatives (sqrt(E - |pz|) = 0) although |M|^2 is smooth there. The
// transverse directions of such a momentum are tangent to its mass shell, where the
// helicity-summed |M|^2 is exactly rotation invariant, so their derivatives are
// taken at R p and rotated back (dM/dp = R^T dM/d(Rp)); every other derivative is
// that of the library's own function in the lab frame (directions off the mass
// shell depend on how the wavefunctions extend off shell, which is frame-dependent).
REFME_HD inline double gradient_frame(int row, int col) {
    constexpr double r[3][3] = {
        {0.5731378554489869, -0.6090066421373933, 0.5482918096085999},
        {0.740348840460782, 0.6716445041915284, -0.027879282947946255},
        {-0.35127851212351696, 0.4219058779181122, 0.8358222520957642},
    };
    return r[row][col];
}

// d|M|^2/dp of event e over D = Dual<double, 4 npar> with the spatial components
// rotated by gradient_frame (rotate) or not; derivative k in d[k] (layout index).
template <class P>
REFME_HD inline void momentum_derivatives(size_t e, const Batch& b, const EvalConfig<P>& cfg,
                                          bool rotate, double (&d)[4 * P::kParticles]) {
    constexpr int np = P::kParticles;
    using D = Dual<double, 4 * np>;
    D p[np][4];
    for (int ip = 0; ip < np; ++ip) {
        double q[4];
        for (int c = 0; c < 4; ++c) q[c] = b.momenta[e + b.stride * (ip + np * c)];
        p[ip][0] = D::variable(q[0], ip);
        for (int row = 0; row < 3; ++row) {
            double x = q[1 + row];
            if (rotate) {
                x = 0.0;
                for (int col = 0; col < 3; ++col) x += gradient_frame(row, col) * q[1 + col];
            }
            p[ip][1 + row] = D::variable(x, ip + np * (1 + row));
        }
    }
    const SmParametersT<D> sm = derive_sm(convert_inputs<D>(cfg.sm.in));
    const D g_s = b.alpha_s ? strong_coupling(D(b.alpha_s[e])) : sm.G;
    // A mirrored flavour swaps particles 0 and 1 with their seeds, so derivative k
    // stays that of the event's own momentum component k.
    const D me = matrix_element_over<P, D>(e, b, cfg, p, sm, g_s);
    for (int k = 0; k < 4 * np; ++k) d[k] = me.d[k];
    if (rotate)
        for (int ip = 0; ip < np; ++ip) {
            double back[3] = {0.0, 0.0, 0.0};
            for (int col = 0; col < 3; ++col)
                for (int row = 0; row < 3; ++row)
                    back[col] += gradient_frame(row, col) * me.d[ip + np * (1 + row)];
            for (int col = 0; col < 3; ++col) d[ip + np * (1 + col)] = back[col];
        }
}

template <class P>
REFME_HD inline void momentum_gradient_event(size_t e, const Batch& b, const EvalConfig<P>& cfg,
                                             double* out) {
    constexpr int np = P::kParticles;
    double lab[4 * np];
    momentum_derivatives<P>(e, b, cfg, false, lab);
    bool on_axis = false;
    for (int ip = 0; ip < np; ++ip)
        on_axis |= b.momenta[e + b.stride * (ip + np)] == 0.0 &&
                   b.momenta[e + b.stride * (ip + 2 * np)] == 0.0;
    if (on_axis) {
        double rotated[4 * np];
        momentum_derivatives<P>(e, b, cfg, true, rotated);
        for (int ip = 0; ip < np; ++ip)
            if (b.momenta[e + b.stride * (ip + np)] == 0.0 &&
                b.momenta[e + b.stride * (ip + 2 * np)] == 0.0)
                for (int c = 1; c <= 2; ++c) lab[ip + np * c] = rotated[ip + np * c];
    }
    for (int k = 0; k < 4 * np; ++k) out[e + b.stride * k] = lab[k];
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
