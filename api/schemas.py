"""What the API answers, field by field (the OpenAPI schema is made from these)."""

import datetime as dt
from typing import Any

from ninja import Schema


class ProvinceOut(Schema):
    code: str
    name: str
    valid_from: dt.date | None
    valid_to: dt.date | None


class UnitOut(Schema):
    code: str
    name: str
    full_name: str
    kind: str
    province_code: str
    valid_from: dt.date | None
    valid_to: dt.date | None

    @staticmethod
    def resolve_province_code(obj: Any) -> str:
        return obj.province.code


class UnitChangeOut(Schema):
    """One step of a unit's lineage: the other unit, and when."""

    code: str
    name: str
    province_code: str
    effective: dt.date
    partial: bool


class UnitDetailOut(UnitOut):
    # What the unit was formed from, and what it became.
    predecessors: list[UnitChangeOut]
    successors: list[UnitChangeOut]


class CriteriaSetOut(Schema):
    code: str
    name: str
    year: int
    size: int


class CriterionOut(Schema):
    number: int
    title: str
    title_en: str
    responsible_body: str
    assessed: str


class CriterionGroupOut(Schema):
    code: str
    title: str
    title_en: str
    position: int
    criteria: list[CriterionOut]


class CriteriaSetDetailOut(CriteriaSetOut):
    groups: list[CriterionGroupOut]


class EnrolmentOut(Schema):
    unit_code: str
    unit_name: str
    province_code: str
    year: int
    track: str
    stage: str
    criteria_set: str
    approved_criteria: int
    submitted_criteria: int
    returned_criteria: int
    set_size: int

    @staticmethod
    def resolve_unit_code(obj: Any) -> str:
        return obj.ward.code

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return obj.ward.name

    @staticmethod
    def resolve_province_code(obj: Any) -> str:
        return obj.ward.province.code

    @staticmethod
    def resolve_criteria_set(obj: Any) -> str:
        return obj.criteria_set.code


class RecognisedUnitOut(Schema):
    code: str
    name: str
    province_code: str


class DecisionOut(Schema):
    id: int
    number: str
    date: dt.date
    year: int
    track: str
    # The deciding province of a province-level decision; null for the Minister's.
    province_code: str | None
    signer: str
    in_force: bool
    corrects: int | None
    # The units it recognises that the token's user can see.
    units: list[RecognisedUnitOut]

    # Read from `api.endpoints.decisions`' annotation and prefetch.
    @staticmethod
    def resolve_province_code(obj: Any) -> str | None:
        return obj.province.code if obj.province else None

    @staticmethod
    def resolve_in_force(obj: Any) -> bool:
        return not obj.corrected

    @staticmethod
    def resolve_corrects(obj: Any) -> int | None:
        return obj.corrects_id

    @staticmethod
    def resolve_units(obj: Any) -> list[dict[str, str]]:
        return [
            {
                "code": p.enrolment.ward.code,
                "name": p.enrolment.ward.name,
                "province_code": p.enrolment.ward.province.code,
            }
            for p in obj.visible_proposals
        ]


class AssessmentOut(Schema):
    number: int
    title: str
    title_en: str
    group: str
    status: str
    updated_at: dt.datetime


class UnitAssessmentsOut(Schema):
    unit_code: str
    year: int
    criteria_set: str
    assessments: list[AssessmentOut]
