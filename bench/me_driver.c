/*
 * me_driver -- minimal C driver timing a CPU UMAMI library, without any host layer.
 *
 *   me_driver LIB.so BATCH THREADS REPEATS
 *
 * dlopens LIB.so, generates BATCH massless phase-space points at sqrt(s) = 1500 GeV
 * (beams along +-z; final state: random massless momenta mapped onto the beam
 * energy with RAMBO's conformal transformation, fixed seed), gives each of
 * THREADS pthreads its own UMAMI instance and a disjoint slice [offset,
 * offset + count) of the same arrays (stride = BATCH), and times REPEATS calls of
 * umami_matrix_element per thread after one warm-up call. The last line is
 * machine-readable:
 *   evals_per_s=<float> batch=<n> threads=<t> repeats=<r> seconds=<wall> me_sum=<checksum>
 *
 * Build: gcc -O2 -I umami_abi/include bench/me_driver.c -ldl -lpthread -o build/bench/me_driver
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "umami.h"

typedef UmamiStatus (*get_meta_fn)(UmamiMetaKey, void*);
typedef UmamiStatus (*initialize_fn)(UmamiHandle*, char const*);
typedef UmamiStatus (*matrix_element_fn)(UmamiHandle, size_t, size_t, size_t, size_t,
                                         UmamiInputKey const*, void const* const*, size_t,
                                         UmamiOutputKey const*, void* const*);
typedef UmamiStatus (*free_fn)(UmamiHandle);

static const double kSqrtS = 1500.0;

/* The documented build line links no libm, so the few square roots of the setup
   are done here (Newton's iteration; not on the timed path). */
static double root(double x) {
    if (!(x > 0.0)) return 0.0;
    double r = x > 1.0 ? x : 1.0;
    for (int i = 0; i < 200; ++i) {
        const double next = 0.5 * (r + x / r);
        if (next == r) break;
        r = next;
    }
    return r;
}

