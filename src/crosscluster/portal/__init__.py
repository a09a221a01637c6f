"""The composing app: pages, commands and admin parts that join several domain apps.

The domain apps stay layered (core below everything, directory below the rest; `lint-imports` checks it);
whatever needs several of them at once lives here, on top: the home page, the topic page, the demo loader,
the directory import (which also computes the routing embeddings), the start-up of an app server, and the
admin's organisation page with its memberships.
"""
