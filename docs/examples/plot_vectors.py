"""
Vectors: what a group of latents holds together
================================================

Three latents can tell more about a factor together than any of them alone. Here a
factor ``f`` and three latents that each see it through their own noise, plus a latent
that is noise only: the information of the whole set about ``f`` is larger than that
of its best member, and the estimate of the vector (one mixture of all four columns)
holds the exact value, −½ ln(1 − ρ²) with ρ² the squared multiple correlation.
"""

import matplotlib.pyplot as plt
import numpy as np

from gmmmi import estimate_mi

rng = np.random.default_rng(1)
n = 4000
factor = rng.standard_normal(n)
noise_levels = np.array([0.8, 1.0, 1.5])
latents = np.column_stack([factor + s * rng.standard_normal(n) for s in noise_levels]
                          + [rng.standard_normal(n)])

# Exact MI: (f, latents) is jointly Gaussian; rho^2 = c' S^-1 c with c = cov(latents, f).
cov_latents = np.diag(np.append(noise_levels**2, 1.0)) + np.pad(
    np.ones((3, 3)), ((0, 1), (0, 1)))
c = np.array([1.0, 1.0, 1.0, 0.0])
truth_set = -0.5 * np.log(1 - c @ np.linalg.solve(cov_latents, c))
truth_each = -0.5 * np.log(1 - 1 / np.diag(cov_latents)[:3])

together = estimate_mi(latents, factor)
print(f"all four latents: {together}  (truth {truth_set:.3f})")
alone = [estimate_mi(latents[:, j], factor, n_bootstrap=20) for j in range(4)]
for j, r in enumerate(alone):
    print(f"z{j} alone: {r.mi:.3f}  (truth {truth_each[j] if j < 3 else 0.0:.3f})")

# %%
# Each latent alone and the set, with their 95% intervals and the exact values.

labels = ["z0", "z1", "z2", "z3", "z0–z3"]
results = alone + [together]
truths = list(truth_each) + [0.0, truth_set]
values = np.array([r.mi for r in results])
intervals = np.array([r.interval for r in results])
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.errorbar(range(5), values, yerr=[values - intervals[:, 0], intervals[:, 1] - values],
            fmt="o", capsize=4, label="gmmmi, 95% interval")
ax.scatter(range(5), truths, marker="x", color="k", zorder=3, label="truth")
ax.set(xticks=range(5), ylabel="MI with the factor (nat)")
ax.set_xticklabels(labels)
ax.legend()
plt.show()
