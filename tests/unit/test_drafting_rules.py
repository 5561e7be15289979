"""The deterministic rules: gaps with quoted evidence, the rules-only draft, and merging a model's view."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.domain.process import load_process
from intake.drafting import (
    Draft,
    DraftAnswer,
    DraftField,
    Gap,
    load_checklists,
    merge_answer,
    merge_gaps,
    quote_in_text,
    rule_gaps,
    rules_only_draft,
)

BYGGLOV = "Vi vill att medborgare ska kunna boka tid för bygglovsrådgivning via webben"

RICH = (
    "Ämne: Digital frånvaroanmälan\n\n"
    "Idag ringer vårdnadshavare in frånvaro till expeditionen, vilket tar ca 10 timmar per vecka. "
    "Vi vill minska detta med 80 % genom en e-tjänst med BankID-inloggning. "
    "Rektorerna står bakom förslaget. "
    "Det behöver vara klart till HT 2026 och kostnaden uppskattas till 150 000 kr. "
    "Elevuppgifter från [PNR_1] hanteras.\n"
    "Hälsningar [PERSON_1]"
)


def _by_item(gaps: list[Gap]) -> dict[str, Gap]:
    return {g.item_id: g for g in gaps}


def test_bygglov_example_misses_benefits_time_plan_and_anchoring_with_questions() -> None:
    answer = rules_only_draft(BYGGLOV, load_process(), load_checklists())
    gaps = _by_item(answer.gaps)
    for item in ("nyttor-och-effekter", "tidsplan", "forankring"):
        gap = gaps[item]
        assert gap.status == "missing" and gap.evidence is None and gap.source == "rules"
        assert gap.question is not None and gap.question.endswith("?")
    assert gaps["nyttor-och-effekter"].question != gaps["tidsplan"].question
    # "boka tid" is not a time plan, and the need (with its target group) is stated
    assert gaps["behov"].status == "covered" and gaps["behov"].evidence == BYGGLOV
    assert answer.source == "rules"


def test_rules_only_draft_states_only_what_the_text_says() -> None:
    draft = rules_only_draft(BYGGLOV, load_process(), load_checklists()).draft
    assert draft.title.value == BYGGLOV and draft.title.basis == "inferred"
    assert draft.need.basis == "stated" and draft.need.quote == BYGGLOV
    assert draft.initiative_type.value == "e-tjanst" and draft.initiative_type.basis == "inferred"
    for name in ("summary", "benefits", "time_plan", "cost_estimate", "sponsor", "focus_area", "risks"):
        assert getattr(draft, name).empty, name
    assert draft.shared_infrastructure.empty and draft.personal_data.empty


def test_every_configured_item_gets_one_gap_in_configured_order() -> None:
    checklists = load_checklists()
    gaps = rule_gaps(BYGGLOV, checklists)
    assert [g.key for g in gaps] == [(c.id, i.id) for c in checklists.checklists for i in c.items]
    assert all((g.question is None) == (g.status == "covered") for g in gaps)


def test_a_rich_text_covers_items_with_evidence_quoted_from_it() -> None:
    answer = rules_only_draft(RICH, load_process(), load_checklists())
    gaps = _by_item(answer.gaps)
    expected = {
        "nyttor-och-effekter": ("covered", "80 %"),
        "tidsplan": ("covered", "HT 2026"),
        "kostnad": ("covered", "150 000 kr"),
        "forankring": ("covered", "står bakom"),
        "nulage": ("covered", "Idag ringer"),
        "gemensam-infrastruktur": ("partly", "BankID"),
        "avgransningar": ("missing", None),
        "utgangspunkter": ("missing", None),
    }
    for item, (status, words) in expected.items():
        assert gaps[item].status == status, item
        assert (gaps[item].evidence is None) == (words is None), item
        if words:
            assert words in (gaps[item].evidence or "")
    for gap in answer.gaps:
        assert gap.evidence is None or gap.evidence in RICH
    draft = answer.draft
    assert draft.title.value == "Digital frånvaroanmälan" and draft.title.basis == "stated"
    assert draft.shared_infrastructure.value == "yes" and draft.personal_data.value == "yes"
    for name in Draft.model_fields:
        field: DraftField[object] = getattr(draft, name)
        assert field.quote is None or quote_in_text(field.quote, RICH), name


def test_placeholders_mean_personal_data_but_are_not_words() -> None:
    gaps = _by_item(rule_gaps("Nya rutiner för ärendet, kontakta [TELEFON_1] vid frågor.", load_checklists()))
    assert gaps["personuppgifter"].status == "partly"
    assert "[TELEFON_1]" in (gaps["personuppgifter"].evidence or "")
    assert gaps["nulage"].status == "missing"  # "TELEFON" inside a placeholder is no telephone


def test_an_explicit_no_answers_the_shared_infrastructure_item() -> None:
    text = "Ett fristående system för schemaläggning av lokaler. Ingen integration behövs."
    answer = rules_only_draft(text, load_process(), load_checklists())
    assert _by_item(answer.gaps)["gemensam-infrastruktur"].status == "covered"
    assert answer.draft.shared_infrastructure.value == "no"
    assert answer.draft.shared_infrastructure.basis == "stated"


@pytest.mark.parametrize(
    ("item", "text"),
    [
        ("nyttor-och-effekter", "We want to reduce handling time by 30 % for each case."),
        ("avgransningar", "Projektet omfattar inte ekonomisystemet."),
        ("utgangspunkter", "Enligt kommunens digitaliseringsstrategi ska vi erbjuda e-tjänster."),
        ("deltagare", "En arbetsgrupp med tre handläggare är utsedd."),
        ("forankring", "Förvaltningschefen är sponsor."),
        ("beroenden", "Lösningen förutsätter att nya diariet är infört."),
        ("tidsplan", "The service must be live by March 2027."),
        ("kvalitetssakring", "Tjänsten ska uppfylla WCAG 2.1 AA."),
        ("slutmote", "Slutmöte är inbokat till den 12 juni."),
        ("nulage", "Currently we keep the list in a spreadsheet."),
        ("kostnad", "Licensen kostar 40 tkr per år."),
        ("risker", "Om inget görs riskerar vi att tappa personal."),
        ("personuppgifter", "Personuppgiftsansvarig är socialnämnden."),
        ("personuppgifter", "Inga personuppgifter behandlas."),
    ],
)
def test_each_rule_recognises_a_concrete_answer(item: str, text: str) -> None:
    gap = _by_item(rule_gaps(text, load_checklists(), language="en"))[item]
    assert gap.status == "covered"
    assert gap.evidence == text and gap.question is None


def test_questions_come_in_the_asked_language() -> None:
    sv = _by_item(rule_gaps(BYGGLOV, load_checklists(), language="sv"))["tidsplan"].question
    en = _by_item(rule_gaps(BYGGLOV, load_checklists(), language="en"))["tidsplan"].question
    assert sv and en and sv != en and en.startswith("When")


def test_long_sentences_are_quoted_in_part_but_exactly() -> None:
    text = (
        "Vi " + "har många olika saker att tänka på " * 10 + "och det ska vara klart 2026-09-01 " + "x " * 100
    )
    gap = _by_item(rule_gaps(text, load_checklists()))["tidsplan"]
    assert gap.status == "covered" and gap.evidence is not None
    assert len(gap.evidence) <= 200 and gap.evidence in text and "2026-09-01" in gap.evidence


def _model_gap(item: str, status: str, evidence: str | None, question: str | None = None) -> Gap:
    checklist = "initiativmall" if item in {"behov", "kostnad"} else "uppstartsmote"
    return Gap.model_validate(
        {
            "checklist_id": checklist,
            "item_id": item,
            "status": status,
            "evidence": evidence,
            "question": question,
        }
    )


def test_the_model_cannot_clear_a_missing_item_without_quoting_the_text() -> None:
    rules = rule_gaps(BYGGLOV, load_checklists())
    model = [
        _model_gap("tidsplan", "covered", "Det ska vara klart i maj"),  # not in the text
        _model_gap("forankring", "partly", None),
        _model_gap("nyttor-och-effekter", "covered", "boka tid för bygglovsrådgivning via webben"),
    ]
    merged = _by_item(merge_gaps(rules, model, BYGGLOV))
    assert merged["tidsplan"].status == "missing" and merged["tidsplan"].source == "rules"
    assert merged["forankring"].status == "missing" and merged["forankring"].question
    benefits = merged["nyttor-och-effekter"]
    assert benefits.status == "covered" and benefits.source == "model" and benefits.question is None
    assert benefits.evidence == "boka tid för bygglovsrådgivning via webben"


def test_the_model_may_lower_a_verdict_and_reword_the_question() -> None:
    rules = rule_gaps(BYGGLOV, load_checklists())
    model = [
        _model_gap("behov", "partly", None, "Hur många medborgare bokar rådgivning i dag?"),
        _model_gap("no-such-item", "covered", BYGGLOV),
    ]
    merged = merge_gaps(rules, model, BYGGLOV)
    need = _by_item(merged)["behov"]
    assert need.status == "partly" and need.source == "model"
    assert need.question == "Hur många medborgare bokar rådgivning i dag?"
    assert need.evidence == BYGGLOV  # the rule's evidence is kept when the model gives none
    assert [g.key for g in merged] == [g.key for g in rules]


def test_reopening_a_covered_item_needs_a_question() -> None:
    rules = rule_gaps(BYGGLOV, load_checklists())
    silent = _by_item(merge_gaps(rules, [_model_gap("behov", "missing", None)], BYGGLOV))["behov"]
    assert silent.status == "covered" and silent.source == "rules"
    asked = _by_item(merge_gaps(rules, [_model_gap("behov", "missing", None, "För vem?")], BYGGLOV))["behov"]
    assert asked.status == "missing" and asked.question == "För vem?"
    assert all(
        g.question for g in merge_gaps(rules, [_model_gap("behov", "partly", None)], BYGGLOV) if g.is_open
    )


def test_merge_answer_keeps_the_model_draft_and_fills_its_empty_fields_from_the_rules() -> None:
    rules = rules_only_draft(BYGGLOV, load_process(), load_checklists())
    model_draft = Draft.model_validate({"title": {"value": "Boka bygglovsrådgivning", "basis": "inferred"}})
    merged = merge_answer(rules, DraftAnswer(draft=model_draft, gaps=[]), BYGGLOV)
    assert merged.source == "model"
    assert merged.draft.title.value == "Boka bygglovsrådgivning"
    assert merged.draft.need == rules.draft.need
    assert merged.gaps == rules.gaps


def test_a_replaced_checklists_file_decides_which_items_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "checklists.yaml"
    path.write_text(
        """
