"""``ff dev``: the whole platform on one machine, with the stand-ins where nothing real runs."""
