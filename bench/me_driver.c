/*
 * me_driver -- minimal C driver timing a CPU UMAMI library, without any host layer.
 *
 *   me_driver LIB.so BATCH THREADS REPEATS [--card PATH] [--masses M1,M2,...]
 *             [--momenta FILE]
 *
 * dlopens LIB.so, initialises one UMAMI instance per thread with the param card
 * PATH (NULL without --card), and takes BATCH phase-space points:
 *  - with --momenta, from FILE: BATCH x PARTICLE_COUNT x 4 doubles in the UMAMI layout
 *    (component slowest, then particle, event fastest; native byte order), so a caller
 *    (bench/me_throughput.py) times exactly its own points;
 *  - otherwise generated at sqrt(s) = 1500 GeV with the external masses: --masses, else
 *    the library's MASSES after umami_initialize (the card actually read), else all
 *    zero. Beams along +-z; final state from RAMBO (random massless momenta mapped
 *    onto the beam energy, then rescaled onto the mass shells; fixed seed).
 * Each of THREADS pthreads gets its own instance and a disjoint slice [offset,
 * offset + count) of the same arrays (stride = BATCH) and times REPEATS calls of
 * umami_matrix_element after one warm-up call. The last line is machine-readable:
 *   evals_per_s=<float> batch=<n> threads=<t> repeats=<r> seconds=<wall> me_sum=<checksum>
 *
 * Build: gcc -O2 -I umami_abi/include bench/me_driver.c -ldl -lpthread -lm -o build/bench/me_driver
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "umami.h"

typedef UmamiStatus (*get_meta_fn)(UmamiMetaKey, void*);
typedef UmamiStatus (*initialize_fn)(UmamiHandle*, char const*);
typedef UmamiStatus (*matrix_element_fn)(UmamiHandle, size_t, size_t, size_t, size_t,
                                         UmamiInputKey const*, void const* const*, size_t,
                                         UmamiOutputKey const*, void* const*);
typedef UmamiStatus (*free_fn)(UmamiHandle);

static const double kSqrtS = 1500.0;

static double root(double x) { return x > 0.0 ? sqrt(x) : 0.0; }

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

/* RAMBO's massive step: scales the massless momenta p (total energy sqrt_s, at rest)
   by xi so that sqrt(xi^2 E^2 + m^2) sums to sqrt_s (Newton's iteration), giving
   on-shell momenta with masses m. */
static void put_on_shell(int n, double sqrt_s, const double* m, double (*p)[4]) {
    double xi = 1.0;
    for (int it = 0; it < 100; ++it) {
        double f = -sqrt_s, df = 0.0;
        for (int k = 0; k < n; ++k) {
            const double e = root(xi * xi * p[k][0] * p[k][0] + m[k] * m[k]);
            f += e;
            if (e > 0.0) df += xi * p[k][0] * p[k][0] / e;
        }
        if (df == 0.0) break;
        const double next = xi - f / df;
        if (fabs(next - xi) < 1e-15 * xi) {
            xi = next;
            break;
        }
        xi = next;
    }
    for (int k = 0; k < n; ++k) {
        for (int c = 1; c < 4; ++c) p[k][c] *= xi;
        p[k][0] = root(xi * xi * p[k][0] * p[k][0] + m[k] * m[k]);
    }
}

