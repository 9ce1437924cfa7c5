"""Time windows: the calendar (:mod:`.calendar`), presets and schedule periods (:mod:`.periods`), and
alignment to an endpoint's buckets (:mod:`.alignment`)."""
