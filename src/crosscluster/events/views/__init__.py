"""The calendar's views, by audience:

- `public`: the public calendar (list, month, week, an event's page and its calendar file);
- `publish`: for other programs and sites (calendar subscriptions, RSS and Atom, the embeddable widget);
- `manage`: network managers' events (list, create, edit, delete);
- `feeds`: network managers' feed subscriptions (add, import now, remove);
- `duplicates`: the coordination office's merged and suspected duplicates, and what an organiser sees of a
  merge of their event (with the request to split it).

URL names are in urls.py (`events:`) and manage_urls.py (`manage:`).
"""
