"""Background jobs: long library work (uploads, folder ingest) that outlives the page that asked for it.

``store`` keeps each job's state in SQLite; ``queue`` carries the work on Huey (SQLite
storage by default, Redis where a school runs one) and runs it in worker threads, in the
app process (embedded index) or in ``tutor worker`` processes (Chroma server).
"""
