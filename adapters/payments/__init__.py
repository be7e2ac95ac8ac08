"""Payment gateways: YooKassa (API v3), and the sandbox's own checkout page."""
