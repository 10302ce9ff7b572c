# pyumami -- build, install, test.  `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BUILD ?= build
NPROC := $(shell nproc 2>/dev/null || echo 2)
# One job per core unless the caller chose (`make -j1`): the libraries are independent
# objects (three per process: baseline, AVX2, AVX-512) and a serial build takes ~20 min.
# (top level only: a sub-make shares its parent's jobs)
ifeq ($(MAKELEVEL)$(filter -j%,$(MAKEFLAGS)),0)
MAKEFLAGS += -j$(NPROC)
endif

CXX ?= g++
CC ?= gcc
NVCC ?= $(shell command -v nvcc 2>/dev/null)
ABI_INC := umami_abi/include

# --- reference matrix-element libraries (ref_me/) ---------------------------
# Hand-written processes live in ref_me/processes/<name>.cc; the QCD processes with
# many diagrams are generated into $(BUILD)/gen/<name>.cc by ref_me/qcdgen (stdlib Python).
GENERATED_PROCESSES := gg_ttxg gg_ttxgg
PROCESSES := ee_mumu gg_ttx qq_ttx $(GENERATED_PROCESSES)
QCDGEN := $(wildcard ref_me/qcdgen/*.py)
REF_INC := ref_me/include
REF_HEADERS := $(wildcard $(REF_INC)/refme/*.h) $(ABI_INC)/umami.h
# -ffp-contract=off: no fused multiply-add, so every CPU path rounds exactly as the scalar one.
# -fno-tree-vectorize: GCC 12's auto-vectorizer turns complex products of the scalar code into
# vfmaddsub (fused, despite -ffp-contract=off) under -mavx512f, which made the AVX-512 object's
# scalar tail differ from the scalar path by an ulp; the SIMD paths are explicit vector code.
CXXFLAGS_REF ?= -O3 -std=c++17 -fPIC -fvisibility=hidden -Wall -Wextra -fno-math-errno -ffp-contract=off -fno-tree-vectorize
# The baseline every object targets; SIMD objects add their instruction set on top, and
# the library picks one at run time (docs/ref_me.md). No -march=native: the .so must
# run on any x86-64-v2 CPU.
REF_ARCH ?= -march=x86-64-v2
# Instruction sets compiled in besides the scalar path: flags and lanes (doubles).
SIMD_ISAS ?= $(if $(filter x86_64,$(shell uname -m)),avx2 avx512)
SIMD_FLAGS_avx2 := -mavx2
SIMD_LANES_avx2 := 4
SIMD_FLAGS_avx512 := -mavx512f
SIMD_LANES_avx512 := 8
# Directories holding process sources <name>.cc (hand-written, generated).
REF_SRC_DIRS := ref_me/processes $(BUILD)/gen
NVCCFLAGS_REF ?= -O3 -std=c++17 -Xcompiler -fPIC -Xcompiler -fvisibility=hidden -x cu --expt-relaxed-constexpr \
                 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90

CPU_LIBS := $(PROCESSES:%=$(BUILD)/lib/libref_%.so)
CUDA_LIBS := $(if $(NVCC),$(PROCESSES:%=$(BUILD)/lib/libref_%_cuda.so))

# --- deliberately small providers used by the tests (tests/fixtures/*.c) ------
FIXTURE_SRCS := $(wildcard tests/fixtures/*.c)
FIXTURE_LIBS := $(FIXTURE_SRCS:tests/fixtures/%.c=$(BUILD)/fixtures/lib%.so)
CFLAGS_FIXTURE ?= -O1 -std=c99 -fPIC -Wall -Wextra -pedantic

.SECONDEXPANSION:
# Keep the per-instruction-set objects: relinking a library should not recompile them.
.PRECIOUS: $(BUILD)/obj/%.base.o $(SIMD_ISAS:%=$(BUILD)/obj/\%.%.o)
.PHONY: all help install libs cpu-libs cuda-libs fixtures demo test test-slow test-sanitize lint lint-cxx format bench pdf-set clean distclean

all: install

help:
	@echo "make install    create $(VENV), install pyumami editable with test extras, build every library"
	@echo "make libs       build the reference UMAMI libraries into $(BUILD)/lib (CUDA ones if nvcc is found)"
	@echo "make demo       the main job: 10,000 unweighted p p > t t~ events at 13 TeV (LHE, npy, plots in demo_output/)"
	@echo "make test       the test suite (fast; no GPU needed)"
	@echo "make test-slow  the slow tests (marked 'slow')"
	@echo "make test-sanitize  the reference libraries under ASan + UBSan, with their tests (slow)"
	@echo "make lint       ruff (lint + format check) and mypy"
	@echo "make lint-cxx   clang-format check of the C/C++ sources (needs clang-format)"
	@echo "make format     apply ruff's formatter to the Python code"
	@echo "make bench      the benchmarks in bench/"
	@echo "make pdf-set    SLOW (over an hour on a shared 2-core machine): re-evolve the shipped PDF set with eko"
	@echo "make clean      remove build outputs"

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# The CUDA build is optional: an nvcc that cannot build it (too old for sm_90, say)
# warns here instead of stopping the installation; `make cuda-libs` shows the error.
install: $(VENV)/.installed cpu-libs fixtures
	@$(if $(NVCC),$(MAKE) --no-print-directory cuda-libs || echo "warning: CUDA libraries not built (see \`make cuda-libs\`); CPU libraries are ready",true)

libs: cpu-libs cuda-libs
cpu-libs: $(CPU_LIBS)
cuda-libs: $(CUDA_LIBS)

# A CPU library: the baseline object (entry points, scalar path, dispatch) and one
# object per SIMD instruction set, each holding only its event loop.
$(BUILD)/lib/libref_%.so: $(BUILD)/obj/%.base.o $(SIMD_ISAS:%=$(BUILD)/obj/$$*.%.o)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS_REF) -shared -o $@ $^

define ref_objects_from
$(BUILD)/obj/%.base.o: $(1)/%.cc $(REF_HEADERS)
	@mkdir -p $$(@D)
	$$(CXX) $$(CXXFLAGS_REF) $$(REF_ARCH) $(if $(SIMD_ISAS),-DREFME_DISPATCH) -I$$(ABI_INC) -I$$(REF_INC) -c -o $$@ $$<
$(foreach isa,$(SIMD_ISAS),
$(BUILD)/obj/%.$(isa).o: $(1)/%.cc $(REF_HEADERS)
	@mkdir -p $$(@D)
	$$(CXX) $$(CXXFLAGS_REF) $$(REF_ARCH) $(SIMD_FLAGS_$(isa)) -DREFME_ISA=isa_$(isa) -DREFME_SIMD_KERNEL=refme_kernel_$(isa) -DREFME_SIMD_LANES=$(SIMD_LANES_$(isa)) -I$$(ABI_INC) -I$$(REF_INC) -c -o $$@ $$<
)
endef
$(foreach dir,$(REF_SRC_DIRS),$(eval $(call ref_objects_from,$(dir))))

COMPILE_CUDA = $(NVCC) $(NVCCFLAGS_REF) -I$(ABI_INC) -I$(REF_INC) -shared -o $@ $<

$(BUILD)/lib/libref_%_cuda.so: ref_me/processes/%.cc $(REF_HEADERS)
	@mkdir -p $(@D)
	$(COMPILE_CUDA)

$(GENERATED_PROCESSES:%=$(BUILD)/gen/%.cc): $(BUILD)/gen/%.cc: $(QCDGEN)
	@mkdir -p $(@D)
	PYTHONPATH=. $(PYTHON) -m ref_me.qcdgen $* -o $@

$(GENERATED_PROCESSES:%=$(BUILD)/lib/libref_%_cuda.so): $(BUILD)/lib/libref_%_cuda.so: $(BUILD)/gen/%.cc $(REF_HEADERS)
	@mkdir -p $(@D)
	$(COMPILE_CUDA)

# Two libraries linked against a dependency of one file name without SONAME from two
# directories (tests/fixtures/isolation/), as MadGraph's process libraries are.
ISOLATION_LIBS := $(BUILD)/fixtures/dep_a/libtoydep.so $(BUILD)/fixtures/dep_b/libtoydep.so \
                  $(BUILD)/fixtures/libshared_dep_a.so $(BUILD)/fixtures/libshared_dep_b.so
TOYDEP_SCALE_a := 2.0
TOYDEP_SCALE_b := 3.0

fixtures: $(FIXTURE_LIBS) $(ISOLATION_LIBS)

$(BUILD)/fixtures/dep_%/libtoydep.so: tests/fixtures/isolation/toydep.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_FIXTURE) -DTOYDEP_SCALE=$(TOYDEP_SCALE_$*) -shared -o $@ $<

$(BUILD)/fixtures/libshared_dep_%.so: tests/fixtures/isolation/shared_dep.c $(BUILD)/fixtures/dep_%/libtoydep.so \
		tests/fixtures/toy_provider.h $(ABI_INC)/umami.h
	$(CC) $(CFLAGS_FIXTURE) -I$(ABI_INC) -Itests/fixtures -shared -o $@ $< \
		-L$(BUILD)/fixtures/dep_$* -ltoydep -Wl,-rpath,'$$ORIGIN/dep_$*' -lm

$(BUILD)/fixtures/lib%.so: tests/fixtures/%.c $(wildcard tests/fixtures/*.h) $(ABI_INC)/umami.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_FIXTURE) -I$(ABI_INC) -shared -o $@ $< -lm -lpthread

# The main job: 10,000 unweighted p p > t t~ events at 13 TeV (docs/generation.md);
# `pyumami demo` still prints a few matrix elements.
demo: install
	$(PY) -m pyumami generate examples/pp_ttx_13tev.toml

test: install
	$(PY) -m pytest -q -m "not slow" tests

test-slow: install
	$(PY) -m pytest -q -m slow tests

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# C/C++ layout (.clang-format at the root; Debian's clang-format 14). Separate from `lint`
# so that machines without clang-format can still lint the Python.
CXX_FORMAT_FILES := $(wildcard ref_me/include/refme/*.h ref_me/processes/*.cc bench/*.c tests/cpp/*.cc)
lint-cxx:
	clang-format --dry-run --Werror $(CXX_FORMAT_FILES)

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/me_throughput.py
	$(PY) bench/phase_space_throughput.py

# Slow: the CPU libraries built with AddressSanitizer and UndefinedBehaviorSanitizer into
# $(BUILD)/sanitize, then the reference, layout and SIMD-path tests against them. Python is
# not instrumented, so the ASan runtime is preloaded into it; leak detection is off (the
# interpreter's own allocations would drown the report). Any finding aborts the test run.
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g
SANITIZE_TESTS := tests/test_ref_me_library.py tests/test_ref_me_madgraph.py tests/test_ref_me_simd.py
test-sanitize:
	$(MAKE) --no-print-directory BUILD=$(BUILD)/sanitize CXXFLAGS_REF="$(CXXFLAGS_REF) $(SANITIZE_FLAGS)" cpu-libs
	REFME_LIBRARY_DIR=$(BUILD)/sanitize/lib LD_PRELOAD="$$($(CXX) -print-file-name=libasan.so)" \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	$(PY) -m pytest -q -p no:cacheprovider $(SANITIZE_TESTS)

# --- the shipped default PDF set (pyumami/pdf/data; docs/pdf.md) -------------------
# eko lives in its own venv (numba, llvmlite: ~200 MB) with the `pdf-build` extra's
# requirements; the first run compiles numba code for 15-30 minutes (cached after), then
# the evolution takes 10-60 minutes depending on the free CPU (docs/pdf.md).
PDF_VENV ?= $(BUILD)/pdf-venv
PDF_BUILD_REQS = $(shell $(PYTHON) -c "import tomllib; print(' '.join(repr(r) for r in \
	tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['pdf-build']))")

pdf-set: $(VENV)/.installed
	test -x $(PDF_VENV)/bin/python || $(PYTHON) -m venv $(PDF_VENV)
	$(PDF_VENV)/bin/pip install -q $(PDF_BUILD_REQS)
	mkdir -p $(BUILD)/pdf
	NUMBA_CACHE_DIR=$(BUILD)/pdf/numba-cache $(PDF_VENV)/bin/python tools/evolve_default_pdf.py $(BUILD)/pdf/evolved.npz
	$(PY) -m pyumami.pdf.build_default_set $(BUILD)/pdf/evolved.npz

clean:
	rm -rf $(BUILD) *.egg-info .pytest_cache .hypothesis

distclean: clean
	rm -rf $(VENV)
