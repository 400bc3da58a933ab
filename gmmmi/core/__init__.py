"""The estimator core: one pair of variables in, its MI (or CMI, KL) with an interval out.

``functions`` (``estimate_mi`` and the others) and ``estimator`` (``GMMMI``) check the
inputs (``validation``, ``prepare``) against their settings (``settings``) and take a
pair down one of its ``routes`` (a table, categories, atoms, one mixture); a mixture's
route chooses the space of the marginals (``spaces``, whose transforms are
``marginals``) and the number of components (``components``), refits on bootstrap
resamples (``bootstrap``; all over the batched EM of ``engine``), integrates the
information quantities of the mixtures (``information``, ``mixture``), and makes the
value, interval and status (``outcome``, ``interval``) of the ``result``. Everything
here decides numbers: the workflow's pair cache is keyed by this package's code.
"""
