"""One file out of a ``multipart/form-data`` request, read as it streams in, with hard caps.

Starlette's form parser has no cap on a file's size (it spools to disk), so
the upload route reads ``request.stream()`` itself and feeds python-multipart's
push parser: the whole body is counted against ``max_body_bytes`` and the
wanted file part against ``max_file_bytes`` as the chunks arrive, and the
request is refused with 413 the moment either is passed, having held at most
``max_file_bytes`` of it. Other parts are skipped without being kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from regflow.errors import ErrorCode, PayloadTooLarge, ValidationFailed

MAX_PARTS = 8
MAX_HEADER_BYTES = 4096


@dataclass
class _State:
    names: tuple[bytes, ...]
    max_file_bytes: int
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    disposition: bytes = b""
    parts: int = 0
    collecting: bool = False
    found: bytearray | None = None
    done: bool = False

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise ValidationFailed.single("body", ErrorCode.TOO_MANY_PARTS, "Send only the file.")
        self.disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]
        if len(self.header_value) > MAX_HEADER_BYTES:
            raise ValidationFailed.single(
                "body", ErrorCode.MALFORMED_MULTIPART, "A part header is too long."
            )

    def on_header_end(self) -> None:
        if bytes(self.header_field).lower() == b"content-disposition":
            self.disposition = bytes(self.header_value)
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self.disposition)
        wanted = params.get(b"name") in self.names
        self.collecting = wanted and self.found is None
        if self.collecting:
            self.found = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self.collecting or self.found is None:
            return
        if len(self.found) + (end - start) > self.max_file_bytes:
            raise PayloadTooLarge(f"The file is larger than {self.max_file_bytes} bytes.")
        self.found += data[start:end]

    def on_part_end(self) -> None:
        if self.collecting:
            self.done = True
        self.collecting = False


async def read_file_field(
    request: Request, *, names: tuple[str, ...], max_file_bytes: int, max_body_bytes: int
) -> bytes:
    """The bytes of the first part named one of ``names``; 413 past either cap, 422 if absent."""
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ValidationFailed.single(
            names[0], ErrorCode.MULTIPART_REQUIRED, "Send the file as multipart/form-data."
        )
    state = _State(tuple(n.encode() for n in names), max_file_bytes)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": state.on_part_begin,
            "on_header_field": state.on_header_field,
            "on_header_value": state.on_header_value,
            "on_header_end": state.on_header_end,
            "on_headers_finished": state.on_headers_finished,
            "on_part_data": state.on_part_data,
            "on_part_end": state.on_part_end,
        },
    )
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_body_bytes:
                raise PayloadTooLarge("The request body is too large.")
            parser.write(chunk)
            if state.done:
                break  # the file is complete; the rest is not needed
        else:
            parser.finalize()
    except FormParserError:  # note: some of its subclasses are OSErrors; never a 503
        raise ValidationFailed.single(
            names[0], ErrorCode.MALFORMED_MULTIPART, "The multipart body is malformed."
        ) from None
    if state.found is None or not state.done:
        raise ValidationFailed.single(names[0], ErrorCode.REQUIRED, "Attach the image file.")
    return bytes(state.found)
