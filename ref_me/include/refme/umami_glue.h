// refme/umami_glue.h -- the UMAMI entry points, shared by every process.
//
// A process file supplies a traits struct P and ends with REFME_EXPORT_UMAMI(P),
// which emits the nine extern "C" functions of umami.h plus refme_last_error().
// The same file compiles with g++ (CPU library) and with nvcc -x cu (CUDA library:
// one thread per event, device pointers, GPU_STREAM honoured).
//
// Traits P provides:
//   static constexpr int kParticles, kDiagrams, kColors, kHelicities;
//   static constexpr double kAverage;   // initial-state average x identical-particle factor
//   static REFME_HD int first_helicity(int particle);   // first row of the helicity table
//   struct Couplings;                                   // POD, what the amplitudes need
//   static REFME_HD Couplings couplings(const SmParameters&, double g_s);
//   static REFME_HD Wavefunction external(int particle, const double (&p)[4], int helicity,
//                                         const Couplings&);   // ixxxxx/oxxxxx/vxxxxx
//   static REFME_HD void amplitudes(const Wavefunction* const (&w)[kParticles],
//                                   const Couplings&, cx (&amp)[kDiagrams],
//                                   cx (&jamp)[kColors]);   // one helicity combination
//   static REFME_HD double colour_sum(const cx (&jamp)[kColors]);
//   static REFME_HD void masses(const SmInputs&, double* out);   // external masses, GeV
//
// Data layout (umami.h): structure of arrays over events, batch index contiguous;
// per-event work is a plain function of the event index, with no virtual dispatch,
// so the CPU loop can later be vectorised across events.
#ifndef REFME_UMAMI_GLUE_H
#define REFME_UMAMI_GLUE_H

#include <math.h>
#include <stddef.h>

#include <new>
#include <string>
#include <type_traits>

#include "umami.h"

#include "colour.h"
#include "param_card.h"
#include "sample_point.h"
#include "sm_model.h"
#include "vertices.h"

#ifdef REFME_CUDA
#include <cuda_runtime.h>
#endif

