"""A self-contained HTML page for one analysis's MI matrix (``mi.zarr``)."""

import html
import json
from pathlib import Path

import numpy as np

from .dataset import read_xarray


def write_report(matrix_path, out):
    """Write ``out`` (HTML) showing the MI matrix stored at ``matrix_path``."""
    ds = read_xarray(matrix_path)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.tmp")
    staging.write_text(render(ds), encoding="utf-8")
    staging.replace(out)
    return out


def render(ds):
    """The report page as a string; every name from the data is escaped."""
    esc = html.escape
    analysis = esc(str(ds.attrs.get("analysis", "analysis")))
    settings = json.loads(ds.attrs.get("settings", "{}"))
    names_x = [str(v) for v in ds["var_x"].values.tolist()]
    names_y = [str(v) for v in ds["var_y"].values.tolist()]
    mi, std, status = ds["mi"].values, ds["mi_std"].values, ds["status"].values
    truth = ds["true_mi"].values if "true_mi" in ds else None
    top = np.nanmax(mi) if np.isfinite(mi).any() else 1.0
    rows = []
    for i, nx in enumerate(names_x):
        cells = []
        for j in range(len(names_y)):
            value = mi[i, j]
            if not np.isfinite(value):
                cells.append(f'<td class="na" title="{esc(str(status[i, j]))}">–</td>')
                continue
            shade = 0.85 * max(value, 0.0) / top if top > 0 else 0.0
            known = "" if truth is None or not np.isfinite(truth[i, j]) \
                else f"<br><small>true {truth[i, j]:.3f}</small>"
            flag = "" if status[i, j] == "ok" else f"<br><small>{esc(str(status[i, j]))}</small>"
            cells.append(f'<td style="background: rgba(31,119,180,{shade:.2f})">'
                         f"{value:.3f}<small> ± {std[i, j]:.3f}</small>{known}{flag}</td>")
        rows.append(f"<tr><th>{esc(nx)}</th>{''.join(cells)}</tr>")
    header = "".join(f"<th>{esc(n)}</th>" for n in names_y)
    listed = ", ".join(f"{esc(k)}={esc(str(v))}" for k, v in sorted(settings.items()))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>MI: {analysis}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }}
td.na {{ color: #999; text-align: center; }}
small {{ color: #555; }}
</style></head><body>
<h1>Mutual information: {analysis}</h1>
<p>Estimates in nats, ± one bootstrap standard deviation (GMM-MI, gmmmi
{esc(str(ds.attrs.get("gmmmi_version", "")))}). Rows: x variables; columns: y variables.</p>
<table><tr><th></th>{header}</tr>
{chr(10).join(rows)}
</table>
<p><small>Settings: {listed}</small></p>
</body></html>
"""
