"""Hidden tests for cs2: a neural-network surrogate of the van de Vusse CSTR.

Every test builds its own inputs from ``rng`` (seeded from the test's id, so grading is reproducible
but the data are not those of the notebook), often from the simulator itself, and compares the
student's result with the reference solution. Typical mistakes are computed from the reference as
``mistakes`` variants, so that the failure message can name them.

Steps that build on earlier ones are judged on their own: the scaling, training and optimiser tests hand
the student's function known stand-ins (probes: a fixed linear model, fixed scalers, a yield surface
with a known maximum, the simulator) or a network built from the notebook's own torch, never the
student's other functions.
"""
from __future__ import annotations

import numpy as np
import pytest

import solutions.cs2.surrogate as ref
from autograder.grading.testing import (
    REFERENCE,
    GradingFailure,
    Mistake,
    Probe,
    RemoteObject,
    StudentCodeError,
    as_array,
    expect_array,
    fail,
    identify,
    reject_altered,
    seeded_runs,
    shape_mismatch,
)

vdv = ref.vandevusse
SAMPLED = ref.ranges_as_bounds(vdv.SAMPLING_RANGES)

# The best yield of B in SAMPLED, found with differential evolution on the simulator (tol 1e-10,
# 9,365 evaluations; tests/assignments/cs2/test_cs2_surrogate_reference.py re-checks it): dilution = 35 1/h,
# T0 = 120 degC, cA0 = 4.5 mol/L, QK anywhere on a ridge near -500 kJ/h.
BEST_YIELD_IN_SAMPLED = 0.2197657
# The surrogate test: settings handed to fit_surrogate and the R^2 every output must reach. This test's
# own seeds are fixed (from its id), but the threshold was checked over 40 other seeds of the same
# procedure: the reference (tanh) never went below R^2 = 0.988 (cB), a ReLU variant never below 0.986;
# 0.95 leaves a margin for correct variants (activation, batching, initialisation). Re-measure with
# benchmarks/cs2_surrogate.py --seeds 40; tests/assignments/cs2/test_cs2_surrogate_reference.py checks one run.
# Depth 3 (a deep network by the lecture's definition, depth > 2): over 20 seeds the reference's lowest R^2
# was 0.9936 (cB), training 9 s on average at a load of 18 on 2 cores (benchmarks/cs2_surrogate.py --seeds 20).
SURROGATE_SETTINGS = dict(width=32, depth=3, max_epochs=120, batch_size=64, lr=5e-3, patience=15)
R2_THRESHOLD = 0.95
# Pass marks the notebook states where the task is set, and the visible check that applies the same number
# (tests/assignments/test_stated_thresholds.py holds the notebook to this table).
STATED_THRESHOLDS = {"R2_THRESHOLD": {"value": R2_THRESHOLD, "check": "test_surrogate", "text": "0.95"}}


# --- helpers ---------------------------------------------------------------------------------------

def pair_of(value, what, names):
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        fail(f"{what} should return {len(names)} values ({', '.join(names)})")
    return value


def remote_object(value, what, kind):
    if not isinstance(value, RemoteObject):
        fail(f"{what} should be {kind}, but it is {type(value).__name__}")
    return value


def remote_network(student, sizes, seed):
    """A tanh network built in the sandbox with the notebook's own torch (so no student function is needed)."""
    torch_r = student.get("torch")
    if not isinstance(torch_r, RemoteObject) or not torch_r.type_name.endswith("module"):
        fail("the name `torch` no longer refers to the torch module: do not reassign it")
    torch_r.call_method("manual_seed", int(seed))
    nn_r = torch_r.getattr("nn")
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn_r.call_method("Linear", int(a), int(b)))
        if i < len(sizes) - 2:
            layers.append(nn_r.call_method("Tanh"))
    return nn_r.call_method("Sequential", *layers)


def remote_predict(model, X):
    import torch

    return as_array(model(torch.as_tensor(np.asarray(X, dtype=np.float32))), name="the model's output").astype(float)


def scaled(X, mean, scale):
    return (np.asarray(X, dtype=float) - mean) / scale


def yield_surface(rng):
    """Parameters of a quadratic yield surface whose peak lies beyond the box for the dilution rate and T0."""
    low, high = SAMPLED[:, 0], SAMPLED[:, 1]
    span = high - low
    center = low + span * rng.uniform(0.25, 0.75, size=4)
    center[0] = high[0] + span[0] * rng.uniform(0.1, 0.4)        # beyond the upper bound of the dilution rate
    center[1] = low[1] - span[1] * rng.uniform(0.1, 0.4)         # below the lower bound of T0
    width = span * rng.uniform(0.8, 1.5, size=4)
    return {"peak": float(rng.uniform(0.25, 0.35)), "center": center, "width": width}


def quadratic_yield(params, X):
    X = np.atleast_2d(X)
    return params["peak"] - np.sum(((X - params["center"]) / params["width"]) ** 2, axis=1)


def check_inside(x, bounds, what):
    x = expect_shape(x, (4,), what)
    low, high = bounds[:, 0], bounds[:, 1]
    slack = 1e-7 * (high - low)
    for j, name in enumerate(vdv.INPUTS):
        if x[j] < low[j] - slack[j] or x[j] > high[j] + slack[j]:
            side = "above its upper" if x[j] > high[j] else "below its lower"
            fail(f"{what}: {name} = {x[j]:.6g} is {side} bound: the optimum must stay inside the valid input "
                 "ranges (pass bounds= to the optimiser; a surrogate is not valid outside its data)")
    return x


def expect_shape(value, shape, what):
    array = as_array(value, name=what).astype(float)
    if array.shape != shape:
        fail(f"{what} has the wrong shape: {shape_mismatch(array.shape, shape)}")
    if not np.all(np.isfinite(array)):
        fail(f"{what} contains NaN or infinite values")
    return array


def per_output(value, expected, *, name, mistakes, n_samples=None, rtol=1e-6, atol=1e-9, hint=""):
    """expect_array for a per-output measure (m,), naming the two usual shape mistakes."""
    got = as_array(value, name=name)
    if got.size == 1 and np.size(expected) > 1:
        fail(f"{name} returned one number for all outputs: compute one value per output column "
             "(average over the samples, axis=0; in scikit-learn multioutput='raw_values')")
    if n_samples is not None and got.size == n_samples:
        fail(f"{name} has one value per sample: average over the samples (axis=0), not over the outputs (axis=1)")
    return expect_array(got, expected, name=name, rtol=rtol, atol=atol, mistakes=mistakes, hint=hint)


# --- Step 1: split ----------------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.cell("test_split")
def test_split_indices(student, rng):
    """split_indices(n, fractions, seed) as in cs1 part B: sizes, disjoint, complete, shuffled, seeded."""
    n = int(rng.integers(60, 90))
    fractions = (0.7, 0.2, 0.1)
    seed = int(rng.integers(1000))

    def parts_of(value):
        parts = pair_of(value, "split_indices", ("train_idx", "val_idx", "test_idx"))
        return [as_array(p, name=label).astype(int).reshape(-1) for p, label in zip(parts, ("train_idx", "val_idx",
                                                                                            "test_idx"))]

    try:
        train, val, test = parts_of(student.split_indices(n, fractions=fractions, seed=seed))
    except StudentCodeError as exc:
        if "unexpected keyword argument" in str(exc):
            fail("split_indices should take the arguments (n, fractions=(0.7, 0.15, 0.15), seed=0), the same "
                 f"as in case study 1 part B ({str(exc).split(': ', 1)[-1][:120]})")
        raise
    sizes = (len(train), len(val), len(test))
    for size, fraction, name in zip(sizes, fractions, ("training", "validation", "test")):
        if abs(size - fraction * n) > 1 + 1e-9:
            fail(f"for n = {n} and fractions = {fractions} the sizes (train, val, test) are {sizes}: the {name} set "
                 "should be within one row of fraction * n (validation and test get round(fraction * n) rows, "
                 "training the rest; fractions are (train, val, test))")
    together = np.concatenate([train, val, test])
    if len(np.unique(together)) != n or together.min() != 0 or together.max() != n - 1 or len(together) != n:
        fail("the three index arrays must be disjoint and together contain every index 0 .. n-1 exactly once")
    if all(len(part) and part.max() - part.min() + 1 == len(part) for part in (train, val, test)):
        fail("each set is a block of consecutive rows: shuffle (np.random.default_rng(seed).permutation(n)) "
             "before splitting, or the sets come from different regions of the data")
    _, again, other = seeded_runs(student, lambda s: parts_of(student.split_indices(n, fractions=fractions, seed=s)),
                                  seed, seed + 1)
    if not all(np.array_equal(a, b) for a, b in zip(again, (train, val, test))):
        fail("the same seed gave a different split: draw the permutation from np.random.default_rng(seed)")
    if np.array_equal(other[0], train):
        fail("a different seed gave the same split: use the seed argument")
    default = parts_of(student.split_indices(n, seed=seed))
    if any(abs(len(part) - fraction * n) > 1 + 1e-9 for part, fraction in zip(default, (0.7, 0.15, 0.15))):
        fail("without fractions the split should be 70 / 15 / 15 (the default fractions=(0.7, 0.15, 0.15))")


