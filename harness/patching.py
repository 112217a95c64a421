"""Apply a unified diff (buggy → patched) to a case's files, strictly: no fuzz, no offsets.

Paths in the diff are relative to the case folder, with the usual ``a/`` and ``b/`` prefixes
(what ``git diff --no-index`` writes). Every hunk's context and removed lines must match the
file at the stated line exactly, so a stale patch fails loudly instead of half-applying.
"""

from __future__ import annotations

import re

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class PatchError(ValueError):
    """The patch is malformed or does not apply. The message names the patch file and hunk."""


def _strip_prefix(path: str) -> str:
    path = path.split("\t", 1)[0].strip()
    if path == "/dev/null":
        return path
    return path[2:] if path[:2] in ("a/", "b/") else path


def _parse(patch: str, where: str) -> list[tuple[str, str, list[tuple[int, list[str]]]]]:
    """Split a patch into ``(old_path, new_path, hunks)``; a hunk is ``(old_start, lines)``."""
    files: list[tuple[str, str, list[tuple[int, list[str]]]]] = []
    lines = patch.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old, new = _strip_prefix(line[4:]), _strip_prefix(lines[i + 1][4:])
            files.append((old, new, []))
            i += 2
            continue
        match = _HUNK.match(line)
        if match:
            if not files:
                raise PatchError(f"{where}:{i + 1}: hunk before any '---'/'+++' file header")
            old_start, old_len = int(match[1]), int(match[2] if match[2] is not None else 1)
            new_len = int(match[4] if match[4] is not None else 1)
            body: list[str] = []
            i += 1
            seen_old = seen_new = 0
            while i < len(lines) and (seen_old < old_len or seen_new < new_len):
                body_line = lines[i]
                tag = body_line[:1]
                if tag == "\\":  # "\ No newline at end of file"
                    if body:
                        body[-1] = body[-1].rstrip("\n")
                    i += 1
                    continue
                if tag not in (" ", "-", "+") and body_line not in ("\n",):
                    raise PatchError(f"{where}:{i + 1}: unexpected line in hunk: {body_line!r}")
                if body_line == "\n":
                    body_line, tag = " \n", " "
                seen_old += tag in (" ", "-")
                seen_new += tag in (" ", "+")
                body.append(body_line)
                i += 1
            if seen_old != old_len or seen_new != new_len:
                raise PatchError(f"{where}: hunk '{line.strip()}' is truncated")
            while i < len(lines) and lines[i].startswith("\\"):
                body[-1] = body[-1].rstrip("\n")
                i += 1
            files[-1][2].append((old_start, body))
            continue
        i += 1
    if not files:
        raise PatchError(f"{where}: not a unified diff (no '---'/'+++' file headers)")
    return files


def apply_patch(files: dict[str, str], patch: str, where: str = "<patch>") -> dict[str, str]:
    """Return a copy of ``files`` (relative path → text) with ``patch`` applied.

    Raises:
        PatchError: the patch is malformed, names a file that is not there, or a hunk's context
            does not match the file exactly.
    """
    result = dict(files)
    for old_path, new_path, hunks in _parse(patch, where):
        if old_path == "/dev/null":
            if new_path in result:
                raise PatchError(f"{where}: creates {new_path!r}, which already exists")
            source: list[str] = []
        else:
            if old_path not in result:
                raise PatchError(
                    f"{where}: patches {old_path!r}, which is not in the case folder "
                    f"(files: {', '.join(sorted(result)) or 'none'})"
                )
            source = result[old_path].splitlines(keepends=True)
        out: list[str] = []
        cursor = 0
        for number, (old_start, body) in enumerate(hunks, 1):
            start = max(old_start - 1, 0) if old_start else 0
            if start < cursor:
                raise PatchError(f"{where}: {old_path}: hunk {number} overlaps the previous one")
            out.extend(source[cursor:start])
            pos = start
            for line in body:
                tag, text = line[0], line[1:]
                if tag in (" ", "-"):
                    actual = source[pos] if pos < len(source) else None
                    if actual is None or actual.rstrip("\r\n") != text.rstrip("\r\n"):
                        raise PatchError(
                            f"{where}: {old_path}: hunk {number} does not apply at line {pos + 1}: "
                            f"expected {text.rstrip()!r}, found "
                            f"{actual.rstrip() if actual is not None else '<end of file>'!r}"
                        )
                    if tag == " ":
                        out.append(actual)
                    pos += 1
                else:
                    out.append(text)
            cursor = pos
        out.extend(source[cursor:])
        if new_path == "/dev/null":
            result.pop(old_path, None)
        else:
            if old_path != new_path and old_path != "/dev/null":
                result.pop(old_path, None)
            result[new_path] = "".join(out)
    return result
