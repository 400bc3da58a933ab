"""The report's figures, drawn with matplotlib and returned as PNG data URIs.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state), and text
from users' data is drawn with math parsing off, so a ``$`` in a name is just a ``$``.
"""

import base64
import io
import textwrap

import matplotlib
import numpy as np
from matplotlib.figure import Figure

STYLE = {"text.parse_math": False, "font.size": 9, "axes.titlesize": 10,
         "axes.spines.top": False, "axes.spines.right": False}
# Above these sizes the heatmap drops its cell text, then its tick labels.
ANNOTATE_MAX_CELLS, ANNOTATE_MAX_SIDE = 400, 24
LABEL_MAX_SIDE = 80
SCATTER_MAX_POINTS = 4000
COLOURS = matplotlib.colormaps["tab10"].colors


def short(name, width=28):
    return textwrap.shorten(str(name), width=width, placeholder="…") if len(str(name)) > width \
        else str(name)


def _new(width, height, margins=None, wspace=None, hspace=None):
    """A figure laid out by matplotlib's constrained layout or, with ``margins`` = (left,
    bottom, right, top) in inches, by fixed margins: for figures whose labels have a known
    size, as the layout engine costs about 0.25 s a figure (the report draws one per top
    pair)."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout=None if margins else "constrained")
    if margins:
        left, bottom, right, top = margins
        fig.subplots_adjust(left=left / width, bottom=bottom / height, right=1 - right / width,
                            top=1 - top / height, wspace=wspace, hspace=hspace)
    return fig


def _to_data_uri(fig):
    buffer = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def heatmap(mi, low, high, flagged, rows, cols, unit):
    """The MI matrix (already ordered), annotated with MI and its 95% interval when small enough.

    ``flagged`` marks cells whose status is not ok (their short status is the value).
    """
    annotate = _annotated(mi.shape)
    with matplotlib.rc_context(STYLE):
        fig = _new(*_matrix_size(mi.shape))
        ax = fig.add_subplot()
        shown = np.ma.masked_invalid(mi)
        image = ax.imshow(shown, cmap="viridis", vmin=0, aspect="auto",
                          interpolation="nearest")
        ax.set_facecolor("#dddddd")
        fig.colorbar(image, ax=ax, label=f"MI ({unit})", shrink=0.8)
        top = np.nanmax(mi) if np.isfinite(mi).any() else 1.0
        for (i, j), status in np.ndenumerate(flagged):
            if status:
                ax.add_patch(matplotlib.patches.Rectangle(
                    (j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#d62728",
                    linewidth=0.0 if not annotate else 0.8))
        if annotate:
            for (i, j), value in np.ndenumerate(mi):
                if flagged[i, j]:
                    text = flagged[i, j] if not np.isfinite(value) else \
                        f"{value:.2f}\n{flagged[i, j]}"
                elif np.isfinite(value):
                    text = f"{value:.2f}\n{low[i, j]:.2f}–{high[i, j]:.2f}" \
                        if np.isfinite(low[i, j]) else f"{value:.2f}"
                else:
                    continue
                dark = np.isfinite(value) and value > 0.6 * top
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="black" if dark else "white" if np.isfinite(value) else "black")
        _label(ax, rows, cols)
        return _to_data_uri(fig), annotate


def change_heatmap(change, changed, rows, cols, unit):
    """The change of every cell (after less before, blue down, red up), the cells that
    changed by more than their noise outlined."""
    annotate = _annotated(change.shape)
    reach = float(np.nanmax(np.abs(change))) if np.isfinite(change).any() else 1.0
    with matplotlib.rc_context(STYLE):
        fig = _new(*_matrix_size(change.shape))
        ax = fig.add_subplot()
        image = ax.imshow(np.ma.masked_invalid(change), cmap="RdBu_r", vmin=-reach or -1,
                          vmax=reach or 1, aspect="auto", interpolation="nearest")
        ax.set_facecolor("#dddddd")
        fig.colorbar(image, ax=ax, label=f"change of MI ({unit})", shrink=0.8)
        for (i, j), flag in np.ndenumerate(changed):
            if flag:
                ax.add_patch(matplotlib.patches.Rectangle(
                    (j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black",
                    linewidth=1.6 if annotate else 0.8))
            if annotate and np.isfinite(change[i, j]):
                ax.text(j, i, f"{change[i, j]:+.2f}", ha="center", va="center", fontsize=7,
                        fontweight="bold" if flag else "normal",
                        color="white" if abs(change[i, j]) > 0.6 * reach else "black")
        _label(ax, rows, cols)
        return _to_data_uri(fig)


def _annotated(shape):
    """Whether a matrix of ``shape`` is small enough for text in its cells."""
    return shape[0] * shape[1] <= ANNOTATE_MAX_CELLS and max(shape) <= ANNOTATE_MAX_SIDE


def _matrix_size(shape):
    """(width, height) in inches of the figure of a matrix of ``shape``."""
    n_rows, n_cols = shape
    cell = 0.62 if _annotated(shape) else 0.16
    return (min(max(n_cols * cell + 2.6, 5.0), 15.0),
            min(max(n_rows * cell * (0.75 if _annotated(shape) else 1.0) + 1.8, 3.5), 15.0))


def _label(ax, rows, cols):
    """The matrix's names on its axes, or how many there are when too many to read."""
    if max(len(rows), len(cols)) <= LABEL_MAX_SIDE:
        ax.set_xticks(range(len(cols)), [short(c) for c in cols], rotation=60, ha="right",
                      fontsize=8 if len(cols) < 40 else 6)
        ax.set_yticks(range(len(rows)), [short(r) for r in rows],
                      fontsize=8 if len(rows) < 40 else 6)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"{len(cols)} variables")
        ax.set_ylabel(f"{len(rows)} variables")


