// refme/simd.h -- Vec<L>: L doubles in one SIMD register, a number type of the core
// (number.h) that evaluates L events per instruction. CPU only.
//
// Built on GCC's vector extensions, so the compiler emits SSE, AVX2 or AVX-512 code
// from the same source according to the flags of the translation unit (the
// Makefile compiles each process once per instruction set). Every operation is
// the IEEE operation of each lane, with the same rounding as the scalar code
// (translation units are compiled with -ffp-contract=off: no fused multiply-add),
// so a lane gives exactly the bits of the double path; mul_add is the one exception,
// fused where the instruction set has FMA, as number.h's mul_add of double.
#ifndef REFME_SIMD_H
#define REFME_SIMD_H

#include <string.h>

#if defined(__AVX__) || defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

#include "number.h"

REFME_BEGIN_NAMESPACE

// GCC's vector types for L lanes (the attribute cannot take a template-dependent size).
template <int L>
struct VectorTypes;
template <>
struct VectorTypes<2> {
    typedef double V __attribute__((vector_size(16)));
    typedef long long M __attribute__((vector_size(16)));
};
template <>
struct VectorTypes<4> {
    typedef double V __attribute__((vector_size(32)));
    typedef long long M __attribute__((vector_size(32)));
};
template <>
struct VectorTypes<8> {
    typedef double V __attribute__((vector_size(64)));
    typedef long long M __attribute__((vector_size(64)));
};

template <int L>
struct VMask {
    typedef typename VectorTypes<L>::M M;
    M m;
    friend VMask operator&(VMask a, VMask b) { return VMask{a.m & b.m}; }
    friend VMask operator|(VMask a, VMask b) { return VMask{a.m | b.m}; }
    friend bool any_lane(VMask a) {
        for (int k = 0; k < L; ++k)
            if (a.m[k]) return true;
        return false;
    }
};

template <int L>
struct Vec {
    typedef typename VectorTypes<L>::V V;
    V v;

    Vec() = default;
    Vec(double s) : v(V{} + s) {}  // NOLINT: implicit broadcast, as number.h requires
    explicit Vec(V x) : v(x) {}

    friend Vec operator+(Vec a, Vec b) { return Vec(a.v + b.v); }
    friend Vec operator-(Vec a, Vec b) { return Vec(a.v - b.v); }
    friend Vec operator*(Vec a, Vec b) { return Vec(a.v * b.v); }
    friend Vec operator/(Vec a, Vec b) { return Vec(a.v / b.v); }
    friend Vec operator-(Vec a) { return Vec(-a.v); }
    Vec& operator+=(Vec b) {
        v += b.v;
        return *this;
    }
    Vec& operator-=(Vec b) {
        v -= b.v;
        return *this;
    }
    Vec& operator*=(Vec b) {
        v *= b.v;
        return *this;
    }
    friend VMask<L> operator<(Vec a, Vec b) { return VMask<L>{a.v < b.v}; }
    friend VMask<L> operator<=(Vec a, Vec b) { return VMask<L>{a.v <= b.v}; }
    friend VMask<L> operator>(Vec a, Vec b) { return VMask<L>{a.v > b.v}; }
    friend VMask<L> operator>=(Vec a, Vec b) { return VMask<L>{a.v >= b.v}; }
    friend VMask<L> operator==(Vec a, Vec b) { return VMask<L>{a.v == b.v}; }
    friend VMask<L> operator!=(Vec a, Vec b) { return VMask<L>{a.v != b.v}; }
    friend Vec where(VMask<L> m, Vec a, Vec b) { return Vec(m.m ? a.v : b.v); }
    // a * b + c: fused (one rounding) where the instruction set has it, see number.h.
    friend REFME_ALWAYS_INLINE Vec mul_add(Vec a, Vec b, Vec c) {
#if defined(__AVX512F__)
        if constexpr (L == 8) return Vec(_mm512_fmadd_pd(a.v, b.v, c.v));
#endif
#if defined(__FMA__)
        if constexpr (L == 4) return Vec(_mm256_fmadd_pd(a.v, b.v, c.v));
        if constexpr (L == 2) return Vec(_mm_fmadd_pd(a.v, b.v, c.v));
#endif
        return Vec(a.v * b.v + c.v);
    }

    friend Vec sqrt(Vec a) {
#if defined(__AVX512F__)
        // _mm512_sqrt_pd with the source as the (unused, all lanes set) pass-through:
        // GCC 12 warns about the intrinsic's own undefined pass-through.
        if constexpr (L == 8)
            return Vec(
                __builtin_ia32_sqrtpd512_mask(a.v, a.v, (__mmask8)-1, _MM_FROUND_CUR_DIRECTION));
#endif
#if defined(__AVX__)
        if constexpr (L == 4) return Vec(_mm256_sqrt_pd(a.v));
#endif
        Vec r;
        for (int k = 0; k < L; ++k) r.v[k] = __builtin_sqrt(a.v[k]);
        return r;
    }
    friend Vec fabs(Vec a) {
        Vec r;
        for (int k = 0; k < L; ++k) r.v[k] = __builtin_fabs(a.v[k]);
        return r;
    }
};

// L consecutive events, unaligned: a batch may start at any offset.
template <int L>
struct Lanes<Vec<L>> {
    static constexpr int size = L;
    static Vec<L> load(const double* p) {
        Vec<L> r;
        memcpy(&r.v, p, sizeof(r.v));
        return r;
    }
    static void store(double* p, Vec<L> v) { memcpy(p, &v.v, sizeof(v.v)); }
    static double get(Vec<L> v, int k) { return v.v[k]; }
};

REFME_END_NAMESPACE

#endif  // REFME_SIMD_H
