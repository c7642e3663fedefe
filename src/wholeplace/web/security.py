"""Request-level security: response headers, the anonymous CSRF cookie, and CSRF checks."""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wholeplace.core.security import digest

SESSION_COOKIE = "wholeplace_session"
NONCE_COOKIE = "wholeplace_nonce"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


class SecurityMiddleware:
    """Adds the security headers to every response and gives each new browser a CSRF nonce cookie."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        new_nonce = None if _has_cookie(scope, NONCE_COOKIE) else secrets.token_urlsafe(24)
        if new_nonce:
            scope.setdefault("state", {})["new_nonce"] = new_nonce
        is_static = scope["path"].startswith(("/static/", "/assets/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if self.secure_cookies:
                    headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
                if not is_static:
                    headers["cache-control"] = "no-store"
                if new_nonce and not is_static:
                    headers.append("set-cookie", self._nonce_cookie(new_nonce))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _nonce_cookie(self, nonce: str) -> str:
        secure = "; Secure" if self.secure_cookies else ""
        return f"{NONCE_COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Lax{secure}"


def _has_cookie(scope: Scope, name: str) -> bool:
    for key, value in scope.get("headers", []):
        if key == b"cookie" and name in SimpleCookie(value.decode("latin-1")):
            return True
    return False


def csrf_binding(request: Request) -> str:
    """What a form token is bound to: the session cookie when there is one, else the browser's nonce."""
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        return "session:" + digest(session_token)
    nonce = request.cookies.get(NONCE_COOKIE) or getattr(request.state, "new_nonce", None) or ""
    return "nonce:" + nonce


def session_cookie_options(*, secure: bool) -> dict[str, Any]:
    return {"key": SESSION_COOKIE, "httponly": True, "samesite": "lax", "secure": secure, "path": "/"}
