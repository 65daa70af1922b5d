"""Progress display (rich) for long work; silent when disabled or not a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress


class Progress:
    """Bars and notes on stderr.

    Args:
        enabled: Show bars and notes at all.
    """

    def __init__(self, enabled: bool = True, console: Console | None = None) -> None:
        self.enabled = enabled
        self.console = console or Console(stderr=True)

    def note(self, text: str) -> None:
        """A one-line status message."""
        if self.enabled:
            self.console.print(f"[dim]{text}[/dim]")

    @contextmanager
    def bar(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        """A progress bar over ``total`` rows; yields ``advance(n)``."""
        if not self.enabled:
            yield lambda n: None
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with RichProgress(*columns, console=self.console, transient=False) as p:
            task = p.add_task(label, total=total)
            yield lambda n: p.advance(task, n)

    @contextmanager
    def spinner(self, label: str) -> Iterator[None]:
        """A spinner for work without a row count."""
        if not self.enabled:
            yield
            return
        with RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        ) as p:
            p.add_task(label, total=None)
            yield
