"""XML streamed with expat under a guard (token size, nesting, no DTD), for the .xlsx and .ods
readers."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from brigade_desk.core.tabular.base import (
    _CHUNK,
    MAX_XML_DEPTH,
    MAX_XML_TOKEN,
    _Hostile,
    _Tally,
)

# ---- XML, streamed with expat under a guard -------------------------------------------------------


class _XmlGuard:
    """Looks at the raw bytes before expat does. Expat holds a whole tag, comment or processing
    instruction in memory until its end, so none may be longer than :data:`MAX_XML_TOKEN`; text is
    passed on in pieces (each reader bounds a cell's text itself). A document type declaration
    (entities, the "billion laughs") is refused outright: no office program writes one.

    Tags and attribute values cannot hold a raw ``<``: a run without one is at most a token long.
    Comments, CDATA and processing instructions can; they are followed to their end."""

    _ENDS = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))

    def __init__(self) -> None:
        self.run = 0  # bytes since the last "<"
        self.term: bytes | None = None  # the end of the comment / CDATA / PI we are in
        self.inside = 0
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        first = chunk.find(b"<")
        if first < 0:
            self.run += len(chunk)
        else:
            self.run += first
            if self.run <= MAX_XML_TOKEN:
                self.run = len(chunk) - chunk.rfind(b"<") - 1
        if self.run > MAX_XML_TOKEN:
            raise _Hostile(
                f"XML 中有一段超过 {MAX_XML_TOKEN // 1024 // 1024} MB 的内容，文件已损坏"
            )
        if self.term is None and not self.carry and b"<!" not in chunk and b"<?" not in chunk:
            if chunk.endswith(b"<"):
                self.carry = b"<"
            return
        buf = self.carry + chunk
        self.carry = b""
        i = 0
        while True:
            if self.term is not None:
                j = buf.find(self.term, i)
                self.inside += (len(buf) if j < 0 else j) - i
                if self.inside > MAX_XML_TOKEN:
                    raise _Hostile(
                        f"XML 中有超过 {MAX_XML_TOKEN // 1024 // 1024} MB 的注释或说明，文件已损坏"
                    )
                if j < 0:
                    self.carry = buf[-(len(self.term) - 1) :]
                    return
                i = j + len(self.term)
                self.term = None
                self.inside = 0
            a, b = buf.find(b"<!", i), buf.find(b"<?", i)
            j = min(a, b) if a >= 0 and b >= 0 else max(a, b)
            if j < 0:
                self.carry = buf[-1:] if buf.endswith(b"<") else b""
                return
            head = buf[j : j + 9]
            for start, end in self._ENDS:
                if head.startswith(start):
                    self.term = end
                    i = j + len(start)
                    break
            else:
                if len(head) < 9:  # "<!" near the end of the chunk: decide with the next one
                    self.carry = buf[j:]
                    return
                raise _Hostile("文件中有文档类型声明（DOCTYPE/ENTITY），不是办公软件写出的表格")


def _expat(
    encoding: str | None = None,
    start: Callable[[str, dict[str, str]], None] | None = None,
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> Any:
    """An expat parser refusing DTDs, with the element and text handlers given."""
    from xml.parsers import expat

    p = expat.ParserCreate(encoding)
    p.buffer_text = True
    p.buffer_size = _CHUNK
    if start is not None:
        p.StartElementHandler = start
    if end is not None:
        p.EndElementHandler = end
    if text is not None:
        p.CharacterDataHandler = text

    def no_dtd(*_a: Any) -> None:
        raise _Hostile("文件中有文档类型声明（DOCTYPE/ENTITY），不是办公软件写出的表格")

    p.StartDoctypeDeclHandler = no_dtd
    p.EntityDeclHandler = no_dtd
    return p


def _xml_chunks(fh: IO[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """(raw bytes, bytes for expat) of a zip member: UTF-16 (rare, .NET writers) is re-encoded as
    UTF-8 so the guard sees ASCII delimiters; the parser is then created for UTF-8."""
    import codecs

    first = fh.read(_CHUNK)
    enc = None
    if first.startswith((b"\xff\xfe", b"<\x00")):
        enc = "utf-16-le"
    elif first.startswith((b"\xfe\xff", b"\x00<")):
        enc = "utf-16-be"
    dec = codecs.getincrementaldecoder(enc)("strict") if enc else None
    chunk = first
    while chunk:
        if dec is None:
            yield chunk, chunk
        else:
            text = dec.decode(chunk)
            yield chunk, text.lstrip("\ufeff").encode("utf-8") if chunk is first else text.encode()
        chunk = fh.read(_CHUNK)


def _parse_member(zf: zipfile.ZipFile, part: str, setup: Callable[[Any], None]) -> None:
    """Parse one zip member with the handlers ``setup`` puts on a fresh parser."""
    with zf.open(part) as fh:
        guard = _XmlGuard()
        p: Any = None
        for raw, chunk in _xml_chunks(fh):
            if p is None:
                p = _expat("UTF-8" if raw is not chunk else None)
                setup(p)
            guard.feed(chunk)
            p.Parse(chunk, False)
        if p is not None:
            p.Parse(b"", True)


def _walk(
    zf: zipfile.ZipFile,
    part: str,
    tally: _Tally,
    on_start: Callable[[list[str], dict[str, str]], None],
) -> None:
    """Call ``on_start(path of local names, attributes)`` for every element of a small part."""
    stack: list[str] = []

    def setup(p: Any) -> None:
        def start(name: str, attrs: dict[str, str]) -> None:
            stack.append(name[name.find(":") + 1 :])
            tally.element()
            if len(stack) > MAX_XML_DEPTH:
                raise _Hostile("XML 嵌套过深，文件已损坏")
            on_start(stack, attrs)

        def end(_name: str) -> None:
            stack.pop()

        p.StartElementHandler = start
        p.EndElementHandler = end

    _parse_member(zf, part, setup)
