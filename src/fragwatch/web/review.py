"""The review queue in the browser and under /api/review: the operations of ``fragwatch review``
(``feeds.review.ReviewQueue``), behind the analyst role, CSRF and the audit trail.

A page write carries the form's CSRF field; a JSON write sends the same token in the
``X-CSRF-Token`` header (from a logged-in session: API tokens are read-only). An accept that the
checks of ``evidence add`` refuse answers 422 with the one-line reason beside the field it names.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Body, Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from fragwatch.errors import FragwatchError
from fragwatch.feeds.review import EDITABLE, ReviewQueue
from fragwatch.reports.view import safe_url
from fragwatch.web import security
from fragwatch.web.security import Principal, reader, require

CSRF_HEADER = "x-csrf-token"
_FIELD = re.compile(r"field '([^']+)'")
# File operations on the queue one at a time: two clicks must not lose each other's status.
_LOCK = threading.Lock()


def reviewer(request: Request) -> Principal:
    """Runs before the form is read: 401/403 whatever the request sent."""
    return require(request, "review")


Reviewer = Annotated[Principal, Depends(reviewer)]


def refused(exc: FragwatchError) -> dict:
    """An error as the form shows it: the field it names (or '') and the one-line reason.
    The candidates file it was checked as is a temporary one: only its field is worth naming."""
    found = _FIELD.search(exc.where or "")
    field = found.group(1) if found else ""
    where = f"field '{field}'" if field else ""
    if exc.where and not found and not exc.where.startswith("/"):
        where = exc.where
    line = f"{where}: {exc.message}" if where else exc.message
    return {"field": field, "detail": " ".join(line.split())}


def candidate_view(queue: ReviewQueue, cid: str) -> dict:
    """A candidate with the report it quotes; LookupError (404) when there is none."""
    try:
        row = queue.find(cid)
    except FragwatchError:
        raise HTTPException(404, f"no candidate '{cid}' in the review queue") from None
    source = queue.source(cid)
    return {
        "candidate": row,
        "source": {
            "id": source.get("report_id", ""),
            "title": source.get("title", ""),
            "publisher": source.get("publisher", ""),
            "published": source.get("published", ""),
            "url": safe_url(source.get("url", "")),
        },
        "editable": list(EDITABLE),
    }


def add_review_routes(app: FastAPI, queue: ReviewQueue, page: Callable, audit: Callable) -> None:
    """The /review pages and the /api/review endpoints of ``app``."""
    engine = app.state.desk.engine

    def record(user: Principal, action: str, cid: str, detail: str = "") -> None:
        with engine.begin() as conn:
            audit(user.name, action, cid, conn, detail)

    def decide(user: Principal, cid: str, action: str, changes: dict[str, str] | None = None):
        """Do ``action`` on a candidate; None when done, else the refusal."""
        try:
            with _LOCK:
                if action == "edit":
                    queue.edit(cid, changes or {}, where="field")
                elif action == "accept":
                    queue.accept([cid], datetime.now())
                else:
                    queue.reject([cid])
        except FragwatchError as exc:
            return refused(exc)
        detail = " ".join(f"{k}={v}" for k, v in (changes or {}).items())
        record(user, f"review.{action}", cid, detail)
        return None

    # -- pages ----------------------------------------------------------------------------------

    @app.get("/review", include_in_schema=False)
    def review_page(request: Request, all: str = ""):
        user = reader(request)
        rows = queue.rows(show_all=bool(all))
        return page(request, "review.html", user, rows=rows, show_all=bool(all))

    @app.get("/review/{cid}", include_in_schema=False)
    def candidate_page(request: Request, cid: str):
        user = reader(request)
        return page(request, "candidate.html", user, view=candidate_view(queue, cid), error=None)

    @app.post("/review/{cid}/edit", include_in_schema=False)
    async def candidate_edit(request: Request, cid: str, user: Reviewer):
        form = await request.form()
        security.check_csrf(request, str(form.get(security.CSRF_FIELD, "")))
        current = candidate_view(queue, cid)["candidate"]
        changes = {
            k: str(form[k]).strip()
            for k in EDITABLE
            if k in form and str(form[k]).strip() != current.get(k, "")
        }
        error = decide(user, cid, "edit", changes) if changes else None
        if error:
            return page(request, "candidate.html", user, 422,
                        view=candidate_view(queue, cid), error=error)  # fmt: skip
        request.session["flash"] = f"Saved {cid}." if changes else f"Nothing changed in {cid}."
        return RedirectResponse(f"/review/{cid}", status_code=303)

    def verdict(request: Request, user: Principal, cid: str, token: str, action: str):
        security.check_csrf(request, token)
        candidate_view(queue, cid)  # 404 before anything else
        error = decide(user, cid, action)
        if error:
            return page(request, "candidate.html", user, 422,
                        view=candidate_view(queue, cid), error=error)  # fmt: skip
        done = "Accepted" if action == "accept" else "Rejected"
        request.session["flash"] = f"{done} {cid}."
        return RedirectResponse("/review", status_code=303)

    @app.post("/review/{cid}/accept", include_in_schema=False)
    def candidate_accept(request: Request, cid: str, user: Reviewer, csrf_token: str = Form("")):
        return verdict(request, user, cid, csrf_token, "accept")

    @app.post("/review/{cid}/reject", include_in_schema=False)
    def candidate_reject(request: Request, cid: str, user: Reviewer, csrf_token: str = Form("")):
        return verdict(request, user, cid, csrf_token, "reject")

    # -- JSON -----------------------------------------------------------------------------------

    def api_write(request: Request, user: Principal, cid: str, action: str, changes=None):
        security.check_csrf(request, request.headers.get(CSRF_HEADER))
        candidate_view(queue, cid)
        error = decide(user, cid, action, changes)
        if error:
            raise HTTPException(422, error)
        return candidate_view(queue, cid)

    @app.get("/api/review", tags=["review"])
    def api_review(request: Request, all: bool = False) -> list[dict]:
        """Candidates waiting for review, surest first (``all``: also accepted and rejected)."""
        reader(request)
        return queue.rows(show_all=all)

    @app.get("/api/review/{cid}", tags=["review"])
    def api_candidate(request: Request, cid: str) -> dict:
        """One candidate with its quote and the report it comes from."""
        reader(request)
        return candidate_view(queue, cid)

    @app.post("/api/review/{cid}/edit", tags=["review"])
    def api_edit(
        request: Request,
        cid: str,
        user: Reviewer,
        changes: Annotated[dict[str, str], Body(examples=[{"value": "45", "period": "2024"}])],
    ) -> dict:
        """Correct fields of a pending candidate (analyst; session and X-CSRF-Token header).
        Checked again when it is accepted; 422 names the field."""
        return api_write(request, user, cid, "edit", changes)

    @app.post("/api/review/{cid}/accept", tags=["review"])
    def api_accept(request: Request, cid: str, user: Reviewer) -> dict:
        """Add the candidate to the evidence library with the checks of ``evidence add``
        (analyst; session and X-CSRF-Token header); 422 with the field when refused."""
        return api_write(request, user, cid, "accept")

    @app.post("/api/review/{cid}/reject", tags=["review"])
    def api_reject(request: Request, cid: str, user: Reviewer) -> dict:
        """Mark the candidate wrong; it stays in the queue as rejected (analyst; session and
        X-CSRF-Token header)."""
        return api_write(request, user, cid, "reject")
