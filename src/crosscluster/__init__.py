"""Crosscluster: the web platform of a regional cross-cluster initiative."""
