"""Vector MI: I(X; Y) between groups of variables, against analytic truths."""

import numpy as np
import pytest
from scipy import stats

import groundtruth as truth
from gmmmi import conditional_mi, estimate_mi
from gmmmi.core.mixture import (
    copula_logpdf,
    entropy_combination_qmc,
    entropy_quadrature,
    marginal,
    marginal_quantiles,
)
from gmmmi.core.spaces import STUDENT_SCORES

N = 2000


def within(result, expected, floor=0.03):
    assert result.status in ("ok", "under-resolved"), result.message
    assert abs(result.mi - expected) <= max(3 * result.std, floor), (
        f"estimate {result.mi:.4f} ± {result.std:.4f}, truth {expected:.4f}")


def test_vector_truths_agree_with_monte_carlo():
    """The Student-t vector formula against a Monte Carlo average of the log density ratio."""
    cov = truth.coupled_cov(2, 3, "dense")
    samples = truth.sample_student_t_vector(3, cov, 200_000, np.random.default_rng(0))
    joint = stats.multivariate_t(np.zeros(5), cov, df=3)
    px, py = stats.multivariate_t(np.zeros(2), cov[:2, :2], df=3), \
        stats.multivariate_t(np.zeros(3), cov[2:, 2:], df=3)
    ratio = joint.logpdf(samples) - px.logpdf(samples[:, :2]) - py.logpdf(samples[:, 2:])
    assert truth.student_t_vector_mi(3, cov, 2) == pytest.approx(
        ratio.mean(), abs=4 * ratio.std() / np.sqrt(len(ratio)))
    assert truth.student_t_vector_mi(3, [[1, 0.5], [0.5, 1]], 1) == pytest.approx(
        truth.student_t_mi(3, 0.5))


@pytest.mark.parametrize("n_x,n_y,kind", [(2, 2, "sparse"), (3, 3, "dense"), (5, 5, "sparse")])
def test_multivariate_normal(n_x, n_y, kind):
    cov = truth.coupled_cov(n_x, n_y, kind)
    xy = np.random.default_rng(21).multivariate_normal(np.zeros(n_x + n_y), cov, size=N)
    within(estimate_mi(xy[:, :n_x], xy[:, n_x:]), truth.gaussian_vector_mi(cov, n_x))


def test_student_t_vector_through_monotone_maps():
    """In rank space the estimate is the same bit for bit (ranks are unchanged); "auto"
    may fit each in its own coordinates, and both estimates hold the truth."""
    cov = truth.coupled_cov(2, 2, "dense")
    xy = truth.sample_student_t_vector(5, cov, N, np.random.default_rng(22))
    warped = np.column_stack([np.exp(xy[:, 0]), xy[:, 1] ** 3, np.arcsinh(xy[:, 2]),
                              np.tanh(xy[:, 3])])
    expected = truth.student_t_vector_mi(5, cov, 2)
    plain, again = (estimate_mi(v[:, :2], v[:, 2:], n_bootstrap=20, marginals="rank")
                    for v in (xy, warped))
    assert (again.mi, again.interval) == (plain.mi, plain.interval)
    for v in (xy, warped):
        within(estimate_mi(v[:, :2], v[:, 2:], n_bootstrap=20), expected)


def test_one_column_vectors_are_the_scalar_estimate_bit_for_bit():
    xy = np.random.default_rng(23).multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=500)
    vector = estimate_mi(xy[:, :1], xy[:, 1:], n_bootstrap=10)
    scalar = estimate_mi(xy[:, 0], xy[:, 1], n_bootstrap=10)
    assert (vector.mi, vector.interval) == (scalar.mi, scalar.interval)


def test_categorical_labels_with_a_vector():
    """x = (a shifted per category, independent noise): the noise adds no information."""
    rng = np.random.default_rng(24)
    means = np.array([-1.0, 0.0, 1.5])
    labels = rng.integers(0, 3, N)
    x = np.column_stack([means[labels] + rng.standard_normal(N), rng.standard_normal(N)])
    within(estimate_mi(x, labels, categorical=True), truth.categorical_mi(means))


