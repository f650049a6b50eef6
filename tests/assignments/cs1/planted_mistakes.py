"""Every named mistake of cs1's catalogue (autograder/hidden/cs1/mistakes.toml), planted in the source notebook.

One entry per mistake id: the change(s) to ONE solution cell that make the student's code commit exactly
that mistake. ``test_cs1_visible_tests.py`` runs the notebook with each of them and checks that the visible
tests fail in exactly that cell's test cell (``test_<cell>``) and nowhere else; the e2e test there grades
them with the hidden tests and checks that the mistake is recognised by name. A plant names the source
text it replaces, so an edit of the solution that breaks it fails loudly instead of testing nothing.
"""
from __future__ import annotations

from cs1_cells import Plant

P = Plant
CLOSED_FORM = "return (n_inputs + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * n_outputs"

PART_A: dict[str, tuple[Plant, ...]] = {
    # --- 1. activations
    "relu.negatives_kept": (P("relu", "return np.maximum(np.asarray(z, dtype=float), 0.0)",
                              "return np.asarray(z, dtype=float)"),),
    "relu.is_derivative": (P("relu", "return np.maximum(np.asarray(z, dtype=float), 0.0)",
                             "return (np.asarray(z) > 0).astype(float)"),),
    "relu.min_instead_of_max": (P("relu", "np.maximum(", "np.minimum("),),
    "relu_grad.one_at_zero": (P("relu", "return (np.asarray(z) > 0).astype(float)",
                                "return (np.asarray(z) >= 0).astype(float)"),),
    "relu_grad.minus_one_below_zero": (P("relu", "return (np.asarray(z) > 0).astype(float)",
                                         "return np.sign(np.asarray(z, dtype=float))"),),
    "relu_grad.is_relu": (P("relu", "return (np.asarray(z) > 0).astype(float)",
                            "return np.maximum(np.asarray(z, dtype=float), 0.0)"),),
    "relu_grad.always_one": (P("relu", "return (np.asarray(z) > 0).astype(float)",
                               "return np.ones_like(np.asarray(z, dtype=float))"),),
    "leaky_relu.ignores_alpha": (P("leaky_relu", "np.where(z > 0, z, alpha * z)", "np.where(z > 0, z, 0.01 * z)"),),
    "leaky_relu.plain_relu": (P("leaky_relu", "np.where(z > 0, z, alpha * z)", "np.where(z > 0, z, 0.0)"),),
    "leaky_relu_grad.zero_below_zero": (P("leaky_relu", "np.where(np.asarray(z) > 0, 1.0, alpha)",
                                          "np.where(np.asarray(z) > 0, 1.0, 0.0)"),),
    "leaky_relu_grad.alpha_times_z": (P("leaky_relu", "np.where(np.asarray(z) > 0, 1.0, alpha)",
                                        "np.where(np.asarray(z) > 0, 1.0, alpha * np.asarray(z))"),),
    "sigmoid.sign_in_exponent": (P("sigmoid", "np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
                                   "np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))"),),
    "sigmoid_grad.formula_on_z": (P("sigmoid", "s = sigmoid(z)", "s = np.asarray(z, dtype=float)"),),
    "sigmoid_grad.is_sigmoid": (P("sigmoid", "return s * (1.0 - s)", "return s"),),
    "sigmoid_grad.one_minus_sigmoid": (P("sigmoid", "return s * (1.0 - s)", "return 1.0 - s"),),
    "tanh_grad.formula_on_z": (P("tanh", "return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2",
                                 "return 1.0 - np.asarray(z, dtype=float) ** 2"),),
    "tanh_grad.not_squared": (P("tanh", "return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2",
                                "return 1.0 - np.tanh(np.asarray(z, dtype=float))"),),
    "tanh_grad.missing_one_minus": (P("tanh", "return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2",
                                      "return np.tanh(np.asarray(z, dtype=float)) ** 2"),),
    "softmax.normalises_columns": (P("softmax", "shifted = z - np.max(z, axis=-1, keepdims=True)\n"
                                                "    e = np.exp(shifted)\n"
                                                "    return e / np.sum(e, axis=-1, keepdims=True)",
                                     "e = np.exp(z - np.max(z, axis=0, keepdims=True))\n"
                                     "    return e / np.sum(e, axis=0, keepdims=True)"),),
    "softmax.normalises_whole_array": (P("softmax", "shifted = z - np.max(z, axis=-1, keepdims=True)\n"
                                                    "    e = np.exp(shifted)\n"
                                                    "    return e / np.sum(e, axis=-1, keepdims=True)",
                                         "e = np.exp(z - np.max(z))\n    return e / np.sum(e)"),),
    "softmax.missing_exp": (P("softmax", "e = np.exp(shifted)", "e = z"),),
    # --- 2. forward
    "forward.missing_output_bias": (P("forward", 'y_hat = A1 @ params["W2"] + params["b2"]',
                                      'y_hat = A1 @ params["W2"]'),),
    "forward.missing_hidden_bias": (P("forward", 'Z1 = X @ params["W1"] + params["b1"]', 'Z1 = X @ params["W1"]'),),
    "forward.missing_activation": (P("forward", "A1 = np.asarray(f(Z1), dtype=float)",
                                     "A1 = np.asarray(Z1, dtype=float)"),),
    "forward.activation_on_output": (P("forward", 'y_hat = A1 @ params["W2"] + params["b2"]',
                                       'y_hat = np.asarray(f(A1 @ params["W2"] + params["b2"]), dtype=float)'),),
    "forward.ignores_activation_argument": (P("forward", "f, _ = ACTIVATIONS[activation]",
                                              'f, _ = ACTIVATIONS["relu"]'),),
    "forward.cache_z1_is_a1": (P("forward", '{"X": X, "Z1": Z1, "A1": A1}', '{"X": X, "Z1": A1, "A1": A1}'),),
    "forward.cache_a1_is_z1": (P("forward", '{"X": X, "Z1": Z1, "A1": A1}', '{"X": X, "Z1": Z1, "A1": Z1}'),),
    "forward.flat_output": (P("forward", "return y_hat, {", "return np.asarray(y_hat)[:, 0], {"),),
    # --- 3. the worked example
    "lecture_example.missing_hidden_bias": (P("lecture_example", "x3 + b1[0]   # step 1", "x3   # step 1"),
                                            P("lecture_example", "x3 + b1[1]   # step 2", "x3   # step 2")),
    "lecture_example.wrong_neuron_weights": (P("lecture_example",
                                               "z1 = W1[0, 0] * x1 + W1[1, 0] * x2 + W1[2, 0] * x3 + b1[0]",
                                               "z1 = W1[0, 1] * x1 + W1[1, 1] * x2 + W1[2, 1] * x3 + b1[1]"),),
    "lecture_example.wrong_neuron_bias": (P("lecture_example", "x3 + b1[0]   # step 1", "x3 + b1[1]   # step 1"),),
    "lecture_example.shared_bias": (P("lecture_example", "x3 + b1[1]   # step 2", "x3 + b1[0]   # step 2"),),
    "lecture_example.missing_output_bias": (P("lecture_example", "z3 = w4 * a1 + w5 * a2 + b2",
                                              "z3 = w4 * a1 + w5 * a2"),),
    "lecture_example.swapped_output_weights": (P("lecture_example", "z3 = w4 * a1 + w5 * a2 + b2",
                                                 "z3 = w5 * a1 + w4 * a2 + b2"),),
    "lecture_example.pre_activations_used": (P("lecture_example", "z3 = w4 * a1 + w5 * a2 + b2",
                                               "z3 = w4 * z1 + w5 * z2 + b2"),),
    "lecture_example.relu_output_not_applied": (P("lecture_example", '"y_hat_relu_output": max(0.0, z3)',
                                                  '"y_hat_relu_output": z3'),),
    "lecture_example.abs_instead_of_relu": (P("lecture_example", '"y_hat_relu_output": max(0.0, z3)',
                                              '"y_hat_relu_output": abs(z3)'),),
    "lecture_example.typed_slide_number": (P("lecture_example",
                                             'return {"z1": z1, "z2": z2, "z3": z3, "y_hat_relu_output": max(0.0, z3)}',
                                             'return {"z1": 1.0, "z2": 43.0, "z3": -50.0, "y_hat_relu_output": 0.0}'),),
    # --- 4. the loss
    "mse.sum_not_mean": (P("mse_loss", "float(np.mean((np.asarray(y_hat)", "float(np.sum((np.asarray(y_hat)"),),
    "mse.absolute_errors": (P("mse_loss", "np.mean((np.asarray(y_hat) - np.asarray(y)) ** 2)",
                              "np.mean(np.abs(np.asarray(y_hat) - np.asarray(y)))"),),
    "mse.root_taken": (P("mse_loss", "np.mean((np.asarray(y_hat) - np.asarray(y)) ** 2)",
                         "np.sqrt(np.mean((np.asarray(y_hat) - np.asarray(y)) ** 2))"),),
    "mse.divided_by_n_only": (P("mse_loss", "np.mean((np.asarray(y_hat) - np.asarray(y)) ** 2)",
                                "np.sum((np.asarray(y_hat) - np.asarray(y)) ** 2) / len(y_hat)"),),
    "mse.broadcast_shapes": (P("mse_loss", "np.mean((np.asarray(y_hat) - np.asarray(y)) ** 2)",
                               "np.mean((np.ravel(y_hat) - np.asarray(y)) ** 2)"),),
    "mse_grad.missing_factor_2": (P("mse_loss_grad", "return 2.0 * (y_hat", "return 1.0 * (y_hat"),),
    "mse_grad.sign_flipped": (P("mse_loss_grad", "(y_hat - np.asarray(y, dtype=float))",
                                "(np.asarray(y, dtype=float) - y_hat)"),),
    "mse_grad.missing_mean": (P("mse_loss_grad", " / y_hat.size", ""),),
    "mse_grad.divided_by_n_only": (P("mse_loss_grad", " / y_hat.size", " / len(y_hat)"),),
    "mse_grad.broadcast_shapes": (P("mse_loss_grad", "(y_hat - np.asarray(y, dtype=float))",
                                    "(y_hat.ravel() - np.asarray(y, dtype=float))"),),
    # --- 5. backward and the chain rule
    "backward.dw2_averaged": (P("backward", 'dW2 = cache["A1"].T @ dy_hat',
                                'dW2 = cache["A1"].T @ dy_hat / len(dy_hat)'),),
    "backward.dw2_uses_z1": (P("backward", 'dW2 = cache["A1"].T @ dy_hat', 'dW2 = cache["Z1"].T @ dy_hat'),),
    "backward.db2_averaged": (P("backward", "db2 = np.sum(dy_hat, axis=0)", "db2 = np.mean(dy_hat, axis=0)"),),
    "backward.missing_activation_derivative": (P("backward", 'dZ1 = dA1 * np.asarray(f_grad(cache["Z1"]), dtype=float)',
                                                 "dZ1 = dA1"),),
    "backward.dw1_averaged": (P("backward", 'dW1 = cache["X"].T @ dZ1', 'dW1 = cache["X"].T @ dZ1 / len(dZ1)'),),
    "backward.db1_averaged": (P("backward", "db1 = np.sum(dZ1, axis=0)", "db1 = np.mean(dZ1, axis=0)"),),
    "backward.ignores_activation_argument": (P("backward", "_, f_grad = ACTIVATIONS[activation]",
                                               '_, f_grad = ACTIVATIONS["relu"]'),),
    "backward.derivative_at_a1": (P("backward", 'f_grad(cache["Z1"])', 'f_grad(cache["A1"])'),),
    "gradient.transposed": (P("backward", 'dW1 = cache["X"].T @ dZ1', 'dW1 = dZ1.T @ cache["X"]'),),
    "chain_rule.wrong_weights": (P("chain_rule_dL_dw11", "dz3_da1 = w4", "dz3_da1 = w5"),),
    "chain_rule.w5_instead_of_w4": (P("chain_rule_dL_dw11", "dz3_da1 = w4", "dz3_da1 = w5"),),
    "chain_rule.derivative_of_w12": (P("chain_rule_dL_dw11", "dz3_da1 = w4\n    da1_dz1 = 1.0 if z1 > 0 else 0.0",
                                       "dz3_da1 = w5\n    da1_dz1 = 1.0 if z2 > 0 else 0.0"),),
    "chain_rule.missing_relu_derivative": (P("chain_rule_dL_dw11", "da1_dz1 = 1.0 if z1 > 0 else 0.0",
                                             "da1_dz1 = 1.0"),),
    "chain_rule.relu_derivative_at_zero": (P("chain_rule_dL_dw11", "da1_dz1 = 1.0 if z1 > 0 else 0.0",
                                             "da1_dz1 = 1.0 if z1 >= 0 else 0.0"),),
    "chain_rule.sign_flipped": (P("chain_rule_dL_dw11", "2.0 * (y_hat - float(np.ravel(y)[0]))",
                                  "2.0 * (float(np.ravel(y)[0]) - y_hat)"),),
    "chain_rule.missing_factor_2": (P("chain_rule_dL_dw11", "2.0 * (y_hat - float(np.ravel(y)[0]))",
                                      "1.0 * (y_hat - float(np.ravel(y)[0]))"),),
    "chain_rule.weight_instead_of_input": (P("chain_rule_dL_dw11", "dz1_dw11 = x1", "dz1_dw11 = W1[0, 0]"),),
    "chain_rule.relu_derivative_on_output": (P("chain_rule_dL_dw11", "dy_hat_dz3 = 1.0",
                                               "dy_hat_dz3 = 1.0 if y_hat > 0 else 0.0"),),
    "chain_rule.shared_bias": (P("chain_rule_dL_dw11", "W1[2, 1] * x3 + b1[1]", "W1[2, 1] * x3 + b1[0]"),),
    # --- 6. gradient checking
    "numerical_gradient.one_sided": (P("numerical_gradient", "x[index] = original - h", "x[index] = original"),
                                     P("numerical_gradient", "/ (2.0 * h)", "/ h")),
    "numerical_gradient.divided_by_h": (P("numerical_gradient", "/ (2.0 * h)", "/ h"),),
    "numerical_gradient.divided_by_2": (P("numerical_gradient", "/ (2.0 * h)", "/ 2.0"),),
    "numerical_gradient.entries_not_restored": (P("numerical_gradient", "x[index] = original\n        grad[index]",
                                                  "grad[index]"),),
    "relative_error.mean_not_max": (P("relative_error", "return float(np.max(", "return float(np.mean("),),
    "relative_error.abs_of_sum": (P("relative_error", "np.maximum(1e-8, np.abs(a) + np.abs(b))",
                                    "np.maximum(1e-8, np.abs(a + b))"),),
    "relative_error.norms": (P("relative_error", "np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))",
                               "np.linalg.norm(a - b) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(b))"),),
    "relative_error.zero_division": (P("relative_error", "np.maximum(1e-8, np.abs(a) + np.abs(b))",
                                       "(np.abs(a) + np.abs(b))"),),
    "relative_error.numerator_sum": (P("relative_error", "np.abs(a - b) / np.maximum", "np.abs(a + b) / np.maximum"),),
    "relative_error.no_floor": (P("relative_error",
                                  "return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))",
                                  "d = np.abs(a) + np.abs(b)\n"
                                  "    return float(np.max(np.divide(np.abs(a - b), d, out=np.zeros_like(d), "
                                  "where=d > 0)))"),),
    # --- 7. cross-entropy
    "cross_entropy.sum_not_mean": (P("cross_entropy", " / z.shape[0])", ")"),),
    "cross_entropy.divided_by_nk": (P("cross_entropy", " / z.shape[0])", " / z.size)"),),
    "cross_entropy.missing_minus": (P("cross_entropy", "return float(-np.sum(", "return float(np.sum("),),
    "cross_entropy.all_classes": (P("cross_entropy", "np.sum(np.asarray(y, dtype=float) * log_p)", "np.sum(log_p)"),),
    "cross_entropy.log10": (P("cross_entropy",
                              "log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))",
                              "log_p = (shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))) "
                              "/ np.log(10)"),),
    "cross_entropy_grad.sign_flipped": (P("cross_entropy_grad", "(softmax(z) - np.asarray(y, dtype=float))",
                                          "(np.asarray(y, dtype=float) - softmax(z))"),),
    "cross_entropy_grad.missing_mean": (P("cross_entropy_grad", " / z.shape[0]", ""),),
    "cross_entropy_grad.divided_by_nk": (P("cross_entropy_grad", " / z.shape[0]", " / z.size"),),
    "cross_entropy_grad.missing_minus_y": (P("cross_entropy_grad", "(softmax(z) - np.asarray(y, dtype=float))",
                                             "softmax(z)"),),
    "cross_entropy_grad.diagonal_only": (P("cross_entropy_grad", "(softmax(z) - np.asarray(y, dtype=float))",
                                           "(-np.asarray(y, dtype=float) * (1 - softmax(z)))"),),
    # --- 8. torch
    "torch_gradients.sum_loss": (P("torch_gradients", "torch.mean((y_hat - yt) ** 2).backward()",
                                   "torch.sum((y_hat - yt) ** 2).backward()"),),
    "torch_gradients.half_mse": (P("torch_gradients", "torch.mean((y_hat - yt) ** 2).backward()",
                                   "(torch.mean((y_hat - yt) ** 2) / 2).backward()"),),
    "torch_gradients.sign_flipped": (P("torch_gradients", "torch.mean((y_hat - yt) ** 2).backward()",
                                       "(-torch.mean((y_hat - yt) ** 2)).backward()"),),
    # --- 9. gradient descent
    "sgd.wrong_sign": (P("sgd_step", "params[k] - lr * grads[k]", "params[k] + lr * grads[k]"),),
    "sgd.missing_learning_rate": (P("sgd_step", "params[k] - lr * grads[k]", "params[k] - grads[k]"),),
    "sgd.returns_step": (P("sgd_step", "params[k] - lr * grads[k]", "lr * grads[k]"),),
    "sgd.returns_unchanged": (P("sgd_step", "params[k] - lr * grads[k]", "params[k]"),),
    # --- 10. dying ReLU
    "dead_units.any_sample": (P("dead_unit_fraction", "np.all(Z1 <= 0, axis=0)", "np.any(Z1 <= 0, axis=0)"),),
    "dead_units.fraction_of_activations": (P("dead_unit_fraction", "np.mean(np.all(Z1 <= 0, axis=0))",
                                             "np.mean(Z1 <= 0)"),),
    "dead_units.count_not_fraction": (P("dead_unit_fraction", "np.mean(np.all(Z1 <= 0, axis=0))",
                                        "np.sum(np.all(Z1 <= 0, axis=0))"),),
    "dead_units.zero_counts_alive": (P("dead_unit_fraction", "Z1 <= 0", "Z1 < 0"),),
    "dead_units.alive_fraction": (P("dead_unit_fraction", "np.mean(np.all(Z1 <= 0, axis=0))",
                                    "np.mean(np.any(Z1 > 0, axis=0))"),),
    "frozen_units.biases_only": (P("frozen_unit_fraction", "np.mean(same_weights & same_bias)", "np.mean(same_bias)"),),
    "frozen_units.weights_only": (P("frozen_unit_fraction", "np.mean(same_weights & same_bias)",
                                    "np.mean(same_weights)"),),
    "frozen_units.any_weight": (P("frozen_unit_fraction", "same_weights = np.all(", "same_weights = np.any("),),
    "frozen_units.changed_fraction": (P("frozen_unit_fraction", "np.mean(same_weights & same_bias)",
                                        "1.0 - np.mean(same_weights & same_bias)"),),
    "frozen_units.count_not_fraction": (P("frozen_unit_fraction", "np.mean(same_weights & same_bias)",
                                          "np.sum(same_weights & same_bias)"),),
    "train_and_measure.dead_on_initial": (P("train_and_measure", "dead_unit_fraction(X, trained)",
                                            "dead_unit_fraction(X, params)"),),
    "train_and_measure.frozen_self_compare": (P("train_and_measure", "frozen_unit_fraction(params, trained)",
                                                "frozen_unit_fraction(trained, trained)"),),
    "train_and_measure.ignores_activation": (P("train_and_measure", "train(X, y, params, lr, n_epochs, activation)",
                                               "train(X, y, params, lr, n_epochs)"),),
}

