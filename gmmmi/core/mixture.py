"""Gaussian mixtures as arrays: initialisation, marginals, copulas, entropies, sampling.

A batch of B mixtures with K components in D dimensions is three arrays:
``weights`` (B, K), ``means`` (B, K, D), ``covariances`` (B, K, D, D).
Components with weight 0 are absent.
"""

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from .engine import logpdf_batch

# Above this many nodes per dimension, Gauss-Hermite weights underflow and
# nothing is gained for the smooth integrands met here.
_MAX_POINTS_PER_DIMENSION = 128
# Tensor Gauss-Hermite rules serve mixtures of at most this many dimensions; above, a rule
# of QMC_POINTS_PER_NODE x quadrature_nodes quasi-Monte Carlo points per component
# (benchmarks/measured/integration_vector.md: the tensor rule of 1024 nodes erred by up
# to 7e-4 nat in 3-D and 4e-3 in 4-D, the quasi-Monte Carlo rule of 4096 points by at most
# 1.1e-3 up to 10-D, and not at all for one component).
TENSOR_MAX_DIMS = 2
QMC_POINTS_PER_NODE = 4
# ... for mixtures of up to this many live components; with more, each component gets
# proportionally fewer (at least QMC_MIN_POINTS), so that a mixture's points stay those of
# this many.  The value is a weighted mean over components whose errors partly cancel: on
# a Swiss roll's K = 50 fit, 1024 points per component erred by 3e-4 nat (RMS over 8
# scrambles), below 4096 points' error at K = 5-6 (4e-4 to 9e-4), and the integral, which
# costs K^2 x points, took 0.025 s a mixture instead of 0.12.
QMC_FULL_COMPONENTS = 8
QMC_MIN_POINTS = 256
# The quasi-Monte Carlo points of the mixtures integrated at once, at most (bytes): a pair's
# memory stays bounded whatever its bootstrap count (benchmarks/measured/memory.md).
QMC_BUDGET_BYTES = 32 * 2**20


@dataclass(frozen=True)
class Mixture:
    """A fitted Gaussian mixture (in the standardised space of the fit).

    Attributes
    ----------
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, D)
    covariances : ndarray of shape (K, D, D)

    Examples
    --------
    >>> import numpy as np, gmmmi
    >>> rng = np.random.default_rng(0)
    >>> xy = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=2000)
    >>> mixture = gmmmi.GMMMI(n_bootstrap=0).fit(xy[:, 0], xy[:, 1]).mixture_
    >>> isinstance(mixture, gmmmi.Mixture), mixture.n_components, mixture.means.shape
    (True, 1, (1, 2))
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    @property
    def n_components(self):
        """Number of components with non-zero weight."""
        return int(np.count_nonzero(self.weights))

    def logpdf(self, X):
        """Log density at each row of ``X`` (shape (M, D))."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        return logpdf_batch(X[None], self.weights[None], self.means[None],
                            self.covariances[None])[0]

    def marginal(self, dims):
        """The mixture of the variables ``dims`` (marginals of a GMM are GMMs)."""
        w, mu, cov = marginal(self.weights, self.means, self.covariances, list(dims))
        return Mixture(w, mu, cov)

    def sample(self, n_samples, seed=0):
        """Draw ``n_samples`` points, seeded."""
        rng = np.random.default_rng(seed)
        return sample_batch(self.weights[None], self.means[None], self.covariances[None],
                            n_samples, rng)[0]

    def to_dict(self):
        return {"weights": self.weights.tolist(), "means": self.means.tolist(),
                "covariances": self.covariances.tolist()}


def marginal(weights, means, covariances, dims):
    """Marginal of a mixture (or a batch of mixtures) on the dimensions ``dims``."""
    dims = np.asarray(dims)
    return (weights, means[..., dims],
            covariances[..., dims[:, None], dims[None, :]])