def test_conditional_mi_of_vectors():
    cov = truth.coupled_cov(2, 3, "dense")  # x: 2 columns, y: 2, z: 1
    xyz = np.random.default_rng(25).multivariate_normal(np.zeros(5), cov, size=N)

    def logdet(idx):
        return np.linalg.slogdet(cov[np.ix_(idx, idx)])[1]
    expected = 0.5 * (logdet([0, 1, 4]) + logdet([2, 3, 4]) - logdet([4])
                      - logdet([0, 1, 2, 3, 4]))
    within(conditional_mi(xyz[:, :2], xyz[:, 2:4], xyz[:, 4]), expected)


def test_a_constant_column_of_a_vector_is_named():
    rng = np.random.default_rng(26)
    x = np.column_stack([rng.standard_normal(300), np.ones(300)])
    result = estimate_mi(x, rng.standard_normal(300), n_bootstrap=5)
    assert result.status == "constant" and "x[:, 1] is constant" in result.message
    assert np.isnan(result.mi)


def test_arrays_of_three_dimensions_are_refused_in_one_line():
    with pytest.raises(ValueError, match="x must be 2-D"):
        estimate_mi(np.zeros((10, 2, 2)), np.zeros(10))


def random_mixture(n_dims, n_comp, rng):
    weights = rng.dirichlet(np.full(n_comp, 2.0))
    means = rng.normal(0, 1.5, (n_comp, n_dims))
    a = rng.normal(0, 1, (n_comp, n_dims, n_dims)) / np.sqrt(n_dims)
    return weights[None], means[None], (a @ np.swapaxes(a, 1, 2) + 0.3 * np.eye(n_dims))[None]


def test_many_components_share_the_quasi_monte_carlo_points_and_keep_the_accuracy():
    """Above QMC_FULL_COMPONENTS live components each gets proportionally fewer points: on
    40 components in 3-D, 819 (rounded up to 1024) instead of 4096, within 1e-3 nat of
    65,536 a component."""
    from gmmmi.core.mixture import qmc_points

    rng = np.random.default_rng(7)
    mixture = random_mixture(3, 40, rng)
    assert qmc_points(mixture[0][:, :5], 1024) == 4096
    assert qmc_points(mixture[0], 1024) == 4096 * 8 // 40
    padded = np.concatenate([mixture[0], np.zeros((1, 10))], axis=1)  # absent ones: no count
    assert qmc_points(padded, 1024) == qmc_points(mixture[0], 1024)
    assert qmc_points(np.ones((1, 10_000)), 1024) == 256
    terms = [(1.0, [0]), (1.0, [1, 2]), (-1.0, [0, 1, 2])]
    fine = entropy_combination_qmc(*mixture, terms, 2 ** 16, np.random.default_rng(1))[0]
    for scramble in range(3):
        coarse = entropy_combination_qmc(*mixture, terms, qmc_points(mixture[0], 1024),
                                         np.random.default_rng(10 + scramble))[0]
        assert coarse == pytest.approx(fine, abs=1e-3)


@pytest.mark.parametrize("n_dims", [3, 6, 10])
def test_the_quasi_monte_carlo_rule_against_a_fine_one(n_dims):
    """4096 points per component against 65,536: within 2e-3 nat on MI of 8 components;
    exact for one Gaussian (the control variate)."""
    rng = np.random.default_rng(n_dims)
    n_x = n_dims // 2
    terms = [(1.0, list(range(n_x))), (1.0, list(range(n_x, n_dims))),
             (-1.0, list(range(n_dims)))]
    mixture = random_mixture(n_dims, 8, rng)
    fine = entropy_combination_qmc(*mixture, terms, 2 ** 16, np.random.default_rng(1))[0]
    coarse = entropy_combination_qmc(*mixture, terms, 4096, np.random.default_rng(2))[0]
    assert coarse == pytest.approx(fine, abs=2e-3)
    gaussian = random_mixture(n_dims, 1, rng)
    exact = truth.gaussian_vector_mi(gaussian[2][0, 0], n_x)
    assert entropy_combination_qmc(*gaussian, terms, 64, np.random.default_rng(3))[0] \
        == pytest.approx(exact, abs=1e-12)
    # the rule matches the 1-D Gauss-Hermite entropy of a marginal
    one = marginal(*mixture, [0])
    assert entropy_combination_qmc(*one, [(1.0, [0])], 2 ** 14, np.random.default_rng(4))[0] \
        == pytest.approx(entropy_quadrature(*one, 1024)[0], abs=1e-3)


