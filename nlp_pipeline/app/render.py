"""Standalone HTML views of a letter, its extracted facts and its predictions (displaCy-style highlights, no
external resources: the pages work opened from disk, with their style and the index's script inline)."""
from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Any, Iterable

from nlp_pipeline.explain.labels import change_text
from nlp_pipeline.explain.qa import condition_question, short_flag
from nlp_pipeline.explain.reasons import short_quote
from nlp_pipeline.facts.recommendations import conditions as guideline_conditions
from nlp_pipeline.facts.recommendations import entry_by_id
from nlp_pipeline.types import Allowance, Amount

LABEL_COLOURS = {
    "TREATMENT": "#7aecec", "COUNT": "#feca74", "DATE": "#bfe1d9", "GUIDELINE": "#c9bffd",
    "CITATION": "#ddb8fc", "BODY_PART": "#ffeb80", "DIAGNOSIS": "#ffb48f", "CUE": "#e4e7d2",
    "VERDICT": "#f0a6c4", "FINDING": "#9be7a0",
}
LABEL_WORDS = {
    "TREATMENT": "a treatment named", "COUNT": "a count or amount", "DATE": "a date", "GUIDELINE": "a guideline",
    "CITATION": "a guideline citation", "BODY_PART": "a body part", "DIAGNOSIS": "a diagnosis",
    "CUE": "a cue word (negation, hedging, history)", "VERDICT": "the rationale's verdict",
    "FINDING": "an objective finding",
}
# one colour per outcome on every page and in every plot (the notebooks use it too); colour-blind safe, and
# white text on either passes WCAG AA
OUTCOME_COLOURS = {"Upheld": "#a85400", "Overturned": "#1f6fb2"}
OUTCOME_WORDS = {"Upheld": "the utilization review denial stands: the treatment stays denied",
                 "Overturned": "the denial is reversed: the treatment is found medically necessary"}
# the guideline's reading of a request in plain words (ItemFacts.recommendation; docs/how-it-works/guidelines.md)
STATUS_WORDS = {"recommended": "recommended", "conditional": "recommended only when the conditions below are met",
                "not_recommended": "not recommended", "not_addressed": "not addressed"}
CONTEXT_WORDS = {"chronic": "for chronic pain", "acute": "in acute care", "post_surgical": "after surgery"}
STATE_WORDS = {"documented": "documented", "contradicted": "said not to be met", "not_mentioned": "not mentioned"}
STATE_SIGNS = {"documented": "✓", "contradicted": "✗", "not_mentioned": "–"}
# what the rationale states of a condition (Prediction.rationale_conditions: draft mode)
RATIONALE_STATE_WORDS = {"documented": "met", "contradicted": "not met"}
FONT_STACK = ('system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", "DejaVu Sans", '
              "Arial, sans-serif")
# characters PDF text brings that common fonts draw as a missing-glyph box: pdfium writes U+FFFE for a hyphen
# ("evidence\ufffebased"), some letters a non-breaking hyphen (U+2011). Shown as "-", one character for one, so
# every offset still points at the same character.
_DISPLAY = str.maketrans({"\ufffe": "-", "\u2011": "-", "\ufeff": " "})

_CSS = """
* { box-sizing: border-box; }
body { font-family: %(font)s; line-height: 1.55; color: #1f1f1f; background: #fafafa;
       max-width: 62em; margin: 1.5em auto; padding: 0 1em; overflow-wrap: break-word; }
body.wide { max-width: 110em; }
h1 { font-size: 1.6em; } h1, h2, h3 { line-height: 1.25; } h2 { font-size: 1.3em; } h3 { font-size: 1.05em; }
a { color: #0b57a4; } a:visited { color: #5b2a86; }
:focus-visible { outline: 3px solid #0b57a4; outline-offset: 2px; }
button, input, select, textarea { font: inherit; }
button { background: #0b57a4; color: #fff; border: 0; border-radius: 4px; padding: 0.4em 0.9em; cursor: pointer; }
button.plain { background: none; color: inherit; padding: 0; font-weight: bold; text-align: left; }
button:focus-visible { outline: 3px solid #1f1f1f; }
.meta { color: #4d4d4d; }
.block { background: #fff; border: 1px solid #d6d6d6; border-radius: 6px; padding: 0.8em 1.1em; margin: 1.1em 0; }
.text p { margin: 0 0 0.7em; }
.scroll { overflow-x: auto; max-width: 100%%; }
table.facts { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.92em; }
table.facts th, table.facts td { border: 1px solid #d6d6d6; padding: 0.25em 0.6em; text-align: left;
                                 vertical-align: top; }
table.facts th { background: #f0f0f0; }
mark, .sample { color: inherit; padding: 0.1em 0.25em; margin: 0 0.05em; border-radius: 0.3em; line-height: 1.9;
       -webkit-box-decoration-break: clone; box-decoration-break: clone; }
.imr-label, .what-if-label { font-size: 0.68em; font-weight: bold; text-transform: uppercase;
                             vertical-align: middle; margin-left: 0.35em; color: #1f1f1f; }
.sample.toward-overturned, mark.toward-overturned { background: #d3e5f8; outline: 2px solid #1f6fb2; }
.sample.toward-upheld, mark.toward-upheld { background: #fbdcc0; outline: 2px solid #a85400; }
.sample.toward-both, mark.toward-both { background: #e8e1f3; outline: 2px solid #6b4f9a; }
.sample.negated, mark.negated { text-decoration: line-through; }
.sample.verdict, mark.verdict { background: #f6c9dc; outline: 2px solid #8e2457; font-weight: bold; }
.what-if { text-decoration: underline dashed #6b5300; text-decoration-thickness: 2px; text-underline-offset: 4px;
           background-image: repeating-linear-gradient(135deg, rgba(255, 215, 0, 0.3) 0 5px, transparent 5px 10px); }
.what-if-label { background: #fff0a8; color: #3d3000; border: 1px dashed #6b5300; border-radius: 0.3em;
                 padding: 0 0.25em; text-decoration: none; display: inline-block; }
.swatch { display: inline-block; min-width: 2.2em; padding: 0 0.3em; margin-right: 0.4em; border-radius: 0.3em;
          text-align: center; }
.legend dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.35em 0.8em; margin: 0.4em 0; }
.legend dt { font-weight: normal; } .legend dd { margin: 0; }
.badge { display: inline-block; white-space: nowrap; color: #fff; font-weight: bold; border-radius: 1em; padding: 0.1em 0.75em; }
.badge-upheld { background: %(upheld)s; } .badge-overturned { background: %(overturned)s; }
.outcome-words { margin-left: 0.4em; }
.pbar { position: relative; display: inline-block; vertical-align: middle; width: 14em; max-width: 100%%;
        height: 0.9em; background: #e4e4e4; border: 1px solid #8a8a8a; border-radius: 3px; }
.pbar .fill { position: absolute; left: 0; top: 0; bottom: 0; background: %(overturned)s; border-radius: 2px; }
.pbar .usual { position: absolute; top: -0.3em; bottom: -0.3em; width: 0; border-left: 2px solid #1f1f1f; }
.pbar .cut { position: absolute; top: -0.3em; bottom: -0.3em; width: 0; border-left: 2px dotted #8e2457; }
.pbar.small { width: 7em; }
.pline { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3em 0.8em; }
.key-usual { display: inline-block; width: 0; height: 1.1em; border-left: 2px solid #1f1f1f; margin: 0 0.6em;
             vertical-align: middle; }
.key-cut { display: inline-block; width: 0; height: 1.1em; border-left: 2px dotted #8e2457; margin: 0 0.6em;
           vertical-align: middle; }
ol.what-if-list li.flips { font-weight: bold; }
ul.checklist { list-style: none; padding: 0; margin: 0.4em 0 0.8em; }
ul.checklist li { border-left: 4px solid #8a8a8a; padding: 0.2em 0 0.2em 0.6em; margin: 0.45em 0; }
ul.checklist li.cond-documented { border-left-color: #2e7d32; }
ul.checklist li.cond-contradicted { border-left-color: #b0281a; }
ul.checklist .state { display: block; font-weight: bold; }
ul.checklist .cond-documented .state { color: #1e5e22; } ul.checklist .cond-contradicted .state { color: #8f1f14; }
ul.checklist .cond-what-if { display: block; color: #4d4d4d; }
ul.checklist .cond-rationale { display: block; }
ul.checklist .cond-question { display: block; margin: 0.25em 0; }
.sample.condition-documented, mark.condition-documented, .imr-cue.condition-documented {
    background: #dcefdc; outline: 2px solid #2e7d32; }
.sample.condition-contradicted, mark.condition-contradicted, .imr-cue.condition-contradicted {
    background: #f8dcd8; outline: 2px dashed #b0281a; }
.imr-cue { padding: 0 0.15em; border-radius: 0.25em; -webkit-box-decoration-break: clone; box-decoration-break: clone; }
mark:target, .imr-cue:target { outline-width: 4px; }
mark[id], .imr-cue[id] { scroll-margin-top: 30vh; }  /* a link lands on the words with the text before them in view */
.qa-contradiction { background: #fde2e2; border-left: 4px solid #b0281a; padding: 0.4em 0.6em; }
.qa-question { background: #fff4d6; border-left: 4px solid #8a6500; padding: 0.4em 0.6em; }
ul.reasons li.balance { color: #4d4d4d; }
tr.stance-for td:first-child { background: #d3e5f8; }
tr.stance-against td:first-child { background: #fbdcc0; }
.counts { display: flex; flex-wrap: wrap; gap: 0.5em 1.5em; padding: 0; list-style: none; }
.counts strong { font-size: 1.3em; }
.filters { display: flex; flex-wrap: wrap; gap: 0.5em 1.2em; align-items: center; }
.filters input[type=search] { min-width: 14em; padding: 0.2em 0.4em; }
table.index tr.flag-contradiction td { background: #fde2e2; }
table.index tr.flag-question td { background: #fff4d6; }
table.index tr.failed td { color: #8e2457; }
table.index th[aria-sort=ascending] button::after { content: " \\25B2"; }
table.index th[aria-sort=descending] button::after { content: " \\25BC"; }
table.index td.num, table.index td.nowrap { white-space: nowrap; }
table.index td.item { min-width: 14em; }
@media (max-width: 40em) {
  body { padding: 0 0.6em; }
  .legend dl { grid-template-columns: 1fr; gap: 0.1em; } .legend dd { margin-bottom: 0.5em; }
  table.index, table.index tbody, table.index tr, table.index td { display: block; }
  table.index thead tr { display: flex; flex-wrap: wrap; gap: 0.2em; }
  table.index thead th { border: 1px solid #d6d6d6; }
  table.index tbody tr { border: 1px solid #bdbdbd; margin: 0.6em 0; }
  table.index td { border: 0; border-bottom: 1px solid #e6e6e6; }
  table.index td.item { min-width: 0; }
  table.index td[data-label]::before { content: attr(data-label) ": "; font-weight: bold; }
  table.index td:empty { display: none; }
}
""" % {"font": FONT_STACK, "upheld": OUTCOME_COLOURS["Upheld"], "overturned": OUTCOME_COLOURS["Overturned"]}