namespace refme {

constexpr int kInputKeyCount = 9;   // UMAMI_IN_MOMENTA .. UMAMI_IN_CHANNEL_INDEX
constexpr int kOutputKeyCount = 6;  // UMAMI_OUT_MATRIX_ELEMENT .. UMAMI_OUT_GPU_STREAM
// Without a per-event random number the selections use the middle of [0, 1).
constexpr double kDefaultRandom = 0.5;

// Pointers of one umami_matrix_element call; absent inputs/outputs are nullptr.
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

// Everything an event needs besides its own data; passed by value to the kernel.
template <class P>
struct EvalConfig {
    SmParameters sm;
    int n_good;                  // helicity combinations summed
    int good[P::kHelicities];    // their rows in the helicity table
};

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

// Helicity table: in row `row`, particle i has the opposite sign to its first-row
// value when bit (npar - 1 - i) of row is set (MadGraph's order, particle 0 slowest).

// External wavefunctions of one event for both helicity signs of every particle
// (index 0: the sign of the table's first row, 1: flipped), computed once per event
// and shared by all helicity combinations.
template <class P>
struct Externals {
    Wavefunction w[P::kParticles][2];
};

template <class P>
REFME_HD inline void compute_externals(const double (&p)[P::kParticles][4],
                                       const typename P::Couplings& couplings, Externals<P>& ext) {
    for (int i = 0; i < P::kParticles; ++i) {
        ext.w[i][0] = P::external(i, p[i], P::first_helicity(i), couplings);
        ext.w[i][1] = P::external(i, p[i], -P::first_helicity(i), couplings);
    }
}

// Partial amplitudes of helicity combination `row`.
template <class P>
REFME_HD inline void helicity_amplitudes(const Externals<P>& ext, int row,
                                         const typename P::Couplings& couplings,
                                         cx (&amp)[P::kDiagrams], cx (&jamp)[P::kColors]) {
    const Wavefunction* w[P::kParticles];
    for (int i = 0; i < P::kParticles; ++i) w[i] = &ext.w[i][(row >> (P::kParticles - 1 - i)) & 1];
    P::amplitudes(w, couplings, amp, jamp);
}

// First k with r < cumulative[k] / cumulative[n-1] (CUDACPP's rule); n - 1 when
// none qualifies (all weights zero or NaN), so the index is always in range.
REFME_HD inline int select_cumulative(const double* cumulative, int n, double r) {
    const double total = cumulative[n - 1];
    for (int k = 0; k < n; ++k)
        if (r < cumulative[k] / total) return k;
    return n - 1;
}

template <class P>
REFME_HD inline void evaluate_event(size_t i, const Batch& b, const EvalConfig<P>& cfg) {
    constexpr int np = P::kParticles;
    const size_t e = b.offset + i;
    double p[np][4];
    for (int ip = 0; ip < np; ++ip)
        for (int c = 0; c < 4; ++c) p[ip][c] = b.momenta[e + b.stride * (ip + np * c)];
    const bool mirrored = b.flavor && Flavors<P>::mirrored(b.flavor[e]);
    if (mirrored)
        for (int c = 0; c < 4; ++c) {
            const double t = p[0][c];
            p[0][c] = p[1][c];
            p[1][c] = t;
        }
    const double g_s = b.alpha_s ? strong_coupling(b.alpha_s[e]) : cfg.sm.G;
    const typename P::Couplings couplings = P::couplings(cfg.sm, g_s);

    double cumulative_hel[P::kHelicities];
    double amp2[P::kDiagrams];
    double jamp2[P::kColors];
    for (int d = 0; d < P::kDiagrams; ++d) amp2[d] = 0.0;
    for (int c = 0; c < P::kColors; ++c) jamp2[c] = 0.0;
    Externals<P> ext;
    compute_externals<P>(p, couplings, ext);
    double total = 0.0;
    for (int g = 0; g < cfg.n_good; ++g) {
        cx amp[P::kDiagrams];
        cx jamp[P::kColors];
        helicity_amplitudes<P>(ext, cfg.good[g], couplings, amp, jamp);
        total += P::colour_sum(jamp);
        cumulative_hel[g] = total;
        for (int d = 0; d < P::kDiagrams; ++d) amp2[d] += abs2(amp[d]);
        for (int c = 0; c < P::kColors; ++c) jamp2[c] += abs2(jamp[c]);
    }
    if (b.matrix_element) b.matrix_element[e] = total / P::kAverage;
    if (b.helicity_index) {
        const double r = b.random_helicity ? b.random_helicity[e] : kDefaultRandom;
        const int row = cfg.good[select_cumulative(cumulative_hel, cfg.n_good, r)];
        b.helicity_index[e] = mirrored ? mirror_helicity_row<P>(row) : row;
    }
    if (b.color_index) {
        for (int c = 1; c < P::kColors; ++c) jamp2[c] += jamp2[c - 1];
        const double r = b.random_color ? b.random_color[e] : kDefaultRandom;
        b.color_index[e] = select_cumulative(jamp2, P::kColors, r);
    }
    if (b.diagram_amp2 || b.diagram_index) {
        double sum = 0.0;
        for (int d = 0; d < P::kDiagrams; ++d) sum += amp2[d];
        // All-zero amplitudes give zero weights rather than 0/0.
        const double norm = sum != 0.0 ? 1.0 / sum : 0.0;
        if (b.diagram_amp2)
            for (int d = 0; d < P::kDiagrams; ++d) b.diagram_amp2[e + b.stride * d] = amp2[d] * norm;
        if (b.diagram_index) {
            for (int d = 1; d < P::kDiagrams; ++d) amp2[d] += amp2[d - 1];
            const double r = b.random_diagram ? b.random_diagram[e] : kDefaultRandom;
            b.diagram_index[e] = select_cumulative(amp2, P::kDiagrams, r);
        }
    }
}

#ifdef REFME_CUDA
template <class P>
__global__ void matrix_element_kernel(Batch b, EvalConfig<P> cfg) {
    const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < b.count) evaluate_event<P>(i, b, cfg);
}

