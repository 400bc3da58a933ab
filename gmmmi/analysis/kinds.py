"""The kinds of analysis: what an analysis pairs, one word each (the config's
``analyses.<name>.kind``, a manifest's and a matrix's ``kind``).

``pairs``
    Every variable of the x groups with every variable of the y groups (the upper
    triangle when both sides are the same groups). The default.
``flow``
    Neural information flow: every neuron of layer k with every neuron of layer k + 1,
    and the inputs and the first hidden layer with the outputs, for the attributions
    (:mod:`gmmmi.analysis.flow`); the other cells are ``not-adjacent``.
``sets``
    Each named set of variables, as one vector, with every variable of the y groups and
    with the sets y names; each member is also estimated on its own.
"""

PAIRS = "pairs"
FLOW = "flow"
SETS = "sets"

ALL = (PAIRS, FLOW, SETS)
DEFAULT = PAIRS


def check(kind):
    """``kind`` if it is a kind of analysis, else a one-line ``ValueError``."""
    if kind not in ALL:
        raise ValueError(f"analysis kind must be 'pairs', 'flow' or 'sets', got {kind!r}")
    return kind


def of(spec):
    """The kind of an analysis's config entry, a manifest or a matrix's attributes."""
    return spec.get("kind", DEFAULT)