# --- Step 2: scaling ------------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.cell("test_scaling")
def test_scalers_are_fitted_on_the_training_rows_only(student, rng, credit):
    """fit_scalers: standardise with the mean and standard deviation of the training rows only."""
    n = 40
    X = vdv.design_of_experiments(n, seed=int(rng.integers(2**31)))
    Y = vdv.simulate(X)
    # The training rows are the low-dilution half: their statistics differ clearly from all rows'.
    order = np.argsort(X[:, 0])
    train_idx = rng.permutation(order[:24])
    result = pair_of(student.fit_scalers(X, Y, train_idx), "fit_scalers", ("x_scaler", "y_scaler"))
    x_scaler = remote_object(result[0], "x_scaler", "a fitted scaler object (e.g. sklearn StandardScaler)")
    y_scaler = remote_object(result[1], "y_scaler", "a fitted scaler object (e.g. sklearn StandardScaler)")
    for what, scaler, A in (("x_scaler", x_scaler, X), ("y_scaler", y_scaler, Y)):
        train = A[train_idx]
        expected = scaled(A, train.mean(axis=0), train.std(axis=0))
        got = scaler.call_method("transform", A)
        expect_array(got, expected, name=f"{what}.transform", rtol=1e-6, atol=1e-8, mistakes={
            Mistake("scaling.fitted_on_all_rows", "the scaler was fitted on all rows (training, validation and test): "
                                                  "fit it on the training rows "
            "only, otherwise information from the test data leaks into training (data leakage)"):
                scaled(A, A.mean(axis=0), A.std(axis=0)),
            Mistake("scaling.sample_std", "it uses the sample standard deviation (ddof=1); standardise like "
                                          "StandardScaler (ddof=0)"):
                scaled(A, train.mean(axis=0), train.std(axis=0, ddof=1)),
            Mistake("scaling.scalers_swapped", "the scaler of the other array: fit x_scaler on X and y_scaler on Y"):
                scaled(A, (Y if A is X else X)[train_idx].mean(axis=0), (Y if A is X else X)[train_idx].std(axis=0)),
        })
        credit.award(0.25 if what == "x_scaler" else 0.5)
        Z = rng.normal(size=(6, 4))
        expect_array(scaler.call_method("inverse_transform", Z), Z * train.std(axis=0) + train.mean(axis=0),
                     name=f"{what}.inverse_transform", rtol=1e-6, atol=1e-8,
                     hint="inverse_transform must undo transform: z * sigma + mu")


@pytest.mark.points(1)
@pytest.mark.cell("test_scaling")
def test_predictions_are_returned_in_original_units(student, rng):
    """predict_original_units: scale the inputs, run the model, inverse-transform the outputs."""
    X = vdv.design_of_experiments(12, seed=int(rng.integers(2**31)))
    mx, sx = X.mean(axis=0) + rng.normal(size=4), X.std(axis=0) * rng.uniform(0.8, 1.2, size=4)
    Yref = vdv.simulate(X)
    my, sy = Yref.mean(axis=0), Yref.std(axis=0) * rng.uniform(0.8, 1.2, size=4)
    W, b = rng.normal(size=(4, 4)) / 2, rng.normal(size=4) / 2
    model = Probe("torch_linear", weight=W, bias=b)
    xs, ys = Probe("standard_scaler", mean=mx, scale=sx), Probe("standard_scaler", mean=my, scale=sy)
    network_out = scaled(X, mx, sx) @ W.T + b
    expected = network_out * sy + my
    got = student.predict_original_units(model, xs, ys, X)
    expect_array(got, expected, name="predict_original_units", rtol=1e-4, atol=1e-4 * np.abs(my).max(), mistakes={
        Mistake("predict.scaled_units", "the predictions are still in scaled units: transform them back with "
                                        "y_scaler.inverse_transform"): network_out,
        Mistake("predict.inputs_not_scaled", "the inputs were not scaled with x_scaler.transform before the "
                                             "model"): (X @ W.T + b) * sy + my,
        Mistake("predict.transform_not_inverse", "the outputs were transformed with y_scaler.transform; use "
                                                 "y_scaler.inverse_transform"): (network_out - my) / sy,
        Mistake("predict.inverse_with_input_scaler", "the outputs were transformed back with the input scaler; use "
                                                     "y_scaler"): network_out * sx + mx,
    })


# --- Step 3: metrics ------------------------------------------------------------------------------

def metric_data(rng, n=25):
    # the middle column varies little (SS_tot well below 1): R^2's guard is SS_tot > 0, not SS_tot > 1
    y = rng.normal(loc=[2.0, 1.0, 110.0], scale=[0.8, 0.12, 8.0], size=(n, 3))
    pred = np.column_stack([y[:, 0] + rng.normal(scale=0.05, size=n),       # good
                            y[:, 1] + rng.normal(scale=0.07, size=n),       # fair
                            y[::-1, 2] + rng.normal(scale=2.0, size=n)])    # worse than the mean: R^2 < 0
    return y, pred


@pytest.mark.points(1)
@pytest.mark.cell("test_metrics")
def test_r2_per_output(student, rng):
    """r2_per_output: 1 - SS_res / SS_tot per column, negative for a model worse than the mean."""
    y, pred = metric_data(rng)
    expected = ref.r2_per_output(y, pred)
    correlation = np.array([np.corrcoef(y[:, j], pred[:, j])[0, 1] ** 2 for j in range(3)])
    per_output(student.r2_per_output(y, pred), expected, name="r2_per_output", n_samples=len(y), mistakes={
        Mistake("r2.squared_correlation", "this is the squared correlation coefficient, not R^2 = 1 - SS_res / SS_tot "
        "(R^2 is negative for a model worse than predicting the mean)"): correlation,
        Mistake("r2.clipped_at_zero", "R^2 was clipped at 0; a model worse than the mean has a negative "
                                      "R^2"): np.maximum(expected, 0.0),
        Mistake("r2.ratio_swapped", "SS_res / SS_tot is swapped or 1 - ... is missing"): 1.0 - expected,
        Mistake("r2.arguments_swapped", "the arguments are swapped: r2_per_output(y_true, y_pred), SS_tot uses the "
                                        "mean of y_true"):
            ref.r2_per_output(pred, y),
    })


@pytest.mark.points(1)
@pytest.mark.cell("test_metrics")
def test_rmse_and_mae_per_output(student, rng):
    """rmse_per_output and mae_per_output: one value per column, averaged over the samples."""
    y, pred = metric_data(rng)
    rmse = ref.rmse_per_output(y, pred)
    per_output(student.rmse_per_output(y, pred), rmse, name="rmse_per_output", n_samples=len(y), mistakes={
        Mistake("rmse.missing_root", "this is the mean squared error: the root of RMSE (np.sqrt) is missing"): rmse**2,
        Mistake("rmse.is_mae", "this is the mean absolute error, not the root-mean-square "
                               "error"): ref.mae_per_output(y, pred),
    })
    mae = ref.mae_per_output(y, pred)
    per_output(student.mae_per_output(y, pred), mae, name="mae_per_output", n_samples=len(y), mistakes={
        Mistake("mae.missing_abs", "the absolute value is missing: positive and negative errors "
                                   "cancel"): np.mean(y - pred, axis=0),
        Mistake("mae.is_rmse", "this is the root-mean-square error, not the mean absolute error"): rmse,
    })