def test_copula_of_a_gaussian_is_the_gaussian_copula():
    """One component, any means and scales: log c(u) = -log|R|/2 - z'(R^-1 - I)z/2 with
    z the normal scores of u and R the correlation; the marginal quantiles invert the
    mixture's marginal CDFs."""
    rng = np.random.default_rng(28)
    weights, means, covariances = random_mixture(4, 1, rng)
    u = rng.uniform(0.001, 0.999, (200, 4))
    sd = np.sqrt(np.diag(covariances[0, 0]))
    correlation = covariances[0, 0] / np.outer(sd, sd)
    z = stats.norm.ppf(u)
    expected = -0.5 * np.linalg.slogdet(correlation)[1] - 0.5 * np.einsum(
        "ni,ij,nj->n", z, np.linalg.inv(correlation) - np.eye(4), z)
    assert copula_logpdf(weights[0], means[0], covariances[0], u) == pytest.approx(
        expected, abs=1e-8)
    weights, means, covariances = random_mixture(3, 5, rng)
    points = marginal_quantiles(weights[0], means[0], covariances[0], u[:, :3])
    cdf = sum(w * stats.norm.cdf(points, m, np.sqrt(np.diag(c)))
              for w, m, c in zip(weights[0], means[0], covariances[0]))
    assert cdf == pytest.approx(u[:, :3], abs=1e-9)


def test_auto_fits_a_vector_in_the_space_whose_copula_holds_out_best():
    """A multivariate Student-t of identity scale (all its MI in the shared scale) is a
    scale mixture of Gaussians in its own coordinates, and in Student-t scores of its
    ranks, which no monotone map changes: through asinh it is fitted there as it was,
    while its standardised values and its normal scores lose two thirds of the MI.
    Through exp and cubes (skewed, hard to fit as they are) a normal joint stays in
    normal scores."""
    xy = truth.sample_student_t_vector(3, np.eye(6), 3000, np.random.default_rng(29))
    expected = truth.student_t_vector_mi(3, np.eye(6), 3)
    plain = estimate_mi(xy[:, :3], xy[:, 3:], n_bootstrap=10)
    assert plain.details["marginals"] in STUDENT_SCORES
    within(plain, expected)
    squashed = np.arcsinh(xy)
    again = estimate_mi(squashed[:, :3], squashed[:, 3:], n_bootstrap=10)
    assert again.details["marginals"] == plain.details["marginals"] and again.mi == plain.mi
    for marginals in ("rank", "standardise"):  # what the two spaces alone give
        alone = estimate_mi(squashed[:, :3], squashed[:, 3:], n_bootstrap=10,
                            marginals=marginals)
        assert alone.mi < expected - 0.1
    cov = truth.coupled_cov(3, 3, "sparse")
    xy = np.random.default_rng(30).multivariate_normal(np.zeros(6), cov, size=3000)
    warped = np.column_stack([np.exp(xy[:, :3]), xy[:, 3:] ** 3])
    result = estimate_mi(warped[:, :3], warped[:, 3:], n_bootstrap=10)
    assert result.details["marginals"] == "rank"
    within(result, truth.gaussian_vector_mi(cov, 3))


