"""Typed errors of the message book: what is wrong with a value, in a stable code, never echoing the value.

Why codes: dead-letter headers and dashboards group by ``code``; messages may improve, codes may not.
Why no values in messages: a value may carry a V-number or medical free text, and these messages reach
logs and DLQ headers.
"""

from __future__ import annotations


class CodecError(Exception):
    """A value that cannot be encoded or decoded. ``path`` is a JSON path (``$.items[2]``) where relevant."""

    code: str = "codec"
    stage: str = "decode"
    """The dead-letter stage: ``decode`` (the bytes), ``validate`` (the schema), ``semantic`` (the meaning)."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.message = message
        self.path = path
        super().__init__(f"{message} (at {path})" if path else message)


class NotAvroError(CodecError):
    """No Avro framing marker, or a body that does not decode with its writer schema."""

    code = "not-avro"


class UnknownSchemaError(CodecError):
    """A fingerprint, schema id, subject or version the catalogue does not know."""

    code = "unknown-schema"


class TruncatedError(CodecError):
    """The value ends before its framing or its body is complete."""

    code = "truncated"


class ContentTypeError(CodecError):
    """The content type is not one the codec reads, or the value does not match the declared type."""

    code = "content-type"


class SchemaValidationError(CodecError):
    """The value is well-formed but fails the subject's schema (JSON Schema, model or Avro resolution)."""

    code = "schema-invalid"
    stage = "validate"


class CaseKeyError(SchemaValidationError):
    """The payload's ``case_key`` is not a case key: its own code, as the key is what routes a case."""

    code = "bad-case-key"
    stage = "semantic"


class CatalogueError(Exception):
    """The catalogue on disk and the models disagree in a way only a developer can fix."""


class ImmutableVersionError(CatalogueError):
    """Generation would change a released schema file; released versions never change."""

    def __init__(self, subject: str, version: int, path: str) -> None:
        self.subject = subject
        self.version = version
        self.path = path
        super().__init__(f"released version v{version} of {subject} is immutable; bump `version` on the model")
