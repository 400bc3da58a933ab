# What a run does besides its jobs; common.smk only looks things up.
#
# At parse time, because Snakemake decides what is out of date right after reading the
# workflow (an onstart: handler would run after that): the checks that refuse a config
# before any job runs, the repairs of a run that was killed (a damaged chunk result must
# be gone before Snakemake looks for it), and the split recorded for jobs on cluster
# nodes. Then the handlers that the Snakefile's onstart, onsuccess and onerror call.
from gmmmi._files import write_json
from gmmmi.analysis.cache import mark, prune
from gmmmi.analysis.cluster import tls_files
from gmmmi.analysis.recovery import damaged_chunks, record_owner, release_stale_locks


try:  # TLS settings that cannot work are refused before any job runs
    tls_files(config["dask"].get("scheduler_address"), config["dask"].get("tls_ca_file"),
              config["dask"].get("tls_cert"), config["dask"].get("tls_key"))
except ValueError as exc:
    raise WorkflowError(str(exc)) from None


# A comparison names analyses of this config or matrices that exist.
for _name, _sides in COMPARISONS.items():
    for _side, _given in _sides.items():
        if _given not in ANALYSES and not os.path.isdir(_given):
            raise WorkflowError(f"comparisons.{_name}.{_side}: {_given!r} is neither an "
                                f"analysis of this config nor an existing mi.zarr")


# A damaged dataset, or an analysis naming a group it lacks, is refused before any job
# runs. A dataset the workflow writes itself (the demo) is planned on the next run.
for _analysis in ANALYSES:
    plan(_analysis)


# What a plain rerun repairs (gmmmi.analysis.recovery): the locks of a run that was killed
# outright, and chunk results that cannot be read, which this run then redoes from the
# cache (gather would fail on them run after run). Not on cluster nodes, whose jobs
# re-read this file while the main process runs; a dry run only says so.
if not workflow.remote_exec:
    _dry = workflow.output_settings.dryrun
    if not _dry:
        _killed = release_stale_locks()
        if _killed is not None:
            print(f"gmmmi: the run that held this directory's locks (pid {_killed}) is gone: "
                  "its locks were removed", file=sys.stderr)
    for _analysis in ANALYSES:
        for _path in damaged_chunks(f"results/{_analysis}/chunks",
                                    f"results/{_analysis}/mi.zarr"):
            if not _dry:
                _path.unlink(missing_ok=True)
            print(f"gmmmi: {_path} cannot be read (damaged or cut short): "
                  + ("it would be redone" if _dry else "removed, to be redone from the cache"),
                  file=sys.stderr)


# Jobs on cluster nodes re-read this workflow without knowing --jobs: the main process
# records its split for them (not a dry run: it may ask about other settings meanwhile).
if SLOTS is not None and not workflow.output_settings.dryrun:
    write_json(SPLIT, {analysis: len(chunk_names(analysis)) for analysis in ANALYSES})


_cluster = []


def start_run():
    """Record this run as the holder of the directory's locks (gmmmi.analysis.recovery);
    start the run's own Dask cluster when the config asks for one (dask.cluster)."""
    if not workflow.output_settings.dryrun:
        record_owner()
    if config["dask"].get("cluster") == "slurm":
        from gmmmi.analysis.cluster import start_slurm_cluster

        options = config["dask"].get("slurm") or {}
        try:
            _cluster.append(start_slurm_cluster(options, chunk_memory() // THREADS))
        except Exception as exc:  # noqa: BLE001 - dask-jobqueue fails in many ways
            raise WorkflowError(f"dask.cluster slurm: could not start "
                                f"({type(exc).__name__}: {exc})") from None
        print(f"gmmmi: Dask cluster for this run: {options.get('workers', 2)} SLURM worker "
              f"jobs, scheduler {_cluster[0].scheduler_address}", file=sys.stderr)


def stop_cluster():
    if config["dask"].get("cluster"):
        from gmmmi.analysis.cluster import stop

        stop(_cluster.pop() if _cluster else None)


def report_unfinished():
    """Say which analyses hold pairs a rerun would try again (failed, out-of-memory): the
    run succeeded, but they have no estimate."""
    from gmmmi.analysis.gather import unfinished

    for analysis in ANALYSES:
        counts = unfinished(f"results/{analysis}/mi.zarr")
        if counts:
            listed = ", ".join(f"{n} {word}" for word, n in counts.items())
            print(f"gmmmi: {analysis}: {listed} pairs without an estimate (their messages "
                  f"are in results/{analysis}/report.html, Diagnostics); a rerun tries them "
                  "again", file=sys.stderr)


def prune_cache():
    """Keep in the cache only the pairs some config of this folder uses (after a
    successful run): this one's analyses, and those another config recorded."""
    if description() is None:
        return
    manifests = [m for analysis in ANALYSES for m in plan(analysis)]
    mark(f"{CACHE}/pairs")  # the workflow's own cache, made before the tag was written
    config_path = workflow.configfiles[-1] if workflow.configfiles else "config/config.yaml"
    kept, removed = prune(CACHE, manifests, description()["signature"], config_path)
    if removed:
        print(f"gmmmi: cache pruned: {removed} pairs no config uses removed, "
              f"{kept} kept", file=sys.stderr)