@pytest.mark.points(1)
@pytest.mark.cell("test_metrics")
def test_r2_of_a_constant_output(student, rng):
    """r2_per_output for a constant column: 1.0 when predicted exactly, 0.0 otherwise (no NaN)."""
    y, pred = metric_data(rng, n=12)
    y[:, 1] = 0.75
    exact = pred.copy()
    exact[:, 1] = 0.75
    hint = Mistake("r2.constant_column", "a constant column has SS_tot = 0: return 1.0 if it is predicted exactly, "
                                         "else 0.0")
    per_output(student.r2_per_output(y, exact), ref.r2_per_output(y, exact), name="r2_per_output (constant column, "
                                                                                  "exact)",
               mistakes={}, hint=hint)
    per_output(student.r2_per_output(y, pred), ref.r2_per_output(y, pred), name="r2_per_output (constant column)",
               mistakes={hint: np.where(np.arange(3) == 1, 1.0, ref.r2_per_output(y, pred))}, hint=hint)


# --- Step 4: OPE and MPE --------------------------------------------------------------------------

def percentage_data(rng, n=20):
    y = rng.normal(loc=[2.0, 1.0, 60.0], scale=[0.5, 0.2, 40.0], size=(n, 3))
    y[:3, 2] = -np.abs(y[:3, 2]) - 5.0          # a few negative observations (temperatures below 0 degC)
    pred = y * (1 + rng.normal(scale=0.08, size=y.shape)) + rng.normal(scale=0.05, size=y.shape)
    return y, pred


@pytest.mark.points(1)
@pytest.mark.cell("test_paper_metrics")
def test_ope_per_output(student, rng):
    """ope_per_output: 100 * sum|y - yhat| / sum|y| per column (also when one observation is 0); ValueError for a
    column of zeros."""
    y, pred = percentage_data(rng)
    y[4, 0] = 0.0                                 # OPE stays defined; only MPE is not
    expected = ref.ope_per_output(y, pred)
    error = np.abs(y - pred)
    per_output(student.ope_per_output(y, pred), expected, name="ope_per_output", n_samples=len(y), mistakes={
        Mistake("ope.fraction_not_percent", "a fraction, not a percentage: multiply by 100"): expected / 100,
        Mistake("ope.relative_to_predictions", "the error is relative to the predictions; OPE divides by the observed "
                                               "values sum |y|"):
            100 * error.sum(axis=0) / np.abs(pred).sum(axis=0),
        Mistake("ope.signed_errors", "signed errors cancel: use the absolute errors |y - "
                                     "yhat|"): 100 * np.abs((y - pred).sum(axis=0)) / np.abs(y).sum(axis=0),
        Mistake("ope.missing_abs_in_denominator", "the absolute value of the observations is missing in the "
                                                  "denominator: sum |y|, not sum y"):
            100 * error.sum(axis=0) / y.sum(axis=0),
    })
    zero_column = int(rng.integers(3))
    y[:, zero_column] = 0.0                       # the text: OPE is undefined (ValueError) for a column of zeros
    try:
        value = student.ope_per_output(y, pred)
    except StudentCodeError as exc:
        if "raised ValueError" in str(exc):
            return
        fail("ope_per_output should raise ValueError when a whole column of observed values is 0, "
             f"but: {str(exc).split(': ', 1)[-1][:200]}")
    array = np.asarray(value, dtype=float) if not isinstance(value, RemoteObject) else None
    what = "inf or NaN" if array is not None and not np.all(np.isfinite(array)) else "a number"
    fail(f"ope_per_output returned {what} for an output whose observed values are all 0: sum |y| is 0 there, "
         "raise ValueError (check np.any(np.sum(np.abs(y_true), axis=0) == 0) first)")


@pytest.mark.points(1)
@pytest.mark.cell("test_paper_metrics")
def test_mpe_per_output(student, rng):
    """mpe_per_output: 100 * mean(|y - yhat| / |y|) per column, relative to the observed values."""
    y, pred = percentage_data(rng)
    expected = ref.mpe_per_output(y, pred)
    error = np.abs(y - pred)
    per_output(student.mpe_per_output(y, pred), expected, name="mpe_per_output", n_samples=len(y), mistakes={
        Mistake("mpe.relative_to_predictions", "MPE divides by the prediction; the relative error is relative to the "
                                               "observed value |y|"):
            100 * np.mean(error / np.abs(pred), axis=0),
        Mistake("mpe.fraction_not_percent", "a fraction, not a percentage: multiply by 100"): expected / 100,
        Mistake("mpe.signed_errors", "signed errors cancel: use |y - "
                                     "yhat|"): 100 * np.mean((y - pred) / np.abs(y), axis=0),
        Mistake("mpe.missing_abs_in_denominator", "the denominator must be |y| (negative observations give negative "
                                                  "percentages)"): 100 * np.mean(error / y, axis=0),
        Mistake("mpe.is_ope", "this is the overall error (a ratio of sums, OPE); MPE averages each point's relative "
                              "error"):
            ref.ope_per_output(y, pred),
    })


@pytest.mark.points(1)
@pytest.mark.cell("test_paper_metrics")
def test_mpe_of_an_observed_zero_raises_value_error(student, rng):
    """mpe_per_output raises ValueError when an observed value is 0, instead of returning inf or NaN."""
    y, pred = percentage_data(rng, n=8)
    y[int(rng.integers(8)), 1] = 0.0
    try:
        value = student.mpe_per_output(y, pred)
    except StudentCodeError as exc:
        if "raised ValueError" in str(exc):
            return
        fail("mpe_per_output should raise ValueError when an observed value is 0, "
             f"but: {str(exc).split(': ', 1)[-1][:200]}")
    array = np.asarray(value, dtype=float) if not isinstance(value, RemoteObject) else None
    what = "inf or NaN" if array is not None and not np.all(np.isfinite(array)) else "a number"
    fail(f"mpe_per_output returned {what} for an observed value of 0: the relative error is undefined there, "
         "raise ValueError (check np.any(y_true == 0) first)")


# --- Step 5: architecture -------------------------------------------------------------------------

def modules_of(model, what="build_surrogate(...)"):
    model = remote_object(model, what, "a torch.nn.Sequential")
    if not model.type_is("torch.nn.modules.container.Sequential"):
        fail(f"{what} returned a {model.type_name.rsplit('.', 1)[-1]}; return a torch.nn.Sequential of the layers")
    return [model.call_method("__getitem__", i) for i in range(int(model.call_method("__len__")))]


def is_nonlinear(module, width, rng) -> bool:
    """Whether a module without parameters computes a function that is not affine, measured here: at
    rows u, v and their midpoint, an affine map gives f((u + v) / 2) = (f(u) + f(v)) / 2."""
    import torch

    u, v = rng.uniform(-4.0, 4.0, size=(2, 6, width))
    rows = np.vstack([u, v, (u + v) / 2]).astype(np.float32)
    out = as_array(module(torch.as_tensor(rows)), name="an activation's output").astype(float)
    if out.shape != rows.shape or not np.all(np.isfinite(out)):
        return False
    fu, fv, fm = out[:6], out[6:12], out[12:]
    return float(np.max(np.abs(fm - (fu + fv) / 2))) > 1e-3


def roles_of(model, n_in, rng, what="build_surrogate(...)"):
    """What each module of the network computes, decided here from plain data (never from the names its
    classes give themselves): ("linear", weight, bias) for a module whose output is its input times its
    own weight plus bias, ("activation",) for one without parameters that is not affine, ("other",)
    for anything else. The network itself must compute the chain of its modules on the grader's input."""
    import torch

    modules = modules_of(model, what)
    reject_altered(model, what)
    x = rng.normal(size=(7, n_in)).astype(np.float32)
    h, roles = x, []
    for module in modules:
        out = as_array(module(torch.as_tensor(h)), name="a layer's output").astype(np.float32)
        state = module.call_method("state_dict")
        arrays = [as_array(a, name="a layer's weights").astype(float) for a in state.values()] \
            if isinstance(state, dict) else None
        if arrays is not None and len(arrays) == 2 and arrays[0].ndim == 2 and arrays[1].ndim == 1:
            weight, bias = arrays
            affine = h.astype(float) @ weight.T + bias if weight.shape[1] == h.shape[1] else None
            linear = affine is not None and affine.shape == out.shape and np.allclose(out, affine, rtol=1e-4, atol=1e-5)
            roles.append(("linear", weight, bias) if linear else ("other",))
        elif arrays == [] and out.shape == h.shape and is_nonlinear(module, h.shape[1], rng):
            roles.append(("activation",))
        else:
            roles.append(("other",))
        h = out
    whole = as_array(model(torch.as_tensor(x)), name="the network's output").astype(float)
    if whole.shape != h.shape or not np.allclose(whole, h, rtol=1e-4, atol=1e-5):
        fail(f"{what}: the network does not compute the chain of its own layers: return a torch.nn.Sequential of "
             "the layers, unchanged")
    return modules, roles


