"""Information quantities of fitted mixtures: MI, conditional MI, KL, categorical MI.

Every function takes a batch of mixtures (one per bootstrap fit) and returns one
value per mixture, in nats.  ``integration`` is "quadrature" (a cubature rule per
component, deterministic for a given ``rng``: Gauss-Hermite for mixtures of up to 2
dimensions, scrambled-Sobol quasi-Monte Carlo above; see ``mixture``) or "mc" (Monte
Carlo with ``mc_samples`` draws from each mixture, seeded by ``rng``). X and Y may be
vectors: their dimensions are the first ``n_x`` and the next ``n_y`` of the mixture.
"""

import numpy as np

from .engine import logpdf_batch, pointwise_batch
from .mixture import (
    TENSOR_MAX_DIMS,
    cross_entropy_quadrature,
    entropy,
    entropy_combination_qmc,
    entropy_quadrature,
    marginal,
    qmc_points,
    sample_batch,
)


def _entropy_combination(mixtures, terms, *, integration, quadrature_nodes, mc_samples, rng):
    """sum_i c_i H(X_{dims_i}) for ``terms`` = [(c_i, dims_i), ...].

    Monte Carlo evaluates every marginal density at the same joint draws, which
    makes the combination's variance far smaller than that of separate entropies.
    """
    if integration == "quadrature" and mixtures[1].shape[2] > TENSOR_MAX_DIMS:
        return entropy_combination_qmc(*mixtures, terms,
                                       qmc_points(mixtures[0], quadrature_nodes), rng)
    if integration == "quadrature":
        total = 0.0
        for coef, dims in terms:
            total = total + coef * entropy_quadrature(*marginal(*mixtures, dims), quadrature_nodes)
        return total
    samples = sample_batch(*mixtures, mc_samples, rng)
    total = 0.0
    for coef, dims in terms:
        logp = logpdf_batch(samples[..., dims], *marginal(*mixtures, dims))
        total = total - coef * logp.mean(axis=1)
    return total


def pointwise_combination(X, mixtures, terms):
    """The per-sample form of ``_entropy_combination``: -sum_i c_i log q(x_{dims_i}) at each
    row of ``X`` under each mixture of the batch, shape (B, n_samples).

    Its mean over a sample from the modelled density is the combination's estimate, and
    its deviations from that mean are the quantity's influence function (the linear
    bootstrap, ``bootstrap.linear_bootstrap``).
    """
    total = 0.0
    for coef, dims in terms:
        total = total - coef * pointwise_batch(X[:, dims], *marginal(*mixtures, dims))
    return total


def mi_terms(n_dims, n_x=1):
    """I(X; Y) = H(X) + H(Y) - H(X, Y); X the first ``n_x`` dimensions, Y the rest."""
    x, y = list(range(n_x)), list(range(n_x, n_dims))
    return [(1.0, x), (1.0, y), (-1.0, x + y)]


def conditional_mi_terms(n_dims, n_x=1, n_y=1):
    """I(X; Y | Z) = H(X,Z) + H(Y,Z) - H(Z) - H(X,Y,Z); X the first ``n_x`` dimensions,
    Y the next ``n_y``, Z the rest."""
    x, y = list(range(n_x)), list(range(n_x, n_x + n_y))
    z = list(range(n_x + n_y, n_dims))
    return [(1.0, x + z), (1.0, y + z), (-1.0, z), (-1.0, x + y + z)]


def mutual_information(mixtures, n_x=1, **integration):
    """I(X; Y) of each mixture (see ``mi_terms``)."""
    return _entropy_combination(mixtures, mi_terms(mixtures[1].shape[2], n_x), **integration)


def conditional_mutual_information(mixtures, n_x=1, n_y=1, **integration):
    """I(X; Y | Z) of each mixture (see ``conditional_mi_terms``)."""
    return _entropy_combination(mixtures, conditional_mi_terms(mixtures[1].shape[2], n_x, n_y),
                               **integration)


def marginal_kl_divergence(mixtures, *, integration, quadrature_nodes, mc_samples, rng):
    """KL(p_X0 || p_X1) between the two 1-D marginals of 2-D mixtures."""
    px = marginal(*mixtures, [0])
    py = marginal(*mixtures, [1])
    if integration == "quadrature":
        return (cross_entropy_quadrature(px, py, quadrature_nodes)
                - entropy_quadrature(*px, quadrature_nodes))
    samples = sample_batch(*px, mc_samples, rng)
    return (logpdf_batch(samples, *px) - logpdf_batch(samples, *py)).mean(axis=1)