def pair_panels(title, unit, bootstrap, value, interval, truth, draw_data,
                missing="data not available\n(pass --data)"):
    """One top pair: the data with the fitted model (``draw_data(ax)``, or the text
    ``missing`` when None) and the bootstrap."""
    with matplotlib.rc_context(STYLE):
        fig = _new(9.0, 3.4, margins=(0.65, 0.5, 0.15, 0.4), wspace=0.22)
        left, right = fig.subplots(1, 2, width_ratios=[1.25, 1])
        if draw_data is None:
            left.text(0.5, 0.5, missing, ha="center",
                      va="center", transform=left.transAxes, color="#777777")
            left.set_axis_off()
        else:
            draw_data(left)
        values = bootstrap[np.isfinite(bootstrap)]
        if len(values):
            right.hist(values, bins=min(30, max(5, len(values) // 3)), color="#9ecae1",
                       edgecolor="white")
        right.axvline(value, color="#08519c", label="mean")
        if np.all(np.isfinite(interval)):
            right.axvspan(*interval, color="#08519c", alpha=0.12, label="95% interval")
        if truth is not None and np.isfinite(truth):
            right.axvline(truth, color="#d62728", linestyle="--", label="true MI")
        right.set_xlabel(f"MI ({unit}) per bootstrap fit")
        right.set_ylabel("fits")
        right.legend(frameon=False, fontsize=7)
        fig.suptitle(title)
        return _to_data_uri(fig)


def draw_joint(ax, data, mixture, labels):
    """Scatter of a continuous pair (in the fit's space) with the mixture's HDR contours."""
    from ..core.mixture import Mixture

    rng = np.random.default_rng(0)
    shown = data if len(data) <= SCATTER_MAX_POINTS else \
        data[rng.choice(len(data), SCATTER_MAX_POINTS, replace=False)]
    ax.scatter(shown[:, 0], shown[:, 1], s=3, alpha=0.35, color="#555555", linewidths=0)
    model = Mixture(**{k: np.asarray(v) for k, v in mixture.items()})
    lo, hi = data.min(axis=0), data.max(axis=0)
    pad = 0.05 * (hi - lo)
    gx, gy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], 120),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], 120))
    density = np.exp(model.logpdf(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(gx.shape)
    at_data = np.exp(model.logpdf(data))
    # density levels enclosing about 90%, 50% and 10% of the samples
    levels = np.unique(np.quantile(at_data, [0.1, 0.5, 0.9]))
    if len(levels) > 1 or levels[0] < density.max():
        ax.contour(gx, gy, density, levels=levels, colors=["#2171b5", "#08519c", "#08306b"][
            :len(levels)], linewidths=1.1)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])


