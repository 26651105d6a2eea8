"""Stand-ins for what the platform talks to: the vendors' simulators, the SFTP server, the
backup converter, the embedded servers, the demo data and ``ff dev``.

Tests, the local stack and the benches use them; no production image installs them.
"""
