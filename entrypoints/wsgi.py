"""The API as a WSGI module, for gunicorn started directly with deploy/gunicorn.conf.py:

    gunicorn -c deploy/gunicorn.conf.py 'entrypoints.wsgi:application'

gunicorn imports this in each worker, after the fork (never use --preload: the pool, the sandbox's
stores and its scheduler thread must belong to the worker)."""

from entrypoints import logs
from entrypoints.config import load_settings
from entrypoints.serve import app_for

logs.configure("serve")
application = app_for(load_settings())
