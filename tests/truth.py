"""Distributions with known MI, and reference values computed without gmmmi."""

import numpy as np
from scipy import integrate, special, stats

# The paper's synthetic mixtures (Piras et al. 2023): weights, means, covariances.
PAPER_MIXTURES = {
    "D1": (np.array([1.0]), np.array([[-1.0, 1.0]]), np.array([[[0.5, 0.2], [0.2, 0.5]]])),
    "D3": (np.array([0.3, 0.45, 0.25]),
           np.array([[-1.0, 1.0], [0.0, 2.0], [-1.5, 2.0]]),
           np.array([[[1.0, 0.0], [0.0, 0.1]], [[0.5, 0.2], [0.2, 0.5]],
                     [[0.1, 0.05], [0.05, 0.1]]])),
    "D5": (np.array([0.2, 0.35, 0.15, 0.12, 0.18]),
           np.array([[-1.0, 1.0], [0.0, 2.0], [-1.5, 2.0], [2.0, 1.0], [-0.25, 0.0]]),
           np.array([[[1.0, 0.0], [0.0, 0.1]], [[0.5, 0.2], [0.2, 0.5]],
                     [[0.1, 0.05], [0.05, 0.1]], [[0.5, -0.1], [-0.1, 0.9]],
                     [[0.2, -0.05], [-0.05, 0.1]]])),
}
# MI of each as given in the issue (the test also recomputes them on a grid).
PAPER_MI = {"D1": 0.0871767, "D3": 0.1323790, "D5": 0.1681140}


def sample_mixture(mixture, n, rng):
    weights, means, covs = mixture
    component = rng.choice(len(weights), size=n, p=weights)
    out = np.empty((n, 2))
    for k in range(len(weights)):
        idx = component == k
        out[idx] = rng.multivariate_normal(means[k], covs[k], size=idx.sum())
    return out


def grid_mi(mixture, h=0.01, half_width=9.0):
    """MI of a 2-D mixture by the trapezoid rule on a fine grid (spectrally accurate)."""
    weights, means, covs = mixture
    xs = np.arange(means[:, 0].min() - half_width, means[:, 0].max() + half_width, h)
    ys = np.arange(means[:, 1].min() - half_width, means[:, 1].max() + half_width, h)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    joint = np.zeros_like(gx)
    px = np.zeros_like(xs)
    py = np.zeros_like(ys)
    for w, m, c in zip(weights, means, covs):
        joint += w * stats.multivariate_normal(m, c).pdf(np.dstack([gx, gy]))
        px += w * stats.norm(m[0], np.sqrt(c[0, 0])).pdf(xs)
        py += w * stats.norm(m[1], np.sqrt(c[1, 1])).pdf(ys)
    with np.errstate(divide="ignore", invalid="ignore"):
        integrand = joint * (np.log(joint) - np.log(px)[:, None] - np.log(py)[None, :])
    return float(np.nansum(integrand) * h * h)


def gaussian_mi(rho):
    return -0.5 * np.log(1.0 - rho ** 2)


def gamma_exponential_mi(alpha):
    """x ~ Gamma(alpha, 1), y ~ Exp(rate x): I(x; y) = psi(alpha + 1) - ln(alpha)."""
    return float(special.digamma(alpha + 1.0) - np.log(alpha))


def sample_gamma_exponential(alpha, n, rng):
    x = rng.gamma(alpha, 1.0, n)
    y = rng.exponential(1.0 / x)
    return np.log(x), np.log(y)


def categorical_mi(means, sd=1.0):
    """y uniform on len(means) labels, x | y ~ N(means[y], sd): MI by 1-D quadrature."""
    means = np.asarray(means, dtype=float)

    def density(x):
        return stats.norm(means, sd).pdf(x).mean()

    def integrand(x):
        p = density(x)
        return -p * np.log(p) if p > 0 else 0.0

    lo, hi = means.min() - 12 * sd, means.max() + 12 * sd
    h_x = integrate.quad(integrand, lo, hi, limit=500, epsabs=1e-12, epsrel=1e-12)[0]
    return h_x - 0.5 * np.log(2 * np.pi * np.e * sd ** 2)


def gaussian_conditional_mi(cov):
    """I(x0; x1 | x2..) of a zero-mean Gaussian with covariance ``cov``."""
    cov = np.asarray(cov)
    z = list(range(2, len(cov)))

    def logdet(idx):
        return np.linalg.slogdet(cov[np.ix_(idx, idx)])[1]
    return 0.5 * (logdet([0] + z) + logdet([1] + z) - logdet(z) - logdet([0, 1] + z))


