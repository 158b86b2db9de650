"""Ingest telemetry files (raw CAN logs, decoded exports, vehicle metadata) into the warehouse."""

from analytics.ingest.base import ReadContext, Reader, detect_reader, get_reader, readers
from analytics.ingest.batch import expand_paths, ingest_paths
from analytics.ingest.issues import Issue, IssueCollector
from analytics.ingest.load import IngestResult, file_sha256, ingest_file

__all__ = [
    "IngestResult",
    "Issue",
    "IssueCollector",
    "ReadContext",
    "Reader",
    "detect_reader",
    "expand_paths",
    "file_sha256",
    "get_reader",
    "ingest_file",
    "ingest_paths",
    "readers",
]
