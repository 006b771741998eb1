"""The web desk application: pages for people, the same data as JSON under /api/.

Every page is server-rendered with autoescaping Jinja2 and served under a Content Security
Policy that allows no script at all, so text from evidence can never run. Writes (alert
actions) go through ``security.require`` and a CSRF check first, then the same store functions
the ``alerts`` command uses, with an audit record in the same transaction.
"""

from __future__ import annotations

import mimetypes
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from fragwatch.errors import FragwatchError
from fragwatch.web import security
from fragwatch.web.charts import history_svg
from fragwatch.web.desk import Desk
from fragwatch.web.passwords import needs_rehash, verify
from fragwatch.web.scenario_upload import MAX_SCENARIO_BYTES, UploadRefused, run_uploaded
from fragwatch.web.security import CSRF_FIELD, LoginRequired, Principal, reader, require
from fragwatch.web.worldmap import world_map

HERE = Path(__file__).parent
SESSION_COOKIE = "fragwatch_session"
SESSION_HOURS = 8

PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# A written report carries its CSS inline (it is also a mail); still no script.
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class SecurityHeaders:
    """Plain ASGI middleware (Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per
    request): the policy and hardening headers on every response that does not set its own."""

    HEADERS = (
        (b"content-security-policy", PAGE_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cache-control", b"no-store"),
    )

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.HEADERS if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(desk: Desk, *, secret_key: str, https: bool = False) -> FastAPI:
    """The application over ``desk``; ``secret_key`` signs the session cookies."""
    app = FastAPI(
        title="fragwatch web desk",
        version="1",
        summary="Scores, alerts, evidence, scenarios and reports of a fragwatch service.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN: not shipped
        redoc_url=None,
    )
    app.state.desk = desk
    app.state.limiter = security.LoginLimiter()
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
        https_only=https,
    )

    app.add_middleware(SecurityHeaders)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")

    def page(request: Request, name: str, user: Principal | None, code: int = 200, **data):
        context = {
            "user": user,
            "csrf": security.csrf_token(request),
            "csrf_field": CSRF_FIELD,
            "flash": request.session.pop("flash", None),
            **data,
        }
        return templates.TemplateResponse(request, name, context, status_code=code)

    rendered: dict[int, tuple[dict, Markup]] = {}
    rendered_lock = threading.Lock()

    def country_main(view: dict) -> Markup:
        """The country page's content, rendered once per computed view (views are cached and
        shared, so the same object comes back until the store moves)."""
        with rendered_lock:
            found = rendered.get(id(view))
            if found is not None and found[0] is view:
                return found[1]
        chart = history_svg(view["history"], view["bands"], view["firings"])
        html = Markup(
            templates.get_template("country_main.html").render(view=view, chart=chart)
        )  # autoescaped when rendered
        with rendered_lock:
            if len(rendered) > 64:
                rendered.clear()
            rendered[id(view)] = (view, html)
        return html

    maps: dict[tuple[int, int], tuple[list, list | None, Markup]] = {}

    def overview_map(watched: list[dict], ranking: list[dict] | None, bands: list[dict]) -> Markup:
        """The overview's map, rendered once per computed view like the country page's content
        (its 176 paths would otherwise cost more than the rest of the page)."""
        key = (id(watched), id(ranking))
        with rendered_lock:
            found = maps.get(key)
            if found is not None and found[0] is watched and found[1] is ranking:
                return found[2]
        shown = world_map(watched, ranking, bands)
        html = Markup(templates.get_template("worldmap.html").render(map=shown))  # autoescaped
        with rendered_lock:
            if len(maps) > 16:
                maps.clear()
            maps[key] = (watched, ranking, html)
        return html

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        if wants_json(request):
            return JSONResponse({"detail": "log in or send an API token"}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if wants_json(request) or exc.status_code < 400:
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return page(
            request, "error.html", None, exc.status_code, status=exc.status_code, detail=exc.detail
        )

    @app.exception_handler(FragwatchError)
    async def user_error(request: Request, exc: FragwatchError):
        if wants_json(request):
            return JSONResponse({"detail": exc.one_line()}, status_code=400)
        return page(request, "error.html", None, 400, status=400, detail=exc.one_line())

    def audit(who: str, action: str, target: str, conn, detail: str = "") -> None:
        from fragwatch.store.users import audit as record

        record(conn, f"web:{who}", action, target, datetime.now(UTC), detail)

    # -- login ----------------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/"):
        return page(request, "login.html", None, next=_local(next))

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        csrf_token: str = Form(""),
        next: str = Form("/"),
    ):
        from fragwatch.store.users import password_hash_of, set_password_hash

        security.check_csrf(request, csrf_token)
        limiter: security.LoginLimiter = app.state.limiter
        client = request.client.host if request.client else "?"
        keys = (f"ip:{client}", f"user:{username}")
        wait = limiter.retry_after(*keys)
        if wait:
            return page(request, "login.html", None, 429, next=_local(next),
                        error=f"Too many failed logins: try again in {wait} s.")  # fmt: skip
        with desk.engine.connect() as conn:
            stored = password_hash_of(conn, username)
        if not verify(stored, password):
            limiter.failed(*keys)
            with desk.engine.begin() as conn:
                audit(username or "?", "login.failed", client, conn)
            return page(request, "login.html", None, 401, next=_local(next),
                        error="Wrong user name or password.")  # fmt: skip
        with desk.engine.begin() as conn:
            if needs_rehash(stored):
                from fragwatch.web.passwords import hash_password

                set_password_hash(conn, username, hash_password(password))
            audit(username, "login", client, conn)
        request.session.clear()  # a new session (and CSRF token) at every login
        request.session[security.SESSION_USER] = username
        security.csrf_token(request)
        return RedirectResponse(_local(next), status_code=303)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf_token: str = Form("")):
        security.check_csrf(request, csrf_token)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # -- pages ----------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def overview_page(request: Request, band: str = "", q: str = "", sort: str = "score"):
        # Async: a cached view is served on the event loop without a hop to a worker thread;
        # only a view not computed yet is made in one.
        user = reader(request)
        view = desk.overview(band=band, query=q, sort=sort, cached_only=True)
        if view is None:
            view = await run_in_threadpool(desk.overview, band=band, query=q, sort=sort)
        # Every watched country on the map, whatever the filter keeps of the cards.
        watched = desk.watched(cached_only=True) or view["countries"]
        shown = overview_map(watched, view["world_ranking"], view["bands"])
        return page(request, "overview.html", user, view=view, worldmap=shown)

    @app.get("/country/{code}", response_class=HTMLResponse, include_in_schema=False)
    async def country_page(request: Request, code: str, since: str | None = None):
        user = reader(request)
        view = _country(desk, code, since, cached_only=True)
        if view is None:
            view = await run_in_threadpool(_country, desk, code, since)
        main = country_main(view)
        return page(request, "country.html", user, view=view, main=main)

    @app.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
    def alerts_page(request: Request):
        user = reader(request)
        return page(request, "alerts.html", user, view=desk.alerts())

    @app.post("/alerts/ack", include_in_schema=False)
    def alert_ack(
        request: Request,
        user: Officer,
        rule: str = Form(...),
        subject: str = Form(...),
        csrf_token: str = Form(""),
    ):
        from fragwatch.store.alerts import acknowledge

        security.check_csrf(request, csrf_token)
        with desk.engine.begin() as conn:
            acknowledge(conn, rule, subject, f"web:{user.name}", datetime.now(UTC))
            audit(user.name, "alert.ack", f"{rule} {subject}", conn)
        request.session["flash"] = f"Acknowledged {rule} for {subject}."
        return RedirectResponse("/alerts", status_code=303)

    @app.post("/alerts/silence", include_in_schema=False)
    def alert_silence(
        request: Request,
        user: Officer,
        rule: str = Form(...),
        subject: str = Form(...),
        until: str = Form(""),
        duration: str = Form(""),
        comment: str = Form(""),
        csrf_token: str = Form(""),
    ):
        from fragwatch.alerts.lifecycle import Silence
        from fragwatch.commands.alerts import parse_until
        from fragwatch.store.alerts import add_silence

        security.check_csrf(request, csrf_token)
        now = datetime.now(UTC)
        ends = parse_until(until or None, duration or None, now)
        with desk.engine.begin() as conn:
            silence_id = add_silence(
                conn, Silence(rule, subject, ends), created_by=f"web:{user.name}",
                comment=comment, now=now,
            )  # fmt: skip
            audit(user.name, "silence.add", f"#{silence_id} {rule} {subject}", conn,
                  f"until {ends.isoformat()} {comment}".strip())  # fmt: skip
        request.session["flash"] = (
            f"Silenced {rule} for {subject} until {ends:%Y-%m-%d %H:%M} UTC (#{silence_id})."
        )
        return RedirectResponse("/alerts", status_code=303)

    @app.post("/alerts/unsilence", include_in_schema=False)
    def alert_unsilence(
        request: Request,
        user: Officer,
        silence_id: int = Form(...),
        csrf_token: str = Form(""),
    ):
        from fragwatch.store.alerts import remove_silence

        security.check_csrf(request, csrf_token)
        with desk.engine.begin() as conn:
            remove_silence(conn, silence_id)
            audit(user.name, "silence.remove", f"#{silence_id}", conn)
        request.session["flash"] = f"Silence #{silence_id} removed."
        return RedirectResponse("/alerts", status_code=303)

    @app.get("/evidence", response_class=HTMLResponse, include_in_schema=False)
    def evidence_page(
        request: Request,
        country: str = "",
        what: str = "",
        type: str = "",
        source: str = "",
        text: str = "",
        page_no: int = 1,
    ):
        user = reader(request)
        view = _evidence(desk, country, what, type, source, text, page_no)
        return page(request, "evidence.html", user, view=view)

    @app.get("/scenarios", response_class=HTMLResponse, include_in_schema=False)
    def scenarios_page(request: Request):
        user = reader(request)
        return page(request, "scenarios.html", user, scenarios=desk.scenarios(), result=None)

    @app.post("/scenarios/run", response_class=HTMLResponse, include_in_schema=False)
    def scenario_run(
        request: Request,
        user: Analyst,
        name: str = Form(...),
        csrf_token: str = Form(""),
    ):
        security.check_csrf(request, csrf_token)
        result = desk.run_scenario(name)
        return page(request, "scenarios.html", user, scenarios=desk.scenarios(), result=result,
                    chosen=name)  # fmt: skip

    @app.post("/scenarios/upload", response_class=HTMLResponse, include_in_schema=False)
    async def scenario_upload(
        request: Request,
        user: Analyst,
        file: Annotated[UploadFile, File()],
        csrf_token: str = Form(""),
    ):
        security.check_csrf(request, csrf_token)
        data = await file.read(MAX_SCENARIO_BYTES + 1)
        try:
            result = await run_in_threadpool(run_uploaded, desk, file.filename or "", data)
        except UploadRefused as refused:
            return page(request, "scenarios.html", user, refused.status,
                        scenarios=desk.scenarios(), upload_error=refused.line)  # fmt: skip
        return page(request, "scenarios.html", user, scenarios=desk.scenarios(), result=result,
                    uploaded=result["scenario"])  # fmt: skip

    @app.get("/reports", response_class=HTMLResponse, include_in_schema=False)
    def reports_page(request: Request):
        user = reader(request)
        return page(request, "reports.html", user, reports=desk.reports())

    @app.get("/reports/{name}/", include_in_schema=False)
    def report_html(request: Request, name: str):
        return report_file(request, name, "report.html")

    @app.get("/reports/{name}/{filename}", include_in_schema=False)
    def report_file(request: Request, name: str, filename: str):
        reader(request)
        try:
            path = desk.report_file(name, filename)
        except LookupError:
            raise HTTPException(404, "no such report file") from None
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind not in ("text/html", "image/png", "text/plain"):
            raise HTTPException(404, "no such report file")
        return FileResponse(path, media_type=kind,
                            headers={"Content-Security-Policy": REPORT_POLICY})  # fmt: skip

    @app.get("/admin", response_class=HTMLResponse, include_in_schema=False)
    def admin_page(request: Request):
        from fragwatch.store.engine import read_connection
        from fragwatch.store.users import audit_trail, list_users

        user = reader(request)
        if not user.may("users"):
            raise HTTPException(403, f"the role '{user.role}' may not see users")
        with read_connection(desk.engine) as conn:
            users, trail = list_users(conn), audit_trail(conn)
        return page(request, "admin.html", user, users=users, trail=trail)

    # -- JSON API (read-only; a session or a Bearer token) --------------------------------------

    @app.get("/api/me", tags=["api"])
    def api_me(request: Request) -> dict:
        """Who the request is from, and what they may do."""
        user = reader(request)
        allowed = ["read"] if user.via_token else sorted(security.PERMISSIONS[user.role])
        return {"name": user.name, "role": user.role, "token": user.via_token, "may": allowed}

    @app.get("/api/overview", tags=["api"])
    def api_overview(request: Request, band: str = "", q: str = "", sort: str = "score") -> dict:
        """Watched countries: score, band, 90% interval, coverage, change, trend."""
        reader(request)
        return desk.overview(band=band, query=q, sort=sort)

    @app.get("/api/countries/{code}", tags=["api"])
    def api_country(request: Request, code: str, since: str | None = None) -> dict:
        """One country: history, alert firings, contributions with evidence, change since."""
        reader(request)
        return _country(desk, code, since)

    @app.get("/api/alerts", tags=["api"])
    def api_alerts(request: Request) -> dict:
        """Alerts that are not inactive (with their mails) and the silences in force."""
        reader(request)
        return desk.alerts()

    @app.get("/api/evidence", tags=["api"])
    def api_evidence(
        request: Request,
        country: str = "",
        what: str = "",
        type: str = "",
        source: str = "",
        text: str = "",
        page_no: int = 1,
    ) -> dict:
        """Observations and events with their quotes, filtered, 100 a page."""
        reader(request)
        return _evidence(desk, country, what, type, source, text, page_no)

    @app.get("/api/scenarios", tags=["api"])
    def api_scenarios(request: Request) -> list[dict]:
        """The shipped scenario files (run them on the Scenarios page or with the CLI)."""
        reader(request)
        return desk.scenarios()

    @app.post("/api/scenarios/run", tags=["api"])
    def api_scenario_run(request: Request, user: Analyst, name: str) -> dict:
        """Run a shipped scenario beside the baseline (analyst; session and X-CSRF-Token
        header). Writes no history and sends no mail."""
        security.check_csrf(request, request.headers.get("x-csrf-token"))
        return desk.run_scenario(name)

    @app.post("/api/scenarios/upload", tags=["api"])
    async def api_scenario_upload(
        request: Request, user: Analyst, file: Annotated[UploadFile, File()]
    ) -> dict:
        """Run an uploaded scenario file (TOML, at most 64 KiB) beside the baseline (analyst;
        session and X-CSRF-Token header). A bad file: 400 (not TOML) or 422 (a field), with
        the one-line located error of ``fragwatch scenario check``; nothing is stored."""
        security.check_csrf(request, request.headers.get("x-csrf-token"))
        data = await file.read(MAX_SCENARIO_BYTES + 1)
        try:
            return await run_in_threadpool(run_uploaded, desk, file.filename or "", data)
        except UploadRefused as refused:
            raise HTTPException(refused.status, refused.line) from None

    @app.get("/api/reports", tags=["api"])
    def api_reports(request: Request) -> list[dict]:
        """Written reports; each is readable at /reports/NAME/."""
        reader(request)
        return desk.reports()

    if desk.review_queue is not None:
        from fragwatch.web.review import add_review_routes

        add_review_routes(app, desk.review_queue, page, audit)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return Response("ok\n", media_type="text/plain")

    return app


def officer(request: Request) -> Principal:
    """Dependency of alert actions; runs before the form is validated, so an unauthorised
    request gets 401/403 whatever it sent."""
    return require(request, "alert")


def analyst(request: Request) -> Principal:
    return require(request, "scenario")


Officer = Annotated[Principal, Depends(officer)]
Analyst = Annotated[Principal, Depends(analyst)]


def _local(target: str) -> str:
    """Only a path on this site is a place to go after login (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _country(desk: Desk, code: str, since: str | None, cached_only: bool = False) -> dict | None:
    try:
        return desk.country(code, since or None, cached_only=cached_only)
    except LookupError:
        raise HTTPException(404, f"no evidence for country '{code.upper()}'") from None


def _evidence(desk, country, what, kind_of_row, source, text, page_no) -> dict:
    per_page = 100
    page_no = max(page_no, 1)
    view = desk.evidence_rows(
        limit=per_page, offset=(page_no - 1) * per_page, text=text, what=what,
        kind_of_row=kind_of_row, country=country or None, source_id=source or None,
    )  # fmt: skip
    view["filter"] = {"country": country, "what": what, "type": kind_of_row, "source": source,
                      "text": text, "page_no": page_no}  # fmt: skip
    view["countries"] = desk.known_countries
    return view
