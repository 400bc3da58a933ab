"""The dataset contract: a Zarr store of variable groups (``dataset``), written from
users' arrays by ``ingest``, and the embedded demo dataset with known MI (``demo``)."""
