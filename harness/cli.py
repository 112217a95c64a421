"""The ``deeplocalize`` command line: the parser and the dispatch.

The sub-commands live in :mod:`harness.commands` (one module per group); this module only
assembles their parsers and turns the errors a user can cause into one line and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from harness import datacmd
from harness.commands import cases, mutants, reference, results, run
from harness.envinfo import bench_root


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="deeplocalize",
        description="Benchmark harness for fault localization in deep neural networks.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples("deeplocalize run --cases so-48385830 --seeds 1",
                         "deeplocalize diagnose my_training_script.py"),
    )
    p.add_argument("--bench-root", help="folder with bugs/ and patches/ (default: ./ or the repo)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cmd(name: str, help_: str, *examples: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, epilog=_examples(*examples),
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    cases.add_parsers(cmd)
    datacmd.add_parser(cmd("data", "which data each dataset runs on; fetch originals",
                           "deeplocalize data status", "deeplocalize data fetch mnist"))
    tools = cmd("tools", "list the registered debugging tools", "deeplocalize tools list")
    tools.add_argument("action", choices=["list"])
    run.add_parsers(cmd)
    mutants.add_parsers(cmd)
    results.add_parsers(cmd)
    reference.add_parsers(cmd)
    diag = cmd("diagnose", "run any training script with DeepLocalize attached to every fit",
               "deeplocalize diagnose train.py --epochs 5", "deeplocalize diagnose --json train.py")
    diag.add_argument("--json", action="store_true")
    diag.add_argument("script")
    diag.add_argument("args", nargs=argparse.REMAINDER)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is first imported
    args = _parser().parse_args(argv)
    root = bench_root(args.bench_root)
    handlers = {**cases.HANDLERS, **run.HANDLERS, **mutants.HANDLERS, **results.HANDLERS,
                **reference.HANDLERS,
                "data": datacmd.run, "tools": _tools, "diagnose": _diagnose}
    try:
        return handlers[args.command](args, root)
    except KeyboardInterrupt as exc:  # RunInterrupted (SIGINT/SIGTERM during a run) or Ctrl-C
        print(f"deeplocalize: interrupted {exc}".rstrip(), file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    except (ValueError, KeyError, FileNotFoundError, RuntimeError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"deeplocalize: error: {message}", file=sys.stderr)
        return 2


def _tools(args: argparse.Namespace, root: Path) -> int:
    from baselines import registry

    for name in registry.available():
        try:
            cls = registry.get_class(name)
            print(f"{name:<26} v{cls.version:<4} {'localizes' if cls.localizes else '         '} "
                  f"{cls.description}")
        except registry.ToolLoadError as exc:
            print(f"{name:<26} BROKEN: {exc}")
    return 0


def _diagnose(args: argparse.Namespace, root: Path) -> int:
    from harness.diagnose import diagnose

    return diagnose(Path(args.script), list(args.args), as_json=args.json)


if __name__ == "__main__":
    sys.exit(main())
