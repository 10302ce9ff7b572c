// refme/config.h -- compile-time switches shared by every header of the core.
//
// The physics is written once and compiled several times: by g++ for the CPU (once
// per instruction set, see REFME_ISA below) and by nvcc (with `-x cu`) for CUDA.
// REFME_HD marks every function that must exist on both sides; REFME_CUDA is
// defined only in the CUDA build.
#ifndef REFME_CONFIG_H
#define REFME_CONFIG_H

#if defined(__CUDACC__)
#define REFME_HD __host__ __device__
#define REFME_CUDA 1
#else
#define REFME_HD
#endif

// One library links the same headers compiled for several instruction sets (the
// dispatch of umami_glue.h). Every header therefore opens the inline namespace
// refme::REFME_ISA, so that the inline functions of an AVX-512 object can never be
// merged by the linker with those of the baseline object and run on a CPU without
// AVX-512. Sources name everything as refme::..., the inline namespace is invisible.
#ifndef REFME_ISA
#define REFME_ISA isa_base
#endif
// Small operations whose operands and result would otherwise go through memory (a call
// costs several times their arithmetic for SIMD vectors and dual numbers).
#ifdef __CUDACC__
#define REFME_ALWAYS_INLINE __forceinline__
#else
#define REFME_ALWAYS_INLINE __attribute__((always_inline)) inline
#endif

#define REFME_BEGIN_NAMESPACE \
    namespace refme {         \
    inline namespace REFME_ISA {
#define REFME_END_NAMESPACE \
    }                       \
    }

#endif  // REFME_CONFIG_H
