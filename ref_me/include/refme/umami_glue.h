// refme/umami_glue.h -- the UMAMI entry points, shared by every process.
//
// A process file supplies a traits struct P (process.h lists what it provides) and
// ends with REFME_EXPORT_UMAMI(P), which emits the nine extern "C" functions of
// umami.h plus the refme_* extensions. The same file compiles with g++ (CPU
// library) and with nvcc -x cu (CUDA library: one thread per event, device
// pointers, GPU_STREAM honoured).
//
// CPU instruction sets: the Makefile compiles a process once for the baseline
// (x86-64-v2, scalar path) and once per SIMD instruction set with
// -DREFME_SIMD_KERNEL=<name> -DREFME_SIMD_LANES=<L> -DREFME_ISA=<namespace> and the
// matching -m flags. In those objects REFME_EXPORT_UMAMI emits only the kernel
// <name> (L events per instruction); the baseline object holds the entry points and
// picks a kernel at umami_initialize from the CPU's features (or REFME_SIMD).
//
// Data layout (umami.h): structure of arrays over events, batch index contiguous, so
// L consecutive events of one component are one vector load.
#ifndef REFME_UMAMI_GLUE_H
#define REFME_UMAMI_GLUE_H

#include <math.h>
#include <stddef.h>

#include "umami.h"

#ifndef REFME_CUDA
#include "simd.h"
#endif
#include "gradient.h"
#include "process.h"

#if !defined(REFME_SIMD_KERNEL)
#include <stdlib.h>
#include <string.h>

#include <mutex>
#include <new>
#include <string>

#include "param_card.h"
#include "sample_point.h"
#endif

#ifdef REFME_CUDA
#include <cuda_runtime.h>
#endif

// Signature of the event loop of one instruction set: events begin .. end - 1 of the
// batch, with the instance's EvalConfig<P> (same layout in every object: same source).
typedef void (*RefmeKernel)(const refme::Batch* batch, const void* config, size_t begin,
                            size_t end);
// The gradient passes of one instruction set (gradient.h), over the same events.
typedef void (*RefmeGradientKernel)(const refme::Batch* batch, const refme::GradientBatch* g,
                                    const void* config, size_t begin, size_t end);
#define REFME_PASTE2(a, b) a##b
#define REFME_PASTE(a, b) REFME_PASTE2(a, b)

#define REFME_EXPORT __attribute__((visibility("default")))
#define REFME_HIDDEN __attribute__((visibility("hidden")))

#if defined(REFME_DISPATCH) && !defined(REFME_SIMD_KERNEL) && !defined(REFME_CUDA)
// The SIMD objects linked into this library (see the Makefile).
extern "C" REFME_HIDDEN void refme_kernel_avx2(const refme::Batch*, const void*, size_t, size_t);
extern "C" REFME_HIDDEN void refme_kernel_avx512(const refme::Batch*, const void*, size_t, size_t);
extern "C" REFME_HIDDEN void refme_kernel_avx2_gradients(const refme::Batch*,
                                                         const refme::GradientBatch*, const void*,
                                                         size_t, size_t);
extern "C" REFME_HIDDEN void refme_kernel_avx512_gradients(const refme::Batch*,
                                                           const refme::GradientBatch*, const void*,
                                                           size_t, size_t);
#endif

#if defined(REFME_SIMD_KERNEL)
// A SIMD object: the kernels only (|M|^2, and the gradient passes over
// Dual<Vec<L>, N>, named <kernel>_gradients). Processes written for double only run
// the first scalar and offer no gradients.
#define REFME_EXPORT_UMAMI(P)                                                                     \
    extern "C" REFME_HIDDEN void REFME_SIMD_KERNEL(const refme::Batch* b, const void* config,     \
                                                   size_t begin, size_t end) {                    \
        using F = std::conditional_t<refme::IsTemplated<P>::value, refme::Vec<REFME_SIMD_LANES>,  \
                                     double>;                                                     \
        refme::evaluate_range<P, F>(*b, *static_cast<const refme::EvalConfig<P>*>(config), begin, \
                                    end);                                                         \
    }                                                                                             \
    extern "C" REFME_HIDDEN void REFME_PASTE(REFME_SIMD_KERNEL, _gradients)(                      \
        const refme::Batch* b, const refme::GradientBatch* g, const void* config, size_t begin,   \
        size_t end) {                                                                             \
        refme::evaluate_gradient_range<P, refme::Vec<REFME_SIMD_LANES>>(                          \
            *b, *g, *static_cast<const refme::EvalConfig<P>*>(config), begin, end);               \
    }