kinds: [{key: ide, name: {sv: Idé, en: Idea}}]
initiative_types: [{key: annat, name: {sv: Annat, en: Other}, keywords: [bygglov]}]
checklists:
  - id: egen
    name: {sv: Egen lista, en: Own list}
    items:
      - {id: nar, label: {sv: När, en: When}, needs: {sv: Datum, en: Dates},
         question: {sv: "När då?", en: "When?"}, mandatory: true, rule: time_plan}
      - {id: vem, label: {sv: Vem, en: Who}, needs: {sv: Namn, en: Names},
         question: {sv: "Vem då?", en: "Who?"}, mandatory: false}
""",
        encoding="utf-8",
    )
    answer = rules_only_draft(BYGGLOV, load_process(), load_checklists(path))
    assert [(g.key, g.status, g.question) for g in answer.gaps] == [
        (("egen", "nar"), "missing", "När då?"),
        (("egen", "vem"), "missing", "Vem då?"),  # no rule: missing until a model quotes evidence
    ]
    assert answer.draft.initiative_type.value == "annat"


def test_hard_wrapped_lines_are_quoted_as_whole_sentences() -> None:
    from intake.drafting.rules import evaluate, unwrap

    wrapped = (
        "Idag skickar invånare in ansökan om parkeringstillstånd för rörelsehindrade på papper, och vi\n"
        "skriver in uppgifterna för hand i verksamhetssystemet. Det tar ungefär 40 minuter per ärende.\n"
        "\n"
        "- en punkt i en lista\n"
        "- en annan punkt"
    )
    joined = unwrap(wrapped)
    assert "papper, och vi skriver in uppgifterna" in joined
    assert "\n\n- en punkt i en lista\n- en annan punkt" in joined, "paragraphs and list items stay apart"
    evidence = evaluate(wrapped)["current_situation"].evidence
    assert evidence is not None and evidence.endswith("i verksamhetssystemet.")
    assert quote_in_text(evidence, wrapped), "the quote is still the submitter's words"


@pytest.mark.parametrize(
    ("text", "rule", "status"),
    [
        # a need in one sentence, who has it in the next
        ("Vi vill automatisera kontrollerna. Handläggarna gör dem för hand i dag.", "need", "covered"),
        ("Vi vill ha något bättre.", "need", "partly"),
        # which personal data, and that it is sensitive
        ("Uppgifterna är känsliga: det handlar om hälsa och diagnoser.", "personal_data", "covered"),
        ("Det finns en del personuppgifter.", "personal_data", "partly"),
        # a concrete statement of the infrastructure touched, hedged or not
        ("Modellen ska sannolikt ligga på kommunens GIS-plattform.", "shared_infrastructure", "covered"),
        ("Det handlar om nätverket eller inloggningen.", "shared_infrastructure", "partly"),
        ("Berör inte gemensam\ninfrastruktur.", "shared_infrastructure", "covered"),  # an explicit no
        ("Det blir en fristående lösning.", "shared_infrastructure", "covered"),
        # a present state put in figures
        ("Lönekontoret rättar för hand varje månad, ca 40-50 fall.", "current_situation", "covered"),
        ("Allt görs för hand.", "current_situation", "partly"),
        # a benefit needs a measure or a target; a baseline in time or money only touches it
        ("Varje kontroll tar ca 20 minuter och vi gör 350 i månaden.", "benefit", "partly"),
        ("Porto och kuvertering kostar oss runt 180 000 kr per år.", "benefit", "partly"),
        ("Målet är att halvera kötiden till under 5 minuter.", "benefit", "covered"),
        ("Det blir enklare för alla.", "benefit", "partly"),
        # a plan has dates; one season, a year or a vague deadline is partly
        ("Vi vill starta efter sommaren.", "time_plan", "partly"),
        ("Det är viktigast för 2026.", "time_plan", "partly"),
        ("Upphandling i mars 2027, införande senast 1 september.", "time_plan", "covered"),
        ("Det senaste året har vi haft två incidenter.", "time_plan", "missing"),
        # another unit working on the same thing is a dependency to coordinate, at least partly
        ("Vi har hört att andra förvaltningar tittar på samma sak.", "dependencies", "partly"),
    ],
)
def test_rules_tell_covered_from_partly(text: str, rule: str, status: str) -> None:
    from intake.drafting.rules import evaluate

    assert evaluate(text)[rule].status == status  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Vi borde införa tvåfaktorsinloggning för alla anställda.", "ide"),
        ("Timanställda får fel OB-ersättning. Det blir fel varje månad.", "problem"),
        ("Could we get one shared knowledge base for the contact centre?", "behov"),
    ],
)
def test_kind_from_the_words_people_use(text: str, kind: str) -> None:
    draft = rules_only_draft(text, load_process(), load_checklists()).draft
    assert draft.kind.value == kind


@pytest.mark.parametrize(
    ("text", "initiative_type"),
    [
        ("Passersystem på skolan\nVi behöver ett nytt system för brickorna.", "infrastruktur"),
        ("Går det att skicka breven via digital post i stället?", "e-tjanst"),
        ("Vi vill undersöka vilken välfärdsteknik som kan avlasta personalen.", "forstudie"),
        # no word says which type: a person decides (a model's answer would still win)
        ("Hemtjänstens lås krånglar hela tiden.", "needs_human"),
    ],
)
def test_initiative_type_from_the_words_people_use_or_a_person_decides(
    text: str, initiative_type: str
) -> None:
    draft = rules_only_draft(text, load_process(), load_checklists()).draft
    assert draft.initiative_type.value == initiative_type


def test_a_forwarded_mail_s_header_lines_are_not_the_idea() -> None:
    from intake.drafting.rules import evaluate

    forwarded = (
        "---------- Vidarebefordrat meddelande ----------\nFrån: Helena Ström\n"
        "Datum: 12 mars 2025 09:14\nÄmne: SV: Brev\nTill: Registrator BUF\n\nVi skickar många brev."
    )
    assert evaluate(forwarded)["time_plan"].status == "missing", "the date the mail was sent is no plan"
