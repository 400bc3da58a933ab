"""The estimator core: one pair of variables in, its MI (or CMI, KL) with an interval out.

``functions`` (``estimate_mi`` and the others) and ``estimator`` (``GMMMI``) check the
inputs (``validation``, ``prepare``) against their settings (``settings``), choose the
space of the marginals (``spaces``) and the number of components (``components``), refit
on bootstrap resamples (``bootstrap``; all over the batched EM of ``engine``), integrate
the information quantities of the mixtures (``information``, ``mixture``), make the
value, interval and status (``outcome``, ``interval``) and return a ``result``.
Everything here decides numbers: the workflow's pair cache is keyed by this package's
code.
"""