/* Comma-separated masses into m[0..n-1]; returns how many were read. */
static int parse_masses(const char* text, double* m, int n_max) {
    int n = 0;
    const char* s = text;
    while (*s && n < n_max) {
        char* end = NULL;
        m[n++] = strtod(s, &end);
        if (end == s) return -1;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return n;
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
    double start, end; /* this thread's timed loop (monotonic clock, s) */
};

static int evaluate(struct Worker* w) {
    const UmamiInputKey in_keys[1] = {UMAMI_IN_MOMENTA};
    const void* inputs[1] = {w->momenta};
    const UmamiOutputKey out_keys[1] = {UMAMI_OUT_MATRIX_ELEMENT};
    void* outputs[1] = {w->me};
    return w->matrix_element(w->handle, w->count, w->stride, w->offset, 1, in_keys, inputs, 1,
                             out_keys, outputs);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Each thread clocks its own loop: the main thread may be descheduled while the
   workers run, so its clock would miss their start. */
static void* run_worker(void* arg) {
    struct Worker* w = (struct Worker*)arg;
    w->status = evaluate(w); /* warm-up: caches, lazy initialisation */
    pthread_barrier_wait(w->barrier);
    w->start = now();
    for (int r = 0; r < w->repeats && w->status == UMAMI_SUCCESS; ++r) w->status = evaluate(w);
    w->end = now();
    return NULL;
}

int main(int argc, char** argv) {
    const char* card = NULL;
    const char* masses_arg = NULL;
    const char* momenta_file = NULL;
    int positional = 0;
    char* args[4] = {NULL, NULL, NULL, NULL};
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--card") == 0 && i + 1 < argc) card = argv[++i];
        else if (strcmp(argv[i], "--masses") == 0 && i + 1 < argc) masses_arg = argv[++i];
        else if (strcmp(argv[i], "--momenta") == 0 && i + 1 < argc) momenta_file = argv[++i];
        else if (positional < 4 && argv[i][0] != '-') args[positional++] = argv[i];
        else positional = 99;
    }
    if (positional != 4) {
        fprintf(stderr,
                "usage: %s LIB.so BATCH THREADS REPEATS [--card PATH] [--masses M1,M2,...] "
                "[--momenta FILE]\n",
                argv[0]);
        return 2;
    }
    const size_t batch = strtoull(args[1], NULL, 10);
    const int threads = atoi(args[2]);
    const int repeats = atoi(args[3]);
    if (batch == 0 || threads <= 0 || repeats <= 0 || (size_t)threads > batch) {
        fprintf(stderr, "BATCH, THREADS, REPEATS must be positive and THREADS <= BATCH\n");
        return 2;
    }
    void* lib = dlopen(args[0], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "cannot load %s: %s\n", args[0], dlerror());
        return 1;
    }
    get_meta_fn get_meta = (get_meta_fn)dlsym(lib, "umami_get_meta");
    initialize_fn initialize = (initialize_fn)dlsym(lib, "umami_initialize");
    matrix_element_fn matrix_element = (matrix_element_fn)dlsym(lib, "umami_matrix_element");
    free_fn free_instance = (free_fn)dlsym(lib, "umami_free");
    if (!get_meta || !initialize || !matrix_element || !free_instance) {
        fprintf(stderr, "%s lacks a mandatory umami_ symbol\n", args[0]);
        return 1;
    }
    int device = -1, npar = 0;
    if (get_meta(UMAMI_META_DEVICE, &device) != UMAMI_SUCCESS || device != UMAMI_DEVICE_CPU) {
        fprintf(stderr, "%s is not a CPU library (device %d); this driver passes host memory\n",
                args[0], device);
        return 1;
    }
    if (get_meta(UMAMI_META_PARTICLE_COUNT, &npar) != UMAMI_SUCCESS || npar < 3 || npar > 18) {
        fprintf(stderr, "unsupported particle count %d\n", npar);
        return 1;
    }

    /* Instances first: MASSES describes the card read, known after umami_initialize. */
    UmamiHandle* handles = calloc((size_t)threads, sizeof(UmamiHandle));
    if (!handles) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (int t = 0; t < threads; ++t)
        if (initialize(&handles[t], card) != UMAMI_SUCCESS) {
            fprintf(stderr, "umami_initialize failed (param card %s)\n", card ? card : "NULL");
            return 1;
        }
    double masses[18] = {0};
    if (masses_arg) {
        if (parse_masses(masses_arg, masses, 18) != npar) {
            fprintf(stderr, "--masses needs %d comma-separated values\n", npar);
            return 2;
        }
    } else if (get_meta(UMAMI_META_MASSES, masses) != UMAMI_SUCCESS) {
        for (int k = 0; k < npar; ++k) masses[k] = 0.0;
        fprintf(stderr, "note: the library does not answer MASSES; massless points\n");
    }

    double* momenta = malloc(sizeof(double) * 4 * (size_t)npar * batch);
    double* me = malloc(sizeof(double) * batch);
    struct Worker* workers = calloc((size_t)threads, sizeof(struct Worker));
    pthread_t* ids = calloc((size_t)threads, sizeof(pthread_t));
    if (!momenta || !me || !workers || !ids) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (momenta_file) {
        FILE* f = fopen(momenta_file, "rb");
        const size_t n = 4 * (size_t)npar * batch;
        if (!f || fread(momenta, sizeof(double), n, f) != n) {
            fprintf(stderr, "cannot read %zu doubles from %s\n", n, momenta_file);
            return 1;
        }
        fclose(f);
    } else {
        uint64_t rng = 0x9E3779B97F4A7C15ULL;
        /* Beams: momentum k with E_i = sqrt(k^2 + m_i^2) summing to sqrt(s). */
        const double s = kSqrtS * kSqrtS, ma = masses[0], mb = masses[1];
        const double k_in =
            root((s - (ma + mb) * (ma + mb)) * (s - (ma - mb) * (ma - mb))) / (2 * kSqrtS);
        for (size_t i = 0; i < batch; ++i) {
            double p[18][4];
            p[0][0] = root(k_in * k_in + ma * ma); p[0][1] = p[0][2] = 0.0; p[0][3] = k_in;
            p[1][0] = root(k_in * k_in + mb * mb); p[1][1] = p[1][2] = 0.0; p[1][3] = -k_in;
            massless_final_state(npar - 2, kSqrtS, &rng, p + 2);
            put_on_shell(npar - 2, kSqrtS, masses + 2, p + 2);
            for (int k = 0; k < npar; ++k)
                for (int c = 0; c < 4; ++c) momenta[i + batch * (k + (size_t)npar * c)] = p[k][c];
        }
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
        w->handle = handles[t];
    }
    for (int t = 0; t < threads; ++t) pthread_create(&ids[t], NULL, run_worker, &workers[t]);
    pthread_barrier_wait(&barrier); /* all warmed up */
    int failed = 0;
    for (int t = 0; t < threads; ++t) pthread_join(ids[t], NULL);
    double start = workers[0].start, end = workers[0].end;
    for (int t = 1; t < threads; ++t) {
        start = workers[t].start < start ? workers[t].start : start;
        end = workers[t].end > end ? workers[t].end : end;
    }
    const double seconds = end - start;
    for (int t = 0; t < threads; ++t) {
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
    free(handles);
    return failed;
}