#else

REFME_BEGIN_NAMESPACE

// The last standard keys of umami.h; the capability tables below are checked against them.
constexpr int kInputKeyCount = UMAMI_IN_CHANNEL_INDEX + 1;
constexpr int kOutputKeyCount = UMAMI_OUT_GPU_STREAM + 1;
// umami_supported_outputs also covers pyumami's vendor keys (umami.h), so its flags
// array runs up to the last parameter derivative; the keys in between are unused.
constexpr int kOutputFlagCount = PYUMAMI_OUT_PARAMETER_DERIVATIVE + kGradientParameterCount;

#ifdef REFME_CUDA
template <class P>
__global__ void matrix_element_kernel(Batch b, EvalConfig<P> cfg) {
    const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < b.count) {
        const CouplingsOf<P, double> fixed = Core<P>::template couplings<double>(cfg.sm, cfg.sm.G);
        evaluate_block<P, double>(b.offset + i, b, cfg, fixed);
    }
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

// --- CPU instruction sets ---------------------------------------------------------
enum SimdPath { kScalarPath = 0, kAvx2Path = 1, kAvx512Path = 2, kSimdPathCount = 3 };

inline const char* simd_path_name(int path) {
    static const char* const names[kSimdPathCount] = {"scalar", "avx2", "avx512"};
    return names[path];
}

template <class P>
void scalar_kernel(const Batch* b, const void* config, size_t begin, size_t end) {
    evaluate_range<P, double>(*b, *static_cast<const EvalConfig<P>*>(config), begin, end);
}

template <class P>
void scalar_gradient_kernel(const Batch* b, const GradientBatch* g, const void* config,
                            size_t begin, size_t end) {
    evaluate_gradient_range<P, double>(*b, *g, *static_cast<const EvalConfig<P>*>(config), begin,
                                       end);
}

// The gradient passes of `path` (simd_kernel has checked that this CPU runs it).
template <class P>
inline RefmeGradientKernel simd_gradient_kernel(int path) {
#if defined(REFME_DISPATCH) && !defined(REFME_CUDA)
    if (path == kAvx2Path) return refme_kernel_avx2_gradients;
    if (path == kAvx512Path) return refme_kernel_avx512_gradients;
#endif
    (void)path;
    return &scalar_gradient_kernel<P>;
}

// The kernel of `path` if this library has it and this CPU can run it, else nullptr.
template <class P>
inline RefmeKernel simd_kernel(int path) {
#if defined(REFME_DISPATCH) && !defined(REFME_CUDA)
    __builtin_cpu_init();
    if (path == kAvx2Path) return __builtin_cpu_supports("avx2") ? refme_kernel_avx2 : nullptr;
    if (path == kAvx512Path)
        return __builtin_cpu_supports("avx512f") ? refme_kernel_avx512 : nullptr;
#endif
    return path == kScalarPath ? &scalar_kernel<P> : nullptr;
}

// The path an instance uses: REFME_SIMD=scalar|avx2|avx512 when set (an error if this
// library or CPU cannot run it), else the widest available. -1 with `error` set on failure.
template <class P>
inline int choose_simd_path(std::string& error) {
    const char* forced = getenv("REFME_SIMD");
    if (forced && *forced) {
        for (int path = 0; path < kSimdPathCount; ++path)
            if (strcmp(forced, simd_path_name(path)) == 0) {
                if (simd_kernel<P>(path)) return path;
                error = std::string("umami_initialize: REFME_SIMD=") + forced +
                        " but this library or CPU has no such path (unset REFME_SIMD, or "
                        "choose from refme_simd_paths())";
                return -1;
            }
        error = std::string("umami_initialize: REFME_SIMD=") + forced +
                " is not one of scalar, avx2, avx512";
        return -1;
    }
    for (int path = kSimdPathCount - 1; path > 0; --path)
        if (simd_kernel<P>(path)) return path;
    return kScalarPath;
}

// Space-separated names of the paths this library and CPU can run.
template <class P>
inline const char* available_simd_paths() {
    static const std::string names = [] {
        std::string out;
        for (int path = 0; path < kSimdPathCount; ++path)
            if (simd_kernel<P>(path))
                out += (out.empty() ? "" : " ") + std::string(simd_path_name(path));
        return out;
    }();
    return names.c_str();
}

