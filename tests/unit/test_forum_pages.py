"""The forum pages' pieces without a server: which meeting is next, which decisions
belong to a meeting, and the forum's note taken out of a decision's recorded reason."""

from __future__ import annotations

from datetime import UTC, date, datetime

from intake.domain.process import load_process
from intake.domain.workflow import decision_reason
from intake.services.forum_pages import RecordedDecision, StoredAgenda, decision_window, meeting_day
from intake.web.forums.pages import decision_label, decision_note, place_label

PROCESS = load_process()
FORUM = next(f for f in PROCESS.forums if f.key == "losningsforum")  # Tuesdays 09:00-10:30, every 2 weeks
MEETING = date(2026, 12, 1)


def test_the_next_meeting_is_todays_until_it_has_ended() -> None:
    assert meeting_day(FORUM, date(2026, 11, 22)) == MEETING
    during = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm: still on (to 10:30)
    assert meeting_day(FORUM, MEETING, during) == MEETING
    after = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 11:00 in Stockholm: over
    assert meeting_day(FORUM, MEETING, after) == date(2026, 12, 15)


def test_a_meetings_decisions_start_after_the_previous_meeting_or_when_its_agenda_was_built() -> None:
    start, until = decision_window(FORUM, MEETING, None)
    # the day after the previous meeting (17 November), midnight in Stockholm
    assert (start, until) == (datetime(2026, 11, 17, 23, 0, tzinfo=UTC), None)
    built = datetime(2026, 11, 28, 5, 0)  # SQLite gives it back without a zone: UTC
    stored = StoredAgenda(forum_key=FORUM.key, meeting_day=MEETING, built_at=built, html="<p>agenda</p>")
    start, until = decision_window(FORUM, MEETING, stored, past=True)
    assert start == built.replace(tzinfo=UTC)
    assert until == datetime(2026, 12, 1, 23, 0, tzinfo=UTC), "to the end of the meeting day"


def test_the_note_is_what_the_forum_wrote_after_the_decision() -> None:
    rule = next(d for d in PROCESS.decisions if d.key == "go-on")

    def recorded(reason: str | None, decision: str = "go-on") -> RecordedDecision:
        return RecordedDecision(
            reference="IN-2026-00001",
            title="",
            decision=decision,
            from_step="steg-1",
            to_step="steg-2",
            actor="forum@kommun.se",
            at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
            reason=reason,
            merged_into=None,
        )

    with_note = decision_reason(PROCESS, FORUM.key, rule, "Bra underlag.")
    assert decision_note(PROCESS, FORUM.key, recorded(with_note)) == "Bra underlag."
    bare = decision_reason(PROCESS, FORUM.key, rule, None)
    assert decision_note(PROCESS, FORUM.key, recorded(bare)) == ""
    assert decision_note(PROCESS, FORUM.key, recorded("Något annat", "gone")) == "Något annat"


def test_labels_fall_back_on_the_key_when_the_process_file_lost_it() -> None:
    assert decision_label(PROCESS, "go-on", "sv") == "Gå vidare"
    assert decision_label(PROCESS, "go-on", "en") == "Go on"
    assert decision_label(PROCESS, "gone", "sv") == "gone"
    assert place_label(PROCESS, "steg-2", "sv") == "Arkitektforum"
    assert place_label(PROCESS, "nowhere", "en") == "nowhere"