def draw_categories(ax, values_by_label, mixtures, label):
    """Per-category histograms of the continuous variable with each category's mixture."""
    from ..core.mixture import Mixture

    lo = min(v.min() for v in values_by_label.values())
    hi = max(v.max() for v in values_by_label.values())
    grid = np.linspace(lo, hi, 200)
    bins = np.linspace(lo, hi, 31)
    many = len(values_by_label) > len(COLOURS)
    for index, (name, values) in enumerate(values_by_label.items()):
        colour = COLOURS[index % len(COLOURS)]
        ax.hist(values, bins=bins, density=True, histtype="step", color=colour, alpha=0.6,
                label=None if many else short(name, 16))
        if name in mixtures:
            model = Mixture(**{k: np.asarray(v) for k, v in mixtures[name].items()})
            ax.plot(grid, np.exp(model.logpdf(grid[:, None])), color=colour, linewidth=1.4)
    ax.set_xlabel(label)
    ax.set_ylabel("density per category")
    if not many:
        ax.legend(frameon=False, fontsize=7, title="histogram; line: fit", title_fontsize=7)


def component_counts(counts, max_components):
    """Bar chart of how many pairs selected each number of components."""
    with matplotlib.rc_context(STYLE):
        fig = _new(5.0, 2.8)
        ax = fig.add_subplot()
        ks = sorted(counts)
        ax.bar(ks, [counts[k] for k in ks], color="#6baed6")
        if max_components in counts:
            ax.bar([max_components], [counts[max_components]], color="#d62728",
                   label="hit max_components")
            ax.legend(frameon=False)
        ax.set_xlabel("components selected (K)")
        ax.set_ylabel("pairs")
        ax.set_xticks(ks)
        return _to_data_uri(fig)


