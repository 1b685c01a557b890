"""Draw the model card's figures (PNG, matplotlib's Agg backend) into ``docs/assets/figures/``.

Reads what ``imr train`` and the evaluation scripts saved, never the letters:

- ``models/{draft,facts}/cv_predictions.json``: every item's out-of-fold P(Overturned) from the nested grouped
  cross-validation (first fold assignment), its outcome and its treatment category → ROC curves, reliability
  diagrams and the Overturned share per treatment category;
- ``models/sealed_report.json`` (``scripts/eval_sealed.py --write``): aggregates only (no per-item scores), so the
  sealed letters appear as their operating point (recall against 1 - specificity, from the recall and the
  balanced accuracy) and their ROC-AUC with its interval, not as a curve;
- ``models/later_report.json`` and :data:`INDEPENDENT_CHECK` (an external figure, from ``data/independent_check.json``) → the
  ROC-AUC of every estimate side by side.

The figures go beside the documentation (``docs/assets/figures``), the one place both the docs site and the
model card (``models/MODEL_CARD.md`` links there) can show them; they are not package data.

    python scripts/plot_model_card.py          # also run by scripts/write_model_card.py
"""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
FIGURES = ROOT / "docs" / "assets" / "figures"

# one meaning, one colour, in every chart: Overturned (the denial reversed) and Upheld (the denial stands);
# the estimates' sources in colours of their own, none of them the outcomes'
OVERTURNED, UPHELD = "#dc2626", "#2563eb"
SOURCE_COLOURS = {"nested": "#111827", "spread": "#6b7280", "sealed": "#7c3aed", "later": "#0f766e",
                  "unseen": "#a16207"}
GREY = "#9ca3af"

VARIANTS = [("draft", "full", "Draft mode, verdict first"),
            ("draft", "no_verdict", "Draft mode, verdict sentences removed"),
            ("facts", "full", "Facts mode (before review)")]
LATER_KEYS = {("draft", "full"): "draft", ("draft", "no_verdict"): "draft_cut_verdicts", ("facts", "full"): "facts"}

# The independent check on 65 real letters the project never saw (150 items, 13 Overturned), run outside the
# project on the shipped models and reported in issues 27 and 30: an external figure, not reproducible from this
# repository (the letters are kept aside). Typed once, in nlp_pipeline/data/independent_check.json, which the facts
# mode's uncertainty statement reads too.
def _independent_check() -> dict:
    from nlp_pipeline.model.uncertainty import independent_check

    found = independent_check()
    keys = {("draft", "full"): "draft", ("draft", "no_verdict"): "draft_no_verdict", ("facts", "full"): "facts"}
    out = {name: found["facts"][name] for name in ("letters", "items", "overturned")}
    for variant, key in keys.items():
        row = dict(found[key])
        row["ci"] = tuple(row["ci"]) if row.get("ci") else None
        out[variant] = row
    return out


INDEPENDENT_CHECK = _independent_check()

TREATMENT_NAMES = {
    "imaging": "imaging", "medication": "medication", "physical_therapy": "physical therapy",
    "dme": "equipment (DME)", "surgery_related": "surgery-related service", "electrodiagnostics": "electrodiagnostics",
    "acupuncture": "acupuncture", "chiropractic": "chiropractic", "injection": "injection", "testing": "testing",
    "surgery": "surgery", "psychotherapy": "psychotherapy", "office_visit": "office visit / referral",
    "home_health": "home health", "inpatient_care": "inpatient care", "functional_restoration": "functional restoration",
    "transportation": "transportation", None: "no category read",
}


def _style() -> None:
    plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "axes.titleweight": "bold",
                         "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 110,
                         "savefig.dpi": 110, "savefig.bbox": "tight", "legend.frameon": False})


def _load(*parts: str) -> dict:
    return json.loads(MODELS.joinpath(*parts).read_text(encoding="utf-8"))


