"""The workflow's cache: finished pairs by content, and dataset descriptions.

Pairs are kept in *packs*, a few files per chunk run rather than one per pair (parallel
file systems are slow with many small files, and sites cap their number). A chunk run
appends each pair it finishes to its own pack (``<name>.jsonl``, one result per line,
flushed at once, so an interrupt keeps what was done) and to the pack's index
(``<name>.keys``: key, byte offset, length and CRC-32 per line). A lookup reads every
index, about 90 bytes per pair, and only the lines it needs; a line whose bytes no longer
match their CRC (a changed digit, a damaged disk) is a miss, recomputed, never a result.
No two processes write one pack.

Keys are content addresses (:meth:`gmmmi.analysis.plan.Pair.cache_key`): the numeric
code, the settings, the seed and both variables' fingerprints. :func:`prune` keeps the
keys that any config of the working folder still uses, rewritten into one pack; the
workflow calls it after every successful run, and ``gmmmi cache prune`` does it by hand.
Each prune records what its config uses (``claims/``), so two configs run in one folder
keep each other's pairs; a claim lapses when its config file is gone. A prune removes
nothing from a folder that gmmmi did not make: the pairs folder carries a
``CACHEDIR.TAG`` (the cache directory tagging convention, which backup tools honour),
written with the first pair.
"""

import hashlib
import json
import shutil
import time
import uuid
import zlib
from pathlib import Path

from .._files import json_default, write_json

PAIRS = "pairs"
DATASETS = "datasets"
CLAIMS = "claims"
TAG = "CACHEDIR.TAG"
TAG_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"


class PairCache:
    """Finished pair results under ``root``, by key (see the module's docstring)."""

    def __init__(self, root):
        self.root = Path(root)
        self._index = None
        self._pack = None

    def get(self, key):
        """The result stored under ``key``, or None (missing, or its line unreadable)."""
        if self._index is None:
            self._index = self._read_index()
        entry = self._index.get(key)
        if entry is None:
            return None
        pack, offset, length, crc = entry
        try:
            with open(pack, "rb") as f:
                f.seek(offset)
                raw = f.read(length)
            if crc is not None and zlib.crc32(raw) != crc:
                return None  # changed since it was written
            line = json.loads(raw)
        except (OSError, ValueError):  # a pack cut short, or removed meanwhile
            return None
        return line.get("result") if line.get("key") == key else None

    def put(self, key, result):
        """Append ``result`` under ``key`` to this object's pack (made on the first put)."""
        if self._pack is None:
            mark(self.root)
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}"
            self._pack = (open(self.root / f"{name}.jsonl", "ab"),  # noqa: SIM115 - closed by close()
                          open(self.root / f"{name}.keys", "a", encoding="ascii"))  # noqa: SIM115
        data, keys = self._pack
        line = json.dumps({"key": key, "result": result}, default=json_default).encode()
        offset = data.tell()
        data.write(line + b"\n")
        data.flush()
        crc = zlib.crc32(line)
        keys.write(f"{key} {offset} {len(line)} {crc}\n")  # after the line: never points past it
        keys.flush()
        if self._index is not None:
            self._index[key] = (Path(data.name), offset, len(line), crc)

    def close(self):
        if self._pack is not None:
            for f in self._pack:
                f.close()
            self._pack = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def keys(self):
        """Every key the indexes list."""
        return set(self._read_index())

    def files(self):
        return sorted(p for p in self.root.glob("*") if p.suffix in (".jsonl", ".keys"))

    def prune(self, keep):
        """Keep only the results whose key is in ``keep``, in one new pack; remove the
        rest, and the one-file-per-pair layout of gmmmi before 0.x. Returns
        (kept, removed)."""
        self.close()
        index = self._read_index()
        old = self.files()
        legacy = [p for p in self.root.glob("??") if p.is_dir()]
        kept = sorted(k for k in index if k in keep)
        if len(kept) == len(index) and len(old) <= 2 and not legacy:
            return len(kept), 0
        self._index = index
        written = 0
        with PairCache(self.root) as fresh:
            for key in kept:
                result = self.get(key)
                if result is not None:  # else its line was cut by an interrupt
                    fresh.put(key, result)
                    written += 1
        for path in old:
            path.unlink(missing_ok=True)
        for folder in legacy:
            shutil.rmtree(folder, ignore_errors=True)
        self._index = None
        return written, len(index) - written

    def _read_index(self):
        index = {}
        for keys in sorted(self.root.glob("*.keys")):
            try:
                lines = keys.read_text(encoding="ascii").splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            pack = keys.with_suffix(".jsonl")
            for line in lines:
                parts = line.split()  # a last line cut by an interrupt is skipped
                if len(parts) in (3, 4) and all(p.isdigit() for p in parts[1:]):
                    crc = int(parts[3]) if len(parts) == 4 else None  # packs before the CRC
                    index.setdefault(parts[0], (pack, int(parts[1]), int(parts[2]), crc))
        return index


