"""Show a build's progress on a terminal: the stage, and the files parsed out of the total (rich).

Quiet when the stream is not a terminal (CI, a pipe, a log file) or when asked (`mkg build --quiet`).
The build calls the reporter with (stage, done, total); total 0 means a stage without a count.

Usage::

    with terminal_progress(sys.stderr) as progress:     # None off a terminal
        build(content_dir, out_dir, progress=progress)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TextIO

STAGES = {"parse": "parsing articles", "extract": "extracting facts",
          "write": "validating and writing"}
Reporter = Callable[[str, int, int], None]


@contextlib.contextmanager
def terminal_progress(stream: TextIO, quiet: bool = False) -> Iterator[Reporter | None]:
    """Yield a reporter drawing a rich progress bar on `stream`, or None off a terminal or when quiet."""
    if quiet or not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    tasks: dict[str, object] = {}
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        def report(stage: str, done: int, total: int) -> None:
            task = tasks.get(stage)
            if task is None:
                for other in tasks.values():  # an earlier stage is over
                    bar.update(other, completed=bar.tasks[other].total or 1, total=bar.tasks[other].total or 1)
                task = tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total or None)
            bar.update(task, completed=done)  # type: ignore[arg-type]

        yield report
