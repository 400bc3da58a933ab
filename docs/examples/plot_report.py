"""
A report
========

:func:`gmmmi.write_report` turns an MI matrix into the workflow's HTML report: one
self-contained page with the interactive matrix, groups of variables, a table of every
pair, disentanglement scores, the top pairs with their data and fits, the estimates
against the truth when the dataset has it, and diagnostics. Here, the latent × latent
matrix of the demo dataset. The page is published with this site:
`open the report <../demo-report.html>`_.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import gmmmi
from gmmmi.data.demo import make_demo_dataset

data = make_demo_dataset(n_samples=2000)
matrix = gmmmi.mi_matrix(data, x="latent", n_bootstrap=20, progress=False)

# The site copies this folder (``html_extra_path`` in docs/conf.py) to its root.
extra = Path("../_extra")
extra.mkdir(exist_ok=True)
gmmmi.write_report(matrix, extra / "demo-report.html", data=data)
print(f"report: {(extra / 'demo-report.html').stat().st_size / 1e6:.1f} MB")

# %%
# The status and the number of components of every pair, as the report's diagnostics
# count them, and the upper triangle of the matrix (the report orders it by clusters).

table = gmmmi.pairs_table(matrix)
print(table["status"].value_counts().to_string())
names = list(matrix["var_x"].values)
mi = matrix["mi"].values
fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
image = ax.imshow(np.where(np.isfinite(mi), mi, np.nan), cmap="magma_r")
ax.set(xticks=range(len(names)), yticks=range(len(names)), title="latent × latent MI (nat)")
ax.set_xticklabels(names)
ax.set_yticklabels(names)
fig.colorbar(image)
plt.show()