@pytest.mark.slow
def test_student_t_5_plus_5_where_its_information_is_in_the_joint_tails():
    """BMI's Student-t 5+5 (identity scale, 3 dof) at N = 5000, four samples: fitted in
    Student-t scores, each inside its interval, off by 0.064 nat on average (0.044 to
    0.098; BMI's own three samples 0.032 to 0.041, benchmarks/measured/
    accuracy_vector_bmi.md; the issue's target is 0.05, and in the standardised space,
    before Student-t scores, the first of these was 0.051 off); normal scores alone are
    0.15 low."""
    expected = truth.student_t_vector_mi(3, np.eye(10), 5)
    errors = []
    for seed in (31, 32, 33, 34):
        xy = truth.sample_student_t_vector(3, np.eye(10), 5000, np.random.default_rng(seed))
        result = estimate_mi(xy[:, :5], xy[:, 5:])
        assert result.details["marginals"] != "rank"
        assert result.interval[0] <= expected <= result.interval[1]
        errors.append(abs(result.mi - expected))
    assert np.mean(errors) <= 0.07, errors
    assert estimate_mi(xy[:, :5], xy[:, 5:], marginals="rank").mi < expected - 0.1


@pytest.mark.slow
def test_an_interval_is_not_tight_where_the_estimate_is_far_off():
    """2 dof in normal scores: the mixture misses the dependence in the joint tails (0.20
    for 0.45), and the held-out rows show it (they hold more than the mixture fitted
    without them says): under-resolved, with an interval that reaches over half the way
    to the truth instead of stopping 0.2 nat short."""
    xy = truth.sample_student_t_vector(2, np.eye(10), 5000, np.random.default_rng(31))
    expected = truth.student_t_vector_mi(2, np.eye(10), 5)
    result = estimate_mi(xy[:, :5], xy[:, 5:], marginals="rank")
    assert result.mi < expected - 0.2
    assert result.status == "under-resolved" and "held-out rows" in result.message
    assert result.interval[1] >= result.mi + 0.5 * (expected - result.mi)


def bmi_spiral(v, first, speed=1 / 3):
    """BMI's spiral: coordinates ``first`` and ``first + 1`` of ``v`` rotated by
    ``speed`` |v|^2 radians (Czyż et al. 2023): invertible, MI unchanged."""
    angle = speed * (v ** 2).sum(axis=1)
    out, (c, s) = v.copy(), (np.cos(angle), np.sin(angle))
    i, j = first, first + 1
    out[:, i], out[:, j] = c * v[:, i] - s * v[:, j], s * v[:, i] + c * v[:, j]
    return out


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="a strong spiral of 3+3 dimensions is beyond a "
                   "mixture at N = 5000 (0.67-0.71 for 1.02, the interval reaching 0.80-0.87; "
                   "still 0.78-0.81 at 2x10^4 and 10^5): issue 30's open miss")
def test_a_strong_spiral_is_within_its_interval():
    """BMI's spiral of its 2-pair multinormal (two coordinate pairs at 0.8), 3+3."""
    cov = np.eye(6)
    cov[0, 3] = cov[3, 0] = cov[1, 4] = cov[4, 1] = 0.8
    xy = np.random.default_rng(32).multivariate_normal(np.zeros(6), cov, size=5000)
    result = estimate_mi(bmi_spiral(xy[:, :3], 0), bmi_spiral(xy[:, 3:], 1))
    expected = truth.gaussian_vector_mi(cov, 3)
    assert result.interval[0] <= expected <= result.interval[1]


def sets_dataset(n=1500):
    """Independent latents z0..z3 and a factor s = 0.7 z0 + 0.7 z1 + 0.3 noise: z0 and z1
    each tell a little about s, together much more; z2 and z3 nothing. Returns the data
    and the truth I(z0, z1; s)."""
    rng = np.random.default_rng(27)
    latent = rng.standard_normal((n, 4))
    factor = 0.7 * latent[:, 0] + 0.7 * latent[:, 1] + 0.3 * rng.standard_normal(n)
    return {"latent": latent, "factor": factor[:, None]}, 0.5 * np.log(1.07 / 0.09)


