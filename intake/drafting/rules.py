"""Deterministic checklist rules: they run first and always, with or without a model.

Each rule looks for Swedish (and English) words that show a checklist item is answered. A concrete
answer (a date, an amount, a measure, a named sponsor) covers the item, a mere mention covers it
partly, silence leaves it missing; the evidence is always the submitter's sentence, quoted exactly.
The text the rules see is already masked, so a placeholder such as `[PNR_1]` counts as personal data.
A model may refine these verdicts (`merge_gaps`) but may not clear one without quoting the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, get_args

from intake.domain.process import ProcessDefinition
from intake.drafting.checklists import NEEDS_HUMAN, ChecklistConfig, Choice, RuleName
from intake.drafting.schema import (
    Benefit,
    Draft,
    DraftAnswer,
    DraftField,
    Gap,
    GapStatus,
    YesNo,
    quote_in_text,
)
from intake.privacy import PLACEHOLDER

# Start of a word, not inside a placeholder such as [TELEFON_1].
_W: Final = r"(?<![\w\[])"
_PLACEHOLDER: Final = PLACEHOLDER.pattern
_MAX_QUOTE: Final = 200


def _re(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


@dataclass(frozen=True)
class _Rule:
    """Patterns for one topic: `concrete` covers the item, `mention` covers it partly."""

    mention: re.Pattern[str]
    concrete: re.Pattern[str]
    concrete_needs_mention: bool = False  # e.g. a number is a measure only beside a benefit
    beside_mention: re.Pattern[str] | None = None
    """Concrete too, but only in a sentence that also has a mention ("känsliga" beside "uppgifter")."""
    concrete_anywhere: bool = False
    """The concrete part may stand in another sentence than the mention (a need in one sentence,
    who has it in the next); the mention's sentence is quoted."""
    partly: re.Pattern[str] | None = None
    """Signs that touch the topic without ever meeting it: partly at most (what the problem costs
    today is a baseline for a benefit, not a benefit)."""


_MONTHS: Final = (
    r"januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
    r"|january|february|march|may|june|july|august|october"
)
_AMOUNT: Final = (
    r"\d[\d  .,]*\s*(?:(?:kr|kronor|sek|tkr|mkr|msek|mnkr|miljon(?:er)?|tusen|euro|eur|usd)\b|€|\$)"
)

