"""The agent graph (LangGraph) and sessions checkpointed in SQLite.

``START -> score -> navigator -> extractor -> propose -> run -> analyzer``, then the
analyzer's router goes back to ``propose`` (refine) while rounds remain
(``max_iterations``) or on to ``visualizer -> END``. A follow-up is a new invocation of the
same thread with the follow-ups list: the state (scored pool, transcript) carries over.

Sessions live in ``OUT/session.sqlite`` (LangGraph's ``SqliteSaver``), thread id
:data:`THREAD`; :func:`resume` continues an interrupted session.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mmcurate.agent.context import AgentSettings
from mmcurate.agent.nodes.act import propose, run, score
from mmcurate.agent.nodes.analyzer import analyzer, route
from mmcurate.agent.nodes.extractor import extractor
from mmcurate.agent.nodes.navigator import navigator
from mmcurate.agent.nodes.visualizer import visualizer
from mmcurate.agent.state import AgentInput, AgentOutput, AgentState
from mmcurate.errors import ConfigError, MissingDependencyError

THREAD = "session"
SESSION_DB = "session.sqlite"
#: Nodes in order (for interrupt points and docs).
NODES = ("score", "navigator", "extractor", "propose", "run", "analyzer", "visualizer")

try:
    from langgraph.graph import END, START, StateGraph
except ImportError as err:  # pragma: no cover - depends on the install
    raise MissingDependencyError(
        "the curation agent needs LangGraph: pip install 'mmcurate[agent,ml,ocr]'"
    ) from err


def build_graph(checkpointer: Any = None, interrupt_before: Sequence[str] = ()) -> Any:
    """The compiled graph (with a checkpointer for sessions)."""
    g = StateGraph(AgentState, input_schema=AgentInput, output_schema=AgentOutput)
    g.add_node("score", score)
    g.add_node("navigator", navigator)
    g.add_node("extractor", extractor)
    g.add_node("propose", propose)
    g.add_node("run", run)
    g.add_node("analyzer", analyzer)
    g.add_node("visualizer", visualizer)
    g.add_edge(START, "score")
    g.add_edge("score", "navigator")
    g.add_edge("navigator", "extractor")
    g.add_edge("extractor", "propose")
    g.add_edge("propose", "run")
    g.add_edge("run", "analyzer")
    g.add_conditional_edges("analyzer", route, ["propose", "visualizer"])
    g.add_edge("visualizer", END)
    return g.compile(checkpointer=checkpointer, interrupt_before=list(interrupt_before) or None)


#: The graph without a checkpointer (LangGraph tooling, tests).
graph = build_graph()


@contextmanager
def session(out: Path, interrupt_before: Sequence[str] = ()) -> Iterator[Any]:
    """A graph checkpointed in ``out/session.sqlite``."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    out.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(out / SESSION_DB), check_same_thread=False)
    try:
        yield build_graph(SqliteSaver(conn), interrupt_before)
    finally:
        conn.close()


CONFIG: dict[str, Any] = {"configurable": {"thread_id": THREAD}, "recursion_limit": 200}


def start(
    settings: AgentSettings,
    request: str,
    followups: Sequence[str] = (),
    interrupt_before: Sequence[str] = (),
) -> dict[str, Any]:
    """Run (or continue with follow-ups) the session in ``settings.out``.

    Returns:
        The graph's output, plus ``"pending"``: the nodes it stopped before (an interrupt).
    """
    out = settings.out_dir
    with session(out, interrupt_before) as g:
        inp: dict[str, Any] = {
            "settings": settings.model_dump(),
            "request": request,
            "followups": list(followups),
            # The user's newest words open this turn of the session transcript.
            "transcript": [{"role": "user", "text": followups[-1] if followups else request}],
        }
        result = dict(g.invoke(inp, CONFIG) or {})
        result["pending"] = list(g.get_state(CONFIG).next)
        return result


def state_of(out: Path) -> dict[str, Any]:
    """The saved state of the session in ``out`` (raises when there is none)."""
    if not (out / SESSION_DB).is_file():
        raise ConfigError(f"no agent session in {out} ({SESSION_DB} missing)")
    with session(out) as g:
        snap = g.get_state(CONFIG)
        if not snap.values:
            raise ConfigError(f"no agent session in {out} (empty {SESSION_DB})")
        return {"values": dict(snap.values), "next": list(snap.next)}


def resume(out: Path, interrupt_before: Sequence[str] = ()) -> dict[str, Any]:
    """Continue an interrupted session from its last checkpoint."""
    state_of(out)
    with session(out, interrupt_before) as g:
        if not g.get_state(CONFIG).next:
            values = g.get_state(CONFIG).values
            return {"outputs": values.get("outputs", {}), "pending": [], "finished": True}
        result = dict(g.invoke(None, CONFIG) or {})
        result["pending"] = list(g.get_state(CONFIG).next)
        return result
