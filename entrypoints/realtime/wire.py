"""What the live feed sends, in the seed's shapes, from the events the monitoring pass publishes.

`server-stats` carries `{"serverId", "stats"}` where `stats` is what `GET /api/server/{id}/status`
shows as `stats.data` (less the RRD history, which a pass does not read); `server-alerts` carries
`{"serverId", "alerts": [{"type", "message", "level"}]}`; `action-progress` carries
`{"actionId", "serverId", "command", "status", "progress"}` and goes to the action's owner whether
or not they subscribed to the server (a new server's owner has nothing to subscribe to yet).
"""

from __future__ import annotations

from typing import Any

from domain.usecases.progress import ACTION_PROGRESS
from entrypoints.http import codec
from ports.hypervisor import GuestStats

Json = dict[str, Any]

_LABELS = {"cpu": "CPU", "memory": "Memory", "disk": "Disk"}


def server_of(payload: Json) -> int | None:
    server_id = payload.get("serverId")
    return server_id if type(server_id) is int else None


def stats_message(payload: Json) -> Json:
    return {
        "serverId": payload["serverId"],
        "stats": codec.live_stats(GuestStats(**payload["guest"])),
    }


def alert_text(alert: Json) -> str:
    label = _LABELS.get(alert["type"], str(alert["type"]))
    if alert["event"] == "cleared":
        return f"{label} usage is back to {alert['value']}%"
    return f"{label} usage is at {alert['value']}%"


def alerts_message(payload: Json) -> Json:
    return {
        "serverId": payload["serverId"],
        "alerts": [
            {"type": a["type"], "message": alert_text(a), "level": a["level"]}
            for a in payload["alerts"]
        ],
    }


def progress_message(payload: Json) -> Json:
    return {
        "actionId": payload["actionId"],
        "serverId": payload["serverId"],
        "command": payload["command"],
        "status": payload["status"],
        "progress": payload["progress"],
    }


MESSAGES = {
    "server-stats": stats_message,
    "server-alerts": alerts_message,
    ACTION_PROGRESS: progress_message,
}
# Channels told to the owner's every connection, not only to the server's subscribers.
TO_OWNER = frozenset({ACTION_PROGRESS})


def owner_of(payload: Json) -> int | None:
    owner_id = payload.get("ownerId")
    return owner_id if type(owner_id) is int else None