// --- MASSES ---------------------------------------------------------------------
// The external masses of the card most recently read (umami_initialize) or changed
// (umami_set_parameter) by any instance of this library: MASSES is a library-level
// query, so it describes the last card. `update` records new inputs; returns whether
// a card has been read yet, and copies the masses into `out` (if given) when it has.
template <class P>
inline bool last_card_masses(double* out, const SmInputs* update) {
    static std::mutex mutex;
    static bool known = false;
    static double masses[P::kParticles];
    std::lock_guard<std::mutex> lock(mutex);
    if (update) {
        P::masses(*update, masses);
        known = true;
    }
    if (out && known)
        for (int i = 0; i < P::kParticles; ++i) out[i] = masses[i];
    return known;
}

template <class P>
struct Instance {
    EvalConfig<P> config;
    int simd_path = kScalarPath;
    RefmeKernel kernel = nullptr;
    RefmeGradientKernel gradient_kernel = nullptr;
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
    const CouplingsOf<P, double> couplings = Core<P>::template couplings<double>(cfg.sm, cfg.sm.G);
    cfg.n_good = 0;
    for (int row = 0; row < P::kHelicities; ++row) {
        bool nonzero = false;
        for (int variant = 0; variant < 2 && !nonzero; ++variant) {
            double p[np][4];
            sample_point(np, masses, variant, p);
            HelicitySum<P, double> sum;
            sum_helicities<P, double>(p, couplings, &row, 1, false, false, sum);
            nonzero = sum.total != 0.0;
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
    static const bool flags[] = {
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
    static_assert(sizeof(flags) == kInputKeyCount, "one flag per input key of umami.h");
    return flags;
}

inline const bool* required_input_flags() {
    static const bool flags[] = {true, false, false, false, false, false, false, false, false};
    static_assert(sizeof(flags) == kInputKeyCount, "one flag per input key of umami.h");
    return flags;
}

template <class P>
inline const bool* supported_output_flags() {
#ifdef REFME_CUDA
    static const bool standard[] = {true, true, true, true, true, true};
#else
    // GPU_STREAM means nothing to the CPU build.
    static const bool standard[] = {true, true, true, true, true, false};
#endif
    static_assert(sizeof(standard) == kOutputKeyCount, "one flag per output key of umami.h");
    static const auto flags = [] {
        struct Flags {
            bool value[kOutputFlagCount] = {};
        } out;
        for (int k = 0; k < kOutputKeyCount; ++k) out.value[k] = standard[k];
        out.value[PYUMAMI_OUT_MOMENTUM_GRADIENT] = OffersGradients<P>::value;
        out.value[PYUMAMI_OUT_PARAMETER_GRADIENT] = OffersGradients<P>::value;
        for (int k = 0; k < kGradientParameterCount; ++k)
            out.value[PYUMAMI_OUT_PARAMETER_DERIVATIVE + k] = OffersGradients<P>::value;
        return out;
    }();
    return flags.value;
}

template <class P>
UmamiStatus get_meta(int key, void* result) {
    if (!result) return fail(UMAMI_ERROR, "umami_get_meta: result pointer is NULL");
    if (OffersGradients<P>::value &&
        static_cast<int>(key) == PYUMAMI_META_GRADIENT_PARAMETER_COUNT) {
        *static_cast<int*>(result) = kGradientParameterCount;
        return UMAMI_SUCCESS;
    }
    if (OffersGradients<P>::value &&
        static_cast<int>(key) == PYUMAMI_META_GRADIENT_PARAMETER_NAMES) {
        *static_cast<const char* const**>(result) = gradient_parameter_names();
        return UMAMI_SUCCESS;
    }
    switch (key) {
        case UMAMI_META_DEVICE:
#ifdef REFME_CUDA
            *static_cast<int*>(result) = UMAMI_DEVICE_CUDA;
#else
            *static_cast<int*>(result) = UMAMI_DEVICE_CPU;
#endif
            return UMAMI_SUCCESS;
        case UMAMI_META_PARTICLE_COUNT:
            *static_cast<int*>(result) = P::kParticles;
            return UMAMI_SUCCESS;
        case UMAMI_META_DIAGRAM_COUNT:
            *static_cast<int*>(result) = P::kDiagrams;
            return UMAMI_SUCCESS;
        case UMAMI_META_HELICITY_COUNT:
            *static_cast<int*>(result) = P::kHelicities;
            return UMAMI_SUCCESS;
        case UMAMI_META_COLOR_COUNT: *static_cast<int*>(result) = P::kColors; return UMAMI_SUCCESS;
        case UMAMI_META_MASSES:
            if (!last_card_masses<P>(static_cast<double*>(result), nullptr))
                return fail(UMAMI_ERROR_UNINITIALIZED_META,
                            "umami_get_meta: MASSES describes the param card read, so it is "
                            "known after the first umami_initialize");
            return UMAMI_SUCCESS;
        default:
            return fail(UMAMI_ERROR_UNSUPPORTED_META,
                        "umami_get_meta: unknown meta key " + std::to_string(key));
    }
}

// A key array element as a plain int: callers may pass any value, and reading one that
// is no enumerator through the enum type is undefined behaviour (UBSan's "enum" check).
template <class Key>
inline int key_value(const Key* keys, size_t k) {
    static_assert(sizeof(Key) == sizeof(int), "UMAMI keys are int-sized enums");
    int value;
    memcpy(&value, keys + k, sizeof value);
    return value;
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
            return fail(UMAMI_ERROR,
                        "umami_initialize: the card gives a non-real MW or g_s "
                        "(check aEWM1, Gf, MZ, aS)");
        std::string error;
        const int path = choose_simd_path<P>(error);
        if (path < 0) return fail(UMAMI_ERROR, error);
        Instance<P>* instance = new (std::nothrow) Instance<P>();
        if (!instance) return fail(UMAMI_ERROR, "umami_initialize: out of memory");
        instance->config.sm = sm;
        instance->simd_path = path;
        instance->kernel = simd_kernel<P>(path);
        instance->gradient_kernel = simd_gradient_kernel<P>(path);
        filter_helicities<P>(instance->config);
        last_card_masses<P>(nullptr, &inputs);
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
        last_card_masses<P>(nullptr, &inputs);
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
            return fail(UMAMI_ERROR,
                        std::string("umami_get_parameter: unknown parameter '") + name + "'");
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
    Batch b = {count,   stride,  offset,  nullptr, nullptr, nullptr, nullptr,
               nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
    const int* flavor = nullptr;
    bool have_momenta = false;
    const bool* in_ok = supported_input_flags();
    for (size_t k = 0; k < input_count; ++k) {
        const int key = key_value(input_keys, k);
        if (key < 0 || key >= kInputKeyCount || !in_ok[key])
            return fail(
                UMAMI_ERROR_UNSUPPORTED_INPUT,
                "umami_matrix_element: input key " + std::to_string(key) + " is not supported");
        const void* data = inputs[k];
        switch (key) {
            case UMAMI_IN_MOMENTA:
                b.momenta = static_cast<const double*>(data);
                have_momenta = true;
                break;
            case UMAMI_IN_ALPHA_S: b.alpha_s = static_cast<const double*>(data); break;
            case UMAMI_IN_FLAVOR_INDEX: flavor = b.flavor = static_cast<const int*>(data); break;
            case UMAMI_IN_RANDOM_COLOR: b.random_color = static_cast<const double*>(data); break;
            case UMAMI_IN_RANDOM_HELICITY:
                b.random_helicity = static_cast<const double*>(data);
                break;
            case UMAMI_IN_RANDOM_DIAGRAM:
                b.random_diagram = static_cast<const double*>(data);
                break;
            default: break;
        }
    }
    const bool* out_ok = supported_output_flags<P>();
    void* stream_ptr = nullptr;
    GradientBatch gradients = {nullptr, {}, nullptr};
    bool want_gradients = false;
    for (size_t k = 0; k < output_count; ++k) {
        const int key = key_value(output_keys, k);
        if (key < 0 || key >= kOutputFlagCount || !out_ok[key])
            return fail(
                UMAMI_ERROR_UNSUPPORTED_OUTPUT,
                "umami_matrix_element: output key " + std::to_string(key) + " is not supported");
        void* data = outputs[k];
        switch (key) {
            case UMAMI_OUT_MATRIX_ELEMENT: b.matrix_element = static_cast<double*>(data); break;
            case UMAMI_OUT_DIAGRAM_AMP2: b.diagram_amp2 = static_cast<double*>(data); break;
            case UMAMI_OUT_COLOR_INDEX: b.color_index = static_cast<int*>(data); break;
            case UMAMI_OUT_HELICITY_INDEX: b.helicity_index = static_cast<int*>(data); break;
            case UMAMI_OUT_DIAGRAM_INDEX: b.diagram_index = static_cast<int*>(data); break;
            case UMAMI_OUT_GPU_STREAM: stream_ptr = data; break;
            case PYUMAMI_OUT_MOMENTUM_GRADIENT:
                gradients.momenta = static_cast<double*>(data);
                want_gradients = true;
                break;
            case PYUMAMI_OUT_PARAMETER_GRADIENT:
                gradients.all_parameters = static_cast<double*>(data);
                want_gradients = true;
                break;
            default:
                if (key >= PYUMAMI_OUT_PARAMETER_DERIVATIVE) {  // flagged, so below the count
                    gradients.parameters[key - PYUMAMI_OUT_PARAMETER_DERIVATIVE] =
                        static_cast<double*>(data);
                    want_gradients = true;
                }
                break;
        }
    }
    if (!have_momenta)
        return fail(UMAMI_ERROR_MISSING_INPUT, "umami_matrix_element: MOMENTA is required");
    if (count == 0) return UMAMI_SUCCESS;
    if (offset > stride || count > stride - offset)
        return fail(UMAMI_ERROR, "umami_matrix_element: offset + count exceeds stride");
    // Every given input/output pointer must be usable.
    for (size_t k = 0; k < input_count; ++k)
        if (!inputs[k]) return fail(UMAMI_ERROR, "umami_matrix_element: an input pointer is NULL");
    for (size_t k = 0; k < output_count; ++k)
        if (!outputs[k] && key_value(output_keys, k) != UMAMI_OUT_GPU_STREAM)
            return fail(UMAMI_ERROR, "umami_matrix_element: an output pointer is NULL");

    Instance<P>* instance = static_cast<Instance<P>*>(handle);
#ifndef REFME_CUDA
    (void)stream_ptr;
    if (flavor)
        for (size_t i = 0; i < count; ++i)
            if (flavor[offset + i] < 0 || flavor[offset + i] >= Flavors<P>::count)
                return fail(UMAMI_ERROR, "umami_matrix_element: FLAVOR_INDEX " +
                                             std::to_string(flavor[offset + i]) + " at event " +
                                             std::to_string(offset + i) +
                                             "; this process takes 0 to " +
                                             std::to_string(Flavors<P>::count - 1));
    // The gradient passes also write |M|^2 (the value part of their dual numbers); the
    // plain pass runs besides them only for the helicity, colour and diagram outputs.
    if (!want_gradients || b.diagram_amp2 || b.color_index || b.helicity_index || b.diagram_index)
        instance->kernel(&b, &instance->config, 0, count);
    if (want_gradients) instance->gradient_kernel(&b, &gradients, &instance->config, 0, count);
    return UMAMI_SUCCESS;
#else
    for (size_t k = 0; k < input_count; ++k)
        if (!is_device_pointer(inputs[k]))
            return fail(UMAMI_ERROR, "umami_matrix_element: input " +
                                         std::to_string(key_value(input_keys, k)) +
                                         " is not CUDA device memory (this is the CUDA library)");
    for (size_t k = 0; k < output_count; ++k)
        if (key_value(output_keys, k) != UMAMI_OUT_GPU_STREAM && !is_device_pointer(outputs[k]))
            return fail(UMAMI_ERROR, "umami_matrix_element: output " +
                                         std::to_string(key_value(output_keys, k)) +
                                         " is not CUDA device memory (this is the CUDA library)");
    cudaStream_t stream = static_cast<cudaStream_t>(stream_ptr);
    constexpr unsigned kThreads = 128;
    const unsigned blocks = static_cast<unsigned>((count + kThreads - 1) / kThreads);
    if (flavor) {
        if (!instance->device_flag &&
            cudaMalloc(&instance->device_flag, sizeof(int)) != cudaSuccess) {
            instance->device_flag = nullptr;
            return fail(UMAMI_ERROR, "umami_matrix_element: cudaMalloc failed");
        }
        int bad = 0;
        cudaMemsetAsync(instance->device_flag, 0, sizeof(int), stream);
        flavor_check_kernel<<<blocks, kThreads, 0, stream>>>(
            flavor, offset, count, Flavors<P>::count, instance->device_flag);
        cudaMemcpyAsync(&bad, instance->device_flag, sizeof(int), cudaMemcpyDeviceToHost, stream);
        const cudaError_t err = cudaStreamSynchronize(stream);
        if (err != cudaSuccess)
            return fail(UMAMI_ERROR,
                        std::string("umami_matrix_element: ") + cudaGetErrorString(err));
        if (bad)
            return fail(UMAMI_ERROR, "umami_matrix_element: FLAVOR_INDEX outside 0 to " +
                                         std::to_string(Flavors<P>::count - 1));
    }
    (void)want_gradients;  // the CUDA build offers no gradient outputs (gradient.h)
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

template <class P>
const char* instance_simd_path(UmamiHandle handle) {
    if (!handle) return nullptr;
    return simd_path_name(static_cast<const Instance<P>*>(handle)->simd_path);
}

REFME_END_NAMESPACE

// Emits the UMAMI entry points for process traits P (use once per library).
#define REFME_EXPORT_UMAMI(P)                                                                      \
    extern "C" {                                                                                   \
    REFME_EXPORT UmamiStatus umami_get_meta(UmamiMetaKey key, void* result) {                      \
        return refme::get_meta<P>(refme::key_value(&key, 0), result);                              \
    }                                                                                              \
    REFME_EXPORT UmamiStatus umami_supported_inputs(const bool** flags, int* count) {              \
        return refme::capability(refme::supported_input_flags(), refme::kInputKeyCount, flags,     \
                                 count);                                                           \
    }                                                                                              \
    REFME_EXPORT UmamiStatus umami_required_inputs(const bool** flags, int* count) {               \
        return refme::capability(refme::required_input_flags(), refme::kInputKeyCount, flags,      \
                                 count);                                                           \
    }                                                                                              \
    REFME_EXPORT UmamiStatus umami_supported_outputs(const bool** flags, int* count) {             \
        return refme::capability(refme::supported_output_flags<P>(), refme::kOutputFlagCount,      \
                                 flags, count);                                                    \
    }                                                                                              \
    REFME_EXPORT UmamiStatus umami_initialize(UmamiHandle* handle, char const* path) {             \
        return refme::initialize<P>(handle, path);                                                 \
    }                                                                                              \
    REFME_EXPORT UmamiStatus umami_set_parameter(UmamiHandle handle, char const* name, double re,  \
                                                 double im) {                                      \
        return refme::set_parameter<P>(handle, name, re, im);                                      \
    }                                                                                              \
    REFME_EXPORT UmamiStatus umami_get_parameter(UmamiHandle handle, char const* name, double* re, \
                                                 double* im) {                                     \
        return refme::get_parameter<P>(handle, name, re, im);                                      \
    }                                                                                              \
    REFME_EXPORT UmamiStatus umami_matrix_element(UmamiHandle handle, size_t count, size_t stride, \
                                                  size_t offset, size_t input_count,               \
                                                  UmamiInputKey const* input_keys,                 \
                                                  void const* const* inputs, size_t output_count,  \
                                                  UmamiOutputKey const* output_keys,               \
                                                  void* const* outputs) {                          \
        return refme::matrix_element<P>(handle, count, stride, offset, input_count, input_keys,    \
                                        inputs, output_count, output_keys, outputs);               \
    }                                                                                              \
    REFME_EXPORT UmamiStatus umami_free(UmamiHandle handle) {                                      \
        return refme::free_instance<P>(handle);                                                    \
    }                                                                                              \
    /* Extensions, not part of UMAMI: last error message of this thread; the CPU */                \
    /* path (scalar, avx2, avx512) of an instance; the paths this library and CPU can run. */      \
    REFME_EXPORT const char* refme_last_error(void) { return refme::last_error().c_str(); }        \
    REFME_EXPORT const char* refme_simd_path(UmamiHandle handle) {                                 \
        return refme::instance_simd_path<P>(handle);                                               \
    }                                                                                              \
    REFME_EXPORT const char* refme_simd_paths(void) { return refme::available_simd_paths<P>(); }   \
    }
#endif  // REFME_SIMD_KERNEL
#endif  // REFME_UMAMI_GLUE_H
