"""Channel mappings built from diagram topologies: round trips, kinematics, volumes."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phase_space.channels import ChannelMapping
from phase_space.errors import BelowThresholdError, MomentumShapeError, RandomShapeError
from phase_space.three_body import three_body_volume
from phase_space.topology import Decay, Propagator, TChannel, Topology, TopologyError
from phase_space.two_body import two_body_volume
from tests.phase_space.conftest import to_numpy, to_xp

SQRT_S = 1000.0
W = Propagator(80.4, 2.1)
TOP = Propagator(173.0, 1.5)


def phi_n(n: int, sqrt_s: float) -> float:
    """Massless n-body volume of the paper's Eq. 81 (pi restored)."""
    return sqrt_s ** (2 * n - 4) / (
        math.gamma(n) * math.gamma(n - 1) * math.pi ** (2 * n - 3) * 2 ** (4 * n - 5)
    )


def s_channel(indices):
    """Pure s-channel cascade over the given final-state indices (a leaf if only one)."""
    node = indices[0]
    for i in indices[1:]:
        node = Decay((node, i))
    return node


def pure_t(n):
    return Topology.multi_peripheral((0.0,) * n)


def pure_s(n):
    """A balanced s-channel tree: root -> (first half) (second half)."""
    if n == 2:
        return Topology((0.0, 0.0), Decay((0, 1)))
    half = n // 2
    return Topology(
        (0.0,) * n, Decay((s_channel(list(range(half))), s_channel(list(range(half, n)))))
    )


def mixed(n):
    """One 2 -> 2 scattering whose outgoing legs decay (Fig. 7, centre)."""
    if n == 2:
        return pure_t(2)
    half = n // 2
    return Topology(
        (0.0,) * n, TChannel((s_channel(list(range(half))), s_channel(list(range(half, n)))))
    )


def ttbar_decays():
    """g g -> t t~ (t-channel top), t -> b W+ (W+ -> l+ nu), t~ -> b~ W- (W- -> l- nu~)."""
    return Topology(
        (4.7, 0.0, 0.0, 4.7, 0.0, 0.0),
        TChannel(
            (Decay((0, Decay((1, 2), W)), TOP), Decay((3, Decay((4, 5), W)), TOP)),
            (Propagator(173.0),),
        ),
    )


def ttbar_g():
    """g g -> t g t~ via a t-channel chain t - g - t~ (stable tops)."""
    return Topology(
        (173.0, 0.0, 173.0), TChannel((0, 1, 2), (Propagator(173.0), Propagator(173.0)))
    )


CASES = {
    **{f"t{n}": pure_t(n) for n in range(2, 7)},
    **{f"s{n}": pure_s(n) for n in range(2, 7)},
    **{f"mixed{n}": mixed(n) for n in range(3, 7)},
    "s_cascade5": Topology.s_channel_chain((0.0,) * 5),
    "t5_order_bab": Topology((0.0,) * 5, TChannel((0, 1, 2, 3, 4), order=("b", "a", "b"))),
    "three_body_root": Topology((0.0, 5.0, 10.0), Decay((0, 1, 2))),
    "three_body_leg": Topology((0.0,) * 4, TChannel((Decay((0, 1, 2)), 3))),
    "ttbar_decays": ttbar_decays(),
    "ttbar_g": ttbar_g(),
    "z_to_4": Topology(
        (0.0,) * 4,
        Decay((Decay((0, 1), Propagator(91.19, 2.5)), Decay((2, 3))), Propagator(91.19, 2.5)),
    ),
}


def minkowski(a, b):
    return a[..., 0] * b[..., 0] - np.sum(a[..., 1:] * b[..., 1:], -1)


def well_conditioned(p, s_hat, cut=1e-5):
    """Events whose pair invariants 2 |p_i.p_j| all exceed cut * s_hat.

    Nearly collinear or soft pairs make lab-frame float64 momenta lose their
    invariant masses and rest-frame angles (relative error ~1e-16 s / (2 p_i.p_j)),
    so their coordinates cannot be recovered to 1e-9; such events are excluded
    from the r check (their momenta and weights are still checked).
    """
    k = p.shape[1]
    smallest = np.full(p.shape[0], np.inf)
    for i in range(k):
        for j in range(i + 1, k):
            if (i, j) != (0, 1):
                smallest = np.minimum(smallest, 2 * np.abs(minkowski(p[:, i], p[:, j])))
    return smallest > cut * s_hat