@pytest.mark.points(1)
@pytest.mark.cell("test_architecture")
def test_surrogate_layers(student, rng):
    """build_surrogate: depth hidden Linear layers of width units, each followed by an activation."""
    n_in, n_out, width, depth = int(rng.integers(3, 7)), int(rng.integers(2, 5)), int(rng.integers(9, 20)), 3
    _, roles = roles_of(student.build_surrogate(n_in, n_out, width, depth, 0), n_in, rng)
    linear = [i for i, role in enumerate(roles) if role[0] == "linear"]
    if len(linear) != depth + 1:
        fail(f"for depth = {depth} there should be {depth + 1} Linear layers ({depth} hidden + 1 output), "
             f"found {len(linear)}")
    sizes = [(roles[i][1].shape[1], roles[i][1].shape[0]) for i in linear]
    expected = [(n_in, width)] + [(width, width)] * (depth - 1) + [(width, n_out)]
    if sizes != expected:
        fail("the Linear layers do not have the sizes asked for: the first maps n_in inputs to width units, the "
             "hidden ones width to width, the output layer width to n_out")
    for a, b in zip(linear[:-1], linear[1:]):
        if not any(role[0] == "activation" for role in roles[a + 1:b]):
            fail("there is no activation between two Linear layers (the grader found the layers in between to "
                 "compute an affine map): without it the stacked layers are one linear map, and the network cannot "
                 "learn a nonlinear process")
    import torch

    x = torch.as_tensor(rng.normal(size=(7, n_in)), dtype=torch.float32)

    def output(seed):
        return expect_shape(student.build_surrogate(n_in, n_out, width, depth, seed)(x), (7, n_out),
                            "the network's output")

    out, again, _ = seeded_runs(student, output, 0, 1)
    if not np.allclose(out, again):
        fail("the same seed gave different initial weights: call torch.manual_seed(seed) before creating the layers")


@pytest.mark.points(1)
@pytest.mark.cell("test_architecture")
def test_no_activation_after_the_output_layer(student, rng):
    """build_surrogate: the output layer is linear (no activation after it)."""
    modules, roles = roles_of(student.build_surrogate(4, 4, 16, 2, int(rng.integers(100))), 4, rng)
    if roles[-1][0] != "linear":
        kind = modules[-1].type_name.rsplit(".", 1)[-1]
        fail(f"the network ends with {kind} after the output layer: remove it. A regression output must be "
             f"linear; {kind} limits the range of the predictions (scaled outputs go from about -3 to 3)")


# --- Step 6: early stopping -----------------------------------------------------------------------

def history_of(value, max_epochs):
    if not isinstance(value, dict):
        fail("train_with_early_stopping should return a dict with keys 'train_loss', 'val_loss', 'best_epoch'")
    missing = [k for k in ("train_loss", "val_loss", "best_epoch") if k not in value]
    if missing:
        fail(f"the history has no {', '.join(map(repr, missing))}")
    train = as_array(value["train_loss"], name="history['train_loss']").astype(float).reshape(-1)
    val = as_array(value["val_loss"], name="history['val_loss']").astype(float).reshape(-1)
    if len(train) != len(val) or not 1 <= len(val) <= max_epochs:
        fail(f"train_loss and val_loss should have one entry per epoch trained (got {len(train)} and {len(val)})")
    if not (np.all(np.isfinite(train)) and np.all(np.isfinite(val))):
        fail("the loss history contains NaN or inf")
    best = value["best_epoch"]
    if isinstance(best, float) and best.is_integer():
        best = int(best)
    if type(best) is not int and not (isinstance(best, np.ndarray) and best.size == 1):
        fail("history['best_epoch'] should be an int (the index of the best epoch in val_loss)")
    return train, val, int(np.asarray(best).reshape(()))


def trained_network(model, sizes, rng, what="the model you trained"):
    """The model as the grader computes it: its weights (plain data) in the tanh network remote_network built.
    The model itself must still compute that network on rows it has never seen (no method swapped on it,
    no hook, no lookup of the rows it was given): every loss is then measured here, from the weights."""
    reject_altered(model, what)
    state = weights_of(model)
    shapes = [(b, a) for a, b in zip(sizes[:-1], sizes[1:])]
    if [a.shape for a in state] != [s for shape in shapes for s in (shape, shape[:1])]:
        fail(f"{what} no longer has the layers it was given: train the model you are given in place")
    network = local_network(sizes, state)
    x = rng.uniform(-1.5, 1.5, size=(9, sizes[0]))
    if not np.allclose(remote_predict(model, x), local_predict(network, x), rtol=1e-4, atol=1e-5):
        fail(f"{what} does not compute the network of its own weights on new inputs: train the model you are given "
             "in place, without changing what it computes")
    return lambda X: local_predict(network, X)


def mse_of(predict, X, y) -> float:
    return float(np.mean((predict(X) - y) ** 2))


def weights_of(model) -> list[np.ndarray]:
    return [np.asarray(a, dtype=float) for a in as_state(model.call_method("state_dict"))]


def as_state(value):
    if not isinstance(value, dict):
        fail("model.state_dict() no longer returns the weights: do not replace the model's methods")
    return [as_array(v, name="a weight of the model") for v in value.values()]


# The early-stopping run the grader can replay: full batch (batch_size = all training rows), so the
# trajectory does not depend on how the student shuffles, and Adam from the initial weights the grader
# read before training gives the same weights and losses in every epoch. A small noisy training set
# makes the validation loss fall, then rise as the network fits the noise; problems are drawn until
# every decision of the patience rule has a clear margin. benchmarks/early_stopping_replay.py measures
# how closely correct solutions (shuffled full batches) follow the replay, against these tolerances.
REPLAY = dict(sizes=(3, 16, 2), n_train=24, n_val=24, max_epochs=300, lr=1e-2, patience=8)
DECISION_MARGIN = 1e-4      # least relative gap between a validation loss and the best one before it
# Correct solutions followed the replay to 1.3e-6 (relative, validation losses) and 1.1e-5 (weights) over 200
# problems; restoring a neighbouring epoch instead moves the weights by about one Adam step (lr = 1e-2).
WEIGHT_TOL = dict(rtol=1e-3, atol=1e-4)


def local_predict(network, X):
    import torch

    with torch.no_grad():
        return network(torch.as_tensor(np.asarray(X, dtype=np.float32))).numpy().astype(float)


def local_network(sizes, state):
    """The tanh network of remote_network, in the grader, holding the given weights (state_dict order)."""
    import torch

    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.Tanh())
    network = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for parameter, value in zip(network.parameters(), state):
            parameter.copy_(torch.as_tensor(value, dtype=torch.float32))
    return network


def replay_early_stopping(initial, X, y, Xv, yv, clock=None, *, max_epochs=REPLAY["max_epochs"],
                          patience=REPLAY["patience"]):
    """The notebook's early stopping with full-batch Adam, here: the validation loss and the weights of
    every epoch, the best epoch, where a correct run stops, and the smallest margin of a patience
    decision. The replay goes on for 2 * patience epochs after the stop (up to max_epochs), so that the
    history of a run that stops too late is still checked epoch by epoch."""
    import torch

    network = local_network(REPLAY["sizes"], initial)
    optimiser = torch.optim.Adam(network.parameters(), lr=REPLAY["lr"])
    Xt, yt, Xvt, yvt = (torch.as_tensor(a, dtype=torch.float32) for a in (X, y, Xv, yv))
    val, weights, best, best_epoch, waited, margin, stop = [], [], np.inf, 0, 0, np.inf, None
    for epoch in range(max_epochs):
        if clock is not None:
            clock.tick()
        optimiser.zero_grad()
        torch.mean((network(Xt) - yt) ** 2).backward()
        optimiser.step()
        with torch.no_grad():
            val.append(float(torch.mean((network(Xvt) - yvt) ** 2)))
        weights.append([p.detach().numpy().astype(float).copy() for p in network.parameters()])
        if stop is not None:
            if epoch + 1 >= stop + 2 * patience:
                break
            continue
        if epoch:
            margin = min(margin, abs(val[-1] - best) / best)
        if val[-1] < best:
            best, best_epoch, waited = val[-1], epoch, 0
        else:
            waited += 1
            if waited >= patience:
                stop = epoch + 1
    return {"val": np.array(val), "weights": weights, "best": best_epoch, "margin": margin, "stop": stop}


