"""Reference solution for cs3 (QSPR): boiling temperatures from RDKit descriptors.

The notebook's public contract (names, signatures, return types):
    canonical_smiles(smiles) -> str | None                 RDKit canonical SMILES, None if invalid (unparsable or "")
    compute_descriptors(smiles_list) -> (n, 10) floats     DESCRIPTOR_NAMES; a NaN row if invalid
    usable_columns(X) -> (d,) bool                         finite in every row and not constant
    split_by_group(groups, test_fraction=0.2, seed=0) -> (train_idx, test_idx)
    molecule_split(smiles_list, test_fraction=0.2, seed=0) -> (train_idx, test_idx)
    scale_features(X_train, X_test) -> (X_train_scaled, X_test_scaled)   fitted on X_train only
    train_network(X_train, y_train, seed=0, epochs=100) -> torch.nn.Module (scaled X -> Tb in K)
    fit_and_predict(train_smiles, train_y, test_smiles, seed=0) -> (n_test,) predictions in K
    permutation_importance(predict, X, y, n_repeats=5, seed=0) -> (d,) increase of the MAE
    held_out_importance(fit, X_train, y_train, X_test, y_test, n_repeats=5, seed=0) -> (d,)
    forward_selection(fit, X_train, y_train, X_val, y_val, start=0, n_steps=4) -> (chosen, errors)
    drop_column_importance(fit, X_train, y_train, X_val, y_val) -> (d,) increase of the validation MAE
    chemical_family(smiles) -> str                         one of FAMILIES (or "invalid")
    error_by_family(families, y_true, y_pred) -> {family: MAE}
    murcko_scaffold(smiles) -> str | None                  "" for molecules without rings
    scaffold_split(smiles_list, test_fraction=0.2, seed=0) -> (train_idx, test_idx)   the scaffold itself is the key
Every function is pure: it never modifies its arguments.
"""
from __future__ import annotations

import numpy as np

DESCRIPTOR_NAMES = ("MolWt", "NumHDonors", "NumHAcceptors", "TPSA", "NumRotatableBonds",
                    "RingCount", "NumAromaticRings", "MolLogP", "FractionCSP3", "HeavyAtomCount")

# Functional groups in priority order: a molecule belongs to the first that matches.
FUNCTIONAL_GROUPS = {
    "carboxylic acid": "[CX3](=O)[OX2H1]",
    "ester": "[#6][CX3](=O)[OX2H0][#6]",
    "amide": "[NX3][CX3]=[OX1]",
    "nitrile": "[NX1]#[CX2]",
    "alcohol": "[OX2H][CX4]",
    "phenol": "[OX2H]c",
    "amine": "[NX3;!$(N~[!#6;!#1]);!$(N-C=[O,N,S])]",
    "aldehyde/ketone": "[CX3]=[OX1]",
    "ether": "[OD2]([#6])[#6]",
    "halide": "[#6][F,Cl,Br,I]",
}
HYDROCARBONS = ("alkane", "alkene/alkyne", "aromatic hydrocarbon")
FAMILIES = HYDROCARBONS + tuple(FUNCTIONAL_GROUPS) + ("other",)


def _mol(smiles):
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")  # invalid SMILES are expected here; keep stderr quiet
    if not isinstance(smiles, str) or not smiles.strip():
        return None
    return Chem.MolFromSmiles(smiles)


# --- descriptors ------------------------------------------------------------------------------

def canonical_smiles(smiles):
    from rdkit import Chem

    mol = _mol(smiles)
    return None if mol is None else Chem.MolToSmiles(mol)


def compute_descriptors(smiles_list):
    from rdkit.Chem import Descriptors

    functions = [getattr(Descriptors, name) for name in DESCRIPTOR_NAMES]
    X = np.full((len(smiles_list), len(functions)), np.nan)
    for i, smiles in enumerate(smiles_list):
        mol = _mol(smiles)
        if mol is not None:
            X[i] = [f(mol) for f in functions]
    return X


def usable_columns(X):
    X = np.asarray(X, dtype=float)
    finite = np.all(np.isfinite(X), axis=0)
    varies = np.zeros(X.shape[1], dtype=bool)
    varies[finite] = np.ptp(X[:, finite], axis=0) > 0
    return finite & varies


