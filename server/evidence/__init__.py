"""Evidence: photos, signatures and PDFs, content-addressed by SHA-256.

Owns the files (checking, EXIF, derivatives: ``files``), the ``evidence`` table, storing and
looking up evidence (``services``) and the screens' read route (``controllers``). Inspections,
corrective actions, reports, the phone API and the demo use it; it uses only the kernel. Who may
see a file depends on what references it: the packages that reference evidence register a
visibility check at start-up (``services.register_visibility_check``).
"""
