# A "Tanh" of its own that is the identity: named like torch's, it hides a purely linear network.
# flag: lookalike_class
# %% cell: build_mlp
class Tanh(nn.Module):
    def forward(self, x):
        return x


def build_mlp(n_inputs, width, depth, activation="tanh", n_outputs=1):
    layers, size = [], n_inputs
    for _ in range(depth):
        layers += [nn.Linear(size, width), Tanh()]
        size = width
    layers.append(nn.Linear(size, n_outputs))
    return nn.Sequential(*layers)