/* xorshift64*: enough for test kinematics, reproducible everywhere. */
static double uniform(uint64_t* state) {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (double)((*state * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

/* n massless momenta with total (sqrt_s, 0, 0, 0): random directions (rejection
   in the unit ball) and energies, then RAMBO's boost-and-scale to the rest frame of
   the sum, which keeps every momentum massless; writes p[k][0..3]. */
static void massless_final_state(int n, double sqrt_s, uint64_t* rng, double (*p)[4]) {
    double q[16][4], r[4] = {0, 0, 0, 0};
    for (int k = 0; k < n; ++k) {
        double v[3], norm2;
        do {
            for (int m = 0; m < 3; ++m) v[m] = 2.0 * uniform(rng) - 1.0;
            norm2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
        } while (norm2 > 1.0 || norm2 < 1e-6);
        const double e = 0.05 + uniform(rng), scale = e / root(norm2);
        q[k][0] = e;
        for (int m = 0; m < 3; ++m) q[k][m + 1] = v[m] * scale;
        for (int m = 0; m < 4; ++m) r[m] += q[k][m];
    }
    const double rmass = root(r[0] * r[0] - r[1] * r[1] - r[2] * r[2] - r[3] * r[3]);
    const double b[3] = {-r[1] / rmass, -r[2] / rmass, -r[3] / rmass};
    const double g = r[0] / rmass, a = 1.0 / (1.0 + g), x = sqrt_s / rmass;
    for (int k = 0; k < n; ++k) {
        const double bq = b[0] * q[k][1] + b[1] * q[k][2] + b[2] * q[k][3];
        p[k][0] = x * (g * q[k][0] + bq);
        for (int m = 1; m < 4; ++m) p[k][m] = x * (q[k][m] + b[m - 1] * (q[k][0] + a * bq));
    }
}

struct Worker {
    matrix_element_fn matrix_element;
    UmamiHandle handle;
    const double* momenta;
    double* me;
    size_t stride, offset, count;
    int repeats;
    pthread_barrier_t* barrier;
    int status;
};

static int evaluate(struct Worker* w) {
    const UmamiInputKey in_keys[1] = {UMAMI_IN_MOMENTA};
    const void* inputs[1] = {w->momenta};
    const UmamiOutputKey out_keys[1] = {UMAMI_OUT_MATRIX_ELEMENT};
    void* outputs[1] = {w->me};
    return w->matrix_element(w->handle, w->count, w->stride, w->offset, 1, in_keys, inputs, 1,
                             out_keys, outputs);
}

static void* run_worker(void* arg) {
    struct Worker* w = (struct Worker*)arg;
    w->status = evaluate(w); /* warm-up: caches, lazy initialisation */
    pthread_barrier_wait(w->barrier);
    for (int r = 0; r < w->repeats && w->status == UMAMI_SUCCESS; ++r) w->status = evaluate(w);
    pthread_barrier_wait(w->barrier);
    return NULL;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s LIB.so BATCH THREADS REPEATS\n", argv[0]);
        return 2;
    }
    const size_t batch = strtoull(argv[2], NULL, 10);
    const int threads = atoi(argv[3]);
    const int repeats = atoi(argv[4]);
    if (batch == 0 || threads <= 0 || repeats <= 0 || (size_t)threads > batch) {
        fprintf(stderr, "BATCH, THREADS, REPEATS must be positive and THREADS <= BATCH\n");
        return 2;
    }
    void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
        return 1;
    }
    get_meta_fn get_meta = (get_meta_fn)dlsym(lib, "umami_get_meta");
    initialize_fn initialize = (initialize_fn)dlsym(lib, "umami_initialize");
    matrix_element_fn matrix_element = (matrix_element_fn)dlsym(lib, "umami_matrix_element");
    free_fn free_instance = (free_fn)dlsym(lib, "umami_free");
    if (!get_meta || !initialize || !matrix_element || !free_instance) {
        fprintf(stderr, "%s lacks a mandatory umami_ symbol\n", argv[1]);
        return 1;
    }
    int device = -1, npar = 0;
    if (get_meta(UMAMI_META_DEVICE, &device) != UMAMI_SUCCESS || device != UMAMI_DEVICE_CPU) {
        fprintf(stderr, "%s is not a CPU library (device %d); this driver passes host memory\n",
                argv[1], device);
        return 1;
    }
    if (get_meta(UMAMI_META_PARTICLE_COUNT, &npar) != UMAMI_SUCCESS || npar < 3 || npar > 18) {
        fprintf(stderr, "unsupported particle count %d\n", npar);
        return 1;
    }

    double* momenta = malloc(sizeof(double) * 4 * (size_t)npar * batch);
    double* me = malloc(sizeof(double) * batch);
    struct Worker* workers = calloc((size_t)threads, sizeof(struct Worker));
    pthread_t* ids = calloc((size_t)threads, sizeof(pthread_t));
    if (!momenta || !me || !workers || !ids) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < batch; ++i) {
        double p[18][4];
        p[0][0] = p[0][3] = kSqrtS / 2; p[0][1] = p[0][2] = 0.0;
        p[1][0] = kSqrtS / 2; p[1][3] = -kSqrtS / 2; p[1][1] = p[1][2] = 0.0;
        massless_final_state(npar - 2, kSqrtS, &rng, p + 2);
        for (int k = 0; k < npar; ++k)
            for (int c = 0; c < 4; ++c) momenta[i + batch * (k + (size_t)npar * c)] = p[k][c];
    }

    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1);
    for (int t = 0; t < threads; ++t) {
        struct Worker* w = &workers[t];
        w->matrix_element = matrix_element;
        w->momenta = momenta;
        w->me = me;
        w->stride = batch;
        w->offset = batch * (size_t)t / (size_t)threads;
        w->count = batch * (size_t)(t + 1) / (size_t)threads - w->offset;
        w->repeats = repeats;
        w->barrier = &barrier;
        if (initialize(&w->handle, NULL) != UMAMI_SUCCESS) {
            fprintf(stderr, "umami_initialize failed\n");
            return 1;
        }
    }
    for (int t = 0; t < threads; ++t) pthread_create(&ids[t], NULL, run_worker, &workers[t]);
    pthread_barrier_wait(&barrier); /* all warmed up */
    const double start = now();
    pthread_barrier_wait(&barrier); /* all done */
    const double seconds = now() - start;
    int failed = 0;
    for (int t = 0; t < threads; ++t) {
        pthread_join(ids[t], NULL);
        if (workers[t].status != UMAMI_SUCCESS) {
            fprintf(stderr, "thread %d: umami_matrix_element returned %d\n", t, workers[t].status);
            failed = 1;
        }
        free_instance(workers[t].handle);
    }
    double checksum = 0.0;
    for (size_t i = 0; i < batch; ++i) checksum += me[i];
    const double evals = (double)batch * repeats;
    printf("evals_per_s=%.6g batch=%zu threads=%d repeats=%d seconds=%.6f me_sum=%.17g\n",
           evals / seconds, batch, threads, repeats, seconds, checksum);
    pthread_barrier_destroy(&barrier);
    free(momenta);
    free(me);
    free(workers);
    free(ids);
    return failed;
}
