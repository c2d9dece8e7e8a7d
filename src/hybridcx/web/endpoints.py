"""Serves the web pages and their static assets, with no build step.

Pages are plain HTML shells; the ES modules under ``static/`` do the rest over the public API and
WebSockets. A strict Content-Security-Policy (scripts from this origin only, no inline script)
backs up the rule that customer text is only ever rendered as text.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from hybridcx.kit.errors import NotFound
from hybridcx.web.ai_preference import router as ai_preference_router
from hybridcx.web.api import router as api_router
from hybridcx.web.selfservice import router as selfservice_router

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGES_DIR = Path(__file__).resolve().parent / "pages"

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
# The chat page is framed by the widget on customers' own sites; the staff pages never are.
EMBEDDABLE_CSP = CSP + "; frame-ancestors *"
STAFF_CSP = CSP + "; frame-ancestors 'none'"

router = APIRouter()
router.include_router(api_router)
router.include_router(selfservice_router)
router.include_router(ai_preference_router)  # opt out of the AI


def _page(name: str, *, embeddable: bool = False) -> Response:
    headers = {
        "Content-Security-Policy": EMBEDDABLE_CSP if embeddable else STAFF_CSP,
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }
    if not embeddable:
        headers["X-Frame-Options"] = "DENY"
    return FileResponse(PAGES_DIR / name, media_type="text/html", headers=headers)


@router.get("/", include_in_schema=False)
async def home_page() -> Response:
    """Links to the chat, help centre, desk and supervisor console, with the demo logins."""
    return _page("home.html")


@router.get("/chat", include_in_schema=False)
async def chat_page() -> Response:
    return _page("chat.html", embeddable=True)


@router.get("/help", include_in_schema=False)
async def help_page() -> Response:
    return _page("help.html", embeddable=True)


@router.get("/pay", include_in_schema=False)
async def pay_page() -> Response:
    """The secure payment form the AI offers instead of card numbers in chat."""
    return _page("pay.html")


@router.get("/help/articles/{slug}", include_in_schema=False)
async def help_article_page(slug: str) -> Response:
    return _page("help.html", embeddable=True)


@router.get("/survey/{token}", include_in_schema=False)
async def survey_page(token: str) -> Response:  # the survey link in emails
    return _page("survey.html")


@router.get("/desk", include_in_schema=False)
async def desk_page() -> Response:
    return _page("desk.html")


@router.get("/supervisor", include_in_schema=False)
async def supervisor_page() -> Response:
    return _page("supervisor.html")


@router.get("/widget.js", include_in_schema=False)
async def widget_script() -> Response:
    return FileResponse(
        STATIC_DIR / "widget.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"},
    )


MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@router.get("/web/static/{name:path}", include_in_schema=False)
async def static_asset(name: str) -> Response:
    """Files under static/ only: anything resolving outside it, or of another kind, is a 404."""
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file() or path.suffix not in MEDIA_TYPES:
        raise NotFound("No such file.")
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[path.suffix],
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