def cv_curves(curves):
    """Held-out score against K for a few pairs: ``[(title, {label: {K: score}}, chosen)]``,
    each curve drawn relative to its best K (short tick labels: a fixed layout fits them)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    with matplotlib.rc_context(STYLE):
        columns = min(len(curves), 3)
        rows = -(-len(curves) // columns)
        fig = _new(3.2 * columns, 2.6 * rows, margins=(0.8, 0.45, 0.1, 0.3), wspace=0.5,
                   hspace=0.6)
        axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
        for ax, (title, lines, chosen) in zip(axes, curves):
            for index, (label, scores) in enumerate(list(lines.items())[:len(COLOURS)]):
                ks = sorted(int(k) for k in scores if scores[k] is not None)
                values = np.array([scores[str(k)] for k in ks])
                ax.plot(ks, values - values.max(), marker="o", markersize=3,
                        color=COLOURS[index], label=short(label, 14) if label else None)
            if chosen:
                ax.axvline(chosen, color="#999999", linestyle=":", linewidth=1)
            ax.set_title(short(title, 40), fontsize=8)
            ax.set_xlabel("K")
            ax.set_ylabel("held-out log-lik. − best", fontsize=8)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}" if v else "0"))
            if len(lines) > 1:
                ax.legend(frameon=False, fontsize=6)
        for ax in axes[len(curves):]:
            ax.set_axis_off()
        return _to_data_uri(fig)


def against_truth(truth, estimate, low, high, unit):
    """Estimated vs true MI with the 95% intervals as bars."""
    with matplotlib.rc_context(STYLE):
        fig = _new(4.6, 4.2)
        ax = fig.add_subplot()
        covered = (low <= truth) & (truth <= high)
        bars = np.stack([estimate - low, high - estimate])
        for mask, colour, label in ((covered, "#2171b5", "truth within the 95% interval"),
                                    (~covered, "#d62728", "truth outside it")):
            if mask.any():
                ax.errorbar(truth[mask], estimate[mask], yerr=bars[:, mask], fmt="o",
                            markersize=3, color=colour, ecolor=colour, elinewidth=0.8,
                            label=label)
        top = max(np.max(truth), np.max(high)) * 1.05
        ax.plot([0, top], [0, top], color="#999999", linewidth=1)
        ax.set_xlabel(f"true MI ({unit})")
        ax.set_ylabel(f"estimated MI ({unit})")
        ax.legend(frameon=False, fontsize=7)
        return _to_data_uri(fig)


def disentanglement(factor_names, factor_scores, latent_names, latent_scores):
    """Bars: normalised MI gap per factor and modularity per latent."""
    with matplotlib.rc_context(STYLE):
        fig = _new(9.0, 3.0)
        left, right = fig.subplots(1, 2)
        for ax, names, scores, title, colour in (
                (left, factor_names, factor_scores, "normalised MI gap per factor", "#6baed6"),
                (right, latent_names, latent_scores, "modularity per latent", "#74c476")):
            positions = np.arange(len(names))
            ax.bar(positions, np.nan_to_num(scores), color=colour)
            ax.set_ylim(0, 1)
            ax.set_title(title)
            if len(names) <= LABEL_MAX_SIDE:
                ax.set_xticks(positions, [short(n, 16) for n in names], rotation=60,
                              ha="right", fontsize=7 if len(names) < 30 else 5)
        return _to_data_uri(fig)


def flow_network(levels, edges, community, unit):
    """The network drawn in layers (inputs on the left), edge width and opacity by MI.

    ``levels``: node labels per layer; ``edges``: (layer, i, j, mi) from node i of that
    layer to node j of the next; ``community``: a number per node label (colour).
    """
    with matplotlib.rc_context(STYLE):
        tallest = max(len(level) for level in levels)
        fig = _new(min(3.0 + 2.2 * len(levels), 15.0), min(max(3.0, 0.32 * tallest + 1.2), 14.0))
        ax = fig.add_subplot()
        positions = [np.linspace(0, 1, len(level)) if len(level) > 1 else np.array([0.5])
                     for level in levels]
        top = max((e[3] for e in edges), default=0.0) or 1.0
        for k, i, j, mi in sorted(edges, key=lambda e: e[3]):
            strength = max(mi, 0.0) / top
            if strength <= 0.01:
                continue
            ax.plot([k, k + 1], [positions[k][i], positions[k + 1][j]], color="#08519c",
                    linewidth=0.3 + 4.0 * strength, alpha=0.15 + 0.75 * strength,
                    solid_capstyle="round", zorder=1)
        for k, level in enumerate(levels):
            colours = [COLOURS[community.get(name, 0) % len(COLOURS)] for name in level]
            ax.scatter(np.full(len(level), k), positions[k], s=60, c=colours, zorder=2,
                       edgecolors="white", linewidths=0.8)
            if len(level) <= 40:
                side, align = (-0.06, "right") if k == 0 else (0.06, "left")
                if 0 < k < len(levels) - 1:
                    continue
                for y, name in zip(positions[k], level):
                    ax.text(k + side, y, short(name, 18), ha=align, va="center", fontsize=7)
        ax.set_xticks(range(len(levels)), ["inputs"] + [f"layer {k}" for k in
                                                       range(1, len(levels) - 1)] + ["outputs"])
        ax.set_yticks([])
        ax.set_xlim(-0.6, len(levels) - 0.4)
        ax.spines["left"].set_visible(False)
        ax.set_title(f"edge width and opacity: MI ({unit}), largest {top:.2f}; "
                     "node colour: community")
        return _to_data_uri(fig)


def attribution_bars(inputs, outputs, shares):
    """For each output, the share of its information traced back to each input."""
    with matplotlib.rc_context(STYLE):
        width = min(max(4.5, 0.45 * len(inputs) * max(1, min(len(outputs), 4)) + 2), 14.0)
        fig = _new(width, 3.2)
        ax = fig.add_subplot()
        shown = outputs[:len(COLOURS)]
        step = 0.8 / len(shown)
        positions = np.arange(len(inputs))
        for index, output in enumerate(shown):
            ax.bar(positions + (index - (len(shown) - 1) / 2) * step, shares[:, index], step,
                   color=COLOURS[index], label=short(output, 16))
        ax.set_xticks(positions, [short(n, 16) for n in inputs], rotation=45, ha="right")
        ax.set_ylabel("share of the output's information")
        ax.set_ylim(0, 1)
        if len(shown) > 1:
            ax.legend(frameon=False, fontsize=7, title="output", title_fontsize=7)
        return _to_data_uri(fig)