def mark(root):
    """Make ``root`` and tag it as gmmmi's cache of pairs (once)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if not (root / TAG).exists():
        (root / TAG).write_text(f"{TAG_SIGNATURE}\n# gmmmi's cache of finished pairs: safe "
                                f"to delete, it only saves work (bford.info/cachedir)\n")


def is_cache(cache_dir):
    """Whether ``cache_dir`` is a cache gmmmi made (its pairs folder carries the tag)."""
    try:
        return (Path(cache_dir) / PAIRS / TAG).read_text().startswith(TAG_SIGNATURE)
    except (OSError, UnicodeDecodeError):
        return False


def prune(cache_dir, manifests, signature=None, config=None):
    """Prune the workflow's cache ``cache_dir`` to the pairs some config still uses.

    ``manifests`` (every chunk of every analysis of ``config``, the path of its config
    file) are recorded as that config's claim, replacing its last one; the pairs and
    dataset descriptions (store ``signature``) of every live claim are kept. Returns
    (pairs kept, pairs removed). A folder without gmmmi's tag is refused in one line, with
    nothing removed.
    """
    cache_dir = Path(cache_dir)
    if not is_cache(cache_dir):
        raise ValueError(f"{cache_dir}: not a gmmmi cache (no {PAIRS}/{TAG}, which gmmmi "
                         f"writes with the first pair it keeps): nothing removed")
    keep = {pair.cache_key(m["settings"]) for m in manifests for pair in m["pairs"]}
    signatures = {signature}
    for claim in _claims(cache_dir, config, keep, signature):
        keep.update(claim["keys"])
        signatures.add(claim.get("signature"))
    counts = PairCache(cache_dir / PAIRS).prune(keep)
    if signature is not None:
        for path in (cache_dir / DATASETS).glob("dataset-*.json"):
            if path.name[len("dataset-"):-len(".json")] not in signatures:
                path.unlink(missing_ok=True)
    return counts


def _claims(cache_dir, config, keys, signature):
    """Record what ``config`` uses; the claims of the other configs whose file is still
    there (a lapsed one is removed). A config inside the working folder is named relative
    to it."""
    folder = cache_dir / CLAIMS
    own = None
    if config is not None:
        path = Path(config).resolve()
        if path.is_relative_to(Path.cwd()):  # a copied folder's claims are its own
            path = path.relative_to(Path.cwd())
        path = str(path)
        own = folder / f"{hashlib.sha256(path.encode()).hexdigest()[:16]}.json"
        folder.mkdir(exist_ok=True)
        write_json(own, {"config": path, "signature": signature, "keys": sorted(keys)})
    others = []
    for claim in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if claim == own:
            continue
        try:
            found = json.loads(claim.read_text())
            live = Path(found["config"]).exists() and isinstance(found["keys"], list)
        except (OSError, ValueError, KeyError, TypeError):
            live = False
        if live:
            others.append(found)
        else:
            claim.unlink(missing_ok=True)
    return others