_RULES: Final[dict[RuleName, _Rule]] = {
    "benefit": _Rule(
        mention=_re(
            _W
            + r"(?:nytt(?:a|an|or)|effekt(?:er|en)?\b|spar(?:a|ar|as)?\b|besparing|minsk|ökad|öka\b|förbättr"
            r"|snabbare|enklare|kortare|färre|frigör|underlätta|halver|mål(?:et)?\b|få ner|benefit|effects?\b"
            r"|sav(?:e|ing)|reduc|improv|faster|easier|fewer|shorter|quicker|cheaper|more consistent|halve"
            r"|target)"
        ),
        concrete=_re(
            r"\d+\s*(?:%|procent|timm|tim\b|h\b|minut|min\b|dag|veck|månad|kr\b|kronor|ärenden|samtal|hours)",
            _W
            + r"(?:mät|nyckeltal|indikator|kpi|följa upp|uppfölj|baslinje|baseline|measur|per (?:år|månad))",
        ),
        concrete_needs_mention=True,
        # a baseline in time or money ("varje kontroll tar ca 20 minuter", "kostar 180 000 kr per år")
        partly=_re(
            _AMOUNT,
            r"\d[\d  .,]*\s*(?:minuter|timmar|timme|minutes|hours)\b",
            _W + r"(?:\w+ (?:dagar|timmar|veckor) (?:varje|per|i) (?:dag|vecka|månad|år))",
        ),
    ),
    "scope": _Rule(
        mention=_re(_W + r"(?:omfatt|ingå|endast|enbart|etapp|scope|includ)"),
        concrete=_re(
            r"avgräns|omfattar inte|ingår inte|inte ingå|exkluder|utanför ramen|out of scope|not included",
            r"exclud|limited to|begränsa[sdt]? till|i första (?:steget|etappen)|first phase",
        ),
    ),
    "starting_points": _Rule(
        mention=_re(_W + r"(?:beslut|mål(?:et)?\b|uppdrag|krav|enligt|goal|requirement|according to)"),
        concrete=_re(
            r"strategi|policy|styrdokument|riktlinje|handlingsplan|fullmäktige|kommunstyrelse",
            _W
            + r"(?:beslut(?:at|ade|et)? (?:i|av|från|om)|nämnd(?:en|ens|er)?\b|lag(?:en|ar|krav|stiftning)?\b"
            r"|förordning|föreskrift|direktiv|sfs\b|decision|strateg|regulation|legal requirement|mandate)",
        ),
    ),
    "participants": _Rule(
        mention=_re(
            _W + r"(?:delta|medverk|involver|tillsammans med|engager|resurs|team|participa|involve|together)",
        ),
        concrete=_re(
            _W + r"(?:projektledare|projektgrupp|arbetsgrupp|referensgrupp|deltagare|project manager"
            r"|working group|participants)"
        ),
    ),
    "anchoring": _Rule(
        mention=_re(_W + r"(?:chef|ledning|intressent|berörda|stakeholder|management|manager)"),
        concrete=_re(
            _W + r"(?:sponsor|beställare|uppdragsgivare|förankra|styrgrupp|står bakom|har godkänt|godkänt av"
            r"|stöd (?:från|av|hos)|approved by|backed by|anchored|owner)",
            r"chef(?:en)? (?:har|är|står|stöttar|vill|godkän)",
            r"ledningsgrupp(?:en)? (?:har|är|står|stöttar|godkän)",
        ),
    ),
    "dependencies": _Rule(
        mention=_re(
            _W + r"(?:integr|system|api\b|plattform|projekt|initiativ|platform|project|robot)",
            # other work on the same thing, or a platform inside a word ("telefoniplattformen")
            r"\wplattform|samma sak|andra förvaltningar|redan gör|byggs om|same thing|other departments",
        ),
        concrete=_re(
            _W + r"(?:beroende|beror på|förutsätter|kräver att|samordn|samverk|hänger ihop med|inga beroenden"
            r"|depend|requires|coordinat)",
            r"(?:integration|integrer\w*|koppl\w*) (?:med|mot|till)|pågående (?:projekt|arbete|initiativ)",
        ),
    ),
    "time_plan": _Rule(
        # A plan has dates; a year alone, a season or one vague deadline only touches it.
        mention=_re(
            _W + r"(?:tidsplan|tidplan|tidpunkt|snart|snarast|så fort som möjligt|asap|brådsk|akut|i år\b"
            r"|nästa år|under året|deadline|time ?plan|schedule|soon|urgent|next year|this year)",
            r"(?<![\w/-])20\d\d(?![\w/-])",
            r"(?:före|innan|till|efter|vid|under|från) (?:sommaren|jul(?:en)?\b|årsskiftet|hösten|våren"
            r"|en termin|terminsstart)",
            r"(?:before|after|by|over) (?:the )?(?:summer|christmas|new year|autumn|spring|a term)",
        ),
        concrete=_re(
            r"(?<![\w/-])20\d\d-\d\d(?:-\d\d)?(?![\w/-])",
            r"\d{1,2}\s+(?:" + _MONTHS + r")\b",
            _W + rf"(?:{_MONTHS}) 20\d\d\b",
            _W + r"(?:vecka \d+|q[1-4]\b|kvartal \d|senast\b|inom \d+ (?:dagar|veckor|månader|år)"
            r"|within \d+ (?:days|weeks|months))",
            r"(?<!\w)(?-i:HT|VT)\s?\d{2,4}\b",
        ),
    ),
    "quality": _Rule(
        mention=_re(_W + r"(?:kvalitet|krav|tillgänglig|säkerhet|quality|requirement|secur)"),
        concrete=_re(
            r"kvalitetssäkr|acceptanstest|användartest|tillgänglighetskrav|informationssäkerhet|wcag",
            _W + r"(?:test(?:a|as|er|et|ning|fall)?\b|granskning|granska|säkerhetskrav|qa\b|testing"
            r"|acceptance test|accessibility)",
        ),
    ),
    "closing_meeting": _Rule(
        mention=_re(
            _W + r"(?:slutmöte|avslutsmöte|uppföljningsmöte|utvärderingsmöte|closing meeting|wrap-up)"
        ),
        concrete=_re(_W + r"(?:bokat|inbokat|planerat|booked|scheduled)", r"\d"),
        concrete_needs_mention=True,
    ),
    "need": _Rule(
        mention=_re(
            _W + r"(?:behov|behöver|problem|vill|önskar|önskemål|saknar|svårt|krångl|fungerar inte|borde"
            r"|måste|skulle|kan vi|kan man|föreslår|förslag|idé|utmaning|varför|trenger|ønsker|need|want"
            r"|lack|missing|would like|should|could we|must|keep getting|takes too)",
            _W + r"(?:tar (?:lång|mycket|för lång) tid|lägger (?:massor|mycket|en stor del))",
        ),
        concrete=_re(
            r"medborgar|invånar|vårdnadshavar|brukar|patient|företagar|besökar|medarbetar|anställd",
            r"handlägg|lärar|pedagog|personal|elev|användar|förening|privatperson|lönekontor|vikarie",
            _W + r"(?:kund|företag|föräldrar|chef|kolleg|den som|vi på|citizen|resident|student|pupil"
            r"|parent|staff|employee|teacher|user|customer|business|client)",
        ),
        concrete_needs_mention=True,
        concrete_anywhere=True,
    ),
    "current_situation": _Rule(
        mention=_re(
            _W + r"(?:manuell|papper|blankett|excel|telefon|mejl|e-post|pärm|för hand|skriver ut|skanna|fax"
            r"|kötid|väntetid|manual|paper|spreadsheet|email|phone|by hand)"
        ),
        # A present state put in figures ("tar 15-20 timmar", "varje månad, ca 40-50 fall") is concrete.
        concrete=_re(
            _W + r"(?:idag|i dag|nuläge|i dagsläget|för närvarande|just nu|hittills|fortfarande|har vi"
            r"|använder vi|currently|today|at present|we use)",
            r"\d+(?:[-–]\d+)?\s*(?:min|minuter|timmar|tim|dagar|gånger|fall|ärenden|samtal|brev|minutes"
            r"|hours|days|times|cases)\b",
            _W + r"(?:varje|var) (?:dag|vecka|månad|termin|år)\b|" + _W + r"every (?:day|week|month|year)\b",
        ),
    ),
    "cost": _Rule(
        mention=_re(
            _W + r"(?:kostnad|kostar|pris|budget|finansier|licens|avgift|billig|dyr|pengar|medel\b|cost|price"
            r"|fund|licen|fee|money|expensive|cheap)"
        ),
        concrete=_re(
            _AMOUNT,
            r"2\s?%-?(?:medel|aren|fonden)|egen budget|befintlig budget|inom ramen|funded by|financed by",
            r"finansier(?:as|at|ing) (?:via|genom|av|med|från|inom)",
        ),
    ),
    "shared_infrastructure": _Rule(
        mention=_re(
            r"nätverk|inloggning|plattform|integration|integrer|behörighet|katalogtjänst|e-arkiv|ekonomisystem",
            _W
            + r"(?:api\b|wifi|wi-fi|bredband|fiber|e-legitimation|e-leg\b|bankid|freja|siths|active directory"
            r"|azure ad|entra\b|single sign-on|sso\b|identitet|intranät|microsoft 365|m365|office 365|teams\b"
            r"|sharepoint|server|datacenter|moln|lagring|brandvägg|växel|hr-system|network|platform|login"
            r"|authentication|cloud|storage|firewall|e-id\b|mdm\b|digital post|uppkoppl|ssbtek|journalsystem"
            r"|journalen\b|mobile device management)",
            r"(?<![\w\[])(?-i:AD)\b",
        ),
        # An explicit "no": the item is answered, and the answer is that nothing shared is touched.
        # A concrete statement of what is touched covers the item too, hedged or not ("ska sannolikt
        # ligga på kommunens GIS-plattform"); a bare mention of a platform is partly.
        concrete=_re(
            r"(?:ingen|inga|utan) (?:integration|koppling|påverkan på)|berör inte",
            r"fristående (?:lösning|system)",
            r"stand-?alone|no integration",
        ),
        beside_mention=_re(
            _W + r"(?:berör|kopplad|kopplat|ligg(?:a|er) på|byggs i|körs på|runs on|connected to)"
        ),
    ),
    "personal_data": _Rule(
        mention=_re(
            r"personuppgift|personnummer|samordningsnummer|elevuppgift|hälsouppgift|känsliga uppgifter",
            r"kontaktuppgift|e-postadress|telefonnummer|konsekvensbedömning|skyddad identitet",
            _W + r"(?:hälsa|journal|patient|diagnos|sekretess|elevdata|betyg|frånvaro|bistånd|socialtjänst"
            r"|adress|gdpr|dataskydd|dpia|personal data|social security|health|medical)",
            _PLACEHOLDER,
        ),
        # Naming who is responsible answers the item's hardest question (personuppgiftsansvarig).
        # Saying which personal data, and that it is sensitive or secret, answers the item as well.
        concrete=_re(
            r"(?:inga|inte några|utan) personuppgifter|no personal data|anonymiser|anonymi[sz]ed",
            r"personuppgiftsansvarig (?:är|blir)|data controller is",
        ),
        beside_mention=_re(_W + r"(?:känslig|sekretess|personnummer|inkomst|diagnos|sensitive|confidential)"),
    ),
    "risks": _Rule(
        mention=_re(_W + r"(?:osäker|problem|svårt|kan bli|utmaning|concern|uncertain)"),
        concrete=_re(
            _W + r"(?:risk|sårbar|hot mot|i värsta fall|annars|threat|if nothing|otherwise)",
            _W + r"(?:om (?:vi|ni|man) inte|om inget görs|om ingenting görs)",
        ),
    ),
}
assert set(_RULES) == set(get_args(RuleName)), "every rule a checklist may name must exist"


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on one topic and the submitter's sentence that supports it."""

    status: GapStatus
    evidence: str | None


