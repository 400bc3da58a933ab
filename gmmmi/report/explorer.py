"""The report's interactive matrix: every cell's numbers as compact JSON for the page's
script (``templates/explorer.js.j2``), which draws them on a canvas with hover (names,
MI, interval, K, status), click (to the pair's row or its fit), zoom and pan, and builds
a CSV of every pair on request. Self-contained: no library, no network."""

import numpy as np

from .. import status as st

# Values go to the page as integers of 1e-4 of the display unit (4 digits, as the tables).
STEP = 1e-4


def _integers(values):
    return [None if not np.isfinite(v) else int(round(v / STEP)) for v in values.tolist()]


def explorer_data(matrix_values, names, orders, symmetric, unit):
    """The JSON-ready data of the interactive matrix.

    ``matrix_values``: {"mi", "low", "high": float arrays in the display unit,
    "n_components": ints, "status": words} on (var_x, var_y); ``names``: (rows, cols);
    ``orders``: (row order, column order) as drawn. A symmetric matrix sends its upper
    triangle only (row < column, in the matrix's own order).
    """
    rows, cols = names
    n_rows, n_cols = len(rows), len(cols)
    if symmetric:
        upper = np.triu_indices(n_rows, 1)
        pick = lambda a: np.asarray(a)[upper]  # noqa: E731
    else:
        pick = lambda a: np.asarray(a).ravel()  # noqa: E731
    words = sorted({str(w) for w in np.asarray(matrix_values["status"]).ravel()})
    code = {w: k for k, w in enumerate(words)}
    return {
        "rows": list(rows), "cols": list(cols), "row_order": list(map(int, orders[0])),
        "col_order": list(map(int, orders[1])), "symmetric": bool(symmetric),
        "n_rows": n_rows, "n_cols": n_cols, "unit": unit, "step": STEP,
        "mi": _integers(pick(matrix_values["mi"])),
        "low": _integers(pick(matrix_values["low"])),
        "high": _integers(pick(matrix_values["high"])),
        "k": [int(v) for v in pick(matrix_values["n_components"]).tolist()],
        "status": [code[str(w)] for w in pick(matrix_values["status"]).tolist()],
        "words": words, "ok": [w for w in words if w == st.OK],
        "no_pair": [w for w in words if w in st.NO_PAIR],
        "colours": viridis(),
    }


def viridis(n=64):
    """The heatmap's colour map as n hex colours."""
    import matplotlib

    return [matplotlib.colors.to_hex(c) for c in matplotlib.colormaps["viridis"](
        np.linspace(0, 1, n))]
