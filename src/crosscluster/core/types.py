"""Types shared by every app.

`Actor` is who makes a change, as every service takes it (`actor=`): a user, or `None` for the system
(imports, the demo loader, periodic jobs). The user model lives in `accounts`, above `core`; the import is
for the type checker only, so `core` still imports no app at run time (the import-linter contracts
exclude type-checking imports).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from crosscluster.accounts.models import User

Actor: TypeAlias = "User | None"
