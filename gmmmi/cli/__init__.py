"""Command line: ``gmmmi estimate``, ``ingest``, ``validate``, ``demo-data``,
``check-config``, ``cache prune``, ``compare``, ``compile``, and the workflow's steps
``run-chunk``, ``gather``, ``report``, ``flow``.

Every failure prints one line, ``gmmmi: error: ...``, and exits with code 2.
"""

import sys

from ..core.validation import first_line
from .commands import COMMANDS
from .inputs import UsageError, ingest_from_tokens
from .parser import build_parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    ingesting = argv[:1] == ["ingest"] and not {"-h", "--help"} & set(argv)
    args = None if ingesting else parser.parse_args(argv)
    try:
        if ingesting:
            ingest_from_tokens(argv[1:])
            return 0
        return COMMANDS[args.command](args) or 0
    except (UsageError, ValueError, OSError) as exc:
        print(f"gmmmi: error: {first_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stderr.close()
    return 0
