"""The estimator core: one pair of variables in, its MI (or CMI, KL) with an interval out.

``estimator`` (the public API) checks the inputs (``validation``) against its settings
(``settings``), chooses the space of the marginals (``spaces``) and the number of
components (``components``), refits on bootstrap resamples (``bootstrap``; all over the
batched EM of ``engine``), integrates the information quantities of the mixtures (``information``,
``mixture``), widens the interval (``interval``) and returns a ``result``. Everything
here decides numbers: the workflow's pair cache is keyed by this package's code.
"""
