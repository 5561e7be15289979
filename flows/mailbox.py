"""The mailbox flow: poll the shared IMAP mailbox and turn its mails into submissions.

`PERIODIC` runs it from every job loop (`flows.periodic`) every `mailbox.poll_seconds`; with no
`mailbox.host` it is off. Two tasks: `handle-left-over` handles mails that were stored but not
handled (a crash, a database outage), `poll-inbox` fetches, stores, handles and moves the
waiting ones (`intake.mail.poll`). Any number of processes may run it at once: the unique key on
each stored mail and its claim make every mail one submission, and a mail is moved only after
its outcome is committed. `beredning mail fetch` runs one poll without Prefect.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.periodic import Periodic, PeriodicContext, bound, current
from intake.mail import ImapMailbox, handle_pending, poll


@task(name="handle-left-over", cache_policy=NO_CACHE)
def handle_left_over() -> int:
    """Handle stored mails that no process finished handling."""
    context = current()
    return len(handle_pending(context.engine, context.settings))


@task(name="poll-inbox", cache_policy=NO_CACHE)
def poll_inbox() -> dict[str, object]:
    """Fetch, store, handle and move the mails waiting in the inbox."""
    context = current()
    with ImapMailbox(context.settings.mailbox) as source:
        return poll(context.engine, context.settings, source, left_over=False).as_dict()


@flow(name="mailbox", persist_result=False)
def mailbox() -> dict[str, object]:
    """Turn the mails in the shared mailbox into submissions, exactly once each."""
    left_over = handle_left_over()
    report = poll_inbox()
    return {**report, "left_over": left_over}


def _run(context: PeriodicContext, _now: datetime) -> object:
    with bound(context):
        return mailbox()


PERIODIC = Periodic(name="mailbox", interval=lambda settings: settings.mailbox.interval, run=_run)
