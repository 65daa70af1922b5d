"""Run accounting: per-op counts and the balance ``in = kept + dropped + errored``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from mmcurate.runner.shard import OpCounter


@dataclass
class OpSummary:
    """Counts and time of one op (or of loading, with ``index=-1``)."""

    index: int
    name: str
    kind: str
    n_in: int = 0
    dropped: int = 0
    errored: int = 0
    changed: int = 0
    seconds: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def kept(self) -> int:
        """Rows that left this op."""
        return self.n_in - self.dropped - self.errored

    def absorb(self, c: OpCounter) -> None:
        """Add a stage's counter for this op."""
        self.n_in += c.n_in
        self.dropped += c.dropped
        self.errored += c.errored
        self.changed += c.changed
        self.seconds += c.seconds
        for k, v in c.metrics.items():
            self.metrics[k] = self.metrics.get(k, 0.0) + v


@dataclass
class RunSummary:
    """The outcome of a run, written to ``summary.json``."""

    recipe: dict[str, Any]
    work_dir: str
    export_path: str
    load: OpSummary
    ops: list[OpSummary] = field(default_factory=list)
    kept: int = 0
    seconds: float = 0.0
    ignored_keys: list[str] = field(default_factory=list)

    @property
    def n_in(self) -> int:
        """Input records seen (including unreadable ones)."""
        return self.load.n_in

    @property
    def dropped(self) -> int:
        """Samples dropped by filters, deduplicators and selectors."""
        return sum(o.dropped for o in self.ops)

    @property
    def errored(self) -> int:
        """Samples that ended in the errors file (loading or an op)."""
        return self.load.errored + sum(o.errored for o in self.ops)

    @property
    def balanced(self) -> bool:
        """``in == kept + dropped + errored``."""
        return self.n_in == self.kept + self.dropped + self.errored

    def to_json(self) -> dict[str, Any]:
        """JSON form (with the derived totals)."""
        return {
            "in": self.n_in,
            "kept": self.kept,
            "dropped": self.dropped,
            "errored": self.errored,
            "balanced": self.balanced,
            "seconds": round(self.seconds, 3),
            "export_path": self.export_path,
            "work_dir": self.work_dir,
            "errors_file": str(Path(self.work_dir) / "errors.jsonl"),
            "trace_dir": str(Path(self.work_dir) / "trace"),
            "load": asdict(self.load) | {"kept": self.load.kept},
            "ops": [asdict(o) | {"kept": o.kept} for o in self.ops],
            "ignored_recipe_keys": self.ignored_keys,
            "recipe": self.recipe,
        }

    def write(self, path: Path) -> None:
        """Write ``summary.json``."""
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False, default=str))

    def print(self, console: Console | None = None) -> None:
        """A table per op and the accounting line."""
        console = console or Console()
        table = Table(title="mmcurate run", show_lines=False)
        for col in ("#", "op", "kind", "in", "kept", "dropped", "errored", "changed", "time"):
            if col in ("op", "kind"):
                table.add_column(col, overflow="fold")
            else:
                table.add_column(col, justify="right", no_wrap=True)
        rows = [self.load, *self.ops]
        for o in rows:
            table.add_row(
                "" if o.index < 0 else str(o.index),
                o.name,
                o.kind,
                str(o.n_in),
                str(o.kept),
                str(o.dropped),
                str(o.errored),
                str(o.changed),
                f"{o.seconds:.2f}s",
            )
        console.print(table)
        for o in self.ops:
            if o.metrics:
                shown = ", ".join(f"{k} {v:g}" for k, v in sorted(o.metrics.items()))
                console.print(f"[dim]{o.name}: {shown}[/dim]")
        mark = "[green]balanced[/green]" if self.balanced else "[red]NOT BALANCED[/red]"
        console.print(
            f"in {self.n_in} = kept {self.kept} + dropped {self.dropped} + errored "
            f"{self.errored}  ({mark}); {self.seconds:.1f}s"
        )
        console.print(f"output: {self.export_path}")
        console.print(
            f"work dir: {self.work_dir} (errors.jsonl, trace/dropped.jsonl, "
            "trace/changed.jsonl, trace/duplicates.jsonl, summary.json)"
        )
        if self.ignored_keys:
            console.print(
                f"[dim]Data-Juicer keys with no effect here: {', '.join(self.ignored_keys)}[/dim]"
            )