def categorical_pointwise(x, codes, mixtures, proportions):
    """log q(x_i | c_i) - log q(x_i) at each sample (codes index the categories of
    ``mixtures``, a single batch entry of shape (1, C, K, ...)), shape (1, n_samples): its
    mean is the categorical MI's estimate (see ``pointwise_combination``)."""
    weights, means, covariances = (p[0] for p in mixtures)
    n_cat, n_comp = weights.shape
    pooled = ((proportions[0][:, None] * weights).reshape(1, n_cat * n_comp),
              means.reshape(1, n_cat * n_comp, -1),
              covariances.reshape((1, n_cat * n_comp) + covariances.shape[2:]))
    given = pointwise_batch(x, weights, means, covariances)  # (C, n_samples)
    return (given[codes, np.arange(len(x))] - pointwise_batch(x, *pooled)[0])[None]


def categorical_mutual_information(mixtures, proportions, *, integration, quadrature_nodes,
                                   mc_samples, rng):
    """I(X; C) = H(X) - sum_c pi_c H(X | C=c) from one 1-D mixture per category.

    ``mixtures`` are batches of shape (B, C, K, ...) (one mixture per bootstrap and
    category) and ``proportions`` (B, C) the category frequencies pi_c.
    """
    weights, means, covariances = mixtures
    n_batch, n_cat, n_comp = weights.shape
    n_dims = means.shape[-1]
    pooled = (
        (proportions[:, :, None] * weights).reshape(n_batch, n_cat * n_comp),
        means.reshape(n_batch, n_cat * n_comp, n_dims),
        covariances.reshape(n_batch, n_cat * n_comp, n_dims, n_dims),
    )
    per_category = (weights.reshape(n_batch * n_cat, n_comp),
                    means.reshape(n_batch * n_cat, n_comp, n_dims),
                    covariances.reshape(n_batch * n_cat, n_comp, n_dims, n_dims))
    if integration == "quadrature":
        h_x = entropy(*pooled, quadrature_nodes, rng)
        h_given = entropy(*per_category, quadrature_nodes, rng).reshape(n_batch, n_cat)
        return h_x - (proportions * h_given).sum(axis=1)
    # E[log p(x|c) - log p(x)] over draws of (c, x) from the fitted joint.
    samples = sample_batch(*pooled, mc_samples, rng)
    log_marginal = logpdf_batch(samples, *pooled)
    draws = np.broadcast_to(samples[:, None], (n_batch, n_cat) + samples.shape[1:])
    log_given = logpdf_batch(draws.reshape(n_batch * n_cat, mc_samples, n_dims),
                             *per_category)
    log_given = log_given.reshape(n_batch, n_cat, mc_samples)
    log_joint = np.log(np.maximum(proportions, 1e-300))[:, :, None] + log_given
    # log p(c | x) - log p(c), averaged over x ~ p and c ~ p(c | x)
    posterior = np.exp(log_joint - log_marginal[:, None, :])
    log_ratio = log_given - log_marginal[:, None, :]
    terms = np.where(proportions[:, :, None] > 0, posterior * log_ratio, 0.0)
    return terms.sum(axis=1).mean(axis=1)


def table_mutual_information(tables):
    """I(X; Y) of two discrete variables from their contingency tables (B, L_x, L_y) of
    counts: the plug-in value with the Miller-Madow correction of each of its three
    entropies, H + (cells seen - 1) / 2N, which removes the plug-in's first-order bias
    (it reads chance co-occurrences as information: 0.03 nat for 5 x 5 levels at N =
    500). Clipped at 0."""
    tables = np.asarray(tables, dtype=np.float64)
    value = (discrete_entropy(tables.sum(axis=2)) + discrete_entropy(tables.sum(axis=1))
             - discrete_entropy(tables.reshape(len(tables), -1)))
    return np.maximum(value, 0.0)


def discrete_entropy(counts):
    """H of a discrete variable from its counts (B, cells): the plug-in value with the
    Miller-Madow correction, + (cells seen - 1) / 2N."""
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.sum(axis=1)
    p = counts / n[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        plug_in = -np.where(counts > 0, p * np.log(p), 0.0).sum(axis=1)
    return plug_in + ((counts > 0).sum(axis=1) - 1) / (2 * n)
