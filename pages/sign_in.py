"""Sign in (or, on a fresh installation, create the administrator account)."""

from tutor.ui.auth import sign_in_screen
from tutor.ui.deps import get_services

sign_in_screen(get_services())
