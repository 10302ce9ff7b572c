"""Large worker results travel through a file in shared memory: the same object comes
back (arrays bit-equal, writable), and no file is left behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pyumami.generation import mapped_results
from pyumami.generation.mapped_results import (
    MIN_MAPPED_BYTES,
    Inline,
    Mapped,
    discard,
    pack,
    unpack,
)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 400_000))
def test_a_result_comes_back_unchanged_and_leaves_no_file(seed, n):
    rng = np.random.default_rng(seed)
    result = {
        "momenta": rng.random((n, 4)),
        "pdg": rng.integers(-6, 22, (n, 2)).astype(np.int32),
        "strided": rng.random((n, 2))[:, 1],  # not contiguous: pickled in band
        "rng": np.random.default_rng(seed),
        "label": "batch",
    }
    packed = pack(result)
    large = result["momenta"].nbytes + result["pdg"].nbytes >= MIN_MAPPED_BYTES
    assert isinstance(packed, Mapped if large else Inline)
    back = unpack(packed)
    for key in ("momenta", "pdg", "strided"):
        assert back[key].dtype == result[key].dtype
        assert np.array_equal(back[key], result[key])
    assert back["rng"].bit_generator.state == result["rng"].bit_generator.state
    back["momenta"][0, 0] = -1.0  # writable (a private mapping)
    if large:
        assert not Path(packed.path).exists()


def test_a_discarded_result_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(mapped_results, "_folder", lambda: str(tmp_path))
    packed = pack(np.zeros(MIN_MAPPED_BYTES // 8 + 1))
    assert isinstance(packed, Mapped) and Path(packed.path).parent == tmp_path
    discard(packed)
    discard(pack(np.zeros(3)))  # a small result: nothing to remove
    assert list(tmp_path.iterdir()) == []