_LIST_ITEM: Final = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s")
_WRAP_MIN: Final = 40
"""A line at least this long that ends without punctuation was wrapped by the mail program."""


def unwrap(text: str) -> str:
    """Join lines that a mail program wrapped mid-sentence; keep paragraphs and list items apart.

    "…på papper, och vi\nskriver in uppgifterna…" is one sentence: quoting only its first line
    would cut the submitter off mid-clause. A line is joined with the next when it is long, ends
    without a full stop, question mark, exclamation mark, colon or semicolon, and the next line
    is neither blank nor a list item. The joined text differs from the original only in white
    space, which quotes are compared without (`quote_in_text`).
    """
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        if (
            out
            and line.strip()
            and len(previous.strip()) >= _WRAP_MIN
            and not re.search(r"[.!?:;]\s*$", previous)
            and not _LIST_ITEM.match(line)
            and not _LIST_ITEM.match(previous)
        ):
            out[-1] = f"{previous.rstrip()} {line.strip()}"
        else:
            out.append(line)
    return "\n".join(out)


_MAIL_HEADER: Final = re.compile(
    r"^\s*(?:-{3,}.*|(?:från|datum|skickat|till|kopia|from|sent|date|to|cc)\s*:.*)$", re.IGNORECASE
)
"""A forwarded mail's header line or separator: who sent it when is not what the idea says."""


