"""Fenced code blocks of Markdown files, split into runnable units, and a loose output matcher.

Used by tests/test_docs_examples.py, which runs every example of README.md and docs/*.md. A block is
the text between two fences (```` ```lang ```` ... ```` ``` ````), dedented when the fence is indented
(a block inside a list item). An HTML comment on the line before the fence (blank lines allowed
between) can say more: ``<!-- docs-test: skip REASON -->`` opts the block out, and
``<!-- docs-test: output of `COMMAND` -->`` makes a data block (JSON, text) the shown output of COMMAND.

Shell blocks become one :class:`Command` per command line. A block with prompts (``$ cmd``, or
``host$ cmd``) is a console session: the lines after a command, up to the next prompt, are its shown
output. A block without prompts is a script: every line that is not blank or a comment is a command.
A line ending in a backslash continues on the next line, as in the shell.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

PYTHON_LANGS = frozenset({"python", "py"})
PYCON_LANGS = frozenset({"pycon"})
SHELL_LANGS = frozenset({"console", "bash", "sh", "shell"})
# Blocks in these languages show data or a layout, not something to run.
NOT_CODE_LANGS = frozenset({"", "json", "text", "toml", "tsv"})

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
_SKIP = re.compile(r"^\s*<!--\s*docs-test:\s*skip\s+(?P<reason>.+?)\s*-->\s*$")
_OUTPUT_OF = re.compile(r"^\s*<!--\s*docs-test:\s*output of\s+`(?P<command>[^`]+)`\s*-->\s*$")
_PROMPT = re.compile(r"^(?:[\w.-]+)?\$\s+")
_EXIT = re.compile(r"#.*\bexit(?:s| code)?\s+(?P<code>\d+)\s*$")
ELLIPSIS = "..."


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced block: where it is, its language and its dedented body."""

    path: str
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    skip: str | None = None  # the reason of a docs-test skip comment before the fence
    output_of: str | None = None  # the command of a docs-test output-of comment before the fence

    @property
    def first_line(self) -> int:
        """The 1-based line of the block's first line of code."""
        return self.line + 1


@dataclass(frozen=True, slots=True)
class Command:
    """One command of a shell block, with the output the doc shows for it (None when it shows none)."""

    block: Block
    line: int
    command: str
    output: str | None
    exit_code: int = 0


def parse_blocks(path: str, markdown: str) -> list[Block]:
    """Every fenced block of ``markdown``, in order.

    >>> doc = "Intro\\n\\n<!-- docs-test: skip needs a GPU -->\\n   ```console\\n   $ despin detect -\\n   ```\\n"
    >>> [(b.line, b.lang, b.code, b.skip) for b in parse_blocks("x.md", doc)]
    [(4, 'console', '$ despin detect -', 'needs a GPU')]
    >>> parse_blocks("x.md", "<!-- docs-test: output of `despin x` -->\\n```json\\n{}\\n```")[0].output_of
    'despin x'
    """
    lines = markdown.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = len(m["indent"]), m["fence"], m["lang"].lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not (
            lines[j].strip().startswith(fence[0] * len(fence)) and not lines[j].strip().strip(fence[0])
        ):
            line = lines[j]
            body.append(line[min(indent, len(line) - len(line.lstrip())) :])
            j += 1
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        skip = _SKIP.match(lines[k]) if k >= 0 else None
        output_of = _OUTPUT_OF.match(lines[k]) if k >= 0 else None
        blocks.append(
            Block(
                path,
                i + 1,
                lang,
                "\n".join(body),
                skip["reason"] if skip else None,
                output_of["command"] if output_of else None,
            )
        )
        i = j + 1
    return blocks


