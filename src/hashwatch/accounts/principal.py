"""Who is acting: a regulator user, a recipient (through its notice link) or an organization."""

from __future__ import annotations

from dataclasses import dataclass

from hashwatch.accounts.models import Role


@dataclass(frozen=True)
class Principal:
    """The caller of a service.

    ``kind`` is ``user`` (regulator staff, who see everything), ``recipient`` (one facility
    of one notice, from its access token) or ``organization`` (an API token: every facility
    of one organization). Entities see and change only their own facilities' data.
    """

    kind: str
    name: str
    role: Role | None = None
    user_id: int | None = None
    recipient_id: int | None = None
    organization_id: int | None = None
    facility_ids: frozenset[int] = frozenset()

    @property
    def is_regulator(self) -> bool:
        return self.kind == "user"

    @property
    def is_admin(self) -> bool:
        """A regulator admin: imports the registry, creates, issues and closes notices."""
        return self.is_regulator and self.role is Role.ADMIN

    def may_see_facility(self, facility_id: int) -> bool:
        """Regulator users see every facility; an entity only its own."""
        return self.is_regulator or facility_id in self.facility_ids

    def may_act_for_recipient(self, recipient_id: int, facility_id: int) -> bool:
        """A recipient session acts for its own recipient row only; others by facility."""
        if self.kind == "recipient":
            return recipient_id == self.recipient_id
        return self.may_see_facility(facility_id)
