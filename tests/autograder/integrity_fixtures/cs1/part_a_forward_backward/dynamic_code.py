# Runs code it decodes at run time, so a reading of the cell does not show what it does.
# flag: dynamic_code
# %% cell: sigmoid
import base64

exec(base64.b64decode("aW1wb3J0IG9z").decode())


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1.0 - s)