def replay_problem(rng):
    """(X_train, y_train, X_val, y_val): a smooth function of 3 inputs with noise, few training rows."""
    X = rng.uniform(-1.5, 1.5, size=(REPLAY["n_train"] + REPLAY["n_val"], 3))
    Y = np.column_stack([np.sin(1.5 * X[:, 0]) + 0.5 * X[:, 1], X[:, 1] * X[:, 2]]) + 0.3 * rng.normal(size=(len(X), 2))
    n = REPLAY["n_train"]
    return X[:n], Y[:n], X[n:], Y[n:]


def replay_is_clear(replay) -> bool:
    """Every decision of the patience rule with a clear margin, a best epoch after the first, a stop."""
    return replay["margin"] >= DECISION_MARGIN and 0 < replay["best"] and replay["stop"] is not None


def replayable_run(student, rng):
    """The student's early stopping on a full-batch problem, and the grader's replay of it."""
    for _ in range(20):
        X_train, y_train, X_val, y_val = replay_problem(rng)
        model = remote_network(student, REPLAY["sizes"], seed=int(rng.integers(1000)))
        before = weights_of(model)
        with student.grader_work("replaying early stopping") as clock:
            replay = replay_early_stopping(before, X_train, y_train, X_val, y_val, clock)
        if replay_is_clear(replay):
            break
    else:
        raise RuntimeError("no replayable early-stopping problem with clear decisions in 20 draws")   # a grader bug
    history = student.train_with_early_stopping(model, X_train, y_train, X_val, y_val, max_epochs=REPLAY["max_epochs"],
                                                batch_size=REPLAY["n_train"], lr=REPLAY["lr"],
                                                patience=REPLAY["patience"], seed=int(rng.integers(1000)))
    return dict(model=model, before=before, X_val=X_val, y_val=y_val, history=history, replay=replay)


# A run that never stops: the validation loss falls in every epoch (a smooth function without noise, checked
# epoch by epoch with DECISION_MARGIN), so a correct run trains all max_epochs epochs and keeps the last
# epoch's weights. Over 200 draws 135 were clear; the last two epochs' weights differed by at least 0.008
# beyond WEIGHT_TOL, so ending one epoch short (range(max_epochs - 1)) is seen in the weights.
UNSTOPPED = dict(max_epochs=30, patience=30)


def unstopped_weights(student, rng):
    """(the weights the student's model ends with, those of the grader's replay after every epoch) for a
    full-batch run whose validation loss improves in every one of its max_epochs epochs."""
    for _ in range(20):
        X = rng.uniform(-1.5, 1.5, size=(REPLAY["n_train"] + REPLAY["n_val"], 3))
        Y = np.column_stack([np.sin(1.5 * X[:, 0]) + 0.5 * X[:, 1], X[:, 1] * X[:, 2]])
        n = REPLAY["n_train"]
        model = remote_network(student, REPLAY["sizes"], seed=int(rng.integers(1000)))
        with student.grader_work("replaying early stopping") as clock:
            replay = replay_early_stopping(weights_of(model), X[:n], Y[:n], X[n:], Y[n:], clock, **UNSTOPPED)
        if replay["margin"] >= DECISION_MARGIN and replay["best"] == UNSTOPPED["max_epochs"] - 1:
            break
    else:
        raise RuntimeError("no early-stopping problem that improves in every epoch in 20 draws")   # a grader bug
    student.train_with_early_stopping(model, X[:n], Y[:n], X[n:], Y[n:], max_epochs=UNSTOPPED["max_epochs"],
                                      batch_size=n, lr=REPLAY["lr"], patience=UNSTOPPED["patience"],
                                      seed=int(rng.integers(1000)))
    trained_network(model, REPLAY["sizes"], rng)
    return weights_of(model), replay["weights"]


def trained_for_real(model, before, X_val, y_val, val, best, rng):
    """The history is the student's account; the weights are what the grader sees. The model must have
    changed, and history['val_loss'] at the best epoch must be the validation MSE the grader measures."""
    predict = trained_network(model, REPLAY["sizes"], rng)
    after = weights_of(model)
    if len(after) == len(before) and all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(after, before)):
        fail("the model passed to train_with_early_stopping did not change: train that model in place "
             "(the history must describe training that really happened)")
    if not np.isclose(mse_of(predict, X_val, y_val), val[best], rtol=2e-3, atol=1e-6):
        fail("history['val_loss'][best_epoch] is not the validation MSE of the weights the model ends with: "
             "record the validation loss of the model after every epoch and restore that epoch's weights")
    return after


def same_state(got, expected) -> bool:
    return len(got) == len(expected) and all(a.shape == b.shape and np.allclose(a, b, **WEIGHT_TOL)
                                             for a, b in zip(got, expected))


def matches_replay(run, val, after, best):
    """The grader's own account of the run: every recorded validation loss, and the weights the model ends
    with (those of epoch ``best``), must be those of full-batch Adam(lr) replayed from the model's initial
    weights. A history alone proves nothing: it can be written around a model trained any other way."""
    replayed = run["replay"]["val"]
    if len(val) > len(replayed):
        fail(f"the history has {len(val)} epochs, far more than the training the grader replayed (full-batch "
             f"Adam(lr) from your model's initial weights) runs before it stops ({run['replay']['stop']}): stop "
             "when the validation loss has not been lower than the best so far for `patience` epochs in a row")
    for k in range(len(val)):
        if not np.isclose(val[k], replayed[k], rtol=1e-3, atol=1e-7):
            fail(f"history['val_loss'] does not describe the training that happened: the grader replayed full-batch "
                 f"Adam(lr) from your model's initial weights on the same data, and after epoch {k} the validation MSE "
                 f"is {replayed[k]:.4g}, not {val[k]:.4g}. Record the validation MSE of the model after every epoch "
                 "(with batch_size = all rows, each epoch is one Adam step on the whole training set)")
    if not same_state(after, run["replay"]["weights"][best]):
        fail(f"the weights the model ends with are not those of its best epoch ({best}) in the training the grader "
             "replayed (full-batch Adam(lr) from your model's initial weights): train the model you are given, one "
             "Adam step per batch, and restore the weights of the epoch with the lowest validation loss")


@pytest.mark.points(1)
@pytest.mark.cell("test_early_stopping")
def test_early_stopping_stops_after_patience(student, rng):
    """train_with_early_stopping stops `patience` epochs after the best validation loss, and trains all
    max_epochs epochs when the validation loss keeps improving (checked on runs the grader replays)."""
    run = replayable_run(student, rng)
    patience, max_epochs = REPLAY["patience"], REPLAY["max_epochs"]
    _, val, best = history_of(run["history"], max_epochs)
    if len(val) == max_epochs:
        fail(f"training ran all {max_epochs} epochs although the validation loss stopped improving: "
             f"stop when it has not improved for `patience` epochs")
    if best != int(np.argmin(val)):
        fail("history['best_epoch'] is not the epoch with the lowest validation loss "
             "(val_loss[best_epoch] should be the minimum)")
    waited = len(val) - 1 - best
    if waited < patience:
        fail(f"training stopped {waited} epoch(s) after the best one, but patience = {patience}: "
             "count the epochs without improvement and stop when the count reaches patience (an off-by-one "
             "in the counter or the comparison?)")
    if waited > patience:
        fail(f"training went on for {waited} epochs after the best one with patience = {patience}: stop as soon "
             "as the count of epochs without improvement reaches patience (>= patience, not > patience), and "
             "reset the counter only when the validation loss improves")
    after = trained_for_real(run["model"], run["before"], run["X_val"], run["y_val"], val, best, rng)
    matches_replay(run, val, after, best)
    # Without a stop, all max_epochs epochs: observed in the weights of a run that improves in every epoch.
    after, replayed = unstopped_weights(student, rng)
    max_epochs = UNSTOPPED["max_epochs"]
    if same_state(after, replayed[-1]):
        return
    trained = next((k + 1 for k in range(max_epochs - 1) if same_state(after, replayed[k])), None)
    if trained is not None:
        fail(f"with the validation loss still falling in every epoch and max_epochs = {max_epochs}, the model ends "
             f"with the weights after {trained} epochs (the grader replayed full-batch Adam(lr) from your model's "
             f"initial weights): train up to max_epochs epochs (for epoch in range(max_epochs)) and stop earlier "
             "only when patience runs out")
    fail(f"with the validation loss still falling in every epoch and max_epochs = {max_epochs}, the model does not "
         "end with the weights of its last epoch in the training the grader replayed (full-batch Adam(lr) from your "
         "model's initial weights): train the model you are given, one Adam step per batch, for up to max_epochs "
         "epochs")