static __global__ void flavor_check_kernel(const int* flavor, size_t offset, size_t count,
                                           int flavors, int* bad) {
    const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count && (flavor[offset + i] < 0 || flavor[offset + i] >= flavors)) atomicExch(bad, 1);
}
#endif

// ---------------------------------------------------------------------------
// Host side: instances and the entry points.

inline std::string& last_error() {
    // Per thread, so concurrent instances on different threads do not mix messages.
    thread_local std::string message;
    return message;
}

inline UmamiStatus fail(UmamiStatus status, const std::string& message) {
    last_error() = message;
    return status;
}

template <class P>
struct Instance {
    EvalConfig<P> config;
#ifdef REFME_CUDA
    int* device_flag = nullptr;  // scratch for the flavour check, allocated on first use
#endif
};

// Keeps the helicity combinations that are non-zero on the sample points. Only
// identically vanishing combinations (massless chirality) are dropped, so the sum
// is unchanged; recomputed whenever a parameter (e.g. a mass) changes.
template <class P>
inline void filter_helicities(EvalConfig<P>& cfg) {
    constexpr int np = P::kParticles;
    double masses[np];
    P::masses(cfg.sm.in, masses);
    const typename P::Couplings couplings = P::couplings(cfg.sm, cfg.sm.G);
    cfg.n_good = 0;
    for (int row = 0; row < P::kHelicities; ++row) {
        bool nonzero = false;
        for (int variant = 0; variant < 2 && !nonzero; ++variant) {
            double p[np][4];
            sample_point(np, masses, variant, p);
            Externals<P> ext;
            compute_externals<P>(p, couplings, ext);
            cx amp[P::kDiagrams];
            cx jamp[P::kColors];
            helicity_amplitudes<P>(ext, row, couplings, amp, jamp);
            nonzero = P::colour_sum(jamp) != 0.0;
        }
        if (nonzero) cfg.good[cfg.n_good++] = row;
    }
    if (cfg.n_good == 0) {
        // Degenerate parameters (e.g. all couplings zero): keep everything.
        for (int row = 0; row < P::kHelicities; ++row) cfg.good[row] = row;
        cfg.n_good = P::kHelicities;
    }
}

inline const bool* supported_input_flags() {
    static const bool flags[kInputKeyCount] = {
        true,   // MOMENTA
        true,   // ALPHA_S
        true,   // FLAVOR_INDEX (0 .. kFlavors - 1)
        true,   // RANDOM_COLOR
        true,   // RANDOM_HELICITY
        true,   // RANDOM_DIAGRAM
        false,  // HELICITY_INDEX
        false,  // DIAGRAM_INDEX
        false,  // CHANNEL_INDEX
    };
    return flags;
}

inline const bool* required_input_flags() {
    static const bool flags[kInputKeyCount] = {true, false, false, false, false,
                                               false, false, false, false};
    return flags;
}

inline const bool* supported_output_flags() {
#ifdef REFME_CUDA
    static const bool flags[kOutputKeyCount] = {true, true, true, true, true, true};
#else
    // GPU_STREAM means nothing to the CPU build.
    static const bool flags[kOutputKeyCount] = {true, true, true, true, true, false};
#endif
    return flags;
}

