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


# Mixed variables: functions of a standard bivariate normal (X, Y) with correlation rho
# that put atoms on the line (ReLU zeros, rounding, integer codes).  Each variable is a
# list of "atoms" (intervals of X mapped to one value) and "open" intervals (kept as they
# are: MI is unchanged by a monotone map of them).  The MI of the pair is then a sum over
# the parts of the joint, each by 1-D quadrature:
#   atom x atom:  P_ij log(P_ij / (P_i P_j))
#   atom x open:  int g_i(y) log(g_i(y) / (P_i phi(y))) dy,  g_i(y) = P(X in A_i, Y in dy)/dy
#   open x open:  int phi(x) int phi(y | x) log(phi(y | x) / phi(y)) dy dx


def _prob_x_in(interval, rho, y):
    """P(X in interval | Y = y) for the standard bivariate normal."""
    s = np.sqrt(1.0 - rho ** 2)
    lo, hi = interval
    return special.ndtr((hi - rho * y) / s) - special.ndtr((lo - rho * y) / s)


def mixed_mi(rho, x_parts, y_parts):
    """I(g(X); h(Y)) for (X, Y) standard normal with correlation ``rho``; ``x_parts`` and
    ``y_parts`` are ``(atoms, open)``: lists of (low, high) intervals of each variable
    (together a partition of the line) mapped to one value each or left as they are."""
    quad = dict(limit=400, epsabs=1e-13, epsrel=1e-11)
    total = 0.0
    x_atoms, x_open = x_parts
    y_atoms, y_open = y_parts
    for a in x_atoms:
        p_a = special.ndtr(a[1]) - special.ndtr(a[0])
        for b in y_atoms:
            p_b = special.ndtr(b[1]) - special.ndtr(b[0])
            p_ab = integrate.quad(lambda y: stats.norm.pdf(y) * _prob_x_in(a, rho, y),
                                  *b, **quad)[0]
            if p_ab > 0:
                total += p_ab * np.log(p_ab / (p_a * p_b))
    for atoms, opens in ((x_atoms, y_open), (y_atoms, x_open)):
        for a in atoms:
            p_a = special.ndtr(a[1]) - special.ndtr(a[0])
            if p_a < 1e-300:
                continue
            for o in opens:
                def part(y, a=a, p_a=p_a):
                    share = _prob_x_in(a, rho, y)
                    return stats.norm.pdf(y) * share * np.log(share / p_a) if share > 0 else 0.0
                total += integrate.quad(part, *o, **quad)[0]
    for ox in x_open:
        for oy in y_open:
            total += integrate.quad(lambda x: stats.norm.pdf(x) * _open_inner(x, oy, rho),
                                    *ox, **quad)[0]
    return float(total)


def _open_inner(x, interval, rho):
    """int over y in ``interval`` of phi(y | x) log(phi(y | x) / phi(y)), in closed form:
    with y = rho x + s z, the log ratio is -log s - z^2/2 + y^2/2, and the moments of z
    over its interval are those of a truncated standard normal."""
    s = np.sqrt(1.0 - rho ** 2)
    lo, hi = ((np.asarray(interval, dtype=float) - rho * x) / s)
    m0 = special.ndtr(hi) - special.ndtr(lo)
    m1 = stats.norm.pdf(lo) - stats.norm.pdf(hi)
    m2 = m0 + (lo * stats.norm.pdf(lo) if np.isfinite(lo) else 0.0) \
        - (hi * stats.norm.pdf(hi) if np.isfinite(hi) else 0.0)
    return -np.log(s) * m0 - m2 / 2 + (rho ** 2 * x ** 2 * m0 + 2 * rho * x * s * m1
                                       + s ** 2 * m2) / 2


def relu_parts(zero_share):
    """A ReLU unit max(X - t, 0) that is 0 for ``zero_share`` of the rows."""
    t = float(special.ndtri(zero_share))
    return [(-np.inf, t)], [(t, np.inf)]


def code_parts(levels):
    """Integer codes 0 .. levels - 1 of X's equiprobable bins."""
    cuts = special.ndtri(np.linspace(0.0, 1.0, levels + 1))
    return list(zip(cuts[:-1], cuts[1:])), []


def grid_parts(step, reach=12.0):
    """X rounded to a grid of ``step``."""
    edges = np.arange(-reach - step / 2, reach + step, step)
    edges[0], edges[-1] = -np.inf, np.inf
    return list(zip(edges[:-1], edges[1:])), []


OPEN = ([], [(-np.inf, np.inf)])


def apply_parts(values, parts):
    """``values`` of X (or Y) through the map ``parts`` describes: each atom interval to one
    number (ReLU zeros to 0, codes to 0, 1, ...), open intervals kept (shifted so that a
    ReLU's open part starts at 0)."""
    atoms, opens = parts
    out = values.astype(np.float64)
    for code, (lo, hi) in enumerate(atoms):
        out[(values >= lo) & (values < hi)] = float(code)
    for lo, hi in opens:
        inside = (values >= lo) & (values < hi)
        out[inside] = values[inside] - (lo if np.isfinite(lo) else 0.0)
    return out


