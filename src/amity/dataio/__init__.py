"""Import and export of contacts and companies.

Owns uploaded import files (sniffed: CSV in any delimiter and encoding, XLSX, vCard), their
column mappings, dry runs, batched and resumable runs with per-row errors, rollback of what an
import created or changed, and exports (CSV, XLSX, vCard, JSON) safe against formula injection.
"""
