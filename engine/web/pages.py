"""Server-rendered HTML: the page frame, the login page and the desk/wallboard shells.

Pages carry the user's language, their UI words (``i18n``) and the session's CSRF token in
a ``<script type="application/json" id="boot">`` block the page's JavaScript reads; the
data itself comes from the JSON routes and the event stream (``/events``). Every value is
escaped here; the JavaScript sets text, never HTML.
"""

from __future__ import annotations

import html
from typing import Any

import orjson

from engine.users.policy import Principal, csrf_token
from engine.web.i18n import catalogue, text

ESC = html.escape


def frame(
    title: str,
    body: str,
    lang: str = "en",
    boot: dict[str, Any] | None = None,
    scripts: tuple[str, ...] = (),
) -> str:
    boot_json = orjson.dumps(boot or {}).decode().replace("</", "<\\/")
    tags = "".join(f'<script src="/static/{ESC(s)}" defer></script>' for s in scripts)
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{ESC(title)} · Tenure</title>"
        f'<link rel="stylesheet" href="/static/tenure.css">{tags}</head>'
        f'<body><script type="application/json" id="boot">{boot_json}</script>{body}</body></html>'
    )


def login_page(lang: str, message: str = "", next_path: str = "/", csrf: str = "") -> str:
    """The login form; ``csrf`` is the pre-session token, also set as a cookie by
    ``users/http.py`` (double submit)."""
    t = lambda k: ESC(text(lang, k))  # noqa: E731
    note = f'<p class="error" role="alert">{ESC(message)}</p>' if message else ""
    body = (
        f'<main class="login"><h1>Tenure · {t("title.login")}</h1>{note}'
        f'<form method="post" action="/login">'
        f'<input type="hidden" name="next" value="{ESC(next_path)}">'
        f'<input type="hidden" name="csrf" value="{ESC(csrf)}">'
        f'<label>{t("login.name")} <input name="name" autocomplete="username" required></label>'
        f'<label>{t("login.password")} <input name="password" type="password" '
        f'autocomplete="current-password" required></label>'
        f'<button type="submit">{t("login.submit")}</button></form></main>'
    )
    return frame(text(lang, "title.login"), body, lang)


def error_page(lang: str, status: int, title: str, message: str) -> str:
    body = (
        f'<main class="login"><h1>{status} · {ESC(title)}</h1><p>{ESC(message)}</p>'
        f'<p><a href="/login">{ESC(text(lang, "login.submit"))}</a> · <a href="/">Tenure</a></p>'
        f"</main>"
    )
    return frame(title, body, lang)


def _header(who: Principal, title: str) -> str:
    csrf = csrf_token(who.session) if who.session else ""
    other = "zh" if who.lang == "en" else "en"
    return (
        f'<header><h1>{ESC(title)}</h1><span class="who">{ESC(who.name)} · {ESC(who.role)}'
        f"{' · ' + ESC(who.agent_id) if who.agent_id else ''}</span>"
        f'<span id="conn" class="conn">…</span>'
        f'<form method="post" action="/me/settings" class="inline">'
        f'<input type="hidden" name="csrf" value="{csrf}">'
        f'<button name="lang" value="{other}">{"中文" if other == "zh" else "English"}</button>'
        f"</form>"
        f'<form method="post" action="/logout" class="inline">'
        f'<input type="hidden" name="csrf" value="{csrf}">'
        f'<button id="logout">{ESC(text(who.lang, "logout"))}</button></form></header>'
    )


def _boot(who: Principal, **extra: Any) -> dict[str, Any]:
    return {
        "lang": who.lang,
        "t": catalogue(who.lang),
        "csrf": csrf_token(who.session) if who.session else "",
        "user": who.name,
        "role": who.role,
        **extra,
    }


