"""Duplicates: the same event announced by several networks appears once publicly, with all organisers.

- `similarity`: when two events are the same (titles, start, place) — pure functions, no database;
- `grouping`: which events form a group (`duplicate_of`), recomputed after every change and import;
- `services`: the coordination office's merge and split, the organisers' request to split;
- `queries`: what the office's page and the organisers' view of a merge show.
"""