# --- splits ---------------------------------------------------------------------------------------

def split_by_group(groups, test_fraction=0.2, seed=0):
    """Whole groups go to the test set, in a random order, until it holds test_fraction of the rows."""
    keys = list(groups)
    distinct = sorted(set(keys))
    order = np.random.default_rng(seed).permutation(len(distinct))
    target = test_fraction * len(keys)
    members: dict = {}
    for i, key in enumerate(keys):
        members.setdefault(key, []).append(i)
    test, size = [], 0
    for j in order:
        if size >= target:
            break
        test.extend(members[distinct[j]])
        size += len(members[distinct[j]])
    test = np.array(sorted(test), dtype=int)
    train = np.setdiff1d(np.arange(len(keys)), test)
    return train, test


def _group_key(smiles, key):
    # An invalid SMILES is its own group: it cannot be a duplicate of anything we can recognise.
    return key if key is not None else f"invalid:{smiles}"


def molecule_split(smiles_list, test_fraction=0.2, seed=0):
    groups = [_group_key(s, canonical_smiles(s)) for s in smiles_list]
    return split_by_group(groups, test_fraction, seed)


# --- scaling and the network ------------------------------------------------------------------------

def scale_features(X_train, X_test):
    X_train, X_test = np.asarray(X_train, dtype=float), np.asarray(X_test, dtype=float)
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)   # a constant training column is only centred
    return (X_train - mean) / std, (X_test - mean) / std


def make_network(n_features, y_mean, y_std, hidden=(64, 64)):
    """An MLP that learns standardised targets and reports kelvin (the given BoilingPointNet)."""
    import torch
    from torch import nn

    class BoilingPointNet(nn.Module):
        def __init__(self):
            super().__init__()
            layers, width = [], n_features
            for h in hidden:
                layers += [nn.Linear(width, h), nn.ReLU()]
                width = h
            layers.append(nn.Linear(width, 1))
            self.body = nn.Sequential(*layers)
            self.register_buffer("y_mean", torch.tensor(float(y_mean)))
            self.register_buffer("y_std", torch.tensor(float(y_std)))

        def forward(self, x):
            return self.y_mean + self.y_std * self.body(x).squeeze(-1)

    return BoilingPointNet()


def train_network(X_train, y_train, seed=0, epochs=100):
    """Adam (lr 3e-3) on shuffled mini-batches of 256, MSE on standardised targets."""
    import torch

    torch.manual_seed(seed)
    X = torch.as_tensor(np.asarray(X_train), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y_train), dtype=torch.float32).reshape(-1)
    model = make_network(X.shape[1], y.mean().item(), y.std().item())
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(seed)
    target = (y - model.y_mean) / model.y_std
    for _ in range(epochs):
        for batch in torch.randperm(len(X), generator=generator).split(256):
            optimizer.zero_grad()
            loss = torch.mean((model.body(X[batch]).squeeze(-1) - target[batch]) ** 2)
            loss.backward()
            optimizer.step()
    return model.eval()


def predict(model, X):
    import torch

    with torch.no_grad():
        return model(torch.as_tensor(np.asarray(X), dtype=torch.float32)).numpy().astype(float)


def fit_and_predict(train_smiles, train_y, test_smiles, seed=0):
    X_train, X_test = compute_descriptors(train_smiles), compute_descriptors(test_smiles)
    y_train = np.asarray(train_y, dtype=float)
    valid = np.all(np.isfinite(X_train), axis=1)      # invalid SMILES: NaN rows, dropped with their labels
    X_train_s, X_test_s = scale_features(X_train[valid], X_test)
    model = train_network(X_train_s, y_train[valid], seed=seed)
    return predict(model, X_test_s)


# --- descriptor influence --------------------------------------------------------------------------

def mae(y_true, y_pred):
    return float(np.mean(np.abs(np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float))))