def desk_page(who: Principal, agent_id: str, wrapup_seconds: float = 0.0) -> str:
    t = lambda k: ESC(text(who.lang, k))  # noqa: E731
    body = _header(who, f"{text(who.lang, 'title.desk')} · {agent_id}") + (
        '<main class="desk">'
        f'<section id="status"><h2>{t("state")}</h2><p><b id="agent-state">…</b> '
        f'<span id="pause-reason"></span> <span id="wrapup"></span></p></section>'
        f'<section id="phone" class="card" hidden><h2>{t("phone")}</h2>'
        f'<p><b id="phone-state">{t("phone.unregistered")}</b> <span id="phone-peer"></span></p>'
        f'<button id="phone-answer" disabled>{t("phone.answer")}</button> '
        f'<button id="phone-hangup" disabled>{t("phone.hangup")}</button> '
        f'<button id="phone-mute" disabled aria-pressed="false">{t("phone.mute")}</button>'
        f'<audio id="phone-audio" autoplay></audio></section>'
        f'<section id="offer" class="card"><h2>{t("caller")}</h2>'
        f'<p id="no-call">{t("no_call")}</p><div id="pop" hidden>'
        f'<p class="who"><b id="pop-name"></b> <span id="pop-number"></span> '
        f'<span class="tag" id="pop-vip"></span></p>'
        f'<p>{t("risk")}: <b id="pop-risk"></b></p><ul id="pop-reasons" class="reasons"></ul>'
        f'<h3>{t("nba")}</h3><p id="pop-nba"></p>'
        f'<h3>{t("kb")}</h3><p id="pop-kb"></p>'
        f'<h3>{t("orders")}</h3><ul id="pop-orders"></ul>'
        f'<h3>{t("tickets")}</h3><ul id="pop-tickets"></ul>'
        f'<h3>{t("preferences")}</h3><p id="pop-prefs"></p>'
        f'<h3>{t("last_offer")}</h3><p id="pop-last-offer"></p></div></section>'
        f'<section id="live" class="card"><h2>{t("transcript")}</h2>'
        f'<p>{t("emotion")}: <meter id="emotion" min="0" max="1" low="0.4" high="0.7" '
        f'optimum="0" value="0"></meter> <span id="emotion-label"></span></p>'
        f'<ol id="transcript"></ol><h3>{t("hints")}</h3><ul id="hints"></ul></section>'
        f'<section id="dispo" class="card"><h2>{t("disposition")}</h2>'
        f'<form id="disposition"><input type="hidden" name="call_id">'
        + "".join(
            f'<label><input type="radio" name="outcome" value="{v}"> {t("disp." + v)}</label>'
            for v in ("resolved", "accepted", "declined", "callback")
        )
        + f'<label>{t("callback_at")} <input type="datetime-local" name="callback_at"></label>'
        f'<button type="submit">{t("save")}</button> <span id="dispo-result"></span>'
        f"</form></section>"
        f'<section id="preview" class="card"><h2>{t("preview")}</h2>'
        f'<label>{t("campaign")} <input id="preview-campaign" size="4"></label> '
        f'<button id="preview-next">{t("next_contact")}</button>'
        f'<p id="preview-contact"></p><button id="preview-accept">{t("accept")}</button> '
        f'<button id="preview-skip">{t("skip")}</button></section>'
        "</main>"
    )
    return frame(
        text(who.lang, "title.desk"),
        body,
        who.lang,
        _boot(who, agent_id=agent_id, wrapup_seconds=wrapup_seconds),
        ("tenure.js", "desk.js", "softphone.js"),
    )


def wallboard_page(who: Principal) -> str:
    t = lambda k: ESC(text(who.lang, k))  # noqa: E731

    def table(id_: str, heads: tuple[str, ...]) -> str:
        th = "".join(f"<th>{t(h)}</th>" for h in heads)
        return f'<table id="{id_}"><thead><tr>{th}</tr></thead><tbody></tbody></table>'

    body = _header(who, text(who.lang, "title.wallboard")) + (
        '<main class="wall">'
        f'<section class="card"><h2>{t("queues")}</h2>'
        + table("queues", ("queues", "waiting", "longest", "service_level", "abandoned"))
        + f'</section><section class="card"><h2>{t("agents")}</h2>'
        + table("agents", ("agents", "state", "in_state", "current_call", "log_out_agent"))
        + f'</section><section class="card wide"><h2>{t("live_calls")}</h2>'
        + table("calls", ("caller", "risk", "emotion", "alerts", "agents", "listen"))
        + f'</section><section class="card"><h2>{t("campaigns")}</h2>'
        + table(
            "campaigns", ("campaign", "abandon_rate", "occupancy", "lines", "progress", "pause")
        )
        + f'</section><section class="card"><h2>{t("risk_tiers")}</h2><ul id="tiers"></ul>'
        f'<h3>{t("callbacks_due")}</h3><p id="callbacks"></p></section>'
        f'<section class="card"><h2>{t("charts")}</h2><div id="charts"></div></section>'
        f'<section class="card"><h2>{t("skills")}</h2><p id="skills"></p>'
        f'<h3>{t("reload_errors")}</h3><ul id="skill-errors"></ul></section>'
        f'<section class="card"><h2>{t("audit")}</h2><ul id="audit"></ul></section>'
        "</main>"
    )
    return frame(
        text(who.lang, "title.wallboard"),
        body,
        who.lang,
        _boot(who),
        ("tenure.js", "wallboard.js"),
    )
