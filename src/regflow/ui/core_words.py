"""Words the core defines in English (flow and step titles, password rules), marked here for
the catalogues: the pure core imports no translation machinery, the pages translate them."""

from __future__ import annotations

from regflow.ui.i18n import N_

CORE_WORDS = (
    # flows and steps (regflow.core.flows)
    N_("Create your account"),
    N_("Register your organization"),
    N_("Register as a teacher"),
    N_("Register as a student"),
    N_("Your email"),
    N_("Your account"),
    N_("Secure your account"),
    N_("Your organization"),
    N_("The administrator"),
    N_("Preferences"),
    N_("About you"),
    N_("Your work"),
    N_("Security"),
    N_("Your school"),
    N_("Your class"),
    N_("Create your workspace"),
    N_("Your workspace"),
    N_("You and your organization"),
    # flow intros and last buttons
    N_("An account for yourself: your email address, a name and a password."),
    N_("Register a school or institution and become its administrator."),
    N_("Join your organization as a teacher, or teach independently."),
    N_("Join your school with its code, or register on your own."),
    N_("Register my organization"),
    # password rules (regflow.core.passwords)
    N_("8 to 128 characters."),
    N_("Not a common password, a sequence or a repeated character."),
    N_("Not containing your name, username, email or organization."),
    N_("Not a small variation of a common word or date."),
    N_("At least 8 characters."),
    N_("An upper-case letter."),
    N_("A lower-case letter."),
    N_("A digit."),
    N_("A special character (not a letter or digit)."),
)
