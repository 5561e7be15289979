"""Upload of one raw mail (.eml): the same intake as the mailbox, for a mail saved from a client.

POST the bytes as `message/rfc822` (or any body with a mail in it), or as a `multipart/form-data`
upload with the file in the field `file`. The mail is stored first and handled like a fetched
one: a submission (201), a reply or an automatic record (200), or quarantined (422 with the
reason; the raw bytes stay stored for a human). The same bytes again answer with the first
outcome and `duplicate: true`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from litestar import Controller, Request, Response, post
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
)
from pydantic import BaseModel, Field

from intake.mail.pipeline import MailOutcome, ingest
from intake.web.schemas import ProblemOut, problem_responses
from intake.web.state import Services

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
"""The route's own body limit; `mailbox.max_mail_bytes` (smaller by default) is checked inside."""

_MAIL_TYPES = ("message/rfc822", "application/octet-stream", "text/plain", "application/vnd.ms-outlook")


class MailReceipt(BaseModel):
    """What became of an uploaded mail."""

    mail_id: int = Field(description="The stored mail.")
    kind: str = Field(description="submission, reply, automatic, quarantine or pending.")
    reference: str | None = Field(default=None, description="The submission it became or was added to.")
    duplicate: bool = Field(description="The same mail had been stored before; nothing new was stored.")
    note: str | None = Field(default=None, description="Why it is automatic or quarantined.")
    acknowledgement: str | None = Field(default=None, description="sent, limited, failed, off, no_sender.")


class _Problem(ClientException):
    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail=detail, status_code=status_code)


async def _body(request: Request[Any, Any, Any]) -> bytes:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise _Problem(400, "multipart upload without a file in the field `file`")
        return await upload.read()
    if media and media not in _MAIL_TYPES:
        raise _Problem(
            HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"send the mail as message/rfc822 or a multipart upload, not {media}",
        )
    return await request.body()


def _receipt(outcome: MailOutcome) -> MailReceipt:
    return MailReceipt(
        mail_id=outcome.mail_id,
        kind=outcome.kind,
        reference=outcome.reference,
        duplicate=outcome.duplicate,
        note=outcome.note,
        acknowledgement=outcome.ack,
    )


@dataclass
class _MailOperation(Operation):
    """The OpenAPI operation of the upload, with the raw mail as its request body.

    The handler reads the body itself (raw bytes or a multipart field), so Litestar cannot infer it.
    """

    def __post_init__(self) -> None:
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        self.request_body = RequestBody(
            required=True,
            description="One mail as sent (.eml), or a multipart upload with it in the field `file`.",
            content={
                "message/rfc822": OpenAPIMediaType(schema=binary),
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.OBJECT, properties={"file": binary}, required=["file"])
                ),
            },
        )


class MailController(Controller):
    """Intake of single mail files."""

    path = "/api/mail"
    tags = ["submissions"]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        request_max_body_size=MAX_UPLOAD_BYTES,
        security=[{"apiKey": []}],
        operation_class=_MailOperation,
        responses={
            **problem_responses(400, 401, 403, 413, 429),
            415: ResponseSpec(data_container=ProblemOut, description="Not a mail upload"),
            422: ResponseSpec(
                data_container=MailReceipt, description="Stored and quarantined, with the reason"
            ),
        },
        summary="Upload a mail (.eml)",
        description=__doc__,
    )
    async def upload(self, request: Request[Any, Any, Any], services: Services) -> Response[MailReceipt]:
        raw = await _body(request)
        if not raw.strip():
            raise _Problem(400, "the upload is empty: send the raw bytes of one mail (.eml)")
        limit = services.settings.mailbox.max_mail_bytes
        if len(raw) > limit:
            raise _Problem(HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"the mail is larger than {limit} bytes")
        outcome = await anyio.to_thread.run_sync(
            lambda: ingest(services.engine, raw, services.settings, source="upload")
        )
        receipt = _receipt(outcome)
        if outcome.kind == "quarantine":
            return Response(receipt, status_code=HTTP_422_UNPROCESSABLE_ENTITY)
        created = outcome.kind == "submission" and not outcome.duplicate
        return Response(receipt, status_code=HTTP_201_CREATED if created else HTTP_200_OK)