def randoms(rng, n, dim):
    """Uniform randoms; every 10th event gets one coordinate at 1e-9 or 1 - 1e-9.

    Returns the randoms and the mask of those edge events.
    """
    r = rng.random((n, dim))
    rows = np.arange(0, n, 10)
    cols = rng.integers(0, dim, len(rows))
    r[rows, cols] = np.where(rng.random(len(rows)) < 0.5, 1e-9, 1 - 1e-9)
    edge = np.zeros(n, dtype=bool)
    edge[rows] = True
    return r, edge


@pytest.mark.parametrize("name", sorted(CASES))
def test_dimension(name):
    topo = CASES[name]
    assert ChannelMapping(topo, SQRT_S).dim == 3 * topo.n - 4


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_and_kinematics(xp, name):
    topo = CASES[name]
    mapping = ChannelMapping(topo, SQRT_S)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    r_np, edge = randoms(rng, 2000, mapping.dim)
    p, w = mapping.forward(to_xp(xp, r_np))
    r_back, w_inv = mapping.inverse(p)
    p_np, w_np = to_numpy(p), to_numpy(w)
    assert p_np.shape == (2000, 2 + topo.n, 4)
    # momentum conservation, relative to sqrt(s)
    balance = p_np[:, 2:].sum(1) - p_np[:, :2].sum(1)
    assert np.max(np.abs(balance)) < 1e-10 * SQRT_S
    np.testing.assert_allclose(
        p_np[:, :2].sum(1), np.tile([SQRT_S, 0, 0, 0], (2000, 1)), atol=1e-12
    )
    masses = np.asarray(topo.masses)
    np.testing.assert_allclose(
        minkowski(p_np[:, 2:], p_np[:, 2:]),
        np.broadcast_to(masses**2, (2000, topo.n)),
        atol=1e-9 * SQRT_S**2,
    )
    assert np.all(p_np[:, 2:, 0] > 0)
    assert np.all(np.isfinite(w_np)) and np.all(w_np >= 0)
    assert np.all(np.isfinite(to_numpy(r_back)))
    ratio = w_np * to_numpy(w_inv)
    d = np.abs(to_numpy(r_back) - r_np)
    for c in mapping.periodic_columns:  # azimuths: r = 0 and 1 are the same point
        d[:, c] = np.minimum(d[:, c], 1 - d[:, c])
    ok = well_conditioned(p_np, SQRT_S**2)
    assert np.count_nonzero(ok & ~edge) > 0.1 * len(ok)
    # generic events: coordinates, Jacobians and momenta come back to 1e-9
    tight = ok & ~edge
    assert np.max(d[tight]) < 1e-9
    np.testing.assert_allclose(ratio[tight], 1.0, rtol=1e-9)
    p_again, _ = mapping.forward(r_back)
    assert np.max(np.abs(to_numpy(p_again) - p_np)[tight]) < 1e-9 * SQRT_S
    # edge events (a coordinate 1e-9 from 0 or 1: polar axes, thresholds) are
    # ill-conditioned by nature; they must still come back to 1e-6
    assert np.max(d[ok & edge]) < 1e-6
    np.testing.assert_allclose(ratio[ok & edge], 1.0, rtol=1e-4)


def test_layout_and_periodic_columns():
    mapping = ChannelMapping(Topology((0.0,) * 4, TChannel((Decay((0, 1, 2)), 3))), SQRT_S)
    assert [name for name, _ in mapping.layout] == [
        "s[decay 0]",
        "(phi, |t|)[t-channel block 1]",
        "angles[decay 0]",
    ]
    assert mapping.periodic_columns == (1, 5, 6)
    assert ChannelMapping(pure_s(2), SQRT_S).periodic_columns == (0,)


def test_randoms_in_unit_interval():
    mapping = ChannelMapping(ttbar_decays(), SQRT_S)
    import array_api_compat.numpy as xp

    r = np.random.default_rng(5).random((5000, mapping.dim))
    p, _ = mapping.forward(xp.asarray(r))
    r_back, _ = mapping.inverse(p)
    assert np.all(np.asarray(r_back) > -1e-12) and np.all(np.asarray(r_back) < 1 + 1e-12)


VOLUME_N = 100_000


def mean_and_error(mapping, n_points, seed):
    import array_api_compat.numpy as xp

    rng = np.random.default_rng(seed)
    _, w = mapping.forward(xp.asarray(rng.random((n_points, mapping.dim))))
    w = np.asarray(w)
    return w.mean(), w.std() / math.sqrt(n_points)


