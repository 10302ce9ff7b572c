"""npy records: loadable after every batch, full record and compact files agree."""

from __future__ import annotations

import numpy as np
import pytest

from pyumami.generation.records import NpyRecordWriter

from .synthetic import gg_ttx_batch


def test_files_load_after_every_batch_and_agree(tmp_path, gg_ttx) -> None:
    batches = [gg_ttx_batch(gg_ttx, n, seed=n) for n in (3, 40, 11)]
    with NpyRecordWriter(tmp_path) as writer:
        for k, batch in enumerate(batches):
            writer.write(batch)
            total = sum(len(b) for b in batches[: k + 1])
            assert np.load(tmp_path / "events.npy").shape == (total,)
            assert np.load(tmp_path / "momenta.npy").shape == (total, 4, 4)
            assert np.load(tmp_path / "indices.npy").shape == (total, 3)
    events = np.load(tmp_path / "events.npy")
    momenta = np.concatenate([b.momenta for b in batches])
    assert np.array_equal(events["momenta"], momenta)
    assert np.array_equal(np.load(tmp_path / "momenta.npy"), momenta)
    assert np.array_equal(events["weight"], np.concatenate([b.weight for b in batches]))
    assert np.array_equal(events["pdg"][:, 2], np.full(len(events), 6))
    indices = np.load(tmp_path / "indices.npy")
    assert np.array_equal(indices[:, 1], np.concatenate([b.helicity for b in batches]))
    assert np.array_equal(indices[:, 2], events["color"])


def test_a_stop_between_data_and_header_keeps_the_previous_count(tmp_path, gg_ttx) -> None:
    with NpyRecordWriter(tmp_path) as writer:
        writer.write(gg_ttx_batch(gg_ttx, 5, seed=1))
    with open(tmp_path / "momenta.npy", "ab") as f:  # data of a batch whose header never came
        f.write(np.zeros((3, 4, 4)).tobytes())
    assert np.load(tmp_path / "momenta.npy").shape == (5, 4, 4)


def test_mismatched_particle_count_is_refused(tmp_path, gg_ttx) -> None:
    batch = gg_ttx_batch(gg_ttx, 2, seed=1)
    with NpyRecordWriter(tmp_path) as writer:
        writer.write(batch)
        smaller = type(batch)(**{**batch.__dict__, "momenta": batch.momenta[:, :3]})
        with pytest.raises(ValueError, match="3 particles"):
            writer.write(smaller)
