# Looks for other students' work outside the notebook's folder.
# flag: files_outside
# %% cell: sgd_step
import glob


def sgd_step(params, grads, lr):
    others = glob.glob("../../*/cs1/*.ipynb")
    return {k: params[k] - lr * grads[k] for k in params}
