"""Steady states of the van de Vusse reactions in a jacketed CSTR: the process simulation of case study 2.

Reactions (van de Vusse, 1964), B is the wanted product:

    A -> B -> C        (rate constants k1, k2; first order)
    2 A -> D           (rate constant k3; second order in A)

Model and parameters: the CSTR benchmark of Klatt and Engell (1998), first given by Chen et al. (1995).
Four states (concentrations of A and B, reactor and jacket temperature), Arrhenius kinetics with the
activation energies given as E/R in kelvin, an energy balance of the reactor contents and one of the
cooling jacket:

    dcA/dt = dilution (cA0 - cA) - k1 cA - k3 cA^2
    dcB/dt = -dilution cB + k1 cA - k2 cB
    dT/dt  = dilution (T0 - T) + kw AR (TK - T) / (rho Cp VR) - (k1 cA dH_AB + k2 cB dH_BC + k3 cA^2 dH_AD) / (rho Cp)
    dTK/dt = (QK + kw AR (T - TK)) / (mK CPK)
    ki     = ki0 exp(-Ei / (T + 273.15))

Inputs (the surrogate's x): the dilution rate `dilution` = F/VR [1/h] (called D in the papers; here D is
only the by-product, and in the lecture D is a network's depth), feed temperature T0 [degC], heat removed by
the jacket QK [kJ/h] (negative = cooling), feed concentration cA0 [mol/L].
Outputs (the surrogate's y): cA, cB [mol/L], T, TK [degC].

Nominal operating point (Chen et al., 1995; Klatt and Engell, 1998): dilution = 14.19 1/h, T0 = 104.9 degC,
QK = -1113.5 kJ/h, cA0 = 5.10 mol/L -> cA = 2.14 mol/L, cB = 1.09 mol/L, T = 114.2 degC, TK = 112.9 degC.
This module reproduces that point to the printed digits (see tests/assignments/cs2/test_cs2_vandevusse.py).

Sources
    K.-U. Klatt, S. Engell (1998). Gain-scheduling trajectory control of a continuous stirred tank
        reactor. Computers & Chemical Engineering 22(4-5), 491-502.
    H. Chen, A. Kremling, F. Allgoewer (1995). Nonlinear predictive control of a benchmark CSTR.
        Proc. 3rd European Control Conference ECC'95, Rome, 3247-3252.
    J. G. van de Vusse (1964). Plug-flow type reactor versus tank reactor. Chem. Eng. Sci. 19(12), 994-996.
    The parameter values were cross-checked against public reimplementations of the benchmark: the CSTR
    example of do-mpc (examples/CSTR/template_model.py, TU Dortmund) and the CSTR demo system of
    DyadControlSystems / JuliaSim (ControlDemoSystems.cstr).

How a steady state is found. At steady state the jacket balance gives TK = T + QK / (kw AR), the A balance
is a quadratic in cA and the B balance is linear in cB, so everything follows from T; what remains is one
equation, the reactor energy balance g(T) = 0. Its roots are bracketed on a grid over a physical
temperature window (so that several steady states, which a CSTR can have, are *detected*, never silently
hidden), refined with ``scipy.optimize.brentq``, and the full four-equation residual is checked at the
result. Anything that is not a unique, converged, physical steady state raises ``SteadyStateError``.

Only numpy, scipy and pandas: this file is released to students with the notebook.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

__all__ = [
    "PARAMETERS", "INPUTS", "OUTPUTS", "UNITS", "NOMINAL_INPUTS", "NOMINAL_STEADY_STATE",
    "SAMPLING_RANGES", "EXTENDED_RANGES", "VALID_RANGES", "SteadyStateError", "MultipleSteadyStatesError",
    "rates", "rhs", "residual", "steady_state", "solve_full_system", "simulate", "simulate_dynamics",
    "yield_of_B", "design_of_experiments", "make_dataset",
]

# --- parameters (Klatt and Engell, 1998, Table 1) -----------------------------------------------
PARAMETERS = {
    "k10": 1.287e12,     # A -> B pre-exponential factor [1/h]
    "k20": 1.287e12,     # B -> C pre-exponential factor [1/h]
    "k30": 9.043e9,      # 2A -> D pre-exponential factor [L/(mol h)]
    "E1": 9758.3,        # activation energy / R of A -> B [K]
    "E2": 9758.3,        # activation energy / R of B -> C [K]
    "E3": 8560.0,        # activation energy / R of 2A -> D [K]
    "dH_AB": 4.2,        # reaction enthalpy of A -> B [kJ/mol A] (endothermic)
    "dH_BC": -11.0,      # reaction enthalpy of B -> C [kJ/mol B]
    "dH_AD": -41.85,     # reaction enthalpy of 2A -> D [kJ/mol A]
    "rho": 0.9342,       # density of the reactor contents [kg/L]
    "Cp": 3.01,          # heat capacity of the reactor contents [kJ/(kg K)]
    "kw": 4032.0,        # heat transfer coefficient of the jacket [kJ/(h m^2 K)]
    "AR": 0.215,         # jacket surface [m^2]
    "VR": 10.0,          # reactor volume [L]
    "mK": 5.0,           # coolant mass [kg]
    "CPK": 2.0,          # coolant heat capacity [kJ/(kg K)]
}
KELVIN = 273.15

INPUTS = ("dilution", "T0", "QK", "cA0")
OUTPUTS = ("cA", "cB", "T", "TK")
UNITS = {"dilution": "1/h", "T0": "degC", "QK": "kJ/h", "cA0": "mol/L",
         "cA": "mol/L", "cB": "mol/L", "T": "degC", "TK": "degC"}

NOMINAL_INPUTS = {"dilution": 14.19, "T0": 104.9, "QK": -1113.5, "cA0": 5.10}
NOMINAL_STEADY_STATE = {"cA": 2.14, "cB": 1.09, "T": 114.2, "TK": 112.9}   # as printed in the papers

# The operating window of the benchmark (Klatt and Engell, 1998: dilution 5-35 1/h, QK -8500-0 kJ/h; feed
# temperature and concentration vary around their nominal values). The steady state is unique there.
SAMPLING_RANGES = {"dilution": (5.0, 35.0), "T0": (90.0, 120.0), "QK": (-8500.0, 0.0), "cA0": (4.5, 5.7)}

# A wider box for studying extrapolation: every point in it has a unique steady state (checked on 50,000
# Latin-hypercube points and all corners), but a surrogate trained on SAMPLING_RANGES has never seen most of it.
EXTENDED_RANGES = {"dilution": (4.0, 45.0), "T0": (80.0, 130.0), "QK": (-9500.0, 1000.0), "cA0": (4.2, 6.0)}

# Inputs the model accepts at all (wider than the sampling ranges, so that extrapolation can be studied).
# Outside these the model's assumptions (liquid phase, constant properties) are not credible.
VALID_RANGES = {"dilution": (0.5, 100.0), "T0": (20.0, 180.0), "QK": (-20000.0, 5000.0), "cA0": (0.1, 10.0)}

# Reactor temperatures scanned for roots of the energy balance [degC]; a root outside is not physical here.
T_WINDOW = (-50.0, 350.0)
_GRID = np.linspace(*T_WINDOW, 801)            # 0.5 K spacing: two steady states closer than that would be missed
_CHUNK = 500                                   # rows per vectorised grid evaluation (keeps it in cache)
_FEW_ROWS = 16                                 # up to this many rows, simulate() solves row by row
RESIDUAL_TOLERANCE = 1e-6                      # on the balances scaled by their feed terms (see residual)


class SteadyStateError(RuntimeError):
    """No unique, converged, physical steady state for these inputs."""


class MultipleSteadyStatesError(SteadyStateError):
    """The energy balance has several roots: the steady state depends on how the reactor is started."""


# --- model --------------------------------------------------------------------------------------------

def rates(T):
    """Rate constants k1, k2 [1/h] and k3 [L/(mol h)] at reactor temperature T [degC] (arrays broadcast)."""
    p, TT = PARAMETERS, np.asarray(T, dtype=float) + KELVIN
    return (p["k10"] * np.exp(-p["E1"] / TT), p["k20"] * np.exp(-p["E2"] / TT), p["k30"] * np.exp(-p["E3"] / TT))


def rhs(state, inputs):
    """Time derivatives [cA', cB', T', TK'] (per hour) of ``state`` = [cA, cB, T, TK] for
    ``inputs`` = [dilution, T0, QK, cA0]."""
    p = PARAMETERS
    cA, cB, T, TK = state
    dilution, T0, QK, cA0 = inputs
    k1, k2, k3 = rates(T)
    heat = k1 * cA * p["dH_AB"] + k2 * cB * p["dH_BC"] + k3 * cA * cA * p["dH_AD"]
    return np.array([
        dilution * (cA0 - cA) - k1 * cA - k3 * cA * cA,
        -dilution * cB + k1 * cA - k2 * cB,
        dilution * (T0 - T) + p["kw"] * p["AR"] * (TK - T) / (p["rho"] * p["Cp"] * p["VR"])
        - heat / (p["rho"] * p["Cp"]),
        (QK + p["kw"] * p["AR"] * (T - TK)) / (p["mK"] * p["CPK"]),
    ])


def residual(state, inputs):
    """The four balances at ``state``, each divided by a typical size of its terms (dimensionless).

    Scaling makes one tolerance meaningful for mol/(L h) and K/h alike: the mass balances by the feed of A
    (dilution cA0), the energy balances by the heat carried by the feed (dilution times a temperature scale
    of 100 K).
    """
    dilution, T0, QK, cA0 = inputs
    scale = np.array([dilution * cA0, dilution * cA0, dilution * 100.0, dilution * 100.0])
    return rhs(state, inputs) / scale


def _state_from_temperature(T, dilution, QK, cA0):
    """cA, cB, TK that satisfy the two mass balances and the jacket balance at reactor temperature T."""
    p = PARAMETERS
    k1, k2, k3 = rates(T)
    b = dilution + k1
    # Positive root of k3 cA^2 + (dilution + k1) cA - dilution cA0 = 0, written to avoid cancellation
    # when k3 cA0 << b.
    cA = 2.0 * dilution * cA0 / (b + np.sqrt(b * b + 4.0 * k3 * dilution * cA0))
    cB = k1 * cA / (dilution + k2)
    TK = T + QK / (p["kw"] * p["AR"])
    return cA, cB, TK


def _energy_balance(T, dilution, T0, QK, cA0):
    """g(T): the reactor energy balance [K/h] with the other three balances solved exactly."""
    p = PARAMETERS
    cA, cB, _ = _state_from_temperature(T, dilution, QK, cA0)
    k1, k2, k3 = rates(T)
    heat = k1 * cA * p["dH_AB"] + k2 * cB * p["dH_BC"] + k3 * cA * cA * p["dH_AD"]
    # kw AR (TK - T) = QK at steady state, so the jacket term is QK / (rho Cp VR).
    return dilution * (T0 - T) + QK / (p["rho"] * p["Cp"] * p["VR"]) - heat / (p["rho"] * p["Cp"])


# --- inputs ------------------------------------------------------------------------------------------

def _check_inputs(dilution, T0, QK, cA0) -> None:
    values = {"dilution": dilution, "T0": T0, "QK": QK, "cA0": cA0}
    for name, value in values.items():
        if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
            raise TypeError(f"{name} must be a number, got {type(value).__name__}")
        if not math.isfinite(value):
            raise ValueError(f"{name} = {value} is not a finite number")
    if dilution <= 0:
        raise ValueError(f"dilution rate = {dilution} 1/h: the flow through the reactor must be positive "
                         "(a negative flow is not physical; dilution = F/V_R)")
    if cA0 <= 0:
        raise ValueError(f"feed concentration cA0 = {cA0} mol/L must be positive")
    for name, value in values.items():
        low, high = VALID_RANGES[name]
        if not low <= value <= high:
            raise ValueError(f"{name} = {value} {UNITS[name]} is outside the range the model is valid for "
                             f"[{low}, {high}] {UNITS[name]}")


def _as_inputs(inputs) -> tuple[float, float, float, float]:
    if isinstance(inputs, dict):
        missing = [k for k in INPUTS if k not in inputs]
        if missing:
            raise ValueError(f"inputs lack {', '.join(missing)} (expected {', '.join(INPUTS)})")
        values = [inputs[k] for k in INPUTS]
    else:
        values = list(np.asarray(inputs, dtype=float).reshape(-1))
        if len(values) != 4:
            raise ValueError(f"expected 4 inputs ({', '.join(INPUTS)}), got {len(values)}")
    values = [float(v) if isinstance(v, (np.floating, np.integer)) else v for v in values]
    _check_inputs(*values)
    dilution, T0, QK, cA0 = (float(v) for v in values)
    return dilution, T0, QK, cA0


# --- steady states -----------------------------------------------------------------------------------

def _check_physical(state, inputs) -> None:
    cA, cB, T, TK = state
    cA0 = inputs[3]
    if not np.all(np.isfinite(state)):
        raise SteadyStateError(f"the solver returned a non-finite state {state} for inputs {inputs}")
    # Stoichiometry: every mol of A fed ends up as A, B, C or D, so cA + cB <= cA0 (and both >= 0).
    if cA < -1e-9 or cB < -1e-9 or cA + cB > cA0 * (1 + 1e-9):
        raise SteadyStateError(f"non-physical concentrations cA = {cA:.4g}, cB = {cB:.4g} mol/L "
                               f"(feed cA0 = {cA0:.4g}) for inputs {inputs}")
    if not T_WINDOW[0] <= T <= T_WINDOW[1]:
        raise SteadyStateError(f"reactor temperature {T:.4g} degC outside {T_WINDOW} for inputs {inputs}")
    worst = float(np.max(np.abs(residual(state, inputs))))
    if worst > RESIDUAL_TOLERANCE:
        raise SteadyStateError(f"the balances are not closed at the solution (scaled residual {worst:.2g} "
                               f"> {RESIDUAL_TOLERANCE:g}) for inputs {inputs}")


def _roots_on_grid(values: np.ndarray) -> np.ndarray:
    """Indices i where the sampled function changes sign between grid points i and i + 1."""
    return np.flatnonzero(np.signbit(values[:-1]) != np.signbit(values[1:]))


def steady_state(inputs) -> np.ndarray:
    """The steady state [cA, cB, T, TK] for ``inputs`` = [dilution, T0, QK, cA0] (or a dict with those keys).

    Raises ValueError for invalid inputs, MultipleSteadyStatesError if the reactor has more than one
    steady state there, SteadyStateError if none is found or the result does not close the balances.
    """
    dilution, T0, QK, cA0 = inputs = _as_inputs(inputs)
    g = _energy_balance(_GRID, dilution, T0, QK, cA0)
    brackets = _roots_on_grid(g)
    if len(brackets) == 0:
        raise SteadyStateError(f"no steady state with a reactor temperature in {T_WINDOW} degC for inputs {inputs}")
    if len(brackets) > 1:
        temperatures = ", ".join(f"{_GRID[i]:.1f}" for i in brackets)
        raise MultipleSteadyStatesError(f"{len(brackets)} steady states (reactor temperatures near {temperatures} "
                                        f"degC) for inputs {inputs}; the result depends on the start-up")
    i = brackets[0]
    T = optimize.brentq(_energy_balance, _GRID[i], _GRID[i + 1], args=(dilution, T0, QK, cA0), xtol=1e-10, rtol=1e-13)
    cA, cB, TK = _state_from_temperature(T, dilution, QK, cA0)
    state = np.array([cA, cB, T, TK], dtype=float)
    _check_physical(state, inputs)
    return state


def solve_full_system(inputs, guess, *, max_evaluations: int = 0) -> np.ndarray:
    """Solve the four balances directly with ``scipy.optimize.fsolve`` from ``guess`` = [cA, cB, T, TK].

    The route a general flowsheet simulator takes (and a check of ``steady_state``). A run that does not
    converge, or converges to a non-physical root, raises SteadyStateError instead of returning it.
    ``max_evaluations`` = 0 leaves fsolve's default.
    """
    inputs = _as_inputs(inputs)
    guess = np.asarray(guess, dtype=float).reshape(4)
    solution, info, flag, message = optimize.fsolve(residual, guess, args=(inputs,), full_output=True,
                                                    xtol=1e-12, maxfev=max_evaluations)
    if flag != 1:
        raise SteadyStateError(f"fsolve did not converge from {guess.tolist()} for inputs {inputs}: {message.strip()}")
    _check_physical(solution, inputs)
    return solution


def simulate(X) -> np.ndarray:
    """Steady states for each row of ``X`` (n, 4) = [dilution, T0, QK, cA0]: an array (n, 4) = [cA, cB, T, TK].

    Vectorised over rows: the energy balance's roots are bracketed on the temperature grid for all rows
    at once and refined with ``scipy.optimize.elementwise.find_root``. Raises (never returns NaN) if any
    row is invalid or has no unique steady state; the message names the row.
    """
    from scipy.optimize import elementwise

    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2 or X.shape[1] != 4:
        raise ValueError(f"X must have shape (n, 4) with columns {', '.join(INPUTS)}, got {X.shape}")
    for row, x in enumerate(X):
        try:
            _check_inputs(*map(float, x))
        except ValueError as exc:
            raise ValueError(f"row {row}: {exc}") from None
    if len(X) <= _FEW_ROWS:
        # Few rows (an optimiser's single points): the scalar route is ~10x faster than the vectorised one.
        out = np.empty_like(X)
        for row, x in enumerate(X):
            try:
                out[row] = steady_state(x)
            except SteadyStateError as exc:
                raise type(exc)(f"row {row}: {exc}") from None
        return out
    lower = np.empty(len(X))
    for start in range(0, len(X), _CHUNK):
        block = X[start:start + _CHUNK]
        g = _energy_balance(_GRID[None, :], *(block[:, [j]] for j in range(4)))
        changes = np.signbit(g[:, :-1]) != np.signbit(g[:, 1:])
        for row in map(int, np.flatnonzero(changes.sum(axis=1) != 1)):
            try:
                steady_state(block[row])          # raises the specific error with its message
            except SteadyStateError as exc:
                raise type(exc)(f"row {start + row}: {exc}") from None
        lower[start:start + _CHUNK] = _GRID[np.argmax(changes, axis=1)]
    step = _GRID[1] - _GRID[0]
    dilution, T0, QK, cA0 = X.T
    result = elementwise.find_root(_energy_balance, (lower, lower + step), args=(dilution, T0, QK, cA0),
                                   tolerances={"xatol": 1e-10, "xrtol": 1e-14})
    if not np.all(result.success):
        row = int(np.flatnonzero(~result.success)[0])
        raise SteadyStateError(f"row {row}: the root finder did not converge for inputs {tuple(X[row])}")
    T = result.x
    cA, cB, TK = _state_from_temperature(T, dilution, QK, cA0)
    out = np.column_stack([cA, cB, T, TK])
    # The same checks as _check_physical, for all rows at once; a failing row is then re-checked for its message.
    scaled = np.abs(residual(out.T, X.T)).max(axis=0)
    suspicious = ~np.isfinite(out).all(axis=1) | (scaled > RESIDUAL_TOLERANCE) | (cA < -1e-9) | (cB < -1e-9) \
        | (cA + cB > cA0 * (1 + 1e-9))
    for row in map(int, np.flatnonzero(suspicious)):
        try:
            _check_physical(out[row], tuple(X[row]))
        except SteadyStateError as exc:
            raise SteadyStateError(f"row {row}: {exc}") from None
    return out


def simulate_dynamics(inputs, state0, hours: float, *, points: int = 200):
    """Integrate the dynamic model from ``state0`` for ``hours`` (stiff solver); returns (t, states (points, 4))."""
    from scipy.integrate import solve_ivp

    inputs = _as_inputs(inputs)
    t = np.linspace(0.0, hours, points)
    result = solve_ivp(lambda _, x: rhs(x, inputs), (0.0, hours), np.asarray(state0, dtype=float),
                       method="LSODA", t_eval=t, rtol=1e-9, atol=1e-9)
    if not result.success:
        raise SteadyStateError(f"the dynamic simulation failed: {result.message}")
    return result.t, result.y.T


def yield_of_B(cB, cA0):
    """Yield of B: mol of B leaving per mol of A fed, cB / cA0 (the reactor's volume is constant)."""
    return np.asarray(cB, dtype=float) / np.asarray(cA0, dtype=float)


# --- design of experiments ------------------------------------------------------------------------

def design_of_experiments(n: int, seed: int, ranges: dict | None = None) -> np.ndarray:
    """``n`` Latin-hypercube points (n, 4) in ``ranges`` ({name: (low, high)}, default SAMPLING_RANGES).

    Deterministic for a given seed. Each input's range is cut into n equal strata with exactly one
    point in each, so even a small design covers every input's whole range.
    """
    ranges = dict(SAMPLING_RANGES if ranges is None else ranges)
    if set(ranges) != set(INPUTS):
        raise ValueError(f"ranges must name exactly {', '.join(INPUTS)}")
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n}")
    low = np.array([ranges[k][0] for k in INPUTS], dtype=float)
    high = np.array([ranges[k][1] for k in INPUTS], dtype=float)
    if np.any(high <= low):
        raise ValueError("every range needs low < high")
    unit = stats.qmc.LatinHypercube(d=4, seed=np.random.default_rng(seed)).random(int(n))
    return stats.qmc.scale(unit, low, high)


def make_dataset(n: int, seed: int, *, noise: float = 0.0, ranges: dict | None = None):
    """A pandas DataFrame of ``n`` simulated experiments: columns dilution, T0, QK, cA0, cA, cB, T, TK.

    ``noise``: measurement noise on the outputs, as a standard deviation relative to each output's value
    (0.01 = 1 %), drawn from the same seed (so the data set is reproducible).
    """
    import pandas as pd

    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    X = design_of_experiments(n, seed, ranges)
    Y = simulate(X)
    if noise:
        rng = np.random.default_rng([seed, 1])      # a stream of its own: the design does not change with noise
        Y = Y * (1.0 + noise * rng.standard_normal(Y.shape))
    return pd.DataFrame(np.hstack([X, Y]), columns=[*INPUTS, *OUTPUTS])
