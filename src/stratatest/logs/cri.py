"""The container runtime's side of the log path: a container's output as containerd writes it to the node (CRI).

The tail INPUT reads these lines, not what the service printed, so tests feed the pipeline through them.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["cri_lines", "cri_timestamp"]


def cri_timestamp(time_ns: int) -> str:
    """Go's time.RFC3339Nano in UTC, as containerd stamps a line: trailing zeros trimmed, no fraction when 0."""
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def cri_lines(line: str, *, time_ns: int, stream: str = "stdout", max_bytes: int = 16 * 1024) -> list[str]:
    """One line a container wrote, as containerd stores it: `<time> <stream> <P|F> <chunk>`.

    Lines over `max_bytes` (containerd's max_container_log_line_size, 16 KiB by default) are cut into partial
    `P` chunks and a final `F` one. Cuts fall on character boundaries here (containerd cuts bytes).
    """
    if stream not in ("stdout", "stderr"):
        raise ValueError(f"stream must be stdout or stderr, not {stream!r}")
    if "\n" in line:
        raise ValueError("one line at a time: containerd splits the output at newlines")
    chunks: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > max_bytes:
            chunks.append(current)
            current, size = "", 0
        current += char
        size += width
    chunks.append(current)
    stamp = cri_timestamp(time_ns)
    return [f"{stamp} {stream} {'F' if i == len(chunks) - 1 else 'P'} {chunk}" for i, chunk in enumerate(chunks)]
