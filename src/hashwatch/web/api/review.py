"""The regulator's review of a facility's report: return with a comment, accept, diff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hashwatch.reporting.models import ReviewAction
from hashwatch.services import views
from hashwatch.services.lookup import by_principal
from hashwatch.services.review import review_submission
from hashwatch.web.api.models import DiffOut, ReviewIn, ReviewOut
from hashwatch.web.api.routing import COMMON, ApiRoute, CodePath, RefPath
from hashwatch.web.deps import DbDep, RegulatorDep

router = APIRouter(
    prefix="/api/v1/notices/{ref}/facilities/{code}",
    tags=["review"],
    route_class=ApiRoute,
    responses=COMMON,
)

VersionQuery = Annotated[int, Query(ge=1, le=1_000_000)]


def _review(
    db: DbDep, *, ref: str, code: str, action: ReviewAction, body: ReviewIn, reviewer: str
) -> ReviewOut:
    result = review_submission(
        db, ref, code, action, reviewer=reviewer, comment=body.comment, version=body.version
    )
    return ReviewOut.model_validate(result)


@router.post("/review/return", summary="Return for correction", response_model=ReviewOut)
def return_report(
    ref: RefPath, code: CodePath, body: ReviewIn, principal: RegulatorDep, db: DbDep
) -> ReviewOut:
    """Return the newest version with a comment (required) saying what to correct."""
    return _review(
        db, ref=ref, code=code, action=ReviewAction.RETURN, body=body, reviewer=principal.name
    )


@router.post("/review/accept", summary="Accept the report", response_model=ReviewOut)
def accept_report(
    ref: RefPath, code: CodePath, body: ReviewIn, principal: RegulatorDep, db: DbDep
) -> ReviewOut:
    """Accept the newest version (409 if it was already reviewed or a newer one came)."""
    return _review(
        db, ref=ref, code=code, action=ReviewAction.ACCEPT, body=body, reviewer=principal.name
    )


@router.get("/diff", summary="Changes between two versions", response_model=DiffOut)
def diff(
    *,
    ref: RefPath,
    code: CodePath,
    from_version: VersionQuery,
    to_version: VersionQuery,
    principal: RegulatorDep,
    db: DbDep,
) -> DiffOut:
    """Leaf-by-leaf changes of the normalised report from one version to another."""
    found = views.version_diff(db, by_principal(principal, ref, code), from_version, to_version)
    return DiffOut.model_validate(found)
