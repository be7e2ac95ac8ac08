"""gunicorn settings for running the API under gunicorn directly, in place of `hostprovider serve`:

    gunicorn -c deploy/gunicorn.conf.py 'entrypoints.wsgi:application'

The values are the ones `hostprovider serve` uses (entrypoints.serve.gunicorn_options, from the
HOSTPROVIDER_* settings), so both ways of starting run the same server, and the same checks run
first: a bad setting stops gunicorn with one line and exit 2, before any worker boots."""

import os
import sys

from entrypoints import metrics
from entrypoints.config import ConfigError, load_settings
from entrypoints.preflight import one_line
from entrypoints.serve import before_start, gunicorn_options

try:
    _settings = load_settings()
    before_start(_settings)
except ConfigError as _error:
    print(f"configuration error: {one_line(str(_error))}", file=sys.stderr)
    sys.exit(2)
os.environ.setdefault("PGAPPNAME", "hostprovider-serve")
metrics.use_shared_directory()  # before the workers fork

globals().update(gunicorn_options(_settings, os.environ.get("HOSTPROVIDER_BIND")))
