"""Usage as rows and objects: the row layout (:mod:`.schema`, :mod:`.rows`), landing objects atomically in
object storage (:mod:`.storage`, :mod:`.parquet`), and reading landed objects back (:mod:`.reading`)."""