def student_t_mi(dof, rho=0.0):
    """I(x; y) of a bivariate Student-t with ``dof`` degrees of freedom and correlation rho.

    Marginals of a multivariate t are t with the same dof, so with
    g(d) = ln(Γ(ν/2) / Γ((ν+d)/2)) + (ν+d)/2 [ψ((ν+d)/2) − ψ(ν/2)] (the scale-free part
    of a d-dimensional t's entropy), I = g(1) + g(1) − g(2) − ½ ln(1 − ρ²).
    """
    nu = float(dof)

    def g(d):
        return (special.gammaln(nu / 2) - special.gammaln((nu + d) / 2)
                + (nu + d) / 2 * (special.digamma((nu + d) / 2) - special.digamma(nu / 2)))
    return float(2 * g(1) - g(2) - 0.5 * np.log(1.0 - rho ** 2))


def sample_student_t(dof, n, rng, rho=0.0):
    z = rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], size=n)
    return z / np.sqrt(rng.chisquare(dof, n) / dof)[:, None]


def additive_uniform_mi(width):
    """x ~ U(0, 1), y = x + U(0, width): I = h(y) − ln(width), with y's trapezoid density.

    I = width/2 − ln(width) for width ≤ 1, and 1/(2 width) for width ≥ 1.
    """
    return float(width / 2 - np.log(width) if width <= 1 else 1 / (2 * width))


def sample_additive_uniform(width, n, rng):
    x = rng.uniform(0.0, 1.0, n)
    return np.column_stack([x, x + rng.uniform(0.0, width, n)])


# Joints whose marginals are bimodal (two separated modes in x and in y), MI by grid.
BIMODAL_MIXTURES = {
    "bimodal aligned": (np.array([0.5, 0.5]), np.array([[-2.0, -2.0], [2.0, 2.0]]),
                        np.array([[[1.0, 0.5], [0.5, 1.0]]] * 2)),
    "bimodal crossed": (np.array([0.3, 0.2, 0.2, 0.3]),
                        np.array([[-2.5, -2.5], [-2.5, 2.5], [2.5, -2.5], [2.5, 2.5]]),
                        np.array([[[1.0, 0.3], [0.3, 1.0]], [[1.0, -0.3], [-0.3, 1.0]],
                                  [[1.0, -0.3], [-0.3, 1.0]], [[1.0, 0.3], [0.3, 1.0]]])),
}
# grid_mi of each (h=0.01; h=0.005 agrees to 1e-12), checked in tests/test_ground_truth.py.
BIMODAL_MI = {"bimodal aligned": 0.7447098710, "bimodal crossed": 0.0661357575}


def gaussian_vector_mi(cov, n_x):
    """I(X; Y) of a zero-mean Gaussian vector (X, Y), X its first ``n_x`` coordinates."""
    cov = np.asarray(cov)

    def logdet(block):
        return np.linalg.slogdet(block)[1]
    return float(0.5 * (logdet(cov[:n_x, :n_x]) + logdet(cov[n_x:, n_x:]) - logdet(cov)))


def student_t_vector_mi(dof, cov, n_x):
    """I(X; Y) of a multivariate Student-t (X, Y) with ``dof`` and scale matrix ``cov``.

    With g(d) as in :func:`student_t_mi` (the scale-free part of a d-dimensional t's
    entropy; the marginals are t with the same dof), I = g(d_x) + g(d_y) - g(d_x + d_y)
    plus the Gaussian MI of ``cov``.
    """
    nu = float(dof)
    n_dims = len(cov)

    def g(d):
        return (special.gammaln(nu / 2) - special.gammaln((nu + d) / 2)
                + (nu + d) / 2 * (special.digamma((nu + d) / 2) - special.digamma(nu / 2)))
    return float(g(n_x) + g(n_dims - n_x) - g(n_dims) + gaussian_vector_mi(cov, n_x))


def sample_student_t_vector(dof, cov, n, rng):
    z = rng.multivariate_normal(np.zeros(len(cov)), cov, size=n)
    return z / np.sqrt(rng.chisquare(dof, n) / dof)[:, None]


def coupled_cov(n_x, n_y, kind, seed=0):
    """Correlation matrices of (X, Y): ``"sparse"``, the first two coordinates of X each
    coupled (rho 0.75) with one of Y; ``"dense"``, every coordinate loading on two shared
    factors (fixed random loadings), so every pair of coordinates is correlated."""
    n = n_x + n_y
    if kind == "sparse":
        cov = np.eye(n)
        for i in range(min(2, n_x, n_y)):
            cov[i, n_x + i] = cov[n_x + i, i] = 0.75
        return cov
    loadings = np.random.default_rng([seed, n_x, n_y]).uniform(-0.7, 0.7, (n, 2))
    cov = loadings @ loadings.T
    np.fill_diagonal(cov, 1.0)
    return cov
