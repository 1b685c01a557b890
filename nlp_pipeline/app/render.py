"""Standalone HTML views of a letter and its extracted facts (displaCy-style highlights, no external resources)."""
from __future__ import annotations

import json
from html import escape
from typing import Any, Iterable

from nlp_pipeline.explain.qa import short_flag

LABEL_COLOURS = {
    "TREATMENT": "#7aecec", "COUNT": "#feca74", "DATE": "#bfe1d9", "GUIDELINE": "#aa9cfc",
    "CITATION": "#c887fb", "BODY_PART": "#ffeb80", "DIAGNOSIS": "#ff9561", "CUE": "#e4e7d2",
    "VERDICT": "#f0a6c4", "FINDING": "#9be7a0",
}

_CSS = """
body { font-family: Georgia, "Times New Roman", serif; line-height: 1.6; color: #222; background: #fafafa;
       max-width: 60em; margin: 2em auto; padding: 0 1em; }
h1, h2, h3 { font-family: Helvetica, Arial, sans-serif; line-height: 1.25; }
.meta { color: #555; font-family: Helvetica, Arial, sans-serif; }
.block { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 1em 1.25em; margin: 1.25em 0; }
.text { font-size: 0.95em; }
table.facts { border-collapse: collapse; margin: 0.5em 0 1em; font-family: Helvetica, Arial, sans-serif;
              font-size: 0.9em; }
table.facts th, table.facts td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left;
                                 vertical-align: top; }
table.facts th { background: #f2f2f2; }
mark { padding: 0.1em 0.3em; margin: 0 0.1em; border-radius: 0.35em; line-height: 1; }
mark .imr-label { font-family: Helvetica, Arial, sans-serif; font-size: 0.6em; font-weight: bold;
                  text-transform: uppercase; vertical-align: middle; margin-left: 0.4em; color: #333; }
mark.toward-overturned { background: #b7e4b0; outline: 2px solid #3c9a32; }
mark.toward-upheld { background: #f4b4b4; outline: 2px solid #c0392b; }
mark.negated { text-decoration: line-through; opacity: 0.7; }
mark.verdict { background: #f0a6c4; outline: 2px solid #8e2457; font-weight: bold; }
mark.what-if { background: #fff3b0; outline: 2px dashed #8a6d00; }
ol.what-if li.flips { font-weight: bold; }
p.qa-contradiction { background: #fde2e2; border-left: 4px solid #c0392b; padding: 0.4em 0.6em; }
p.qa-question { background: #fff4d6; border-left: 4px solid #d4a017; padding: 0.4em 0.6em; }
tr.stance-for td:first-child { background: #b7e4b0; }
tr.stance-against td:first-child { background: #f4b4b4; }
table.index tr.flag-contradiction td { background: #fde2e2; }
table.index tr.flag-question td { background: #fff4d6; }
table.index tr.failed td { color: #8e2457; }
"""


def _style() -> str:
    rules = "".join(f"mark.imr-{label} {{ background: {colour}; }}\n" for label, colour in LABEL_COLOURS.items())
    return _CSS + rules


