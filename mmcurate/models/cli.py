"""``curate serve`` and ``curate models ...`` (registered from :mod:`mmcurate.cli`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mmcurate.errors import MmcurateError

console = Console()

models_app = typer.Typer(
    help="Model backends: what is configured, what is reachable.", no_args_is_help=True
)


def serve(
    model: Annotated[
        str, typer.Option("--model", "-m", help="Local model folder or hub id to serve.")
    ],
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    host: Annotated[
        str, typer.Option(help="Address to bind (0.0.0.0 exposes it to your network).")
    ] = "127.0.0.1",
    max_model_len: Annotated[
        int | None, typer.Option(help="Context length (vLLM's --max-model-len).")
    ] = None,
    gpu_memory_utilization: Annotated[
        float | None, typer.Option(help="Fraction of GPU memory vLLM may use (0-1).")
    ] = None,
    served_model_name: Annotated[
        str | None, typer.Option(help="Name clients use (default: --model).")
    ] = None,
    python: Annotated[
        str | None,
        typer.Option(
            help="Python with vLLM (default: $MMCURATE_VLLM_PYTHON, this one, ./.venv-vllm)."
        ),
    ] = None,
    vllm_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--vllm-arg",
            help="Extra argument for vLLM (repeatable), e.g. "
            "--vllm-arg=--limit-mm-per-prompt --vllm-arg='{\"image\":4}'.",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the server.")] = 900.0,
    log_file: Annotated[
        Path | None, typer.Option(help="File for vLLM's output (default: a temp file).")
    ] = None,
) -> None:
    """Start a vLLM OpenAI-compatible server, wait until it is healthy, print how to use it.

    Runs in the foreground; Ctrl-C stops the server.

    Example (on a GPU machine):

        curate serve --model Qwen/Qwen2.5-VL-7B-Instruct --max-model-len 16384

    then, in another shell: export MMCURATE_VLM_URL=http://127.0.0.1:8000
    """
    from mmcurate.models.server import VllmServer, find_vllm_python, server_command

    cmd = server_command(
        find_vllm_python(python),
        model,
        host=host,
        port=port,
        served_model_name=served_model_name,
        max_model_len=max_model_len,
        gpu_memory_utilization=gpu_memory_utilization,
        extra_args=vllm_arg or (),
    )
    server = VllmServer(cmd, host=host, port=port, log_path=log_file)
    console.print(f"starting vLLM (log: {server.log_path}) ...")
    server.start()
    try:
        info = server.wait_healthy(timeout_s=timeout)
        console.print(f"[green]vLLM is serving {', '.join(info.models)} at {server.url}/v1[/green]")
        console.print("point mmcurate at it with:")
        console.print(f"  export MMCURATE_VLM_URL={server.url}")
        console.print(
            f"  (or --url {server.url}, or 'url: {server.url}' under models: in "
            "~/.config/mmcurate/config.yaml)"
        )
        console.print("Ctrl-C stops the server.")
        assert server.proc is not None
        code = server.proc.wait()
        raise MmcurateError(f"the vLLM server exited with status {code}; log {server.log_path}")
    finally:
        server.stop()


@models_app.command("check")
def check(
    url: Annotated[
        str | None, typer.Argument(help="Server URL (default: the configured one).")
    ] = None,
    try_: Annotated[
        bool, typer.Option("--try", help="Also send one describe_image request and show it.")
    ] = False,
) -> None:
    """Say what is configured, where each setting came from, and what is reachable.

    Example:

        curate models check http://127.0.0.1:8000 --try

    Exit status 1 when a configured or given server is not reachable.
    """
    from mmcurate.models.backends.heuristic import heuristic_prompt_ids
    from mmcurate.models.backends.vllm_server import probe
    from mmcurate.models.config import resolve_config

    config = resolve_config({"url": url})
    table = Table(title="model configuration", show_header=True, header_style="bold")
    for col in ("setting", "value", "from"):
        table.add_column(col)
    for row in config.describe():
        table.add_row(*row)
    console.print(table)

    local = Table(title="in-process backends", show_header=True, header_style="bold")
    local.add_column("backend")
    local.add_column("available")
    for backend, mods in (("transformers", ("torch", "transformers")), ("vllm-offline", ("vllm",))):
        missing = [m for m in mods if importlib.util.find_spec(m) is None]
        local.add_row(backend, "yes" if not missing else f"no ({', '.join(missing)} missing)")
    has_xgr = importlib.util.find_spec("xgrammar") is not None
    local.add_row("  constrained JSON (xgrammar)", "yes" if has_xgr else "no")
    local.add_row("heuristic", "handlers for: " + (", ".join(heuristic_prompt_ids()) or "none"))
    console.print(local)

    ok = True
    if config.url:
        info = probe(config.url, config.api_key)
        if info.healthy and not info.error:
            models = ", ".join(
                f"{m} (max_model_len {info.max_model_len.get(m, '?')})" for m in info.models
            )
            console.print(f"[green]{info.url}: healthy; serves {models}[/green]")
        else:
            ok = False
            console.print(f"[red]{info.url}: not usable: {info.error}[/red]")
    else:
        console.print("no server configured (set MMCURATE_VLM_URL or pass a URL)")
    if try_ and ok:
        _try_one(config)
    if not ok:
        raise typer.Exit(1)


def _try_one(config: object) -> None:
    from PIL import Image, ImageDraw

    from mmcurate.models import ModelClient, ModelConfig
    from mmcurate.prompts import load_prompt

    assert isinstance(config, ModelConfig)
    img = Image.new("RGB", (320, 240), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 40, 200, 160), fill="red")
    draw.text((50, 190), "Hello VLM", fill="black")
    prompt = load_prompt("describe_image")
    client = ModelClient(config.model_copy(update={"cache": False}))
    [res] = client.generate(
        [prompt.request({"max_words": 12}, images=[img])], schema=prompt.output_schema_model()
    )
    if res.ok:
        console.print(f"{prompt.ref} -> {res.parsed!r} ({res.backend}, {res.model})")
    else:
        console.print(f"[red]{prompt.ref} failed: {res.error}[/red]")
