"""``intercomkit fleet export <kind> --workspaces FILE --out DIR``: options and exit codes. The kinds are the export
engine's (``_resources.RESOURCES``), as for ``intercomkit export``.

Exit codes (``intercomkit.cli``): 0 every workspace done and complete (incomplete ones allowed with
``--allow-gaps``, as for one workspace's export); 7 some workspace failed, or is incomplete without ``--allow-gaps``
(each is named in the summary and in ``DIR/_fleet.json``; the others are written); 2 usage (a bad option or
workspace list, Dask not installed); 4 the Dask scheduler cannot be reached; 6 ``DIR`` cannot be written; 130
interrupted. Rerun the same command to resume.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from .._cli_common import at_least
from ..export._resources import RESOURCES

__all__ = ["EXIT_FLEET_FAILED", "add_fleet_command"]

EXIT_FLEET_FAILED = 7


def add_fleet_command(
    subparsers: Any, add_connection_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    fleet = subparsers.add_parser(
        "fleet", help="export many workspaces into one partitioned dataset, on Dask (the fleet extra)"
    )
    commands = fleet.add_subparsers(dest="fleet_command", required=True, parser_class=type(fleet))
    parser = commands.add_parser(
        "export",
        help="export every workspace of a list into DIR/<kind>/workspace=<name>/ (resumable)",
        description="Export each workspace of --workspaces as one Dask task into one Hive-partitioned Parquet "
        "dataset, DIR/<kind>/workspace=<name>/part-0.parquet, with DIR/_fleet.json. Rerun the same command to "
        "resume: finished workspaces are skipped, the others resume from their checkpoints.",
    )
    parser.add_argument("what", choices=list(RESOURCES))
    parser.add_argument(
        "--workspaces",
        required=True,
        metavar="FILE",
        help="CSV or YAML: name, token_env or profile, optional region or base_url (never a token)",
    )
    parser.add_argument(
        "--out", "-o", required=True, metavar="DIR", help="a local or shared directory, or an fsspec URL"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask cluster (tcp://host:8786)")
    where.add_argument(
        "--workers",
        type=at_least(1),
        metavar="N",
        help="a local cluster of N worker processes (default: one per workspace, up to the CPU count)",
    )
    parser.add_argument(
        "--per-worker",
        type=at_least(1),
        metavar="K",
        help="workspaces one local worker runs at once (default: 2; on an existing cluster each "
        "worker runs as many as it has threads)",
    )
    parser.add_argument(
        "--since-last",
        action="store_true",
        help="refresh finished workspaces incrementally (what changed since their last export; not companies)",
    )
    parser.add_argument(
        "--allow-gaps",
        action="store_true",
        help="exit 0 even if some workspace is incomplete (rows missing against Intercom's counts)",
    )
    parser.add_argument("--format", choices=["parquet"], default="parquet", help="(the only one: parquet)")
    host = parser.add_mutually_exclusive_group()
    host.add_argument("--region", choices=["us", "eu", "au"], help="for rows that name no region or base_url")
    host.add_argument("--base-url", help="API base URL for rows that name none (a served sandbox, a proxy)")
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="checkpoints and staging files (default: DIR/_state, or a cache folder on each worker for a URL)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run_fleet)
    del add_connection_options  # credentials come from the workspace list, one per workspace


def _say_where(client: object) -> None:
    link = getattr(client, "dashboard_link", None)
    if link:
        print(f"intercomkit fleet: tasks by workspace on the Dask dashboard, {link}", file=sys.stderr)


def run_fleet(args: argparse.Namespace) -> int:
    from .._cli_common import EXIT_INTERRUPTED
    from ..errors import ConfigurationError, TransportError
    from ._run import drive

    if args.scheduler and args.per_worker is not None:
        raise ConfigurationError(
            "--per-worker sets the threads of a local cluster; on an existing cluster start the workers with "
            "`dask worker --nthreads K`"
        )
    try:
        import distributed
    except ImportError:
        raise ConfigurationError(
            "the fleet needs Dask distributed: pip install 'intercomkit[fleet]'"
        ) from None
    if not args.verbose:
        # Dask logs every worker start and stop at INFO (its import sets that up); the summary is what to read.
        logging.getLogger("distributed").setLevel(logging.ERROR)
    client = None
    if args.scheduler:
        try:
            client = distributed.Client(args.scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:  # main() turns this into exit 4
            raise TransportError(
                f"cannot reach the Dask scheduler at {args.scheduler}: {exc}; check the address and that the "
                "scheduler is running"
            ) from None
    try:
        result = drive(
            args.what,
            args.workspaces,
            args.out,
            client=client,
            workers=args.workers,
            per_worker=args.per_worker or 2,
            since_last=args.since_last,
            region=args.region,
            base_url=args.base_url,
            state_dir=args.state_dir,
            progress=not args.no_progress and sys.stderr.isatty(),
            allow_gaps=args.allow_gaps,
            on_start=_say_where,
        )
    except ImportError as exc:  # an extra that is not installed: a usage error (exit 2) with its install hint
        raise ConfigurationError(str(exc)) from None
    except KeyboardInterrupt:
        # main()'s bare "interrupted" would not say that published workspaces stay and a rerun resumes the rest.
        print(
            f"intercomkit: interrupted; workspaces already published under {args.out} are kept (see _fleet.json); "
            "rerun the same command to resume the others",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    finally:
        if client is not None:
            client.close()
    print(result)
    if not result.ok:
        print(
            f"intercomkit: {len(result.failed)} of {len(result.workspaces)} workspaces did not finish (see "
            f"{args.out.rstrip('/')}/_fleet.json); rerun the same command to retry them",
            file=sys.stderr,
        )
        return EXIT_FLEET_FAILED
    return 0
