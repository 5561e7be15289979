"""Property test: whatever bytes arrive, the parser returns and every mail gets a kind."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.mail import MailLimits, classify, parse_mail

CORPUS = Path(__file__).parents[1] / "mail"
SEEDS = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml")) if p.stat().st_size < 20_000]
LIMITS = MailLimits(max_mail_bytes=64 * 1024, max_header_bytes=16 * 1024, max_text_bytes=16 * 1024)

HEADER_NAMES = st.sampled_from(
    ["From", "Subject", "Content-Type", "Content-Transfer-Encoding", "Message-ID", "Auto-Submitted",
     "Precedence", "Return-Path", "Content-Disposition", "References", "X-Auto-Response-Suppress"]
)  # fmt: skip
HEADER_VALUES = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        ["multipart/mixed; boundary=", 'multipart/alternative; boundary="b"', "text/html; charset=x-bad",
         "=?utf-8?b?w7Y=?=", "=?iso-8859-1?q?=E5?=", "=?utf-8?q?", "base64", "quoted-printable",
         "attachment; filename*=utf-8''%FF%FE", "<>", "auto-replied", "<a@b> <c@d"]
    ),
)  # fmt: skip


@st.composite
def structured_mails(draw: st.DrawFn) -> bytes:
    """Mails made of plausible, often broken, header lines and MIME bodies."""
    lines = [f"{draw(HEADER_NAMES)}: {draw(HEADER_VALUES)}" for _ in range(draw(st.integers(0, 8)))]
    body = draw(
        st.one_of(
            st.text(max_size=500), st.sampled_from(["--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"])
        )
    )
    head = "\r\n".join(lines).encode("utf-8", "surrogatepass")
    return head + b"\r\n\r\n" + body.encode("utf-8", "surrogatepass")


@st.composite
def mutated_corpus(draw: st.DrawFn) -> bytes:
    """A corpus mail with bytes flipped, cut or repeated."""
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 20))):
        if not raw:
            break
        position = draw(st.integers(0, len(raw) - 1))
        action = draw(st.sampled_from(["flip", "cut", "dup"]))
        if action == "flip":
            raw[position] = draw(st.integers(0, 255))
        elif action == "cut":
            del raw[position : position + draw(st.integers(1, 200))]
        else:
            raw[position:position] = raw[position : position + draw(st.integers(1, 200))]
    return bytes(raw)


def _check(raw: bytes) -> None:
    mail = parse_mail(raw, LIMITS)
    kind, reason = classify(mail)
    assert kind in ("submission", "automatic", "quarantine")
    assert (reason is None) == (kind == "submission")
    assert isinstance(mail.text, str) and len(mail.text) <= LIMITS.max_text_chars
    assert all(c in "\n\t" or c.isprintable() or not c.isascii() for c in mail.text)
    mail.text.encode("utf-8")  # no lone surrogates: storable on PostgreSQL


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes(raw: bytes) -> None:
    _check(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structured_mails())
def test_structured_broken_mails(raw: bytes) -> None:
    _check(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_corpus())
def test_mutated_corpus(raw: bytes) -> None:
    _check(raw)
