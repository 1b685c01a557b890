"""``imr_roles``: who a COUNT or DATE belongs to, from the nearest role words in its sentence.

COUNT roles: requested, prior (completed / approved before), guideline (what a guideline allows); a
COUNT is also linked to the treatment it counts and to the year or date it happened. DATE roles:
injury, utilization_review, surgery, visit.

A role word means what its part of the letter makes it mean: in the case summary, which narrates the case,
"recommended" and "trial of" state the treating physician's plan (a request) unless the sentence names a
guideline ("The guidelines recommend ..."), and the words that only shape a course ("up to", "over",
"maximum", "allowed") name no one's rule; everywhere else they are a guideline's (``roles.jsonl`` gives those
words the ids ``plan`` and ``course``, the words naming a guideline ``guideline``).
"""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp_pipeline.extraction.components._spans import group
from nlp_pipeline.extraction.extensions import SPANS_KEY, TRIGGERS_KEY

COUNT_ROLES = ("requested", "prior", "guideline")
DATE_ROLES = ("injury", "utilization_review", "surgery", "visit")
_CONTEXT = {"office_visit", "surgery_related"}  # words that qualify another service ("evaluation and 6 visits")
_YEAR = re.compile(r"\A(?:19[89]\d|20[0-4]\d)\Z")


@Language.factory("imr_roles", default_config={"before": 12, "after": 5}, requires=["doc.spans"],
                  assigns=["span._.imr_role"])
def make_roles(nlp: Language, name: str, before: int, after: int) -> "RoleTagger":
    """Create the component; role words reach ``before`` tokens forward and ``after`` tokens back."""
    return RoleTagger(before, after)


class RoleTagger:
    """Sets ``imr_role`` on COUNT and DATE spans, ``imr_treatment`` and year/date on COUNTs."""

    def __init__(self, before: int, after: int):
        self.before, self.after = before, after

    def __call__(self, doc: Doc) -> Doc:
        spans = list(group(doc, SPANS_KEY))
        triggers = role_readings(doc, [t for t in group(doc, TRIGGERS_KEY) if t.label_.startswith("ROLE_")])
        treatments = [s for s in spans if s.label_ == "TREATMENT"]
        dates = [s for s in spans if s.label_ == "DATE"]
        for span in spans:
            if span.label_ == "COUNT":
                span._.imr_role = self.count_role(doc, span, triggers)
                span._.imr_treatment = linked_treatment(span, treatments)
                _attach_when(doc, span, dates)
            elif span.label_ == "DATE":
                span._.imr_role = self.nearest_role(span, triggers, DATE_ROLES)
        return doc

    def count_role(self, doc: Doc, span: Span, triggers: list[tuple[Span, str]]) -> str | None:
        """Role of a COUNT: a heading requests; a range over weeks in a guideline line is a guideline."""
        region = doc._.imr_region
        if region == "heading":
            return "requested"
        value = span._.imr_value or {}
        if region in ("maximus_guideline", "rationale") and "weeks" in value and "per_week" not in value:
            return "guideline"
        role = self.nearest_role(span, triggers, COUNT_ROLES)
        if role is None and region == "summary":
            sentence = span.sent
            asked = any(role == "requested" and sentence.start <= t.start < span.start for t, role in triggers)
            return "requested" if asked else "prior"
        return role

    def nearest_role(self, span: Span, triggers: list[tuple[Span, str]], roles: tuple[str, ...]) -> str | None:
        """The role of the nearest role word in the same sentence, within the reach."""
        best = None
        sentence = span.sent if span.doc.has_annotation("SENT_START") else span.doc[:]
        for trigger, role in triggers:
            if role not in roles or not (sentence.start <= trigger.start < sentence.end):
                continue
            if trigger.end <= span.start:
                distance = span.start - trigger.end
                reach = self.before
            elif trigger.start >= span.end:
                distance = trigger.start - span.end
                reach = self.after
            else:
                continue
            if distance > reach:
                continue
            distance += 3 if role == "visit" else 0  # "dated" is weaker than "injured" or "review"
            if best is None or distance < best[0]:
                best = (distance, role)
        return best[1] if best else None


_GOVERNS = 3  # tokens between a prior word and the plan word it makes past ("completed an initial trial of")


def role_readings(doc: Doc, triggers: list[Span]) -> list[tuple[Span, str]]:
    """Each role word of a doc with the role it gives there (see the module docstring): in the case summary a
    ``plan`` word is the physician's request unless its sentence names a guideline ("The guidelines
    recommend ...") or a prior word just before it makes the plan past ("completion of an initial trial of
    six sessions": the trial was had), and a ``course`` word gives none."""
    def role(trigger: Span) -> str:
        return trigger.label_[5:].lower()

    if doc._.imr_region != "summary":
        return [(t, role(t)) for t in triggers]
    sentenced = doc.has_annotation("SENT_START")
    naming = {t.sent.start if sentenced else 0 for t in triggers if t.id_ == "guideline"}
    past = [t for t in triggers if t.id_ == "prior"]

    def plan_role(trigger: Span) -> str:
        if any(0 <= trigger.start - p.end <= _GOVERNS for p in past):
            return "prior"
        return role(trigger) if (trigger.sent.start if sentenced else 0) in naming else "requested"

    return [(t, plan_role(t) if t.id_ == "plan" else role(t)) for t in triggers if t.id_ != "course"]


def linked_treatment(count: Span, treatments: list[Span]) -> str | None:
    """The pattern id (``category|name``) of the treatment a COUNT counts, in its sentence."""
    sentence = count.sent if count.doc.has_annotation("SENT_START") else count.doc[:]
    same = [t for t in treatments if sentence.start <= t.start < sentence.end]
    inside = [t for t in same if count.start <= t.start and t.end <= count.end]
    inside = [t for t in inside if t.id_.partition("|")[0] not in _CONTEXT] or inside  # "24 postoperative PT visits"
    if inside:
        return inside[0].id_
    after = [t for t in same if 0 <= t.start - count.end <= 4]
    after = [t for t in after if t.id_.partition("|")[0] not in _CONTEXT] or after
    before = [t for t in same if t.end <= count.start]
    specific = [t for t in before if t.id_.partition("|")[0] not in _CONTEXT and count.start - t.end <= 8]
    before = specific or before
    following_of = count.end < len(count.doc) and count.doc[count.end].lower_ == "of"
    chosen = after[0] if after and following_of else (before[-1] if before else None)
    if chosen is None:
        chosen = after[0] if after else next((t for t in same if t.start >= count.end), None)
    return chosen.id_ if chosen is not None else None


def _attach_when(doc: Doc, count: Span, dates: list[Span]) -> None:
    """Record the year or date that follows a count closely ("8 sessions of PT in 2012")."""
    value = count._.imr_value
    if value is None:
        return
    for token in doc[count.end:min(len(doc), count.end + 7)]:
        if token.text in (".", ";"):
            break
        if _YEAR.match(token.text):
            value["year"] = int(token.text)
            return
        date = next((d for d in dates if d.start == token.i), None)
        if date is not None:
            value["date"] = date._.imr_value["date"]
            return
