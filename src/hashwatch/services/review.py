"""The regulator's review: return a submission for correction with a comment, or accept it.

Only the newest version of a recipient's report can be reviewed, and only while it waits
for review. Each decision is a :class:`Review` row and an audit entry; the submission itself
is not changed beyond its review state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hashwatch.errors import ConflictError, InputError, NotFoundError
from hashwatch.reporting import audit
from hashwatch.reporting.models import (
    RecipientState,
    Review,
    ReviewAction,
    ReviewState,
    Submission,
)
from hashwatch.services.lookup import get_notice, recipient_by_code
from hashwatch.store.engine import Database
from hashwatch.store.types import utcnow

_OUTCOME = {
    ReviewAction.RETURN: (ReviewState.RETURNED, RecipientState.RETURNED),
    ReviewAction.ACCEPT: (ReviewState.ACCEPTED, RecipientState.ACCEPTED),
}


def review_submission(
    db: Database,
    notice_ref: str,
    facility_code: str,
    action: ReviewAction,
    *,
    reviewer: str,
    comment: str | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """Return (a comment is required) or accept the newest version of a facility's report."""
    comment = (comment or "").strip() or None
    if action is ReviewAction.RETURN and comment is None:
        raise InputError("say what to correct: a comment is required", field="comment")
    with db.transaction() as session:
        notice = get_notice(session, notice_ref)
        # Lock the recipient first, as filing does, so the two never deadlock.
        recipient = recipient_by_code(session, notice, facility_code, for_update=True)
        latest = session.execute(
            select(Submission)
            .where(Submission.recipient_id == recipient.id)
            .order_by(Submission.version.desc())
            .limit(1)
            .with_for_update()
        ).scalar_one_or_none()
        if latest is None:
            raise NotFoundError(
                f"{facility_code!r} has not submitted a report for {notice_ref!r}",
                field="facility_code",
            )
        if version is not None and version != latest.version:
            raise ConflictError(
                f"version {version} is not the newest (version {latest.version} is)",
                field="version",
            )
        if latest.review_state is not ReviewState.SUBMITTED:
            raise ConflictError(
                f"version {latest.version} of {facility_code!r} is already "
                f"{latest.review_state.value}"
            )
        review_state, recipient_state = _OUTCOME[action]
        latest.review_state = review_state
        before_recipient = recipient.state.value
        recipient.state = recipient_state
        review = Review(
            submission=latest, action=action, comment=comment, reviewer=reviewer, at=utcnow()
        )
        session.add(review)
        session.flush()
        after = {
            "version": latest.version,
            "review_state": review_state.value,
            "recipient_state": recipient_state.value,
            "comment": comment,
        }
        audit.record(
            session,
            actor=reviewer,
            action=f"review.{action.value}",
            object_type="submission",
            object_id=f"{notice_ref}/{facility_code}/v{latest.version}",
            before={
                "review_state": ReviewState.SUBMITTED.value,
                "recipient_state": before_recipient,
            },
            after=after,
        )
        return {"notice_ref": notice_ref, "facility_code": facility_code, **after}