def sample_mixed(rho, x_parts, y_parts, n, rng, repeats=1):
    """n rows of (g(X), h(Y)); with ``repeats`` > 1, n / repeats rows each repeated."""
    distinct = -(-n // repeats)
    xy = rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], size=distinct)
    x, y = apply_parts(xy[:, 0], x_parts), apply_parts(xy[:, 1], y_parts)
    if repeats > 1:
        x, y = np.repeat(x, repeats)[:n], np.repeat(y, repeats)[:n]
        order = rng.permutation(n)
        x, y = x[order], y[order]
    return x, y


# The mixed families of benchmarks/mixed.py and tests/test_ties.py: name -> (rho, x's
# parts, y's parts, repeats).
MIXED_FAMILIES = {
    "relu x relu": (0.9, relu_parts(0.5), relu_parts(0.5), 1),
    "relu x normal": (0.8, relu_parts(0.5), OPEN, 1),
    "relu 90% x normal": (0.8, relu_parts(0.9), OPEN, 1),
    "relu 75% x relu 55%": (0.7, relu_parts(0.75), relu_parts(0.55), 1),
    "grid 0.5 x normal": (0.8, grid_parts(0.5), OPEN, 1),
    "codes 3 x normal": (0.8, code_parts(3), OPEN, 1),
    "codes 10 x normal": (0.8, code_parts(10), OPEN, 1),
    "codes 30 x normal": (0.8, code_parts(30), OPEN, 1),
    "codes 5 x codes 5": (0.7, code_parts(5), code_parts(5), 1),
    "rows x2": (0.6, OPEN, OPEN, 2),
    "rows x10": (0.6, OPEN, OPEN, 10),
}


def mixed_family_mi(name):
    rho, x_parts, y_parts, _ = MIXED_FAMILIES[name]
    return mixed_mi(rho, x_parts, y_parts)


def sample_mixed_family(name, n, rng):
    rho, x_parts, y_parts, repeats = MIXED_FAMILIES[name]
    return sample_mixed(rho, x_parts, y_parts, n, rng, repeats)


def mixture_entropy(means, sd, weights=None):
    """H of a 1-D mixture of normals of one ``sd`` (weights: equal if None), by the
    trapezoid rule on a grid of sd / 40 (spectrally accurate for this smooth, fast
    decaying integrand: 1e-12 against the closed form of one normal)."""
    means = np.asarray(means, dtype=float).ravel()
    weights = np.full(len(means), 1.0 / len(means)) if weights is None else np.asarray(weights)
    grid = np.arange(means.min() - 12 * sd, means.max() + 12 * sd, sd / 40)
    density = np.zeros_like(grid)
    for m, w in zip(means, weights):
        density += w * np.exp(-0.5 * ((grid - m) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(density > 0, -density * np.log(density), 0.0)
    return float(terms.sum() * (sd / 40))


class Representation:
    """Discrete factors and latents that mix them linearly, with exact MI per cell.

    Factor k takes ``levels[k]`` equally likely values, standardised (mean 0, variance
    1). Latent j = sum_k ``loadings[j, k]`` f_k + ``shared[j]`` e + ``noise[j]`` e_j, with
    e and e_j standard normals: e is one noise every latent with ``shared`` > 0 carries
    (their estimates' errors are correlated, as a model's latents' often are).
    I(latent j; factor k) = H(z_j) - mean_l H(z_j | f_k = l), each a 1-D mixture of
    normals over the other factors' values (:func:`mixture_entropy`).
    """

    def __init__(self, levels, loadings, noise, shared=None):
        self.levels = tuple(int(n) for n in levels)
        self.loadings = np.asarray(loadings, dtype=float)
        self.noise = np.asarray(noise, dtype=float)
        self.shared = np.zeros(len(self.noise)) if shared is None else np.asarray(shared, float)
        self.values = [(np.arange(n) - (n - 1) / 2) / np.sqrt((n * n - 1) / 12) for n in levels]

    def sample(self, n, rng):
        """(latents (n, n_latents), factor codes (n, n_factors))."""
        codes = np.column_stack([rng.integers(0, k, n) for k in self.levels])
        values = np.column_stack([v[c] for v, c in zip(self.values, codes.T)])
        latents = (values @ self.loadings.T + rng.standard_normal((n, 1)) * self.shared
                   + rng.standard_normal((n, len(self.noise))) * self.noise)
        return latents, codes

    def mi(self):
        """The exact MI matrix (latents x factors), in nats."""
        grids = np.meshgrid(*self.values, indexing="ij")
        combos = np.column_stack([g.ravel() for g in grids])
        truth = np.empty(self.loadings.shape)
        for j, row in enumerate(self.loadings):
            sd = float(np.hypot(self.noise[j], self.shared[j]))
            means = combos @ row
            whole = mixture_entropy(means, sd)
            for k, values in enumerate(self.values):
                given = [mixture_entropy(means[np.isclose(combos[:, k], v)], sd) for v in values]
                truth[j, k] = whole - float(np.mean(given))
        return truth

    def entropy(self):
        """Each factor's entropy, ln(levels)."""
        return np.log(np.asarray(self.levels, dtype=float))