def test_a_sets_analysis_estimates_each_set_as_one_vector():
    import gmmmi

    data, expected = sets_dataset()
    sets = {"first_three": ["latent_0", "latent_1", "latent_2"], "all": "latent",
            "one": ["latent/latent_3"]}
    matrix = gmmmi.mi_matrix(data, sets, "factor", kind="sets", n_bootstrap=10,
                             progress=False)
    # the sets, then each member on its own
    assert list(matrix["var_x"].values) == ["first_three", "all", "one"] + [
        f"latent_{i}" for i in range(4)]
    assert list(matrix["members_x"].values) == [
        "latent/latent_0, latent/latent_1, latent/latent_2",
        "latent/latent_0, latent/latent_1, latent/latent_2, latent/latent_3",
        "latent/latent_3", "", "", "", ""]
    mi = matrix["mi"].sel(var_y="factor_0")
    assert abs(float(mi.sel(var_x="first_three")) - expected) < 0.08
    assert abs(float(mi.sel(var_x="all")) - expected) < 0.08  # z3 adds nothing
    assert abs(float(mi.sel(var_x="one"))) < 0.03
    table = gmmmi.pairs_table(matrix)
    assert table["members_x"].tolist()[0].startswith("latent/latent_0")
    from gmmmi.report.page import render

    html = render(matrix, None, top_pairs=1)
    assert 'id="sets"' in html and "latent/latent_0, latent/latent_1" in html
    gains = html.split('id="set-gains"')[1].split("</table>")[0]
    assert gains.count("<tr>") - 1 == 3  # first_three, all, one against factor_0
    # z0 and z1 together hold far more than either; z3 alone is the "one" set's best member
    assert gains.count("<td class=\"name\">yes</td>") == 2, gains
    assert 'id="disentanglement"' not in html


@pytest.mark.parametrize("sets,message", [
    ({"s": ["nothing"]}, "set 's': the dataset has no variable or group 'nothing'"),
    ({"s": ["latent/zz"]}, "set 's': the dataset has no variable 'latent/zz'"),
    ({"s": ["label"]}, "set 's': label/label is categorical; a set holds continuous variables"),
    ({"s": ["latent_0", "latent/latent_0"]}, "set 's' names a variable twice"),
    ("latent", "sets must map set names to their members, such as {'shape': ['z1', 'z3']}; "
               "got str"),
])
def test_sets_that_cannot_be_planned_are_refused_in_one_line(sets, message):
    import gmmmi
    from gmmmi.data.dataset import DatasetError

    data, _ = sets_dataset(n=200)
    data["label"] = np.arange(200) % 3
    with pytest.raises(DatasetError) as info:
        gmmmi.mi_matrix(data, sets, "factor", kind="sets", progress=False)
    assert str(info.value) == message


def test_sets_against_sets():
    """Sets as columns too: each two sets once, never two that share a variable."""
    import gmmmi

    rng = np.random.default_rng(28)
    z = rng.standard_normal((1500, 4))
    latent = np.column_stack([z[:, :2], z[:, :2] @ [[0.8, 0.0], [0.0, 0.8]]
                              + 0.6 * z[:, 2:]])  # latent_2, latent_3: noisy copies
    sets = {"a": ["latent_0", "latent_1"], "b": ["latent_2", "latent_3"], "all": "latent"}
    matrix = gmmmi.mi_matrix({"latent": latent}, sets, ["a", "b"], kind="sets",
                             n_bootstrap=10, progress=False)
    assert [str(v) for v in matrix["var_y"].values] == ["a", "b"]
    assert list(matrix["members_y"].values) == ["latent/latent_0, latent/latent_1",
                                                "latent/latent_2, latent/latent_3"]
    status = matrix["status"].to_pandas()
    assert status.loc["a", "b"] in ("ok", "under-resolved")
    assert status.loc["b", "a"] == "not-estimated"  # a x b already
    assert status.loc["all", "a"] == "not-estimated"  # shares latent_0, latent_1
    expected = 2 * -0.5 * np.log(1 - 0.64)  # two coordinate pairs at correlation 0.8
    assert abs(float(matrix["mi"].sel(var_x="a", var_y="b")) - expected) < 0.08
    table = gmmmi.pairs_table(matrix)
    assert {"members_x", "members_y"} <= set(table.columns)
