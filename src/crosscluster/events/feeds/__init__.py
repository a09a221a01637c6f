"""The whole feed import of the Netzwerktimer (see docs/feeds.md), in the order a feed goes through it:

- `fetch`: the HTTP request (deadlines, size caps, private addresses refused, ETag/Last-Modified);
- `ical`, `rss` (with `limits`): parsing into `FeedEvent`s, series expanded within the horizon;
- `sync`: storing them in bulk (`clean_feed_fields`, `sync_feed_events`) and announcing what changed;
- `importing`: `import_feed`, which runs the three and records the result on the subscription;
- `subscriptions`: adding and removing feeds, which feeds are due.
"""