def marginal_quantiles(weights, means, covariances, u, steps=60, tol=1e-9):
    """The points whose every coordinate j has the mixture's j-th marginal CDF at
    ``u[:, j]`` (a single mixture: (K,), (K, D), (K, D, D); ``u`` (M, D) in (0, 1)).

    Newton's method on each 1-D marginal (a mixture of normals), kept inside a bracket
    that it narrows, and bisection when a step would leave it; each point stops once its
    step is below ``tol`` times the marginal's spread."""
    alive = weights > 0
    w = weights[alive]
    out = np.empty_like(u, dtype=np.float64)
    for j in range(u.shape[1]):
        m, s = means[alive, j], np.sqrt(covariances[alive, j, j])
        mean = w @ m
        spread = math.sqrt(max(float(w @ (s ** 2 + m ** 2) - mean ** 2), 1e-300))
        target = u[:, j]
        x = mean + spread * special.ndtri(target)
        low = np.full(len(target), float((m - 40 * s).min()))
        high = np.full(len(target), float((m + 40 * s).max()))
        todo = np.arange(len(target))
        for _ in range(steps):
            z = (x[todo, None] - m) / s
            excess = special.ndtr(z) @ w - target[todo]
            below = excess < 0
            low[todo] = np.where(below, x[todo], low[todo])
            high[todo] = np.where(below, high[todo], x[todo])
            density = (np.exp(-0.5 * z * z) / s) @ w / math.sqrt(2 * math.pi)
            newton = x[todo] - excess / np.maximum(density, 1e-300)
            inside = (newton > low[todo]) & (newton < high[todo])
            moved = np.where(inside, newton, 0.5 * (low[todo] + high[todo]))
            step = np.abs(moved - x[todo])
            x[todo] = moved
            todo = todo[step > tol * spread]
            if not len(todo):
                break
        out[:, j] = x
    return out


def copula_logpdf(weights, means, covariances, u):
    """Log density of a mixture's copula at ``u`` (M, D): the joint density at the
    marginal quantiles of ``u`` over the product of the marginal densities there.

    It depends on how the variables are tied together, not on their marginals, so it
    compares mixtures fitted in different spaces of the same data (``u`` the data's
    ranks): its mean over held-out data is the true total correlation minus the
    copula's Kullback-Leibler divergence from the truth."""
    points = marginal_quantiles(weights, means, covariances, u)
    joint = logpdf_batch(points[None], weights[None], means[None], covariances[None])[0]
    alive = weights > 0
    w, m = weights[alive], means[alive]
    s = np.sqrt(np.diagonal(covariances[alive], axis1=1, axis2=2))
    z = (points[:, None, :] - m) / s
    logs = np.log(w)[:, None] - 0.5 * z * z - np.log(s) - 0.5 * math.log(2 * math.pi)
    return joint - special.logsumexp(logs, axis=1).sum(axis=1)


@lru_cache(maxsize=None)
def _gauss_hermite_rule(n_dims, n_points):
    """Nodes (M, D) and weights (M,) integrating against the standard normal in D dims."""
    x, w = np.polynomial.hermite_e.hermegauss(n_points)
    w = w / np.sqrt(2.0 * np.pi)
    grids = np.meshgrid(*([x] * n_dims), indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=1)
    weights = np.ones(len(nodes))
    for g in np.meshgrid(*([w] * n_dims), indexing="ij"):
        weights = weights * g.ravel()
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


def _points_per_dimension(n_dims, quadrature_nodes):
    """Nodes per dimension of a tensor rule with about ``quadrature_nodes`` nodes."""
    n = int(np.floor(quadrature_nodes ** (1.0 / n_dims) + 1e-9))
    return max(2, min(n, _MAX_POINTS_PER_DIMENSION))


