"""Batch jobs (一括作成): a task run over the rows of a file, with per-item state in the records database.

- `inputs`: batch files (CSV in UTF-8 or cp932, XLSX, JSONL) → task inputs and bad rows.
- `store`: jobs and items: create, claim with a lease, complete, fail and retry, cancel, resume.
- `worker`: claims items of a job and runs them through the one task runner with a concurrency limit.
- `service`: what the API and the CLI do with jobs (create from a file, collect rows for a reader, write outputs).
- `background`: the API's worker threads (jobs resumed at start).
- `outputs`: XLSX, CSV and the zip with one DOCX per reply.
- `visibility`: what a reader may see of a result.
"""
