// Proof that the templated core instantiates with forward-mode dual numbers: the
// helicity- and colour-summed |M|^2 of g g -> t t~ over F = Dual<double, 16> gives
// its derivatives with respect to all 16 momentum components in one pass; they are
// compared with central finite differences of the double instantiation at one
// generic point. Prints one line per component; exit status 1 on disagreement.
#include <math.h>
#include <stdio.h>

#include "../../ref_me/processes/gg_ttx.cc"
#include "refme/dual.h"

namespace {

using Process = GgTtx;
constexpr int kN = Process::kParticles;
using D = refme::Dual<double, 4 * kN>;

template <class F>
F matrix_element(const F (&p)[kN][4], const refme::SmParameters& sm) {
    int rows[Process::kHelicities];
    for (int r = 0; r < Process::kHelicities; ++r) rows[r] = r;
    const auto couplings = Process::couplings<F>(sm, F(sm.G));
    refme::HelicitySum<Process, F> sum;
    refme::sum_helicities<Process, F>(p, couplings, rows, Process::kHelicities, false, false, sum);
    return sum.total / Process::kAverage;
}

}  // namespace

int main() {
    const refme::SmParameters sm = refme::derive_sm(refme::SmInputs{});
    // A generic point: a 2 -> 2 event rotated about the x axis, so that no particle lies
    // on the z axis. There HELAS switches formulas (where() in the core), and a dual
    // number differentiates the formula chosen at the point, not the function: the
    // transverse derivatives of a gluon exactly along z are not those of |M|^2.
    const double e = 700.0, mt = sm.in.MT, k = sqrt(e * e - mt * mt);
    const double ct = 0.3, st = sqrt(1 - ct * ct), phi = 0.7, ca = cos(0.4), sa = sin(0.4);
    const double frame[kN][4] = {{e, 0, 0, e},
                                 {e, 0, 0, -e},
                                 {e, k * st * cos(phi), k * st * sin(phi), k * ct},
                                 {e, -k * st * cos(phi), -k * st * sin(phi), -k * ct}};
    double p0[kN][4];
    for (int i = 0; i < kN; ++i) {
        p0[i][0] = frame[i][0];
        p0[i][1] = frame[i][1];
        p0[i][2] = ca * frame[i][2] - sa * frame[i][3];
        p0[i][3] = sa * frame[i][2] + ca * frame[i][3];
    }
    D pd[kN][4];
    for (int i = 0; i < kN; ++i)
        for (int c = 0; c < 4; ++c) pd[i][c] = D::variable(p0[i][c], 4 * i + c);
    const D me = matrix_element<D>(pd, sm);
    const double value = matrix_element<double>(p0, sm);
    int bad = fabs(me.v / value - 1) > 1e-15;
    printf("value %.17g dual %.17g\n", value, me.v);
    for (int i = 0; i < kN; ++i)
        for (int c = 0; c < 4; ++c) {
            const double h = 1e-4 * e;
            double pp[kN][4], pm[kN][4];
            for (int j = 0; j < kN; ++j)
                for (int d = 0; d < 4; ++d) pp[j][d] = pm[j][d] = p0[j][d];
            pp[i][c] += h;
            pm[i][c] -= h;
            // Fourth-order central difference, so truncation stays far below 1e-6.
            double p2[kN][4], m2[kN][4];
            for (int j = 0; j < kN; ++j)
                for (int d = 0; d < 4; ++d) p2[j][d] = m2[j][d] = p0[j][d];
            p2[i][c] += 2 * h;
            m2[i][c] -= 2 * h;
            const double fd = (8 * (matrix_element<double>(pp, sm) - matrix_element<double>(pm, sm)) -
                               (matrix_element<double>(p2, sm) - matrix_element<double>(m2, sm))) /
                              (12 * h);
            const double ad = me.d[4 * i + c];
            // Relative to the gradient's scale: components that vanish by symmetry compare
            // with |M|^2 / E.
            const double scale = fmax(fabs(ad), value / e);
            const double dev = fabs(ad - fd) / scale;
            printf("d/dp[%d][%d] dual % .10e fd % .10e rel %.1e\n", i, c, ad, fd, dev);
            if (!(dev < 1e-6)) bad = 1;
        }
    return bad;
}
