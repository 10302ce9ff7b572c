/*
 * umami.h -- the UMAMI ABI (Unified MAtrix eleMent Interface), version 1.0.
 *
 * This header is pyumami's single source of truth for the ABI: the Python host
 * derives its FFI declarations from the block between UMAMI_CDEF_BEGIN and
 * UMAMI_CDEF_END (no preprocessor directives may appear inside that block), and
 * the reference providers in ref_me/ implement exactly these declarations.
 *
 * Binary compatibility with MadSpace and MadGraph's CUDACPP libraries means: the
 * same function names and signatures, the same integer value for every enum
 * constant (plain C ints, counted from 0 in the order written here), and the same
 * memory layout of inputs and outputs (below).
 *
 * Memory layout (column-major, batch index contiguous). For event i in
 * [0, count), with npar = the library's PARTICLE_COUNT:
 *   momenta           in[offset + i + stride * (particle + npar * component)]
 *                     component 0..3 = E, px, py, pz in GeV
 *   per-event scalar  buf[offset + i]       (alpha_s, randoms, indices, the ME)
 *   DIAGRAM_AMP2      out[offset + i + stride * diagram]
 * `stride` is the allocated batch length of every array (>= offset + count);
 * offset and count let several threads work on disjoint slices of the same
 * arrays. The caller allocates every output; a library never writes outside
 * [offset, offset + count) of any array. On a CUDA/HIP library every pointer is a
 * device pointer.
 *
 * Version policy: between minor versions only new keys (statuses, devices, meta,
 * inputs, outputs) are appended. A caller treats an unknown key or status as
 * "unsupported", never as a crash.
 *
 * Status drift: the first published header had no UMAMI_ERROR_UNINITIALIZED_META,
 * so there UNSUPPORTED_META was 5 and MISSING_INPUT was 6 (MadGraph's CUDACPP
 * libraries still use that numbering). A host that cannot know which header a
 * library was built with must report statuses 5 and 6 under both readings.
 */
#ifndef UMAMI_H
#define UMAMI_H

#include <stdbool.h>
#include <stddef.h>

#define UMAMI_MAJOR_VERSION 1
#define UMAMI_MINOR_VERSION 0

