"""The console page: noVNC sized to the window, Ctrl-Alt-Del, paste, reconnect, and a message in
words when the link cannot (or can no longer) open a console. The script is static
(static/console.js); what differs per link is in data attributes."""

from __future__ import annotations

from html import escape

MESSAGES = {
    "unknown": "This console link is not valid. Open the console again from the control panel.",
    "expired": "This console link has expired: a link opens one console within 60 seconds. "
    "Open the console again from the control panel.",
    "ended": "This console session has ended. A link opens one session: "
    "open the console again from the control panel.",
    "stopped": "The server stopped, so the console closed. Start the server, then open its "
    "console again.",
    "idle": "The console closed after {minutes} minutes without input.",
    "closed": "The console closed.",
}


def message(state: str, reason: str | None, idle_seconds: float) -> str:
    """What the page says: for a link that ended, that it did, and why if it was not the viewer
    who closed it; for a session that just ended (`state` "closing"), only why."""
    minutes = max(1, round(idle_seconds / 60))
    why = MESSAGES.get(reason or "closed", MESSAGES["closed"]).format(minutes=minutes)
    if state == "closing":
        return why
    told = MESSAGES.get(state, "")
    return f"{why} {told}" if state == "ended" and reason in ("stopped", "idle") else told


def page(state: str, reason: str | None, server_id: int | None, idle_seconds: float) -> str:
    usable = state == "ready"
    notice = "" if usable else message(state, reason, idle_seconds)
    # What the page may have to say later, when a session ends or the link fails to open one.
    later = {key: message("closing", key, idle_seconds) for key in ("stopped", "idle", "closed")}
    later.update({key: message(key, None, idle_seconds) for key in ("expired", "unknown", "ended")})
    messages = " ".join(f'data-message-{key}="{escape(text)}"' for key, text in later.items())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Console{f" of server {server_id}" if server_id else ""}</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script type="module" src="/console/assets/console.js"></script>
</head>
<body data-state="{escape(state)}" data-server-id="{server_id or ""}" {messages}>
<header>
  <span id="title">Console{f" of server {server_id}" if server_id else ""}</span>
  <span id="status" role="status">{"Connecting..." if usable else ""}</span>
  <span class="tools">
    <button id="ctrl-alt-del" type="button" disabled>Ctrl-Alt-Del</button>
    <input id="paste-text" type="text" placeholder="Text to paste" autocomplete="off" disabled>
    <button id="paste" type="button" disabled>Paste</button>
    <button id="reconnect" type="button"{"" if server_id else " hidden"}>Reconnect</button>
  </span>
</header>
<p id="message" role="alert"{"" if notice else " hidden"}>{escape(notice)}</p>
<main id="screen"></main>
</body>
</html>
"""
