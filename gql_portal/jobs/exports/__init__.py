"""Export jobs: each writes an export's file in the background and marks it DONE (or FAILED).

A job is given an `ExportRequest` (request.py): who asked (their `Access`, as it was) and what,
never the request's context; it opens its own database sessions and reads with the asker's
rights (row scoping as in their request). Its kind writes the file: the payroll basis of one
period as PAXml or CSV (payroll.py, with basis.py), expenses with receipts as a ZIP, with SIE 4i
vouchers when asked (expenses.py, sie.py), a firm's batch of many clients' payroll bases as a ZIP
(batch.py; which clients are skipped and why: `gql_portal.domain.export_rules`) or of their
expenses (expenses_batch.py). Lines are streamed from the database into the file
writer running in a worker thread (streaming.py): memory holds one chunk of lines, whatever the
size. The file is written to a temporary name and renamed (lifecycle.py): an export is never
DONE without its file.

An export is queued as a job in the database (gql_portal/jobs/queue.py) in the transaction that
makes its record; any worker on any machine may run it (queued.py), under a lease renewed with
its heartbeat, and takes it over from scratch when the worker running it died.

While it runs, the job holds a lock on an owner file (`exports/tmp/<id>.lock`, flock: the
operating system releases it when the process dies, even by SIGKILL; tmpfiles.py).
`recover_interrupted_exports` (recovery.py; at start-up and every minute) marks FAILED the
RUNNING exports whose owner file nobody holds, and those whose heartbeat stopped, and removes
their partial files and any other file in exports/tmp that no running export owns. The owner
file speaks only for this machine: the rule holds with the local-folder storage backend (one
machine); with shared storage the job's lease decides (a dead worker's job is taken over).
"""

from gql_portal.jobs.exports.basis import employees_without_identity
from gql_portal.jobs.exports.common import ExportFailed
from gql_portal.jobs.exports.lifecycle import ExportJob
from gql_portal.jobs.exports.queued import run_queued_export
from gql_portal.jobs.exports.recovery import recover_interrupted_exports
from gql_portal.jobs.exports.request import ExportRequest, job_payload
from gql_portal.jobs.exports.tmpfiles import owner_path

__all__ = [
    "ExportFailed",
    "ExportJob",
    "ExportRequest",
    "employees_without_identity",
    "job_payload",
    "owner_path",
    "recover_interrupted_exports",
    "run_queued_export",
]
