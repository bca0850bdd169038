"""`derivgen schema` and `derivgen new`: the JSON Schemas editors read, and problem files to start from."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
import yaml

from derivgen.authoring import schema
from derivgen.build.pipeline import build
from derivgen.cli import main

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parent.parent


class _Loader(yaml.SafeLoader):
    """YAML as editors read it (YAML 1.2): `date: 2026-12-01` is text, not a date."""


_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _validator(name: str) -> Any:
    shipped = json.loads(schema.schema_text(name))
    jsonschema.Draft202012Validator.check_schema(shipped)
    return jsonschema.Draft202012Validator(shipped)


def _errors(name: str, text: str) -> list[str]:
    data = yaml.load(text, Loader=_Loader)  # a SafeLoader
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator(name).iter_errors(data)]


def test_shipped_schemas_are_made_from_the_loaders_tables() -> None:
    for name in schema.FILES:
        assert schema.schema_text(name) == schema.dumped(name), (
            f"derivgen/schemas/{schema.FILES[name]} is out of date: "
            ".venv/bin/python -m derivgen.authoring.schema writes it again")


def test_long_forms_have_the_loaders_keys(tmp_path: Path) -> None:
    """The keys of a given's long form, as the loader's message lists them, are the schema's."""
    from derivgen.errors import ProblemError
    from derivgen.problem.loader import load_problem

    path = tmp_path / "p.yaml"
    path.write_text("title: T\ngiven:\n  x: {shape: [2], colour: red}\ndefine: {f: x.T @ x}\nfind: df/dx\n",
                    encoding="utf-8")
    with pytest.raises(ProblemError) as caught:
        load_problem(path)
    listed = re.search(r"known keys: ([a-z, ]+)\)", str(caught.value.diagnostics[0]))
    assert listed is not None
    given = schema.problem_schema()["properties"]["given"]["additionalProperties"]["anyOf"][1]
    assert listed.group(1).split(", ") == list(given["properties"])


def test_every_bank_file_is_valid() -> None:
    files = sorted(ROOT.glob("problems/**/*.yaml")) + sorted(ROOT.glob("problems/**/*.yml"))
    assert len(files) > 30
    for path in files:
        name = "config" if path.name == "derivgen.yaml" else "problem"
        assert _errors(name, path.read_text(encoding="utf-8")) == [], path


def test_schema_rejects_what_the_loader_rejects() -> None:
    good = "title: T\ngiven: {x: scalar}\ndefine: {f: x**2}\nfind: df/dx\n"
    assert _errors("problem", good) == []
    assert _errors("problem", good.replace("title: T\n", "")) == [": 'title' is a required property"]
    assert _errors("problem", good + "methd: index\n")[0].startswith(": Additional properties")
    assert _errors("problem", good + "method: magic\n")[0].startswith("method: 'magic' is not one of")
    assert _errors("problem", good.replace("scalar", "[N, N, N]"))  # at most two dimensions
    assert _errors("problem", good + "sizes: {N: 0}\n")
    assert _errors("config", "detail: everything\n")
    assert _errors("config", "formats: md, docx\n")
    assert _errors("config", "formats: [md, pdf]\ndate: 2026-12-01\nnumbering: 5.\n") == []


def test_schema_command_prints_the_shipped_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "derivgen problem file"
    assert main(["schema", "--for", "config"]) == 0
    assert json.loads(capsys.readouterr().out)["properties"]["formats"]


@pytest.mark.parametrize("kind", ["scalar", "matrix", "exam"])
def test_new_problem_builds_as_it_is(tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sheet" / f"my-{kind}.yaml"
    assert main(["new", str(path), "--kind", kind]) == 0
    assert capsys.readouterr().out.strip() == str(path)
    text = path.read_text(encoding="utf-8")
    modeline = re.match(r"# yaml-language-server: \$schema=(.+)\n", text)
    assert modeline is not None
    named = modeline.group(1)  # relative to the file, or a file: address when they share no folder
    target = Path(unquote(urlparse(named).path)) if named.startswith("file:") else path.parent / named
    assert target.resolve() == schema.FOLDER / "problem.schema.json"
    assert _errors("problem", text) == []
    report = build([tmp_path / "sheet"], tmp_path / "out", formats=("md", "json"), jobs=1, use_cache=False)
    assert report.failures == [] and report.built == 1
    page = (tmp_path / "out" / "sheet" / "md" / f"my-{kind}.md").read_text(encoding="utf-8")
    assert f"# Problem 1: My {kind}\n" in page and "Checked against central finite differences" in page
    if kind == "exam":
        assert "points: 10" in text


def test_new_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("title: mine\n", encoding="utf-8")
    assert main(["new", str(path)]) == 2
    assert capsys.readouterr().err == f"derivgen: {path}: already exists; choose another name " \
                                       "(derivgen new never overwrites)\n"
    assert path.read_text(encoding="utf-8") == "title: mine\n"
    assert main(["new", str(tmp_path / "my problem.yaml")]) == 2
    assert "only letters, digits" in capsys.readouterr().err
    assert main(["new", str(tmp_path / "notes.txt")]) == 2
