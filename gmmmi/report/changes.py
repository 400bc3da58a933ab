"""What changed between two MI matrices (:func:`gmmmi.compare`), as a report section: on
a page of its own (:func:`gmmmi.report.page.write_comparison`, ``gmmmi compare A B
--out page.html``) or in an analysis's report, against the matrix it reported before."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..comparison import changes
from ..core.result import UNITS, check_unit
from . import figures

if TYPE_CHECKING:
    import xarray as xr

# The table lists at most this many changed cells (the largest change first).
MAX_ROWS = 200


def context(comparison: xr.Dataset, unit: str = "nat") -> dict:
    """What the section shows, in ``unit``."""
    check_unit(unit)
    scale = UNITS[unit]
    change = comparison["change"].values * scale
    changed = comparison["changed"].values
    rows = [str(v) for v in comparison["var_x"].values]
    cols = [str(v) for v in comparison["var_y"].values]
    table = changes(comparison)
    cells = [{key: (value * scale if key in ("before", "after", "change", "low", "high")
                    else value) for key, value in row.items()}
             for row in table.head(MAX_ROWS).to_dict("records")]
    scores = [{"score": str(name), **{part: float(comparison[f"score_{part}"].sel(score=name))
                                      for part in ("before", "after", "change", "low",
                                                   "high")}}
              for name in comparison["score"].values] if "score" in comparison.dims else []
    return {
        "before": comparison.attrs.get("before", "before"),
        "after": comparison.attrs.get("after", "after"),
        "paired": bool(comparison.attrs.get("paired")),
        "pairing": comparison.attrs.get("pairing", ""),
        "level": round(100 * float(comparison.attrs.get("level", 0.95))),
        "note": comparison.attrs.get("note", ""),
        "n_cells": len(changes(comparison, changed_only=False)),
        "n_changed": len(table),
        "cells": cells, "cut": max(len(table) - MAX_ROWS, 0),
        "scores": [s for s in scores if not math.isnan(s["change"])],
        "figure": figures.change_heatmap(change, changed, rows, cols, f"{unit}s"),
        "unit": f"{unit}s",
        "error": None,
    }
