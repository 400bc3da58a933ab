"""Groups of variables that share information, read off an MI matrix.

Latent x latent matrices are clustered by average linkage on exp(-2 MI), which is
1 - Linfoot's informational correlation squared: 0 for variables that determine each
other, 1 for independent ones. The report orders its heatmap by this tree and names
the groups it cuts it into; latent x factor matrices get each factor's best latents.
"""

import numpy as np

# Groups are cut where the average exp(-2 MI) between two groups exceeds exp(-2 x this):
# their pairs share on average less than about this much information (nats).
CLUSTER_MI = 0.05


def _distances(mi):
    """exp(-2 MI) between every two variables of a square MI matrix (nats; NaN and
    negative estimates count as 0), symmetrised, 0 on the diagonal."""
    distance = np.exp(-2.0 * np.clip(np.nan_to_num(mi, nan=0.0), 0.0, None))
    distance = (distance + distance.T) / 2
    np.fill_diagonal(distance, 0.0)
    return distance


def tree(mi):
    """The average-linkage tree (SciPy's linkage matrix), leaves in optimal order."""
    from scipy.cluster import hierarchy
    from scipy.spatial.distance import squareform

    condensed = squareform(_distances(mi), checks=False)
    return hierarchy.optimal_leaf_ordering(hierarchy.linkage(condensed, "average"), condensed)


def named_clusters(mi, names, threshold=CLUSTER_MI):
    """The groups of two or more variables of a square MI matrix (nats), largest first.

    Each: ``name`` (C1, C2, ... with its first members), ``members``, ``mean_mi`` (over
    its pairs), and ``link``: the strongest pair to another group, (group name, member,
    other variable, MI) or None. Also returns how many variables stand alone.
    """
    from scipy.cluster import hierarchy

    labels = hierarchy.fcluster(tree(mi), t=np.exp(-2.0 * threshold), criterion="distance")
    clean = np.nan_to_num(np.asarray(mi, dtype=float), nan=-np.inf)
    groups = sorted((np.flatnonzero(labels == k) for k in np.unique(labels)),
                    key=lambda g: (-len(g), g[0]))
    found = [g for g in groups if len(g) > 1]
    titles = {}
    for number, group in enumerate(found, start=1):
        shown = ", ".join(names[i] for i in group[:3]) + (", …" if len(group) > 3 else "")
        titles[number - 1] = f"C{number} ({shown})"
    clusters = []
    for index, group in enumerate(found):
        inside = clean[np.ix_(group, group)][np.triu_indices(len(group), 1)]
        inside = inside[np.isfinite(inside)]
        link = None
        for other, members in enumerate(found):
            if other == index:
                continue
            block = clean[np.ix_(group, members)]
            if np.isfinite(block).any():
                a, b = np.unravel_index(np.argmax(block), block.shape)
                if link is None or block[a, b] > link[3]:
                    link = (titles[other], names[group[a]], names[members[b]], float(block[a, b]))
        clusters.append({"name": titles[index], "members": [names[i] for i in group],
                         "mean_mi": float(inside.mean()) if len(inside) else float("nan"),
                         "link": link})
    return clusters, sum(len(g) == 1 for g in groups)


def best_rows(mi, low, high, rows, cols, top=3):
    """For each column (a factor), its ``top`` rows (latents) by MI, with their 95%
    intervals: [{"column", "best": [(row, mi, low, high), ...]}]."""
    out = []
    for j, column in enumerate(cols):
        values = np.nan_to_num(mi[:, j], nan=-np.inf)
        order = [i for i in np.argsort(-values, kind="stable")[:top] if np.isfinite(values[i])]
        out.append({"column": column, "best": [(rows[i], float(mi[i, j]), float(low[i, j]),
                                                float(high[i, j])) for i in order]})
    return out
