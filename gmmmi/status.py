"""The status of an estimate: one word per result (``MIResult.status``) and per cell of an
MI matrix (``mi.zarr``'s ``status``), and what each means.

From the estimator (every result):

``ok``
    The estimate.
``constant``
    x or y is constant (MI 0); for conditional MI a column of z is constant, for KL the
    divergence is undefined (NaN).
``too-few-samples``
    Too few finite rows for the cross-validation folds (NaN).
``category-too-small``
    Fewer than two categories have enough samples to fit their mixtures (NaN). A smaller
    category alone is left out of the estimate, its rows counted in ``n_dropped`` and
    named in the message.
``few-distinct-values``
    A continuous variable has an atom (a value some rows share) too small to be split
    from its continuous part (under 5% of the rows) and was fitted with
    ``marginals="standardise"``, where the atom is a single point a mixture reads as
    dependence; the estimate is given, doubt it. The default spaces break ties at random
    in the ranks, larger atoms (ReLU zeros) are split by the chain rule, and a variable
    with fewer than 20 distinct values is estimated as categories: all without this
    status.
``max-components``
    Selection reached ``max_components`` without levelling off; the estimate is given.
``under-resolved``
    Other numbers of components fit the held-out data as well, or MI still moves with
    the number of components (its trend from K/2 to the chosen K), or (vectors) the
    held-out rows hold more information than the mixture fitted without them says, or
    fits in other spaces of the marginals tie with the chosen one on the held-out copula
    but give other values, by more than twice the bootstrap spread (and by 0.01 nat or
    more); the interval reaches them: read the interval rather than the value.

From the workflow (cells of a matrix only):

``failed``
    The fit raised an error; the cell's message says which. Not cached: a rerun tries
    again.
``out-of-memory``
    The chunk's ``mem_mb`` cannot hold a worker for a pair this big, or the pair's
    worker died twice while estimating it; the message names the memory to ask for.
    Not cached.
``not-estimated``
    Both variables are categorical (no mixture pairs them).
``diagonal``
    A variable with itself (same groups on both sides); no pair.
``not-adjacent``
    Layers of a flow analysis that are not neighbours (other than inputs or the first
    hidden layer with the outputs, estimated for the attributions); no pair.
"""

OK = "ok"
CONSTANT = "constant"
TOO_FEW_SAMPLES = "too-few-samples"
CATEGORY_TOO_SMALL = "category-too-small"
FEW_DISTINCT_VALUES = "few-distinct-values"
MAX_COMPONENTS = "max-components"
UNDER_RESOLVED = "under-resolved"
FAILED = "failed"
OUT_OF_MEMORY = "out-of-memory"
NOT_ESTIMATED = "not-estimated"
DIAGONAL = "diagonal"
NOT_ADJACENT = "not-adjacent"

ESTIMATOR = (OK, CONSTANT, TOO_FEW_SAMPLES, CATEGORY_TOO_SMALL, FEW_DISTINCT_VALUES,
             MAX_COMPONENTS, UNDER_RESOLVED)
WORKFLOW = (FAILED, OUT_OF_MEMORY, NOT_ESTIMATED, DIAGONAL, NOT_ADJACENT)
ALL = ESTIMATOR + WORKFLOW
# Cells that are no pair at all (drawn grey, never flagged).
NO_PAIR = (DIAGONAL, NOT_ADJACENT)
# Results not kept in the pair cache: the next run tries them again.
RETRIED = (FAILED, OUT_OF_MEMORY)