@pytest.mark.parametrize("n", range(2, 7))
@pytest.mark.parametrize("kind", ["t", "mixed", "s"])
def test_massless_volume(kind, n):
    """Mean weight = Phi_n (Eq. 81) within 3 sigma, power law nu = 0.3 as in Sec. 4.1."""
    topo = {"t": pure_t, "mixed": mixed, "s": pure_s}[kind](n)
    mean, err = mean_and_error(ChannelMapping(topo, SQRT_S, nu=0.3), VOLUME_N, 100 + n)
    expected = phi_n(n, SQRT_S)
    assert abs(mean - expected) < 3 * err + 1e-12 * expected, (mean / expected, err / expected)
    assert err / expected < 0.05


@pytest.mark.parametrize(
    "topo",
    [
        Topology.multi_peripheral((173.0, 0.0, 80.0)),
        Topology.s_channel_chain((173.0, 0.0, 80.0)),
        Topology((173.0, 0.0, 80.0), TChannel((Decay((0, 1)), 2))),
        Topology((173.0, 0.0, 80.0), Decay((0, 1, 2))),
    ],
)
def test_massive_three_body_volume(topo):
    mean, err = mean_and_error(ChannelMapping(topo, SQRT_S), VOLUME_N, 7)
    expected = three_body_volume(SQRT_S, 173.0, 0.0, 80.0) * (2 * math.pi) ** -5
    assert abs(mean - expected) < 3 * err + 1e-6 * expected


def test_massive_two_body_volume_is_exact():
    mean, err = mean_and_error(
        ChannelMapping(Topology((173.0, 173.0), Decay((0, 1))), SQRT_S), 1000, 3
    )
    assert mean == pytest.approx(
        two_body_volume(SQRT_S, 173.0, 173.0) / (2 * math.pi) ** 2, rel=1e-12
    )
    mean, err = mean_and_error(
        ChannelMapping(Topology.multi_peripheral((173.0, 173.0)), SQRT_S), VOLUME_N, 4
    )
    assert abs(mean - two_body_volume(SQRT_S, 173.0, 173.0) / (2 * math.pi) ** 2) < 3 * err


@pytest.mark.parametrize(
    "topo",
    [
        Topology(
            (0.0,) * 4,
            Decay(
                (Decay((0, 1), Propagator(300.0, 150.0)), Decay((2, 3), Propagator(200.0, 100.0)))
            ),
        ),
        Topology(
            (0.0,) * 4,
            TChannel(
                (Decay((0, 1), Propagator(250.0, 120.0)), 2, 3),
                (Propagator(173.0), Propagator(80.0)),
            ),
        ),
        Topology(
            (0.0,) * 5, TChannel((0, Decay((1, 2, 3), Propagator(400.0, 200.0)), 4), order=None)
        ),
    ],
)
def test_massless_volume_with_massive_propagators(topo):
    """Breit-Wigner and massive t-channel mappings keep the volume (wide resonances keep the
    variance small enough for 1e5 points; narrow ones are unbiased but need far more)."""
    mean, err = mean_and_error(ChannelMapping(topo, SQRT_S), VOLUME_N, 14)
    expected = phi_n(topo.n, SQRT_S)
    assert abs(mean - expected) < 3 * err, (mean / expected, err / expected)
    assert err / expected < 0.05


def test_breit_wigner_peaks_at_the_resonance():
    import array_api_compat.numpy as xp

    mapping = ChannelMapping(ttbar_decays(), SQRT_S)
    p, _ = mapping.forward(xp.asarray(np.random.default_rng(1).random((20000, mapping.dim))))
    p = np.asarray(p)
    m_w = np.sqrt(minkowski(p[:, 3] + p[:, 4], p[:, 3] + p[:, 4]))
    m_top = np.sqrt(minkowski(p[:, 2] + p[:, 3] + p[:, 4], p[:, 2] + p[:, 3] + p[:, 4]))
    assert np.mean(np.abs(m_w - 80.4) < 10 * 2.1) > 0.8
    assert np.mean(np.abs(m_top - 173.0) < 10 * 1.5) > 0.8


