// refme/config.h -- compile-time switches shared by every header of the core.
//
// The physics is written once and compiled twice: by g++ for the CPU and by nvcc
// (with `-x cu`) for CUDA. REFME_HD marks every function that must exist on both
// sides; REFME_CUDA is defined only in the CUDA build.
#ifndef REFME_CONFIG_H
#define REFME_CONFIG_H

#if defined(__CUDACC__)
#define REFME_HD __host__ __device__
#define REFME_CUDA 1
#else
#define REFME_HD
#endif

#define REFME_INLINE inline

namespace refme {

// Upper bounds used to size fixed arrays inside per-event code (no heap on the device).
constexpr int kMaxParticles = 8;

}  // namespace refme

#endif  // REFME_CONFIG_H