def _style() -> str:
    rules = "".join(f".sample.imr-{label}, mark.imr-{label} {{ background: {colour}; }}\n"
                    for label, colour in LABEL_COLOURS.items())
    return _CSS + rules


def display_text(text: str) -> str:
    """``text`` as a page shows it: the characters fonts lack (:data:`_DISPLAY`) drawn as "-", same length."""
    return text.translate(_DISPLAY)


def select_spans(spans: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Non-overlapping spans in text order: a verdict first, then a span marked ``first`` (a guideline condition the
    checklist links to), then the longest (then earliest) wins; overlapping ones are dropped."""
    kept: list[dict[str, Any]] = []
    for span in sorted(spans, key=lambda s: (s["label"] != "VERDICT", not s.get("first"), -(s["end"] - s["start"]),
                                             s["start"])):
        if span["end"] <= span["start"]:
            continue
        if all(span["end"] <= k["start"] or span["start"] >= k["end"] for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s["start"])


_HEADING = re.compile(r"(?:Claims Administrator guideline|MAXIMUS guideline|Decision rationale|"
                      r"[A-Z][A-Z0-9 ,&/()'-]{5,}$)")


def paragraph_breaks(text: str) -> list[tuple[int, int]]:
    """Where ``text`` (a letter as read, its PDF lines kept) breaks into paragraphs: the ``(start, end)`` of each
    whitespace run between two paragraphs. A PDF line ends its paragraph when a blank line follows, when it is
    short against the text's usual line (the last line of a paragraph), or when the next line is a heading
    ("Decision rationale:", a line in capitals); a text whose lines are long (a paragraph a line) breaks at every
    line. Every other line break is a space, as the line is a printed page's, not the writer's."""
    # the line ends: each "\n" and the whitespace around it
    runs = [(m.start(), m.end()) for m in re.finditer(r"[ \t]*\n\s*", text)]
    if not runs:
        return []
    lengths = sorted(len(line.strip()) for line in text.split("\n") if line.strip())
    width = lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0
    every_line = width > 160  # not a printed page's lines
    breaks = []
    for start, end in runs:
        before = text[text.rfind("\n", 0, start) + 1:start].strip()
        after_end = text.find("\n", end)
        after = text[end:after_end if after_end >= 0 else len(text)].strip()
        if (every_line or text.count("\n", start, end) > 1 or not before or len(before) < 0.7 * width
                or _HEADING.match(after) or _HEADING.fullmatch(before)):
            breaks.append((start, end))
    return breaks


def _segment_html(fragment: str, paragraphs: bool) -> str:
    fragment = escape(display_text(fragment))
    return re.sub(r"[ \t]*\n[ \t]*", " ", fragment) if paragraphs else fragment.replace("\n", "<br>\n")


def highlight_html(text: str, spans: list[dict[str, Any]], edits: Iterable[dict[str, Any]] = (),
                   paragraphs: bool = False, cues: Iterable[dict[str, Any]] = ()) -> str:
    """``text`` as escaped HTML with each span wrapped in ``<mark class="imr-LABEL">`` and each edit (a what-if
    edit) underlined in a ``<span class="what-if">`` of its own, so that an edit shows where evidence is marked too.

    Each span dict has ``start``, ``end``, ``label`` and optionally ``title`` (tooltip), ``css`` (extra class),
    ``id`` (the mark's, for a link to it) and ``first`` (kept over the spans it overlaps);
    spans outside the text are clipped, overlapping spans resolved by :func:`select_spans`. Each edit dict has
    ``start``, ``end``, ``label`` and ``title``; edits may overlap each other and the spans; an edit that inserts
    (``start == end``) is a marker at its place. ``paragraphs``: the text reflowed into ``<p>`` paragraphs
    (:func:`paragraph_breaks`); else newlines become ``<br>``. Each cue dict (the words of a draft's rationale that
    state a guideline condition) has ``start``, ``end``, ``label``, ``css``, ``title`` and ``id``: it is marked in a
    ``<span class="imr-cue">`` of its own inside whatever mark holds it, so it never hides the evidence around it;
    its id stands on its first piece.
    """
    n = len(text)
    clip = lambda s: dict(s, start=max(0, min(n, s["start"])), end=min(n, max(0, s["end"])))  # noqa: E731
    kept = select_spans(clip(s) for s in spans)
    edits = [clip(e) for e in edits]
    cues = [c for c in (clip(c) for c in cues) if c["end"] > c["start"]]
    breaks = paragraph_breaks(text) if paragraphs else []
    points = {0, n}
    for item in (*kept, *edits, *cues):
        points.update((item["start"], item["end"]))
    for start, end in breaks:
        points.update((start, end))
    points = sorted(points)
    in_break = {a for start, end in breaks for a in points if start <= a < end}
    segments = [(a, b) for a, b in zip(points, points[1:]) if b > a and a not in in_break]
    last_of = {}  # id of a span, an edit or a cue → the index of the last segment it covers
    first_of = {}  # id of a cue → the index of the first
    for index, (a, b) in enumerate(segments):
        for item in (*kept, *edits, *cues):
            if item["start"] < b and a < item["end"]:
                last_of[id(item)] = index
                first_of.setdefault(id(item), index)
    out: list[str] = []
    open_span: dict[str, Any] | None = None  # the mark being written: one element across the edits inside it

    def close(index: int) -> None:
        nonlocal open_span
        if open_span is not None:
            if last_of.get(id(open_span)) == index:
                out.append(f'<span class="imr-label">{escape(str(open_span["label"]))}</span>')
            out.append("</mark>")
            open_span = None

    done_break: set[tuple[int, int]] = set()
    for index, (a, b) in enumerate(segments):
        passed = [br for br in breaks if br[1] <= a and br not in done_break]
        span = next((s for s in kept if s["start"] <= a and b <= s["end"]), None)
        if passed or span is not open_span:
            close(index - 1)
        for br in passed:  # a paragraph break since the last segment
            done_break.add(br)
            out.append("</p>\n<p>")
        for edit in edits:
            if edit["start"] == edit["end"] == a:
                out.append(_insert_html(edit))
        if span is not None and span is not open_span:
            label = str(span["label"])
            classes = " ".join(c for c in (f"imr-{label}", span.get("css")) if c)
            title = f' title="{escape(str(span["title"]))}"' if span.get("title") else ""
            title += f' id="{escape(str(span["id"]))}"' if span.get("id") else ""
            out.append(f'<mark class="{escape(classes)}"{title}>')
            open_span = span
        inner = _segment_html(text[a:b], paragraphs)
        for cue in (c for c in cues if c["start"] <= a and b <= c["end"]):
            label = (f'<span class="imr-label">{escape(str(cue["label"]))}</span>'
                     if last_of.get(id(cue)) == index else "")
            title = f' title="{escape(str(cue["title"]))}"' if cue.get("title") else ""
            title += f' id="{escape(str(cue["id"]))}"' if cue.get("id") and first_of.get(id(cue)) == index else ""
            inner = f'<span class="imr-cue {escape(str(cue.get("css") or ""))}"{title}>{inner}{label}</span>'
        active = [e for e in edits if e["start"] <= a and b <= e["end"] and e["end"] > e["start"]]
        if active:
            labels = "".join(f'<span class="what-if-label">{escape(e["label"])}</span>' for e in active
                             if last_of.get(id(e)) == index)
            titles = " | ".join(str(e.get("title") or e["label"]) for e in active)
            inner = f'<span class="what-if" title="{escape(titles)}">{inner}{labels}</span>'
        out.append(inner)
    close(len(segments) - 1)
    out += [_insert_html(e) for e in edits if e["start"] == e["end"] == n]
    body = "".join(out)
    return f"<p>{body}</p>" if paragraphs else body


def _insert_html(edit: dict[str, Any]) -> str:
    return (f'<span class="what-if what-if-insert" title="{escape(str(edit.get("title") or edit["label"]))}">'
            f'<span class="what-if-label">+ {escape(edit["label"])}</span></span>')


def page(title: str, body: str, script: str = "", wide: bool = False) -> str:
    """A complete standalone HTML5 page around ``body``: its style embedded, ``script`` (the index's sorting and
    filtering) inline, nothing loaded from elsewhere."""
    script = f"<script>{script}</script>\n" if script else ""
    body_tag = '<body class="wide">' if wide else "<body>"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n<style>{_style()}</style>\n</head>\n"
        f"{body_tag}\n{body}\n{script}</body>\n</html>\n"
    )


def entity_title(entity) -> str:
    """The tooltip of an entity: its normalized value, role and assertion."""
    parts = []
    if entity.value:
        parts.append(json.dumps(entity.value, ensure_ascii=False, sort_keys=True))
    if entity.role:
        parts.append(f"role: {entity.role}")
    if entity.assertion:
        parts.append(f"assertion: {entity.assertion}")
    return " | ".join(parts) or entity.label


def entity_spans(entities: Iterable, offset: int = 0) -> list[dict[str, Any]]:
    """Span dicts for :func:`highlight_html` from entities, with offsets made relative to ``offset``."""
    return [
        {"start": e.start - offset, "end": e.end - offset, "label": e.label, "title": entity_title(e),
         "css": "negated" if e.assertion == "negated" else None}
        for e in entities
    ]


def _block_text(text: str, start: int, end: int, entities: Iterable) -> str:
    inside = [e for e in entities if start <= e.start and e.end <= end]
    return f'<div class="text">{highlight_html(text[start:end], entity_spans(inside, start), paragraphs=True)}</div>'


def _amount(value: Amount | None) -> str:
    if value is None:
        return "–"
    low, high, unit = value.min, value.max, value.unit or ""
    amount = f"{low}" if low == high else f"{low}–{high}"
    extra = f" ({value.year})" if value.year else ""
    return f"{amount} {unit}".strip() + extra


def _facts_table(item_facts) -> str:
    treatment = item_facts.treatment
    allowance = item_facts.allowance or Allowance()
    status = allowance.status
    if allowance.allowed:  # the range as a list, "[8, 10]"
        status += f" (requested {allowance.requested}, allowed {list(allowance.allowed)}"
        status += f", excess {allowance.excess})" if allowance.excess is not None else ")"
    names = (treatment.category, treatment.name) if treatment else ()
    rows = [
        ("Treatment", " / ".join(str(v) for v in names if v) or "–"),
        ("Requested", _amount(item_facts.requested)),
        ("Prior", "; ".join(_amount(p) for p in item_facts.prior) or "–"),
        ("Allowance", status),
        ("Citation", allowance.citation or "–"),
    ]
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(display_text(str(v)))}</td></tr>" for k, v in rows)
    return f'<div class="scroll"><table class="facts">{cells}</table></div>'


def _case_table(facts) -> str:
    """What the case summary documents: its objective findings (negated ones struck) and the weeks to the denial."""
    findings = [e for e in facts.summary_entities if e.label == "FINDING"]
    shown = ", ".join(f"<s>{escape(e.text)}</s>" if e.assertion == "negated" else escape(e.text) for e in findings)
    weeks = facts.weeks_injury_to_review
    return ('<table class="facts case">'
            f"<tr><th>Objective findings</th><td>{shown or '–'}</td></tr>"
            f"<tr><th>Weeks from injury to denial</th><td>{'–' if weeks is None else escape(str(weeks))}</td></tr>"
            "</table>")


def _sentences_table(item_facts) -> str:
    """The rationale's sentences about the case, each with its polarity (verdict sentences marked)."""
    rows = []
    for sentence in item_facts.sentences:
        if sentence.value["role"] != "case":
            continue
        verdict = item_facts.in_verdict(sentence.start)
        stance = sentence.value["polarity"] + (" (verdict)" if verdict else "")
        rows.append(f'<tr class="stance-{escape(sentence.value["polarity"])}"><td>{escape(stance)}</td>'
                    f"<td>{escape(display_text(' '.join(sentence.text.split())))}</td></tr>")
    if not rows:
        return ""
    return ('<div class="scroll"><table class="facts sentences"><tr><th>Stance</th>'
            "<th>Rationale sentence about the case</th></tr>" + "".join(rows) + "</table></div>")


def letter_facts_html(letter, facts) -> str:
    """The page body for one letter: header, highlighted case summary, then one block per item with its facts."""
    parts = [
        f"<h1>IMR letter {escape(letter.case_number or '')}</h1>",
        f'<p class="meta">Source: {escape(letter.source or "–")} · Case number: {escape(letter.case_number or "–")}</p>',
        legend_html("facts"),
    ]
    if letter.summary is not None:
        parts.append('<section class="block summary"><h2>Case summary</h2>' + _case_table(facts)
                     + _block_text(letter.text, letter.summary.start, letter.summary.end, facts.summary_entities)
                     + "</section>")
    for item, item_facts in zip(letter.items, facts.items):
        parts.append(
            f'<section class="block item"><h2>Item {item.index + 1}: {escape(item.title)}</h2>'
            f'<p class="meta">Stated decision: {escape(item.stated_decision or "(none stated)")}</p>'
            + _facts_table(item_facts)
            + _sentences_table(item_facts)
            + _block_text(letter.text, item.start, item.end, item_facts.entities)
            + "</section>"
        )
    return "\n".join(parts)


def disagreement() -> str:
    """How a facts-mode prediction that differs from the stated decision is worded: before review it is only
    the estimate's miss (draft mode words a contradiction with the letter's own verdict: :mod:`nlp_pipeline.explain.qa`)."""
    return "differs from"


def _decided_by(prediction) -> str:
    """Which path decided, in words, with the other path's figure."""
    if prediction.basis == "verdict":
        return f"decided by the rationale's verdict (rationale model without it: {prediction.p_rationale:.3f})"
    if prediction.basis == "rationale":
        return f"decided by the rationale model (no verdict in the rationale; Overturned from {prediction.threshold:.3f})"
    return f"facts model (Overturned from {prediction.threshold:.3f})"


def balance_text(prediction) -> str | None:
    """How a prediction's log-odds add up, in words (the table and the page say it alike; ``prediction``: a
    Prediction or its record): where it starts, what the case and the request add, what the review's layout adds
    (context, not a medical reason; left out when 0). None where the verdict decided or no model score is kept."""
    def get(name: str):  # a record may lack a field (one written by an older version)
        return prediction.get(name) if isinstance(prediction, dict) else getattr(prediction, name, None)

    balance = get("balance")
    if get("basis") == "verdict" or not balance:
        return None
    layout = f", the review's layout {balance['context']:+.2f} (context)" if balance.get("context") else ""
    return (f"log-odds {get('score'):+.2f} = start {get('intercept'):+.2f}, "
            f"the case and the request {balance['case']:+.2f}{layout}")


def what_if_reads(reads: str) -> str:
    """Which model a what-if report's edits move, in words (the table and the page say it alike)."""
    return "the facts model" if reads == "facts" else "the rationale model, the verdict left as it is"


def smallest_flip_text(flip, pairs) -> str:
    """The smallest flip of a what-if report in words (``flip``: an index, a pair of indices or None; edits are
    numbered from 1 as they are listed)."""
    if flip is None:
        return "no edit or pair of edits in the catalogue flips the prediction"
    if isinstance(flip, int):
        return f"the smallest edit that flips the prediction: {flip + 1}"
    pair = next(p for p in pairs if list(_field(p, "edits")) == list(flip))
    return (f"the smallest change that flips the prediction: edits {flip[0] + 1} and {flip[1] + 1} together "
            f"(P(Overturned) {_field(pair, 'p_overturned'):.3f})")


def _field(record, name: str):
    return record[name] if isinstance(record, dict) else getattr(record, name)


def what_if_html(prediction) -> str:
    """An item's what-if edits (numbered as marked in its text), most effective first, and the smallest flip."""
    if prediction.what_if is None:
        return ""
    base = prediction.p_overturned if prediction.what_if_reads == "facts" else prediction.p_rationale
    head = (f'<h3>What if</h3><p class="meta">Edits to the letter, each read again from scratch by '
            f"{what_if_reads(prediction.what_if_reads)}; P(Overturned) {base:.3f} as the letter stands, "
            f"cut {prediction.threshold:.3f}. Each edit is underlined in the text with its number.</p>")
    if not prediction.what_if:
        return head + "<p>No edit in the catalogue applies to this item.</p>"
    rows = "".join(
        f'<li class="{"flips" if w.flips else ""}">{escape(display_text(w.change))} → P(Overturned) '
        f'{w.p_overturned:.3f} ({change_text(w.delta)}){" · flips the prediction" if w.flips else ""}</li>'
        for w in prediction.what_if)
    smallest = smallest_flip_text(prediction.smallest_flip, prediction.what_if_pairs)
    return head + f'<ol class="what-if-list">{rows}</ol><p class="meta">{escape(smallest[0].upper() + smallest[1:])}.</p>'


def _rate_of(usual_rates, mode: str | None) -> float | None:
    if isinstance(usual_rates, dict):
        return usual_rates.get(mode)
    return usual_rates


def probability_bar(p: float, usual: float | None = None, cut: float | None = None, small: bool = False) -> str:
    """P(Overturned) as a bar: filled to ``p``, a solid line at the usual rate, a dotted one at the model's cut."""
    words = f"P(Overturned) {p:.3f}" + (f", usual rate {usual:.1%}" if usual is not None else "") + (
        f", cut {cut:.3f}" if cut is not None else "")
    marks = (f'<span class="usual" style="left:{100 * usual:.1f}%"></span>' if usual is not None else "") + (
        f'<span class="cut" style="left:{100 * cut:.1f}%"></span>' if cut is not None else "")
    return (f'<span class="pbar{" small" if small else ""}" role="img" aria-label="{escape(words)}" '
            f'title="{escape(words)}"><span class="fill" style="width:{100 * p:.1f}%"></span>{marks}</span>')


def outcome_badge(predicted: str) -> str:
    """The predicted outcome as a coloured badge (its colour: :data:`OUTCOME_COLOURS`)."""
    return f'<span class="badge badge-{escape(predicted.lower())}">{escape(predicted)}</span>'


def _label_of(prediction) -> str | None:
    """The prediction's outcome in plain words where the model gives more than its outcome (``outcome_label``); None
    where the label is the outcome alone, which the badge beside it already says."""
    value, predicted = _get(prediction, "outcome_label"), _get(prediction, "predicted")
    return str(value) if value and str(value) != str(predicted) else None


def legend_html(kind: str, usual: float | None = None) -> str:
    """What every colour and mark of a page means (``kind``: ``prediction``, ``index`` or ``facts``)."""
    def row(key: str, words: str) -> str:
        return f"<dt>{key}</dt><dd>{words}</dd>"

    rate = f" ({usual:.1%} of the items the model was trained on)" if usual is not None else ""
    outcomes = "".join(row(outcome_badge(o), escape(OUTCOME_WORDS[o])) for o in OUTCOME_WORDS)
    bar = row(probability_bar(0.4, 0.125, 0.25, small=True),
              "P(Overturned), the predicted chance that the denial is reversed: the blue fill; "
              '<span class="key-usual"></span>the usual rate of Overturned' + escape(rate)
              + '; <span class="key-cut"></span>the cut from which the model predicts Overturned')
    rows = []
    if kind in ("prediction", "index"):
        rows += [outcomes, bar]
    if kind == "prediction":
        rows += [
            row('<span class="sample imr-EVIDENCE toward-overturned">text</span>',
                "a passage the model weighs toward Overturned (hover it for the feature and its weight in log-odds)"),
            row('<span class="sample imr-EVIDENCE toward-upheld">text</span>', "a passage weighed toward Upheld"),
            row('<span class="sample imr-EVIDENCE toward-both">text</span>',
                "in the case summary: a passage weighed toward Overturned for one item and toward Upheld for another"),
            row('<span class="sample imr-VERDICT verdict">text</span>', "the rationale's own verdict (draft mode)"),
            row('<span class="sample imr-CONDITION condition-documented">text</span>',
                "in the case summary: the words that document a condition the guideline sets for an item; in a "
                "draft's rationale, the words that state it met (its checklist under \u201cWhat the guideline "
                "says\u201d links here)"),
            row('<span class="sample imr-CONDITION condition-contradicted">text</span>',
                "the words that say such a condition is not met"),
            row('<span class="what-if">text<span class="what-if-label">edit 1</span></span>',
                "a passage a what-if edit changes, numbered as in the item's list of edits; "
                '<span class="what-if-label">+ edit 1</span> where an edit adds words. An edit and evidence may '
                "overlap: both are shown"),
            row('<span class="swatch qa-contradiction">!</span>',
                "CONTRADICTION: the stated decision contradicts the rationale's own verdict"),
            row('<span class="swatch qa-question">?</span>',
                "QUESTION for the reviewer: the rationale's reasoning leans the other way from its conclusion, "
                "or (in a checklist) the case summary and the rationale read a condition opposite ways"),
        ]
    if kind == "index":
        rows += [
            row('<span class="swatch" style="background:#fde2e2">row</span>',
                "CONTRADICTION: the stated decision contradicts the rationale's own verdict"),
            row('<span class="swatch" style="background:#fff4d6">row</span>',
                "QUESTION: the rationale's reasoning leans the other way from its conclusion"),
            row('<span class="swatch" style="color:#8e2457">row</span>', "a letter that could not be read"),
            row("Basis", "verdict: the rationale's stated verdict decided; rationale: the rationale model "
                         "(no verdict found); facts: the facts model (before review)"),
        ]
    if kind == "facts":
        rows += [row(f'<span class="sample imr-{label}">{escape(label.lower())}</span>', escape(words))
                 for label, words in LABEL_WORDS.items()]
        rows += [row('<span class="sample imr-FINDING negated">struck</span>', "negated (\"no tear\")"),
                 row('<span class="swatch" style="background:#d3e5f8">for</span>',
                     "a rationale sentence for the request"),
                 row('<span class="swatch" style="background:#fbdcc0">against</span>',
                     "a rationale sentence against it")]
    return (f'<details class="block legend" open><summary><strong>How to read this page</strong></summary>'
            f'<dl>{"".join(rows)}</dl></details>')


def _evidence_spans(prediction, start: int, end: int, item_number: int | None = None) -> list[dict[str, Any]]:
    """The spans of a prediction's evidence inside ``[start, end)``, relative to ``start``."""
    spans = []
    for e in prediction.evidence:
        for a, b in e.spans:
            if start <= a and b <= end and b > a:
                who = f"item {item_number}: " if item_number is not None else ""
                spans.append({"start": a - start, "end": b - start, "label": "EVIDENCE",
                              "title": f"{who}{e.feature}: {e.contribution:+.2f} log-odds",
                              "css": "toward-overturned" if e.contribution > 0 else "toward-upheld"})
    return spans


def _edit_spans(prediction, start: int, end: int, prefix: str = "") -> list[dict[str, Any]]:
    """A prediction's what-if edits inside ``[start, end]``, relative to ``start``, numbered as listed."""
    return [{"start": w.edit.start - start, "end": w.edit.end - start, "label": f"{prefix}edit {n}",
             "title": display_text(w.change)}
            for n, w in enumerate(prediction.what_if or (), 1)
            if start <= w.edit.start and w.edit.end <= end]


def condition_anchor(prefix: str, start: int, end: int) -> str:
    """The id of the mark on a guideline condition's words in the case summary (the checklist links to it)."""
    return f"{prefix}summary-{start}-{end}"


def _condition_spans(predictions, start: int, end: int, prefix: str) -> list[dict[str, Any]]:
    """The words of the case summary that decided a guideline condition's state, for every item (one mark a
    passage), relative to ``start``: documented, or said not to be met."""
    by_place: dict[tuple[int, int], list[tuple[int, Any]]] = {}
    for prediction in predictions:
        reading = getattr(prediction, "recommendation", None)
        for state in (reading.conditions if reading else ()):
            if state.start is not None and start <= state.start and state.end <= end:
                by_place.setdefault((state.start, state.end), []).append((prediction.item_index + 1, state))
    spans = []
    for (a, b), found in by_place.items():
        states = {state.state for _, state in found}
        title = " | ".join(f"item {number}: {_condition_words(state.name)}: {STATE_WORDS[state.state]}"
                           for number, state in found)
        spans.append({"start": a - start, "end": b - start, "label": "CONDITION", "title": title, "first": True,
                      "id": condition_anchor(prefix, a, b),
                      "css": "condition-documented" if "documented" in states else "condition-contradicted"})
    return spans


def _condition_words(name: str) -> str:
    return name.replace("_", " ")


def _get(value, name: str):
    """A field of a typed result or of its record (a dict read from the JSONL)."""
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def rationale_states_text(states) -> str:
    """What a draft's rationale states of its guideline conditions, in one line ("failed first line care not met;
    home exercise program met"): each condition once per state, in the rationale's order; "" when it states none.
    ``states``: an item's ``rationale_conditions``, typed or as records."""
    said = dict.fromkeys((_get(s, "name"), _get(s, "state")) for s in states or ()
                         if _get(s, "state") in RATIONALE_STATE_WORDS)
    return "; ".join(f"{_condition_words(name)} {RATIONALE_STATE_WORDS[state]}" for name, state in said)


def rationale_anchor(prefix: str, start: int, end: int) -> str:
    """The id of the mark on the words of an item's rationale that state a guideline condition (the item's
    checklist links to it)."""
    return f"{prefix}rationale-{start}-{end}"


def _rationale_condition_spans(letter, prediction, prefix: str) -> list[dict[str, Any]]:
    """The words of an item's rationale that state a condition of its guideline entry met or not met (draft mode),
    relative to the item's start, one cue a passage (:func:`highlight_html` marks each inside the evidence around
    it, so every one the checklist links to is on the page)."""
    item = letter.items[prediction.item_index]
    by_place: dict[tuple[int, int], list[Any]] = {}
    for state in getattr(prediction, "rationale_conditions", ()) or ():
        if state.start is not None and item.start <= state.start < state.end <= item.end:
            by_place.setdefault((state.start, state.end), []).append(state)
    spans = []
    for (a, b), found in by_place.items():
        states = {state.state for state in found}
        title = " | ".join(f"the rationale: {_condition_words(state.name)} {RATIONALE_STATE_WORDS[state.state]}"
                           for state in found)
        spans.append({"start": a - item.start, "end": b - item.start, "label": "CONDITION", "title": title,
                      "id": rationale_anchor(prefix, a, b),
                      "css": "condition-documented" if "documented" in states else "condition-contradicted"})
    return spans


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def _stated_quote(letter, item, start: int, end: int, limit: int = 150) -> str:
    """The sentence of an item's text that holds ``letter.text[start:end]``, on one line; a long one cut at word
    boundaries to the words around them, each cut end marked with an ellipsis."""
    text = letter.text
    lo, hi = (item.rationale.start, item.rationale.end) if item.rationale is not None else (item.start, item.end)
    left = max((m.end() for m in _SENTENCE_END.finditer(text, lo, start)), default=lo)
    found = _SENTENCE_END.search(text, end, hi)
    right = found.end() if found else hi
    if right - left > limit:
        cut_left, cut_right = max(left, start - limit // 2), min(right, end + limit // 3)
        clauses = [m.end() for m in re.finditer(r"[,;]\s", text[left:start])]  # rather at a clause that fits
        fits = [left + at for at in clauses if right - (left + at) <= limit]
        if fits:
            cut_left, cut_right = fits[0], right
        elif cut_left > left:  # start at a word
            cut_left = text.find(" ", cut_left, start) + 1 or cut_left
        if cut_right < right:  # end after a word
            space = text.rfind(" ", end, cut_right)
            cut_right = space if space > 0 else cut_right
        return (("…" if cut_left > left else "") + " ".join(text[cut_left:cut_right].split())
                + ("…" if cut_right < right else ""))
    return " ".join(text[left:right].split())


def _summary_html(letter, predictions, prefix: str = "") -> str:
    """The case summary with every item's evidence in it marked (one mark a passage: its direction, or both
    where items read it different ways), the words that decided a guideline condition marked apart (they take
    the evidence they overlap into their tooltip) and the what-if edits made to it."""
    if letter.summary is None:
        return ""
    start, end = letter.summary.start, letter.summary.end
    by_place: dict[tuple[int, int], list[dict[str, Any]]] = {}
    edits = []
    for prediction in predictions:
        number = prediction.item_index + 1
        for span in _evidence_spans(prediction, start, end, number):
            by_place.setdefault((span["start"], span["end"]), []).append(span)
        edits += _edit_spans(prediction, start, end, f"item {number} ")
    spans = []
    for (a, b), found in by_place.items():
        directions = {s["css"] for s in found}
        spans.append({"start": a, "end": b, "label": "EVIDENCE", "title": " | ".join(s["title"] for s in found),
                      "css": directions.pop() if len(directions) == 1 else "toward-both"})
    marked = _condition_spans(predictions, start, end, prefix)
    for condition in marked:  # evidence under a condition's mark: said in its tooltip
        inside = [s["title"] for s in spans if s["start"] < condition["end"] and condition["start"] < s["end"]]
        condition["title"] = " | ".join([condition["title"], *inside])
    return ('<section class="block summary"><h2>Case summary</h2><p class="meta">The evidence the model found in '
            "it for each item is marked (hover a mark for the item and the weight), and the words that show a "
            "guideline condition documented or not met (each item's checklist links to them).</p>"
            f'<div class="text">{highlight_html(letter.text[start:end], spans + marked, edits, paragraphs=True)}'
            "</div></section>")


def guideline_html(letter, prediction, prefix: str = "") -> str:
    """What the guideline says of an item's request, as a checklist a physician can verify against the letter: the
    status in plain words with its source, then each condition the guideline sets with its state in the case
    summary (documented / said not to be met / not mentioned), a link to the words that decided, what the rationale
    states of it (draft mode: met or not met, quoted, linked to its words in the item's text) with a question for
    the reviewer where the summary and the rationale read it opposite ways, and the what-if edit that documents it
    with its effect where one was read."""
    reading = getattr(prediction, "recommendation", None)
    if reading is None:
        return ""
    item = letter.items[prediction.item_index]
    marked = {(item.start + cue["start"], item.start + cue["end"]): cue["id"]
              for cue in _rationale_condition_spans(letter, prediction, prefix)}
    stated: dict[str, list[tuple[Any, str | None]]] = {}  # condition → (its state in the rationale, its cue's id)
    for state in getattr(prediction, "rationale_conditions", ()) or ():
        stated.setdefault(state.name, []).append((state, marked.get((state.start, state.end))))
    entry = entry_by_id(reading.entry)
    source = reading.source
    cited = ", ".join(part for part in (source.guideline, source.section,
                                        f"pages {source.pages}" if source.pages else None) if part)
    status = STATUS_WORDS.get(reading.status, reading.status)
    context = CONTEXT_WORDS.get(reading.context, reading.context)
    edits = {w.condition: (n, w) for n, w in enumerate(prediction.what_if or (), 1)
             if getattr(w, "condition", None)}
    rows = []
    for state in reading.conditions:
        known = guideline_conditions().get(state.name)
        words = known.sentence if known else _condition_words(state.name)
        against = (" This condition argues against the request when it is documented."
                   if state.name in entry.against else "")
        where = ""
        if state.start is not None:
            quoted = short_quote(letter.text[state.start:state.end], 80)
            where = (f' <a href="#{escape(condition_anchor(prefix, state.start, state.end))}">'
                     f"in the case summary: “{escape(display_text(quoted))}”</a>")
        said = ""
        for told, anchor in stated.get(state.name, ()):
            quote = escape(display_text(_stated_quote(letter, item, told.start, told.end)))
            quote = f'<a href="#{escape(anchor)}">“{quote}”</a>' if anchor else f"“{quote}”"
            said += (f'<span class="cond-rationale">The rationale says it is '
                     f"{RATIONALE_STATE_WORDS[told.state]}: {quote}</span>")
        question = condition_question(state.state, {told.state for told, _ in stated.get(state.name, ())})
        if question:
            said += f'<span class="qa-question cond-question">{escape(question)}</span>'
        what_if = ""
        if state.name in edits:
            number, w = edits[state.name]
            what_if = (f'<span class="cond-what-if">What if it were documented (edit {number}): P(Overturned) '
                       f"{w.p_overturned:.3f} ({change_text(w.delta)}){' · flips the prediction' if w.flips else ''}</span>")
        rows.append(f'<li class="cond-{escape(state.state)}"><span class="state">'
                    f'<span aria-hidden="true">{STATE_SIGNS.get(state.state, "")}</span> '
                    f"{escape(STATE_WORDS.get(state.state, state.state))}</span>{escape(words)}"
                    f"{escape(against)}{where}{said}{what_if}</li>")
    checklist = (f'<ul class="checklist">{"".join(rows)}</ul>' if rows
                 else "<p>The guideline sets no condition for it here.</p>")
    return (f'<h3>What the guideline says</h3><p class="guideline-status"><strong>{escape(entry.label)}</strong> '
            f'{escape(context)}: {escape(status)}.</p><p class="meta guideline-source">Source: {escape(cited)}.</p>'
            f"{checklist}<p class=\"meta\">{escape(_checklist_note(prediction.mode))}</p>")


def _checklist_note(mode: str | None) -> str:
    """The note under a checklist: what the conditions were checked against, and whether the mode's model reads them
    (its families, :mod:`nlp_pipeline.modes`)."""
    from nlp_pipeline.modes import mode_of

    families = mode_of(mode or "facts").families
    if mode == "draft":
        reads = ("The model reads what the rationale states of them (family conditions)." if "conditions" in families
                 else "The model does not read these statements: it reads the rationale's sentences through its "
                      "stance markers (reading the conditions first ranked worse, docs: the guideline knowledge base).")
        return ("Read from the guideline knowledge base; the conditions are checked against the case summary and the "
                f"rationale's sentences about the case. {reads} Verify each against the letter.")
    reads = ("The model reads this reading (family guideline)." if "guideline" in families
             else "The model does not read it.")
    return ("Read from the guideline knowledge base; the conditions are checked against the case summary. "
            f"{reads} Verify each against the letter.")


def item_anchor(prefix: str, item_index: int) -> str:
    """The id of an item's section on its page (the index links to it)."""
    return f"{prefix}item-{item_index + 1}"


def predictions_html(letter, predictions, usual_rates=None, anchor_prefix: str = "", legend: bool = True) -> str:
    """The page body for one letter's predictions: a legend, the case summary with its evidence marked, then per
    item the outcome as a badge with plain words, P(Overturned) as a bar against the usual rate (``usual_rates``:
    a rate, or a rate by mode; :func:`usual_rate`) and the cut, which path decided, the QA flags (a
    contradiction in the letter, a question for the reviewer), the reasons, the what-if edits, and the item's
    text in paragraphs with its verdict, its evidence by direction and the edits marked. Each item's section has
    the id :func:`item_anchor` (``anchor_prefix`` tells the letters of one page apart)."""
    mode = predictions[0].mode if predictions else None
    usual = next((p.usual_rate for p in predictions if getattr(p, "usual_rate", None)), None) or _rate_of(
        usual_rates, mode)
    parts = [
        f"<h1>IMR outcome prediction {escape(letter.case_number or '')}</h1>",
        f'<p class="meta">Source: {escape(letter.source or "–")} · Case number: {escape(letter.case_number or "–")}'
        f" · Mode: {escape(mode or '–')}</p>",
    ]
    if legend:
        parts.append(legend_html("prediction", usual))
    parts.append(_summary_html(letter, predictions, anchor_prefix))
    for prediction in predictions:
        item = letter.items[prediction.item_index]
        if prediction.mode == "facts":
            agreement = {None: "no stated decision", True: "agrees with the stated decision",
                         False: f"{disagreement()} the stated decision"}[prediction.agrees_with_stated]
        else:
            agreement = short_flag(prediction.agrees_with_stated, prediction.rationale_leans) or (
                "no verdict in the rationale to compare it with" if prediction.stated_decision
                else "no stated decision")
        spans = _evidence_spans(prediction, item.start, item.end)
        verdict = prediction.verdict
        if verdict is not None and verdict.phrase is not None:
            spans.append({"start": verdict.phrase.start - item.start, "end": verdict.phrase.end - item.start,
                          "label": "VERDICT", "title": f"verdict: {verdict.value.replace('_', ' ')}", "css": "verdict"})
        cues = _rationale_condition_spans(letter, prediction, anchor_prefix)
        edits = _edit_spans(prediction, item.start, item.end)
        reasons = "".join(f"<li>{escape(display_text(r))}</li>" for r in prediction.reasons)
        balance = balance_text(prediction)
        if balance:
            reasons = f'<li class="balance">{escape(balance)}</li>{reasons}'
        qa_class = "qa-contradiction" if prediction.agrees_with_stated is False else "qa-question"
        qa = f'<p class="{qa_class}">{escape(prediction.qa)}</p>' if prediction.qa else ""
        label = _label_of(prediction)
        usual = getattr(prediction, "usual_rate", None) or _rate_of(usual_rates, prediction.mode)
        context = "".join(f"<li>{escape(display_text(r))}</li>" for r in getattr(prediction, "context", ()) or ())
        context = (f'<h3>Context, not medical reasons</h3><ul class="context">{context}</ul>' if context else "")
        cut = prediction.threshold if prediction.basis != "verdict" else None
        interval = prediction.p_interval
        numbers = (f"P(Overturned) {prediction.p_overturned:.3f}"
                   + (f" (refits {interval[0]:.3f}–{interval[1]:.3f})" if interval else "")
                   + (f" · usual rate {usual:.1%}" if usual is not None else "")
                   + (f" · cut {cut:.3f}" if cut is not None else ""))
        parts.append(
            f'<section class="block item prediction" id="{escape(item_anchor(anchor_prefix, item.index))}">'
            f"<h2>Item {item.index + 1}: {escape(display_text(item.title))}</h2>"
            f'<p class="outcome">{outcome_badge(prediction.predicted)}<span class="outcome-words">'
            f"{escape(OUTCOME_WORDS[prediction.predicted])}</span></p>"
            + (f'<p class="outcome-label">{escape(label)}</p>' if label else "")
            + f'<p class="pline">{probability_bar(prediction.p_overturned, usual, cut)}<span>{numbers}</span></p>'
            + (f'<p class="meta">{escape(prediction.uncertainty)}</p>' if prediction.uncertainty else "")
            + f'<p class="meta">{escape(_decided_by(prediction))} · stated: {escape(prediction.stated_decision or "–")}'
            f" ({escape(agreement)})</p>"
            f'{qa}<h3>Reasons</h3><ul class="reasons">{reasons}</ul>{context}'
            + guideline_html(letter, prediction, anchor_prefix)
            + what_if_html(prediction)
            + "<h3>The item's text</h3>"
            + f'<div class="text">{highlight_html(letter.text[item.start:item.end], spans, edits, True, cues)}'
            "</div></section>"
        )
    return "\n".join(parts)


FLAG_CONTRADICTION, FLAG_QUESTION, FLAG_DIFFERS = "CONTRADICTION", "QUESTION", "DIFFERS FROM STATED"


def flag_words(record: dict[str, Any]) -> list[str]:
    """An item's QA flags as words for a column (``record``: a prediction record): CONTRADICTION where the stated
    decision contradicts the rationale's own verdict and QUESTION where the reasoning leans the other way (draft
    mode), DIFFERS FROM STATED where a facts-mode estimate differs from the stated decision."""
    if record.get("mode") == "facts":
        return [FLAG_DIFFERS] if record.get("agrees_with_stated") is False else []
    flags = [FLAG_CONTRADICTION] if record.get("agrees_with_stated") is False else []
    return flags + ([FLAG_QUESTION] if record.get("rationale_leans") else [])


def _index_rank(record: dict[str, Any]) -> int:
    """Where a record's row goes in the index: contradictions, other flags, letters that failed, the rest."""
    if "error" in record:
        return 2
    flags = flag_words(record)
    return 0 if FLAG_CONTRADICTION in flags else 1 if flags else 3


INDEX_COLUMNS = ("Letter", "Item", "Stated decision", "Prediction", "P(Overturned)", "Basis", "Contradiction",
                 "Question", "Warnings")


def _row_href(record: dict[str, Any], anchor: bool = True) -> str | None:
    """The link of a record's row: its page (beside the index) and, with ``anchor``, its item there."""
    href = _page_link(record["html"]) if record.get("html") else ""
    if anchor and record.get("anchor"):
        return f"{href}#{record['anchor']}"
    if anchor and href and record.get("item_index") is not None:
        return f"{href}#{item_anchor('', record['item_index'])}"
    return href or None


def predictions_index_html(records: Iterable[dict[str, Any]], usual_rates=None) -> str:
    """The body of the QA overview of a batch: counts (letters, items, contradictions, questions, the letters that
    failed and why), a legend, and a table with one row per item (``records``: prediction records with the
    ``html`` page each was written to, or the ``anchor`` of its item on this page, and error records): the
    contradictions first, then the other flags, the letters that failed, and the rest, each group in input order.
    The inline :data:`INDEX_SCRIPT` sorts it (click a column's header) and filters it (words, contradictions
    only, questions only)."""
    records = sorted(records, key=_index_rank)
    good = [r for r in records if "error" not in r]
    failed = {}
    for record in records:
        if "error" in record:
            failed.setdefault(str(record.get("source") or "–"), str(record["error"]))
    letters = len({str(r.get("source")) for r in good} | set(failed))
    contradictions = sum(FLAG_CONTRADICTION in flag_words(r) for r in good)
    questions = sum(FLAG_QUESTION in flag_words(r) for r in good)
    differs = sum(FLAG_DIFFERS in flag_words(r) for r in good)
    modes = {r.get("mode") for r in good}
    usual = next((r["usual_rate"] for r in good if r.get("usual_rate")), None) or (
        _rate_of(usual_rates, next(iter(modes))) if len(modes) == 1 else _rate_of(usual_rates, "draft"))
    rows = []
    for rank, record in enumerate(records):
        source = escape(str(record.get("source") or "–"))
        if "error" in record:
            cells = (f"<td>{source}</td>", *["<td></td>"] * 7, f'<td>error: {escape(str(record["error"]))}</td>')
            rows.append(f'<tr class="failed" data-rank="{rank}" data-failed="1">'
                        + "".join(_labelled(cell, name) for cell, name in zip(cells, INDEX_COLUMNS)) + "</tr>")
            continue
        flags = flag_words(record)
        name = escape(str(record.get("case_number") or "–"))
        page_href, item_href = _row_href(record, anchor=False), _row_href(record)
        file_name = f'<br><small title="{source}">{escape(Path(str(record.get("source") or "–")).name)}</small>'
        letter = (f'<a href="{escape(page_href)}">{name}</a>' if page_href else name) + file_name
        title = escape(display_text(f"{record['item_index'] + 1}. {record['item']}"))
        item = f'<a href="{escape(item_href)}">{title}</a>' if item_href else title
        label = _label_of(record)
        prediction = outcome_badge(record["predicted"]) + (f"<br><small>{escape(label)}</small>" if label else "")
        cut = record.get("threshold") if record.get("basis") != "verdict" else None
        rate = record.get("usual_rate") or _rate_of(usual_rates, record.get("mode"))
        bar = f'{probability_bar(record["p_overturned"], rate, cut, small=True)} {record["p_overturned"]:.3f}'
        contradiction = FLAG_CONTRADICTION if FLAG_CONTRADICTION in flags else (
            "differs from stated (facts estimate)" if FLAG_DIFFERS in flags else "")
        question = FLAG_QUESTION if FLAG_QUESTION in flags else ""
        css = "flag-contradiction" if FLAG_CONTRADICTION in flags else "flag-question" if flags else ""
        basis = escape(record.get("basis") or "–") + (f" ({escape(record['mode'])})" if len(modes) > 1 else "")
        cells = (f'<td class="nowrap">{letter}</td>', f'<td class="item">{item}</td>',
                 f"<td>{escape(record.get('stated_decision') or '–')}</td>",
                 f'<td data-sort="{escape(record["predicted"])}">{prediction}</td>',
                 f'<td class="num" data-sort="{record["p_overturned"]:.6f}">{bar}</td>', f"<td>{basis}</td>",
                 f"<td>{escape(contradiction)}</td>", f"<td>{escape(question)}</td>",
                 f"<td>{escape('; '.join(record.get('warnings') or ()))}</td>")
        cells = tuple(_labelled(cell, name) for cell, name in zip(cells, INDEX_COLUMNS))
        rows.append(f'<tr class="{css}" data-rank="{rank}" data-contra="{int(FLAG_CONTRADICTION in flags)}" '
                    f'data-ask="{int(FLAG_QUESTION in flags)}">' + "".join(cells) + "</tr>")
    head = "".join(
        f'<th scope="col"{" data-numeric" if name == "P(Overturned)" else ""}>'
        f'<button type="button" class="plain">{escape(name)}</button></th>' for name in INDEX_COLUMNS)
    counts = [(letters, "letter"), (len(good), "item"), (contradictions, "contradiction"), (questions, "question")]
    if differs:
        counts.append((differs, "facts estimate that differs from the stated decision"))
    counts.append((len(failed), "letter that could not be read"))
    count_items = "".join(f'<li><strong>{number}</strong> {escape(_noun(number, noun))}</li>' for number, noun in counts)
    failures = "".join(f"<li>{escape(source)}: {escape(error)}</li>" for source, error in failed.items())
    failures = f'<ul class="failures">{failures}</ul>' if failures else ""
    return (
        "<h1>IMR outcome predictions: QA overview</h1>\n"
        '<p class="meta">One row per disputed item. Upheld: the utilization review denial stands; Overturned: it is '
        "reversed (the treatment is found medically necessary). Contradictions come first, then questions; click a "
        "column's header to sort by it, and the item to open it on its letter's page.</p>\n"
        f'<ul class="counts">{count_items}</ul>{failures}\n'
        + legend_html("index", usual) +
        '\n<div class="filters" id="filters" hidden>'
        '<label>Find: <input type="search" id="filter-text" placeholder="letter, item, warning…"></label>'
        '<label><input type="checkbox" id="only-contradictions"> contradictions only</label>'
        '<label><input type="checkbox" id="only-questions"> questions only</label>'
        '<button type="button" id="default-order">Contradictions first</button>'
        '<span id="shown" role="status"></span></div>\n'
        f'<div class="scroll"><table class="facts index" id="items"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div>'
    )


def _labelled(cell: str, name: str) -> str:
    """A table cell with its column's name (shown before it where the table is narrowed into cards); an empty
    cell stays empty (and hidden there)."""
    if cell.startswith("<td></td>"):
        return cell
    return cell.replace("<td", f'<td data-label="{escape(name)}"', 1)


INDEX_SCRIPT = """
(function () {
  var table = document.getElementById("items");
  if (!table) { return; }
  var body = table.tBodies[0], heads = table.tHead.rows[0].cells;
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById("filter-text"), onlyC = document.getElementById("only-contradictions");
  var onlyQ = document.getElementById("only-questions"), shown = document.getElementById("shown");
  document.getElementById("filters").hidden = false;
  function key(row, i, numeric) {
    var cell = row.cells[i], value = cell.getAttribute("data-sort");
    if (value === null) { value = cell.textContent.trim().toLowerCase(); }
    if (numeric) { value = parseFloat(value); return isNaN(value) ? -1 : value; }
    return value;
  }
  function place(order) { order.forEach(function (row) { body.appendChild(row); }); update(); }
  function update() {
    var words = text.value.trim().toLowerCase(), count = 0;
    rows.forEach(function (row) {
      var keep = (!words || row.textContent.toLowerCase().indexOf(words) >= 0)
        && (!onlyC.checked || row.getAttribute("data-contra") === "1")
        && (!onlyQ.checked || row.getAttribute("data-ask") === "1");
      row.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " rows shown";
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    th.querySelector("button").addEventListener("click", function () {
      var down = th.getAttribute("aria-sort") === "ascending", numeric = th.hasAttribute("data-numeric");
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", down ? "descending" : "ascending");
      place(rows.slice().sort(function (a, b) {
        var x = key(a, i, numeric), y = key(b, i, numeric);
        var c = x < y ? -1 : x > y ? 1 : 0;
        if (down) { c = -c; }
        return c || a.getAttribute("data-rank") - b.getAttribute("data-rank");
      }));
    });
  });
  document.getElementById("default-order").addEventListener("click", function () {
    Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
    place(rows.slice().sort(function (a, b) { return a.getAttribute("data-rank") - b.getAttribute("data-rank"); }));
  });
  [text, onlyC, onlyQ].forEach(function (control) { control.addEventListener("input", update); });
  [onlyC, onlyQ].forEach(function (control) { control.addEventListener("change", update); });
  update();
}());
"""


def index_page(records: Iterable[dict[str, Any]], usual_rates=None, after: str = "",
               title: str = "IMR outcome predictions") -> str:
    """The whole QA overview page (:func:`predictions_index_html` and its script), ``after`` it on the page
    (the review server puts the letters' predictions there)."""
    return page(title, predictions_index_html(records, usual_rates) + after, script=INDEX_SCRIPT, wide=True)


_PLURALS = {"facts estimate that differs": "facts estimates that differ", "letter that could": "letters that could"}


def _noun(number: int, noun: str) -> str:
    if number == 1:
        return noun
    for singular, plural in _PLURALS.items():
        if noun.startswith(singular):
            return plural + noun[len(singular):]
    return noun + "s"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def _page_link(href: str) -> str:
    """A page's link from the index beside it (the pages and the index share one folder)."""
    from pathlib import PurePath
    from urllib.parse import quote

    return quote(PurePath(href).name)