def test_forward_at_per_event_energy(xp):
    mapping = ChannelMapping(mixed(4), SQRT_S)
    rng = np.random.default_rng(21)
    r_np = rng.random((500, mapping.dim))
    sqrt_s_hat = rng.uniform(50.0, 5000.0, 500)
    p, w = mapping.forward_at(to_xp(xp, r_np), to_xp(xp, sqrt_s_hat))
    p_np = to_numpy(p)
    np.testing.assert_allclose(p_np[:, :2, 0].sum(1), sqrt_s_hat, rtol=1e-14)
    r_back, w_inv = mapping.inverse(p)
    ok = well_conditioned(p_np, sqrt_s_hat**2)
    assert np.max(np.abs(to_numpy(r_back) - r_np)[ok]) < 1e-9
    np.testing.assert_allclose((to_numpy(w) * to_numpy(w_inv))[ok], 1.0, rtol=1e-9)
    # at a constant energy it is the mapping built for that energy
    fixed = ChannelMapping(mixed(4), 250.0)
    p_fixed, w_fixed = fixed.forward(to_xp(xp, r_np))
    p_at, w_at = mapping.forward_at(to_xp(xp, r_np), to_xp(xp, np.full(500, 250.0)))
    np.testing.assert_allclose(to_numpy(p_at), to_numpy(p_fixed), rtol=0, atol=1e-12 * 250)
    np.testing.assert_allclose(to_numpy(w_at), to_numpy(w_fixed), rtol=1e-13)


def test_explicit_s_order_changes_the_mapping_not_the_volume():
    topo = Topology((0.0,) * 4, Decay((Decay((0, 1)), Decay((2, 3)))), s_order=(1, 0))
    default = Topology((0.0,) * 4, Decay((Decay((0, 1)), Decay((2, 3)))))
    import array_api_compat.numpy as xp

    r = xp.asarray(np.random.default_rng(2).random((10, 8)))
    pa, _ = ChannelMapping(topo, SQRT_S).forward(r)
    pb, _ = ChannelMapping(default, SQRT_S).forward(r)
    assert not np.allclose(np.asarray(pa), np.asarray(pb))
    mean, err = mean_and_error(ChannelMapping(topo, SQRT_S, nu=0.3), VOLUME_N, 12)
    assert abs(mean - phi_n(4, SQRT_S)) < 3 * err


def test_topology_errors():
    with pytest.raises(TopologyError, match="exactly once"):
        Topology((0.0, 0.0, 0.0), TChannel((0, 1)))
    with pytest.raises(TopologyError, match="2 or 3 children"):
        Decay((0, 1, 2, 3))
    with pytest.raises(TopologyError, match="propagators"):
        TChannel((0, 1, 2), (Propagator(),))
    with pytest.raises(TopologyError, match="order"):
        TChannel((0, 1, 2), order=("c",))
    with pytest.raises(TopologyError, match="permutation"):
        Topology((0.0,) * 4, Decay((Decay((0, 1)), Decay((2, 3)))), s_order=(0, 0))
    with pytest.raises(BelowThresholdError, match="threshold"):
        ChannelMapping(Topology((600.0, 600.0), Decay((0, 1))), SQRT_S)


def test_shape_errors():
    import array_api_compat.numpy as xp

    mapping = ChannelMapping(pure_t(3), SQRT_S)
    with pytest.raises(RandomShapeError, match=r"\(batch, 5\)"):
        mapping.forward(xp.asarray(np.zeros((4, 4))))
    with pytest.raises(MomentumShapeError, match=r"\(batch, 5, 4\)"):
        mapping.inverse(xp.asarray(np.zeros((4, 4, 4))))


