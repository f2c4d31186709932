"""``/`` and ``/register/<flow>/...``: choosing a flow, one step per page, completion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from regflow.core.flowspec import FlowSpec, StepSpec
from regflow.core.passwords import rules
from regflow.errors import Conflict, Gone, NotFound, RegflowError, ValidationFailed
from regflow.ui.forms import field_views, shown_again, values_from_form
from regflow.ui.pages import redirect
from regflow.ui.session import AUTHORIZE
from regflow.ui.wizard import Place, Wizard
from regflow.ui.words import say

INTROS = {
    "member": "An account for yourself, in three short steps.",
    "organization": "Register a school or institution and become its administrator.",
    "teacher": "Join your organization as a teacher, or teach independently.",
    "student": "Join your school with its code, or register on your own.",
}


def errors_by_field(failure: ValidationFailed) -> dict[str, str]:
    found: dict[str, str] = {}
    for problem in failure.problems:
        name = problem.field.split(".")[0]
        found.setdefault(name, say(problem.code, name, problem.message))
    return found


def steps_router(w: Wizard) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])

    def show_step(
        request: Request,
        spec: FlowSpec,
        step: StepSpec,
        place: Place | None,
        values: dict[str, Any],
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        progress = w.progress(spec, place, step.name)
        names = progress["names"]
        index = names.index(step.name) if step.name in names else 0
        back = f"/register/{spec.name}/step/{names[index - 1]}" if index > 0 else "/"
        policy = w.services.ctx.engine.password_policy
        fields = field_views(step, values, errors or {})
        # an invitation's registration: its address is confirmed already, no code is sent
        confirmed = bool(place and place.state.get("verified", {}).get("email"))
        for view in fields:
            if view.name == "email" and confirmed:
                view.hint = "Your invitation was sent to this address; it is confirmed."
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
            intro=INTROS.get(spec.name) if index == 0 else None,
        )

    @router.get("/")
    async def choose(request: Request) -> Response:
        return w.pages.render(request, "choose.html", flows=w.flows(), intros=INTROS)

    @router.get("/register/{flow}")
    async def resume(request: Request, flow: str) -> Response:
        spec = w.flow(flow)
        if spec is None:
            return not_found(request)
        place = await w.place(request, flow)
        if isinstance(place, Gone):
            return w.expired(request, flow)
        if place is None:
            return redirect(f"/register/{flow}/step/{spec.steps[0].name}")
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
            if step != spec.steps[0].name:
                return redirect(f"/register/{flow}")
            return show_step(request, spec, step_spec, None, {})
        names = place.step_names
        current = place.state["step"]
        limit = names.index(current) if current in names else len(names) - 1
        if step not in names or names.index(step) > limit:
            return redirect(place.next_url())
        drafts = await w.drafts.values(place.rid, place.token)
        return show_step(request, spec, step_spec, place, drafts.get(step, {}))

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
                if step != spec.steps[0].name:
                    return redirect(f"/register/{flow}")
                new = await w.services.registrations.start(flow)
                started = (new.state["id"], new.token)
                rid, token = started
            else:
                rid, token = place.rid, place.token
            state = await w.services.registrations.submit(rid, token, step, raw)
        except ValidationFailed as failure:
            errors = errors_by_field(failure)
            shown = {**shown_again(step_spec, form), "logo": raw.get("logo")}
            response = show_step(request, spec, step_spec, place, shown, errors, 422)
        except Gone:
            return w.expired(request, flow)
        except NotFound:
            return w.lost(request, flow)
        except Conflict:
            return redirect(f"/register/{flow}")
        else:
            moved = Place(flow, rid, token, state)
            if state["step"] == "complete" and not state.get("pending_verification"):
                response = await complete(request, moved)
            else:
                response = redirect(moved.next_url())
        if started is not None:
            w.cookies.keep_registration(response, flow, *started)
        return response

    @router.get("/register/{flow}/ready")
    async def ready(request: Request, flow: str) -> Response:
        spec = w.flow(flow)
        if spec is None:
            return not_found(request)
        place = await w.place(request, flow)
        if isinstance(place, Gone):
            return w.expired(request, flow)
        if place is None or place.state["step"] != "complete":
            return redirect(f"/register/{flow}")
        return w.pages.render(request, "ready.html", flow=spec, error=None)

    @router.post("/register/{flow}/complete")
    async def finish(request: Request, flow: str) -> Response:
        place = await w.place(request, flow)
        if isinstance(place, Gone):
            return w.expired(request, flow)
        if place is None:
            return redirect(f"/register/{flow}")
        return await complete(request, place)

    @router.post("/register/{flow}/restart")
    async def restart(request: Request, flow: str) -> Response:
        if w.flow(flow) is None:
            return w.csrf_failed(request)
        return w.lost(request, flow)

    async def complete(request: Request, place: Place) -> Response:
        spec = w.flow(place.flow)
        try:
            _, body = await w.services.completion.complete(place.rid, place.token)
        except Gone:
            return w.expired(request, place.flow)
        except RegflowError as error:
            message = say(error.code, fallback=error.message)
            return w.pages.render(request, "ready.html", 409, flow=spec, error=message)
        account = body.get("account") or {}
        name = account.get("first_name") or account.get("username") or ""
        response: Response = w.pages.render(
            request,
            "welcome.html",
            flow=spec,
            name=name,
            account=account,
            organization=body.get("organization"),
            membership=body.get("membership"),
        )
        w.cookies.forget_registration(response, place.flow)
        if account.get("id"):  # the end of a hosted flow signs the browser in
            waiting = w.cookies.authorize_continuation(request)
            if waiting is not None:  # opened by an application: back to it, with a code
                response = redirect(f"{AUTHORIZE}?{waiting}")
                w.cookies.forget_authorize(response)
                w.cookies.forget_registration(response, place.flow)
            await w.start_session(request, response, str(account["id"]))
        return response

    def not_found(request: Request) -> Response:
        return w.pages.render(
            request,
            "problem.html",
            404,
            title="Page not found",
            message="This page does not exist.",
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
            raw["logo"] = stored["key"]
    return raw
