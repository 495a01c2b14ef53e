"""The fenced code blocks of README.md and docs/*.md, read as test_docs_examples.py checks them (parsing only).

A block may be preceded by a marker, an HTML comment the rendered page hides:

    <!-- docs-test: skip: REASON -->   the block cannot run here; reported as skipped with REASON
    <!-- docs-test: tree -->           a file tree: every path it names must exist
    <!-- docs-test: adopt -->          the adoption walkthrough: tests/e2e/test_adopt.py runs its commands
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
MARKER = re.compile(r"<!--\s*docs-test:\s*(?P<kind>[a-z-]+)\s*(?::\s*(?P<reason>.*?))?\s*-->")
MARKER_KINDS = ("skip", "tree", "adopt")
_FENCE = re.compile(r"^(?P<indent> *)(?P<ticks>`{3,})(?P<info>[^`]*)$")
#: A path placeholder in a tree, such as `<name>`: any one file or folder.
_PLACEHOLDER = re.compile(r"<[^>/]+>")


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int  # of the opening fence, from 1
    lang: str  # the info string's first word, lowercased; "" when none
    text: str
    marker: str | None  # the marker's kind
    reason: str | None  # a skip marker's reason

    @property
    def id(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks(docs: tuple[Path, ...] = DOCS) -> list[Block]:
    """Every fenced block of the documents, with the marker on the nearest non-blank line before its fence."""
    found = []
    for doc in docs:
        lines = doc.read_text(encoding="utf-8").splitlines()
        index = 0
        while index < len(lines):
            fence = _FENCE.match(lines[index])
            if not fence:
                index += 1
                continue
            close = next(
                (i for i in range(index + 1, len(lines)) if lines[i].strip() == fence["ticks"]),
                None,
            )
            if close is None:
                raise ValueError(f"{doc.relative_to(ROOT)}:{index + 1}: a code fence is never closed")
            before = next((line for line in reversed(lines[:index]) if line.strip()), "")
            marker = MARKER.fullmatch(before.strip())
            body = [line.removeprefix(fence["indent"]) for line in lines[index + 1 : close]]
            words = fence["info"].split()
            found.append(
                Block(
                    doc=doc,
                    line=index + 1,
                    lang=words[0].lower() if words else "",
                    text="\n".join(body) + "\n",
                    marker=marker["kind"] if marker else None,
                    reason=marker["reason"] if marker else None,
                )
            )
            index = close + 1
    return found


def commands(text: str) -> list[list[str]]:
    """A shell block's command lines as argument lists: `\\` continuations joined, comments dropped, `NAME=value`
    assignments before the command left out."""
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", words[0]):
            words.pop(0)
        if words:
            found.append(words)
    return found


def tree_paths(text: str) -> list[str]:
    """The paths a file tree names, from the repository root, with `<placeholder>` parts as `*` globs.

    Each entry is a path at the line's indentation followed by its description; an indented entry is under the
    nearest entry above it that is less indented and ends in `/`. Lines indented as far as the descriptions
    continue one.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    first = re.match(r"\S+\s{2,}", lines[0])
    description_column = first.end() if first else len(lines[0])
    parents: list[tuple[int, str]] = []  # (indent, folder) of the entries enclosing the current line
    found = []
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if indent >= description_column:
            continue
        names = re.split(r"\s{2,}", line.strip())[0]
        while parents and parents[-1][0] >= indent:
            parents.pop()
        prefix = parents[-1][1] if parents else ""
        for name in (n.strip() for n in names.split(",")):
            found.append(_PLACEHOLDER.sub("*", prefix + name))
            if name.endswith("/"):
                parents.append((indent, prefix + name))
    return found


def adopt_commands(test_file: Path) -> list[list[str]]:
    """The commands a test file runs, as a user would type them: each list display that starts with `*STRATATEST`
    (`stratatest ...`) or `sys.executable, "-m", "pytest"` (`pytest ...`), the rest of it string constants."""
    found = []
    for node in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.List) or not node.elts:
            continue
        head, rest = node.elts[0], node.elts[1:]
        if isinstance(head, ast.Starred) and isinstance(head.value, ast.Name) and head.value.id == "STRATATEST":
            program = "stratatest"
        elif ast.unparse(head) == "sys.executable" and [ast.unparse(e) for e in rest[:2]] == ["'-m'", "'pytest'"]:
            program, rest = "pytest", rest[2:]
        else:
            continue
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in rest):
            found.append([program, *(e.value for e in rest)])  # type: ignore[attr-defined]
    return found


def is_subsequence(short: list[str], long: list[str]) -> bool:
    """Every word of `short`, in order, in `long` (which may add words of its own)."""
    words = iter(long)
    return all(word in words for word in short)
