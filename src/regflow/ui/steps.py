"""``/`` and ``/register/<flow>/...``: choosing a flow, one step per page, completion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from regflow.core.flowspec import FlowSpec, StepSpec
from regflow.core.model import Channel
from regflow.core.passwords import rules
from regflow.errors import Conflict, Gone, NotFound, RegflowError, ValidationFailed
from regflow.services.drafts import Draft
from regflow.ui import i18n, places
from regflow.ui.forms import field_views, shown_again, values_from_form
from regflow.ui.i18n import N_, gettext
from regflow.ui.pages import redirect
from regflow.ui.welcome import complete, welcome_router
from regflow.ui.wizard import Place, Wizard
from regflow.ui.words import say_on

DEFAULT_FINISH = N_("Create my account")


def errors_by_field(failure: ValidationFailed, labels: dict[str, str]) -> dict[str, str]:
    """One sentence per field, naming the field where the sentence alone would not."""
    found: dict[str, str] = {}
    for problem in failure.problems:
        name = problem.field.split(".")[0]
        label = labels.get(name, name.replace("_", " ").capitalize())
        found.setdefault(name, say_on(problem.code, name, label, problem.message))
    return found


def steps_router(w: Wizard) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])

    def show_step(
        request: Request,
        spec: FlowSpec,
        step: StepSpec,
        place: Place | None,
        draft: Draft | None,
        values: dict[str, Any],
        errors: dict[str, str] | None = None,
        status: int = 200,
        *,
        password_cleared: bool = False,
    ) -> Response:
        invited = bool(draft and draft.invited)
        progress = w.progress(spec, place, step.name, invited=invited)
        names = progress["names"]
        index = names.index(step.name) if step.name in names else 0
        back = f"/register/{spec.name}/step/{names[index - 1]}" if index > 0 else "/"
        policy = w.services.ctx.engine.policy_of(spec.name)
        country = values.get("country") if isinstance(values.get("country"), str) else None
        country = places.country_code(country) if country else (draft.country if draft else None)
        fields = field_views(step, values, errors or {}, country)
        confirmed = bool(place and place.state.is_verified(Channel.EMAIL))
        for view in fields:
            if view.name == "email" and confirmed:
                # an invitation's address is confirmed by the link; another by its code
                view.hint = (
                    gettext("Your invitation was sent to this address; it is confirmed.")
                    if invited
                    else gettext("This address is confirmed. If you change it, we send a new code.")
                )
            if view.name == "department" and draft and draft.departments:
                view.kind = "choice"
                view.options = [(d, d) for d in draft.departments]
                view.hint = gettext("Your organization's departments.")
        return w.pages.render(
            request,
            "step.html",
            status,
            flow=spec,
            step=step,
            fields=fields,
            email_confirmed=confirmed,
            errors=errors or {},
            progress=progress,
            back=back,
            rules=rules(policy) if "password" in step.secret_fields else [],
            min_length=getattr(policy, "min_length", 8),
            last=index == len(names) - 1,
            last_button=spec.finish_label or DEFAULT_FINISH,
            password_cleared=password_cleared,
            intro=(spec.intro or None) if index == 0 else None,
        )

    @router.get("/")
    async def choose(request: Request) -> Response:
        return w.pages.render(request, "choose.html", flows=w.flows())

    @router.get("/register/{flow}")
    async def resume(request: Request, flow: str) -> Response:
        spec = w.flow(flow)
        if spec is None:
            return not_found(request)
        place = await w.place(request, flow)
        if isinstance(place, Gone):
            return w.expired(request, flow)
        if place is None:
            return redirect(f"/register/{flow}/step/{spec.first.name}")
        return redirect(place.next_url())

    @router.get("/register/{flow}/step/{step}")
    async def step_page(request: Request, flow: str, step: str) -> Response:
        spec = w.flow(flow)
        step_spec = w.step_spec(spec, step) if spec else None
        if spec is None or step_spec is None:
            return not_found(request)
        place = await w.place(request, flow)
        if isinstance(place, Gone):
            return w.expired(request, flow)
        if place is None:
            if step_spec is not spec.first:
                # Back from the welcome page lands on the finished flow's welcome again
                finished = w.cookies.welcome(request, flow) is not None
                return redirect(f"/register/{flow}/welcome" if finished else f"/register/{flow}")
            return show_step(request, spec, step_spec, None, None, {})
        names = place.step_names
        current = place.state.step
        limit = names.index(current) if current in names else len(names) - 1
        if step not in names or names.index(step) > limit:
            return redirect(place.next_url())
        draft = await w.drafts.draft(place.rid, place.token)
        return show_step(request, spec, step_spec, place, draft, draft.values.get(step, {}))

    @router.post("/register/{flow}/step/{step}")
    async def submit(request: Request, flow: str, step: str) -> Response:
        spec = w.flow(flow)
        step_spec = w.step_spec(spec, step) if spec else None
        if spec is None or step_spec is None:
            return not_found(request)
        form = await w.form(request)
        place = await w.place(request, flow)
        if isinstance(place, Gone):
            return w.expired(request, flow)
        raw = values_from_form(step_spec, form)
        started: tuple[str, str] | None = None
        try:
            raw = await with_logo(w, step_spec, form, raw)
            if place is None:
                if step_spec is not spec.first:
                    return redirect(f"/register/{flow}")
                new = await w.services.registrations.start(flow, locale=i18n.current())
                started = (new.state.id, new.token)
                rid, token = started
            else:
                rid, token = place.rid, place.token
            state = await w.services.registrations.submit(rid, token, step, raw)
        except ValidationFailed as failure:
            labels = {v.name: v.label for v in field_views(step_spec, {}, {})}
            errors = errors_by_field(failure, labels)
            shown = {**shown_again(step_spec, form), "logo": raw.get("logo")}
            draft = await w.drafts.draft(place.rid, place.token) if place else None
            cleared = bool(step_spec.secret_fields & {k for k, v in form.items() if v})
            response = show_step(
                request,
                spec,
                step_spec,
                place,
                draft,
                shown,
                errors,
                422,
                password_cleared=cleared,
            )
        except Gone:
            return w.expired(request, flow)
        except NotFound:
            return w.lost(request, flow)
        except Conflict:
            return redirect(f"/register/{flow}")
        else:
            moved = Place(flow, rid, token, state)
            if state.complete and state.awaiting is None:
                response = await complete(w, request, moved)
            else:
                response = redirect(moved.next_url())
        if started is not None:
            w.cookies.keep_registration(response, flow, *started)
        return response

    router.include_router(welcome_router(w))

    @router.post("/register/{flow}/restart")
    async def restart(request: Request, flow: str) -> Response:
        if w.flow(flow) is None:
            return w.csrf_failed(request)
        return w.lost(request, flow)

    def not_found(request: Request) -> Response:
        return w.pages.render(
            request,
            "problem.html",
            404,
            title=N_("Page not found"),
            message=N_("This page does not exist."),
        )

    return router


async def with_logo(w: Wizard, step: StepSpec, form: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """A logo chosen in the form is stored first; its key becomes the ``logo`` value."""
    if "logo" not in {f["name"] for f in step.describe_fields()} or w.uploads is None:
        return raw
    upload = form.get("logo_file")
    kept = form.get("logo")
    if isinstance(kept, str) and kept:
        raw["logo"] = kept
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        if data:
            try:
                stored = await w.uploads.logo(data)
            except RegflowError as error:
                raise ValidationFailed.single("logo", error.code, error.message) from None
            raw["logo"] = stored.key
    return raw