def cross_entropy_quadrature(source, target, quadrature_nodes):
    """-E_source[log target(X)] for each pair of mixtures of two batches, by cubature.

    ``source`` and ``target`` are (weights, means, covariances) batches of the same
    dimension.  With ``target`` = ``source`` this is the differential entropy:
    H = -sum_k w_k E_{N(mu_k, S_k)}[log p(X)], each Gaussian expectation taken
    with a tensor-product Gauss-Hermite rule mapped through the component's
    Cholesky factor.  log p is smooth and grows quadratically in the tails, where
    the rule is exact.  Measured against a fine-grid reference on the paper's D3
    and D5 mixtures, 1024 nodes per component (32 x 32 in 2-D, 128 in 1-D) give
    MI errors below 5e-5 nat (benchmarks/integration.py).
    """
    weights, means, covariances = source
    n_batch, n_comp, n_dims = means.shape
    nodes, node_weights = _gauss_hermite_rule(
        n_dims, _points_per_dimension(n_dims, quadrature_nodes))
    # a few mixtures at a time: the nodes of a batch take B x K x M x D floats (a
    # categorical pair's pooled mixture has a component per category and K)
    step = max(1, QMC_BUDGET_BYTES // (8 * n_comp * len(nodes) * n_dims))
    return np.concatenate([
        _cross_entropy_quadrature(tuple(p[b:b + step] for p in source),
                                  tuple(p[b:b + step] for p in target), nodes, node_weights)
        for b in range(0, n_batch, step)])


def _cross_entropy_quadrature(source, target, nodes, node_weights):
    weights, means, covariances = source
    n_batch, n_comp, n_dims = means.shape
    chol = _safe_cholesky(covariances)
    points = means[:, :, None, :] + nodes @ np.swapaxes(chol, -1, -2)  # (B, K, M, D)
    logp = logpdf_batch(points.reshape(n_batch, -1, n_dims), *target)
    logp = logp.reshape(n_batch, n_comp, -1)
    expected = np.where(weights > 0, logp @ node_weights, 0.0)
    return -(weights * expected).sum(axis=1)


def entropy_quadrature(weights, means, covariances, quadrature_nodes):
    """Differential entropy (nats) of each mixture of a batch, by cubature."""
    mixture = (weights, means, covariances)
    return cross_entropy_quadrature(mixture, mixture, quadrature_nodes)


def normal_points(n_dims, n_points, rng):
    """``n_points`` (rounded up to a power of 2) scrambled Sobol points in ``n_dims``
    dimensions mapped to the standard normal: (M, n_dims), the same for every component."""
    from scipy.special import ndtri
    from scipy.stats import qmc

    m = int(np.ceil(np.log2(max(n_points, 2))))
    return ndtri(qmc.Sobol(n_dims, scramble=True, seed=rng).random_base2(m))


def qmc_points(weights, quadrature_nodes):
    """Quasi-Monte Carlo points per component for a batch of mixtures (``weights``),
    from ``quadrature_nodes``: ``QMC_POINTS_PER_NODE`` per node, shared out as
    ``QMC_FULL_COMPONENTS`` components' worth among more (the fewest live components of
    the batch count)."""
    n_live = int(np.count_nonzero(np.asarray(weights) > 0, axis=-1).min())
    points = QMC_POINTS_PER_NODE * quadrature_nodes
    return max(QMC_MIN_POINTS, points * QMC_FULL_COMPONENTS // max(n_live, QMC_FULL_COMPONENTS))


def entropy_combination_qmc(weights, means, covariances, terms, n_points, rng):
    """sum_i c_i H(X_{dims_i}) of each mixture of a batch, for ``terms`` [(c_i, dims_i)].

    H(X_d) = -sum_k w_k E_k[log p_d(X_d)], each component's expectation taken over the
    same randomised quasi-Monte Carlo points mapped through its Cholesky factor, shared by
    all terms (the errors of the terms partly cancel), with the component's own Gaussian
    as control variate: E_k[log p_d] = -h_k,d + E_k[log p_d - log phi_k,d], where h_k,d is
    the Gaussian's entropy; exact for one component, and the remainder is bounded by the
    overlap of the components.
    """
    z = normal_points(means.shape[2], n_points, rng)               # (M, D), shared
    # a few mixtures at a time: the points of a batch would take B x K x M x D floats
    step = max(1, QMC_BUDGET_BYTES // (8 * means.shape[1] * len(z) * means.shape[2]))
    return np.concatenate([
        _entropy_combination_qmc(weights[b:b + step], means[b:b + step],
                                 covariances[b:b + step], terms, z)
        for b in range(0, len(weights), step)])


def _entropy_combination_qmc(weights, means, covariances, terms, z):
    n_batch, n_comp, _ = means.shape
    chol = _safe_cholesky(covariances)
    points = means[:, :, None, :] + z @ np.swapaxes(chol, -1, -2)  # (B, K, M, D)
    # a leading block of a triangular factor is the factor of that block's marginal, so
    # the points of a leading block, whitened by it, are the leading coordinates of z
    triangular = not np.any(np.triu(chol, 1))
    total = 0.0
    for coef, dims in terms:
        dims = np.asarray(dims)
        sub_weights, sub_means, sub_covariances = marginal(weights, means, covariances, dims)
        sub = points[..., dims]
        logp = logpdf_batch(sub.reshape(n_batch, -1, len(dims)), sub_weights, sub_means,
                            sub_covariances).reshape(n_batch, n_comp, -1)
        factor = _safe_cholesky(sub_covariances)                   # (B, K, d, d)
        log_det = np.log(np.abs(np.diagonal(factor, axis1=-2, axis2=-1))).sum(axis=-1)
        if triangular and np.array_equal(dims, np.arange(len(dims))):
            squares = np.square(z[:, :len(dims)]).sum(axis=-1)     # (M,), every component's
        else:
            # whitened by each component's inverse factor: one small inverse per
            # component, not a solve per point
            white = (sub - sub_means[:, :, None, :]) @ np.swapaxes(np.linalg.inv(factor),
                                                                   -1, -2)
            squares = np.square(white).sum(axis=-1)
        log_phi = -0.5 * squares - 0.5 * len(dims) * np.log(2 * np.pi) - log_det[..., None]
        own_entropy = 0.5 * len(dims) * (1.0 + np.log(2 * np.pi)) + log_det
        expected = -own_entropy + (logp - log_phi).mean(axis=-1)
        total = total - coef * np.where(weights > 0, weights * expected, 0.0).sum(axis=1)
    return total


def entropy(weights, means, covariances, quadrature_nodes, rng):
    """Differential entropy (nats) of each mixture of a batch: the tensor Gauss-Hermite
    rule up to TENSOR_MAX_DIMS dimensions, the quasi-Monte Carlo rule above."""
    if means.shape[2] <= TENSOR_MAX_DIMS:
        return entropy_quadrature(weights, means, covariances, quadrature_nodes)
    return entropy_combination_qmc(weights, means, covariances,
                                   [(1.0, list(range(means.shape[2])))],
                                   qmc_points(weights, quadrature_nodes), rng)


def _safe_cholesky(covariances):
    try:
        return np.linalg.cholesky(covariances)
    except np.linalg.LinAlgError:
        # A batch member may have an exactly singular (dropped) component.
        eig, vec = np.linalg.eigh(covariances)
        eig = np.maximum(eig, 1e-300)
        return vec * np.sqrt(eig)[..., None, :]


def sample_batch(weights, means, covariances, n_samples, rng):
    """``n_samples`` draws from each mixture of a batch: (B, n_samples, D)."""
    n_batch, n_comp, n_dims = means.shape
    chol = _safe_cholesky(covariances)
    out = np.empty((n_batch, n_samples, n_dims))
    for b in range(n_batch):
        counts = rng.multinomial(n_samples, weights[b] / weights[b].sum())
        component = np.repeat(np.arange(n_comp), counts)
        z = rng.standard_normal((n_samples, n_dims))
        out[b] = means[b, component] + np.einsum("nde,ne->nd", chol[b, component], z)
    return out
