"""Reading the networks' iCal and RSS/Atom feeds for the Netzwerktimer (see docs/feeds.md)."""