@pytest.mark.points(1)
@pytest.mark.cell("test_early_stopping")
def test_early_stopping_restores_the_best_weights(student, rng):
    """After training, the model has the weights of the best validation epoch, not of the last one (checked on a
    run the grader replays)."""
    run = replayable_run(student, rng)
    _, val, best = history_of(run["history"], REPLAY["max_epochs"])
    now = mse_of(trained_network(run["model"], REPLAY["sizes"], rng), run["X_val"], run["y_val"])
    if np.isclose(now, val.min(), rtol=2e-3, atol=1e-6):
        lowest = int(np.argmin(val))
        matches_replay(run, val, trained_for_real(run["model"], run["before"], run["X_val"], run["y_val"], val, lowest,
                                                  rng), lowest)
        return
    if np.isclose(now, val[-1], rtol=2e-3, atol=1e-6):
        fail("the model keeps the weights of the last epoch instead of restoring the best ones: save a copy "
             "(copy.deepcopy(model.state_dict())) when the validation loss improves and load it at the end; "
             "state_dict() without a copy holds references to the weights that training keeps changing")
    fail("the model's validation loss after training matches neither the best nor the last epoch of "
         "history['val_loss']: record the validation MSE after each epoch and restore the best weights")


@pytest.mark.points(1)
@pytest.mark.cell("test_early_stopping")
def test_training_is_reproducible_with_its_seed(student, rng):
    """train_with_early_stopping calls torch.manual_seed(seed) first: the same seed gives the same trained
    weights, whatever torch's random state was before the call (the mini-batches are shuffled)."""
    X = rng.uniform(-1.5, 1.5, size=(48, 2))
    y = np.column_stack([np.sin(2 * X[:, 0]) * X[:, 1], X[:, 0] ** 2 - 0.5 * X[:, 1]])
    sizes, start, seed = (2, 8, 2), int(rng.integers(1000)), int(rng.integers(1000))

    def trained(random_state):
        model = remote_network(student, sizes, seed=start)            # the same initial weights every time
        student.get("torch").call_method("manual_seed", random_state)  # another random state before the call
        student.train_with_early_stopping(model, X[:32], y[:32], X[32:], y[32:], max_epochs=6, batch_size=4, lr=1e-2,
                                          patience=6, seed=seed)
        trained_network(model, sizes, rng)
        return weights_of(model)

    first, again = trained(int(rng.integers(2**31))), trained(int(rng.integers(2**31)))
    if not same_state(again, first):
        fail("the same seed gave different trained weights: call torch.manual_seed(seed) first in "
             "train_with_early_stopping (the shuffling of the mini-batches draws torch's random numbers), so that "
             "a training run can be repeated")


@pytest.mark.points(1)
@pytest.mark.cell("test_early_stopping")
def test_training_loss_is_measured_with_the_weights_of_its_epoch(student, rng):
    """history['train_loss'][k] is the MSE on the whole training set after epoch k, like val_loss[k]."""
    X = rng.uniform(-1.5, 1.5, size=(96, 2))
    y = np.column_stack([np.sin(2 * X[:, 0]) * X[:, 1], X[:, 0] ** 2 - 0.5 * X[:, 1]])
    y = (y - y.mean(axis=0)) / y.std(axis=0)
    X_train, y_train, X_val, y_val = X[:64], y[:64], X[64:], y[64:]
    sizes = (2, 16, 16, 2)
    model = remote_network(student, sizes, seed=int(rng.integers(1000)))
    # Many small batches per epoch: the weights change a lot within an epoch, so the mean of the batch
    # losses and the loss after the epoch differ clearly.
    history = student.train_with_early_stopping(model, X_train, y_train, X_val, y_val, max_epochs=25, batch_size=4,
                                                lr=1e-2, patience=25, seed=3)
    train, val, _ = history_of(history, 25)
    predict = trained_network(model, sizes, rng)      # measured here, from the weights
    now_train, now_val = mse_of(predict, X_train, y_train), mse_of(predict, X_val, y_val)
    # Which epoch's weights does the model hold now? (The restore itself is checked by another test.)
    epochs = [k for k in range(len(val)) if np.isclose(val[k], now_val, rtol=2e-3, atol=1e-7)]
    if not epochs:
        fail("the model's validation MSE after training matches no entry of history['val_loss']: record the "
             "validation MSE after each epoch")
    if any(np.isclose(train[k], now_train, rtol=2e-3, atol=1e-7) for k in epochs):
        return
    if all(train[k] > now_train for k in epochs):
        fail("history['train_loss'] is not the training MSE of the weights after the epoch (it is larger: it "
             "looks like the mean of the mini-batch losses during the epoch, which mixes the weights before "
             "every step). Evaluate the MSE on the whole training set after each epoch with torch.no_grad(), as "
             "for the validation set, so that both curves belong to the same weights")
    fail("history['train_loss'][k] is not the MSE on the whole training set after epoch k: evaluate it after "
         "each epoch with torch.no_grad(), as for the validation set")


@pytest.mark.points(1)
@pytest.mark.cell("test_early_stopping")
def test_training_lowers_the_validation_loss(student, rng):
    """train_with_early_stopping learns a smooth function: the validation loss falls well below its start."""
    X = rng.uniform(-1.5, 1.5, size=(160, 2))
    y = np.column_stack([np.sin(2 * X[:, 0]) * X[:, 1], X[:, 0] ** 2 - 0.5 * X[:, 1]])
    y = (y - y.mean(axis=0)) / y.std(axis=0)
    sizes = (2, 24, 24, 2)
    model = remote_network(student, sizes, seed=int(rng.integers(1000)))
    history = student.train_with_early_stopping(model, X[:120], y[:120], X[120:], y[120:], max_epochs=80,
                                                batch_size=16, lr=1e-2, patience=20, seed=2)
    train, val, best = history_of(history, 80)
    predict = trained_network(model, sizes, rng)
    measured = mse_of(predict, X[120:], y[120:])   # the grader's own measurement, not the history's
    if measured > 0.3 * np.mean(y[120:] ** 2):
        fail(f"after training the model's validation MSE is {measured:.3g}, hardly better than predicting 0 "
             f"({np.mean(y[120:] ** 2):.3g}; it must be below 30 % of that): check the optimiser steps "
             "(zero_grad, backward, step) on every mini-batch")
    if best != int(np.argmin(val)):
        fail("history['best_epoch'] is not the epoch with the lowest validation loss")
    if train[-1] >= train[0]:
        fail("the training loss did not decrease over the epochs")
    # train_loss[k] is a mean over the rows of epoch k: the same scale as the MSE of the training set.
    train_mse = mse_of(predict, X[:120], y[:120])
    ratio = train[best] / train_mse if train_mse > 0 else np.inf
    if not 0.5 <= ratio <= 2.0:
        fail(f"history['train_loss'] is {ratio:.3g} times the training MSE the grader measures for the same "
             "weights (it must be between 0.5 and 2): average the batch losses over the epoch, weighted by the "
             "rows of each batch, and divide by the number of rows (do not multiply, and do not just add them up)")


# --- Step 7: the trained surrogate ------------------------------------------------------------------

SIMULATOR_AGREEMENT = 1e-4   # of each output's spread: the simulator itself, not a trained network

