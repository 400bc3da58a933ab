"""The workflow's config file: read safely, checked against the workflow's schema.

Snakemake reads a ``--configfile`` itself and reports any YAML problem (a ``!!python``
tag, a bad indent) as "not valid JSON or YAML ... tab indentation";
``gmmmi check-config`` names the real problem and its line, then checks the keys the way
the workflow does (:func:`config_problems`, also called by ``workflow/rules/common.smk``).
"""

from pathlib import Path

import yaml

SCHEMA = Path("workflow") / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A config file that cannot be read; the message is one line."""


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing what a config never needs and silently misreads:
    a key given twice (YAML keeps the last one), and anchors and aliases (a few lines
    of nested aliases expand to billions of values for the checks to walk)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed in a config: write the values out",
                problem_mark=self.peek_event().start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:  # an unhashable key: the safe loader names it below
                continue
            if repeated:
                raise yaml.MarkedYAMLError(
                    problem=f"{key!r} is given twice (YAML would keep only the last)",
                    problem_mark=key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_config(path):
    """The config mapping in a YAML (or JSON) file, read with YAML's safe loader; a key
    given twice, or an alias, is refused with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        byte = exc.object[exc.start]
        raise ConfigError(f"{path}: line {line}: not UTF-8 text (byte 0x{byte:02x})") from None
    try:
        config = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        if "constructor for the tag" in problem:
            problem += " (tags are not allowed: the file is read as plain YAML)"
        raise ConfigError(f"{path}: {where}{problem}") from None
    except RecursionError:  # a list or mapping nested thousands deep
        raise ConfigError(f"{path}: nested too deeply to read (a config needs a few "
                          f"levels)") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: must be a mapping of keys (see config/config.yaml), "
                          f"not {type(config).__name__}")
    return config


def config_problems(config, schema_path):
    """One readable line per mistake in ``config`` against the schema, or an empty list."""
    from jsonschema import Draft202012Validator

    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))
    problems = []
    for error in sorted(Draft202012Validator(schema).iter_errors(config), key=str):
        where = ".".join(map(str, error.absolute_path)) or "config"
        message = error.message
        if where == "estimator" and error.validator == "additionalProperties":
            from .core.settings import RENAMED

            old = [key for key in error.instance if key in RENAMED]
            if old:
                message = f"{old[0]!r} is now called {RENAMED[old[0]]!r}"
        if error.validator == "maxLength" and isinstance(error.instance, str):
            message = (f"{error.instance[:24]!r}... is {len(error.instance)} characters long; "
                       f"at most {error.validator_value} (it names files and folders)")
        elif error.validator == "not":
            message = error.schema.get("message", message)
        elif error.validator == "oneOf" and "message" in error.schema:
            message = f"{error.schema['message']}, got {error.instance!r}"
        problems.append(f"{where}: {message}")
    return problems


def typed_values(config, schema_path):
    """``config`` with nested values Snakemake's ``--config`` left as text typed as the
    schema wants: ``--config "chunk_resources={threads: 4}"`` gives the string ``"4"``."""
    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))

    def wants(node):
        types = node.get("type", [])
        types = [types] if isinstance(types, str) else list(types)
        return set(types) | {t for option in node.get("oneOf", []) for t in wants(option)}

    def walk(value, node):
        if isinstance(value, dict):
            properties = node.get("properties", {})
            extra = node.get("additionalProperties")
            return {k: walk(v, properties.get(k, extra if isinstance(extra, dict) else {}))
                    for k, v in value.items()}
        if isinstance(value, str) and wants(node) & {"integer", "number", "boolean", "null"}:
            try:
                typed = yaml.safe_load(value)
            except yaml.YAMLError:
                return value
            return value if isinstance(typed, (str, dict, list)) else typed
        return value

    return walk(config, schema)


def find_schema():
    """The workflow's schema: under the current folder, else beside this package."""
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (base / SCHEMA).is_file():
            return base / SCHEMA
    raise ConfigError(f"no {SCHEMA} here or beside gmmmi; run in the workflow's folder or "
                      f"give --schema")