def parse_commands(block: Block) -> list[Command]:
    """The commands of a shell block, each with its shown output.

    >>> b = Block("x.md", 1, "console", "$ despin a \\\\\\n    --top 3\\n{}\\n\\nhead$ ray start   # exits 2")
    >>> [(c.line, c.command, c.output, c.exit_code) for c in parse_commands(b)]
    [(2, 'despin a \\\\\\n    --top 3', '{}', 0), (6, 'ray start   # exits 2', None, 2)]
    >>> [c.command for c in parse_commands(Block("x.md", 1, "bash", "# setup\\npip install x\\n\\ndespin serve"))]
    ['pip install x', 'despin serve']
    """
    lines = block.code.splitlines()
    console = any(_PROMPT.match(line) for line in lines)
    if block.lang == "console" and not console:
        raise ValueError(f"{block.path}:{block.line}: a console block must show its prompts ('$ command')")
    commands: list[Command] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        prompt = _PROMPT.match(line) if console else None
        if (console and not prompt) or not line.strip() or (not console and line.lstrip().startswith("#")):
            i += 1
            continue
        start, parts = i, [line[prompt.end() :] if prompt else line.strip()]
        while parts[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            parts.append(lines[i])
        i += 1
        output: list[str] = []
        while console and i < len(lines) and not _PROMPT.match(lines[i]):
            output.append(lines[i])
            i += 1
        text = "\n".join(output).strip("\n")
        exit_match = _EXIT.search(parts[-1])
        commands.append(
            Command(
                block,
                block.first_line + start,
                "\n".join(parts),
                text if text.strip() else None,
                int(exit_match["code"]) if exit_match else 0,
            )
        )
    return commands


# --- loose matching of shown output ------------------------------------------------------------

_SENTINEL = "\x00docs-test-ellipsis\x00"


def _json_with_ellipses(text: str) -> Any:
    """Parse JSON in which ``...`` stands for "any further items / keys" or "any value".

    >>> _json_with_ellipses('{"a": [1, ...], ...}') == {"a": [1, _SENTINEL], _SENTINEL: None}
    True
    >>> _json_with_ellipses('{"k": ..., "s": ".../x"}') == {"k": _SENTINEL, "s": ".../x"}
    True
    """
    out: list[str] = []
    stack: list[str] = []
    last = ""  # the last significant character outside strings
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            last = '"'
            i = j + 1
            continue
        if text.startswith(ELLIPSIS, i):
            sentinel = json.dumps(_SENTINEL)
            in_object_key = stack and stack[-1] == "{" and last in ("{", ",")
            out.append(f"{sentinel}: null" if in_object_key else sentinel)
            last = '"'
            i += len(ELLIPSIS)
            continue
        if c in "{[":
            stack.append(c)
        elif c in "}]" and stack:
            stack.pop()
        if not c.isspace():
            last = c
        out.append(c)
        i += 1
    return json.loads("".join(out))


def _match_value(expected: Any, actual: Any, where: str, shape_only: bool) -> str | None:
    """None when ``actual`` fits ``expected``; else what differs, and where."""
    if expected == _SENTINEL:
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {actual!r:.200}"
        keys = [k for k in expected if k != _SENTINEL]
        missing = [k for k in keys if k not in actual]
        if missing:
            return f"{where}: missing keys {missing} (got {sorted(actual)})"
        extra = sorted(set(actual) - set(keys))
        if extra and _SENTINEL not in expected:
            return f"{where}: keys {extra} are not shown in the doc (show them or add '...')"
        for k in keys:
            if err := _match_value(expected[k], actual[k], f"{where}.{k}", shape_only):
                return err
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{where}: expected a list, got {actual!r:.200}"
        open_ended = bool(expected) and expected[-1] == _SENTINEL
        items = expected[:-1] if open_ended else expected
        if len(actual) < len(items) or (not open_ended and len(actual) != len(items)):
            return f"{where}: expected {len(items)}{'+' if open_ended else ''} items, got {len(actual)}"
        for n, (e, a) in enumerate(zip(items, actual, strict=False)):
            if err := _match_value(e, a, f"{where}[{n}]", shape_only):
                return err
        return None
    if isinstance(expected, bool) or expected is None:
        ok = actual is expected if not shape_only or expected is None else isinstance(actual, bool)
    elif isinstance(expected, int | float):
        ok = isinstance(actual, int | float) and not isinstance(actual, bool) and (shape_only or actual == expected)
    elif isinstance(expected, str):
        pattern = ".*".join(re.escape(p) for p in expected.split(ELLIPSIS))
        ok = isinstance(actual, str) and (shape_only or re.fullmatch(pattern, actual, re.DOTALL) is not None)
    else:  # pragma: no cover - json.loads returns nothing else
        ok = False
    return None if ok else f"{where}: the doc shows {expected!r:.200}, the command gave {actual!r:.200}"


def match_output(expected: str, stdout: str, stderr: str = "", *, shape_only: bool = False) -> str | None:
    """None when a command's output fits the output a doc shows; else a description of the difference.

    Shown JSON (a block starting with ``{`` or ``[``, possibly wrapped over several lines) is compared
    with the parsed stdout: every key and value shown must be there and equal; ``...`` stands for any
    further list items or object keys, any value, or any part of a string. With ``shape_only`` only
    the keys and the value types are compared (for output of a corpus the test does not have).
    Shown text is compared with stdout followed by stderr: runs of whitespace match any whitespace
    and ``...`` matches anything.

    >>> match_output('{"a":1,"b":[{"c":"x"}, ...]}', '{"a":1,"b":[{"c":"x"},{"c":"y"}]}') is None
    True
    >>> match_output('{"a":1, ...}', '{"a":2,"b":3}')
    '$.a: the doc shows 1, the command gave 2'
    >>> match_output('{"a":1}', '{"a":1,"b":3}')
    "$: keys ['b'] are not shown in the doc (show them or add '...')"
    >>> match_output('{"n":27463,"id":"x"}', '{"n":4,"id":"y"}', shape_only=True) is None
    True
    >>> match_output("Pemerintah kota ... tahun depan. ...", "Pemerintah kota Bandung akan tahun depan.  Lagi.")
    >>> match_output("scanned 4 shards", "scanned 3 shards") is not None
    True
    """
    expected = expected.strip()
    if expected[:1] in "{[":
        try:
            want = _json_with_ellipses(expected)
        except json.JSONDecodeError as exc:
            return f"the doc's JSON output does not parse ({exc}): {expected!r:.300}"
        try:
            got = json.loads(stdout)
        except json.JSONDecodeError:
            return f"the doc shows JSON, the command printed {stdout!r:.300}"
        return _match_value(want, got, "$", shape_only)
    pattern = r"\s+".join(".*".join(re.escape(part) for part in word.split(ELLIPSIS)) for word in expected.split())
    actual = (stdout + stderr).strip()
    if re.fullmatch(pattern, actual, re.DOTALL):
        return None
    return f"the doc shows\n{expected}\nthe command printed\n{actual[:2000]}"