@pytest.mark.points(3)
@pytest.mark.cell("test_surrogate")
def test_trained_surrogate_is_accurate_on_new_simulator_points(student, rng, credit):
    """fit_surrogate: trained on hidden simulator data, every output has R^2 >= 0.95 on new simulator points."""
    n = 600
    data = vdv.make_dataset(n, seed=int(rng.integers(2**31)), noise=0.01)
    X, Y = data[list(vdv.INPUTS)].to_numpy(), data[list(vdv.OUTPUTS)].to_numpy()
    order = rng.permutation(n)
    train_idx, val_idx = order[:480], order[480:]
    result = pair_of(student.fit_surrogate(X, Y, train_idx, val_idx, seed=int(rng.integers(1000)),
                                           **SURROGATE_SETTINGS),
                     "fit_surrogate", ("model", "x_scaler", "y_scaler"))
    model = remote_object(result[0], "the model returned by fit_surrogate", "a torch model")
    reject_altered(model, "the model returned by fit_surrogate")
    x_scaler = remote_object(result[1], "x_scaler", "a fitted scaler")
    y_scaler = remote_object(result[2], "y_scaler", "a fitted scaler")
    own = own_scalers(student, X, Y, train_idx)
    broken_scalers = False      # the student's own fit_scalers, used here, is wrong (step 2 loses its points)
    for what, scaler, A in (("x_scaler", x_scaler, X), ("y_scaler", y_scaler, Y)):
        train, val = A[train_idx], A[val_idx]
        transformed = scaler.call_method("transform", A)
        if own is not None and same_transform(transformed, own[what], A):
            # the scalers of the student's own fit_scalers: a mistake there costs its own test only
            broken_scalers |= not np.allclose(as_array(transformed, name="transform").astype(float),
                                              scaled(A, train.mean(axis=0), train.std(axis=0)), rtol=1e-5, atol=1e-7)
            continue
        expect_array(transformed, scaled(A, train.mean(axis=0), train.std(axis=0)),
                     name=f"{what}.transform", rtol=1e-5, atol=1e-7, mistakes={
            Mistake("scaling.refitted_on_validation", f"data leakage: {what} was refitted on the validation rows "
                                                      "(fit_transform on the validation data). "
            "Fit the scalers once, on the training rows, and only transform the validation rows"):
                scaled(A, val.mean(axis=0), val.std(axis=0)),
            Mistake("scaling.fitted_on_all_rows", f"data leakage: {what} was fitted on all rows; fit it on the "
                                                  "training rows only"):
                scaled(A, A.mean(axis=0), A.std(axis=0)),
        }, hint=f"fit_surrogate must return {what} fitted on the training rows (fit_scalers)")
    X_new = vdv.design_of_experiments(300, seed=int(rng.integers(2**31)))
    Y_new = vdv.simulate(X_new)
    inputs = as_array(x_scaler.call_method("transform", X_new), name="x_scaler.transform(X)").astype(float)
    predicted = as_array(y_scaler.call_method("inverse_transform", remote_predict(model, inputs)),
                         name="y_scaler.inverse_transform(...)").astype(float)
    if predicted.shape != Y_new.shape or not np.all(np.isfinite(predicted)):
        fail("the surrogate's predictions do not have one row per input and one column per output "
             "(or contain NaN)")
    # The released simulator wrapped as a module is right to float32 rounding on points it never saw
    # (measured: 4.8e-07 of an output's spread, fixture simulator_as_surrogate); a network trained on
    # data with 1% noise is nowhere near 1e-4 everywhere (the reference passes this check).
    closeness = float(np.max(np.abs(predicted - Y_new) / np.maximum(np.std(Y_new, axis=0), 1e-12)))
    if closeness < SIMULATOR_AGREEMENT:
        fail(f"the surrogate's predictions equal the simulator's own outputs on new points (largest difference "
             f"{closeness:.1e} of an output's spread, below {SIMULATOR_AGREEMENT:g}), which no network trained on "
             "noisy "
             "data reaches: the exercise asks for a trained network, not the released simulator")
    r2 = ref.r2_per_output(Y_new, predicted)
    passed = r2 >= R2_THRESHOLD
    credit.award(passed.mean() * 0.5)
    if not passed.all():
        worst = ", ".join(f"{name}: {value:.3f}" for name, value, ok in zip(vdv.OUTPUTS, r2, passed) if not ok)
        if broken_scalers:
            fail(f"on new simulator points R^2 must be at least {R2_THRESHOLD} for every output; it is below for "
                 f"{worst}. fit_surrogate scales the data with your fit_scalers, whose scalers are not the "
                 "standardisation of the training rows: fix fit_scalers first (its check in step 2), then run this "
                 "check again")
        broken = broken_architecture(student)
        if broken:
            fail(f"on new simulator points R^2 must be at least {R2_THRESHOLD} for every output; it is below for "
                 f"{worst}. fit_surrogate builds its network with your build_surrogate, which {broken}: fix "
                 "build_surrogate first (its check in step 5), then run this check again")
        fail(f"on new simulator points R^2 must be at least {R2_THRESHOLD} for every output; it is below for {worst}. "
             "Check that the scalers are fitted "
             "on the training rows, the network is trained on the *scaled* data, and early stopping keeps the best "
             "weights (fit_surrogate trains with your train_with_early_stopping: if its check fails, fix it first)")


def own_scalers(student, X, Y, train_idx):
    """The scalers the student's own fit_scalers returns for these rows, or None if it fails."""
    try:
        result = student.fit_scalers(X, Y, train_idx)
    except GradingFailure:
        return None
    if not isinstance(result, (tuple, list)) or len(result) != 2 or not all(isinstance(r, RemoteObject)
                                                                            for r in result):
        return None
    return {"x_scaler": result[0], "y_scaler": result[1]}


def same_transform(transformed, scaler, A) -> bool:
    try:
        mine = as_array(transformed, name="transform").astype(float)
        theirs = as_array(scaler.call_method("transform", A), name="transform").astype(float)
    except GradingFailure:
        return False
    return mine.shape == theirs.shape and bool(np.all(np.isfinite(mine))) and np.allclose(mine, theirs, rtol=1e-9,
                                                                                         atol=1e-12)


def broken_architecture(student) -> str:
    """What is wrong with the student's build_surrogate for fit_surrogate's settings ('' when nothing the
    grader can see at a glance): the message of a surrogate that fails because of it says "fix it first".
    Judged like step 5, by what each layer computes (roles_of), never by the names of its classes."""
    rng = np.random.default_rng(0)
    try:
        _, roles = roles_of(student.build_surrogate(4, 4, SURROGATE_SETTINGS["width"], SURROGATE_SETTINGS["depth"],
                                                    0), 4, rng)
    except GradingFailure:
        return "fails for these settings"
    if not roles or roles[-1][0] != "linear":
        return "ends with an activation after the output layer"
    linear = [i for i, role in enumerate(roles) if role[0] == "linear"]
    if any(not any(role[0] == "activation" for role in roles[a + 1:b]) for a, b in zip(linear[:-1], linear[1:])):
        return "has no activation between two Linear layers"
    return ""


# --- Step 8: optimisation -------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.cell("test_optimum")
def test_optimum_stays_inside_the_bounds(student, rng):
    """optimise_yield returns conditions inside the bounds even when the surrogate's peak lies outside."""
    params = yield_surface(rng)
    x = student.optimise_yield(Probe("quadratic_yield", **params), SAMPLED, int(rng.integers(1000)))
    check_inside(x, SAMPLED, "optimise_yield")


@pytest.mark.points(1)
@pytest.mark.cell("test_optimum")
def test_optimum_reaches_the_known_maximum(student, rng):
    """optimise_yield finds the best yield cB / cA0 of a surface whose constrained maximum is known."""
    params = yield_surface(rng)
    x = check_inside(student.optimise_yield(Probe("quadratic_yield", **params), SAMPLED, int(rng.integers(1000))),
                     SAMPLED, "optimise_yield")
    best_x = np.clip(params["center"], SAMPLED[:, 0], SAMPLED[:, 1])   # separable: the clipped peak is the optimum
    best = quadratic_yield(params, best_x)[0]
    got = quadratic_yield(params, x)[0]
    if got >= best - 1e-4 * abs(best):
        return
    if np.allclose(x, argmax_of_cB(params), rtol=0, atol=2e-3 * (SAMPLED[:, 1] - SAMPLED[:, 0]).max()):
        fail("optimise_yield maximised cB, not the yield cB / cA0 (divide the predicted cB by the feed "
             "concentration cA0, the 4th input)")
    fail(f"optimise_yield reached a yield {100 * (best - got) / abs(best):.2g} % below the best one in the bounds: "
         "start the optimiser from several points and keep the best, and optimise in scaled [0, 1] coordinates")


def argmax_of_cB(params):
    """Where cB (= yield * cA0 on the quadratic surface) is largest in SAMPLED: what maximising cB returns."""
    from scipy import optimize

    low, high = SAMPLED[:, 0], SAMPLED[:, 1]
    to_x = lambda u: low + u * (high - low)  # noqa: E731
    objective = lambda u: -float(quadratic_yield(params, to_x(u))[0] * to_x(u)[3])  # noqa: E731
    runs = [optimize.minimize(objective, u0, method="L-BFGS-B", bounds=[(0, 1)] * 4)
            for u0 in np.random.default_rng(0).random((6, 4))]
    return to_x(min(runs, key=lambda r: r.fun).x)