def select_spans(spans: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Non-overlapping spans in text order: a verdict first, then the longest (then earliest) wins; overlapping
    ones are dropped."""
    kept: list[dict[str, Any]] = []
    for span in sorted(spans, key=lambda s: (s["label"] != "VERDICT", -(s["end"] - s["start"]), s["start"])):
        if span["end"] <= span["start"]:
            continue
        if all(span["end"] <= k["start"] or span["start"] >= k["end"] for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s["start"])


def _text(fragment: str) -> str:
    return escape(fragment).replace("\n", "<br>\n")


def highlight_html(text: str, spans: list[dict[str, Any]]) -> str:
    """``text`` as escaped HTML with each span wrapped in ``<mark class="imr-LABEL">`` (newlines become ``<br>``).

    Each span dict has ``start``, ``end``, ``label`` and optionally ``title`` (tooltip) and ``css`` (extra class).
    Spans outside the text are clipped; overlapping spans are resolved by :func:`select_spans`.
    """
    clipped = [dict(s, start=max(0, s["start"]), end=min(len(text), s["end"])) for s in spans]
    out, pos = [], 0
    for span in select_spans(clipped):
        label = str(span["label"])
        classes = " ".join(c for c in (f"imr-{label}", span.get("css")) if c)
        title = f' title="{escape(str(span["title"]))}"' if span.get("title") else ""
        out.append(_text(text[pos:span["start"]]))
        out.append(f'<mark class="{escape(classes)}"{title}>{_text(text[span["start"]:span["end"]])}'
                   f'<span class="imr-label">{escape(label)}</span></mark>')
        pos = span["end"]
    out.append(_text(text[pos:]))
    return "".join(out)


def page(title: str, body: str) -> str:
    """A complete standalone HTML5 page (embedded style, no scripts or external links) around ``body``."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n<style>{_style()}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
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
    return f'<div class="text">{highlight_html(text[start:end], entity_spans(inside, start))}</div>'


def _amount(value: dict[str, Any] | None) -> str:
    if not value:
        return "–"
    low, high, unit = value.get("min"), value.get("max"), value.get("unit") or ""
    amount = f"{low}" if low == high else f"{low}–{high}"
    extra = f" ({value['year']})" if value.get("year") else ""
    return f"{amount} {unit}".strip() + extra


def _facts_table(item_facts) -> str:
    treatment = item_facts.treatment or {}
    allowance = item_facts.allowance or {}
    status = allowance.get("status") or "unknown"
    if allowance.get("allowed"):
        status += f" (requested {allowance.get('requested')}, allowed {allowance['allowed']}"
        status += f", excess {allowance.get('excess')})" if allowance.get("excess") is not None else ")"
    rows = [
        ("Treatment", " / ".join(str(v) for v in (treatment.get("category"), treatment.get("name")) if v) or "–"),
        ("Requested", _amount(item_facts.requested)),
        ("Prior", "; ".join(_amount(p) for p in item_facts.prior) or "–"),
        ("Allowance", status),
        ("Citation", allowance.get("citation") or "–"),
    ]
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return f'<table class="facts">{cells}</table>'


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
                    f"<td>{escape(' '.join(sentence.text.split()))}</td></tr>")
    if not rows:
        return ""
    return ('<table class="facts sentences"><tr><th>Stance</th><th>Rationale sentence about the case</th></tr>'
            + "".join(rows) + "</table>")


