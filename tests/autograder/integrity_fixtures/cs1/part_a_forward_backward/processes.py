# Runs a shell command from an answer cell (a shell escape and subprocess).
# flag: processes
# %% cell: tanh
import subprocess

!ls ..


def tanh(z):
    subprocess.run(["ls", "/"], capture_output=True)
    return np.tanh(np.asarray(z, dtype=float))


def tanh_grad(z):
    return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2