template <class P>
UmamiStatus get_meta(UmamiMetaKey key, void* result) {
    if (!result) return fail(UMAMI_ERROR, "umami_get_meta: result pointer is NULL");
    switch (key) {
        case UMAMI_META_DEVICE:
#ifdef REFME_CUDA
            *static_cast<int*>(result) = UMAMI_DEVICE_CUDA;
#else
            *static_cast<int*>(result) = UMAMI_DEVICE_CPU;
#endif
            return UMAMI_SUCCESS;
        case UMAMI_META_PARTICLE_COUNT: *static_cast<int*>(result) = P::kParticles; return UMAMI_SUCCESS;
        case UMAMI_META_DIAGRAM_COUNT: *static_cast<int*>(result) = P::kDiagrams; return UMAMI_SUCCESS;
        case UMAMI_META_HELICITY_COUNT: *static_cast<int*>(result) = P::kHelicities; return UMAMI_SUCCESS;
        case UMAMI_META_COLOR_COUNT: *static_cast<int*>(result) = P::kColors; return UMAMI_SUCCESS;
        case UMAMI_META_MASSES:
            // Library-level answer: the masses of the compiled-in default card, so it
            // is known before umami_initialize (an instance's set_parameter does not
            // change it).
            P::masses(SmInputs{}, static_cast<double*>(result));
            return UMAMI_SUCCESS;
        default:
            return fail(UMAMI_ERROR_UNSUPPORTED_META,
                        "umami_get_meta: unknown meta key " + std::to_string(static_cast<int>(key)));
    }
}

inline UmamiStatus capability(const bool* flags, int n, const bool** out, int* count) {
    if (!out || !count) return fail(UMAMI_ERROR, "capability query: NULL output pointer");
    *out = flags;
    *count = n;
    return UMAMI_SUCCESS;
}

template <class P>
UmamiStatus initialize(UmamiHandle* handle, const char* param_card_path) {
    if (!handle) return fail(UMAMI_ERROR, "umami_initialize: handle pointer is NULL");
    *handle = nullptr;
    try {
        SmInputs inputs;  // compiled-in default card when no path is given
        if (param_card_path) {
            std::string error;
            if (!read_param_card(param_card_path, inputs, error)) return fail(UMAMI_ERROR, error);
        }
        const SmParameters sm = derive_sm(inputs);
        if (!isfinite(sm.MW) || !isfinite(sm.G))
            return fail(UMAMI_ERROR, "umami_initialize: the card gives a non-real MW or g_s "
                                     "(check aEWM1, Gf, MZ, aS)");
        Instance<P>* instance = new (std::nothrow) Instance<P>();
        if (!instance) return fail(UMAMI_ERROR, "umami_initialize: out of memory");
        instance->config.sm = sm;
        filter_helicities<P>(instance->config);
        *handle = instance;
        return UMAMI_SUCCESS;
    } catch (const std::exception& ex) {
        return fail(UMAMI_ERROR, std::string("umami_initialize: ") + ex.what());
    } catch (...) {
        return fail(UMAMI_ERROR, "umami_initialize: unexpected failure");
    }
}

template <class P>
UmamiStatus set_parameter(UmamiHandle handle, const char* name, double re, double im) {
    if (!handle) return fail(UMAMI_ERROR, "umami_set_parameter: handle is NULL");
    if (!name) return fail(UMAMI_ERROR, "umami_set_parameter: name is NULL");
    if (im != 0.0)
        return fail(UMAMI_ERROR, std::string("umami_set_parameter: ") + name +
                                     " is real; the imaginary part must be 0");
    try {
        Instance<P>* instance = static_cast<Instance<P>*>(handle);
        SmInputs inputs = instance->config.sm.in;
        std::string error;
        if (!set_sm_parameter(inputs, name, re, error)) return fail(UMAMI_ERROR, error);
        instance->config.sm = derive_sm(inputs);
        filter_helicities<P>(instance->config);
        return UMAMI_SUCCESS;
    } catch (...) {
        return fail(UMAMI_ERROR, "umami_set_parameter: unexpected failure");
    }
}