def permutation_importance(predict, X, y, n_repeats=5, seed=0):
    """Mean increase of the MAE when one column is shuffled (the others kept), over n_repeats shuffles."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    baseline = mae(y, predict(X))
    importance = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        for _ in range(n_repeats):
            shuffled = X.copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            importance[j] += mae(y, predict(shuffled)) - baseline
    return importance / n_repeats


def held_out_importance(fit, X_train, y_train, X_test, y_test, n_repeats=5, seed=0):
    """Train with fit(X_train, y_train) -> predict, then measure importance on the *held-out* data."""
    return permutation_importance(fit(X_train, y_train), X_test, y_test, n_repeats, seed)


def forward_selection(fit, X_train, y_train, X_val, y_val, start=0, n_steps=4):
    """Greedy selection: from column `start`, add n_steps times the column that lowers the *validation*
    MAE most (ties: the lowest column index). Returns (chosen, errors): the columns in the order chosen
    (start first) and errors[k], the validation MAE of the model trained on chosen[:k + 1]."""
    X_train, X_val = np.asarray(X_train, dtype=float), np.asarray(X_val, dtype=float)

    def validation_error(columns):
        return mae(y_val, fit(X_train[:, columns], y_train)(X_val[:, columns]))

    chosen, errors = [int(start)], [validation_error([int(start)])]
    remaining = [j for j in range(X_train.shape[1]) if j != start]
    for _ in range(min(n_steps, len(remaining))):
        scores = [validation_error(chosen + [j]) for j in remaining]
        best = int(np.argmin(scores))              # the first minimum: the lowest index on a tie
        chosen.append(remaining.pop(best))
        errors.append(scores[best])
    return chosen, errors


def drop_column_importance(fit, X_train, y_train, X_val, y_val):
    """(d,): how much the validation MAE rises when the model is *retrained* without column j.

    Unlike permutation importance (one fixed model, one column scrambled), the retrained model may use a
    correlated column instead: two descriptors that carry the same information both get a small value.
    """
    X_train, X_val = np.asarray(X_train, dtype=float), np.asarray(X_val, dtype=float)
    columns = np.arange(X_train.shape[1])
    full = mae(y_val, fit(X_train, y_train)(X_val))
    return np.array([mae(y_val, fit(X_train[:, columns != j], y_train)(X_val[:, columns != j])) - full
                     for j in columns])


def least_squares_fit(X_train, y_train):
    """fit(X, y) -> predict for a linear model with intercept (ordinary least squares): deterministic,
    so the selection and importance tests can compare numbers exactly."""
    A = np.column_stack([np.asarray(X_train, dtype=float), np.ones(len(X_train))])
    coef, *_ = np.linalg.lstsq(A, np.asarray(y_train, dtype=float), rcond=None)
    return lambda X: np.asarray(X, dtype=float) @ coef[:-1] + coef[-1]


# --- families and scaffolds ----------------------------------------------------------------------------

def chemical_family(smiles):
    from rdkit import Chem

    mol = _mol(smiles)
    if mol is None:
        return "invalid"
    if all(atom.GetSymbol() == "C" for atom in mol.GetAtoms()):
        if any(atom.GetIsAromatic() for atom in mol.GetAtoms()):
            return "aromatic hydrocarbon"
        if any(bond.GetBondType() != Chem.BondType.SINGLE for bond in mol.GetBonds()):
            return "alkene/alkyne"
        return "alkane"
    for family, smarts in FUNCTIONAL_GROUPS.items():
        if mol.HasSubstructMatch(Chem.MolFromSmarts(smarts)):
            return family
    return "other"


def error_by_family(families, y_true, y_pred):
    families = list(families)
    errors = np.abs(np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float))
    return {family: float(np.mean([e for f, e in zip(families, errors) if f == family]))
            for family in sorted(set(families))}


def murcko_scaffold(smiles):
    from rdkit.Chem.Scaffolds import MurckoScaffold

    mol = _mol(smiles)
    return None if mol is None else MurckoScaffold.MurckoScaffoldSmiles(mol=mol)


def scaffold_split(smiles_list, test_fraction=0.2, seed=0):
    """Molecules sharing a ring scaffold stay together; a molecule without rings is its own group."""
    groups = []
    for smiles in smiles_list:
        scaffold = murcko_scaffold(smiles)
        groups.append(_group_key(smiles, canonical_smiles(smiles)) if not scaffold else f"scaffold:{scaffold}")
    return split_by_group(groups, test_fraction, seed)
