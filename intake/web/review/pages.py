"""`/review/`: the queue of items DigIT staff prepare, filtered and counted; htmx swaps the results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio.to_thread
from litestar import Controller, Request, get
from litestar.params import FromQuery, Parameter
from litestar.response import Template

from intake.domain.submission import Channel
from intake.services.review_queue import (
    AGES,
    NO_FOCUS,
    SORTS,
    QueueFilter,
    QueueResult,
    clean_filter,
    load_rows,
    select_queue,
)
from intake.web.auth.policy import STAFF, require_role
from intake.web.auth.views import language_template, page_language
from intake.web.state import Services

CHANNELS = [c.value for c in Channel]


@dataclass
class QueuePage:
    """What `review/queue.html` needs."""

    chosen: QueueFilter
    result: QueueResult
    steps: list[tuple[str, str]]
    focus_areas: list[tuple[str, str]]
    channels: list[str]
    ages: tuple[str, ...] = AGES
    sorts: tuple[str, ...] = SORTS
    no_focus: str = NO_FOCUS

    def url(self, **changes: Any) -> str:
        """The queue's URL with the current filters and `changes` (for the pager links)."""
        chosen = self.chosen
        values = {
            "step": chosen.step,
            "focus": chosen.focus,
            "channel": chosen.channel,
            "duplicates": "1" if chosen.duplicates else "",
            "gaps": "1" if chosen.gaps else "",
            "age": chosen.age,
            "sort": chosen.sort if chosen.sort != "oldest" else "",
            "page": str(chosen.page),
        }
        values.update({k: str(v) for k, v in changes.items()})
        return "/review/?" + urlencode(
            {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}
        )


class ReviewPages(Controller):
    """The staff pages."""

    path = "/review"
    include_in_schema = False

    @get("/")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        services: Services,
        step: FromQuery[str] = "",
        focus: FromQuery[str] = "",
        channel: FromQuery[str] = "",
        duplicates: FromQuery[bool] = False,
        gaps: FromQuery[bool] = False,
        age: FromQuery[str] = "",
        sort: FromQuery[str] = "oldest",
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
    ) -> Template:
        require_role(request.scope.get("user"), STAFF)  # the object rule: the whole queue is for staff
        process = services.process
        chosen = clean_filter(
            QueueFilter(
                step=step,
                focus=focus,
                channel=channel,
                duplicates=duplicates,
                gaps=gaps,
                age=age,
                sort=sort,
                page=page,
            ),
            process,
            CHANNELS,
        )
        rows = await anyio.to_thread.run_sync(load_rows, services.engine, process)
        result = select_queue(rows, chosen, process)
        lang = page_language(request, services.settings.default_language)
        page_data = QueuePage(
            chosen=chosen,
            result=result,
            steps=[(s.key, s.name.get(lang)) for s in process.steps]
            + [(s.key, s.name.get(lang)) for s in process.transitions.states],
            focus_areas=[(a.key, a.name.get(lang)) for a in process.focus_areas],
            channels=CHANNELS,
        )
        partial = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "queue"
        return language_template(
            request,
            lang,
            "review/_results.html" if partial else "review/queue.html",
            {
                "page": page_data,
                "labels": dict(page_data.steps),
                "focus_labels": dict(page_data.focus_areas),
            },
        )
