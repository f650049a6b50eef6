"""The van de Vusse CSTR simulator (assignments/cs2/vandevusse.py) against the paper and against physics."""
from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from solutions.cs2.surrogate import vandevusse as vdv

P = vdv.PARAMETERS
NOMINAL = [vdv.NOMINAL_INPUTS[k] for k in vdv.INPUTS]
# A few operating points spread over the sampling box (corners and the centre).
POINTS = [NOMINAL, [5.0, 90.0, -8500.0, 4.5], [35.0, 120.0, 0.0, 5.7], [20.0, 105.0, -4250.0, 5.1],
          [5.0, 120.0, 0.0, 5.7], [35.0, 90.0, -8500.0, 4.5]]


def by_product_concentrations(state, inputs):
    """cC and cD from their own steady-state balances (the model does not carry them as states).

    C: 0 = -dilution cC + k2 cB.  D: two A make one D, so 0 = -dilution cD + k3 cA^2 / 2.
    """
    cA, cB, T, _ = state
    dilution = inputs[0]
    _, k2, k3 = vdv.rates(T)
    return k2 * cB / dilution, k3 * cA**2 / (2 * dilution)


# --- the paper's nominal steady state ----------------------------------------------------------------

def test_nominal_steady_state_matches_klatt_engell():
    """Chen et al. (1995) / Klatt and Engell (1998) print cA = 2.14, cB = 1.09 mol/L, T = 114.2, TK = 112.9 degC.

    Tolerance: half a unit of the last printed digit (what rounding allows), nothing more.
    """
    cA, cB, T, TK = vdv.steady_state(vdv.NOMINAL_INPUTS)
    paper = vdv.NOMINAL_STEADY_STATE
    assert abs(cA - paper["cA"]) <= 0.005
    assert abs(cB - paper["cB"]) <= 0.005
    assert abs(T - paper["T"]) <= 0.05
    assert abs(TK - paper["TK"]) <= 0.05


def test_parameters_are_those_of_the_benchmark():
    """A typo in a constant would move every data point; these are the published values."""
    expected = {"k10": 1.287e12, "k20": 1.287e12, "k30": 9.043e9, "E1": 9758.3, "E2": 9758.3, "E3": 8560.0,
                "dH_AB": 4.2, "dH_BC": -11.0, "dH_AD": -41.85, "rho": 0.9342, "Cp": 3.01, "kw": 4032.0,
                "AR": 0.215, "VR": 10.0, "mK": 5.0, "CPK": 2.0}
    assert vdv.PARAMETERS == expected


# --- balances ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("inputs", POINTS)
def test_all_four_balances_close_at_the_steady_state(inputs):
    state = vdv.steady_state(inputs)
    assert np.max(np.abs(vdv.rhs(state, inputs))) < 1e-6 * inputs[0] * 100   # in mol/(L h) and K/h
    assert np.max(np.abs(vdv.residual(state, inputs))) < 1e-8


@pytest.mark.parametrize("inputs", POINTS)
def test_mole_balance_of_A_closes_over_all_four_species(inputs):
    """Every mol of A fed leaves as A, B, C or (two per) D: cA + cB + cC + 2 cD = cA0."""
    state = vdv.steady_state(inputs)
    cC, cD = by_product_concentrations(state, inputs)
    cA, cB = state[:2]
    assert cA + cB + cC + 2 * cD == pytest.approx(inputs[3], rel=1e-9)
    assert 0 < cA < inputs[3] and 0 < cB < inputs[3]


@pytest.mark.parametrize("inputs", POINTS)
def test_overall_energy_balance_closes(inputs):
    """Heat in with the feed + heat of reaction + heat from the jacket = 0 for the whole reactor and jacket."""
    cA, cB, T, TK = state = vdv.steady_state(inputs)
    dilution, T0, QK, _ = inputs
    k1, k2, k3 = vdv.rates(T)
    V = P["VR"]
    sensible = P["rho"] * P["Cp"] * V * dilution * (T0 - T)                          # kJ/h
    reaction = -V * (k1 * cA * P["dH_AB"] + k2 * cB * P["dH_BC"] + k3 * cA**2 * P["dH_AD"])
    assert sensible + reaction + QK == pytest.approx(0.0, abs=1e-6 * abs(sensible) + 1e-6)
    # The jacket alone: what the wall passes to the jacket is what the coolant removes.
    assert P["kw"] * P["AR"] * (T - TK) == pytest.approx(-QK, abs=1e-6)
    assert state.shape == (4,)


