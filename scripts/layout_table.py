"""Print the README's Layout table from the modules' docstrings and tests/test_layers.py's
layers: ``.venv/bin/python scripts/layout_table.py`` (paste it under "## Layout")."""

from __future__ import annotations

import ast
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_layers import LAYERS  # noqa: E402

NAMES = {0: "foundations", 1: "input data", 2: "transforms and priors",
         3: "graph, kernel, posterior engine", 4: "inference and files", 5: "the estimator",
         6: "analyses", 7: "presentation", 8: "entry points"}


def main() -> None:
    docs = {}
    for path in (ROOT / "src" / "mmmkit").glob("*.py"):
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        first = " ".join(doc.split("\n\n")[0].split())
        first = re.sub(r":(func|mod|class|meth|attr):`~?([^`]+)`", r"`\2`", first)
        docs[path.stem] = first.replace("``", "`")
    print("| layer | module | what it holds |\n| --- | --- | --- |")
    for layer, name in NAMES.items():
        for module in (m for m, k in LAYERS.items() if k == layer and m in docs):
            print(f"| {layer} {name} | `{module}.py` | {docs[module]} |")


if __name__ == "__main__":
    main()
