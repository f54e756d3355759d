"""IPS-25 fidelity reviews (modelgetrouwheid): scoring, bands, finishing, comparison."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .constants import (
    FIDELITY_ITEMS,
    FIDELITY_SCORE_MAX,
    FIDELITY_SCORE_MIN,
    FidelityBand,
    FidelitySection,
    ReviewStatus,
    fidelity_band,
)
from .models import FidelityReview, FidelityScore
from .services import ConflictError

ITEMS_BY_CODE = {
    code: (section, name, original, help_text)
    for code, section, name, original, help_text in FIDELITY_ITEMS
}


def items_in(section):
    return [item for item in FIDELITY_ITEMS if item[1] == section]


def summary(scores):
    """``scores``: {item code: score or None}. Section and total scores, the band (only
    when every item is scored) and the items still open."""
    sections = []
    for section in FidelitySection:
        codes = [code for code, *_rest in items_in(section)]
        given = [scores.get(code) for code in codes if scores.get(code) is not None]
        sections.append(
            {
                "section": section,
                "label": section.label,
                "score": sum(given),
                "maximum": len(codes) * FIDELITY_SCORE_MAX,
                "items": len(codes),
                "scored": len(given),
            }
        )
    missing = [code for code, *_rest in FIDELITY_ITEMS if scores.get(code) is None]
    total = sum(s["score"] for s in sections)
    band = None if missing else fidelity_band(total)
    return {
        "sections": sections,
        "total": total,
        "maximum": len(FIDELITY_ITEMS) * FIDELITY_SCORE_MAX,
        "missing": missing,
        "items": len(FIDELITY_ITEMS),
        "scored": len(FIDELITY_ITEMS) - len(missing),
        "complete": not missing,
        "band": band,
        "band_label": FidelityBand(band).label if band else None,
    }


def scores_of(review):
    return {s.item: s.score for s in review.scores.all()}


@transaction.atomic
def create_review(user, team, *, kind, review_date, reviewers):
    review = FidelityReview.objects.create(
        organisation_id=team.organisation_id,
        team=team,
        kind=kind,
        review_date=review_date,
        reviewers=reviewers,
        created_by=user,
    )
    FidelityScore.objects.bulk_create(
        FidelityScore(review=review, item=code) for code, *_rest in FIDELITY_ITEMS
    )
    return review


def _claim(review, expected_version):
    """Optimistic lock: bump the version only if nobody saved since ``expected_version``."""
    updated = FidelityReview.objects.filter(
        pk=review.pk, version=expected_version, status=ReviewStatus.CONCEPT
    ).update(version=F("version") + 1)
    if not updated:
        current = FidelityReview.objects.get(pk=review.pk)
        if current.status != ReviewStatus.CONCEPT:
            raise ValidationError(_("Deze meting is afgerond en kan niet meer worden gewijzigd."))
        raise ConflictError([(_("versie"), current.version)])
    review.version = expected_version + 1


@transaction.atomic
def save_scores(review, values, expected_version):
    """``values``: {item code: (score or None, note)}. Refused for a finished review, for a
    score outside 1–5, or when someone else saved first. Nothing is saved on refusal."""
    for code, (score, _note) in values.items():
        if code not in ITEMS_BY_CODE:
            raise ValidationError(_("Onbekend item: %(code)s.") % {"code": code})
        if score is not None and not FIDELITY_SCORE_MIN <= score <= FIDELITY_SCORE_MAX:
            raise ValidationError(
                _("De score van ‘%(item)s’ moet tussen 1 en 5 liggen.")
                % {"item": ITEMS_BY_CODE[code][1]}
            )
    _claim(review, expected_version)
    rows = list(review.scores.select_for_update().filter(item__in=values))
    for row in rows:
        row.score, row.note = values[row.item]
    FidelityScore.objects.bulk_update(rows, ["score", "note"])
    return review


@transaction.atomic
def finish_review(review, user, expected_version):
    """Finish explicitly: only with all 25 items scored; read-only afterwards."""
    current = FidelityReview.objects.select_for_update().get(pk=review.pk)
    if current.status != ReviewStatus.CONCEPT:
        raise ValidationError(_("Deze meting is al afgerond."))
    missing = [
        ITEMS_BY_CODE[code][1]
        for code in current.scores.filter(score__isnull=True).values_list("item", flat=True)
    ]
    if missing:
        raise ValidationError(
            _("Nog niet alle items hebben een score. Open: %(items)s.")
            % {"items": ", ".join(str(name) for name in missing)}
        )
    _claim(current, expected_version)
    FidelityReview.objects.filter(pk=current.pk).update(
        status=ReviewStatus.AFGEROND, finished_at=timezone.now(), finished_by=user
    )
    review.refresh_from_db()
    return review


def previous_review(review):
    """The team's last finished review before this one (by date), with its scores."""
    return (
        FidelityReview.objects.filter(team_id=review.team_id, status=ReviewStatus.AFGEROND)
        .exclude(pk=review.pk)
        .filter(review_date__lte=review.review_date)
        .exclude(review_date=review.review_date, pk__gt=review.pk)
        .prefetch_related("scores")
        .order_by("-review_date", "-pk")
        .first()
    )


def comparison(current, previous):
    """Change in total against the previous summary; each section of ``current`` gets its
    own ``change``. None without a previous review, and while ``current`` is not complete:
    like the band, a difference means nothing until every item is scored (a draft with
    four items scored would be 'Totaal -104')."""
    if previous is None or not current["complete"]:
        return None
    for now, before in zip(current["sections"], previous["sections"], strict=True):
        now["change"] = now["score"] - before["score"]
    return {"total": current["total"] - previous["total"], "band_before": previous["band_label"]}
