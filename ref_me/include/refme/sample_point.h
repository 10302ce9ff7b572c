// refme/sample_point.h -- fixed, generic phase-space points (host only).
//
// Used to find the helicity combinations that vanish identically (massless
// chirality): an instance evaluates every combination on these points once and
// afterwards sums only the others. The points are deterministic, away from
// collinear and symmetric configurations, and depend only on the masses, so the
// filter never depends on what a user evaluates first.
#ifndef REFME_SAMPLE_POINT_H
#define REFME_SAMPLE_POINT_H

#include <cmath>

#include "config.h"

REFME_BEGIN_NAMESPACE

namespace detail {

// Boost k (given in the rest frame of q) into the frame where q has momentum q.
inline void boost_from_rest(const double q[4], double mq, double k[4]) {
    const double bx = q[1] / q[0], by = q[2] / q[0], bz = q[3] / q[0];
    const double b2 = bx * bx + by * by + bz * bz;
    const double gamma = q[0] / mq;
    const double bk = bx * k[1] + by * k[2] + bz * k[3];
    const double g2 = b2 > 0.0 ? (gamma - 1.0) / b2 : 0.0;
    const double e = gamma * (k[0] + bk);
    const double f = g2 * bk + gamma * k[0];
    k[1] += f * bx;
    k[2] += f * by;
    k[3] += f * bz;
    k[0] = e;
}

inline double kallen_momentum(double m, double m1, double m2) {
    const double a = (m * m - (m1 + m2) * (m1 + m2)) * (m * m - (m1 - m2) * (m1 - m2));
    return std::sqrt(a > 0.0 ? a : 0.0) / (2.0 * m);
}

}  // namespace detail

// Writes momenta p[i][0..3] (GeV) for npar = nin + nout particles with masses m[i]:
// two incoming along +-z, the final state built by a chain of two-body decays with
// fixed irrational-looking angles; `variant` changes the angles.
inline void sample_point(int npar, const double* m, int variant, double (*p)[4]) {
    double sum_out = 0.0;
    for (int i = 2; i < npar; ++i) sum_out += m[i];
    const double sqrt_s = 2.0 * (sum_out + m[0] + m[1]) + 1000.0;
    const double pin = detail::kallen_momentum(sqrt_s, m[0], m[1]);
    p[0][0] = std::sqrt(pin * pin + m[0] * m[0]); p[0][1] = 0.0; p[0][2] = 0.0; p[0][3] = pin;
    p[1][0] = std::sqrt(pin * pin + m[1] * m[1]); p[1][1] = 0.0; p[1][2] = 0.0; p[1][3] = -pin;
    double q[4] = {p[0][0] + p[1][0], 0.0, 0.0, p[0][3] + p[1][3]};
    double mq = sqrt_s;
    for (int i = 2; i < npar; ++i) {
        if (i == npar - 1) {
            for (int k = 0; k < 4; ++k) p[i][k] = q[k];
            break;
        }
        double rest = 0.0;
        for (int j = i + 1; j < npar; ++j) rest += m[j];
        const double m_rest = rest + 0.5 * (mq - m[i] - rest);
        const double k = detail::kallen_momentum(mq, m[i], m_rest);
        const double cos_t = std::cos(0.7 + 0.37 * i + 0.23 * variant);
        const double sin_t = std::sqrt(1.0 - cos_t * cos_t);
        const double phi = 0.3 + 1.1 * i + 0.61 * variant;
        double ki[4] = {std::sqrt(k * k + m[i] * m[i]), k * sin_t * std::cos(phi),
                        k * sin_t * std::sin(phi), k * cos_t};
        double kr[4] = {std::sqrt(k * k + m_rest * m_rest), -ki[1], -ki[2], -ki[3]};
        detail::boost_from_rest(q, mq, ki);
        detail::boost_from_rest(q, mq, kr);
        for (int c = 0; c < 4; ++c) { p[i][c] = ki[c]; q[c] = kr[c]; }
        mq = m_rest;
    }
}

REFME_END_NAMESPACE

#endif  // REFME_SAMPLE_POINT_H