def test_full_newton_system_agrees_with_the_reduced_solution():
    """fsolve on all four balances (a general simulator's route) reaches the same state."""
    for inputs in POINTS:
        reduced = vdv.steady_state(inputs)
        direct = vdv.solve_full_system(inputs, reduced * np.array([0.9, 1.1, 1.0, 1.0]) + [0, 0, 2.0, -2.0])
        np.testing.assert_allclose(direct, reduced, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("inputs", [NOMINAL, [30.0, 115.0, -500.0, 5.5], [6.0, 95.0, -7000.0, 4.7]])
def test_dynamic_start_up_settles_at_the_same_steady_state(inputs):
    """A start-up from a reactor full of feed at feed temperature ends where steady_state says (no other branch)."""
    start = [0.0, 0.0, inputs[1], inputs[1]]
    t, states = vdv.simulate_dynamics(inputs, start, hours=3.0)
    np.testing.assert_allclose(states[-1], vdv.steady_state(inputs), rtol=1e-5, atol=1e-5)
    assert t[-1] == 3.0


# --- vectorised simulation and the data set ------------------------------------------------------------

def test_simulate_equals_steady_state_row_by_row():
    X = vdv.design_of_experiments(40, seed=3)
    Y = vdv.simulate(X)
    assert Y.shape == (40, 4)
    np.testing.assert_allclose(Y, [vdv.steady_state(x) for x in X], rtol=1e-9, atol=1e-9)


def test_whole_sampling_and_extended_boxes_have_unique_steady_states():
    """The data set and the extrapolation study rely on it: corners and a dense design, all converged."""
    for ranges in (vdv.SAMPLING_RANGES, vdv.EXTENDED_RANGES):
        corners = np.array(list(itertools.product(*[ranges[k] for k in vdv.INPUTS])))
        X = np.vstack([corners, vdv.design_of_experiments(3000, seed=11, ranges=ranges)])
        Y = vdv.simulate(X)
        assert np.all(np.isfinite(Y))
        assert np.all(Y[:, 0] + Y[:, 1] <= X[:, 3])


def test_design_is_a_deterministic_latin_hypercube_inside_the_ranges():
    n = 50
    X = vdv.design_of_experiments(n, seed=7)
    np.testing.assert_array_equal(X, vdv.design_of_experiments(n, seed=7))
    assert not np.allclose(X, vdv.design_of_experiments(n, seed=8))
    for j, name in enumerate(vdv.INPUTS):
        low, high = vdv.SAMPLING_RANGES[name]
        assert np.all((X[:, j] >= low) & (X[:, j] <= high))
        # Latin hypercube: exactly one point in each of the n equal strata of every input.
        strata = np.floor((X[:, j] - low) / (high - low) * n).astype(int)
        np.testing.assert_array_equal(np.sort(strata), np.arange(n))


def test_make_dataset_is_reproducible_and_noise_only_touches_outputs():
    clean = vdv.make_dataset(60, seed=1)
    assert list(clean.columns) == [*vdv.INPUTS, *vdv.OUTPUTS]
    assert clean.equals(vdv.make_dataset(60, seed=1))
    noisy = vdv.make_dataset(60, seed=1, noise=0.02)
    assert noisy.equals(vdv.make_dataset(60, seed=1, noise=0.02))
    np.testing.assert_array_equal(noisy[list(vdv.INPUTS)], clean[list(vdv.INPUTS)])
    relative = (noisy[list(vdv.OUTPUTS)] / clean[list(vdv.OUTPUTS)] - 1).to_numpy()
    assert 0.01 < relative.std() < 0.03 and np.abs(relative).max() > 0


def test_five_thousand_points_take_seconds_not_minutes():
    vdv.make_dataset(10, seed=0)                     # pandas import and caches out of the timing
    started = time.perf_counter()
    vdv.make_dataset(5000, seed=0)
    assert time.perf_counter() - started < 5.0      # ~0.35 s on a 2-core machine; generous against load


def test_yield_of_B_is_cB_over_cA0():
    assert vdv.yield_of_B(1.09, 5.10) == pytest.approx(1.09 / 5.10)
    np.testing.assert_allclose(vdv.yield_of_B([1.0, 0.5], [4.0, 5.0]), [0.25, 0.1])


# --- invalid inputs and failures are reported, never returned ------------------------------------------

@pytest.mark.parametrize("inputs, words", [
    ([-14.19, 104.9, -1113.5, 5.1], "negative flow"),
    ([0.0, 104.9, -1113.5, 5.1], "must be positive"),
    ([14.19, 500.0, -1113.5, 5.1], "T0 = 500.0 degC is outside"),
    ([14.19, -40.0, -1113.5, 5.1], "T0 = -40.0 degC is outside"),
    ([14.19, 104.9, -1113.5, -1.0], "cA0 = -1.0 mol/L must be positive"),
    ([14.19, 104.9, 1e6, 5.1], "QK = 1000000.0 kJ/h is outside"),
    ([14.19, float("nan"), -1113.5, 5.1], "not a finite number"),
    ([14.19, 104.9, -1113.5], "expected 4 inputs"),
])
def test_invalid_inputs_get_a_clear_error(inputs, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        vdv.steady_state(inputs)


def test_simulate_names_the_invalid_row():
    X = vdv.design_of_experiments(5, seed=0)
    X[3, 0] = -2.0
    with pytest.raises(ValueError, match=r"row 3: .*negative flow"):
        vdv.simulate(X)
    with pytest.raises(ValueError, match=r"shape \(n, 4\)"):
        vdv.simulate(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="dict|lack"):
        vdv.steady_state({"dilution": 14.19, "T0": 104.9})


def test_no_steady_state_in_the_physical_window_is_an_error():
    """Little flow and strong cooling: the only root of the energy balance is far below freezing."""
    inputs = [1.0, 60.0, -15000.0, 5.0]
    with pytest.raises(vdv.SteadyStateError, match="no steady state"):
        vdv.steady_state(inputs)
    X = np.array([NOMINAL, inputs])
    with pytest.raises(vdv.SteadyStateError, match="row 1: no steady state"):
        vdv.simulate(X)


def test_a_solver_that_does_not_converge_raises():
    with pytest.raises(vdv.SteadyStateError, match="did not converge"):
        vdv.solve_full_system(NOMINAL, [2.0, 1.0, 110.0, 110.0], max_evaluations=3)


def test_a_non_physical_root_is_rejected_not_returned(monkeypatch):
    """A solver reporting success at negative concentrations (or open balances) is refused, not returned.

    fsolve on this model finds the physical root from every start we tried, so the solver is replaced
    by one that claims convergence at a bad point.
    """
    def fake_fsolve(bad_point):
        return lambda *args, **kwargs: (np.array(bad_point, dtype=float), {}, 1, "converged")

    monkeypatch.setattr(vdv.optimize, "fsolve", fake_fsolve([-0.5, 1.0, 114.0, 112.9]))
    with pytest.raises(vdv.SteadyStateError, match="non-physical concentrations"):
        vdv.solve_full_system(NOMINAL, [2.0, 1.0, 110.0, 110.0])
    monkeypatch.setattr(vdv.optimize, "fsolve", fake_fsolve([2.0, 1.0, 114.0, 112.9]))
    with pytest.raises(vdv.SteadyStateError, match="balances are not closed"):
        vdv.solve_full_system(NOMINAL, [2.0, 1.0, 110.0, 110.0])


def test_several_steady_states_are_detected(monkeypatch):
    """If the energy balance had three roots (ignition/extinction), steady_state must refuse to pick one."""
    monkeypatch.setattr(vdv, "_energy_balance",
                        lambda T, *inputs: -(np.asarray(T) - 80.0) * (np.asarray(T) - 110.0) * (np.asarray(T) - 150.0))
    with pytest.raises(vdv.MultipleSteadyStatesError, match="3 steady states"):
        vdv.steady_state(NOMINAL)
    with pytest.raises(vdv.MultipleSteadyStatesError, match="row 0"):
        vdv.simulate(np.array([NOMINAL]))
    with pytest.raises(vdv.MultipleSteadyStatesError, match="row 0"):          # the vectorised route
        vdv.simulate(np.array([NOMINAL] * 40))