def _cv(mode: str, variant: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcome (1 = Overturned), out-of-fold P(Overturned) and the cut each item was judged at."""
    rows = _load(mode, "cv_predictions.json")[variant]
    return (np.array([r["label"] for r in rows]), np.array([r["p_overturned"] for r in rows]),
            np.array([r["threshold"] for r in rows]))


def roc_points(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """False-positive rate, true-positive rate (ties taken together) and the area under them."""
    order = np.argsort(-p, kind="mergesort")
    y, p = y[order], p[order]
    last_of_tie = np.r_[np.nonzero(np.diff(p))[0], len(p) - 1]
    tp, fp = np.cumsum(y)[last_of_tie], np.cumsum(1 - y)[last_of_tie]
    tpr, fpr = np.r_[0, tp / y.sum()], np.r_[0, fp / (len(y) - y.sum())]
    return fpr, tpr, float(np.trapezoid(tpr, fpr) if hasattr(np, "trapezoid") else np.trapz(tpr, fpr))


def _interval(ci) -> str:
    return f" ({ci[0]:.2f}–{ci[1]:.2f})" if ci else ""


def plot_roc(reports: dict, sealed: dict, out: Path) -> None:
    """Nested ROC curves, one panel per variant, with the nested and sealed operating points."""
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.9))
    for ax, (mode, variant, title) in zip(axes, VARIANTS):
        y, p, cut = _cv(mode, variant)
        fpr, tpr, _ = roc_points(y, p)
        nested = reports[mode]["variants"][variant]["model"]
        ax.plot([0, 1], [0, 1], ls=":", color=GREY, lw=1, label="chance")
        ax.step(fpr, tpr, where="post", color=SOURCE_COLOURS["nested"], lw=1.8,
                label=f"nested CV curve: ROC-AUC {nested['metrics']['roc_auc']:.3f}{_interval(nested['ci95']['roc_auc'])}")
        flagged = p >= cut
        ax.plot((flagged & (y == 0)).sum() / (y == 0).sum(), (flagged & (y == 1)).sum() / y.sum(), "o", ms=7,
                color=SOURCE_COLOURS["nested"], label="nested CV: at the model's cut")
        s = sealed[mode]["variants"][variant]["model"]
        recall, balanced = s["metrics"]["overturned_recall"], s["metrics"]["balanced_accuracy"]
        ax.plot(1 - (2 * balanced - recall), recall, "s", ms=8, mfc="none", mew=2, color=SOURCE_COLOURS["sealed"],
                label=f"sealed letters, at the cut: ROC-AUC {s['metrics']['roc_auc']:.3f}"
                      f"{_interval(s['ci95']['roc_auc'])}")
        ax.set_title(title)
        ax.set_xlabel("Upheld items flagged (false-positive rate)")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.04)
        ax.set_aspect("equal")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8)
        ax.text(0.97, 0.04, f"nested CV: {len(y)} items, {int(y.sum())} Overturned\n"
                f"sealed: {sealed[mode]['variants'][variant]['items']} items, "
                f"{sealed[mode]['variants'][variant]['overturned']} Overturned",
                fontsize=8, color="#374151", ha="right", va="bottom", transform=ax.transAxes)
    axes[0].set_ylabel("Overturned items found (recall)")
    fig.suptitle("ROC curves: nested grouped cross-validation (curve) and sealed letters (operating point only)",
                 fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(out)
    plt.close(fig)


BINS = np.array([0, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0])  # reliability bins: narrow where most items are
HIST_BINS = np.linspace(0, 1, 21)


def plot_reliability(out: Path) -> None:
    """Observed share Overturned against predicted P(Overturned), binned, one panel per variant; below each,
    how many items of each outcome were given each P(Overturned)."""
    fig, axes = plt.subplots(2, 3, figsize=(13.5, 7.0), gridspec_kw={"height_ratios": [3, 1.25]})
    for column, (mode, variant, title) in enumerate(VARIANTS):
        y, p, _ = _cv(mode, variant)
        ax, hist = axes[0, column], axes[1, column]
        which = np.clip(np.digitize(p, BINS[1:-1]), 0, len(BINS) - 2)
        ax.plot([0, 1], [0, 1], ls=":", color=GREY, lw=1, label="perfectly calibrated")
        xs, ys, ns = [], [], []
        for b in range(len(BINS) - 1):
            inside = which == b
            if inside.any():
                xs.append(p[inside].mean())
                ys.append(y[inside].mean())
                ns.append(int(inside.sum()))
        ax.plot(xs, ys, "-", color=OVERTURNED, lw=1.2, alpha=0.6)
        ax.scatter(xs, ys, s=[18 + 1.5 * n for n in ns], color=OVERTURNED, zorder=3, edgecolor="white",
                   label="a bin of items (area: how many)")
        for k, (x, v, n) in enumerate(zip(xs, ys, ns)):
            ax.annotate(f"{n}", (x, v), textcoords="offset points", xytext=(8, -13 if k % 2 == 0 else 8),
                        fontsize=7.5, color="#374151")
        brier = float(np.mean((p - y) ** 2))
        ax.set_title(title)
        ax.text(0.02, 0.97, f"Brier {brier:.3f} (a constant at the base rate: {np.mean((y.mean() - y) ** 2):.3f})",
                transform=ax.transAxes, fontsize=8, va="top", color="#374151")
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.05, 1.07)
        ax.set_xlabel("predicted P(Overturned), bin average")
        ax.legend(loc="lower right", fontsize=8)
        upheld, _ = np.histogram(p[y == 0], HIST_BINS)
        overturned, _ = np.histogram(p[y == 1], HIST_BINS)
        hist.bar(HIST_BINS[:-1], upheld, width=0.05, align="edge", color=UPHELD, edgecolor="white", lw=0.5,
                 label="Upheld")
        hist.bar(HIST_BINS[:-1], overturned, width=0.05, align="edge", bottom=upheld, color=OVERTURNED,
                 edgecolor="white", lw=0.5, label="Overturned")
        hist.set_yscale("symlog", linthresh=1)
        hist.set_yticks([0, 1, 10, 100], ["0", "1", "10", "100"])
        hist.set_ylim(0, 400)
        hist.set_xlim(-0.03, 1.03)
        hist.set_xlabel("predicted P(Overturned)")
    axes[0, 0].set_ylabel("observed share Overturned")
    axes[1, 0].set_ylabel("items (log scale)")
    handles, labels = axes[1, 0].get_legend_handles_labels()
    fig.suptitle("Reliability: nested cross-validation's out-of-fold P(Overturned) against the stated outcomes",
                 fontsize=12)
    fig.tight_layout(rect=(0, 0.04, 1, 0.96))
    fig.legend(handles, [f"items {label} (stated decision)" for label in labels], loc="lower center", ncol=2,
               fontsize=9)
    fig.savefig(out)
    plt.close(fig)


def category_counts() -> list[tuple[str | None, int, int]]:
    """(treatment category, Overturned, items) over every labelled item, most items first."""
    counts: dict[str | None, list[int]] = {}
    for row in _load("draft", "cv_predictions.json")["full"]:
        c = counts.setdefault(row.get("treatment"), [0, 0])
        c[0] += row["label"]
        c[1] += 1
    return sorted(((k, o, n) for k, (o, n) in counts.items()), key=lambda r: (-r[2], -r[1]))


def plot_categories(out: Path) -> None:
    """The Overturned share per requested treatment category, with its counts."""
    rows = category_counts()
    total_o, total_n = sum(r[1] for r in rows), sum(r[2] for r in rows)
    fig, ax = plt.subplots(figsize=(9.5, 0.38 * len(rows) + 1.6))
    names = [TREATMENT_NAMES.get(k, str(k)) for k, _, _ in rows]
    shares = [o / n for _, o, n in rows]
    positions = np.arange(len(rows))[::-1]
    ax.barh(positions, shares, height=0.65,
            color=[matplotlib.colors.to_rgba(OVERTURNED, 1.0 if n >= 10 else 0.35) for _, _, n in rows])
    ax.axvline(total_o / total_n, color="#111827", ls="--", lw=1, zorder=0.5)
    ax.text(total_o / total_n + 0.008, len(rows) - 0.35, f"all items: {total_o} of {total_n} ({total_o / total_n:.1%})",
            fontsize=8.5, va="bottom")
    for y_pos, (_, o, n), share in zip(positions, rows, shares):
        ax.text(share + 0.008, y_pos, f"{o} of {n}", va="center", fontsize=8.5,
                color="#6b7280" if n < 10 else "#111827", bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8})
    ax.set_yticks(positions, names)
    ax.set_xlim(0, max(max(shares), 0.3) + 0.12)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("share of items Overturned (the utilization-review denial reversed)\n"
                  "pale bars, grey counts: under 10 items, too few to read a rate from", fontsize=9)
    ax.set_title("Overturned share per requested treatment category (the training letters, category as the "
                 "pipeline reads the title)", loc="left", fontsize=10)
    fig.savefig(out)
    plt.close(fig)


def plot_estimates(reports: dict, sealed: dict, later: dict | None, out: Path) -> None:
    """ROC-AUC of every estimate, each with its interval, per variant: nested CV, its spread over five fold
    assignments, the sealed letters, the later cases and the external independent check."""
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 3.9), sharey=True)
    sources = [("nested", "nested CV (95% interval)"), ("spread", "nested CV over 5 fold assignments (min–max)"),
               ("sealed", "sealed letters (trained on the study letters)"),
               ("later", "later cases (trained on 2016, scored on 2017)"),
               ("unseen", "independent check, 65 unseen letters (external)")]
    for ax, (mode, variant, title) in zip(axes, VARIANTS):
        values: dict[str, tuple[float, tuple[float, float] | None]] = {}
        result = reports[mode]["variants"][variant]["model"]
        values["nested"] = (result["metrics"]["roc_auc"], tuple(result["ci95"]["roc_auc"]))
        spread = reports[mode].get("repeated", {}).get("variants", {}).get(variant)
        if spread:
            values["spread"] = (spread["roc_auc"]["mean"], (spread["roc_auc"]["min"], spread["roc_auc"]["max"]))
        s = sealed[mode]["variants"][variant]["model"]
        values["sealed"] = (s["metrics"]["roc_auc"], tuple(s["ci95"]["roc_auc"]))
        if later and LATER_KEYS[(mode, variant)] in later["runs"]:
            run = later["runs"][LATER_KEYS[(mode, variant)]]
            values["later"] = (run["metrics"]["roc_auc"], tuple(run["ci95"]["roc_auc"]))
        check = INDEPENDENT_CHECK[(mode, variant)]
        values["unseen"] = (check["roc_auc"], check["ci"])
        for row, (key, label) in enumerate(sources):
            if key not in values:
                continue
            value, ci = values[key]
            colour = SOURCE_COLOURS[key]
            if ci:
                ax.plot(ci, [row, row], color=colour, lw=2.2, solid_capstyle="butt")
            ax.plot(value, row, "D" if key == "unseen" else "o", ms=7, color=colour,
                    mfc="white" if key == "unseen" else colour, mew=2)
            ax.text(1.03, row, f"{value:.3f}", va="center", fontsize=8.5, color=colour,
                    transform=ax.get_yaxis_transform())
        ax.axvline(0.5, color=GREY, ls=":", lw=1)
        ax.set_xlim(0.45, 1.02)
        ax.set_title(title)
        ax.set_xlabel("ROC-AUC (0.5: no better than chance)")
        ax.invert_yaxis()
    axes[0].set_yticks(range(len(sources)), [label for _, label in sources], fontsize=9)
    fig.suptitle("ROC-AUC by where it was measured (hollow diamond: an external figure, not reproducible here)",
                 fontsize=12)
    fig.tight_layout(w_pad=4.5, rect=(0, 0, 1, 0.95))
    fig.savefig(out)
    plt.close(fig)


FIGURE_FILES = {"roc": "roc_curves.png", "reliability": "reliability.png", "categories": "overturned_by_category.png",
                "estimates": "roc_auc_by_estimate.png"}


def main() -> dict[str, Path]:
    """Draw every figure; return their paths by name."""
    _style()
    FIGURES.mkdir(parents=True, exist_ok=True)
    reports = {mode: _load(mode, "report.json") for mode in ("draft", "facts")}
    sealed = _load("sealed_report.json")
    later = _load("later_report.json") if MODELS.joinpath("later_report.json").exists() else None
    paths = {name: FIGURES / file for name, file in FIGURE_FILES.items()}
    plot_roc(reports, sealed, paths["roc"])
    plot_reliability(paths["reliability"])
    plot_categories(paths["categories"])
    plot_estimates(reports, sealed, later, paths["estimates"])
    return paths


if __name__ == "__main__":
    for path in main().values():
        print(path.relative_to(ROOT))
