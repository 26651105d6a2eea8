"""obv-archiver: every application's open-banking report, archived in PostgreSQL exactly once.

discovery (Dynamics) -> fetch (OBV) -> validate -> store (one transaction per application);
run ties them together and moves the watermark; verify re-checks what is stored; summary is what
a run reports; worker is the arq entry point.
"""