def letter_facts_html(letter, facts) -> str:
    """The page body for one letter: header, highlighted case summary, then one block per item with its facts."""
    parts = [
        f"<h1>IMR letter {escape(letter.case_number or '')}</h1>",
        f'<p class="meta">Source: {escape(letter.source or "–")} · Case number: {escape(letter.case_number or "–")}</p>',
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
    head = (f'<p class="meta">What if — edits to the letter, each read again from scratch by '
            f"{what_if_reads(prediction.what_if_reads)}; P(Overturned) {base:.3f} as the letter stands, "
            f"cut {prediction.threshold:.3f}:</p>")
    if not prediction.what_if:
        return head + "<p>No edit in the catalogue applies to this item.</p>"
    rows = "".join(
        f'<li class="{"flips" if w.flips else ""}">{escape(w.change)} → P(Overturned) {w.p_overturned:.3f} '
        f'({w.delta:+.3f}){" · flips the prediction" if w.flips else ""}</li>' for w in prediction.what_if)
    smallest = smallest_flip_text(prediction.smallest_flip, prediction.what_if_pairs)
    return head + f'<ol class="what-if">{rows}</ol><p class="meta">{escape(smallest[0].upper() + smallest[1:])}.</p>'


def predictions_html(letter, predictions) -> str:
    """The page body for one letter's predictions: per item the outcome, probability, which path decided,
    the QA flags (a contradiction in the letter, a question for the reviewer), the reasons, and the item's
    text with its verdict marked and its evidence highlighted by direction."""
    parts = [
        f"<h1>IMR outcome prediction {escape(letter.case_number or '')}</h1>",
        f'<p class="meta">Source: {escape(letter.source or "–")} · Case number: {escape(letter.case_number or "–")}'
        f" · Mode: {escape(predictions[0].mode if predictions else '–')}</p>",
    ]
    for prediction in predictions:
        item = letter.items[prediction.item_index]
        if prediction.mode == "facts":
            agreement = {None: "no stated decision", True: "agrees with the stated decision",
                         False: f"{disagreement()} the stated decision"}[prediction.agrees_with_stated]
        else:
            agreement = short_flag(prediction.agrees_with_stated, prediction.rationale_leans) or "no stated decision"
        spans = [
            {"start": start - item.start, "end": end - item.start, "label": "EVIDENCE",
             "title": f"{e.feature}: {e.contribution:+.2f} log-odds",
             "css": "toward-overturned" if e.contribution > 0 else "toward-upheld"}
            for e in prediction.evidence for start, end in e.spans if item.start <= start and end <= item.end
        ]
        verdict = prediction.verdict
        if verdict is not None and verdict.phrase is not None:
            spans.append({"start": verdict.phrase.start - item.start, "end": verdict.phrase.end - item.start,
                          "label": "VERDICT", "title": f"verdict: {verdict.value.replace('_', ' ')}", "css": "verdict"})
        if prediction.what_if is not None:
            spans += [{"start": w.edit.start - item.start, "end": w.edit.end - item.start, "label": f"WHAT-IF {n}",
                       "title": w.change, "css": "what-if"}
                      for n, w in enumerate(prediction.what_if, 1)
                      if item.start <= w.edit.start and w.edit.end <= item.end and w.edit.end > w.edit.start]
        reasons = "".join(f"<li>{escape(r)}</li>" for r in prediction.reasons)
        balance = balance_text(prediction)
        if balance:
            reasons = f'<li class="balance">{escape(balance)}</li>{reasons}'
        qa_class = "qa-contradiction" if prediction.agrees_with_stated is False else "qa-question"
        qa = f'<p class="{qa_class}">{escape(prediction.qa)}</p>' if prediction.qa else ""
        parts.append(
            f'<section class="block item prediction"><h2>Item {item.index + 1}: {escape(item.title)}</h2>'
            f'<p class="outcome"><strong class="predicted-{prediction.predicted.lower()}">'
            f"{escape(prediction.predicted)}</strong> · P(Overturned) = {prediction.p_overturned:.3f}"
            f" · {escape(_decided_by(prediction))}"
            f" · stated: {escape(prediction.stated_decision or '–')} ({escape(agreement)})</p>"
            f"{qa}<ul class=\"reasons\">{reasons}</ul>"
            + what_if_html(prediction)
            + highlight_html(letter.text[item.start:item.end], spans)
            + "</section>"
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


def predictions_index_html(records: Iterable[dict[str, Any]]) -> str:
    """The body of the index of a batch's pages: one row per item (``records``: prediction records with the
    ``html`` page each was written to, and error records): the contradictions first, then the other flags, the
    letters that failed (a row naming the error), and the rest, each group in input order."""
    records = sorted(records, key=_index_rank)
    items = sum("error" not in r for r in records)
    flagged = sum(bool(flag_words(r)) for r in records if "error" not in r)
    failed = len({r["source"] for r in records if "error" in r})
    rows = []
    for record in records:
        source = escape(str(record.get("source") or "–"))
        if "error" in record:
            rows.append(f'<tr class="failed"><td>{source}</td><td>–</td><td>–</td><td>–</td><td>–</td><td>–</td>'
                        f'<td>–</td><td>error: {escape(str(record["error"]))}</td></tr>')
            continue
        href = record.get("html")
        name = escape(str(record.get("case_number") or "–"))
        letter = (f'<a href="{escape(_page_link(href))}">{name}</a>' if href else name) + f"<br><small>{source}</small>"
        flags = flag_words(record)
        css = ' class="flag-contradiction"' if FLAG_CONTRADICTION in flags else ' class="flag-question"' if flags else ""
        cells = (letter, escape(f"{record['item_index'] + 1}. {record['item']}"),
                 escape(record.get("stated_decision") or "–"), escape(record["predicted"]),
                 f"{record['p_overturned']:.3f}", escape(record.get("basis") or "–"), escape("; ".join(flags)),
                 escape("; ".join(record.get("warnings") or ())))
        rows.append(f"<tr{css}>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    head = ("<tr><th>Letter</th><th>Item</th><th>Stated decision</th><th>Prediction</th><th>P(Overturned)</th>"
            "<th>Basis</th><th>Flags</th><th>Warnings</th></tr>")
    return (f"<h1>IMR outcome predictions</h1>\n"
            f'<p class="meta">{_count(items, "item")}, {flagged} flagged (contradictions first), '
            f'{_count(failed, "letter")} that could not be read. Upheld: the utilization review denial stands; '
            "Overturned: it is reversed.</p>\n"
            f'<table class="facts index">{head}{"".join(rows)}</table>')


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def _page_link(href: str) -> str:
    """A page's link from the index beside it (the pages and the index share one folder)."""
    from pathlib import PurePath
    from urllib.parse import quote

    return quote(PurePath(href).name)
