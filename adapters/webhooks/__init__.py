"""Sending customers' webhooks over HTTP(S)."""

from adapters.webhooks.sender import HttpWebhookSender

__all__ = ["HttpWebhookSender"]