def test_jit(jax_numpy):
    import jax

    mapping = ChannelMapping(ttbar_decays(), SQRT_S)

    @jax.jit
    def round_trip(r):
        p, w = mapping.forward(r)
        r2, wi = mapping.inverse(p)
        return p, r2, w * wi

    r = np.random.default_rng(3).random((64, mapping.dim))
    p, r2, one = round_trip(jax_numpy.asarray(r))
    ok = well_conditioned(np.asarray(p), SQRT_S**2)
    assert np.max(np.abs(np.asarray(r2) - r)[ok]) < 1e-9
    np.testing.assert_allclose(np.asarray(one)[ok], 1.0, rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    fractions=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4),
    headroom=st.floats(1.01, 50.0),
    shape=st.sampled_from(["t", "mixed", "s", "cascade"]),
    seed=st.integers(0, 2**16),
)
def test_random_masses_and_energies(fractions, headroom, shape, seed):
    """Any masses, any energy above threshold: kinematics exact, generic events invert."""
    import array_api_compat.numpy as xp

    masses = tuple(100.0 * f for f in fractions)
    sqrt_s = max(sum(masses), 1.0) * headroom
    topo = {
        "t": Topology.multi_peripheral(masses),
        "mixed": Topology(masses, TChannel((Decay((0, 1)), Decay((2, 3))), (Propagator(50.0),))),
        "s": Topology(masses, Decay((Decay((0, 1), Propagator(80.0, 10.0)), Decay((2, 3))))),
        "cascade": Topology.s_channel_chain(masses),
    }[shape]
    mapping = ChannelMapping(topo, sqrt_s)
    r = np.random.default_rng(seed).random((300, mapping.dim))
    p, w = mapping.forward(xp.asarray(r))
    p = np.asarray(p)
    assert np.max(np.abs(p[:, 2:].sum(1) - p[:, :2].sum(1))) < 1e-10 * sqrt_s
    np.testing.assert_allclose(
        minkowski(p[:, 2:], p[:, 2:]),
        np.broadcast_to(np.square(masses), (300, 4)),
        atol=1e-9 * sqrt_s**2,
    )
    assert np.all(p[:, 2:, 0] > 0) and np.all(np.asarray(w) >= 0)
    r_back, w_inv = mapping.inverse(xp.asarray(p))
    d = np.abs(np.asarray(r_back) - r)
    for c in mapping.periodic_columns:
        d[:, c] = np.minimum(d[:, c], 1 - d[:, c])
    ok = well_conditioned(p, sqrt_s**2)
    assert np.all(d[ok] < 1e-9)
    np.testing.assert_allclose((np.asarray(w) * np.asarray(w_inv))[ok], 1.0, rtol=1e-9)


def test_jax_grad_of_log_weight(jax_numpy):
    """The weight is differentiable in r (e.g. for flow training): jax.grad vs finite differences."""
    import jax

    mapping = ChannelMapping(Topology((0.0, 0.0, 0.0), TChannel((Decay((0, 1), W), 2))), SQRT_S)
    log_weight = jax.jit(lambda r: jax_numpy.log(mapping.forward(r)[1]))
    r = np.random.default_rng(4).random((2, mapping.dim))
    grad = np.asarray(
        jax.jit(jax.grad(lambda r: jax_numpy.sum(log_weight(r))))(jax_numpy.asarray(r))
    )
    # central differences, all (event, column) shifts in one batch
    h = 1e-6
    shifts = np.tile(np.eye(mapping.dim) * h, (2, 1))
    rows = np.repeat(r, mapping.dim, axis=0)
    fd = (
        np.asarray(log_weight(jax_numpy.asarray(rows + shifts)))
        - np.asarray(log_weight(jax_numpy.asarray(rows - shifts)))
    ) / (2 * h)
    fd = fd.reshape(2, mapping.dim)
    assert np.all(np.abs(grad - fd) < 1e-5 * (np.abs(fd) + 1e-2))


# --- default t-channel order (Sec. 2.2.8) -------------------------------------------


def test_default_t_order_prefers_the_lighter_exchange_then_the_lighter_leg():
    massless = (0.0,) * 5
    assert Topology.multi_peripheral(massless).t_order() == ("a", "a", "a")
    # a massive exchange next to leg a: the massless ones on the b side go first
    heavy_a = (Propagator(173.0), Propagator(), Propagator(), Propagator())
    assert Topology(massless, TChannel(tuple(range(5)), heavy_a)).t_order() == ("b", "b", "b")
    # massive exchanges on both ends: the massless middle ones from the b side first
    props = (Propagator(173.0), Propagator(), Propagator(), Propagator(80.0))
    assert Topology(massless, TChannel(tuple(range(5)), props)).t_order() == ("b", "b", "b")
    # b side (80 GeV) before a side (173 GeV), then the massless middle one (b side again)
    ends = (Propagator(173.0), Propagator(), Propagator(80.0))
    assert Topology((0.0,) * 4, TChannel((0, 1, 2, 3), ends)).t_order() == ("b", "b")
    # the a side can come back: massless first (a), then 80 GeV (b) before 173 GeV
    sides = tuple(map(Propagator, (0.0, 173.0, 173.0, 80.0)))
    assert Topology(massless, TChannel(tuple(range(5)), sides)).t_order() == ("a", "b", "a")
    # equal exchanges: the lighter peeled leg (a resonance counts with its mass)
    assert Topology.multi_peripheral((173.0, 0.0, 80.0)).t_order() == ("b",)
    w_leg = Topology((0.0,) * 4, TChannel((0, 1, Decay((2, 3), W))))
    assert w_leg.t_order() == ("a",)
    # an explicit order wins
    explicit = Topology(massless, TChannel(tuple(range(5)), heavy_a, order=("a", "b", "a")))
    assert explicit.t_order() == ("a", "b", "a")
    assert Topology.s_channel_chain((0.0,) * 3).t_order() == ()


