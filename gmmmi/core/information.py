"""Information quantities of fitted mixtures: MI, conditional MI, KL, categorical MI.

Every function takes a batch of mixtures (one per bootstrap fit) and returns one
value per mixture, in nats.  ``integration`` is "quadrature" (Gauss-Hermite
cubature per component; deterministic) or "mc" (Monte Carlo with ``mc_samples``
draws from each mixture, seeded by ``rng``).
"""

import numpy as np

from .engine import logpdf_batch
from .mixture import cross_entropy_quadrature, entropy_quadrature, marginal, sample_batch


def entropy_combination(mixtures, terms, *, integration, quadrature_nodes, mc_samples, rng):
    """sum_i c_i H(X_{dims_i}) for ``terms`` = [(c_i, dims_i), ...].

    Monte Carlo evaluates every marginal density at the same joint draws, which
    makes the combination's variance far smaller than that of separate entropies.
    """
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


def mutual_information(mixtures, **integration):
    """I(X0; X1) = H(X0) + H(X1) - H(X0, X1) of 2-D mixtures."""
    terms = [(1.0, [0]), (1.0, [1]), (-1.0, [0, 1])]
    return entropy_combination(mixtures, terms, **integration)


def conditional_mutual_information(mixtures, **integration):
    """I(X0; X1 | X2..) = H(X0,Z) + H(X1,Z) - H(Z) - H(X0,X1,Z), Z = dims 2 onwards."""
    n_dims = mixtures[1].shape[2]
    z = list(range(2, n_dims))
    terms = [(1.0, [0] + z), (1.0, [1] + z), (-1.0, z), (-1.0, [0, 1] + z)]
    return entropy_combination(mixtures, terms, **integration)


def marginal_kl_divergence(mixtures, *, integration, quadrature_nodes, mc_samples, rng):
    """KL(p_X0 || p_X1) between the two 1-D marginals of 2-D mixtures."""
    px = marginal(*mixtures, [0])
    py = marginal(*mixtures, [1])
    if integration == "quadrature":
        return (cross_entropy_quadrature(px, py, quadrature_nodes)
                - entropy_quadrature(*px, quadrature_nodes))
    samples = sample_batch(*px, mc_samples, rng)
    return (logpdf_batch(samples, *px) - logpdf_batch(samples, *py)).mean(axis=1)


def categorical_mutual_information(mixtures, proportions, *, integration, quadrature_nodes,
                                   mc_samples, rng):
    """I(X; C) = H(X) - sum_c pi_c H(X | C=c) from one 1-D mixture per category.

    ``mixtures`` are batches of shape (B, C, K, ...) (one mixture per bootstrap and
    category) and ``proportions`` (B, C) the category frequencies pi_c.
    """
    weights, means, covariances = mixtures
    n_batch, n_cat, n_comp = weights.shape
    pooled = (
        (proportions[:, :, None] * weights).reshape(n_batch, n_cat * n_comp),
        means.reshape(n_batch, n_cat * n_comp, 1),
        covariances.reshape(n_batch, n_cat * n_comp, 1, 1),
    )
    per_category = (weights.reshape(n_batch * n_cat, n_comp),
                    means.reshape(n_batch * n_cat, n_comp, 1),
                    covariances.reshape(n_batch * n_cat, n_comp, 1, 1))
    if integration == "quadrature":
        h_x = entropy_quadrature(*pooled, quadrature_nodes)
        h_given = entropy_quadrature(*per_category, quadrature_nodes).reshape(n_batch, n_cat)
        return h_x - (proportions * h_given).sum(axis=1)
    # E[log p(x|c) - log p(x)] over draws of (c, x) from the fitted joint.
    samples = sample_batch(*pooled, mc_samples, rng)
    log_marginal = logpdf_batch(samples, *pooled)
    draws = np.broadcast_to(samples[:, None], (n_batch, n_cat) + samples.shape[1:])
    log_given = logpdf_batch(draws.reshape(n_batch * n_cat, mc_samples, 1), *per_category)
    log_given = log_given.reshape(n_batch, n_cat, mc_samples)
    log_joint = np.log(np.maximum(proportions, 1e-300))[:, :, None] + log_given
    # log p(c | x) - log p(c), averaged over x ~ p and c ~ p(c | x)
    posterior = np.exp(log_joint - log_marginal[:, None, :])
    log_ratio = log_given - log_marginal[:, None, :]
    return np.where(proportions[:, :, None] > 0, posterior * log_ratio, 0.0).sum(axis=1).mean(axis=1)
