"""Cases: work through a clinical case stage by stage, commit to a differential and a plan, get a debrief."""

from tutor.ui.case_screens import cases_screen
from tutor.ui.deps import get_services
from tutor.ui.errors import shown_errors
from tutor.ui.auth import signed_in

with shown_errors():
    services = get_services()
    cases_screen(services, signed_in())
