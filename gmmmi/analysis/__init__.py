"""Many pairs: an analysis (its ``kinds``) is planned into chunks (``plan``); each chunk
job (``run``) estimates its pairs (``estimate``: in process or on Dask, ``cluster``) from
the dataset's columns (``columns``), keeping finished pairs in the ``cache``; the results
are gathered (``gather``) into the analysis's MI matrix, whose format ``matrix`` owns
(``results/<analysis>/mi.zarr``). ``notebook.mi_matrix`` does the same in memory."""