@pytest.mark.points(1)
@pytest.mark.cell("test_optimum")
def test_optimum_verified_with_the_simulator(student, rng):
    """optimise_yield on the simulator itself: the conditions found deliver the best yield (checked here)."""
    x = check_inside(student.optimise_yield(Probe("cstr_steady_states"), SAMPLED, int(rng.integers(1000))),
                     SAMPLED, "optimise_yield")
    delivered = float(vdv.steady_state(x)[1] / x[3])
    if delivered < BEST_YIELD_IN_SAMPLED - 0.002:
        fail(f"the conditions found give a yield of {delivered:.4f} in the simulator, but {BEST_YIELD_IN_SAMPLED:.4f} "
             "is possible inside the bounds: use several starting points and a bounded optimiser")


# --- Step 9: extrapolation ------------------------------------------------------------------------

def boxes(rng):
    inner = SAMPLED.copy()
    span = inner[:, 1] - inner[:, 0]
    outer = np.column_stack([inner[:, 0] - span * rng.uniform(0.1, 0.3, 4), inner[:, 1] + span * rng.uniform(0.1, 0.3,
                                                                                                             4)])
    return inner, outer


@pytest.mark.points(1)
@pytest.mark.cell("test_extrapolation")
def test_sample_outside(student, rng):
    """sample_outside: n points of the outer box, none inside the inner box, spread over the outer box."""
    inner, outer = boxes(rng)
    n, seed = int(rng.integers(150, 250)), int(rng.integers(1000))
    points = expect_shape(student.sample_outside(inner, outer, n, seed), (n, 4), "sample_outside(...)")
    beyond = np.any((points < outer[:, 0] - 1e-9) | (points > outer[:, 1] + 1e-9), axis=1)
    if beyond.any():
        fail(f"{int(beyond.sum())} of the points lie outside the outer box: draw them uniformly between the outer "
             "bounds")
    inside = np.all((points >= inner[:, 0]) & (points <= inner[:, 1]), axis=1)
    if inside.any():
        fail(f"{int(inside.sum())} of the {n} points are inside the inner (sampled) box: keep only points with at "
             "least one input outside its inner range, and draw again until you have n")
    # Uniform over the outer box minus the inner one, few points have *every* input outside its inner range.
    outside_each = (points < inner[:, 0]) | (points > inner[:, 1])
    p = 1 - (inner[:, 1] - inner[:, 0]) / (outer[:, 1] - outer[:, 0])
    expected_share = np.prod(p) / (1 - np.prod(1 - p))
    share = float(np.mean(np.all(outside_each, axis=1)))
    if share > expected_share + 0.25:
        fail(f"{share:.0%} of the points have every input outside its inner range (uniform sampling gives about "
             f"{expected_share:.0%}): a point is outside the inner box when at least one input is outside, i.e. "
             "reject exactly the points with all inputs inside (np.all), not those with any input inside")
    spread = (points.max(axis=0) - points.min(axis=0)) / (outer[:, 1] - outer[:, 0])
    if np.any(spread < 0.85):
        fail("the points do not cover the whole outer box in every input: draw each input uniformly over its "
             "outer range, then reject the points inside the inner box")
    _, again, _ = seeded_runs(student, lambda s: expect_shape(student.sample_outside(inner, outer, n, s), (n, 4),
                                                             "sample_outside(...)"), seed, seed + 1)
    if not np.array_equal(again, points):
        fail("the same seed gave different points: draw them from np.random.default_rng(seed)")
    # A thin shell (about 1 in 9 draws lands outside): one round of draws is not enough, the rounds add up.
    span = inner[:, 1] - inner[:, 0]
    shell = np.column_stack([inner[:, 0] - 0.015 * span, inner[:, 1] + 0.015 * span])
    thin = expect_shape(student.sample_outside(inner, shell, 60, seed), (60, 4), "sample_outside(...) (thin shell)")
    if np.all((thin >= inner[:, 0]) & (thin <= inner[:, 1]), axis=1).any():
        fail("with an outer box only slightly wider than the inner one, some points are inside the inner box: "
             "draw again until you have n points outside, stacking the rows of every round (np.vstack)")


@pytest.mark.points(1)
@pytest.mark.cell("test_extrapolation")
def test_errors_inside_and_outside(student, rng):
    """errors_inside_outside: RMSE per output for rows inside the box (bounds included) and outside it."""
    inner = SAMPLED
    low, high, span = inner[:, 0], inner[:, 1], inner[:, 1] - inner[:, 0]
    strictly_inside = low + span * rng.uniform(0.05, 0.95, size=(10, 4))
    on_bound = low + span * rng.uniform(0.1, 0.9, size=(4, 4))
    on_lower = rng.permutation([True, True, False, False])           # two rows on a lower, two on an upper bound
    on_bound[np.arange(4), np.arange(4)] = np.where(on_lower, low, high)   # one input exactly on a bound
    one_outside = low + span * rng.uniform(0.1, 0.9, size=(8, 4))
    for i, j in enumerate(rng.integers(0, 4, size=8)):
        one_outside[i, j] = high[j] + span[j] * 0.2 if i % 2 else low[j] - span[j] * 0.2
    all_outside = high + span * rng.uniform(0.05, 0.3, size=(4, 4))
    X = rng.permutation(np.vstack([strictly_inside, on_bound, one_outside, all_outside]))
    W, b = rng.normal(size=(4, 4)) / span[:, None], rng.normal(size=4)
    Y = X @ W + b + rng.normal(scale=0.3, size=X.shape) * (1 + 2 * ~np.all((X >= low) & (X <= high), axis=1))[:, None]
    P = X @ W + b                                 # what the probe predicts
    got = student.errors_inside_outside(Probe("affine_map", weight=W, bias=b), X, Y, inner)
    if not isinstance(got, dict) or set(got) != {"inside", "outside"}:
        fail("errors_inside_outside should return a dict with the keys 'inside' and 'outside'")
    rmse = own_rmse(student, rng)

    def variant(inside):
        return {"inside": rmse(Y[inside], P[inside]), "outside": rmse(Y[~inside], P[~inside])}

    mask = np.all((X >= low) & (X <= high), axis=1)
    expected = variant(mask)
    strict = variant(np.all((X > low) & (X < high), axis=1))
    any_inside = variant(np.any((X >= low) & (X <= high), axis=1))
    mae = {"inside": ref.mae_per_output(Y[mask], P[mask]), "outside": ref.mae_per_output(Y[~mask], P[~mask])}
    for key in ("inside", "outside"):
        expect_array(got[key], expected[key], name=f"errors_inside_outside(...)['{key}']", rtol=1e-6, mistakes={
            Mistake("extrapolation.bounds_outside", "points exactly on a bound belong inside the box: use >= and <= "
                                                    "(bounds included)"): strict[key],
            Mistake("extrapolation.any_instead_of_all", "a point is outside when ANY of its inputs is outside its "
                                                        "range (inside only if all inputs are within)"):
                any_inside[key],
            Mistake("extrapolation.inside_outside_swapped",
                    "'inside' and 'outside' are swapped"): expected["outside" if key == "inside" else "inside"],
            Mistake("extrapolation.mae_not_rmse", "this is the mean absolute error; the errors should be RMSE per "
                                                  "output"): mae[key],
        })


def own_rmse(student, rng):
    """The student's own rmse_per_output as far as the grader can vouch for it: identified (``identify``) on
    the rows at hand and on a case of other shape as the RMSE or one of its named mistakes (the MSE, the
    MAE: test_rmse_and_mae_per_output names them), then computed here; the RMSE when the cases disagree.
    A wrong RMSE costs points there only, not again here, but the student's function is never the oracle."""
    def candidates(case):
        A, B = case
        return {REFERENCE: ref.rmse_per_output(A, B), "rmse.missing_root": ref.rmse_per_output(A, B) ** 2,
                "rmse.is_mae": ref.mae_per_output(A, B)}

    def close(value, candidate):
        return value.shape == candidate.shape and bool(np.allclose(value, candidate, rtol=1e-6, atol=1e-12))

    def rmse(A, B):
        size = (int(rng.integers(5, 15)), A.shape[1] + 1)          # one size for both arrays of the other case
        other = (rng.normal(size=size), rng.normal(size=size))
        found = identify(lambda case: as_array(student.rmse_per_output(*case), name="rmse_per_output").astype(float),
                         candidates, [(A, B), other], close)
        return candidates((A, B))[found or REFERENCE]
    return rmse
