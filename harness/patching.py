"""Apply a unified diff (buggy → patched) to a case's files, strictly: no fuzz, no offsets.

Paths in the diff are relative to the case folder, with the usual ``a/`` and ``b/`` prefixes
(what ``git diff --no-index`` writes). Every hunk's context and removed lines must match the
file at the stated line exactly, so a stale patch fails loudly instead of half-applying.

A patch may only name files inside the program folder: an absolute path, a ``..``, ``.`` or
empty component, or (when the case folder is given) a path through a symlink is an error naming
the patch file and the path, before anything is applied.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

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


def check_path(path: str, where: str, folder: Path | None = None) -> None:
    """Raise :class:`PatchError` unless ``path`` stays inside the program folder.

    Args:
        path: A path from the patch, prefix stripped (``/dev/null`` is always allowed).
        where: The patch file, for the message.
        folder: The case folder; when given, a path through a symlink in it is refused too.
    """
    if path == "/dev/null":
        return
    parts = path.split("/")
    if path.startswith("/") or PurePosixPath(path).is_absolute():
        problem = "is absolute"
    elif any(part in ("", ".", "..") for part in parts):
        problem = "has an empty, '.' or '..' component"
    elif "\\" in path or "\0" in path:
        problem = "has a backslash or NUL byte"
    else:
        problem = None
        if folder is not None:
            current = Path(folder)
            for part in parts:
                current = current / part
                if current.is_symlink():
                    problem = f"goes through the symlink {current}"
                    break
    if problem:
        raise PatchError(
            f"{where}: path {path!r} {problem}: a patch may only name files inside the "
            f"program folder"
        )


def apply_patch(
    files: dict[str, str], patch: str, where: str = "<patch>", folder: Path | None = None
) -> dict[str, str]:
    """Return a copy of ``files`` (relative path → text) with ``patch`` applied.

    Args:
        files: Relative path → text of the case's program files.
        patch: The unified diff.
        where: The patch file, named in every error.
        folder: The case folder, to refuse paths through a symlink in it (see :func:`check_path`).

    Raises:
        PatchError: the patch is malformed, names a path that leaves the program folder or a
            file that is not there, or a hunk's context does not match the file exactly.
    """
    result = dict(files)
    parsed = _parse(patch, where)
    for old_path, new_path, _ in parsed:
        check_path(old_path, where, folder)
        check_path(new_path, where, folder)
    for old_path, new_path, hunks in parsed:
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