template <class P>
UmamiStatus get_parameter(UmamiHandle handle, const char* name, double* re, double* im) {
    if (!handle) return fail(UMAMI_ERROR, "umami_get_parameter: handle is NULL");
    if (!name || !re) return fail(UMAMI_ERROR, "umami_get_parameter: name or result is NULL");
    try {
        const Instance<P>* instance = static_cast<const Instance<P>*>(handle);
        double value = 0.0;
        if (!get_sm_parameter(instance->config.sm, name, value))
            return fail(UMAMI_ERROR, std::string("umami_get_parameter: unknown parameter '") + name + "'");
        *re = value;
        if (im) *im = 0.0;
        return UMAMI_SUCCESS;
    } catch (...) {
        return fail(UMAMI_ERROR, "umami_get_parameter: unexpected failure");
    }
}

#ifdef REFME_CUDA
inline bool is_device_pointer(const void* ptr) {
    cudaPointerAttributes attributes;
    if (cudaPointerGetAttributes(&attributes, ptr) != cudaSuccess) {
        cudaGetLastError();  // clear the non-sticky error of the query
        return false;
    }
    return attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
}
#endif

template <class P>
UmamiStatus matrix_element(UmamiHandle handle, size_t count, size_t stride, size_t offset,
                           size_t input_count, const UmamiInputKey* input_keys,
                           const void* const* inputs, size_t output_count,
                           const UmamiOutputKey* output_keys, void* const* outputs) {
    if (!handle) return fail(UMAMI_ERROR, "umami_matrix_element: handle is NULL");
    if (input_count > 0 && (!input_keys || !inputs))
        return fail(UMAMI_ERROR, "umami_matrix_element: input keys or input pointers are NULL");
    if (output_count > 0 && (!output_keys || !outputs))
        return fail(UMAMI_ERROR, "umami_matrix_element: output keys or output pointers are NULL");
    Batch b = {count, stride, offset, nullptr, nullptr, nullptr, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
    const int* flavor = nullptr;
    bool have_momenta = false;
    const bool* in_ok = supported_input_flags();
    for (size_t k = 0; k < input_count; ++k) {
        const int key = static_cast<int>(input_keys[k]);
        if (key < 0 || key >= kInputKeyCount || !in_ok[key])
            return fail(UMAMI_ERROR_UNSUPPORTED_INPUT,
                        "umami_matrix_element: input key " + std::to_string(key) + " is not supported");
        const void* data = inputs[k];
        switch (key) {
            case UMAMI_IN_MOMENTA: b.momenta = static_cast<const double*>(data); have_momenta = true; break;
            case UMAMI_IN_ALPHA_S: b.alpha_s = static_cast<const double*>(data); break;
            case UMAMI_IN_FLAVOR_INDEX: flavor = b.flavor = static_cast<const int*>(data); break;
            case UMAMI_IN_RANDOM_COLOR: b.random_color = static_cast<const double*>(data); break;
            case UMAMI_IN_RANDOM_HELICITY: b.random_helicity = static_cast<const double*>(data); break;
            case UMAMI_IN_RANDOM_DIAGRAM: b.random_diagram = static_cast<const double*>(data); break;
            default: break;
        }
    }
    const bool* out_ok = supported_output_flags();
    void* stream_ptr = nullptr;
    for (size_t k = 0; k < output_count; ++k) {
        const int key = static_cast<int>(output_keys[k]);
        if (key < 0 || key >= kOutputKeyCount || !out_ok[key])
            return fail(UMAMI_ERROR_UNSUPPORTED_OUTPUT,
                        "umami_matrix_element: output key " + std::to_string(key) + " is not supported");
        void* data = outputs[k];
        switch (key) {
            case UMAMI_OUT_MATRIX_ELEMENT: b.matrix_element = static_cast<double*>(data); break;
            case UMAMI_OUT_DIAGRAM_AMP2: b.diagram_amp2 = static_cast<double*>(data); break;
            case UMAMI_OUT_COLOR_INDEX: b.color_index = static_cast<int*>(data); break;
            case UMAMI_OUT_HELICITY_INDEX: b.helicity_index = static_cast<int*>(data); break;
            case UMAMI_OUT_DIAGRAM_INDEX: b.diagram_index = static_cast<int*>(data); break;
            case UMAMI_OUT_GPU_STREAM: stream_ptr = data; break;
            default: break;
        }
    }
    if (!have_momenta) return fail(UMAMI_ERROR_MISSING_INPUT, "umami_matrix_element: MOMENTA is required");
    if (count == 0) return UMAMI_SUCCESS;
    if (offset > stride || count > stride - offset)
        return fail(UMAMI_ERROR, "umami_matrix_element: offset + count exceeds stride");
    // Every given input/output pointer must be usable.
    for (size_t k = 0; k < input_count; ++k)
        if (!inputs[k]) return fail(UMAMI_ERROR, "umami_matrix_element: an input pointer is NULL");
    for (size_t k = 0; k < output_count; ++k)
        if (!outputs[k] && output_keys[k] != UMAMI_OUT_GPU_STREAM)
            return fail(UMAMI_ERROR, "umami_matrix_element: an output pointer is NULL");

    Instance<P>* instance = static_cast<Instance<P>*>(handle);
#ifndef REFME_CUDA
    (void)stream_ptr;
    if (flavor)
        for (size_t i = 0; i < count; ++i)
            if (flavor[offset + i] < 0 || flavor[offset + i] >= Flavors<P>::count)
                return fail(UMAMI_ERROR, "umami_matrix_element: FLAVOR_INDEX " +
                                             std::to_string(flavor[offset + i]) +
                                             " at event " + std::to_string(offset + i) +
                                             "; this process takes 0 to " +
                                             std::to_string(Flavors<P>::count - 1));
    const EvalConfig<P>& cfg = instance->config;
    for (size_t i = 0; i < count; ++i) evaluate_event<P>(i, b, cfg);
    return UMAMI_SUCCESS;
#else
    for (size_t k = 0; k < input_count; ++k)
        if (!is_device_pointer(inputs[k]))
            return fail(UMAMI_ERROR, "umami_matrix_element: input " + std::to_string(static_cast<int>(input_keys[k])) +
                                         " is not CUDA device memory (this is the CUDA library)");
    for (size_t k = 0; k < output_count; ++k)
        if (output_keys[k] != UMAMI_OUT_GPU_STREAM && !is_device_pointer(outputs[k]))
            return fail(UMAMI_ERROR, "umami_matrix_element: output " + std::to_string(static_cast<int>(output_keys[k])) +
                                         " is not CUDA device memory (this is the CUDA library)");
    cudaStream_t stream = static_cast<cudaStream_t>(stream_ptr);
    constexpr unsigned kThreads = 128;
    const unsigned blocks = static_cast<unsigned>((count + kThreads - 1) / kThreads);
    if (flavor) {
        if (!instance->device_flag && cudaMalloc(&instance->device_flag, sizeof(int)) != cudaSuccess) {
            instance->device_flag = nullptr;
            return fail(UMAMI_ERROR, "umami_matrix_element: cudaMalloc failed");
        }
        int bad = 0;
        cudaMemsetAsync(instance->device_flag, 0, sizeof(int), stream);
        flavor_check_kernel<<<blocks, kThreads, 0, stream>>>(flavor, offset, count,
                                                             Flavors<P>::count, instance->device_flag);
        cudaMemcpyAsync(&bad, instance->device_flag, sizeof(int), cudaMemcpyDeviceToHost, stream);
        const cudaError_t err = cudaStreamSynchronize(stream);
        if (err != cudaSuccess)
            return fail(UMAMI_ERROR, std::string("umami_matrix_element: ") + cudaGetErrorString(err));
        if (bad)
            return fail(UMAMI_ERROR, "umami_matrix_element: FLAVOR_INDEX outside 0 to " +
                                         std::to_string(Flavors<P>::count - 1));
    }
    matrix_element_kernel<P><<<blocks, kThreads, 0, stream>>>(b, instance->config);
    cudaError_t err = cudaGetLastError();
    // With the caller's stream the call is asynchronous on that stream, as the
    // caller orders its own work there; without one, results are ready on return.
    if (err == cudaSuccess && !stream_ptr) err = cudaStreamSynchronize(stream);
    if (err != cudaSuccess)
        return fail(UMAMI_ERROR, std::string("umami_matrix_element: ") + cudaGetErrorString(err));
    return UMAMI_SUCCESS;
#endif
}

template <class P>
UmamiStatus free_instance(UmamiHandle handle) {
    if (!handle) return UMAMI_SUCCESS;
    Instance<P>* instance = static_cast<Instance<P>*>(handle);
#ifdef REFME_CUDA
    if (instance->device_flag) cudaFree(instance->device_flag);
#endif
    delete instance;
    return UMAMI_SUCCESS;
}

}  // namespace refme

