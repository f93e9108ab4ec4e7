"""Loading criteria sets into the database."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from .fileformat import CriteriaFile, CriteriaFileError
from .models import CriteriaSet, Criterion, CriterionGroup, Indicator


@dataclass
class ImportResult:
    criteria_set: CriteriaSet
    created: int
    updated: int
    removed: int


@transaction.atomic
def import_criteria_set(*, parsed: CriteriaFile) -> ImportResult:
    """Create or update the set with `parsed.code` in place.

    Criteria are matched by number, so assessments of a criterion survive a
    re-import that rewords it. A criterion that is missing from the file is
    removed only if no ward has an assessment of it. Wards enrolled on the
    set get assessments of its new criteria from the caller
    (`assessments.services.import_criteria_file`).
    """
    criteria_set, _created = CriteriaSet.objects.select_for_update().get_or_create(
        code=parsed.code, defaults={"name": parsed.name, "year": parsed.year}
    )
    criteria_set.name = parsed.name
    criteria_set.year = parsed.year
    criteria_set.save()

    groups = {g.code: g for g in criteria_set.groups.all()}
    for row in parsed.groups:
        group = groups.get(row.code) or CriterionGroup(
            criteria_set=criteria_set, code=row.code
        )
        group.title, group.title_en, group.position = (
            row.title,
            row.title_en,
            row.position,
        )
        group.save()
        groups[row.code] = group

    existing = {c.number: c for c in criteria_set.criteria.all()}
    created = updated = 0
    for line in parsed.criteria:
        criterion = existing.pop(line.number, None)
        if criterion is None:
            criterion = Criterion(criteria_set=criteria_set, number=line.number)
            created += 1
        else:
            updated += 1
        criterion.group = groups[line.group]
        criterion.title = line.title
        criterion.title_en = line.title_en
        criterion.description = line.description
        criterion.evidence_guidance = line.evidence_guidance
        criterion.responsible_body = line.responsible_body
        criterion.assessed = line.assessed
        criterion.save()

    _import_indicators(criteria_set, parsed)

    for number, criterion in sorted(existing.items()):
        if criterion.assessments.exists():
            raise CriteriaFileError(
                _(
                    "criterion %(number)d is not in the file, but wards are "
                    "assessed against it; keep it in the file."
                )
                % {"number": number}
            )
        criterion.delete()
    file_groups = {row.code for row in parsed.groups}
    for code, group in groups.items():
        if code not in file_groups:
            if group.criteria.exists():
                raise CriteriaFileError(
                    _("group “%(group)s” still has criteria.") % {"group": code}
                )
            group.delete()

    return ImportResult(criteria_set, created, updated, len(existing))


def _import_indicators(criteria_set: CriteriaSet, parsed: CriteriaFile) -> None:
    """Make the set's indicators those of the file.

    Values are kept by ward and code, not by these rows, so replacing an
    indicator's definition loses no figure.
    """
    by_number = {c.number: c for c in criteria_set.criteria.all()}
    Indicator.objects.filter(criterion__criteria_set=criteria_set).delete()
    Indicator.objects.bulk_create(
        Indicator(
            criterion=by_number[row.criterion],
            code=row.code,
            name=row.name,
            name_en=row.name_en,
            unit=row.unit,
            period=row.period,
            rule=row.rule,
            target=row.target,
            position=position,
        )
        for position, row in enumerate(parsed.indicators)
    )