def heuristic_cases():
    return {
        "heavy_a_side": Topology(
            (0.0,) * 5,
            TChannel(tuple(range(5)), (Propagator(173.0),) + (Propagator(),) * 3),
        ),
        "mixed_sides": Topology(
            (0.0,) * 5,
            TChannel(tuple(range(5)), tuple(map(Propagator, (0.0, 173.0, 173.0, 80.0)))),
        ),
        "massive_legs": Topology.multi_peripheral((173.0, 0.0, 0.0, 4.7)),
        "resonant_leg": Topology(
            (0.0,) * 5, TChannel((Decay((0, 1), W), 2, 3, 4), (Propagator(80.4),) * 3)
        ),
    }


@pytest.mark.parametrize("name", sorted(heuristic_cases()))
def test_default_order_is_the_explicit_heuristic_order(name):
    """order=None gives the mapping that the heuristic's order gives explicitly."""
    topo = heuristic_cases()[name]
    order = topo.t_order()
    assert "b" in order  # these cases leave the all-'a' default
    root = topo.root
    explicit = Topology(topo.masses, TChannel(root.legs, root.propagators, order=order))
    r = np.random.default_rng(3).random((50, ChannelMapping(topo, SQRT_S).dim))
    p_default, w_default = ChannelMapping(topo, SQRT_S).forward(r)
    p_explicit, w_explicit = ChannelMapping(explicit, SQRT_S).forward(r)
    np.testing.assert_array_equal(p_default, p_explicit)
    np.testing.assert_array_equal(w_default, w_explicit)


@settings(max_examples=25, deadline=None)
@given(
    props=st.lists(st.sampled_from([0.0, 4.7, 80.4, 173.0]), min_size=4, max_size=4),
    masses=st.lists(st.sampled_from([0.0, 0.0, 4.7, 80.4]), min_size=5, max_size=5),
    seed=st.integers(0, 2**31),
)
def test_default_order_round_trip_property(props, masses, seed):
    """Any heuristic order: conservation, on-shell legs, r and w * w_inv back to 1e-9."""
    topo = Topology(tuple(masses), TChannel(tuple(range(5)), tuple(map(Propagator, props))))
    mapping = ChannelMapping(topo, SQRT_S)
    rng = np.random.default_rng(seed)
    r = rng.uniform(0.01, 0.99, (400, mapping.dim))
    p, w = mapping.forward(r)
    r_back, w_inv = mapping.inverse(p)
    balance = p[:, 2:].sum(1) - p[:, :2].sum(1)
    assert np.max(np.abs(balance)) < 1e-10 * SQRT_S
    np.testing.assert_allclose(
        minkowski(p[:, 2:], p[:, 2:]),
        np.broadcast_to(np.square(masses), (400, 5)),
        atol=1e-9 * SQRT_S**2,
    )
    d = np.abs(r_back - r)
    for c in mapping.periodic_columns:
        d[:, c] = np.minimum(d[:, c], 1 - d[:, c])
    ok = well_conditioned(p, SQRT_S**2)
    assert np.count_nonzero(ok) > 0.25 * len(ok)
    assert np.max(d[ok]) < 1e-9
    np.testing.assert_allclose((w * w_inv)[ok], 1.0, rtol=1e-9)


@pytest.mark.parametrize("name", ["heavy_a_side", "mixed_sides"])
def test_default_order_massless_volume(name):
    """With massless final states the volume is Phi_5 whatever the order and propagators."""
    topo = heuristic_cases()[name]
    mean, err = mean_and_error(ChannelMapping(topo, SQRT_S, nu=0.3), VOLUME_N, 11)
    expected = phi_n(5, SQRT_S)
    assert abs(mean - expected) < 3 * err, (mean / expected, err / expected)
    assert err / expected < 0.05