#ifdef __cplusplus
extern "C" {
#endif

/* UMAMI_CDEF_BEGIN */

/* Return value of every entry point. */
typedef enum {
    UMAMI_SUCCESS = 0,
    /* unspecified failure (bad argument, invalid card, ...) */
    UMAMI_ERROR = 1,
    /* the entry point or feature is not implemented by this library */
    UMAMI_ERROR_NOT_IMPLEMENTED = 2,
    /* an input key is not supported by this library */
    UMAMI_ERROR_UNSUPPORTED_INPUT = 3,
    /* an output key is not supported by this library */
    UMAMI_ERROR_UNSUPPORTED_OUTPUT = 4,
    /* the metadata key is valid but not known before umami_initialize */
    UMAMI_ERROR_UNINITIALIZED_META = 5,
    /* the metadata key is not supported by this library */
    UMAMI_ERROR_UNSUPPORTED_META = 6,
    /* a required input was not given */
    UMAMI_ERROR_MISSING_INPUT = 7
} UmamiStatus;

/* Where a library's pointers live. */
typedef enum {
    UMAMI_DEVICE_CPU = 0,
    UMAMI_DEVICE_CUDA = 1,
    UMAMI_DEVICE_HIP = 2
} UmamiDevice;

/* Metadata keys for umami_get_meta; the result type is written through `result`. */
typedef enum {
    /* UmamiDevice (an int) */
    UMAMI_META_DEVICE = 0,
    /* int: number of external particles, incoming first */
    UMAMI_META_PARTICLE_COUNT = 1,
    /* int: number of Feynman diagrams (length of DIAGRAM_AMP2) */
    UMAMI_META_DIAGRAM_COUNT = 2,
    /* int: number of helicity combinations */
    UMAMI_META_HELICITY_COUNT = 3,
    /* int: number of colour flows */
    UMAMI_META_COLOR_COUNT = 4,
    /* double[particle count]: external masses in GeV; may answer
       UMAMI_ERROR_UNINITIALIZED_META before the first umami_initialize */
    UMAMI_META_MASSES = 5
} UmamiMetaKey;

/* Per-event inputs of umami_matrix_element. */
typedef enum {
    /* double, (particles, 4) per event, GeV; layout above; required */
    UMAMI_IN_MOMENTA = 0,
    /* double: strong coupling alpha_s */
    UMAMI_IN_ALPHA_S = 1,
    /* int: flavour combination index */
    UMAMI_IN_FLAVOR_INDEX = 2,
    /* double in [0, 1): random number for the colour-flow choice */
    UMAMI_IN_RANDOM_COLOR = 3,
    /* double in [0, 1): random number for the helicity choice */
    UMAMI_IN_RANDOM_HELICITY = 4,
    /* double in [0, 1): random number for the diagram choice */
    UMAMI_IN_RANDOM_DIAGRAM = 5,
    /* int: fixed helicity combination (zero-based) */
    UMAMI_IN_HELICITY_INDEX = 6,
    /* unsigned int: fixed diagram (zero-based) */
    UMAMI_IN_DIAGRAM_INDEX = 7,
    /* unsigned int: integration channel (zero-based) */
    UMAMI_IN_CHANNEL_INDEX = 8
} UmamiInputKey;

/* Per-event outputs of umami_matrix_element. */
typedef enum {
    /* double: |M|^2 summed over final and averaged over initial helicities and
       colours, with identical-particle factors; GeV^(4 - 2 n) for 2 -> n */
    UMAMI_OUT_MATRIX_ELEMENT = 0,
    /* double, (diagram count) per event: multi-channel weights, sum 1 */
    UMAMI_OUT_DIAGRAM_AMP2 = 1,
    /* int: selected colour flow, zero-based */
    UMAMI_OUT_COLOR_INDEX = 2,
    /* int: selected helicity combination, zero-based */
    UMAMI_OUT_HELICITY_INDEX = 3,
    /* int: selected diagram, zero-based */
    UMAMI_OUT_DIAGRAM_INDEX = 4,
    /* a CUDA/HIP stream handle passed in the outputs array as a mutable
       pointer (not a per-event array): the stream to run on */
    UMAMI_OUT_GPU_STREAM = 5
} UmamiOutputKey;

/* pyumami's vendor extensions: gradients of the matrix element. Their keys start
   at 1000, so they never collide with standard keys (counted from 0 and only
   appended). A host that does not know them never passes them; a library that
   does not offer them answers UNSUPPORTED_META / UNSUPPORTED_OUTPUT. A library
   that offers them advertises the outputs through umami_supported_outputs
   (a flags array running up to PYUMAMI_OUT_PARAMETER_DERIVATIVE + the gradient
   parameter count). */
typedef enum {
    /* int: number of model parameters PYUMAMI_OUT_PARAMETER_GRADIENT differentiates */
    PYUMAMI_META_GRADIENT_PARAMETER_COUNT = 1000,
    /* const char* const*: their param-card names, a static array of that length */
    PYUMAMI_META_GRADIENT_PARAMETER_NAMES = 1001
} PyumamiMetaKey;

typedef enum {
    /* double, (particles, 4) per event: d|M|^2/dp of each component (E, px, py,
       pz of every particle, taken as independent variables); layout of MOMENTA */
    PYUMAMI_OUT_MOMENTUM_GRADIENT = 1000,
    /* double, (gradient parameter count) per event: d|M|^2/d(parameter) in the
       order of PYUMAMI_META_GRADIENT_PARAMETER_NAMES; out[offset + i + stride * k] */
    PYUMAMI_OUT_PARAMETER_GRADIENT = 1001,
    /* double, per event: d|M|^2/d(parameter k) under the key
       PYUMAMI_OUT_PARAMETER_DERIVATIVE + k, k the parameter's position in
       PYUMAMI_META_GRADIENT_PARAMETER_NAMES; each key advertised on its own. Only the
       parameters asked are differentiated, so one costs less than all of them. */
    PYUMAMI_OUT_PARAMETER_DERIVATIVE = 1002
} PyumamiOutputKey;

/* An independent matrix-element instance; one per thread gives thread safety. */
typedef void* UmamiHandle;

/* Metadata of the library (no handle). */
UmamiStatus umami_get_meta(UmamiMetaKey meta_key, void* result);

/* Capability queries (optional; newer libraries). Each sets *flags to a static
   array of *count bools indexed by key. */
UmamiStatus umami_supported_inputs(const bool** flags, int* count);
UmamiStatus umami_required_inputs(const bool** flags, int* count);
UmamiStatus umami_supported_outputs(const bool** flags, int* count);

/* Create an independent instance reading the SLHA param card at the path. */
UmamiStatus umami_initialize(UmamiHandle* handle, char const* param_card_path);

/* Model parameters by param-card name; `parameter_imag` may be NULL for real
   parameters. Optional: may answer UMAMI_ERROR_NOT_IMPLEMENTED. */
UmamiStatus umami_set_parameter(
    UmamiHandle handle,
    char const* name,
    double parameter_real,
    double parameter_imag
);
UmamiStatus umami_get_parameter(
    UmamiHandle handle,
    char const* name,
    double* parameter_real,
    double* parameter_imag
);

/* Evaluate events [offset, offset + count) of arrays of batch length `stride`.
   inputs[k] holds the data of input_keys[k], outputs[k] receives output_keys[k]. */
UmamiStatus umami_matrix_element(
    UmamiHandle handle,
    size_t count,
    size_t stride,
    size_t offset,
    size_t input_count,
    UmamiInputKey const* input_keys,
    void const* const* inputs,
    size_t output_count,
    UmamiOutputKey const* output_keys,
    void* const* outputs
);

/* Release an instance. */
UmamiStatus umami_free(UmamiHandle handle);

/* UMAMI_CDEF_END */

#ifdef __cplusplus
}
#endif

#endif /* UMAMI_H */