def _sentences(text: str) -> list[str]:
    body = "\n".join(line for line in text.split("\n") if not _MAIL_HEADER.match(line))
    parts = re.split(r"(?<=[.!?])\s+|\s*\n\s*", unwrap(body))
    return [p.strip() for p in parts if p.strip()]


def _quote(sentence: str, match: re.Match[str]) -> str:
    """Return the sentence, or a stretch of it around the match when it is long; always a substring."""
    if len(sentence) <= _MAX_QUOTE:
        return sentence
    start = max(0, match.start() - _MAX_QUOTE // 2)
    end = min(len(sentence), start + _MAX_QUOTE)
    if start > 0 and " " in sentence[start:end]:
        start = sentence.index(" ", start) + 1
    if end < len(sentence) and " " in sentence[start:end]:
        end = sentence.rindex(" ", start, end)
    return sentence[start:end].strip()


def _judge(rule: _Rule, sentences: list[str]) -> Finding:
    if rule.concrete_anywhere and any(rule.concrete.search(s) for s in sentences):
        for sentence in sentences:
            if found := rule.mention.search(sentence):
                return Finding("covered", _quote(sentence, found))
    for sentence in sentences:
        found = rule.concrete.search(sentence)
        if found and (not rule.concrete_needs_mention or rule.mention.search(sentence)):
            return Finding("covered", _quote(sentence, found))
        beside = rule.beside_mention.search(sentence) if rule.beside_mention else None
        if beside and rule.mention.search(sentence):
            return Finding("covered", _quote(sentence, beside))
    for sentence in sentences:
        found = rule.mention.search(sentence) or (rule.partly.search(sentence) if rule.partly else None)
        if found:
            return Finding("partly", _quote(sentence, found))
    return Finding("missing", None)


def evaluate(text: str) -> dict[RuleName, Finding]:
    """Run every rule on `text` (already masked) and return each rule's finding."""
    sentences = _sentences(text)
    return {name: _judge(rule, sentences) for name, rule in _RULES.items()}


def rule_gaps(
    text: str,
    checklists: ChecklistConfig,
    language: str = "sv",
    findings: dict[RuleName, Finding] | None = None,
) -> list[Gap]:
    """Return one gap per configured checklist item as the rules see it, with questions in `language`.

    An item that names no rule is missing until a model quotes evidence for it.
    """
    findings = evaluate(text) if findings is None else findings
    gaps = []
    for checklist in checklists.checklists:
        for item in checklist.items:
            finding = findings[item.rule] if item.rule else Finding("missing", None)
            question = None if finding.status == "covered" else item.ask(finding.status, language)
            gaps.append(
                Gap(
                    checklist_id=checklist.id,
                    item_id=item.id,
                    status=finding.status,
                    evidence=finding.evidence,
                    question=question,
                    source="rules",
                )
            )
    return gaps


_RANK: Final[dict[GapStatus, int]] = {"missing": 0, "partly": 1, "covered": 2}


def merge_gaps(rule_gaps: list[Gap], model_gaps: list[Gap], text: str) -> list[Gap]:
    """Combine the rules' gaps with a model's: the model adds nuance, the rules keep the floor.

    The model may lower a verdict or reword the question; reopening an item the rules found covered
    needs a question of its own, so that every open item has one. It may raise a verdict (missing to
    partly or covered, partly to covered) only when its evidence occurs in `text`; otherwise the
    rule's verdict stands. Only items the rules judged are kept, in the rules' order.
    """
    by_key: dict[tuple[str, str], Gap] = {}
    for gap in model_gaps:
        by_key.setdefault(gap.key, gap)
    merged = []
    for rule in rule_gaps:
        model = by_key.get(rule.key)
        if model is None:
            merged.append(rule)
            continue
        evidence = model.evidence if model.evidence and quote_in_text(model.evidence, text) else None
        raises_without_evidence = _RANK[model.status] > _RANK[rule.status] and evidence is None
        reopens_without_question = rule.status == "covered" and model.is_open and not model.question
        if raises_without_evidence or reopens_without_question:
            merged.append(rule)
            continue
        question = None if model.status == "covered" else (model.question or rule.question)
        merged.append(
            rule.model_copy(
                update={
                    "status": model.status,
                    "evidence": evidence or rule.evidence,
                    "question": question,
                    "source": "model",
                }
            )
        )
    return merged


def merge_answer(rules: DraftAnswer, model: DraftAnswer, text: str) -> DraftAnswer:
    """Return the model's draft, with fields it left empty taken from the rules, and the merged gaps."""
    fill = {
        name: getattr(rules.draft, name) for name in Draft.model_fields if getattr(model.draft, name).empty
    }
    return DraftAnswer(
        draft=model.draft.model_copy(update=fill),
        gaps=merge_gaps(rules.gaps, model.gaps, text),
        source="model",
    )


_HEADER: Final = re.compile(
    r"^\s*(?:ämne|subject|rubrik|titel|title)\s*:\s*(?:(?:sv|re|fwd?|vb)\s*:\s*)*(?P<title>\S.*)$",
    re.IGNORECASE,
)
_MAX_TITLE: Final = 100

# Draft fields that take the submitter's sentence when a rule finds one.
_TEXT_FIELDS: Final[dict[str, RuleName]] = {
    "need": "need",
    "current_situation": "current_situation",
    "time_plan": "time_plan",
    "cost_estimate": "cost",
}
_LIST_FIELDS: Final[dict[str, RuleName]] = {
    "scope_limits": "scope",
    "starting_points": "starting_points",
    "dependencies": "dependencies",
    "stakeholders": "anchoring",
    "risks": "risks",
}


def _title(text: str) -> DraftField[str]:
    """Take the subject line as stated, or else the first line as inferred, cut at a word."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    header = _HEADER.match(line)
    words = (header.group("title") if header else line).strip()
    if not words:
        return DraftField[str]()
    cut = words if len(words) <= _MAX_TITLE else words[: _MAX_TITLE + 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
    value = cut if cut == words else cut + "…"
    return DraftField[str](value=value, basis="stated" if header else "inferred", quote=cut)


def _choose(choices: list[Choice], sentences: list[str], *, undecided: str | None = None) -> DraftField[str]:
    """Infer the choice whose keyword comes first in the text; `undecided` (else empty) when none appears."""
    best: tuple[tuple[int, int], Choice, str] | None = None
    for at, sentence in enumerate(sentences):
        for choice in choices:
            pattern = choice.keyword_pattern()
            found = pattern.search(sentence) if pattern else None
            if found and (best is None or (at, found.start()) < best[0]):
                best = ((at, found.start()), choice, _quote(sentence, found))
    if best is None:
        return DraftField[str](value=undecided, basis="inferred") if undecided else DraftField[str]()
    return DraftField[str](value=best[1].key, basis="inferred", quote=best[2])


def _focus_area(process: ProcessDefinition, text: str) -> DraftField[str]:
    for area in process.focus_areas:
        for name in (area.name.sv, area.name.en):
            if quote_in_text(name, text):
                return DraftField[str](value=area.key, basis="stated", quote=name)
    return DraftField[str]()


def _yes_no(finding: Finding) -> DraftField[YesNo]:
    """A mention means yes (inferred from the words); an explicit negation means no, as stated."""
    if finding.status == "partly":
        return DraftField[YesNo](value="yes", basis="inferred", quote=finding.evidence)
    if finding.status == "covered":
        return DraftField[YesNo](value="no", basis="stated", quote=finding.evidence)
    return DraftField[YesNo]()


def rules_only_draft(
    text: str, process: ProcessDefinition, checklists: ChecklistConfig, language: str = "sv"
) -> DraftAnswer:
    """Draft without a model: the title, the submitter's own sentences the rules found, and the gaps.

    Everything else stays empty; the answer is marked `source="rules"` so that it is drafted again
    when a model is available.
    """
    findings = evaluate(text)
    sentences = _sentences(text)
    fields: dict[str, DraftField[Any]] = {}
    for name, rule in _TEXT_FIELDS.items():
        if (evidence := findings[rule].evidence) is not None:
            fields[name] = DraftField[str](value=evidence, basis="stated", quote=evidence)
    for name, rule in _LIST_FIELDS.items():
        if (evidence := findings[rule].evidence) is not None:
            fields[name] = DraftField[list[str]](value=[evidence], basis="stated", quote=evidence)
    if (evidence := findings["benefit"].evidence) is not None:
        benefits = [Benefit(effect=evidence)]
        fields["benefits"] = DraftField[list[Benefit]](value=benefits, basis="stated", quote=evidence)
    draft = Draft.model_validate(
        {
            **fields,
            "title": _title(text),
            "kind": _choose(checklists.kinds, sentences),
            # no word names the type: say that a person must decide (a model's answer still wins)
            "initiative_type": _choose(checklists.initiative_types, sentences, undecided=NEEDS_HUMAN),
            "focus_area": _focus_area(process, text),
            "shared_infrastructure": _yes_no(findings["shared_infrastructure"]),
            "personal_data": _yes_no(findings["personal_data"]),
        }
    )
    gaps = rule_gaps(text, checklists, language, findings)
    return DraftAnswer(draft=draft, gaps=gaps, source="rules")