#define REFME_EXPORT __attribute__((visibility("default")))

// Emits the UMAMI entry points for process traits P (use once per library).
#define REFME_EXPORT_UMAMI(P)                                                                   \
    extern "C" {                                                                                \
    REFME_EXPORT UmamiStatus umami_get_meta(UmamiMetaKey key, void* result) {                   \
        return refme::get_meta<P>(key, result);                                                 \
    }                                                                                           \
    REFME_EXPORT UmamiStatus umami_supported_inputs(const bool** flags, int* count) {           \
        return refme::capability(refme::supported_input_flags(), refme::kInputKeyCount, flags,  \
                                 count);                                                        \
    }                                                                                           \
    REFME_EXPORT UmamiStatus umami_required_inputs(const bool** flags, int* count) {            \
        return refme::capability(refme::required_input_flags(), refme::kInputKeyCount, flags,   \
                                 count);                                                        \
    }                                                                                           \
    REFME_EXPORT UmamiStatus umami_supported_outputs(const bool** flags, int* count) {          \
        return refme::capability(refme::supported_output_flags(), refme::kOutputKeyCount,       \
                                 flags, count);                                                 \
    }                                                                                           \
    REFME_EXPORT UmamiStatus umami_initialize(UmamiHandle* handle, char const* path) {          \
        return refme::initialize<P>(handle, path);                                              \
    }                                                                                           \
    REFME_EXPORT UmamiStatus umami_set_parameter(UmamiHandle handle, char const* name,          \
                                                 double re, double im) {                        \
        return refme::set_parameter<P>(handle, name, re, im);                                   \
    }                                                                                           \
    REFME_EXPORT UmamiStatus umami_get_parameter(UmamiHandle handle, char const* name,          \
                                                 double* re, double* im) {                      \
        return refme::get_parameter<P>(handle, name, re, im);                                   \
    }                                                                                           \
    REFME_EXPORT UmamiStatus umami_matrix_element(                                              \
        UmamiHandle handle, size_t count, size_t stride, size_t offset, size_t input_count,     \
        UmamiInputKey const* input_keys, void const* const* inputs, size_t output_count,        \
        UmamiOutputKey const* output_keys, void* const* outputs) {                              \
        return refme::matrix_element<P>(handle, count, stride, offset, input_count, input_keys, \
                                        inputs, output_count, output_keys, outputs);            \
    }                                                                                           \
    REFME_EXPORT UmamiStatus umami_free(UmamiHandle handle) {                                   \
        return refme::free_instance<P>(handle);                                                 \
    }                                                                                           \
    /* Last error message of this thread (extension, not part of UMAMI). */                     \
    REFME_EXPORT const char* refme_last_error(void) { return refme::last_error().c_str(); }     \
    }
#endif  // REFME_UMAMI_GLUE_H
