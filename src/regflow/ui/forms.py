"""A step's fields as form inputs (labels, hints, HTML attributes) and form posts as values.

The fields come from the flow's own ``StepSpec`` (its Pydantic model's schema);
this module only decides how they look and how form text becomes JSON-like
values. Validation stays in the engine: text that is not a number is passed
through as text so the engine reports it with its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from regflow.core.flowspec import StepSpec
from regflow.ui import places
from regflow.ui.i18n import N_, current, gettext

_LABELS = {
    "email": N_("Email address"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "full_name": N_("Full name"),
    "username": N_("Username"),
    "password": N_("Password"),
    "password_confirmation": N_("Confirm password"),
    "org_code": N_("Organization code"),
    "name": N_("Name"),
    "country": N_("Country"),
    "state": N_("State or region"),
    "city": N_("City"),
    "postal_code": N_("Postal code"),
    "type": N_("Type of institution"),
    "student_strength": N_("Number of students"),
    "government_recognized": N_("Recognized by the government"),
    "phone": N_("Mobile number"),
    "structure": N_("Structure"),
    "departments": N_("Departments"),
    "sub_admins": N_("Allow sub-administrators"),
    "timezone": N_("Time zone"),
    "two_factor": N_("Require two-factor sign-in"),
    "join_policy": N_("Who can join"),
    "logo": N_("Logo"),
    "subjects": N_("Subjects you teach"),
    "role": N_("Your role"),
    "affiliation": N_("You teach"),
    "experience_level": N_("Experience level"),
    "current_institution": N_("Current institution"),
    "years_of_experience": N_("Years of experience"),
    "date_of_birth": N_("Date of birth"),
    "gender": N_("Gender"),
    "registration_type": N_("How you register"),
    "academic_level": N_("Academic level"),
    "department": N_("Department"),
    "batch": N_("Batch"),
    "year": N_("Year"),
    "auto_mapping": N_("Place me in my class automatically"),
}

_STEP_LABELS = {
    ("organization", "name"): N_("Organization name"),
    ("admin", "name"): N_("Your full name"),
    ("admin", "email"): N_("Your email address"),
    ("admin", "phone"): N_("Your mobile number"),
    ("organization", "current_institution"): N_("Your school or institution"),
}

_HINTS = {
    "email": N_("We send a 6-digit code to this address."),
    "username": N_("3 to 30 letters, digits, dots, hyphens or underscores."),
    "org_code": N_("Your organization gives you this code. You can add it later."),
    "country": N_("Start typing its name and choose it from the list."),
    "phone": N_("We send a code by SMS. Write it as you would at home, or start with +."),
    "departments": N_("One per line; needed for several departments."),
    "subjects": N_("One per line."),
    "postal_code": N_("Leave it empty only if your country has no postal codes."),
    "logo": N_("Optional. PNG, JPEG or GIF, up to 5 MB."),
    "date_of_birth": N_("Used to check your age; never shown to others."),
    "experience_level": N_("For example Junior, Senior or Head of department."),
    "academic_level": N_("For example Grade 10, Undergraduate or Master's."),
}

# needed or not depending on another answer: no "(optional)" next to them, the hint says when
_CONDITIONAL = {
    ("organization", "org_code"): N_("From your school. Needed when you register with it."),
    ("organization", "current_institution"): N_("Needed when you register on your own."),
    ("preferences", "departments"): N_("One per line; needed for several departments."),
}

_AUTOCOMPLETE = {
    "email": "email",
    "first_name": "given-name",
    "last_name": "family-name",
    "full_name": "name",
    "username": "username",
    "password": "new-password",
    "password_confirmation": "new-password",
    "country": "country",
    "state": "address-level1",
    "city": "address-level2",
    "postal_code": "postal-code",
    "phone": "tel",
    "date_of_birth": "bday",
    "org_code": "off",
}

_CHOICE_WORDS = {
    "non_binary": N_("Non-binary"),
    "prefer_not_to_say": N_("Prefer not to say"),
    "invite_only": N_("Invitation only"),
    "approval": N_("Open, with approval"),
    "open": N_("Open to anyone with the code"),
    "single": N_("Single department"),
    "multi": N_("Several departments"),
    "standalone": N_("On my own"),
    "organization": N_("With my school or organization"),
    "freelance": N_("Independently (freelance)"),
    "ngo": N_("NGO"),
    "school": N_("School"),
    "college": N_("College"),
    "university": N_("University"),
    "institute": N_("Institute"),
    "coaching": N_("Coaching centre"),
    "training": N_("Training centre"),
    "corporate": N_("Corporate"),
    "government": N_("Government"),
    "other": N_("Other"),
    "female": N_("Female"),
    "male": N_("Male"),
}


@dataclass
class FieldView:
    name: str
    label: str
    kind: str  # text, email, password, tel, number, date, choice, timezone, boolean, list, file
    required: bool
    value: Any = None
    hint: str | None = None
    error: str | None = None
    autocomplete: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    groups: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    countries: tuple[places.Country, ...] = ()
    conditional: bool = False
    base_hint: str | None = None  # the hint without the country's example (country.js)

    @property
    def input_id(self) -> str:
        return f"f-{self.name}"


ZONE_GROUPS = {"suggested": N_("Suggested"), "all": N_("All time zones")}


def _hint(step: str, name: str) -> str | None:
    found = _CONDITIONAL.get((step, name)) or _HINTS.get(name)
    return gettext(found) if found else None


def _choice(option: str) -> str:
    return gettext(_CHOICE_WORDS.get(option, option.replace("_", " ").capitalize()))


def _kind(ui_type: str, name: str) -> str:
    if name == "logo":
        return "file"
    return {"integer": "number"}.get(ui_type, ui_type)


def _with_country(view: FieldView, country: str | None) -> None:
    """What depends on the country: its name shown, phone example, postal codes, zones."""
    if view.kind == "country":
        view.countries = places.countries(current())
        if isinstance(view.value, str) and len(view.value) == 2:
            view.value = places.country_name(view.value.upper(), current()) or view.value
    elif view.kind == "tel":
        view.base_hint = view.hint
        if country and places.phone_example(country):
            example = gettext("For example %(example)s.", example=places.phone_example(country))
            view.hint = f"{view.hint} {example}"
    elif view.name == "postal_code":
        view.conditional = True  # "(optional)" only where the country has none, see country.js
    elif view.kind == "timezone":
        view.groups = [
            (gettext(ZONE_GROUPS[key]), [(z, z.replace("_", " ")) for z in zones])
            for key, zones in places.zone_groups(country)
        ]


def field_views(
    spec: StepSpec,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    country: str | None = None,
) -> list[FieldView]:
    """The inputs of ``spec`` filled with ``values``; ``errors`` are sentences by field;
    ``country`` (an alpha-2 code entered in this or an earlier step) sets phone examples and
    suggested time zones."""
    props = spec.fields.model_json_schema().get("properties", {})
    views = []
    for described in spec.describe_fields():
        name = described["name"]
        options = [str(o) for o in props.get(name, {}).get("options", [])]
        default = props.get(name, {}).get("default")
        view = FieldView(
            name=name,
            label=gettext(
                _STEP_LABELS.get((spec.name, name))
                or _LABELS.get(name, name.replace("_", " ").capitalize())
            ),
            kind=_kind(described["type"], name),
            required=bool(described["required"]),
            value=values.get(name, default if not values else None),
            hint=_hint(spec.name, name),
            error=errors.get(name),
            conditional=(spec.name, name) in _CONDITIONAL,
            autocomplete=_AUTOCOMPLETE.get(name),
            options=[(o, _choice(o)) for o in options],
        )
        _with_country(view, country)
        if view.kind == "list" and isinstance(view.value, list):
            view.value = "\n".join(str(v) for v in view.value)
        views.append(view)
    return views


def values_from_form(spec: StepSpec, form: Mapping[str, Any]) -> dict[str, Any]:
    """Form text as step values: checkboxes to booleans, lines to lists, numbers to ints."""
    raw: dict[str, Any] = {}
    for described in spec.describe_fields():
        name, ui_type = described["name"], described["type"]
        value = form.get(name)
        text = value.strip() if isinstance(value, str) else None
        if ui_type == "boolean":
            raw[name] = text in {"on", "true", "1", "yes"}
        elif ui_type == "list":
            raw[name] = [line.strip() for line in (text or "").splitlines() if line.strip()]
        elif text is None or text == "":
            continue  # left empty: the engine says REQUIRED where it is
        elif ui_type == "integer":
            raw[name] = int(text) if text.isdigit() and len(text) < 12 else text
        elif ui_type == "password":
            raw[name] = value  # passwords are taken exactly as typed
        elif ui_type == "country":
            raw[name] = places.country_code(text)  # a name from the picker, or a code
        else:
            raw[name] = text
    return raw


def shown_again(spec: StepSpec, form: Mapping[str, Any]) -> dict[str, Any]:
    """What the form shows again after a refusal: everything typed except passwords."""
    shown: dict[str, Any] = {}
    for described in spec.describe_fields():
        name = described["name"]
        if described["type"] == "password":
            continue
        value = form.get(name)
        if described["type"] == "boolean":
            shown[name] = value is not None
        elif isinstance(value, str):
            shown[name] = value
    return shown
