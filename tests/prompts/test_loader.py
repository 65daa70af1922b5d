"""Versioned prompt files and their loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcurate.errors import ConfigError
from mmcurate.models import ImagePart, TextPart
from mmcurate.prompts import PROMPT_DIR, list_prompts, load_prompt, load_prompt_file, placeholders
from mmcurate.prompts.schemas import ImageDescription, get_output_schema, printable


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_every_packaged_prompt_loads_and_is_checked() -> None:
    listed = list_prompts()
    assert ("describe_image", 1) in listed and ("reask", 1) in listed
    for pid, version in listed:
        p = load_prompt_file(PROMPT_DIR / f"{pid}.v{version}.yaml")
        assert p.ref == f"{pid}.v{version}"
    assert load_prompt("describe_image").output_schema_model() is ImageDescription


def test_latest_version_by_default(tmp_path: Path) -> None:
    write(tmp_path, "ask.v1.yaml", "id: ask\nversion: 1\nuser: 'Q {x}'\nvariables: [x]\n")
    write(tmp_path, "ask.v2.yaml", "id: ask\nversion: 2\nuser: 'Q2 {x}'\nvariables: [x]\n")
    assert load_prompt("ask", folder=tmp_path).version == 2
    assert load_prompt("ask.v1", folder=tmp_path).user == "Q {x}"
    with pytest.raises(ConfigError, match=r"no version 3; versions: \[1, 2\]"):
        load_prompt("ask", 3, folder=tmp_path)
    with pytest.raises(ConfigError, match="unknown prompt 'nope'; known prompts: ask"):
        load_prompt("nope", folder=tmp_path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("id: p\nversion: 1\nuser: 'Hi {a} {b}'\nvariables: [a]\n", "used but not declared ['b']"),
        ("id: p\nversion: 1\nuser: 'Hi'\nvariables: [a]\n", "declared but not used ['a']"),
        ("id: p\nversion: 1\nuser: 'Hi {a.b}'\nvariables: [a]\n", "plain name"),
        ("id: p\nversion: 1\nuser: 'Hi'\nextra: 1\n", "extra: Extra inputs are not permitted"),
        ("id: p\nversion: 1\nuser: 'Hi'\noutput_schema: nope\n", "unknown output schema 'nope'"),
        ("id: q\nversion: 1\nuser: 'Hi'\n", "content says q.v1, the file name says p.v1"),
    ],
)
def test_bad_prompt_files_are_rejected_with_the_reason(
    tmp_path: Path, body: str, message: str
) -> None:
    path = write(tmp_path, "p.v1.yaml", body)
    with pytest.raises(ConfigError) as err:
        load_prompt_file(path)
    assert message in str(err.value)


def test_literal_braces_are_not_placeholders() -> None:
    assert placeholders('Answer like {{"a": 1}} about {topic}') == {"topic"}


def test_render_and_request() -> None:
    p = load_prompt("describe_image")
    system, user = p.render({"max_words": 7})
    assert system and "at most 7 words" in user
    with pytest.raises(ConfigError, match=r"missing variables \['max_words'\]"):
        p.render({})
    with pytest.raises(ConfigError, match=r"unknown variables \['x'\]"):
        p.render({"max_words": 1, "x": 2})
    req = p.request({"max_words": 7}, images=["a.png"], key="s1", meta={"k": 1})
    assert (req.prompt_id, req.prompt_version, req.key) == ("describe_image", 1, "s1")
    assert [m.role for m in req.messages] == ["system", "user"]
    parts = req.messages[1].parts()
    assert isinstance(parts[0], ImagePart) and isinstance(parts[1], TextPart)
    late = p.request({"max_words": 7}, images=["a.png"], media_first=False)
    assert isinstance(late.messages[1].parts()[0], TextPart)


def test_media_root_resolves_relative_paths(tmp_path: Path) -> None:
    req = load_prompt("describe_image").request(
        {"max_words": 3}, images=["imgs/a.png"], media_root=tmp_path
    )
    part = req.messages[1].parts()[0]
    assert isinstance(part, ImagePart) and Path(part.image) == tmp_path / "imgs" / "a.png"


def test_printable_pattern_bounds() -> None:
    assert get_output_schema("image_description") is ImageDescription
    with pytest.raises(ValueError, match="xgrammar limit"):
        printable(129)
    with pytest.raises(ValueError):
        ImageDescription(caption="tab\there", has_text=True, num_objects=1)
    with pytest.raises(ValueError):
        ImageDescription(caption="x" * 121, has_text=True, num_objects=1)