PART_B: dict[str, tuple[Plant, ...]] = {
    # --- 1. architecture and parameters
    "build_mlp.activation_on_output": (P("build_mlp", "layers.append(nn.Linear(size, n_outputs))",
                                         "layers += [nn.Linear(size, n_outputs), activations[activation]()]"),),
    "build_mlp.no_hidden_activation": (P("build_mlp", "layers += [nn.Linear(size, width), activations[activation]()]",
                                         "layers += [nn.Linear(size, width)]"),),
    "build_mlp.activation_only_first_layer": (
        P("build_mlp", "for _ in range(depth):", "for i in range(depth):"),
        P("build_mlp", "layers += [nn.Linear(size, width), activations[activation]()]",
          "layers += [nn.Linear(size, width)] + ([activations[activation]()] if i == 0 else [])")),
    "build_mlp.ignores_activation_argument": (P("build_mlp", "nn.Linear(size, width), activations[activation]()",
                                                "nn.Linear(size, width), nn.Tanh()"),),
    "build_mlp.ignores_activation_argument_and_on_output": (
        P("build_mlp", "nn.Linear(size, width), activations[activation]()", "nn.Linear(size, width), nn.Tanh()"),
        P("build_mlp", "layers.append(nn.Linear(size, n_outputs))",
          "layers += [nn.Linear(size, n_outputs), nn.Tanh()]")),
    "build_mlp.wrong_layer_count": (P("build_mlp", "for _ in range(depth):", "for _ in range(depth + 1):"),),
    "count_parameters.weights_only": (P("count_parameters", "p.numel() for p in model.parameters()",
                                        "p.numel() for p in model.parameters() if p.dim() == 2"),),
    "count_parameters.biases_only": (P("count_parameters", "p.numel() for p in model.parameters()",
                                       "p.numel() for p in model.parameters() if p.dim() == 1"),),
    "count_parameters.counts_tensors": (P("count_parameters", "int(sum(p.numel() for p in model.parameters()))",
                                          "len(list(model.parameters()))"),),
    "parameter_count.missing_biases": (P("count_parameters", CLOSED_FORM,
                                         "return n_inputs * width + (depth - 1) * width * width + width * n_outputs"),),
    "parameter_count.hidden_layers_off_by_one": (P("count_parameters", "(depth - 1) * (width + 1)",
                                                   "depth * (width + 1)"),),
    "parameter_count.order_of_growth": (P("count_parameters", CLOSED_FORM,
                                          "return width ** 2 * depth"),),
    "parameter_count.missing_output_biases": (P("count_parameters", "(width + 1) * n_outputs", "width * n_outputs"),),
    "parameter_count.ignores_n_outputs": (P("count_parameters", "(width + 1) * n_outputs", "(width + 1)"),),
    # --- 3./4. splitting and scaling
    "split.not_reproducible": (P("split_indices", "np.random.default_rng(seed).permutation(n)",
                                 "np.random.default_rng().permutation(n)"),),
    "split.not_shuffled": (P("split_indices", "np.random.default_rng(seed).permutation(n)", "np.arange(n)"),),
    "scaling.fitted_on_all_rows": (P("scale_inputs", "StandardScaler().fit(x[train_idx])", "StandardScaler().fit(x)"),),
    "scaling.rows_scaled_separately": (P("scale_inputs", "return scaler.transform(x), scaler",
                                         "rest = np.setdiff1d(np.arange(len(x)), train_idx)\n"
                                         "    scaled = scaler.transform(x)\n"
                                         "    scaled[rest] = StandardScaler().fit_transform(x[rest])\n"
                                         "    return scaled, scaler"),),
    "scaling.not_scaled": (P("scale_inputs", "return scaler.transform(x), scaler",
                             "return np.array(x, dtype=float), scaler"),),
    "scaling.sample_std": (P("scale_inputs", "return scaler.transform(x), scaler",
                             "return (x - x[train_idx].mean(axis=0)) / x[train_idx].std(axis=0, ddof=1), scaler"),),
    "scaling.scaler_fitted_on_all_rows": (P("scale_inputs", "return scaler.transform(x), scaler",
                                            "return scaler.transform(x), StandardScaler().fit(x)"),),
    # --- 5. training
    "train.plain_sgd": (P("train", "torch.optim.Adam(model.parameters(), lr=lr)",
                          "torch.optim.SGD(model.parameters(), lr=lr)"),),
    "train.ignores_lr": (P("train", "torch.optim.Adam(model.parameters(), lr=lr)",
                           "torch.optim.Adam(model.parameters())"),),
    "train.no_zero_grad": (P("train", "optimizer.zero_grad()            # 1. forget the previous gradients\n"
                                      "            loss", "loss"),),
    "train.loss_before_update": (P("train", 'history["train"].append(float(loss_fn(model(xt), yt)))',
                                   'history["train"].append(float(loss))'),),
    "train.val_history_is_training_loss": (P("train", 'history["val"].append(float(loss_fn(model(xv), yv)))',
                                             'history["val"].append(float(loss_fn(model(xt), yt)))'),),
    "train.validation_in_training": (P("train", "batches = [(xt, yt)]",
                                       "batches = [(torch.cat([xt, xv]), torch.cat([yt, yv]))]"),),
    "train.validation_influences_training": (P("train", "        if batch_size is None:\n",
                                               '        if len(history["val"]) > 1 and history["val"][-1] > '
                                               'history["val"][-2]:\n'
                                               "            batches = []     # no step after the validation loss rose\n"
                                               "        elif batch_size is None:\n"),),
    "train.batches_not_shuffled": (P("train", "order = torch.randperm(len(xt), generator=shuffler)",
                                     "order = torch.arange(len(xt))"),),
    "train.batches_not_reshuffled": (P("train", "order = torch.randperm(len(xt), generator=shuffler)",
                                       "order = torch.randperm(len(xt), "
                                       "generator=torch.Generator().manual_seed(seed))"),),
    # --- 6. the sweep and the choice
    "sweep.seeded_once": (P("sweep_complexity", "            torch.manual_seed(seed)\n", ""),
                          P("sweep_complexity", "    records = []\n",
                            "    records = []\n    torch.manual_seed(seed)\n")),
    "selection.by_test_loss": (P("select_complexity", 'best = min(row["val_loss"] for row in table)\n'
                                                      '    candidates = [row for row in table if row["val_loss"]',
                                 'best = min(row["test_loss"] for row in table)\n'
                                 '    candidates = [row for row in table if row["test_loss"]'),),
    "selection.by_training_loss": (P("select_complexity", 'best = min(row["val_loss"] for row in table)\n'
                                                          '    candidates = [row for row in table if row["val_loss"]',
                                     'best = min(row["train_loss"] for row in table)\n'
                                     '    candidates = [row for row in table if row["train_loss"]'),),
    "selection.ignores_rel_tol": (P("select_complexity", "(1 + rel_tol) * best", "1.1 * best"),),
    "selection.lowest_validation_loss": (P("select_complexity", "chosen = min(candidates, key=lambda row: "
                                                                '(row["n_params"], row["val_loss"], row["depth"]))',
                                           'chosen = min(table, key=lambda row: row["val_loss"])'),),
    "selection.not_fewest_parameters": (P("select_complexity", "chosen = min(candidates, key=lambda row: "
                                                               '(row["n_params"], row["val_loss"], row["depth"]))',
                                          'chosen = max(candidates, key=lambda row: row["n_params"])'),),
    # --- 7. learning curves
    "diagnose.overfitting_on_training_curve": (P("diagnose_learning_curves", "if v > (1 + rise_tol) * v_min:",
                                                 "if t > (1 + rise_tol) * train_losses.min():"),),
    "diagnose.underfitting_checked_first": (P("diagnose_learning_curves", "    if v > (1 + rise_tol) * v_min:",
                                              "    if t > target_loss:\n"
                                              '        return "underfitting", "the training loss is above target"\n'
                                              "    if v > (1 + rise_tol) * v_min:"),),
    "diagnose.rise_from_first_value": (P("diagnose_learning_curves", "if v > (1 + rise_tol) * v_min:",
                                         "if v > (1 + rise_tol) * val_losses[0]:"),),
    "diagnose.underfitting_on_validation_loss": (P("diagnose_learning_curves", "if t > target_loss:",
                                                   "if v > target_loss:"),),
    "diagnose.missing_gap_rule": (P("diagnose_learning_curves", "if v > gap_ratio * t:", "if False:"),),
    "diagnose.ignores_thresholds": (P("diagnose_learning_curves", "(1 + rise_tol) * v_min", "1.1 * v_min"),
                                    P("diagnose_learning_curves", "gap_ratio * t", "2.0 * t")),
    "diagnose.earlier_epoch": (P("diagnose_learning_curves", "train_losses[-1], val_losses[-1]",
                                 "train_losses[-2], val_losses[-2]"),),
    # --- 9. k-fold
    "kfold.overlapping_folds": (P("kfold_indices",
                                  "folds = np.array_split(np.random.default_rng(seed).permutation(n), k)",
                                  "rng = np.random.default_rng(seed)\n"
                                  "    folds = [rng.choice(n, size=n // k, replace=False) for _ in range(k)]"),),
    "kfold.not_shuffled": (P("kfold_indices", "np.random.default_rng(seed).permutation(n)", "np.arange(n)"),),
    "cross_val.train_val_swapped": (P("cross_val_score", "fit_and_score(x[tr], y[tr], x[va], y[va])",
                                      "fit_and_score(x[va], y[va], x[tr], y[tr])"),),
    "cross_val.scored_on_training_rows": (P("cross_val_score", "fit_and_score(x[tr], y[tr], x[va], y[va])",
                                            "fit_and_score(x[tr], y[tr], x[tr], y[tr])"),),
    "cross_val.sum_not_mean": (P("cross_val_score", "np.mean(scores)", "np.sum(scores)"),),
    "cross_val.first_fold_only": (P("cross_val_score", "np.mean(scores)", "scores[0]"),),
    "cross_val.last_fold_only": (P("cross_val_score", "np.mean(scores)", "scores[-1]"),),
    "cross_val.median_not_mean": (P("cross_val_score", "np.mean(scores)", "np.median(scores)"),),
    # --- 10. extrapolation
    "extrapolation.bounds_outside": (P("extrapolation_errors", "(x >= low) & (x <= high)", "(x > low) & (x < high)"),),
    "extrapolation.inside_outside_swapped": (P("extrapolation_errors", "squared[inside].mean()), \"outside\": "
                                                                       "float(squared[~inside].mean())",
                                               "squared[~inside].mean()), \"outside\": "
                                               "float(squared[inside].mean())"),),
    "extrapolation.rmse_not_mse": (P("extrapolation_errors", "float(squared[inside].mean()), \"outside\": "
                                                             "float(squared[~inside].mean())",
                                     "float(np.sqrt(squared[inside].mean())), \"outside\": "
                                     "float(np.sqrt(squared[~inside].mean()))"),),
    "extrapolation.mae_not_mse": (P("extrapolation_errors", "squared = (np.asarray(y_pred, dtype=float).reshape(-1) - "
                                                            "np.asarray(y_true, dtype=float).reshape(-1)) ** 2",
                                    "squared = np.abs(np.asarray(y_pred, dtype=float).reshape(-1) - "
                                    "np.asarray(y_true, dtype=float).reshape(-1))"),),
    "extrapolation.sum_not_mean": (P("extrapolation_errors", "squared[inside].mean()", "squared[inside].sum()"),
                                   P("extrapolation_errors", "squared[~inside].mean()", "squared[~inside].sum()")),
    "extrapolation.all_points": (P("extrapolation_errors", '"outside": float(squared[~inside].mean())',
                                   '"outside": float(squared.mean())'),),
    "extrapolation.ignores_bounds": (P("extrapolation_errors", "(x >= low) & (x <= high)", "(x >= 0.0) & (x <= 1.0)"),),
}

PLANTED = {"part_a_forward_backward": PART_A, "part_b_model_complexity": PART_B}


def cell_of(plants: tuple[Plant, ...]) -> str:
    cells = {p.cell for p in plants}
    if len(cells) != 1:
        raise ValueError(f"a planted mistake changes one cell, not {sorted(cells)}")
    return cells.pop()
