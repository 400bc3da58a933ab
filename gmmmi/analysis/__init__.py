"""Many pairs: an analysis of the workflow is planned into chunks (``plan``), each chunk
is estimated with Dask (``run``), and the results are gathered (``gather``) into the
analysis's MI matrix, whose format ``matrix`` owns (``results/<analysis>/mi.zarr``)."""
